//! Journal behaviour against known content.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sms_journal::{Journal, JournalOptions, JournalWriter, Month, TraceQuery, TraceReport};
use sms_records::{beijing, Category, Event, EventKind, FinalState, MessageInfo};

fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    beijing()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn submitted(id: &str, dest: &str, at: DateTime<Utc>) -> Event {
    Event {
        at,
        local_id: Some(id.into()),
        kind: EventKind::Submitted {
            info: MessageInfo {
                src: "1065800".into(),
                dest: dest.into(),
                category: Category::Notice,
                segment: 1,
                segments: 1,
                group_id: None,
                carrier: sms_records::Carrier::ChinaMobile,
            },
        },
    }
}

fn responded(id: &str, msg: &str, at: DateTime<Utc>) -> Event {
    Event {
        at,
        local_id: Some(id.into()),
        kind: EventKind::Responded {
            msg_id: Some(msg.into()),
            result: 0,
            class: None,
        },
    }
}

fn reported(id: Option<&str>, msg: &str, stat: &str, at: DateTime<Utc>) -> Event {
    Event {
        at,
        local_id: id.map(Into::into),
        kind: EventKind::Reported {
            msg_id: msg.into(),
            stat: stat.into(),
            class: None,
            origin: None,
        },
    }
}

fn lifecycle(id: &str, dest: &str, msg: &str, at: DateTime<Utc>) -> Vec<Event> {
    vec![
        submitted(id, dest, at),
        responded(id, msg, at + Duration::milliseconds(40)),
        reported(None, msg, "DELIVRD", at + Duration::milliseconds(2500)),
    ]
}

fn journal(dir: &std::path::Path) -> Journal {
    Journal::open(
        dir,
        JournalOptions::default()
            .with_full_sync(false)
            .with_max_batch(1000),
    )
    .unwrap()
}

#[test]
fn lookups_fold_and_resolve_reports_by_msg_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 3, 10, 9, 0);
    j.append_batch(&lifecycle("L1", "13800000001", "M1", t))
        .unwrap();
    // A later batch: the report comes alone, without a local id.
    j.append_batch(&[submitted("L2", "13800000002", t + Duration::minutes(1))])
        .unwrap();
    j.append_batch(&[responded(
        "L2",
        "M2",
        t + Duration::minutes(1) + Duration::milliseconds(30),
    )])
    .unwrap();
    j.append_batch(&[reported(None, "M2", "UNDELIV", t + Duration::minutes(2))])
        .unwrap();
    // Replays change nothing.
    j.append_batch(&lifecycle("L1", "13800000001", "M1", t))
        .unwrap();

    let l1 = j.by_local_id("L1").unwrap().unwrap();
    assert_eq!(l1.events.len(), 3, "replayed events are stored once");
    assert_eq!(l1.record.final_state, FinalState::Delivered);
    assert_eq!(l1.record.msg_id.as_deref(), Some("M1"));
    let m2 = j.by_msg_id("M2").unwrap();
    assert_eq!(m2.len(), 1);
    assert_eq!(m2[0].record.local_id, "L2");
    assert_eq!(m2[0].record.final_state, FinalState::Failed);
    assert!(m2[0].events.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(j.by_msg_id("nope").unwrap().is_empty());
    let to2 = j.by_dest("13800000002", t, t + Duration::hours(1)).unwrap();
    assert_eq!(to2.len(), 1);
    assert!(j
        .by_dest(
            "13800000002",
            t + Duration::hours(1),
            t + Duration::hours(2)
        )
        .unwrap()
        .is_empty());
    let all = j.by_time(t, t + Duration::hours(1)).unwrap();
    assert_eq!(
        all.iter()
            .map(|x| x.record.local_id.as_str())
            .collect::<Vec<_>>(),
        ["L1", "L2"]
    );
}

