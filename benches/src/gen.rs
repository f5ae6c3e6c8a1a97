//! Deterministic, realistic message records and incident logs for the data benchmarks.
//!
//! Records are spread evenly over a range (a quarter of Beijing time by default) in
//! submit order, like a journal export. The mix: about 99.4% delivered, the rest
//! user-side failures (excluded by the SLA), carrier failures, SP rejections,
//! expired messages without a report and a few refused by the policy. Report
//! latencies are mostly 1–5 s with a tail past 7 s (about 1%) and a few minutes-long
//! stragglers. Same seed, same records.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sms_records::{
    beijing, class_of_report_stat, class_of_submit_result, Category, FinalState, Record,
};

/// A small, fast, seeded generator (SplitMix64): good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// The first quarter of 2026 in Beijing time, `[start, end)`.
pub fn quarter_2026q1() -> (DateTime<Utc>, DateTime<Utc>) {
    let bj = beijing();
    let from = bj.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let until = bj.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    (from.with_timezone(&Utc), until.with_timezone(&Utc))
}

/// China Mobile number blocks used for destinations.
const BLOCKS: [u64; 16] = [
    134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 157, 158, 159, 182, 187, 188,
];

/// Generates `count` records submitted over `[from, until)`, in submit order.
#[derive(Debug, Clone)]
pub struct RecordGen {
    rng: Rng,
    next: u64,
    count: u64,
    from_ms: i64,
    span_ms: i64,
}

impl RecordGen {
    /// `count` records over `[from, until)` from `seed`.
    pub fn new(seed: u64, count: u64, from: DateTime<Utc>, until: DateTime<Utc>) -> RecordGen {
        RecordGen {
            rng: Rng::new(seed),
            next: 0,
            count,
            from_ms: from.timestamp_millis(),
            span_ms: (until - from).num_milliseconds().max(1),
        }
    }

    /// `count` records over the first quarter of 2026 (Beijing time).
    pub fn quarter(seed: u64, count: u64) -> RecordGen {
        let (from, until) = quarter_2026q1();
        RecordGen::new(seed, count, from, until)
    }

    fn make(&mut self, n: u64) -> Record {
        let rng = &mut self.rng;
        // Even spread in submit order, with jitter inside each record's slot.
        let slot = self.span_ms as f64 / self.count.max(1) as f64;
        let base = self.from_ms + (n as f64 * slot) as i64;
        let jitter = rng.below(slot.max(1.0) as u64) as i64;
        let at_ms = (base + jitter).min(self.from_ms + self.span_ms - 1);
        let submitted = DateTime::from_timestamp_millis(at_ms).expect("in range");

        let mut r = Record::new(format!("L{n:012}"));
        r.src = "10658000123".to_string();
        let block = BLOCKS[rng.below(BLOCKS.len() as u64) as usize];
        r.dest = (block * 100_000_000 + rng.below(100_000_000)).to_string();
        r.category = match rng.below(100) {
            0..=59 => Category::Verification,
            60..=89 => Category::Notice,
            90..=98 => Category::Prompt,
            _ => Category::Other,
        };
        if rng.below(20) == 0 {
            r.segments = 2;
            r.segment = 1 + rng.below(2) as u8;
            r.group_id = Some(format!("G{}", n / 2));
        }
        r.submitted_at = Some(submitted);

        let roll = rng.below(100_000);
        if roll < 30 {
            // Refused by the policy before sending.
            r.final_state = FinalState::Refused;
            r.detail = Some("subscription: not opted in".to_string());
            return r;
        }
        let resp_ms = 15 + rng.below(120) as i64 + if rng.below(100) == 0 { 800 } else { 0 };
        r.responded_at = Some(submitted + Duration::milliseconds(resp_ms));
        if roll < 80 {
            // Submit rejected: SP errors (excluded) and carrier flow control (counted).
            let code = if roll < 55 { 4 } else { 8 };
            r.resp_result = Some(code);
            r.resp_class = Some(class_of_submit_result(code));
            r.final_state = FinalState::Failed;
            return r;
        }
        r.resp_result = Some(0);
        r.resp_class = Some(class_of_submit_result(0));
        r.msg_id = Some(format!("{:022}", 1_000_000_000_000 + n));
        r.resends = u32::from(rng.below(500) == 0);
        if roll < 130 {
            // No report: expired after the deadline.
            r.final_state = FinalState::Expired;
            return r;
        }
        let stat = match roll {
            130..=449 => {
                ["MK:0001", "UNDELIV", "MI:0013", "MN:0001", "EXPIRED"][(roll % 5) as usize]
            }
            450..=599 => ["MB:0008", "ID:0076", "REJECTD"][(roll % 3) as usize],
            600..=619 => "MK:0000",
            _ => "DELIVRD",
        };
        // Mostly 0.8–5 s, 1.5% between 5 and 30 s, 0.1% minutes.
        let tail = rng.below(1000);
        let report_ms = match tail {
            0 => 60_000 + rng.below(600_000) as i64,
            1..=15 => 5_000 + rng.below(25_000) as i64,
            _ => 800 + rng.below(2_000) as i64 + rng.below(2_200) as i64,
        };
        r.reported_at = Some(submitted + Duration::milliseconds(report_ms));
        r.report_stat = Some(stat.to_string());
        r.report_class = Some(class_of_report_stat(stat));
        r.final_state = if stat == "DELIVRD" {
            FinalState::Delivered
        } else {
            FinalState::Failed
        };
        r
    }
}

