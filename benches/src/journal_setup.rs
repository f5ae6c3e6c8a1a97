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
/// If the record lacks a submit time, response, Msg_Id or report, or has resends.
pub fn lifecycle(r: &Record) -> [Event; 3] {
    assert_eq!(r.final_state, FinalState::Delivered, "a delivered record");
    let events: [Event; 3] = sms_journal::synth::events_of_record(r)
        .try_into()
        .expect("submit, response and report of a record without resends");
    let [submit, response, mut report] = events;
    assert!(
        matches!(&report.kind, EventKind::Reported { msg_id, .. } if !msg_id.is_empty()),
        "a report with its Msg_Id"
    );
    // As from the gateway: the report knows the Msg_Id, not the SP's local id.
    report.local_id = None;
    [submit, response, report]
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
