//! A mergeable latency histogram of bounded size.
//!
//! Latencies are kept in whole milliseconds (truncated): 1 ms buckets below
//! 1024 ms, then 512 buckets per power of two (relative width under 0.2%).
//! The shares within 1, 3, 7 and 30 s are exact counters that compare the
//! exact duration, so a sub-millisecond excess is never rounded away.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

const LINEAR: u64 = 1024;
const SUB_BITS: u32 = 9;
const SUB: u64 = 1 << SUB_BITS;
/// Latencies above this (about 35 years) land in the last bucket.
const MAX_MS: u64 = (1 << 40) - 1;

/// The fixed marks whose shares are counted exactly, in seconds.
pub const MARKS_S: [u64; 4] = [1, 3, 7, 30];
/// [`MARKS_S`] as durations, for the per-record comparison.
const MARKS: [TimeDelta; 4] = [
    TimeDelta::seconds(MARKS_S[0] as i64),
    TimeDelta::seconds(MARKS_S[1] as i64),
    TimeDelta::seconds(MARKS_S[2] as i64),
    TimeDelta::seconds(MARKS_S[3] as i64),
];

fn bucket_of(ms: u64) -> usize {
    let ms = ms.min(MAX_MS);
    if ms < LINEAR {
        return ms as usize;
    }
    let e = 63 - ms.leading_zeros(); // >= 10
    let sub = (ms >> (e - SUB_BITS)) & (SUB - 1);
    (LINEAR + u64::from(e - 10) * SUB + sub) as usize
}

/// The largest millisecond value that falls into `bucket`.
fn bucket_high(bucket: usize) -> u64 {
    let b = bucket as u64;
    if b < LINEAR {
        return b;
    }
    let e = (b - LINEAR) / SUB + 10;
    let sub = (b - LINEAR) % SUB;
    let width = 1u64 << (e - u64::from(SUB_BITS));
    (1u64 << e) + sub * width + width - 1
}

/// Latency distribution of one window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
    negative: u64,
    max_ms: u64,
    within: [u64; 4],
}

impl LatencyHistogram {
    /// Records one latency. Negative latencies (clock skew between the two
    /// timestamps) are counted as 0 ms and tallied separately.
    #[inline]
    pub fn add(&mut self, d: TimeDelta) {
        let ms = if d < TimeDelta::zero() {
            self.negative += 1;
            0
        } else {
            d.num_milliseconds() as u64
        };
        let b = bucket_of(ms);
        if b >= self.counts.len() {
            // Grows only when a new maximum is seen, not per record.
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.total += 1;
        self.max_ms = self.max_ms.max(ms);
        for (w, m) in self.within.iter_mut().zip(&MARKS) {
            *w += u64::from(d <= *m);
        }
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.negative += other.negative;
        self.max_ms = self.max_ms.max(other.max_ms);
        for (a, b) in self.within.iter_mut().zip(other.within) {
            *a += b;
        }
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency (ms) at or below which `per_mille`/1000 of the values lie
    /// (nearest rank); the bucket's upper edge, capped at the maximum seen.
    pub fn quantile_ms(&self, per_mille: u32) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = (u128::from(self.total) * u128::from(per_mille))
            .div_ceil(1000)
            .max(1);
        let mut seen: u128 = 0;
        for (b, c) in self.counts.iter().enumerate() {
            seen += u128::from(*c);
            if seen >= rank {
                return Some(bucket_high(b).min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }

    /// Values at or below `ms` milliseconds (bucket resolution above 1024 ms).
    pub fn count_at_most_ms(&self, ms: u64) -> u64 {
        self.counts
            .iter()
            .enumerate()
            .take_while(|(b, _)| bucket_high(*b) <= ms)
            .map(|(_, c)| *c)
            .sum()
    }

    /// Summary for the report.
    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.total,
            negative: self.negative,
            p50_ms: self.quantile_ms(500),
            p90_ms: self.quantile_ms(900),
            p99_ms: self.quantile_ms(990),
            p999_ms: self.quantile_ms(999),
            max_ms: (self.total > 0).then_some(self.max_ms),
            within: MARKS_S
                .iter()
                .zip(self.within)
                .map(|(s, c)| WithinCount {
                    seconds: *s,
                    count: c,
                    share: crate::Rate::new(c, self.total),
                })
                .collect(),
            cdf: CDF_EDGES_MS
                .iter()
                .map(|&le_ms| CdfPoint {
                    le_ms,
                    count: self.count_at_most_ms(le_ms),
                })
                .collect(),
        }
    }
}

/// Edges of the cumulative distribution in the report (ms): bucket edges, so exact
/// below 1024 ms and within 0.2% above.
const CDF_EDGES_MS: [u64; 20] = [
    250, 500, 1_000, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000, 10_000,
    15_000, 20_000, 30_000, 60_000, 300_000, 3_600_000,
];

/// Messages whose latency was within a mark (exact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WithinCount {
    /// The mark in seconds (1, 3, 7, 30); inclusive.
    pub seconds: u64,
    /// How many latencies were at or below it.
    pub count: u64,
    /// Their share of all latencies recorded.
    pub share: Option<crate::Rate>,
}

/// One point of the cumulative distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CdfPoint {
    /// Upper edge in milliseconds.
    pub le_ms: u64,
    /// Latencies at or below it (bucket resolution).
    pub count: u64,
}

