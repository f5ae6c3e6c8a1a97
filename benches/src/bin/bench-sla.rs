//! In-memory SLA aggregation and billable counting throughput (single thread).
//!
//! `cargo run --release -p cmpp-benches --bin bench-sla -- --records 5000000 --rounds 5`
//!
//! Generates the records once (not timed), then aggregates them `--rounds` times and
//! prints the best round. Target: at least 20 million records/s for `Aggregator::add`.

use chrono::Duration;
use cmpp_benches::gen::{quarter_2026q1, RecordGen};
use cmpp_benches::measure::{arg_value, load_average, timed};
use sms_billing::{BillableCounter, Period, Terms};
use sms_records::{beijing, Record};
use sms_sla::{Aggregator, SlaSettings};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 =
        arg_value(&args, "--records").map_or(5_000_000, |v| v.parse().expect("--records N"));
    let rounds: u32 = arg_value(&args, "--rounds").map_or(5, |v| v.parse().expect("--rounds N"));
    let seed: u64 = arg_value(&args, "--seed").map_or(1, |v| v.parse().expect("--seed N"));
    println!("load average: {}", load_average().unwrap_or_default());
    let (records, gen_s) = timed(|| RecordGen::quarter(seed, n).collect::<Vec<Record>>());
    println!("generated {n} records in memory in {gen_s:.2} s");

    let (from, until) = quarter_2026q1();
    let (from, until) = (
        from.with_timezone(&beijing()),
        until.with_timezone(&beijing()),
    );
    let as_of = until.to_utc() + Duration::days(10);
    let settings = SlaSettings::default();
    let mut best = f64::MAX;
    let mut report = None;
    for _ in 0..rounds {
        let mut agg = Aggregator::new(&settings, from, until, as_of).expect("valid range");
        let ((), s) = timed(|| {
            for r in &records {
                agg.add(black_box(r));
            }
        });
        best = best.min(s);
        report = Some(agg.report());
    }
    let report = report.expect("at least one round");
    let o = &report.overall;
    println!(
        "sla Aggregator::add: best of {rounds}: {best:.3} s, {:.1} M records/s ({:.1} ns/record); \
         counted {} success {} timeliness {}",
        n as f64 / best / 1e6,
        best * 1e9 / n as f64,
        o.counted,
        o.success_rate.map(|r| r.to_string()).unwrap_or_default(),
        o.timeliness_rate.map(|r| r.to_string()).unwrap_or_default(),
    );

    let period = Period::parse("2026Q1", &Terms::default()).expect("valid period");
    let mut best = f64::MAX;
    let mut total = 0;
    for _ in 0..rounds {
        let mut c = BillableCounter::new(&period);
        let ((), s) = timed(|| {
            for r in &records {
                c.add(black_box(r));
            }
        });
        best = best.min(s);
        total = c.total();
    }
    println!(
        "billing BillableCounter::add: best of {rounds}: {best:.3} s, {:.1} M records/s; billable {total}",
        n as f64 / best / 1e6
    );
}
