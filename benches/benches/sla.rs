//! SLA aggregation from memory: `Aggregator::add` over pre-generated records.
//!
//! Run: `cargo bench -p cmpp-benches --bench sla -- --warm-up-time 1 --measurement-time 5`.
//! Target: at least 20 million records/s on one core.

use chrono::Duration;
use cmpp_benches::gen::{quarter_2026q1, RecordGen};
use criterion::{criterion_main, Criterion, Throughput};
use sms_records::{beijing, Record};
use sms_sla::{Aggregator, Classifier, SlaSettings};
use std::hint::black_box;

const N: u64 = 200_000;

fn sla(c: &mut Criterion) {
    // Consecutive records of a quarter (about 9 minutes' traffic at 26.5 M a quarter
    // would be too short: spread N over the whole quarter so days and months change).
    let records: Vec<Record> = RecordGen::quarter(1, N).collect();
    let (from, until) = quarter_2026q1();
    let (from, until) = (
        from.with_timezone(&beijing()),
        until.with_timezone(&beijing()),
    );
    let as_of = until.to_utc() + Duration::days(10);
    let settings = SlaSettings::default();

    let mut g = c.benchmark_group("sla");
    g.throughput(Throughput::Elements(N));
    g.bench_function("aggregator_add", |b| {
        b.iter(|| {
            let mut agg = Aggregator::new(&settings, from, until, as_of).expect("range");
            for r in &records {
                agg.add(black_box(r));
            }
            agg
        })
    });
    let classifier = Classifier::new(&settings, as_of);
    g.bench_function("classify", |b| {
        b.iter(|| {
            records
                .iter()
                .filter(|r| {
                    matches!(
                        classifier.classify(black_box(r)),
                        sms_sla::Outcome::Counted(_)
                    )
                })
                .count()
        })
    });
    g.finish();

    let mut agg = Aggregator::new(&settings, from, until, as_of).expect("range");
    agg.extend(&records);
    c.bench_function("sla/report", |b| b.iter(|| black_box(&agg).report()));
}

/// The generated group function cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::sla);
}
criterion_main!(group::benches);
