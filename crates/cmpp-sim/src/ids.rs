//! Msg_Id generation (spec §5): Beijing month/day/time, gateway code, 16-bit sequence.

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Timelike};
use cmpp_codec::MsgId;

/// UTC+8, the time zone of every CMPP time field, and the current Beijing time.
pub use sms_time::{beijing, beijing_now};

/// YYMMDDHHMM, the report Submit_time / Done_time format.
pub fn yymmddhhmm(t: DateTime<FixedOffset>) -> String {
    t.format("%y%m%d%H%M").to_string()
}

/// Hands out unique Msg_Ids.
///
/// The sequence advances by one per id and wraps at 0xFFFF. Ids are unique because at most
/// 65,536 ids share one time stamp: when a second runs out of sequence numbers the generator
/// stamps the next ids with the following second (running ahead of the clock under extreme
/// load, never repeating).
#[derive(Debug, Clone)]
pub struct MsgIdGen {
    gateway: u32,
    seq: u16,
    /// Unix second used for the current stamp.
    stamp: i64,
    /// Ids already issued under `stamp`.
    used: u32,
}

impl MsgIdGen {
    /// A generator for this gateway code (must be ≤ 4194303, checked by the profile).
    pub fn new(gateway: u32) -> Self {
        Self::with_sequence(gateway, 0)
    }

    /// A generator whose first id carries sequence `seq` (tests of the wrap).
    pub fn with_sequence(gateway: u32, seq: u16) -> Self {
        MsgIdGen {
            gateway: gateway.min(cmpp_codec::msg_id::MAX_GATEWAY),
            seq,
            stamp: i64::MIN,
            used: 0,
        }
    }

    /// Reserves `n` (1–99, clamped to ≥ 1) consecutive ids at time `now` and returns the first;
    /// the rest are `first.nth(1..n)`.
    pub fn next(&mut self, now: DateTime<FixedOffset>, n: u16) -> MsgId {
        let n = u32::from(n.max(1));
        let now_s = now.timestamp();
        if now_s > self.stamp {
            self.stamp = now_s;
            self.used = 0;
        }
        if self.used + n > 0x1_0000 {
            self.stamp += 1;
            self.used = 0;
        }
        self.used += n;
        let t = DateTime::from_timestamp(self.stamp, 0)
            .unwrap_or_default()
            .with_timezone(&beijing());
        let id = MsgId::from_parts(
            t.month() as u8,
            t.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            self.gateway,
            self.seq,
        )
        // Every part comes from a valid calendar time and a clamped gateway code.
        .unwrap_or_default();
        self.seq = self.seq.wrapping_add(n as u16);
        id
    }

    /// Seconds the stamps currently run ahead of `now` (0 under normal load).
    pub fn lead(&self, now: DateTime<FixedOffset>) -> TimeDelta {
        TimeDelta::seconds((self.stamp - now.timestamp()).max(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono::Utc;
    use std::collections::HashSet;

    fn t(s: &str) -> DateTime<FixedOffset> {
        beijing()
            .from_local_datetime(
                &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap(),
            )
            .unwrap()
    }

    #[test]
    fn layout_uses_beijing_time_and_gateway() {
        let mut g = MsgIdGen::new(79101);
        let id = g.next(t("2024-11-05 14:29:42"), 1);
        assert_eq!(
            (id.month(), id.day(), id.hour(), id.minute(), id.second()),
            (11, 5, 14, 29, 42)
        );
        assert_eq!(id.gateway(), 79101);
        assert_eq!(id.sequence(), 0);
        assert_eq!(g.next(t("2024-11-05 14:29:42"), 1).sequence(), 1);
        // 23:30 UTC is 07:30 next day in Beijing.
        let utc = Utc.with_ymd_and_hms(2024, 12, 31, 23, 30, 0).unwrap();
        let id = g.next(utc.with_timezone(&beijing()), 1);
        assert_eq!((id.month(), id.day(), id.hour()), (1, 1, 7));
        assert_eq!(yymmddhhmm(t("2024-11-05 14:29:42")), "2411051429");
    }

    #[test]
    fn group_reserves_a_range_and_wraps() {
        let mut g = MsgIdGen::with_sequence(1, 0xFFFE);
        let now = t("2024-05-04 10:36:38");
        let m = g.next(now, 3);
        assert_eq!(m.sequence(), 0xFFFE);
        let ids: Vec<u16> = m.group_ids(3).map(|i| i.sequence()).collect();
        assert_eq!(ids, vec![0xFFFE, 0xFFFF, 0]);
        assert_eq!(g.next(now, 1).sequence(), 1, "next id follows the range");
    }

    #[test]
    fn unique_even_beyond_65536_per_second() {
        let mut g = MsgIdGen::new(7);
        let now = t("2024-05-04 10:36:38");
        let mut seen = HashSet::new();
        for _ in 0..150_000 {
            assert!(seen.insert(g.next(now, 1)), "duplicate id");
        }
        // Group ranges too.
        for _ in 0..2_000 {
            let m = g.next(now, 50);
            for id in m.group_ids(50) {
                assert!(seen.insert(id), "duplicate group id");
            }
        }
        assert!(
            g.lead(now).num_seconds() >= 3,
            "stamps ran ahead of the clock"
        );
        // Once the clock catches up, stamps follow it again.
        let later = now + TimeDelta::seconds(60);
        let id = g.next(later, 1);
        assert_eq!(id.minute(), 37);
        assert_eq!(g.lead(later).num_seconds(), 0);
    }
}