impl Iterator for RecordGen {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.next >= self.count {
            return None;
        }
        let n = self.next;
        self.next += 1;
        Some(self.make(n))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.count - self.next) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for RecordGen {}

/// An incident log (TOML, the format of `sms_billing::IncidentLog`) of `count`
/// incidents over the first quarter of 2026: trace requests, faults, cooperation
/// failures, criticism notices, monthly report problems and a few exemption claims.
pub fn incidents_toml(seed: u64, count: usize) -> String {
    use std::fmt::Write as _;
    let mut rng = Rng::new(seed);
    let bj = beijing();
    let start = bj.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let minutes = 90 * 24 * 60;
    let at = |rng: &mut Rng| start + Duration::minutes(rng.below(minutes) as i64);
    let fmt = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%d %H:%M").to_string();
    let mut out = String::with_capacity(count * 120);
    for i in 0..count {
        let t = at(&mut rng);
        match i % 20 {
            0..=7 => {
                let _ = writeln!(
                    out,
                    "[[trace]]\nat = \"{}\"\nsubject = \"trace {i}\"\nanswered = {}\n",
                    fmt(t),
                    rng.below(4) != 0
                );
            }
            8..=13 => {
                let on_site = t + Duration::minutes(10 + rng.below(90) as i64);
                let fixed = on_site + Duration::minutes(10 + rng.below(150) as i64);
                let _ = writeln!(
                    out,
                    "[[fault]]\nstart = \"{}\"\non_site = \"{}\"\nfixed = \"{}\"\nnote = \"fault {i}\"\n",
                    fmt(t),
                    fmt(on_site),
                    fmt(fixed)
                );
            }
            14..=16 => {
                let _ = writeln!(
                    out,
                    "[[cooperation]]\nat = \"{}\"\nnote = \"cooperation {i}\"\n",
                    fmt(t)
                );
            }
            17 => {
                let _ = writeln!(
                    out,
                    "[[serious_impact]]\nat = \"{}\"\nkind = \"criticism-notice\"\n",
                    fmt(t)
                );
            }
            18 => {
                let month = 1 + rng.below(3);
                let problem = ["missing", "late", "untrue", "incomplete"][rng.below(4) as usize];
                let _ = writeln!(
                    out,
                    "[[monthly_report]]\nmonth = \"2026-{month:02}\"\nat = \"{}\"\nproblem = \"{problem}\"\n",
                    fmt(t)
                );
            }
            _ => {
                let end = t + Duration::hours(1 + rng.below(48) as i64);
                let notified = (t + Duration::days(rng.below(20) as i64)).date_naive();
                let _ = writeln!(
                    out,
                    "[[exemption]]\nclause = \"7.{}\"\nstart = \"{}\"\nend = \"{}\"\nnotified = \"{notified}\"\ncovers = [\"6.5\", \"6.9\", \"6.10\"]\n",
                    [1, 2, 4][rng.below(3) as usize],
                    fmt(t),
                    fmt(end)
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_records_and_realistic_mix() {
        let a: Vec<Record> = RecordGen::quarter(7, 20_000).collect();
        let b: Vec<Record> = RecordGen::quarter(7, 20_000).collect();
        assert_eq!(a, b);
        let c: Vec<Record> = RecordGen::quarter(8, 20_000).collect();
        assert_ne!(a, c);
        let delivered = a
            .iter()
            .filter(|r| r.final_state == FinalState::Delivered)
            .count();
        assert!((19_800..19_950).contains(&delivered), "{delivered}");
        let (from, until) = quarter_2026q1();
        assert!(a
            .iter()
            .all(|r| r.submitted_at.is_some_and(|t| t >= from && t < until)));
        assert!(a.windows(2).all(|w| w[0].submitted_at <= w[1].submitted_at));
        let late = a
            .iter()
            .filter_map(Record::report_latency)
            .filter(|d| *d > Duration::seconds(7))
            .count();
        assert!(late > 50 && late < 600, "{late}");
    }
}
