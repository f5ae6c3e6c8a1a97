//! `cmpp journal reconcile`: closes what a crash left open.
//!
//! A sender killed while SUBMITs were on the wire leaves records that were written and
//! never answered: no Msg_Id, no response, `pending` forever. Once they are older than the
//! grace period (longer than T × N, so no live sender still waits for them), they are
//! closed as `unknown` with the reason "maybe sent, no response". Records accepted and still
//! without a status report are left as they are and counted: the SLA engine already treats
//! those past the report deadline as expired.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sms_records::{CauseClass, Event, EventKind, FinalState, Record};

use crate::cmd::trace::{journal_err, open_existing, parse_time_arg};
use crate::error::CliError;

/// The reason written on every record this closes.
pub const REASON: &str = "maybe sent, no response";

/// Options of `cmpp journal reconcile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Journal folder.
    #[arg(long)]
    journal: PathBuf,
    /// Only records first written at least this many seconds before "now" are closed
    /// (longer than T × N, so that no running sender still waits for their response).
    #[arg(long, default_value_t = 600)]
    grace_secs: u64,
    /// The time taken as "now" (default: the clock); RFC 3339 or YYYY-MM-DD[THH:MM[:SS]].
    #[arg(long)]
    now: Option<String>,
    /// Print what would be closed without writing anything.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Serialize)]
struct Closed {
    local_id: String,
    dest: String,
    submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
struct Outcome {
    /// Written, never answered, now closed as unknown.
    closed: Vec<Closed>,
    /// Written, never answered, too recent to close.
    too_recent: u64,
    /// Accepted and still waiting for a status report (not changed).
    awaiting_report: u64,
    dry_run: bool,
}

/// True for a record that was written to the link and never got a response.
fn in_limbo(r: &Record) -> bool {
    r.final_state == FinalState::Pending && r.msg_id.is_none() && r.responded_at.is_none()
}

/// Runs `cmpp journal reconcile`; prints JSON.
pub fn run(args: Args) -> Result<(), CliError> {
    let now = match &args.now {
        Some(v) => parse_time_arg("--now", Some(v))?,
        None => Utc::now(),
    };
    let cutoff = now - Duration::seconds(i64::try_from(args.grace_secs).unwrap_or(i64::MAX / 1000));
    let mut journal = open_existing(&args.journal)?;
    let mut out = Outcome {
        closed: Vec::new(),
        too_recent: 0,
        awaiting_report: 0,
        dry_run: args.dry_run,
    };
    for r in journal.export(None, None).map_err(journal_err)? {
        let r = r.map_err(journal_err)?;
        if r.final_state == FinalState::Pending && r.msg_id.is_some() {
            out.awaiting_report += 1;
        } else if in_limbo(&r) {
            // A record without a submit time was never written: not ours to guess about.
            match r.submitted_at {
                Some(t) if t <= cutoff => out.closed.push(Closed {
                    local_id: r.local_id,
                    dest: r.dest,
                    submitted_at: r.submitted_at,
                }),
                _ => out.too_recent += 1,
            }
        }
    }
    if !args.dry_run && !out.closed.is_empty() {
        let events: Vec<Event> = out
            .closed
            .iter()
            .map(|c| Event {
                at: now,
                local_id: Some(c.local_id.clone()),
                kind: EventKind::Failed {
                    reason: REASON.into(),
                    class: CauseClass::Unknown,
                    maybe_accepted: true,
                },
            })
            .collect();
        journal.append_batch(&events).map_err(journal_err)?;
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).expect("the outcome serialises")
    );
    Ok(())
}
