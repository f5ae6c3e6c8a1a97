//! Tests of the month file's reads, writes and migrations.

use super::*;
use crate::entries::{merge, Merge};
use crate::error::JournalError;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection};
use sms_records::{Category, FinalState, MessageInfo};
use sms_records::{Event, EventKind};
use std::borrow::Cow;
use std::path::Path;

const T0: i64 = 1_772_323_200_000; // 2026-03-01T08:00:00+08:00

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(T0 + ms).unwrap()
}

fn report(local_id: Option<&str>, ms: i64, stat: &str) -> Event {
    Event {
        at: at(ms),
        local_id: local_id.map(Into::into),
        kind: EventKind::Reported {
            msg_id: "M1".into(),
            stat: stat.into(),
            class: None,
            origin: None,
        },
    }
}

fn submit(local_id: &str, ms: i64) -> Event {
    Event {
        at: at(ms),
        local_id: Some(local_id.into()),
        kind: EventKind::Submitted {
            info: MessageInfo {
                src: "1065800".into(),
                dest: "13800000000".into(),
                category: Category::Notice,
                segment: 1,
                segments: 1,
                group_id: None,
                carrier: sms_records::Carrier::ChinaMobile,
            },
        },
    }
}

fn respond(local_id: &str, ms: i64) -> Event {
    Event {
        at: at(ms),
        local_id: Some(local_id.into()),
        kind: EventKind::Responded {
            msg_id: Some("M1".into()),
            result: 0,
            class: None,
        },
    }
}

fn entries(events: &[Event]) -> Vec<Entry<'_>> {
    events
        .iter()
        .map(|e| (ms(e.at), Cow::Borrowed(&e.kind)))
        .collect()
}

fn owned(events: &[Event]) -> Vec<Entry<'static>> {
    events
        .iter()
        .map(|e| (ms(e.at), Cow::Owned(e.kind.clone())))
        .collect()
}

