//! `cmpp journal reconcile`: closes what a crash left open.
//!
//! A sender killed while SUBMITs were on the wire leaves records whose intent (or write)
//! is journaled and whose response never was: no Msg_Id, `pending`. Their status reports,
//! when they come, are kept as orphans. Once such records are older than the grace period
//! (longer than T × N, so no live sender still waits for them), each is matched to an
//! orphan report by destination and time (the report's Submit_time and its Msg_Id's time)
//! when the match is unique, and otherwise closed as `unknown` with the reason "maybe sent,
//! no response". Records accepted and still without a report past the report deadline are
//! closed as `expired`, as the SLA engine counts them. `cmpp send` runs the same on start.
//! The work is [`sms_sender::reconcile`]; this prints what it matched and closed.

use std::path::PathBuf;

use chrono::{Duration, Utc};
use sms_sender::ReconcileSettings;

use crate::cmd::trace::{journal_err, open_existing, parse_time_arg};
use crate::error::CliError;

/// Options of `cmpp journal reconcile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Journal folder.
    #[arg(long)]
    journal: PathBuf,
    /// Only records first journaled at least this many seconds before "now" are matched or
    /// closed (longer than T × N, so that no running sender still waits for their response).
    #[arg(long, default_value_t = 600)]
    grace_secs: u64,
    /// The contract's report deadline in hours (the SLA setting): accepted records without
    /// a report for longer are closed as expired.
    #[arg(long, default_value_t = 72)]
    report_deadline_hours: u32,
    /// The time taken as "now" (default: the clock); RFC 3339 or YYYY-MM-DD[THH:MM[:SS]].
    #[arg(long)]
    now: Option<String>,
    /// Print what would be matched and closed without writing anything.
    #[arg(long)]
    dry_run: bool,
}

/// Runs `cmpp journal reconcile`; prints JSON (`matched`, `closed`, `ambiguous`, `expired`,
/// `too_recent`, `awaiting_report`, `dry_run`).
pub fn run(args: Args) -> Result<(), CliError> {
    let now = match &args.now {
        Some(v) => parse_time_arg("--now", Some(v))?,
        None => Utc::now(),
    };
    let mut settings = ReconcileSettings::default();
    settings.grace = Duration::seconds(i64::try_from(args.grace_secs).unwrap_or(i64::MAX / 1000));
    settings.report_deadline = Duration::hours(i64::from(args.report_deadline_hours));
    let mut journal = open_existing(&args.journal)?;
    let out =
        sms_sender::reconcile(&mut journal, now, &settings, args.dry_run).map_err(journal_err)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("the outcome serialises")
    );
    Ok(())
}