#[test]
fn orphan_report_is_adopted_when_the_response_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 3, 10, 9, 0);
    j.append_batch(&[submitted("L1", "138", t)]).unwrap();
    j.append_batch(&[reported(None, "M9", "DELIVRD", t + Duration::seconds(1))])
        .unwrap();
    assert_eq!(
        j.by_msg_id("M9").unwrap()[0].record.local_id,
        "",
        "orphan until the response"
    );
    j.append_batch(&[responded("L1", "M9", t + Duration::seconds(2))])
        .unwrap();
    let found = j.by_msg_id("M9").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].record.local_id, "L1");
    assert_eq!(found[0].record.final_state, FinalState::Delivered);
}

#[test]
fn report_next_month_is_stored_with_its_submit() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    // Submitted 23:59 on March 31 Beijing time, report at 00:01 on April 1.
    let t = bj(2026, 3, 31, 23, 59);
    j.append_batch(&[
        submitted("L1", "138", t),
        responded("L1", "M1", t + Duration::seconds(1)),
    ])
    .unwrap();
    j.append_batch(&[reported(None, "M1", "DELIVRD", t + Duration::minutes(2))])
        .unwrap();
    j.append_batch(&[Event {
        at: t + Duration::minutes(3),
        local_id: Some("L1".into()),
        kind: EventKind::Resent { attempt: 2 },
    }])
    .unwrap();
    assert_eq!(j.months().unwrap(), [Month::new(2026, 3).unwrap()]);
    let l1 = j.by_local_id("L1").unwrap().unwrap();
    assert_eq!(l1.events.len(), 4);
    assert_eq!(l1.record.final_state, FinalState::Delivered);
    assert_eq!(l1.record.resends, 1);
    // A message submitted on April 1 goes to April's file.
    j.append_batch(&[submitted("L2", "138", bj(2026, 4, 1, 0, 0))])
        .unwrap();
    assert_eq!(j.months().unwrap().len(), 2);
}

#[test]
fn prune_keeps_current_and_configured_months_in_beijing_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    for (i, mo) in [(1, 9), (2, 10), (3, 11), (4, 12)] {
        j.append_batch(&lifecycle(
            &format!("A{i}"),
            "138",
            &format!("M{i}"),
            bj(2025, mo, 15, 12, 0),
        ))
        .unwrap();
    }
    for mo in 1..=4 {
        j.append_batch(&[submitted(&format!("B{mo}"), "139", bj(2026, mo, 2, 12, 0))])
            .unwrap();
    }
    // 00:30 on April 1 in Beijing is still March 31 in UTC: April is the current month.
    let now = bj(2026, 4, 1, 0, 30);
    assert_eq!(now.date_naive().to_string(), "2026-03-31");
    let report = j.prune(now, 6).unwrap();
    let removed: Vec<String> = report.removed.iter().map(|r| r.month.to_string()).collect();
    assert_eq!(
        removed,
        ["2025-09"],
        "Oct 2025 .. Apr 2026 is the current month and the 6 before"
    );
    assert_eq!(
        (report.removed[0].messages, report.removed[0].events),
        (1, 3)
    );
    assert!(!report.removed[0].path.exists());
    assert_eq!(report.kept.len(), 7);
    // Clause 2.7: fewer than 6 months is refused and deletes nothing.
    let e = j.prune(now, 5).unwrap_err().to_string();
    assert!(e.contains("2.7"), "{e}");
    assert_eq!(j.months().unwrap().len(), 7);
    // Below the minimum on purpose, keep_months = 0 still never deletes the current month.
    let report = j.prune_below_contract_minimum(now, 0).unwrap();
    assert_eq!(report.kept, [Month::new(2026, 4).unwrap()]);
    assert_eq!(report.removed.len(), 6);
    assert!(j.by_local_id("B4").unwrap().is_some());
    assert!(j.by_local_id("B3").unwrap().is_none());
}

