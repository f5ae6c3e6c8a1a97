//! Reconciliation of what a crash left open: matching orphan reports, closing the rest.

use chrono::{DateTime, Duration, TimeZone, Utc};
use cmpp_codec::MsgId;
use sms_journal::{Journal, JournalOptions};
use sms_records::{
    beijing, Category, Event, EventKind, FinalState, MessageInfo, Record, ReportOrigin,
};
use sms_sender::reconcile::MAYBE_SENT;
use sms_sender::{reconcile, ReconcileSettings};

fn bj(d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    beijing()
        .with_ymd_and_hms(2026, 3, d, h, mi, s)
        .unwrap()
        .with_timezone(&Utc)
}

fn info(dest: &str) -> MessageInfo {
    MessageInfo {
        src: "1065800".into(),
        dest: dest.into(),
        category: Category::Notice,
        segment: 1,
        segments: 1,
        group_id: Some("g".into()),
        carrier: sms_records::Carrier::ChinaMobile,
    }
}

fn ev(id: Option<&str>, at: DateTime<Utc>, kind: EventKind) -> Event {
    Event {
        at,
        local_id: id.map(Into::into),
        kind,
    }
}

fn sending(id: &str, dest: &str, at: DateTime<Utc>) -> Event {
    ev(Some(id), at, EventKind::Sending { info: info(dest) })
}

/// A status report nobody claims, as the gateway sends it for a SUBMIT made at `at`.
fn orphan_report(dest: &str, at: DateTime<Utc>, seq: u16) -> (Event, String) {
    let b = sms_records::to_beijing(at + Duration::seconds(1));
    use chrono::{Datelike, Timelike};
    let id = MsgId::from_parts(
        b.month() as u8,
        b.day() as u8,
        b.hour() as u8,
        b.minute() as u8,
        b.second() as u8,
        77,
        seq,
    )
    .unwrap();
    let digits = id.to_digits();
    let e = ev(
        None,
        at + Duration::seconds(30),
        EventKind::Reported {
            msg_id: digits.clone(),
            stat: "DELIVRD".into(),
            class: None,
            origin: Some(ReportOrigin {
                dest: format!("86{dest}"),
                src: None,
                submitted_at: Some(sms_records::to_beijing(at).with_second(0).unwrap().to_utc()),
            }),
        },
    );
    (e, digits)
}

fn journal(dir: &std::path::Path) -> Journal {
    Journal::open(dir, JournalOptions::default().with_full_sync(false)).unwrap()
}

fn record(j: &mut Journal, id: &str) -> Record {
    j.by_local_id(id).unwrap().unwrap().record
}

#[test]
fn an_unanswered_record_takes_the_one_orphan_report_that_fits_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(10, 9, 0, 12);
    let (report, msg_id) = orphan_report("13800000001", t, 1);
    // One intent only (killed before the write was journaled), one written and unanswered,
    // a report for the first; and a report for another number.
    j.append_batch(&[
        sending("A", "13800000001", t),
        sending("B", "13800000002", t + Duration::minutes(20)),
        ev(
            Some("B"),
            t + Duration::minutes(20),
            EventKind::Submitted {
                info: info("13800000002"),
            },
        ),
        report.clone(),
        orphan_report("13900000000", t, 2).0,
    ])
    .unwrap();
    let now = t + Duration::hours(1);
    let dry = reconcile(&mut j, now, &ReconcileSettings::default(), true).unwrap();
    assert!(dry.dry_run && dry.changed_anything());
    assert_eq!(
        record(&mut j, "A").final_state,
        FinalState::Pending,
        "dry run"
    );

    let out = reconcile(&mut j, now, &ReconcileSettings::default(), false).unwrap();
    assert_eq!(out.matched.len(), 1, "{out:?}");
    assert_eq!(out.matched[0].local_id, "A");
    assert_eq!(out.matched[0].msg_id, msg_id);
    assert_eq!(
        out.closed
            .iter()
            .map(|c| c.local_id.as_str())
            .collect::<Vec<_>>(),
        ["B"]
    );
    assert_eq!(out.ambiguous, 0);
    let a = record(&mut j, "A");
    assert_eq!(a.final_state, FinalState::Delivered);
    assert_eq!(a.msg_id.as_deref(), Some(msg_id.as_str()));
    assert_eq!(a.submitted_at, Some(t));
    assert_eq!(a.reported_at, Some(report.at));
    assert_eq!(
        j.by_local_id("A").unwrap().unwrap().events.len(),
        4,
        "sending, submitted, responded, reported: the report once"
    );
    let b = record(&mut j, "B");
    assert_eq!(b.final_state, FinalState::Unknown);
    assert_eq!(b.detail.as_deref(), Some(MAYBE_SENT));
    // The adopted report is no orphan any more; the other one still is.
    assert_eq!(
        j.orphans_between(t - Duration::days(1), now).unwrap().len(),
        1
    );
    // A second run finds nothing more to do.
    let again = reconcile(&mut j, now, &ReconcileSettings::default(), false).unwrap();
    assert!(!again.changed_anything(), "{again:?}");
}

