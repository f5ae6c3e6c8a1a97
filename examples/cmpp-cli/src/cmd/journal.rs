//! `cmpp journal`: prune, export and import a journal folder.

use crate::cmd::trace::{journal_err, open_existing, parse_time_arg};
use crate::error::{CliError, Exit};
use crate::wiring::SkippedRows;
use chrono::Utc;
use sms_journal::{Journal, JournalOptions, CONTRACT_MIN_KEEP_MONTHS, DEFAULT_KEEP_MONTHS};
use sms_records::{Format, ReaderOptions, RecordSink};
use std::io::Write;
use std::path::PathBuf;

/// Record file format named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// CSV with the interchange header.
    Csv,
    /// JSON Lines.
    Jsonl,
}

impl From<FileFormat> for Format {
    fn from(f: FileFormat) -> Format {
        match f {
            FileFormat::Csv => Format::Csv,
            FileFormat::Jsonl => Format::Jsonl,
        }
    }
}

/// Subcommands of `cmpp journal`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Settle records a crashed sender left unanswered: match them to their orphan reports,
    /// else close them ("maybe sent, no response"); close accepted records past the report
    /// deadline as expired.
    Reconcile(crate::cmd::reconcile::Args),
    /// List the messages users sent (MO, e.g. opt-out replies) received in a period, as
    /// JSON Lines in time order.
    Inbound {
        /// Journal folder.
        #[arg(long)]
        journal: PathBuf,
        /// Start: RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in Beijing time (default: the first).
        #[arg(long)]
        from: Option<String>,
        /// End (excluded), same forms as --from (default: no end).
        #[arg(long)]
        until: Option<String>,
    },
    /// Clause 2.7: delete month files older than the retention (the current month is always kept).
    Prune {
        /// Journal folder.
        #[arg(long)]
        journal: PathBuf,
        /// Months kept before the current one (Beijing time); clause 2.7 requires at least 6.
        #[arg(long, default_value_t = DEFAULT_KEEP_MONTHS)]
        keep_months: u32,
        /// Allow --keep-months below clause 2.7's minimum of 6 (e.g. a test journal).
        #[arg(long)]
        below_contract_minimum: bool,
        /// The time taken as "now" (default: the clock); same forms as export's --from.
        #[arg(long)]
        now: Option<String>,
    },
    /// Write the records of a period as CSV or JSON Lines, in submit order.
    Export {
        /// Journal folder.
        #[arg(long)]
        journal: PathBuf,
        /// Start: RFC 3339, or YYYY-MM-DD[THH:MM[:SS]] in Beijing time.
        #[arg(long)]
        from: Option<String>,
        /// End (excluded), same forms as --from.
        #[arg(long)]
        until: Option<String>,
        /// Output format (default: by --out extension, else CSV).
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read records from a CSV or JSON Lines file into the journal.
    Import {
        /// Journal folder (created if missing).
        #[arg(long)]
        journal: PathBuf,
        /// Record file.
        file: PathBuf,
        /// Input format (default: by extension).
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// Skip rows that cannot be read, listing each one (file, line, field,
        /// reason); default: stop at the first and import nothing more.
        #[arg(long)]
        skip_bad_rows: bool,
    },
}

