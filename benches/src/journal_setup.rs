//! Lifecycle events for the journal benchmarks: submit, response and status report of
//! generated messages, the report carrying only the Msg_Id as from the gateway.

use chrono::{DateTime, TimeZone, Utc};
use sms_records::{beijing, Event, EventKind, FinalState, Record};

/// March 2026 in Beijing time, `[start, end)`: the month of the journal benchmarks.
pub fn march_2026() -> (DateTime<Utc>, DateTime<Utc>) {
    let bj = beijing();
    (
        bj.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap().to_utc(),
        bj.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap().to_utc(),
    )
}

/// The three lifecycle events (submitted, responded, reported) of a delivered record.
///
/// # Panics
/// If the record lacks a submit time, response, Msg_Id or report.
pub fn lifecycle(r: &Record) -> [Event; 3] {
    assert_eq!(r.final_state, FinalState::Delivered, "a delivered record");
    let msg_id = r.msg_id.clone().expect("a Msg_Id");
    let id = Some(r.local_id.clone());
    [
        Event {
            at: r.submitted_at.expect("submitted"),
            local_id: id.clone(),
            kind: EventKind::Submitted {
                info: sms_records::MessageInfo {
                    src: r.src.clone(),
                    dest: r.dest.clone(),
                    category: r.category,
                    segment: r.segment,
                    segments: r.segments,
                    group_id: r.group_id.clone(),
                },
            },
        },
        Event {
            at: r.responded_at.expect("responded"),
            local_id: id,
            kind: EventKind::Responded {
                msg_id: Some(msg_id.clone()),
                result: 0,
                class: r.resp_class,
            },
        },
        Event {
            at: r.reported_at.expect("reported"),
            local_id: None,
            kind: EventKind::Reported {
                msg_id,
                stat: r.report_stat.clone().expect("a report"),
                class: r.report_class,
            },
        },
    ]
}

/// Delivered records over March 2026 (the others are skipped), `n` of them at most.
pub fn delivered_in_march(seed: u64, n: u64) -> impl Iterator<Item = Record> {
    let (from, until) = march_2026();
    crate::gen::RecordGen::new(seed, n + n / 50 + 100, from, until)
        .filter(|r| r.final_state == FinalState::Delivered && r.resends == 0)
        .take(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_folds_back_to_the_record() {
        let records: Vec<Record> = delivered_in_march(3, 500).collect();
        assert_eq!(records.len(), 500);
        for r in &records {
            let events = lifecycle(r);
            let folded = sms_records::fold(&events);
            assert_eq!(folded.final_state, FinalState::Delivered);
            assert_eq!(folded.msg_id, r.msg_id);
            assert_eq!(folded.reported_at, r.reported_at);
            assert_eq!(folded.dest, r.dest);
        }
    }
}
