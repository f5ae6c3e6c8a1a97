//! The journal over a month: appending the lifecycle (3 events) of N messages durably in
//! batches, exporting them, and looking messages up by Msg_Id.
//!
//! ```text
//! cargo run --release -p cmpp-benches --bin bench-journal -- \
//!     --messages 9000000 [--batch 10000] [--dir DIR] [--keep] [--normal-sync] [--late-reports]
//! ```
//!
//! `--late-reports` sends each status report in the batch after its submit and response,
//! with its local id (as `sms-sender` journals reports on a live link), so that every
//! message is written twice.
//!
//! Targets: append ≥ 100,000 messages/s; export of a 9-million-record month ≤ 20 s;
//! look-up by Msg_Id ≤ 5 ms. Also timed: look-up by number over the whole month.

use cmpp_benches::journal_setup::{delivered_in_march, lifecycle};
use cmpp_benches::measure::{arg_value, has_flag, load_average, peak_rss_kb, timed};
use sms_journal::{Journal, JournalOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 =
        arg_value(&args, "--messages").map_or(1_000_000, |v| v.parse().expect("--messages N"));
    let batch: usize =
        arg_value(&args, "--batch").map_or(10_000, |v| v.parse().expect("--batch N"));
    let dir = arg_value(&args, "--dir").map_or_else(|| PathBuf::from("."), PathBuf::from);
    let options = JournalOptions::default().with_full_sync(!has_flag(&args, "--normal-sync"));
    println!("load average: {}", load_average().unwrap_or_default());
    let temp = tempfile::Builder::new()
        .prefix("bench-journal-")
        .tempdir_in(&dir)
        .expect("temporary folder");
    let mut journal = Journal::open(temp.path(), options).expect("open journal");

    // Append, batch by batch (generation of the events is excluded from the time).
    let mut appending = 0.0;
    let mut appended = 0u64;
    let mut msg_ids = Vec::new();
    let mut dests = Vec::new();
    let late = has_flag(&args, "--late-reports");
    let mut milestone = (0u64, 0.0f64);
    let mut events = Vec::with_capacity(batch * 3);
    let mut reports: Vec<sms_records::Event> = Vec::with_capacity(batch);
    let mut records = delivered_in_march(4, n).peekable();
    while records.peek().is_some() || !reports.is_empty() {
        events.clear();
        // Reports held back from the previous batch come first.
        events.append(&mut reports);
        for r in records.by_ref().take(batch) {
            if appended % (n / 1000).max(1) == 0 {
                msg_ids.push(r.msg_id.clone().expect("Msg_Id"));
                dests.push(r.dest.clone());
            }
            let [submit, response, mut report] = lifecycle(&r);
            events.extend([submit, response]);
            if late {
                report.local_id = Some(r.local_id.clone());
                reports.push(report);
            } else {
                events.push(report);
            }
            appended += 1;
        }
        let ((), s) = timed(|| journal.append_batch(&events).expect("append"));
        appending += s;
        // The rate over each million, to see how it holds as the month file grows.
        if appended / 1_000_000 > milestone.0 / 1_000_000 {
            let (m, t) = milestone;
            println!(
                "  {:>5.1} M messages: {:.0} messages/s over the last {:.1} M",
                appended as f64 / 1e6,
                (appended - m) as f64 / (appending - t),
                (appended - m) as f64 / 1e6
            );
            milestone = (appended, appending);
        }
    }
    println!(
        "append: {appended} messages (3 events each) in batches of {batch}, full_sync={}, \
         reports {}: {appending:.1} s, {:.0} messages/s",
        options.full_sync,
        if late {
            "in the next batch"
        } else {
            "in the same batch"
        },
        appended as f64 / appending
    );

    let (count, s) = timed(|| {
        let mut count = 0usize;
        for r in journal.export(None, None).expect("export") {
            r.expect("a readable record");
            count += 1;
        }
        count
    });
    assert_eq!(count as u64, appended);
    println!(
        "export: {count} records in {s:.1} s ({:.2} M records/s); peak RSS {:.1} MB",
        count as f64 / s / 1e6,
        peak_rss_kb().unwrap_or(0) as f64 / 1024.0
    );

    let mut worst = 0.0f64;
    let mut total = 0.0;
    for id in &msg_ids {
        let started = Instant::now();
        let found = journal.by_msg_id(id).expect("look-up");
        let ms = started.elapsed().as_secs_f64() * 1e3;
        assert_eq!(found.len(), 1, "{id}");
        worst = worst.max(ms);
        total += ms;
    }
    println!(
        "lookup by Msg_Id: {} look-ups, mean {:.3} ms, worst {worst:.3} ms",
        msg_ids.len(),
        total / msg_ids.len() as f64
    );
    // Clause 3.11's other question: every message to a number over the whole month.
    let (from, until) = cmpp_benches::journal_setup::march_2026();
    let (mut worst, mut total) = (0.0f64, 0.0);
    for dest in dests.iter().take(200) {
        let started = Instant::now();
        let found = journal.by_dest(dest, from, until).expect("look-up");
        let ms = started.elapsed().as_secs_f64() * 1e3;
        assert!(!found.is_empty(), "{dest}");
        worst = worst.max(ms);
        total += ms;
    }
    println!(
        "lookup by number over the month: {} look-ups, mean {:.3} ms, worst {worst:.3} ms",
        dests.len().min(200),
        total / dests.len().clamp(1, 200) as f64
    );
    let size: u64 = std::fs::read_dir(temp.path())
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!("journal size: {:.2} GB", size as f64 / 1e9);
    if has_flag(&args, "--keep") {
        println!("kept {}", temp.keep().display());
    }
}
