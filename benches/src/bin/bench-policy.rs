//! The whole policy on a realistic message with 10,000 keywords and a 10-million-number
//! opt-in set: messages checked per second on one core, and the opt-in set's size.
//!
//! `cargo run --release -p cmpp-benches --bin bench-policy -- [--numbers 10000000] [--rounds 3]`
//!
//! Targets: at least 1,000,000 messages/s per core; opt-in set under 200 MB.

use cmpp_benches::measure::{arg_value, load_average, peak_rss_kb, rss_kb, timed};
use cmpp_benches::policy_setup::{message, opt_in_set, policy};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let numbers: u64 =
        arg_value(&args, "--numbers").map_or(10_000_000, |v| v.parse().expect("--numbers N"));
    let keywords: usize =
        arg_value(&args, "--keywords").map_or(10_000, |v| v.parse().expect("--keywords N"));
    let rounds: u32 = arg_value(&args, "--rounds").map_or(3, |v| v.parse().expect("--rounds N"));
    println!("load average: {}", load_average().unwrap_or_default());
    let rss0 = rss_kb().unwrap_or(0);
    let (set, s) = timed(|| opt_in_set(numbers));
    let rss1 = rss_kb().unwrap_or(0);
    println!(
        "opt-in set: {} numbers built in {s:.1} s; heap {:.1} MB (heap_bytes), RSS grew {:.1} MB, peak RSS {:.1} MB",
        set.len(),
        set.heap_bytes() as f64 / 1e6,
        rss1.saturating_sub(rss0) as f64 / 1024.0,
        peak_rss_kb().unwrap_or(0) as f64 / 1024.0
    );
    let msg = message(&set);
    let p = policy(set, keywords);
    let now = chrono::Utc::now();
    p.check(&msg, now).expect("the sample message passes");
    let per_round = 2_000_000u32;
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let (accepted, s) = timed(|| {
            (0..per_round)
                .filter(|_| black_box(&p).check(black_box(&msg), now).is_ok())
                .count()
        });
        assert_eq!(accepted, per_round as usize);
        best = best.min(s);
    }
    println!(
        "whole policy ({keywords} keywords): best of {rounds}: {:.0} ns/message, {:.2} M messages/s",
        best * 1e9 / f64::from(per_round),
        f64::from(per_round) / best / 1e6
    );
}
