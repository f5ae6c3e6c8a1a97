//! Small pieces of wiring shared by the subcommands.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;

use cmpp_codec::Version;
use cmpp_session::LoginError;
use sms_journal::{Journal, JournalOptions, JournalWriter};

use crate::error::{CliError, Exit};

/// A multi-threaded tokio runtime.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

/// Logs to stderr at `info` unless `RUST_LOG` says otherwise.
pub fn init_logging(default: &str) {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .try_init();
}

/// `2.0` or `3.0`.
pub fn parse_version(s: &str) -> Result<Version, String> {
    match s.trim() {
        "2.0" | "2" | "2.1" => Ok(Version::V20),
        "3.0" | "3" => Ok(Version::V30),
        other => Err(format!("unknown CMPP version '{other}': use 2.0 or 3.0")),
    }
}

/// Resolves `host:port`.
pub fn resolve(addr: &str) -> Result<SocketAddr, CliError> {
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            CliError::new(
                Exit::Unreachable,
                format!("gateway address '{addr}' cannot be resolved (use host:port)"),
            )
        })
}

/// Opens (creating if needed) a journal folder and starts its writer.
pub fn open_journal(dir: &Path) -> Result<(JournalWriter, Journal), CliError> {
    let err = |e: &dyn std::fmt::Display| {
        CliError::new(
            Exit::Journal,
            format!("journal folder {} cannot be written: {e}", dir.display()),
        )
    };
    let journal = Journal::open(dir, JournalOptions::default()).map_err(|e| err(&e))?;
    // A second handle for reading back after the run (reports, counts).
    let reader = Journal::open(dir, JournalOptions::default()).map_err(|e| err(&e))?;
    let writer = JournalWriter::spawn(journal, 65_536).map_err(|e| err(&e))?;
    Ok((writer, reader))
}

/// A failed login as a user-facing error: unreachable (4) or refused (5), with the reason.
pub fn login_error(e: LoginError, gateway: SocketAddr) -> CliError {
    match e {
        LoginError::Unreachable(io) => CliError::new(
            Exit::Unreachable,
            format!("gateway {gateway} is unreachable: {io}"),
        ),
        LoginError::Timeout => CliError::new(
            Exit::Unreachable,
            format!("gateway {gateway} did not answer the login in time"),
        ),
        // Our refusal, not the gateway's: say whose fault it is.
        e @ LoginError::BadAuthenticatorIsmg(_) => {
            CliError::new(Exit::LoginRefused, format!("gateway {gateway}: {e}"))
        }
        other => CliError::new(
            Exit::LoginRefused,
            format!("gateway {gateway} refused the login: {other}"),
        ),
    }
}

/// Rows of a record file that could not be read and were skipped (`--skip-bad-rows`).
#[derive(Debug, Default)]
pub struct SkippedRows {
    /// One entry per skipped row, up to [`SkippedRows::LISTED`].
    pub rows: Vec<SkippedRow>,
    /// Every skipped row, listed or not.
    pub count: u64,
}

/// One skipped row: where it is and why it was refused.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SkippedRow {
    /// The record file.
    pub file: String,
    /// Line in the file (from 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl SkippedRows {
    /// Most rows listed one by one; beyond it they are only counted, so a file
    /// of garbage cannot exhaust memory.
    pub const LISTED: usize = 100_000;

    /// Files a row error, or hands back an error that is not about one row.
    pub fn take(
        &mut self,
        path: &Path,
        e: sms_records::RecordsError,
    ) -> Result<(), sms_records::RecordsError> {
        use sms_records::RecordsError as E;
        let (line, field, reason) = match e {
            E::Field {
                line,
                field,
                message,
            } => (line, field.to_string(), message),
            E::Row { line, message } => (line, String::new(), message),
            other => return Err(other),
        };
        self.count += 1;
        if self.rows.len() < Self::LISTED {
            self.rows.push(SkippedRow {
                file: path.display().to_string(),
                line,
                field,
                reason,
            });
        }
        Ok(())
    }

    /// The rows as Markdown (nothing when no row was skipped).
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        if self.count == 0 {
            return o;
        }
        let _ = writeln!(
            o,
            "\n## Skipped rows (--skip-bad-rows): {}\n\n| file | line | field | reason |\n|---|---:|---|---|",
            self.count
        );
        for r in &self.rows {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                r.file,
                r.line,
                r.field,
                r.reason.replace('|', "\\|").replace('\n', " ")
            );
        }
        if self.count > self.rows.len() as u64 {
            let _ = writeln!(
                o,
                "\n{} more skipped rows are not listed.",
                self.count - self.rows.len() as u64
            );
        }
        o
    }

    /// The rows as CSV lines `skipped,,FILE:LINE,FIELD,REASON` after a statement.
    pub fn csv(&self) -> String {
        let mut o = String::new();
        let q = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        for r in &self.rows {
            o.push_str(&format!(
                "skipped row,,{},{},{}\n",
                q(&format!("{}:{}", r.file, r.line)),
                q(&r.field),
                q(&r.reason)
            ));
        }
        if self.count > 0 {
            o.push_str(&format!("skipped row,,total,{},\n", self.count));
        }
        o
    }

    /// The rows as a JSON value: `{"count": N, "rows": [...]}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "count": self.count, "rows": self.rows })
    }
}

/// Streams the records of `[from, until)` from a records file (CSV or JSON Lines) or from a
/// journal folder into `each`, in constant memory. A missing journal folder is an error, not
/// created: reading must not leave an empty journal behind.
/// With `skip`, rows of a records file that cannot be read are filed there instead of
/// ending the run. Every error names the file.
pub fn feed_records(
    records: Option<&Path>,
    journal: Option<&Path>,
    from: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    skip: Option<&mut SkippedRows>,
    each: impl FnMut(&sms_records::Record),
) -> Result<(), CliError> {
    feed_carrier_records(records, journal, from, until, None, skip, each)
}

/// [`feed_records`] for one carrier's records only (all of them when `carrier` is `None`).
pub fn feed_carrier_records(
    records: Option<&Path>,
    journal: Option<&Path>,
    from: chrono::DateTime<chrono::Utc>,
    until: chrono::DateTime<chrono::Utc>,
    carrier: Option<sms_records::Carrier>,
    mut skip: Option<&mut SkippedRows>,
    mut each: impl FnMut(&sms_records::Record),
) -> Result<(), CliError> {
    if let Some(path) = records {
        let bad = |e: &dyn std::fmt::Display| CliError::input(format!("{}: {e}", path.display()));
        for r in sms_records::open_records(path).map_err(|e| bad(&e))? {
            match (r, skip.as_deref_mut()) {
                (Ok(r), _) if !matches!(carrier, Some(c) if c != r.carrier) => each(&r),
                (Ok(_), _) => {}
                (Err(e), Some(s)) => s.take(path, e).map_err(|e| bad(&e))?,
                (Err(e), None) => return Err(bad(&e)),
            }
        }
    } else if let Some(dir) = journal {
        if !dir.is_dir() {
            return Err(CliError::new(
                Exit::Journal,
                format!("journal folder {} does not exist", dir.display()),
            ));
        }
        let bad = |e: sms_journal::JournalError| {
            CliError::new(Exit::Journal, format!("{}: {e}", dir.display()))
        };
        let journal = Journal::open(dir, JournalOptions::default()).map_err(bad)?;
        let mut export = journal.export(Some(from), Some(until)).map_err(bad)?;
        if let Some(c) = carrier {
            export = export.for_carrier(c);
        }
        for r in export {
            each(&r.map_err(bad)?);
        }
    }
    Ok(())
}