/// Percentiles and shares of one latency (submit→response or submit→report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LatencySummary {
    /// Latencies recorded (messages with both timestamps).
    pub count: u64,
    /// Of which negative (clock skew), counted as 0 ms.
    pub negative: u64,
    /// Median, ms.
    pub p50_ms: Option<u64>,
    /// 90th percentile, ms.
    pub p90_ms: Option<u64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<u64>,
    /// 99.9th percentile, ms.
    pub p999_ms: Option<u64>,
    /// Maximum, ms (truncated to the millisecond).
    pub max_ms: Option<u64>,
    /// Exact shares within 1, 3, 7 and 30 s.
    pub within: Vec<WithinCount>,
    /// Cumulative counts at fixed edges, for the chart.
    pub cdf: Vec<CdfPoint>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_cover_their_values() {
        let mut last = 0;
        for ms in (0..70_000u64).chain([1 << 20, (1 << 30) + 12_345, MAX_MS, u64::MAX]) {
            let b = bucket_of(ms);
            assert!(b >= last);
            last = b;
            assert!(bucket_high(b) >= ms.min(MAX_MS), "{ms}");
            if b > 0 {
                assert!(bucket_high(b - 1) < ms.min(MAX_MS), "{ms}");
            }
        }
        // 7000 ms is the first value of its bucket, so "<= 7000" is not diluted
        // by 6999 and below.
        assert!(bucket_high(bucket_of(6_999)) < 7_000);
        assert_eq!(bucket_high(bucket_of(7_000) - 1), 6_999);
    }

    #[test]
    fn quantiles_and_exact_marks() {
        let mut h = LatencyHistogram::default();
        for ms in 1..=1000 {
            h.add(TimeDelta::milliseconds(ms));
        }
        assert_eq!(h.quantile_ms(500), Some(500));
        assert_eq!(h.quantile_ms(999), Some(999));
        assert_eq!(h.quantile_ms(1000), Some(1000));
        h.add(TimeDelta::milliseconds(7_000));
        h.add(TimeDelta::microseconds(7_000_001));
        h.add(TimeDelta::milliseconds(-5));
        let s = h.summary();
        assert_eq!(s.count, 1003);
        assert_eq!(s.negative, 1);
        assert_eq!(s.max_ms, Some(7_000));
        let within7 = s.within.iter().find(|w| w.seconds == 7).unwrap();
        assert_eq!(within7.count, 1002, "7.000001 s is outside 7 s");
        let within1 = s.within.iter().find(|w| w.seconds == 1).unwrap();
        assert_eq!(within1.count, 1001);
    }

    #[test]
    fn merge_equals_single_pass() {
        let vals: Vec<i64> = (0..500).map(|i| (i * 7919) % 90_000).collect();
        let mut all = LatencyHistogram::default();
        let (mut a, mut b) = (LatencyHistogram::default(), LatencyHistogram::default());
        for (i, v) in vals.iter().enumerate() {
            all.add(TimeDelta::milliseconds(*v));
            if i % 3 == 0 { &mut a } else { &mut b }.add(TimeDelta::milliseconds(*v));
        }
        a.merge(&b);
        assert_eq!(a.summary(), all.summary());
        assert_eq!(a.total, all.total);
    }

    #[test]
    fn empty_has_no_percentiles() {
        let s = LatencyHistogram::default().summary();
        assert_eq!(s.p50_ms, None);
        assert_eq!(s.max_ms, None);
        assert!(s.within.iter().all(|w| w.share.is_none()));
    }
}
