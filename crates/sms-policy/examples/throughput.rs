//! Rough throughput of the whole policy on a realistic message, 10,000 keywords and a
//! 10-million-number opt-in set (the criterion bench is the reference measurement).
//!
//! `cargo run --release -p sms-policy --example throughput`

use chrono::Utc;
use sms_policy::{
    Category, Check, KeywordMatcher, MobileNumber, NumberSet, OutgoingMessage, Policy, RateLimit,
    RateLimiter,
};
use std::time::Instant;

fn main() {
    let keywords: Vec<String> = (0..10_000).map(|i| format!("违禁{i}内容")).collect();
    let blocks = [
        134u64, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 182, 187, 188, 198,
    ];
    let started = Instant::now();
    let opt_in: NumberSet = (0..10_000_000u64)
        .map(|i| {
            let block = blocks[(i % 16) as usize];
            let rest = (i / 16).wrapping_mul(2_654_435_761) % 100_000_000;
            MobileNumber::from_u64(block * 100_000_000 + rest).expect("valid")
        })
        .collect();
    println!(
        "opt-in: {} numbers, {:.1} MB (capacity-based), built in {:?}",
        opt_in.len(),
        opt_in.heap_bytes() as f64 / 1e6,
        started.elapsed()
    );
    // A number in the 138 block: the generated 134 block also covers 1349, which is not China
    // Mobile's.
    let dest = opt_in
        .iter()
        .find(|n| n.prefix(3) == 138)
        .expect("138 numbers")
        .to_string();
    let limits =
        [RateLimit::new(Category::Verification, 5, chrono::Duration::hours(1)).expect("valid")];
    let policy = Policy::new()
        .with_content(KeywordMatcher::new(keywords).expect("valid"), false)
        .with_opt_in(opt_in)
        .with_rate(RateLimiter::new(limits));
    let msg = OutgoingMessage {
        src: "1212311001".into(),
        dest: format!("+86{dest}"),
        category: Category::Verification,
        text: "【交管12123】您好，您的验证码是 482913，５分钟内有效。如非本人操作，请忽略本短信。"
            .into(),
    };
    let now = Utc::now();
    if let Err(r) = policy.check(&msg, now) {
        panic!("the sample message is refused: {r}");
    }
    measure("whole policy", &policy, &msg, now);
    let keywords_only = policy
        .clone()
        .without(Check::Subscription)
        .without(Check::Rate);
    measure("content only (+ numbers)", &keywords_only, &msg, now);
    let no_content = policy.without(Check::Content);
    measure("without content", &no_content, &msg, now);
}

fn measure(what: &str, policy: &Policy, msg: &OutgoingMessage, now: chrono::DateTime<Utc>) {
    let rounds = 1_000_000u32;
    let started = Instant::now();
    let mut accepted = 0u32;
    for _ in 0..rounds {
        accepted += u32::from(
            std::hint::black_box(policy)
                .check(std::hint::black_box(msg), now)
                .is_ok(),
        );
    }
    let elapsed = started.elapsed();
    println!(
        "{what}: {accepted} accepted in {elapsed:?}: {:.0} ns/message, {:.2} M messages/s",
        elapsed.as_nanos() as f64 / f64::from(rounds),
        f64::from(rounds) / elapsed.as_secs_f64() / 1e6
    );
}