#[test]
fn export_import_round_trip_in_submit_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 2, 28, 23, 0);
    let mut events = Vec::new();
    for i in (0..30).rev() {
        events.extend(lifecycle(
            &format!("L{i:02}"),
            "138",
            &format!("M{i}"),
            t + Duration::minutes(i * 3),
        ));
    }
    j.append_batch(&events).unwrap();
    let all: Vec<_> = j
        .export(None, None)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 30);
    assert!(all
        .windows(2)
        .all(|w| w[0].submitted_at <= w[1].submitted_at));
    assert_eq!(all[0].local_id, "L00");
    // March only (Beijing time): from 00:00 March 1.
    let march: Vec<_> = j
        .export(Some(bj(2026, 3, 1, 0, 0)), None)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(march.len(), 10);
    assert_eq!(march[0].local_id, "L20");

    let dir2 = tempfile::tempdir().unwrap();
    let mut k = journal(dir2.path());
    let mut expired = all[5].clone();
    expired.final_state = FinalState::Expired;
    expired.exempt = Some("7.1".into());
    let mut input = all.clone();
    input[5] = expired.clone();
    assert_eq!(k.import(input.iter().cloned().map(Ok)).unwrap(), 30);
    let back: Vec<_> = k
        .export(None, None)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(back, input);
    let traced = k.by_local_id(&expired.local_id).unwrap().unwrap();
    assert_eq!(
        traced.events.len(),
        3,
        "imported records get their events for traces"
    );
}

#[test]
fn trace_report_lists_found_and_missing() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 3, 10, 9, 0);
    j.append_batch(&lifecycle("L1", "13800000001", "M1", t))
        .unwrap();
    let now = bj(2026, 3, 11, 10, 0);
    let r = TraceReport::build(
        &mut j,
        TraceQuery::MsgIds(vec!["M1".into(), "M404".into()]),
        now,
    )
    .unwrap();
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.not_found, ["M404"]);
    let md = r.to_markdown();
    assert!(md.contains("## Message L1, Msg_Id M1"), "{md}");
    assert!(
        md.contains("| 2026-03-10T09:00:00.000+08:00 | submitted |"),
        "{md}"
    );
    assert!(md.contains("submit → response: 40 ms"), "{md}");
    assert!(
        md.contains("submit → status report: 2500 ms (2.500 s)"),
        "{md}"
    );
    assert!(md.contains("- M404: not in the journal"), "{md}");
    assert!(md.contains("- carrier: China Mobile (`mobile`)"), "{md}");
    let js = r.to_json();
    assert_eq!(js["messages"][0]["final_state"], "delivered");
    assert_eq!(js["messages"][0]["carrier"], "mobile");
    assert_eq!(js["messages"][0]["report_latency_ms"], 2500);
    assert_eq!(js["messages"][0]["events"].as_array().unwrap().len(), 3);
    assert_eq!(
        js["messages"][0]["events"][2]["at"],
        "2026-03-10T09:00:02.500+08:00"
    );
    assert_eq!(js["not_found"][0], "M404");
    let r = TraceReport::build(
        &mut j,
        TraceQuery::Dest {
            dest: "139".into(),
            from: t,
            until: t + Duration::hours(1),
        },
        now,
    )
    .unwrap();
    assert!(r.messages.is_empty());
    assert_eq!(r.not_found.len(), 1);
}

