//! Billing: the billable count per record, parsing 1,000 incidents and settling a
//! quarter's statement from a prepared input.
//!
//! Run: `cargo bench -p cmpp-benches --bench billing -- --warm-up-time 1 --measurement-time 5`.

use chrono::{Duration, NaiveDate};
use cmpp_benches::gen::{incidents_toml, RecordGen};
use criterion::{criterion_main, Criterion, Throughput};
use sms_billing::{
    settle_period, BillableCounter, IncidentLog, Ledger, Period, PeriodInput, SlaWindow, Terms,
};
use sms_records::Record;
use sms_sla::Aggregator;
use std::hint::black_box;

const N: u64 = 200_000;

fn billing(c: &mut Criterion) {
    let terms = Terms::default();
    let period = Period::parse("2026Q1", &terms).expect("period");
    let records: Vec<Record> = RecordGen::quarter(2, N).collect();

    let mut g = c.benchmark_group("billing");
    g.throughput(Throughput::Elements(N));
    g.bench_function("billable_counter_add", |b| {
        b.iter(|| {
            let mut counter = BillableCounter::new(&period);
            for r in &records {
                counter.add(black_box(r));
            }
            counter.total()
        })
    });
    g.finish();

    let text = incidents_toml(2, 1_000);
    c.bench_function("billing/parse_1000_incidents", |b| {
        b.iter(|| IncidentLog::from_toml_str(black_box(&text), "incidents.toml").expect("valid"))
    });

    // A prepared input: the quarter's counts and SLA windows, and 1,000 incidents.
    let as_of = NaiveDate::from_ymd_opt(2026, 5, 15).expect("date");
    let settings = sms_billing::Settlement::sla_settings(&terms);
    let mut agg = Aggregator::new(
        &settings,
        period.start(),
        period.end(),
        period.end().to_utc() + Duration::days(44),
    )
    .expect("range");
    let mut counter = BillableCounter::new(&period);
    for r in &records {
        agg.add(r);
        counter.add(r);
    }
    let mut input = PeriodInput::from_counter(period, &counter, as_of);
    input.sla = agg.report().windows.iter().map(SlaWindow::from).collect();
    let log = IncidentLog::from_toml_str(&text, "incidents.toml").expect("valid");
    assert_eq!(log.len(), 1_000);
    c.bench_function("billing/settle_quarter_1000_incidents", |b| {
        b.iter(|| {
            settle_period(
                &terms,
                black_box(&input),
                black_box(&log),
                &Ledger::default(),
            )
            .expect("statement")
        })
    });
}

/// The generated group function cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::billing);
}
criterion_main!(group::benches);
