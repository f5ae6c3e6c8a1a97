//! `cmpp report`: the monthly SLA report (clause 3.10) from a journal or a record file.

use crate::error::{CliError, Exit};
use crate::wiring;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use sms_sla::{Aggregator, SlaSettings};
use std::path::PathBuf;

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// JSON (stable schema, `schema_version`).
    Json,
    /// Self-contained HTML page with charts.
    Html,
}

/// Options of `cmpp report`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["journal", "records"])))]
pub struct Args {
    /// Journal folder to read the month's records from.
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// Record file: CSV (`.csv`) or JSON Lines (`.jsonl`, `.ndjson`, `.json`).
    #[arg(long, value_name = "FILE")]
    pub records: Option<PathBuf>,
    /// The month to report, e.g. 2026-03 (calendar month in the settings' zone, Beijing time by default).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    /// SLA settings (TOML); defaults are the contract's readings.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The time the data was taken (RFC 3339); decides which messages are still pending. Default: now.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Incident log (TOML), as for `cmpp settle`: the windows of its honoured
    /// exemption claims (7.1–7.4) exclude their messages from both rates.
    #[arg(long, value_name = "FILE")]
    pub incidents: Option<PathBuf>,
    /// Contract terms (TOML) deciding which claims are honoured (7.3 notice); default:
    /// agreement 2025-TX17-056.
    #[arg(long, value_name = "FILE")]
    pub terms: Option<PathBuf>,
    /// Skip rows of the records file that cannot be read, listing each one
    /// (file, line, field, reason) after the report; default: stop at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

/// Clauses 7.1–7.4: adds the windows of the incident log's honoured claims to the settings.
fn add_claims(args: &Args, settings: &mut SlaSettings) -> Result<(), CliError> {
    let Some(path) = &args.incidents else {
        return Ok(());
    };
    let config = |e: sms_billing::BillingError| CliError::new(Exit::Config, e.to_string());
    let terms = match &args.terms {
        Some(p) => sms_billing::Terms::load(p).map_err(config)?,
        None => sms_billing::Terms::default(),
    };
    let log = sms_billing::IncidentLog::load(path).map_err(config)?;
    log.check_term(&terms).map_err(config)?;
    settings
        .exemptions
        .extend(sms_billing::exempt::sla_exemptions(&terms, &log));
    Ok(())
}

fn load_settings(path: Option<&PathBuf>) -> Result<SlaSettings, CliError> {
    let Some(path) = path else {
        return Ok(SlaSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            Exit::Config,
            format!("cannot read settings {}: {e}", path.display()),
        )
    })?;
    SlaSettings::from_toml(&text)
        .map_err(|e| CliError::new(Exit::Config, format!("settings {}: {e}", path.display())))
}

/// The month `YYYY-MM` as `[first day 00:00, next month 00:00)` in `zone`.
fn month_range(
    month: &str,
    zone: FixedOffset,
) -> Result<(DateTime<FixedOffset>, DateTime<FixedOffset>), CliError> {
    let bad = || CliError::input(format!("--month `{month}` is not a month such as 2026-03"));
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| bad())?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(bad)?;
    let at = |d: NaiveDate| {
        zone.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .single()
            .ok_or_else(bad)
    };
    Ok((at(first)?, at(next)?))
}

/// Runs `cmpp report`.
pub fn run(args: Args) -> Result<(), CliError> {
    let mut settings = load_settings(args.settings.as_ref())?;
    add_claims(&args, &mut settings)?;
    let (from, until) = month_range(&args.month, settings.utc_offset)?;
    let as_of = match &args.as_of {
        Some(t) => DateTime::parse_from_rfc3339(t.trim())
            .map_err(|e| CliError::input(format!("--as-of `{t}`: {e}")))?
            .to_utc(),
        None => Utc::now(),
    };
    let mut agg = Aggregator::new(&settings, from, until, as_of)
        .map_err(|e| CliError::new(Exit::Config, e.to_string()))?;

    let mut skipped = wiring::SkippedRows::default();
    wiring::feed_records(
        args.records.as_deref(),
        args.journal.as_deref(),
        from.to_utc(),
        until.to_utc(),
        args.skip_bad_rows.then_some(&mut skipped),
        |r| agg.add(r),
    )?;

    let report = agg.report();
    let text = match args.format {
        Format::Md => sms_sla::render::markdown(&report) + &skipped.markdown(),
        Format::Json if args.skip_bad_rows => {
            let mut v =
                serde_json::to_value(&report).map_err(|e| CliError::failure(e.to_string()))?;
            v["skipped_rows"] = skipped.json();
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failure(e.to_string()))? + "\n"
        }
        Format::Json => sms_sla::render::json(&report),
        Format::Html => {
            if skipped.count > 0 {
                eprint!("{}", skipped.markdown());
            }
            sms_sla::render::html(&report)
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(())
}