fn row(conn: &Connection, local_id: &str) -> Option<i64> {
    let row = row_of_message(conn, Path::new("m.sqlite"), local_id).unwrap();
    assert!(row.is_some(), "{local_id} is stored");
    row
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn fresh() -> (tempfile::TempDir, std::path::PathBuf, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    let conn = open(&path, true, false).unwrap();
    (dir, path, conn)
}

#[test]
fn merge_orders_by_time_keeps_arrival_order_on_ties_and_skips_replays() {
    let a = report(Some("L1"), 10, "A");
    let b = report(Some("L1"), 10, "B");
    let c = report(Some("L1"), 5, "C");
    let mut list = Vec::new();
    assert_ne!(
        Merge::Unchanged,
        merge(&mut list, owned(&[a.clone(), b.clone()]))
    );
    assert_ne!(
        Merge::Unchanged,
        merge(&mut list, owned(std::slice::from_ref(&c)))
    );
    let stats: Vec<&str> = list
        .iter()
        .map(|(_, k)| match &**k {
            EventKind::Reported { stat, .. } => stat.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(stats, ["C", "A", "B"]);
    // Replays, in any order, change nothing.
    assert_eq!(
        Merge::Unchanged,
        merge(&mut list, owned(&[b, c, a.clone()]))
    );
    assert_eq!(list.len(), 3);
    // The same kind at another time is another event.
    assert_ne!(
        Merge::Unchanged,
        merge(&mut list, owned(&[report(Some("L1"), 11, "A")]))
    );
    assert_eq!(list.len(), 4);
}

#[test]
fn orphan_replays_are_stored_once_and_adopted_once() {
    let (_dir, path, conn) = fresh();
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    let orphan = report(None, 9, "DELIVRD");
    assert!(w.insert_orphan(&orphan).unwrap());
    assert!(!w.insert_orphan(&orphan).unwrap(), "replayed orphan");
    assert!(has_orphans(&conn, &path).unwrap());
    // The same report also arrived with its local id: adoption keeps one copy.
    let owned = report(Some("L1"), 9, "DELIVRD");
    let batch = [submit("L1", 0), respond("L1", 1), owned];
    w.add("L1", entries(&batch), None).unwrap();
    drop(w);
    assert!(!has_orphans(&conn, &path).unwrap());
    let events = events_of(&conn, &path, "L1").unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    // A different orphan is adopted by a replayed response, then recognised as stored.
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    let late = report(None, 50, "UNDELIV");
    assert!(w.insert_orphan(&late).unwrap());
    w.add("L1", entries(&[respond("L1", 1)]), row(&conn, "L1"))
        .unwrap();
    let mut late_owned = late.clone();
    late_owned.local_id = Some("L1".into());
    w.add(
        "L1",
        entries(std::slice::from_ref(&late_owned)),
        row(&conn, "L1"),
    )
    .unwrap();
    drop(w);
    let events = events_of(&conn, &path, "L1").unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[3], late_owned);
    let r = message(&conn, &path, "L1").unwrap().unwrap().0;
    assert_eq!(
        r.report_stat.as_deref(),
        Some("DELIVRD"),
        "earliest report wins"
    );
    assert_eq!(r.final_state, FinalState::Delivered);
}

#[test]
fn a_message_presumed_new_that_is_stored_is_merged_not_overwritten() {
    let (_dir, path, conn) = fresh();
    let early = report(Some("L1"), 0, "DELIVRD");
    let late = report(Some("L1"), 50, "UNDELIV");
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.add("L1", entries(std::slice::from_ref(&early)), None)
        .unwrap();
    // A second writer's view: only the late event is "new" to it.
    w.add("L1", entries(std::slice::from_ref(&late)), None)
        .unwrap();
    drop(w);
    assert_eq!(
        events_of(&conn, &path, "L1").unwrap(),
        [early.clone(), late]
    );
    let r = message(&conn, &path, "L1").unwrap().unwrap().0;
    assert_eq!(r.report_stat.as_deref(), Some("DELIVRD"));
    assert_eq!(r.reported_at, Some(early.at));
}

#[test]
fn a_late_submit_moves_the_message_in_every_index() {
    let (_dir, path, conn) = fresh();
    // The report is stored first: no number yet, sorted at the report's time.
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.add("L1", entries(&[report(Some("L1"), 9, "DELIVRD")]), None)
        .unwrap();
    drop(w);
    let ids = |sql: &str| local_ids(&conn, &path, sql, []).unwrap();
    assert!(ids("SELECT local_id FROM messages WHERE dest = '13800000000'").is_empty());
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.add("L1", entries(&[submit("L1", 0)]), row(&conn, "L1"))
        .unwrap();
    w.add("L1", entries(&[respond("L1", 1)]), row(&conn, "L1"))
        .unwrap();
    drop(w);
    let sort = format!("SELECT local_id FROM messages WHERE sort_ms = {T0}");
    for sql in [
        "SELECT local_id FROM messages WHERE dest = '13800000000'",
        "SELECT local_id FROM messages WHERE msg_id = 'M1'",
        &sort,
    ] {
        assert_eq!(ids(sql), ["L1"], "{sql}");
    }
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn look_up_by_number_probes_the_hours_of_the_range_through_the_index() {
    let (_dir, path, conn) = fresh();
    let to = |id: &str, ms: i64, dest: &str| {
        let mut e = submit(id, ms);
        if let EventKind::Submitted { info } = &mut e.kind {
            info.dest = dest.into();
        }
        e
    };
    const H: i64 = 3_600_000;
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    for (id, ms, dest) in [
        ("A", 0, "13900000001"),
        ("B", H - 1, "13900000001"),
        ("C", H, "13900000001"),
        ("D", 5 * H, "13900000001"),
        ("E", 0, "13900000002"),
    ] {
        w.add(id, entries(&[to(id, ms, dest)]), None).unwrap();
    }
    drop(w);
    let ids = |lo: i64, hi: i64| local_ids_to(&conn, &path, "13900000001", lo, hi).unwrap();
    assert_eq!(ids(T0, T0 + H + 1), ["A", "B", "C"]);
    assert_eq!(ids(T0 + 1, T0 + 5 * H), ["B", "C"]);
    assert_eq!(ids(i64::MIN, i64::MAX), ["A", "B", "C", "D"]);
    assert!(ids(T0 + 6 * H, i64::MAX).is_empty());
    assert!(
        local_ids_to(&conn, &path, "13700000000", i64::MIN, i64::MAX)
            .unwrap()
            .is_empty()
    );
    // The plan uses the hour index, not a scan of the table.
    let plan: Vec<String> = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {TO_DEST}"))
        .unwrap()
        .query_map(params!["x", 1, 9, 0, 9], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|l| l.contains("USING INDEX messages_by_hour_dest")),
        "{plan:?}"
    );
}

#[test]
fn a_pure_replay_writes_nothing() {
    let (_dir, path, conn) = fresh();
    let batch = [submit("L1", 0), respond("L1", 1)];
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.add("L1", entries(&batch), None).unwrap();
    drop(w);
    conn.execute("UPDATE messages SET exempt = 'E1'", [])
        .unwrap();
    let changes = conn.total_changes();
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.add("L1", entries(&batch), row(&conn, "L1")).unwrap();
    drop(w);
    assert_eq!(conn.total_changes(), changes);
    // A new event rewrites the row but keeps the exemption (it has no event).
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.add(
        "L1",
        entries(&[report(Some("L1"), 5, "DELIVRD")]),
        row(&conn, "L1"),
    )
    .unwrap();
    drop(w);
    let r = message(&conn, &path, "L1").unwrap().unwrap().0;
    assert_eq!(r.exempt.as_deref(), Some("E1"));
    assert_eq!(r.final_state, FinalState::Delivered);
}

#[test]
fn the_events_view_lists_every_event_for_sql_tools() {
    let (_dir, path, conn) = fresh();
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.insert_orphan(&Event {
        at: at(7),
        local_id: None,
        kind: EventKind::Reported {
            msg_id: "M9".into(),
            stat: "DELIVRD".into(),
            class: None,
            origin: None,
        },
    })
    .unwrap();
    w.add("L1", entries(&[submit("L1", 0), respond("L1", 1)]), None)
        .unwrap();
    drop(w);
    let rows: Vec<(Option<String>, String, String, Option<String>)> = conn
        .prepare("SELECT local_id, at, kind, msg_id FROM events ORDER BY at_ms")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let l1 = Some("L1".to_string());
    assert_eq!(
        rows,
        [
            (
                l1.clone(),
                "2026-03-01T08:00:00.000+08:00".into(),
                "submitted".into(),
                None
            ),
            (
                l1,
                "2026-03-01T08:00:00.001+08:00".into(),
                "responded".into(),
                Some("M1".into())
            ),
            (
                None,
                "2026-03-01T08:00:00.007+08:00".into(),
                "reported".into(),
                Some("M9".into())
            ),
        ]
    );
    assert_eq!(counts(&conn, &path).unwrap(), (1, 3));
    // Older SQLite readers (before 3.38) must still load the schema.
    let stored: String = conn
        .query_row(
            "SELECT group_concat(sql, ';') FROM sqlite_master",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.contains("json_extract"), "{stored}");
    assert!(!stored.contains("->"), "no JSON arrow operators: {stored}");
}

#[test]
fn a_file_of_a_newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", FORMAT + 1)
        .unwrap();
    match open(&path, false, false) {
        Err(JournalError::Format {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (FORMAT + 1, FORMAT));
        }
        other => panic!("{other:?}"),
    }
}

/// Writes a file in an older format: events in their own table (format 1 has a hash column).
fn old_file(path: &Path, with_hash: bool) {
    let old = Connection::open(path).unwrap();
    let h = if with_hash { ", h INTEGER" } else { "" };
    old.execute_batch(&format!(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, \
         local_id TEXT, msg_id TEXT, kind TEXT NOT NULL, payload TEXT NOT NULL{h});
         CREATE INDEX events_by_msg_id ON events(msg_id) WHERE msg_id IS NOT NULL;
         CREATE VIEW events_beijing AS SELECT id, at_ms, local_id, msg_id, kind, payload FROM events;"
    ))
    .unwrap();
    // The `messages` table of both old formats is this one without `events`.
    let schema = SCHEMA.split("CREATE INDEX").next().unwrap();
    let messages = schema.replace(
        ",\n    events          TEXT NOT NULL DEFAULT '[]',  -- every event, in time order: [[at_ms, event], ...]\n    -- Format 5: mobile, unicom or telecom. Last, as ALTER TABLE adds it to older files.\n    carrier         TEXT NOT NULL DEFAULT 'mobile'",
        "",
    );
    assert!(!messages.contains("carrier"), "{messages}");
    assert!(!messages.contains("events  "), "{messages}");
    old.execute_batch(&messages).unwrap();
    old.execute_batch("CREATE INDEX messages_by_dest ON messages(dest, sort_ms)")
        .unwrap();
    let events = [
        submit("L1", 0),
        respond("L1", 1),
        report(Some("L1"), 9, "DELIVRD"),
    ];
    // Stored out of time order, as a late-arriving event would be.
    for e in [&events[2], &events[0], &events[1]] {
        old.execute(
            "INSERT INTO events (at_ms, local_id, msg_id, kind, payload) VALUES (?1, 'L1', ?2, ?3, ?4)",
            params![ms(e.at), event_msg_id(&e.kind), kind_name(&e.kind), serde_json::to_string(&e.kind).unwrap()],
        )
        .unwrap();
    }
    let (record, sort) = fold_entries("L1", &{
        let mut l = Vec::new();
        merge(&mut l, entries(&events));
        l
    });
    old.execute(
        &format!("INSERT INTO messages ({}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)", MESSAGE_COLUMNS.strip_suffix(", carrier").unwrap()),
        params![record.local_id, sort, record.msg_id, record.src, record.dest, record.category.as_str(),
            record.segment, record.segments, record.group_id, record.submitted_at.map(ms),
            record.responded_at.map(ms), record.resp_result, record.resp_class.map(|c| c.as_str()),
            record.reported_at.map(ms), record.report_stat, record.report_class.map(|c| c.as_str()),
            record.resends, record.final_state.as_str(), "E7", record.detail],
    )
    .unwrap();
    // Format 0 did not deduplicate orphans: the same one twice.
    let orphan = Event {
        at: at(20),
        local_id: None,
        kind: EventKind::Reported {
            msg_id: "M2".into(),
            stat: "DELIVRD".into(),
            class: None,
            origin: None,
        },
    };
    for _ in 0..2 {
        old.execute(
            "INSERT INTO events (at_ms, local_id, msg_id, kind, payload) VALUES (?1, NULL, 'M2', 'reported', ?2)",
            params![ms(orphan.at), serde_json::to_string(&orphan.kind).unwrap()],
        )
        .unwrap();
    }
}

