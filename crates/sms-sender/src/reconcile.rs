//! Reconciliation: closes what a crash left open, so that nothing stays pending forever.
//!
//! A sender killed while SUBMITs were on the wire leaves records whose intent (`sending`)
//! or write (`submitted`) is journaled and whose response never was: no Msg_Id, `pending`.
//! Their status reports, when they come, match no Msg_Id and are kept as orphans. This
//! matches each such record to an orphan report by destination (and Src_Id when the report
//! carries it) and time (the report's Submit_time and the time in its Msg_Id, both within
//! the allowed clock skew of the record's intent) when the match is unique both ways, and
//! closes the others as `unknown` ("maybe sent, no response"). Records accepted and still
//! without a report past the report deadline are closed as `expired`, the way the SLA
//! engine counts them (a failure with no report).

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use cmpp_codec::MsgId;
use serde::Serialize;
use sms_journal::{Journal, JournalError};
use sms_records::{CauseClass, Event, EventKind, MessageInfo, Record, ReportOrigin};

use crate::mapping;

/// The reason written on every record closed without a match.
pub const MAYBE_SENT: &str = "maybe sent, no response";

/// How [`reconcile`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReconcileSettings {
    /// Records whose intent is more recent than this are left alone (longer than T × N, so
    /// that no running sender still waits for their response).
    pub grace: Duration,
    /// The contract's report deadline (72 h by default, as the SLA settings).
    pub report_deadline: Duration,
    /// Clock difference allowed between the sender and the gateway when matching times.
    pub skew: Duration,
    /// Only records first journaled at or after this time are looked at (`None`: all).
    pub since: Option<DateTime<Utc>>,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        ReconcileSettings {
            grace: Duration::seconds(600),
            report_deadline: Duration::hours(72),
            skew: Duration::minutes(5),
            since: None,
        }
    }
}

/// A record given the orphan report that matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// The record.
    pub local_id: String,
    /// Its destination.
    pub dest: String,
    /// The Msg_Id the report carries, now the record's.
    pub msg_id: String,
    /// The report's state.
    pub stat: String,
}

/// A record closed by the reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closed {
    /// The record.
    pub local_id: String,
    /// Its destination.
    pub dest: String,
    /// When it was written (or, if never known to be written, when its intent was).
    pub at: DateTime<Utc>,
}

/// What [`reconcile`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Reconciliation {
    /// Unanswered records matched to an orphan report (now answered and reported).
    pub matched: Vec<Matched>,
    /// Unanswered records with no unique match: closed as `unknown`.
    pub closed: Vec<Closed>,
    /// Of `closed`, those with more than one possible report, or sharing one.
    pub ambiguous: u64,
    /// Accepted records with no report past the report deadline: closed as `expired`.
    pub expired: Vec<Closed>,
    /// Unanswered records too recent to touch.
    pub too_recent: u64,
    /// Accepted records still within the report deadline (left as they are).
    pub awaiting_report: u64,
    /// Nothing was written.
    pub dry_run: bool,
}

impl Reconciliation {
    /// Whether it changed (or, in a dry run, would change) any record.
    pub fn changed_anything(&self) -> bool {
        !(self.matched.is_empty() && self.closed.is_empty() && self.expired.is_empty())
    }
}

/// An unanswered record and the time of its intent (its first event).
struct Limbo {
    record: Record,
    at: DateTime<Utc>,
}

/// An orphan status report with what it says about its message.
struct Orphan<'a> {
    event: &'a Event,
    msg_id: &'a str,
    stat: &'a str,
    origin: &'a ReportOrigin,
    msg_id_time: Option<DateTime<Utc>>,
}

