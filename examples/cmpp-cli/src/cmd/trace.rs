//! `cmpp trace`: the clause 3.11 trace report from a journal.

use crate::error::{CliError, Exit};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use sms_journal::{Journal, JournalError, JournalOptions, TraceQuery, TraceReport};
use std::path::{Path, PathBuf};

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown.
    Md,
    /// JSON.
    Json,
}

/// Options of `cmpp trace`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Journal folder.
    #[arg(long)]
    pub journal: PathBuf,
    /// Gateway Msg_Id(s) to trace.
    #[arg(long = "msg-id", num_args = 1.., required_unless_present = "to", conflicts_with = "to")]
    pub msg_id: Vec<String>,
    /// Destination number to trace (with --from and --until).
    #[arg(long, requires_all = ["from", "until"])]
    pub to: Option<String>,
    /// Start of the period: RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in Beijing time.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the period (excluded), same forms as --from.
    #[arg(long)]
    pub until: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,
}

/// Runs `cmpp trace`.
pub fn run(args: Args) -> Result<(), CliError> {
    let mut journal = open_existing(&args.journal)?;
    let query = match &args.to {
        Some(dest) => TraceQuery::Dest {
            dest: dest.clone(),
            from: parse_time_arg("--from", args.from.as_deref())?,
            until: parse_time_arg("--until", args.until.as_deref())?,
        },
        None => TraceQuery::MsgIds(args.msg_id.clone()),
    };
    let report = TraceReport::build(&mut journal, query, Utc::now()).map_err(journal_err)?;
    match args.format {
        ReportFormat::Md => print!("{}", report.to_markdown()),
        ReportFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json())
                .map_err(|e| CliError::failure(e.to_string()))?
        ),
    }
    Ok(())
}

/// Opens a journal folder that must already exist.
pub(crate) fn open_existing(dir: &Path) -> Result<Journal, CliError> {
    if !dir.is_dir() {
        return Err(CliError::new(
            Exit::Journal,
            format!("journal folder {} does not exist", dir.display()),
        ));
    }
    Journal::open(dir, JournalOptions::default()).map_err(journal_err)
}

/// Maps a journal error to the exit code a user can act on.
pub(crate) fn journal_err(e: JournalError) -> CliError {
    match e {
        JournalError::Records(_) | JournalError::Invalid(_) => CliError::input(e.to_string()),
        _ => CliError::new(Exit::Journal, e.to_string()),
    }
}

/// Parses a time argument: RFC 3339, or `YYYY-MM-DD[THH:MM[:SS]]` in Beijing time.
pub(crate) fn parse_time_arg(name: &str, value: Option<&str>) -> Result<DateTime<Utc>, CliError> {
    let Some(v) = value else {
        return Err(CliError::input(format!("{name} is required")));
    };
    if let Some(t) = sms_records::rfc3339::parse_time(v) {
        return Ok(t);
    }
    let naive = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            CliError::input(format!(
                "{name}: invalid time `{v}` (use RFC 3339 or YYYY-MM-DD[THH:MM[:SS]] in Beijing time)"
            ))
        })?;
    sms_records::beijing()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| CliError::input(format!("{name}: invalid time `{v}`")))
}