/// The schema of formats 3 and 4: today's without the `carrier` column.
fn schema_before_carrier() -> String {
    let s = SCHEMA.replace(
        ",  -- every event, in time order: [[at_ms, event], ...]\n    -- Format 5: mobile, unicom or telecom. Last, as ALTER TABLE adds it to older files.\n    carrier         TEXT NOT NULL DEFAULT 'mobile'",
        "  -- every event",
    );
    assert!(!s.contains("carrier"), "{s}");
    s
}

/// Stores a message as a file without the `carrier` column held it: its folded record
/// and its events, encoded without the carrier key as the writer of those formats did.
fn insert_before_carrier(conn: &Connection, local_id: &str, events: &[Event]) {
    let mut list = Vec::new();
    merge(&mut list, entries(events));
    let (record, sort) = fold_entries(local_id, &list);
    let mut buf = Vec::new();
    encode_entries(&mut buf, &list).unwrap();
    let text = as_text(&buf).replace(",\"carrier\":\"mobile\"", "");
    conn.execute(
        &format!(
            "INSERT INTO messages ({}, events) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)",
            MESSAGE_COLUMNS.strip_suffix(", carrier").unwrap()
        ),
        params![record.local_id, sort, record.msg_id, record.src, record.dest, record.category.as_str(),
            record.segment, record.segments, record.group_id, record.submitted_at.map(ms),
            record.responded_at.map(ms), record.resp_result, record.resp_class.map(|c| c.as_str()),
            record.reported_at.map(ms), record.report_stat, record.report_class.map(|c| c.as_str()),
            record.resends, record.final_state.as_str(), record.exempt, record.detail, text],
    )
    .unwrap();
}