/// Reconciles the journal as of `now` (see the module documentation); with `dry_run`,
/// reports what it would do and writes nothing.
pub fn reconcile(
    journal: &mut Journal,
    now: DateTime<Utc>,
    settings: &ReconcileSettings,
    dry_run: bool,
) -> Result<Reconciliation, JournalError> {
    let mut out = Reconciliation {
        dry_run,
        ..Reconciliation::default()
    };
    let cutoff = now
        .checked_sub_signed(settings.grace)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut limbo = Vec::new();
    let mut expired_events = Vec::new();
    for r in journal.pending_between(settings.since, None)? {
        if r.resp_result == Some(0) && r.reported_at.is_none() {
            // The write's time; a record whose `submitted` event was lost has its response's.
            match r.submitted_at.or(r.responded_at) {
                Some(sub) if now.signed_duration_since(sub) > settings.report_deadline => {
                    expired_events.push(Event {
                        at: now,
                        local_id: Some(r.local_id.clone()),
                        kind: EventKind::Expired {
                            reason: format!(
                                "no status report within the report deadline ({} h)",
                                settings.report_deadline.num_hours()
                            ),
                        },
                    });
                    out.expired.push(Closed {
                        local_id: r.local_id,
                        dest: r.dest,
                        at: sub,
                    });
                }
                _ => out.awaiting_report += 1,
            }
        } else if r.msg_id.is_none() && r.responded_at.is_none() {
            // The intent's time: the first event (for a record written, its submit).
            let Some(at) = journal
                .by_local_id(&r.local_id)?
                .and_then(|t| t.events.first().map(|e| e.at))
            else {
                continue;
            };
            if at <= cutoff {
                limbo.push(Limbo { record: r, at });
            } else {
                out.too_recent += 1;
            }
        }
    }

    let mut events = expired_events;
    if let Some(earliest) = limbo.iter().map(|l| l.at).min() {
        let orphans =
            journal.orphans_between(earliest - settings.skew, now + Duration::seconds(1))?;
        let orphans: Vec<Orphan<'_>> = orphans.iter().filter_map(orphan).collect();
        let candidates: Vec<Vec<usize>> = limbo
            .iter()
            .map(|l| {
                orphans
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| matches(l, o, settings.skew))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let mut claims: HashMap<usize, u32> = HashMap::new();
        for c in &candidates {
            for i in c {
                *claims.entry(*i).or_default() += 1;
            }
        }
        for (l, c) in limbo.iter().zip(&candidates) {
            let r = &l.record;
            match c.as_slice() {
                [i] if claims[i] == 1 => {
                    let o = &orphans[*i];
                    events.extend(adopt(l, o));
                    out.matched.push(Matched {
                        local_id: r.local_id.clone(),
                        dest: r.dest.clone(),
                        msg_id: o.msg_id.to_string(),
                        stat: o.stat.to_string(),
                    });
                }
                other => {
                    if !other.is_empty() {
                        out.ambiguous += 1;
                    }
                    events.push(Event {
                        at: now,
                        local_id: Some(r.local_id.clone()),
                        kind: EventKind::Failed {
                            reason: MAYBE_SENT.into(),
                            class: CauseClass::Unknown,
                            maybe_accepted: true,
                        },
                    });
                    out.closed.push(Closed {
                        local_id: r.local_id.clone(),
                        dest: r.dest.clone(),
                        at: r.submitted_at.unwrap_or(l.at),
                    });
                }
            }
        }
    }
    if !dry_run && !events.is_empty() {
        journal.append_batch(&events)?;
    }
    Ok(out)
}

fn orphan(e: &Event) -> Option<Orphan<'_>> {
    match &e.kind {
        EventKind::Reported {
            msg_id,
            stat,
            origin: Some(origin),
            ..
        } => Some(Orphan {
            event: e,
            msg_id,
            stat,
            origin,
            msg_id_time: msg_id
                .parse::<MsgId>()
                .ok()
                .and_then(|m| mapping::msg_id_time(m, e.at)),
        }),
        _ => None,
    }
}

/// Whether an orphan report may be the one of an unanswered record: same destination
/// (and Src_Id when the report has it), after the intent, and at least one of its times
/// (Submit_time, to the minute; the Msg_Id's, to the second) agreeing with the intent,
/// none disagreeing.
fn matches(l: &Limbo, o: &Orphan<'_>, skew: Duration) -> bool {
    let r = &l.record;
    if national(&o.origin.dest) != national(&r.dest) {
        return false;
    }
    // A gateway may cut the SP's extension from the Dest_Id it reports: one number
    // extending the other is the same calling number.
    if o.origin
        .src
        .as_deref()
        .is_some_and(|s| !(r.src.starts_with(s) || s.starts_with(r.src.as_str())))
    {
        return false;
    }
    if o.event.at < l.at - skew {
        return false;
    }
    let minute = l.at.duration_trunc(Duration::minutes(1)).unwrap_or(l.at);
    let by_submit_time = o
        .origin
        .submitted_at
        .map(|t| t >= minute - skew && t <= l.at + skew);
    let by_msg_id = o.msg_id_time.map(|t| t >= l.at - skew && t <= l.at + skew);
    match (by_submit_time, by_msg_id) {
        (None, None) => false,
        (a, b) => a.unwrap_or(true) && b.unwrap_or(true),
    }
}

/// A mobile number without its country code.
fn national(n: &str) -> &str {
    let n = n.trim_start_matches('+');
    match n.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest,
        _ => n,
    }
}

/// The events that give record `l` the orphan report `o`: its write (if not journaled),
/// an accepting response with the report's Msg_Id (at the Msg_Id's time: when the gateway
/// took it), and the report itself.
fn adopt(l: &Limbo, o: &Orphan<'_>) -> Vec<Event> {
    let r = &l.record;
    let id = Some(r.local_id.clone());
    let mut out = Vec::new();
    let written = r.submitted_at.unwrap_or(l.at);
    if r.submitted_at.is_none() {
        out.push(Event {
            at: l.at,
            local_id: id.clone(),
            kind: EventKind::Submitted {
                info: MessageInfo {
                    src: r.src.clone(),
                    dest: r.dest.clone(),
                    category: r.category,
                    segment: r.segment,
                    segments: r.segments,
                    group_id: r.group_id.clone(),
                    carrier: sms_records::Carrier::ChinaMobile,
                },
            },
        });
    }
    let responded = o
        .msg_id_time
        .filter(|t| *t >= written && *t <= o.event.at)
        .unwrap_or(written);
    out.push(Event {
        at: responded,
        local_id: id.clone(),
        kind: EventKind::Responded {
            msg_id: Some(o.msg_id.to_string()),
            result: 0,
            class: Some(CauseClass::Delivered),
        },
    });
    // The response adopts the orphan in its own month file; the copy covers a report kept
    // in another month (a replay of the same event is recognised and skipped).
    out.push(Event {
        at: o.event.at,
        local_id: id,
        kind: o.event.kind.clone(),
    });
    out
}
