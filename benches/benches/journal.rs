//! Journal: appending lifecycles durably in batches, and looking up by Msg_Id
//! (small sizes; `bench-journal` measures a whole month).
//!
//! Run: `cargo bench -p cmpp-benches --bench journal -- --warm-up-time 1 --measurement-time 10`.

use cmpp_benches::journal_setup::{delivered_in_march, lifecycle};
use criterion::{criterion_main, BatchSize, Criterion, Throughput};
use sms_journal::{Journal, JournalOptions};
use sms_records::{Event, Record};
use std::hint::black_box;

const BATCH: usize = 10_000;

fn journal(c: &mut Criterion) {
    let records: Vec<Record> = delivered_in_march(5, 100_000).collect();
    let events: Vec<Event> = records.iter().flat_map(lifecycle).collect();

    let mut g = c.benchmark_group("journal");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("append_batch_10000_messages_full_sync", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp");
                let j = Journal::open(dir.path(), JournalOptions::default()).expect("open");
                (dir, j)
            },
            |(dir, mut j)| {
                j.append_batch(&events[..BATCH * 3]).expect("append");
                (dir, j)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let dir = tempfile::tempdir().expect("temp");
    let mut j = Journal::open(dir.path(), JournalOptions::default()).expect("open");
    for chunk in events.chunks(BATCH * 3) {
        j.append_batch(chunk).expect("append");
    }
    let ids: Vec<&str> = records
        .iter()
        .step_by(997)
        .filter_map(|r| r.msg_id.as_deref())
        .collect();
    let mut i = 0;
    c.bench_function("journal/by_msg_id_in_100000", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            let found = j.by_msg_id(black_box(ids[i])).expect("look-up");
            assert_eq!(found.len(), 1);
            found
        })
    });
    let mut g = c.benchmark_group("journal_export");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("export_100000", |b| {
        b.iter(|| j.export(None, None).expect("export").count())
    });
    g.finish();
}

/// The generated group function cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::journal);
}
criterion_main!(group::benches);
