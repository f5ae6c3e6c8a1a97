//! Times reading records back from CSV and JSON Lines.
//!
//! Writes `N` (default 500,000) realistic records to temporary files with the
//! crate's writers, then reads each file back a few times and prints the best
//! nanoseconds per row. Run with `--release`:
//!
//! ```text
//! cargo run --release -p sms-records --example read_speed -- [N] [ROUNDS] [ONLY_FORMAT]
//! ```
//!
//! `ONLY_FORMAT` (`csv` or `jsonl`) times one format alone, e.g. under a profiler.

use chrono::{Duration, TimeZone, Utc};
use sms_records::{
    class_of_report_stat, class_of_submit_result, Category, CsvReader, CsvWriter, FinalState,
    JsonlReader, JsonlWriter, ReaderOptions, Record,
};
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::Path;
use std::time::Instant;

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn record(rng: &mut Rng, n: u64) -> Record {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
        + Duration::milliseconds((n * 293) as i64 + rng.below(200) as i64);
    let mut r = Record::new(format!("L{n:012}"));
    r.src = "1065800".into();
    r.dest = format!("13{:09}", rng.below(1_000_000_000));
    r.category = [Category::Verification, Category::Notice, Category::Prompt][n as usize % 3];
    r.submitted_at = Some(t0);
    if rng.below(100) < 3 {
        r.segment = 2;
        r.segments = 2;
        r.group_id = Some(format!("G{n}"));
    }
    let result = if rng.below(100) < 2 { 8 } else { 0 };
    r.responded_at = Some(t0 + Duration::milliseconds(20 + rng.below(80) as i64));
    r.resp_result = Some(result);
    r.resp_class = Some(class_of_submit_result(result));
    if result != 0 {
        r.final_state = FinalState::Failed;
        return r;
    }
    r.msg_id = Some(format!("{:022}", 1_000_000_000_000 + n));
    let stat = match rng.below(100) {
        0..=89 => "DELIVRD",
        90..=94 => "UNDELIV",
        95..=97 => "MK:0001",
        _ => "EXPIRED",
    };
    r.reported_at = Some(t0 + Duration::milliseconds(2_000 + rng.below(10_000) as i64));
    r.report_stat = Some(stat.into());
    r.report_class = Some(class_of_report_stat(stat));
    r.final_state = if stat == "DELIVRD" {
        FinalState::Delivered
    } else {
        FinalState::Failed
    };
    r
}

fn time_rounds<F: FnMut() -> u64>(rounds: usize, rows: u64, mut read: F) -> f64 {
    if rounds == 0 {
        return f64::NAN;
    }
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        let n = read();
        let ns = start.elapsed().as_nanos() as f64 / rows as f64;
        assert_eq!(n, rows, "every row read back");
        best = best.min(ns);
    }
    best
}

fn open(path: &Path) -> impl Read {
    File::open(path).expect("open")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().map_or(500_000, |s| s.parse().expect("N"));
    let rounds: usize = args.next().map_or(3, |s| s.parse().expect("ROUNDS"));
    let only = args.next();
    let rounds_of = |format: &str| match &only {
        Some(o) if o != format => 0,
        _ => rounds,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("records.csv");
    let jsonl = dir.path().join("records.jsonl");

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cw = CsvWriter::new(BufWriter::new(File::create(&csv).unwrap())).unwrap();
    let mut jw = JsonlWriter::new(BufWriter::new(File::create(&jsonl).unwrap()));
    for n in 0..rows {
        let r = record(&mut rng, n);
        cw.write(&r).unwrap();
        jw.write(&r).unwrap();
    }
    cw.finish().unwrap();
    jw.finish().unwrap();

    let count = |it: &mut dyn Iterator<Item = Result<Record, sms_records::RecordsError>>| {
        it.fold(0, |n, r| {
            std::hint::black_box(r.expect("valid row"));
            n + 1
        })
    };
    let csv_ns = time_rounds(rounds_of("csv"), rows, || {
        count(&mut CsvReader::new(open(&csv), ReaderOptions::default()).unwrap())
    });
    let jsonl_ns = time_rounds(rounds_of("jsonl"), rows, || {
        count(&mut JsonlReader::new(
            open(&jsonl),
            ReaderOptions::default(),
        ))
    });
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len()) / rows;
    println!(
        "{rows} rows, best of {rounds}: csv {csv_ns:.0} ns/row ({} B/row), jsonl {jsonl_ns:.0} ns/row ({} B/row)",
        size(&csv),
        size(&jsonl)
    );
}