#[test]
fn two_records_that_one_report_could_fit_are_both_closed_as_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(10, 9, 0, 12);
    j.append_batch(&[
        sending("A", "13800000001", t),
        sending("B", "13800000001", t + Duration::seconds(1)),
        orphan_report("13800000001", t, 1).0,
    ])
    .unwrap();
    let out = reconcile(
        &mut j,
        t + Duration::hours(1),
        &ReconcileSettings::default(),
        false,
    )
    .unwrap();
    assert!(out.matched.is_empty(), "{out:?}");
    assert_eq!((out.closed.len(), out.ambiguous), (2, 2));
    assert_eq!(record(&mut j, "A").final_state, FinalState::Unknown);
}

#[test]
fn a_report_whose_times_disagree_is_not_matched_and_recent_records_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(10, 9, 0, 12);
    // The report is for a SUBMIT an hour later than the record's intent.
    j.append_batch(&[
        sending("A", "13800000001", t),
        orphan_report("13800000001", t + Duration::hours(1), 1).0,
        sending("C", "13800000003", t + Duration::hours(2)),
    ])
    .unwrap();
    let out = reconcile(
        &mut j,
        t + Duration::hours(2) + Duration::minutes(5),
        &ReconcileSettings::default(),
        false,
    )
    .unwrap();
    assert!(out.matched.is_empty(), "{out:?}");
    assert_eq!(out.closed.len(), 1);
    assert_eq!(out.too_recent, 1, "C is within the grace period");
    assert_eq!(record(&mut j, "C").final_state, FinalState::Pending);
}

#[test]
fn accepted_records_without_a_report_past_the_deadline_close_as_the_sla_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(10, 9, 0, 0);
    let accepted = |id: &str, at: DateTime<Utc>, msg: &str| {
        vec![
            sending(id, "13800000001", at),
            ev(
                Some(id),
                at,
                EventKind::Submitted {
                    info: info("13800000001"),
                },
            ),
            ev(
                Some(id),
                at + Duration::milliseconds(40),
                EventKind::Responded {
                    msg_id: Some(msg.into()),
                    result: 0,
                    class: None,
                },
            ),
        ]
    };
    let mut events = accepted("OLD", t, "M1");
    events.extend(accepted("NEW", t + Duration::hours(70), "M2"));
    j.append_batch(&events).unwrap();
    let now = t + Duration::hours(73);
    let settings = sms_sla::SlaSettings::default();
    let classifier = sms_sla::Classifier::new(&settings, now);
    let before = classifier.classify(&record(&mut j, "OLD"));

    let out = reconcile(&mut j, now, &ReconcileSettings::default(), false).unwrap();
    assert_eq!(
        out.expired
            .iter()
            .map(|c| c.local_id.as_str())
            .collect::<Vec<_>>(),
        ["OLD"]
    );
    assert_eq!(out.awaiting_report, 1);
    let old = record(&mut j, "OLD");
    assert_eq!(old.final_state, FinalState::Expired);
    assert!(old.detail.as_deref().unwrap().contains("72 h"), "{old:?}");
    // The SLA engine counted it the same way before it was closed, and after.
    assert_eq!(classifier.classify(&old), before);
    assert!(
        matches!(
            before,
            sms_sla::Outcome::Counted(sms_sla::Counted {
                failure: Some(sms_sla::Failure {
                    kind: sms_sla::FailureKind::NoReport,
                    ..
                }),
                ..
            })
        ),
        "{before:?}"
    );
    assert_eq!(record(&mut j, "NEW").final_state, FinalState::Pending);
}

/// `orphan_report` with the SP number the report's Dest_Id names.
fn orphan_report_from(src: &str, dest: &str, at: DateTime<Utc>, seq: u16) -> Event {
    let (mut e, _) = orphan_report(dest, at, seq);
    if let EventKind::Reported {
        origin: Some(o), ..
    } = &mut e.kind
    {
        o.src = Some(src.into());
    }
    e
}

#[test]
fn a_report_from_another_sp_number_is_not_matched_and_a_cut_extension_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(11, 9, 0, 12);
    j.append_batch(&[
        sending("X", "13800000011", t),
        sending("Y", "13800000012", t),
        // Another SP number: not this record's report.
        orphan_report_from("1065999", "13800000011", t, 11),
        // The access number without the record's extension: the same calling number.
        orphan_report_from("10658", "13800000012", t, 12),
    ])
    .unwrap();
    let out = reconcile(
        &mut j,
        t + Duration::hours(1),
        &ReconcileSettings::default(),
        false,
    )
    .unwrap();
    let matched: Vec<&str> = out.matched.iter().map(|m| m.local_id.as_str()).collect();
    assert_eq!(matched, ["Y"], "{out:?}");
    assert_eq!(record(&mut j, "X").final_state, FinalState::Unknown);
    assert_eq!(record(&mut j, "Y").final_state, FinalState::Delivered);
}