#[test]
fn files_of_older_formats_are_migrated_on_open() {
    for with_hash in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        old_file(&path, with_hash);
        let conn = open(&path, false, false).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, FORMAT);
        let indexes = |name: &str| {
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'"
                ),
            )
        };
        assert_eq!(indexes("messages_by_dest"), 0, "replaced");
        assert_eq!(indexes("messages_by_hour_dest"), 1);
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'"
            ),
            0
        );
        let events = events_of(&conn, &path, "L1").unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| kind_name(&e.kind)).collect();
        assert_eq!(kinds, ["submitted", "responded", "reported"], "time order");
        assert_eq!(events[0], submit("L1", 0));
        let r = message(&conn, &path, "L1").unwrap().unwrap().0;
        assert_eq!(
            (r.final_state, r.exempt.as_deref()),
            (FinalState::Delivered, Some("E7"))
        );
        assert_eq!(
            orphans_of(&conn, &path, "M2").unwrap().len(),
            1,
            "duplicates kept once"
        );
        // Replays are recognised after migration; new events are added.
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.add("L1", entries(&[respond("L1", 1)]), row(&conn, "L1"))
            .unwrap();
        assert!(!w
            .insert_orphan(&orphans_of(&conn, &path, "M2").unwrap()[0])
            .unwrap());
        w.add(
            "L1",
            entries(&[report(Some("L1"), 10, "DELIVRD")]),
            row(&conn, "L1"),
        )
        .unwrap();
        drop(w);
        assert_eq!(counts(&conn, &path).unwrap(), (1, 5));
        // Opening again leaves the migrated file as it is.
        drop(conn);
        let conn = open(&path, false, false).unwrap();
        assert_eq!(counts(&conn, &path).unwrap(), (1, 5));
    }
}