/// Runs `cmpp journal`.
pub fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Reconcile(args) => crate::cmd::reconcile::run(args),
        Command::Inbound {
            journal,
            from,
            until,
        } => {
            let from = match from {
                Some(v) => parse_time_arg("--from", Some(&v))?,
                None => chrono::DateTime::<Utc>::MIN_UTC,
            };
            let until = match until {
                Some(v) => parse_time_arg("--until", Some(&v))?,
                None => chrono::DateTime::<Utc>::MAX_UTC,
            };
            let mut j = open_existing(&journal)?;
            let messages = j.inbound_between(from, until).map_err(journal_err)?;
            let mut out = std::io::stdout().lock();
            for m in messages {
                let line = serde_json::to_string(&m).expect("an inbound message serialises");
                writeln!(out, "{line}")
                    .map_err(|e| CliError::failure(format!("cannot write: {e}")))?;
            }
            Ok(())
        }
        Command::Prune {
            journal,
            keep_months,
            below_contract_minimum,
            now,
        } => {
            let now = match now {
                Some(v) => parse_time_arg("--now", Some(&v))?,
                None => Utc::now(),
            };
            // Clause 2.7: refused before the journal is even opened.
            if keep_months < CONTRACT_MIN_KEEP_MONTHS && !below_contract_minimum {
                return Err(CliError::input(format!(
                    "--keep-months {keep_months}: clause 2.7 requires keeping the sending logs of at least the latest {CONTRACT_MIN_KEEP_MONTHS} months; nothing was deleted (add --below-contract-minimum to go below it)"
                )));
            }
            let mut j = open_existing(&journal)?;
            let report = if below_contract_minimum {
                j.prune_below_contract_minimum(now, keep_months)
            } else {
                j.prune(now, keep_months)
            }
            .map_err(journal_err)?;
            for r in &report.removed {
                println!(
                    "removed {} ({}): {} messages, {} events",
                    r.path.display(),
                    r.month,
                    r.messages,
                    r.events
                );
            }
            match (report.kept.first(), report.kept.last()) {
                (Some(a), Some(b)) => println!("kept {} month(s): {a} .. {b}", report.kept.len()),
                _ => println!("kept 0 month(s)"),
            }
            println!("removed {} month file(s)", report.removed.len());
            Ok(())
        }
        Command::Export {
            journal,
            from,
            until,
            format,
            out,
        } => {
            let j = open_existing(&journal)?;
            let from = from
                .map(|v| parse_time_arg("--from", Some(&v)))
                .transpose()?;
            let until = until
                .map(|v| parse_time_arg("--until", Some(&v)))
                .transpose()?;
            let format: Format = match (format, &out) {
                (Some(f), _) => f.into(),
                (None, Some(p)) => Format::from_path(p).unwrap_or(Format::Csv),
                (None, None) => Format::Csv,
            };
            let records = j.export(from, until).map_err(journal_err)?;
            let sink: Box<dyn Write> =
                match &out {
                    Some(p) => Box::new(std::fs::File::create(p).map_err(|e| {
                        CliError::input(format!("cannot create {}: {e}", p.display()))
                    })?),
                    None => Box::new(std::io::stdout().lock()),
                };
            let out_err = |e: sms_records::RecordsError| CliError::failure(e.to_string());
            let mut w = RecordSink::new(std::io::BufWriter::with_capacity(1 << 16, sink), format)
                .map_err(out_err)?;
            let mut n = 0u64;
            for r in records {
                w.write(&r.map_err(journal_err)?).map_err(out_err)?;
                n += 1;
            }
            w.finish().map_err(out_err)?;
            eprintln!("exported {n} record(s)");
            Ok(())
        }
        Command::Import {
            journal,
            file,
            format,
            skip_bad_rows,
        } => {
            let in_file =
                |e: &dyn std::fmt::Display| CliError::input(format!("{}: {e}", file.display()));
            let records = sms_records::open_records_with(
                &file,
                format.map(Into::into),
                ReaderOptions::default(),
            )
            .map_err(|e| in_file(&e))?;
            let mut j = Journal::open(&journal, JournalOptions::default())
                .map_err(|e| CliError::new(Exit::Journal, e.to_string()))?;
            let mut skipped = SkippedRows::default();
            let rows = records.filter_map(|r| match r {
                Err(e) if skip_bad_rows => match skipped.take(&file, e) {
                    Ok(()) => None,
                    Err(e) => Some(Err(e)),
                },
                other => Some(other),
            });
            let n = j.import(rows).map_err(|e| match e {
                sms_journal::JournalError::Records(e) => in_file(&e),
                other => journal_err(other),
            })?;
            println!("imported {n} record(s) into {}", journal.display());
            if skip_bad_rows {
                print!("{}", skipped.markdown());
                println!("skipped {} row(s)", skipped.count);
            }
            Ok(())
        }
    }
}