#[test]
fn async_writer_acknowledges_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let t = bj(2026, 3, 10, 9, 0);
    rt.block_on(async {
        let w = JournalWriter::spawn(journal(dir.path()), 64).unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let w = w.clone();
            tasks.push(tokio::spawn(async move {
                for e in lifecycle(
                    &format!("L{i}"),
                    "138",
                    &format!("M{i}"),
                    t + Duration::seconds(i),
                ) {
                    w.append(e).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    // The writer thread may still hold the file; a second reader sees the committed data.
    let mut j = journal(dir.path());
    let all: Vec<_> = j
        .export(None, None)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 200);
    assert!(all.iter().all(|r| r.final_state == FinalState::Delivered));
    assert_eq!(j.by_msg_id("M150").unwrap()[0].events.len(), 3);
}

/// Whatever the batches (orders, splits, replays, reports before their response),
/// each stored record is the fold of the message's distinct events.
#[test]
fn stored_records_are_the_fold_of_their_events_however_they_arrive() {
    let t = bj(2026, 3, 10, 9, 0);
    let mut all = Vec::new();
    for i in 0..40i64 {
        let id = format!("L{i:02}");
        let msg = format!("M{i}");
        let at = t + Duration::seconds(i);
        all.push(submitted(&id, "138", at));
        if i % 5 != 0 {
            all.push(Event {
                at: at + Duration::milliseconds(10),
                local_id: Some(id.clone()),
                kind: EventKind::Resent { attempt: 2 },
            });
        }
        all.push(responded(&id, &msg, at + Duration::milliseconds(50)));
        let stat = if i % 3 == 0 { "UNDELIV" } else { "DELIVRD" };
        all.push(reported(None, &msg, stat, at + Duration::seconds(2)));
        if i % 4 == 0 {
            all.push(reported(
                Some(&id),
                &msg,
                "DELIVRD",
                at + Duration::seconds(9),
            ));
        }
    }
    let expected: Vec<_> = (0..40)
        .map(|i| {
            let id = format!("L{i:02}");
            let msg = format!("M{i}");
            let mine: Vec<Event> = all
                .iter()
                .filter(|e| {
                    e.local_id.as_deref() == Some(id.as_str())
                        || matches!(&e.kind, EventKind::Reported { msg_id, .. } if *msg_id == msg)
                })
                .map(|e| Event {
                    local_id: Some(id.clone()),
                    ..e.clone()
                })
                .collect();
            let mut r = sms_records::fold(&mine);
            r.local_id = id;
            (r, mine.len())
        })
        .collect();
    for seed in [1u64, 7, 99] {
        // A deterministic shuffle with replays, cut into batches of varying size.
        let mut events = all.clone();
        events.extend(all.iter().step_by(3).cloned());
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as usize
        };
        for i in (1..events.len()).rev() {
            events.swap(i, next() % (i + 1));
        }
        let dir = tempfile::tempdir().unwrap();
        let mut j = journal(dir.path());
        let mut rest = &events[..];
        while !rest.is_empty() {
            let n = (1 + next() % 17).min(rest.len());
            j.append_batch(&rest[..n]).unwrap();
            rest = &rest[n..];
        }
        for (record, n) in &expected {
            let traced = j.by_local_id(&record.local_id).unwrap().unwrap();
            assert_eq!(&traced.record, record, "seed {seed}");
            assert_eq!(traced.events.len(), *n, "seed {seed}: {}", record.local_id);
        }
    }
}

#[test]
fn two_writers_on_one_folder_merge_each_others_events() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (journal(dir.path()), journal(dir.path()));
    let t = bj(2026, 3, 10, 9, 0);
    // Each writer adds what it saw, in turn, some of it twice.
    a.append_batch(&[submitted("L1", "13800000001", t)])
        .unwrap();
    b.append_batch(&[responded("L1", "M1", t + Duration::milliseconds(40))])
        .unwrap();
    let resend = Event {
        at: t + Duration::milliseconds(10),
        local_id: Some("L1".into()),
        kind: EventKind::Resent { attempt: 2 },
    };
    a.append_batch(&[resend.clone(), submitted("L1", "13800000001", t)])
        .unwrap();
    b.append_batch(&[reported(None, "M1", "DELIVRD", t + Duration::seconds(3))])
        .unwrap();
    for j in [&mut a, &mut b] {
        let found = j.by_local_id("L1").unwrap().unwrap();
        let kinds: Vec<_> = found.events.iter().map(|e| &e.kind).collect();
        assert_eq!(found.events.len(), 4, "{kinds:?}");
        assert_eq!(found.events[1], resend);
        assert_eq!(found.record.final_state, FinalState::Delivered);
        assert_eq!(found.record.resends, 1);
        assert_eq!(found.record.msg_id.as_deref(), Some("M1"));
    }
}

fn inbound(msg_id: &str, at: DateTime<Utc>) -> sms_records::InboundMessage {
    sms_records::InboundMessage::new(at, msg_id, "13800000001", "1065800")
        .with_service_id("svc")
        .with_content(b"TD", Some("TD".into()))
}

#[test]
fn inbound_messages_are_stored_once_per_msg_id_even_across_a_month_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 3, 31, 23, 59);
    assert!(j.append_inbound(&inbound("I1", t)).unwrap());
    // The gateway sends it again (same Msg_Id), now in April: still stored once.
    let again = inbound("I1", t + Duration::minutes(2));
    assert!(!j.append_inbound(&again).unwrap());
    assert!(!j.append_inbound(&inbound("I1", t)).unwrap());
    assert!(j
        .append_inbound(&inbound("I2", t + Duration::minutes(3)))
        .unwrap());
    let all = j
        .inbound_between(t - Duration::days(1), t + Duration::days(1))
        .unwrap();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0], inbound("I1", t));
    assert_eq!(
        j.inbound_by_msg_id("I2").unwrap().unwrap().text.as_deref(),
        Some("TD")
    );
    assert!(j.inbound_by_msg_id("I3").unwrap().is_none());
    // Inbound messages are not outbound records: the SLA and billing never see them.
    assert_eq!(j.export(None, None).unwrap().count(), 0);
}

