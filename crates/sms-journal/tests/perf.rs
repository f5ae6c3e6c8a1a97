//! Throughput measurements (run with `cargo test --release -p sms-journal --test perf -- --ignored --nocapture`).
//!
//! - `JOURNAL_PERF_MESSAGES`: number of messages (200,000 by default; 9,000,000 is a month);
//! - `JOURNAL_PERF_REPORTS`: when status reports come: `same` (in the batch of their submit
//!   and response, without a local id: the default, and the first form of this measurement),
//!   `late` (in the next batch, with their local id, as
//!   `sms-sender` journals them, so every message is written twice), or `late-msgid`
//!   (in the next batch without a local id: found through their Msg_Id);
//! - `JOURNAL_PERF_OUTBOX=1`: each message's intent (`sending`) is appended in the batch
//!   before the rest of its events, as `sms-sender` journals it before the SUBMIT leaves;
//! - `JOURNAL_PERF_DIR`: where the temporary journal goes;
//! - `JOURNAL_PERF_FULL_SYNC=0`: `synchronous=NORMAL`.

use chrono::{Duration, TimeZone, Utc};
use sms_journal::{Journal, JournalOptions};
use sms_records::{Category, Event, EventKind, MessageInfo};
use std::time::Instant;

fn lifecycle(i: u64, report_with_id: bool) -> [Event; 3] {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap() + Duration::milliseconds(i as i64);
    let id = Some(format!("P{i:09}"));
    let msg = format!("{:022}", i);
    [
        Event {
            at,
            local_id: id.clone(),
            kind: EventKind::Submitted {
                info: MessageInfo {
                    src: "1065800".into(),
                    dest: format!("138{:08}", i % 1_000_000),
                    category: Category::Notice,
                    segment: 1,
                    segments: 1,
                    group_id: None,
                    carrier: sms_records::Carrier::ChinaMobile,
                },
            },
        },
        Event {
            at: at + Duration::milliseconds(30),
            local_id: id.clone(),
            kind: EventKind::Responded {
                msg_id: Some(msg.clone()),
                result: 0,
                class: None,
            },
        },
        Event {
            at: at + Duration::seconds(3),
            local_id: if report_with_id { id } else { None },
            kind: EventKind::Reported {
                msg_id: msg,
                stat: "DELIVRD".into(),
                class: None,
                origin: None,
            },
        },
    ]
}

/// CPU time of the calling thread (Linux), to tell CPU cost from waiting on a busy machine.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn cpu_note(before: Option<f64>, n: f64, what: &str) -> String {
    match (before, thread_cpu()) {
        (Some(a), Some(b)) => format!(
            " (writer thread on CPU {:.2} s = {:.0} {what}/s of CPU)",
            b - a,
            n / (b - a)
        ),
        _ => String::new(),
    }
}

#[test]
#[ignore = "throughput measurement, not a check"]
fn perf_append_export_lookup() {
    // JOURNAL_PERF_MESSAGES=9000000 for a full month; JOURNAL_PERF_DIR to put the (temporary)
    // files on a chosen disk instead of the system temporary folder.
    let n: u64 = ["JOURNAL_PERF_MESSAGES", "PERF_MESSAGES"]
        .iter()
        .find_map(|k| std::env::var(k).ok()?.parse().ok())
        .unwrap_or(200_000);
    let dir = match std::env::var_os("JOURNAL_PERF_DIR") {
        Some(d) => tempfile::tempdir_in(d).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    // JOURNAL_PERF_FULL_SYNC=0 measures synchronous=NORMAL (still safe against kill -9 in WAL
    // mode; only an OS crash or power loss can take the last commits).
    let full_sync = std::env::var("JOURNAL_PERF_FULL_SYNC").map_or(true, |v| v != "0");
    println!("synchronous={}", if full_sync { "FULL" } else { "NORMAL" });
    let options = JournalOptions::default().with_full_sync(full_sync);
    let reports = std::env::var("JOURNAL_PERF_REPORTS").unwrap_or_else(|_| "same".into());
    let (late, with_id) = match reports.as_str() {
        "same" => (false, false),
        "late" => (true, true),
        "late-msgid" => (true, false),
        other => panic!("JOURNAL_PERF_REPORTS={other}: same, late or late-msgid"),
    };
    println!("reports: {reports}");
    let outbox = std::env::var("JOURNAL_PERF_OUTBOX").is_ok_and(|v| v == "1");
    println!("outbox: {outbox}");
    let mut j = Journal::open(dir.path(), options).unwrap();
    // Batches are made on another thread, as a live sender's events are: the time
    // and CPU measured are the journal's.
    // Appended batches go back to the producer, which frees them (and reuses the
    // buffers), as a sender recycling its buffers would.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Event>>(4);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Event>>();
    let producer = std::thread::spawn(move || {
        let fresh = |capacity| {
            back_rx
                .try_recv()
                .map(|mut used: Vec<Event>| {
                    used.clear();
                    used
                })
                .unwrap_or_else(|_| Vec::with_capacity(capacity))
        };
        let mut batch = fresh(30_000);
        let mut reports = fresh(10_000);
        for i in 0..n {
            let [s, r, d] = lifecycle(i, with_id);
            if outbox {
                // The intent in this batch; the write, response (and report) in the next.
                let EventKind::Submitted { info } = &s.kind else {
                    unreachable!()
                };
                batch.push(Event {
                    at: s.at - Duration::milliseconds(1),
                    local_id: s.local_id.clone(),
                    kind: EventKind::Sending { info: info.clone() },
                });
                reports.extend([s, r]);
            } else {
                batch.extend([s, r]);
            }
            if late || outbox {
                reports.push(d);
            } else {
                batch.push(d);
            }
            if batch.len() >= 30_000 - reports.len() {
                // The reports of this batch's messages go into the next one.
                let next = std::mem::replace(&mut reports, fresh(10_000));
                tx.send(std::mem::replace(&mut batch, next)).unwrap();
            }
        }
        batch.append(&mut reports);
        tx.send(batch).unwrap();
    });
    let start = Instant::now();
    let cpu = thread_cpu();
    for batch in rx {
        j.append_batch(&batch).unwrap();
        // The producer may be done: then the batch is freed here.
        let _ = back_tx.send(batch);
    }
    producer.join().unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "append: {n} lifecycles in {secs:.2} s = {:.0} messages/s{}",
        n as f64 / secs,
        cpu_note(cpu, n as f64, "messages")
    );
    let start = Instant::now();
    let cpu = thread_cpu();
    let count = j.export(None, None).unwrap().count();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "export: {count} records in {secs:.2} s = {:.0} records/s{}",
        count as f64 / secs,
        cpu_note(cpu, count as f64, "records")
    );
    assert_eq!(count as u64, n);
    let start = Instant::now();
    for k in 0..1000u64 {
        let found = j.by_msg_id(&format!("{:022}", (k * 7919) % n)).unwrap();
        assert_eq!(found.len(), 1);
    }
    // 1000 look-ups: the total in seconds is the mean in milliseconds.
    println!(
        "lookup by Msg_Id: {:.3} ms each",
        start.elapsed().as_secs_f64()
    );
}
