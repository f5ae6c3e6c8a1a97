//! Counts heap allocations made while decoding: at most one per decoded 3.0 SUBMIT (the
//! destination list); Msg_Content is a slice of the frame and strings are inline.

use std::alloc::System;

use cmpp_benches::codec_samples::{frame, submit};
use cmpp_codec::{decode, Pdu, Version};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations made by `f`, the fewest over a few runs (the test harness's own threads
/// may allocate at the same moment; decoding is deterministic, so the minimum is its count).
fn allocations<T>(mut f: impl FnMut() -> T) -> usize {
    (0..5)
        .map(|_| {
            let region = Region::new(GLOBAL);
            let out = f();
            let count = region.change().allocations;
            drop(out);
            count
        })
        .min()
        .unwrap_or(usize::MAX)
}

#[test]
fn decoding_a_v30_submit_allocates_at_most_once() {
    // The counter works: two vectors are two allocations (so a pass below means something).
    let two = allocations(|| (vec![1u8; 16], vec![2u8; 16]));
    assert!(two >= 2, "counter saw {two} allocations for two vectors");

    let packet = submit();
    let bytes = frame(&packet, Version::V30);
    let count = allocations(|| decode(bytes.clone(), Version::V30));
    assert!(count <= 1, "decoding a 3.0 SUBMIT made {count} allocations");
    eprintln!("allocations per 3.0 SUBMIT decode: {count}");
    // The count is of a real decode, not of a failure path.
    let decoded = decode(bytes.clone(), Version::V30).unwrap();
    assert_eq!(decoded, packet);
    let Pdu::Submit(submit) = &decoded.pdu else {
        panic!("not a SUBMIT");
    };
    assert_eq!(submit.msg_content.len(), 140);
}
