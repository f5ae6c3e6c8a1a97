//! The whole pre-send policy on a realistic message with 10,000 keywords and a
//! 10-million-number opt-in set (built once, outside the measurement).
//!
//! Run: `cargo bench -p cmpp-benches --bench policy -- --warm-up-time 1 --measurement-time 5`.
//! Target: at least 1,000,000 messages/s per core (≤ 1 µs a message).

use cmpp_benches::policy_setup::{message, opt_in_set, policy};
use criterion::{criterion_main, Criterion, Throughput};
use sms_policy::Check;
use std::hint::black_box;

fn policy_bench(c: &mut Criterion) {
    let set = opt_in_set(10_000_000);
    let msg = message(&set);
    let whole = policy(set, 10_000);
    let now = chrono::Utc::now();
    assert!(whole.check(&msg, now).is_ok(), "the sample message passes");

    let mut g = c.benchmark_group("policy");
    g.throughput(Throughput::Elements(1));
    g.bench_function("check_whole_policy", |b| {
        b.iter(|| black_box(&whole).check(black_box(&msg), now))
    });
    let content = whole
        .clone()
        .without(Check::Subscription)
        .without(Check::Rate);
    g.bench_function("check_content_only", |b| {
        b.iter(|| black_box(&content).check(black_box(&msg), now))
    });
    let no_content = whole.without(Check::Content);
    g.bench_function("check_without_content", |b| {
        b.iter(|| black_box(&no_content).check(black_box(&msg), now))
    });
    g.finish();
}

/// The generated group function cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::policy_bench);
}
criterion_main!(group::benches);
