//! Trace report (clause 3.11): every event of the messages asked for, with times.

use crate::error::JournalError;
use crate::journal::{Journal, Traced};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sms_records::rfc3339::beijing_string;
use sms_records::{Event, EventKind, Record};
use std::fmt::Write as _;

/// What a trace asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceQuery {
    /// These gateway Msg_Ids.
    MsgIds(Vec<String>),
    /// Messages to this number submitted in `[from, until)`.
    Dest {
        /// Destination number.
        dest: String,
        /// Start of the period.
        from: DateTime<Utc>,
        /// End of the period (excluded).
        until: DateTime<Utc>,
    },
}

/// Clause 3.11: the report on the sending of specific messages.
///
/// Messages asked for but not in the journal are listed in `not_found`, never omitted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceReport {
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// What was asked for.
    pub query: TraceQuery,
    /// The messages found, each with all its events.
    pub messages: Vec<Traced>,
    /// What was asked for and not found (Msg_Ids, or the number and period).
    pub not_found: Vec<String>,
}

impl TraceReport {
    /// Looks the query up in the journal.
    pub fn build(
        journal: &mut Journal,
        query: TraceQuery,
        now: DateTime<Utc>,
    ) -> Result<TraceReport, JournalError> {
        let mut messages: Vec<Traced> = Vec::new();
        let mut not_found = Vec::new();
        match &query {
            TraceQuery::MsgIds(ids) => {
                for id in ids {
                    let found = journal.by_msg_id(id)?;
                    if found.is_empty() {
                        not_found.push(id.clone());
                    }
                    for t in found {
                        // Two Msg_Ids of one message: list it once.
                        if !messages.contains(&t) {
                            messages.push(t);
                        }
                    }
                }
            }
            TraceQuery::Dest { dest, from, until } => {
                messages = journal.by_dest(dest, *from, *until)?;
                if messages.is_empty() {
                    not_found.push(format!(
                        "messages to {dest} from {} until {}",
                        beijing_string(*from),
                        beijing_string(*until)
                    ));
                }
            }
        }
        Ok(TraceReport {
            generated_at: now,
            query,
            messages,
            not_found,
        })
    }