#[test]
fn the_async_writer_stores_inbound_messages_after_the_events_before_them() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let t = bj(2026, 3, 10, 9, 0);
    rt.block_on(async {
        let w = JournalWriter::spawn(journal(dir.path()), 64).unwrap();
        let (a, b, c) = tokio::join!(
            w.append(submitted("L1", "138", t)),
            w.append_inbound(inbound("I1", t)),
            w.append_inbound(inbound("I1", t)),
        );
        a.unwrap();
        assert_eq!([b.unwrap(), c.unwrap()], [true, false], "stored once");
    });
    let mut j = journal(dir.path());
    assert!(j.inbound_by_msg_id("I1").unwrap().is_some());
    assert!(j.by_local_id("L1").unwrap().is_some());
}

#[test]
fn orphan_reports_are_listed_by_time_with_their_origin() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 3, 10, 9, 0);
    let mut with_origin = reported(None, "M7", "DELIVRD", t + Duration::seconds(5));
    if let EventKind::Reported { origin, .. } = &mut with_origin.kind {
        *origin = Some(sms_records::ReportOrigin {
            dest: "13800000001".into(),
            src: None,
            submitted_at: Some(t),
        });
    }
    j.append_batch(&[
        with_origin.clone(),
        reported(None, "M8", "DELIVRD", t + Duration::hours(2)),
    ])
    .unwrap();
    let found = j.orphans_between(t, t + Duration::hours(1)).unwrap();
    assert_eq!(found, [with_origin]);
    assert_eq!(
        j.orphans_between(t, t + Duration::days(1)).unwrap().len(),
        2
    );
    // Adopted by its response, it is no orphan any more.
    j.append_batch(&[
        submitted("L1", "13800000001", t),
        responded("L1", "M7", t + Duration::seconds(1)),
    ])
    .unwrap();
    assert_eq!(
        j.orphans_between(t, t + Duration::days(1)).unwrap().len(),
        1
    );
}

#[test]
fn a_sending_intent_is_a_message_of_its_own_until_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 3, 10, 9, 0);
    let info = match submitted("L1", "13800000001", t).kind {
        EventKind::Submitted { info } => info,
        _ => unreachable!(),
    };
    j.append_batch(&[Event {
        at: t,
        local_id: Some("L1".into()),
        kind: EventKind::Sending { info },
    }])
    .unwrap();
    let r = j.by_local_id("L1").unwrap().unwrap().record;
    assert_eq!(
        (r.final_state, r.dest.as_str(), r.submitted_at),
        (FinalState::Pending, "13800000001", None)
    );
    let pending = j.pending_between(None, None).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0], r);
    assert!(j
        .pending_between(Some(t + Duration::milliseconds(1)), None)
        .unwrap()
        .is_empty());
    j.append_batch(&lifecycle(
        "L1",
        "13800000001",
        "M1",
        t + Duration::milliseconds(2),
    ))
    .unwrap();
    let traced = j.by_local_id("L1").unwrap().unwrap();
    assert_eq!(traced.events.len(), 4, "{:?}", traced.events);
    assert_eq!(traced.record.final_state, FinalState::Delivered);
    assert_eq!(
        traced.record.submitted_at,
        Some(t + Duration::milliseconds(2))
    );
    assert_eq!(j.export(None, None).unwrap().count(), 1);
    assert!(j.pending_between(None, None).unwrap().is_empty(), "settled");
    // Its place in time stays the intent's: the write that followed did not move it.
    let at_intent = j.by_time(t, t + Duration::milliseconds(1)).unwrap();
    assert_eq!(at_intent.len(), 1);
    assert_eq!(at_intent[0].record.local_id, "L1");
}

