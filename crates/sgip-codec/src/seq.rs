//! [`SequenceNumber`]: SGIP's 12-byte, three-part sequence number.

use std::fmt;

use chrono::{DateTime, Datelike, TimeZone, Timelike};

/// The 12-byte sequence number of every SGIP header: the node that created the command, the
/// time it was created (decimal `MMDDhhmmss`, Beijing time) and a counter.
///
/// A response copies all 12 bytes of its request, and a Report names the Submit it reports
/// on by all 12 bytes; equality and hashing use all three parts, so a counter that wraps or
/// restarts never matches an older Submit from another second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SequenceNumber {
    /// Part 1: node id of the creator (SP ids such as 3010012345 exceed `i32`; many SP
    /// clients send 0).
    pub node_id: u32,
    /// Part 2: `MMDDhhmmss` as a decimal integer (1204062621 = Dec 04 06:26:21).
    pub time: u32,
    /// Part 3: counter, increments per command and wraps.
    pub counter: u32,
}

impl SequenceNumber {
    /// A sequence number from its three parts.
    pub const fn new(node_id: u32, time: u32, counter: u32) -> Self {
        SequenceNumber {
            node_id,
            time,
            counter,
        }
    }

    /// A sequence number stamped with `at`, rendered in Beijing time.
    pub fn at<Tz: TimeZone>(node_id: u32, at: DateTime<Tz>, counter: u32) -> Self {
        SequenceNumber::new(node_id, time_field(at), counter)
    }

    /// The 12 wire bytes: three big-endian u32 in the order node, time, counter.
    pub fn to_bytes(self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&self.node_id.to_be_bytes());
        b[4..8].copy_from_slice(&self.time.to_be_bytes());
        b[8..].copy_from_slice(&self.counter.to_be_bytes());
        b
    }

    /// Reads the 12 wire bytes.
    pub fn from_bytes(b: [u8; 12]) -> Self {
        let word = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        SequenceNumber::new(word(0), word(4), word(8))
    }

    /// The time part split into (month, day, hour, minute, second); `None` when it is not a
    /// plausible `MMDDhhmmss` value (synthetic vectors send 0).
    pub fn time_parts(self) -> Option<(u32, u32, u32, u32, u32)> {
        let t = self.time;
        let parts = (
            t / 100_000_000,
            t / 1_000_000 % 100,
            t / 10_000 % 100,
            t / 100 % 100,
            t % 100,
        );
        let (mo, d, h, mi, s) = parts;
        ((1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 60)
            .then_some(parts)
    }

    /// The sequence number as the HTTP bearer writes it: the three parts' decimal digits
    /// run together (the spec's example drops the time's leading zero, so do we).
    pub fn to_decimal_string(self) -> String {
        format!("{}{}{}", self.node_id, self.time, self.counter)
    }
}

/// `MMDDhhmmss` of `at` in Beijing time, as the integer SGIP sends.
pub fn time_field<Tz: TimeZone>(at: DateTime<Tz>) -> u32 {
    let t = sms_time::to_beijing(at);
    t.month() * 100_000_000
        + t.day() * 1_000_000
        + t.hour() * 10_000
        + t.minute() * 100
        + t.second()
}

impl fmt::Display for SequenceNumber {
    /// `node-MMDDhhmmss-counter`, e.g. `3010012345-1204062621-1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:010}-{}", self.node_id, self.time, self.counter)
    }
}

impl From<[u8; 12]> for SequenceNumber {
    fn from(b: [u8; 12]) -> Self {
        SequenceNumber::from_bytes(b)
    }
}

/// A node id from its parts: SP `3AAAAQQQQQ` (area code, 5-digit corp id). Three-digit
/// area codes are left-aligned and padded with 0 (010 → 0100). `None` when a part does not
/// fit its digits.
pub fn sp_node_id(area_code: &str, corp_id: u32) -> Option<u32> {
    if !(3..=4).contains(&area_code.len()) || !area_code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if corp_id > 99_999 {
        return None;
    }
    let area: u32 = format!("{area_code:0<4}").parse().ok()?;
    // 3 999 999 999 < u32::MAX, so this cannot overflow.
    Some(3_000_000_000 + area * 100_000 + corp_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn bytes_round_trip_in_node_time_counter_order() {
        let s = SequenceNumber::new(0xB369_24B9, 0x47C4_899D, 1);
        assert_eq!(
            s.to_bytes(),
            [0xb3, 0x69, 0x24, 0xb9, 0x47, 0xc4, 0x89, 0x9d, 0, 0, 0, 1]
        );
        assert_eq!(SequenceNumber::from_bytes(s.to_bytes()), s);
        assert_eq!(s.to_string(), "3010012345-1204062621-1");
    }

    #[test]
    fn time_part_is_beijing_mmddhhmmss() {
        // Nov 20 12:32:25 UTC = Nov 20 20:32:25 Beijing = 1120203225 (digest §2).
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 12, 32, 25).unwrap();
        let s = SequenceNumber::at(0, t, 7);
        assert_eq!(s.time, 1_120_203_225);
        assert_eq!(s.time, 0x42C4_F1D9);
        assert_eq!(s.time_parts(), Some((11, 20, 20, 32, 25)));
        // Crossing midnight in Beijing moves the date.
        let late = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(time_field(late), 101_000_000);
        assert_eq!(SequenceNumber::default().time_parts(), None);
    }

    #[test]
    fn sp_node_id_follows_the_numbering_plan() {
        assert_eq!(sp_node_id("010", 12345), Some(3_010_012_345));
        assert_eq!(sp_node_id("0755", 12345), Some(3_075_512_345));
        assert_eq!(sp_node_id("0755", 100_000), None);
        assert_eq!(sp_node_id("07a5", 1), None);
        // Above i32::MAX: stored as u32 (quirk 4).
        assert!(sp_node_id("010", 12345).unwrap() > i32::MAX as u32);
    }

    #[test]
    fn http_decimal_form() {
        // S12 appendix 3: node 205502, time 0327125025, counter 327.
        let s = SequenceNumber::new(205_502, 327_125_025, 327);
        assert_eq!(s.to_decimal_string(), "205502327125025327");
    }
}