    /// The report as JSON (times in Beijing time, latencies in milliseconds).
    pub fn to_json(&self) -> Value {
        let query = match &self.query {
            TraceQuery::MsgIds(ids) => json!({ "msg_ids": ids }),
            TraceQuery::Dest { dest, from, until } => json!({
                "dest": dest, "from": beijing_string(*from), "until": beijing_string(*until)
            }),
        };
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|t| {
                let r = &t.record;
                json!({
                    "local_id": r.local_id,
                    "msg_id": r.msg_id,
                    "src": r.src,
                    "dest": r.dest,
                    "category": r.category.as_str(),
                    "segment": r.segment,
                    "segments": r.segments,
                    "carrier": r.carrier.as_str(),
                    "submitted_at": r.submitted_at.map(beijing_string),
                    "final_state": r.final_state.as_str(),
                    "cause": cause(r),
                    "detail": r.detail,
                    "response_latency_ms": r.response_latency().map(|d| d.num_milliseconds()),
                    "report_latency_ms": r.report_latency().map(|d| d.num_milliseconds()),
                    "events": t.events.iter().map(|e| json!({
                        "at": beijing_string(e.at),
                        "event": event_name(e),
                        "details": event_details(e),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "clause": "3.11",
            "generated_at": beijing_string(self.generated_at),
            "query": query,
            "messages": messages,
            "not_found": self.not_found,
        })
    }

    /// The report as Markdown (times in Beijing time).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Trace report (clause 3.11)\n");
        let _ = writeln!(
            s,
            "Generated {} (Beijing time).",
            beijing_string(self.generated_at)
        );
        match &self.query {
            TraceQuery::MsgIds(ids) => {
                let _ = writeln!(s, "Asked for Msg_Id {}.\n", ids.join(", "));
            }
            TraceQuery::Dest { dest, from, until } => {
                let _ = writeln!(
                    s,
                    "Asked for messages to {dest} from {} until {}.\n",
                    beijing_string(*from),
                    beijing_string(*until)
                );
            }
        }
        let _ = writeln!(
            s,
            "Found {} message(s); {} not found.\n",
            self.messages.len(),
            self.not_found.len()
        );
        for t in &self.messages {
            let r = &t.record;
            let id = if r.local_id.is_empty() {
                "(unmatched report)"
            } else {
                &r.local_id
            };
            let _ = writeln!(
                s,
                "## Message {id}, Msg_Id {}\n",
                r.msg_id.as_deref().unwrap_or("none")
            );
            let _ = writeln!(
                s,
                "- from {} to {}, {}, segment {}/{}",
                or_dash(&r.src),
                or_dash(&r.dest),
                r.category,
                r.segment,
                r.segments
            );
            let _ = writeln!(s, "- carrier: {} (`{}`)", r.carrier.full_name(), r.carrier);
            let _ = writeln!(s, "- final state: {} (cause: {})", r.final_state, cause(r));
            if let Some(d) = &r.detail {
                let _ = writeln!(s, "- detail: {d}");
            }
            let _ = writeln!(s, "- submit → response: {}", latency(r.response_latency()));
            let _ = writeln!(
                s,
                "- submit → status report: {}\n",
                latency(r.report_latency())
            );
            let _ = writeln!(s, "| time (Beijing) | event | details |\n|---|---|---|");
            for e in &t.events {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    beijing_string(e.at),
                    event_name(e),
                    event_details(e).replace('|', "\\|")
                );
            }
            s.push('\n');
        }
        if !self.not_found.is_empty() {
            let _ = writeln!(s, "## Not found\n");
            for n in &self.not_found {
                let _ = writeln!(s, "- {n}: not in the journal");
            }
        }
        s
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

fn latency(d: Option<chrono::Duration>) -> String {
    match d {
        Some(d) => format!(
            "{} ms ({:.3} s)",
            d.num_milliseconds(),
            d.num_milliseconds() as f64 / 1000.0
        ),
        None => "n/a".into(),
    }
}

/// Who the outcome is attributed to, as an interchange class name.
fn cause(r: &Record) -> &'static str {
    r.report_class
        .or(r
            .resp_class
            .filter(|c| *c != sms_records::CauseClass::Delivered))
        .or(r.resp_class)
        .map_or("none", |c| c.as_str())
}

fn event_name(e: &Event) -> &'static str {
    crate::store::kind_name(&e.kind)
}

fn event_details(e: &Event) -> String {
    match &e.kind {
        EventKind::Sending { info } => format!(
            "intent: {} → {}, {}, segment {}/{}",
            info.src, info.dest, info.category, info.segment, info.segments
        ),
        EventKind::Expired { reason } => reason.clone(),
        EventKind::Submitted { info } => format!(
            "{} → {}, {}, segment {}/{}",
            info.src, info.dest, info.category, info.segment, info.segments
        ),
        EventKind::Resent { attempt } => format!("attempt {attempt}"),
        EventKind::Responded {
            msg_id,
            result,
            class,
        } => format!(
            "result {result}{}, Msg_Id {}",
            class.map(|c| format!(" ({c})")).unwrap_or_default(),
            msg_id.as_deref().unwrap_or("none")
        ),
        EventKind::Reported {
            msg_id,
            stat,
            class,
            origin,
        } => format!(
            "stat {stat}{}, Msg_Id {msg_id}{}",
            class.map(|c| format!(" ({c})")).unwrap_or_default(),
            origin
                .as_ref()
                .map(|o| format!(", to {}", o.dest))
                .unwrap_or_default()
        ),
        EventKind::Failed {
            reason,
            class,
            maybe_accepted,
        } => format!(
            "{reason} ({class}{})",
            if *maybe_accepted {
                ", may have been accepted"
            } else {
                ""
            }
        ),
        EventKind::Refused { check, reason, .. } => format!("{check}: {reason}"),
    }
}
