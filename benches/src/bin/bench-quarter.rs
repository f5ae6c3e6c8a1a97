//! A quarter of the contract's traffic from a records file: SLA evaluation and the
//! end-to-end settlement (records file → SLA → statement with 1,000 incidents).
//!
//! ```text
//! cargo run --release -p cmpp-benches --bin bench-quarter -- \
//!     --records 26500000 --format jsonl [--dir DIR | --file FILE] [--keep] [--seed N]
//! ```
//!
//! Without `--file` the records are generated into `DIR` (default: a temporary folder
//! under the current directory) and the file is deleted afterwards unless `--keep`.
//! Generation is timed separately. Targets: SLA from file ≤ 30 s with peak RSS under
//! 100 MB; settle end to end ≤ 40 s.

use chrono::{Duration, NaiveDate};
use cmpp_benches::gen::{incidents_toml, quarter_2026q1, RecordGen};
use cmpp_benches::measure::{arg_value, has_flag, load_average, peak_rss_kb, rss_kb, timed};
use sms_billing::render::{render, Format as StatementFormat};
use sms_billing::{IncidentLog, Ledger, Period, Settlement, Terms};
use sms_records::{beijing, create_records, open_records_with, Format, ReaderOptions};
use sms_sla::Aggregator;
use std::path::PathBuf;

fn mb(kb: Option<u64>) -> String {
    kb.map_or("?".into(), |k| format!("{:.1} MB", k as f64 / 1024.0))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 =
        arg_value(&args, "--records").map_or(26_500_000, |v| v.parse().expect("--records N"));
    let format: Format = arg_value(&args, "--format")
        .unwrap_or_else(|| "jsonl".into())
        .parse()
        .expect("--format csv|jsonl");
    let seed: u64 = arg_value(&args, "--seed").map_or(1, |v| v.parse().expect("--seed N"));
    let keep = has_flag(&args, "--keep");
    println!("load average: {}", load_average().unwrap_or_default());

    let mut temp = None;
    let file = match arg_value(&args, "--file") {
        Some(f) => PathBuf::from(f),
        None => {
            let dir = arg_value(&args, "--dir").map_or_else(|| PathBuf::from("."), PathBuf::from);
            let t = tempfile::Builder::new()
                .prefix("bench-quarter-")
                .tempdir_in(&dir)
                .expect("temporary folder");
            let ext = if format == Format::Csv {
                "csv"
            } else {
                "jsonl"
            };
            let path = t.path().join(format!("records.{ext}"));
            let ((), s) = timed(|| {
                let mut sink = create_records(&path, Some(format)).expect("create");
                for r in RecordGen::quarter(seed, n) {
                    sink.write(&r).expect("write");
                }
                sink.finish().expect("flush");
            });
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            println!(
                "generate: {n} records, {format:?}, {:.2} GB in {s:.1} s ({:.2} M records/s); peak RSS {}",
                size as f64 / 1e9,
                n as f64 / s / 1e6,
                mb(peak_rss_kb())
            );
            temp = Some(t);
            path
        }
    };
    let format = Format::from_path(&file).unwrap_or(format);

    let (from, until) = quarter_2026q1();
    let (from, until) = (
        from.with_timezone(&beijing()),
        until.with_timezone(&beijing()),
    );
    let as_of_date = NaiveDate::from_ymd_opt(2026, 5, 15).expect("date");
    let as_of = until.to_utc() + Duration::days(44);
    let terms = Terms::default();
    let sla_settings = sms_billing::Settlement::sla_settings(&terms);
    let rss_before = rss_kb();

    // 1. SLA from the file.
    let (count, s) = timed(|| {
        let mut agg = Aggregator::new(&sla_settings, from, until, as_of).expect("range");
        let mut count = 0u64;
        for r in open_records_with(&file, Some(format), ReaderOptions::default()).expect("open") {
            agg.add(&r.expect("valid record"));
            count += 1;
        }
        let report = agg.report();
        let o = &report.overall;
        println!(
            "  SLA overall: counted {}, success {}, timeliness {}, breaches {}",
            o.counted,
            o.success_rate.map(|r| r.to_string()).unwrap_or_default(),
            o.timeliness_rate.map(|r| r.to_string()).unwrap_or_default(),
            report.breaches.len()
        );
        count
    });
    println!(
        "sla-from-file: {count} records in {s:.1} s ({:.2} M records/s, {:.0} ns/record); \
         RSS before {}, peak RSS (VmHWM) {}",
        count as f64 / s / 1e6,
        s * 1e9 / count as f64,
        mb(rss_before),
        mb(peak_rss_kb())
    );

    // 1b. Reading alone (what the reader costs without the SLA).
    if has_flag(&args, "--read-only") {
        let (count, s) = timed(|| {
            open_records_with(&file, Some(format), ReaderOptions::default())
                .expect("open")
                .map(|r| u64::from(r.expect("valid").resends))
                .fold(0u64, |a, _| a + 1)
        });
        println!(
            "read-only: {count} records in {s:.1} s ({:.0} ns/record)",
            s * 1e9 / count as f64
        );
    }

    // 2. Settle end to end: incidents file text, records → SLA + billable count → statement.
    let incidents = incidents_toml(seed, 1_000);
    let (statement, s) = timed(|| {
        let log = IncidentLog::from_toml_str(&incidents, "incidents.toml").expect("incidents");
        log.validate("incidents.toml").expect("valid incidents");
        assert_eq!(log.len(), 1_000);
        let period = Period::parse("2026Q1", &terms).expect("period");
        let mut settlement =
            Settlement::new(period, &sla_settings, as_of_date, as_of).expect("range");
        for r in open_records_with(&file, Some(format), ReaderOptions::default()).expect("open") {
            settlement.add(&r.expect("valid record"));
        }
        let (st, _) = settlement
            .finish(&terms, &log, &Ledger::default(), None)
            .expect("statement");
        render(&st, StatementFormat::Markdown)
    });
    let total_line = statement
        .lines()
        .find(|l| l.to_ascii_lowercase().contains("net"))
        .unwrap_or("")
        .to_string();
    println!(
        "settle-end-to-end: {s:.1} s ({} statement bytes; {}); peak RSS {}",
        statement.len(),
        total_line.trim(),
        mb(peak_rss_kb())
    );

    if let Some(t) = temp {
        if keep {
            let kept = t.keep();
            println!("kept {}", kept.display());
        } else {
            drop(t);
        }
    }
}
