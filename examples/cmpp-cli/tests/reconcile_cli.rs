//! `cmpp journal reconcile`: records a crash left written and unanswered are closed as
//! "maybe sent, no response"; accepted ones awaiting a report are left alone.

use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use sms_journal::{Journal, JournalOptions};
use sms_records::{Category, Event, EventKind, FinalState, MessageInfo, Record};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn submitted(id: &str, at: DateTime<Utc>) -> Event {
    Event {
        at,
        local_id: Some(id.into()),
        kind: EventKind::Submitted {
            info: MessageInfo {
                src: "121231100".into(),
                dest: "13800138000".into(),
                category: Category::Notice,
                segment: 1,
                segments: 1,
                group_id: None,
                carrier: sms_records::Carrier::ChinaMobile,
            },
        },
    }
}

fn records(dir: &std::path::Path) -> Vec<Record> {
    let j = Journal::open(dir, JournalOptions::default()).unwrap();
    j.export(None, None).unwrap().map(Result::unwrap).collect()
}

fn reconcile(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cmpp"))
        .args(["journal", "reconcile", "--journal", dir.to_str().unwrap()])
        .args(["--now", "2026-12-04T12:00:00+08:00"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn limbo_records_are_closed_once_and_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    let now = t("2026-12-04T12:00:00+08:00");
    {
        let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
        let old = now - Duration::hours(1);
        j.append_batch(&[
            // Written, never answered (the sender died): to close.
            submitted("limbo", old),
            // Accepted, waiting for its report: left alone.
            submitted("accepted", old),
            Event {
                at: old + Duration::seconds(1),
                local_id: Some("accepted".into()),
                kind: EventKind::Responded {
                    msg_id: Some("1204120000000100000001".into()),
                    result: 0,
                    class: None,
                },
            },
            // Written a minute ago: a live sender may still get its response.
            submitted("recent", now - Duration::seconds(60)),
        ])
        .unwrap();
    }
    let dry = reconcile(dir.path(), &["--dry-run"]);
    assert_eq!(dry["closed"][0]["local_id"], "limbo");
    let pending = |rs: &[Record], id: &str| {
        rs.iter().find(|r| r.local_id == id).unwrap().final_state == FinalState::Pending
    };
    assert!(
        pending(&records(dir.path()), "limbo"),
        "a dry run writes nothing"
    );

    let out = reconcile(dir.path(), &[]);
    assert_eq!(out["closed"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["closed"][0]["local_id"], "limbo");
    assert_eq!(out["too_recent"], 1);
    assert_eq!(out["awaiting_report"], 1);
    let rs = records(dir.path());
    let limbo = rs.iter().find(|r| r.local_id == "limbo").unwrap();
    assert_eq!(limbo.final_state, FinalState::Unknown);
    assert!(
        limbo
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("maybe sent, no response"),
        "{limbo:?}"
    );
    assert!(pending(&rs, "accepted") && pending(&rs, "recent"));

    let again = reconcile(dir.path(), &[]);
    assert!(
        again["closed"].as_array().unwrap().is_empty(),
        "idempotent: {again}"
    );
}

/// A record whose intent was journaled and whose response was lost gets the one orphan
/// report that fits it (destination, Submit_time, the Msg_Id's time); the output says so.
#[test]
fn an_unanswered_record_is_matched_to_its_orphan_report_and_the_match_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let at = t("2026-12-04T10:00:20+08:00");
    // The gateway's Msg_Id for it: 4 Dec 10:00:21 (Beijing), gateway 7, sequence 1.
    let msg_id = cmpp_codec::MsgId::from_parts(12, 4, 10, 0, 21, 7, 1)
        .unwrap()
        .to_digits();
    {
        let mut j = Journal::open(dir.path(), JournalOptions::default()).unwrap();
        let info = match submitted("lost", at).kind {
            EventKind::Submitted { info } => info,
            _ => unreachable!(),
        };
        j.append_batch(&[
            Event {
                at,
                local_id: Some("lost".into()),
                kind: EventKind::Sending { info },
            },
            Event {
                at: at + Duration::seconds(40),
                local_id: None,
                kind: EventKind::Reported {
                    msg_id: msg_id.clone(),
                    stat: "DELIVRD".into(),
                    class: None,
                    origin: Some(sms_records::ReportOrigin {
                        dest: "13800138000".into(),
                        src: None,
                        submitted_at: Some(t("2026-12-04T10:00:00+08:00")),
                    }),
                },
            },
        ])
        .unwrap();
    }
    let out = reconcile(dir.path(), &[]);
    assert_eq!(out["matched"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(out["matched"][0]["local_id"], "lost");
    assert_eq!(out["matched"][0]["msg_id"], msg_id.as_str());
    assert_eq!(out["matched"][0]["stat"], "DELIVRD");
    assert!(out["closed"].as_array().unwrap().is_empty(), "{out}");
    let rs = records(dir.path());
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].final_state, FinalState::Delivered);
    assert_eq!(rs[0].msg_id.as_deref(), Some(msg_id.as_str()));
}
