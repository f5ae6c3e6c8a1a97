//! The realistic policy of the policy benchmarks: 10,000 keywords, a 10-million-number
//! opt-in set, a verification rate limit, and a typical verification-code message.

use chrono::Duration;
use sms_policy::{
    Category, KeywordMatcher, MobileNumber, NumberSet, OutgoingMessage, Policy, RateLimit,
    RateLimiter,
};

/// China Mobile blocks the opt-in numbers are drawn from.
const BLOCKS: [u64; 16] = [
    134, 135, 136, 137, 138, 139, 150, 151, 152, 157, 158, 159, 182, 187, 188, 198,
];

/// `n` distinct-ish China Mobile numbers, spread over 16 blocks (deterministic).
pub fn opt_in_set(n: u64) -> NumberSet {
    (0..n)
        .map(|i| {
            let block = BLOCKS[(i % 16) as usize];
            let rest = (i / 16).wrapping_mul(2_654_435_761) % 100_000_000;
            MobileNumber::from_u64(block * 100_000_000 + rest).expect("an 11-digit mobile number")
        })
        .collect()
}

/// `n` banned phrases of realistic length (Chinese and Latin).
pub fn keywords(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 3 {
            0 => format!("违禁{i}内容"),
            1 => format!("promo-{i}-code"),
            _ => format!("代开发票{i}"),
        })
        .collect()
}

/// The whole policy over `opt_in` with `keyword_count` keywords.
pub fn policy(opt_in: NumberSet, keyword_count: usize) -> Policy {
    let limits = [RateLimit::new(Category::Verification, 5, Duration::hours(1)).expect("valid")];
    Policy::new()
        .with_content(
            KeywordMatcher::new(keywords(keyword_count)).expect("valid keywords"),
            false,
        )
        .with_opt_in(opt_in)
        .with_rate(RateLimiter::new(limits))
}

/// A 60-character verification message to an opted-in number of the 138 block.
pub fn message(opt_in: &NumberSet) -> OutgoingMessage {
    let dest = opt_in
        .iter()
        .find(|n| n.prefix(3) == 138)
        .expect("numbers of the 138 block")
        .to_string();
    OutgoingMessage {
        src: "1212311001".into(),
        dest: format!("+86{dest}"),
        category: Category::Verification,
        text: "【交管12123】您好，您的验证码是 482913，５分钟内有效。如非本人操作，请忽略本短信。"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_passes_and_a_keyword_or_stranger_is_refused() {
        let set = opt_in_set(10_000);
        assert!(set.len() > 9_900, "{}", set.len());
        let msg = message(&set);
        let p = policy(set, 1_000);
        let now = chrono::Utc::now();
        assert!(p.check(&msg, now).is_ok());
        let mut bad = msg.clone();
        bad.text.push_str(" 代开发票5");
        assert!(p.check(&bad, now).is_err());
        let mut stranger = msg;
        stranger.dest = "13900000001".into();
        assert!(p.check(&stranger, now).is_err());
    }
}