#[test]
fn each_message_keeps_its_carrier_through_lookups_export_and_import() {
    use sms_records::Carrier;
    let dir = tempfile::tempdir().unwrap();
    let mut j = journal(dir.path());
    let t = bj(2026, 3, 10, 9, 0);
    let start = |id: &str, dest: &str, carrier: Carrier, at| Event {
        at,
        local_id: Some(id.into()),
        kind: EventKind::Sending {
            info: MessageInfo::new("121231100", dest)
                .with_category(Category::Notice)
                .with_carrier(carrier),
        },
    };
    let mut events = Vec::new();
    for (i, (id, dest, carrier)) in [
        ("M", "13800000001", Carrier::ChinaMobile),
        ("U", "13000000001", Carrier::ChinaUnicom),
        ("T", "13300000001", Carrier::ChinaTelecom),
    ]
    .into_iter()
    .enumerate()
    {
        let at = t + Duration::seconds(i as i64);
        events.push(start(id, dest, carrier, at));
        let mut life = lifecycle(id, dest, &format!("M{id}"), at + Duration::milliseconds(5));
        if let EventKind::Submitted { info } = &mut life[0].kind {
            info.carrier = carrier;
        }
        events.extend(life);
    }
    j.append_batch(&events).unwrap();
    let carrier_of = |j: &mut Journal, id: &str| j.by_local_id(id).unwrap().unwrap().record.carrier;
    assert_eq!(carrier_of(&mut j, "M"), Carrier::ChinaMobile);
    assert_eq!(carrier_of(&mut j, "U"), Carrier::ChinaUnicom);
    assert_eq!(carrier_of(&mut j, "T"), Carrier::ChinaTelecom);
    assert_eq!(
        j.by_msg_id("MU").unwrap()[0].record.final_state,
        FinalState::Delivered
    );
    let (from, until) = (Some(bj(2026, 3, 1, 0, 0)), Some(bj(2026, 4, 1, 0, 0)));
    let ids = |export: sms_journal::Export| -> Vec<String> {
        export.map(|r| r.unwrap().local_id).collect()
    };
    assert_eq!(ids(j.export(from, until).unwrap()), ["M", "U", "T"]);
    for (carrier, id) in [
        (Carrier::ChinaMobile, "M"),
        (Carrier::ChinaUnicom, "U"),
        (Carrier::ChinaTelecom, "T"),
    ] {
        assert_eq!(
            ids(j.export(from, until).unwrap().for_carrier(carrier)),
            [id]
        );
    }
    // Moved to another journal through a record file: the carrier survives.
    let records: Vec<_> = j.export(from, until).unwrap().map(|r| r.unwrap()).collect();
    let dir2 = tempfile::tempdir().unwrap();
    let mut j2 = journal(dir2.path());
    assert_eq!(j2.import(records.iter().cloned().map(Ok)).unwrap(), 3);
    let again: Vec<_> = j2
        .export(from, until)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        again.iter().map(|r| r.carrier).collect::<Vec<_>>(),
        [
            Carrier::ChinaMobile,
            Carrier::ChinaUnicom,
            Carrier::ChinaTelecom
        ]
    );
    let traced = j2.by_local_id("T").unwrap().unwrap();
    match &traced.events[0].kind {
        EventKind::Submitted { info } => assert_eq!(info.carrier, Carrier::ChinaTelecom),
        other => panic!("{other:?}"),
    }
}