#[test]
fn a_format_3_file_gains_the_inbound_table_on_open_and_keeps_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    {
        // Format 3: today's schema without the inbound table.
        let old = Connection::open(&path).unwrap();
        let before = schema_before_carrier();
        let schema = before
            .split("-- Messages users sent to the SP")
            .next()
            .unwrap()
            .to_string()
            + before
                .split("CREATE INDEX IF NOT EXISTS inbound_by_time ON inbound(received_ms);")
                .nth(1)
                .unwrap();
        assert!(!schema.contains("inbound"), "{schema}");
        old.execute_batch(&schema).unwrap();
        insert_before_carrier(&old, "L1", &[submit("L1", 0), respond("L1", 1)]);
        old.pragma_update(None, "user_version", 3).unwrap();
    }
    let conn = open(&path, false, false).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, FORMAT);
    assert!(has_carrier_column(&conn, &path).unwrap());
    assert_eq!(
        message(&conn, &path, "L1")
            .unwrap()
            .unwrap()
            .0
            .msg_id
            .as_deref(),
        Some("M1")
    );
    let m = sms_records::InboundMessage::new(at(5), "I1", "13800000000", "1065")
        .with_content(b"TD", Some("TD".into()));
    assert!(insert_inbound(&conn, &path, &m).unwrap());
    assert!(
        !insert_inbound(&conn, &path, &m).unwrap(),
        "once per Msg_Id"
    );
    assert_eq!(inbound_of(&conn, &path, "I1").unwrap(), Some(m));
}

#[test]
fn a_format_4_file_gains_the_carrier_column_and_its_messages_are_china_mobiles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    {
        // Format 4: today's schema without the carrier column, events without a carrier.
        let old = Connection::open(&path).unwrap();
        old.execute_batch(&schema_before_carrier()).unwrap();
        insert_before_carrier(&old, "L1", &[submit("L1", 0), respond("L1", 1)]);
        let events: String = old
            .query_row("SELECT events FROM messages", [], |r| r.get(0))
            .unwrap();
        assert!(!events.contains("carrier"), "{events}");
        old.pragma_update(None, "user_version", 4).unwrap();
    }
    // Read-only export of the old file (not migrated): China Mobile's records.
    let exported: Vec<_> = crate::export::Export::new(vec![path.clone()], None, None)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].carrier, sms_records::Carrier::ChinaMobile);
    let none: Vec<_> = crate::export::Export::new(vec![path.clone()], None, None)
        .for_carrier(sms_records::Carrier::ChinaUnicom)
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(none.is_empty());

    let conn = open(&path, false, false).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!((version, FORMAT), (5, 5));
    assert!(has_carrier_column(&conn, &path).unwrap());
    let (r, events) = message(&conn, &path, "L1").unwrap().unwrap();
    assert_eq!(r.carrier, sms_records::Carrier::ChinaMobile);
    assert_eq!(r.msg_id.as_deref(), Some("M1"));
    assert_eq!(events.len(), 2);
    // The old message takes new events; a new message keeps its carrier.
    let mut unicom = submit("U1", 5);
    if let EventKind::Submitted { info } = &mut unicom.kind {
        info.carrier = sms_records::Carrier::ChinaUnicom;
    }
    let mut w = BatchWriter::new(&conn, &path).unwrap();
    w.add(
        "L1",
        entries(&[report(Some("L1"), 9, "DELIVRD")]),
        row(&conn, "L1"),
    )
    .unwrap();
    w.add("U1", entries(&[unicom]), None).unwrap();
    drop(w);
    let r = message(&conn, &path, "L1").unwrap().unwrap().0;
    assert_eq!(
        (r.final_state, r.carrier),
        (FinalState::Delivered, sms_records::Carrier::ChinaMobile)
    );
    let r = message(&conn, &path, "U1").unwrap().unwrap().0;
    assert_eq!(r.carrier, sms_records::Carrier::ChinaUnicom);
    let stored: String = conn
        .query_row(
            "SELECT carrier FROM messages WHERE local_id = 'U1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, "unicom");
    drop(conn);
    let unicom_only: Vec<_> = crate::export::Export::new(vec![path.clone()], None, None)
        .for_carrier(sms_records::Carrier::ChinaUnicom)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(unicom_only.len(), 1);
    assert_eq!(unicom_only[0].local_id, "U1");
}
