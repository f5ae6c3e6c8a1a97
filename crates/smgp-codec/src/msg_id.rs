//! [`MsgId`]: SMGP's 10-byte message id, kept raw and shown as hex.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, TimeZone, Timelike};

/// The 10-byte MsgID. By the spec it is BCD: SMGW code (6 digits), receive time `MMDDHHMM`,
/// sequence (6 digits). Real gateways also send ids that are not BCD, so the bytes are kept
/// as they are, compared exactly, and shown as 20 lowercase hex digits (identical to the
/// decimal text when the bytes are BCD).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MsgId(pub [u8; 10]);

/// A MsgID text that is not 20 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a MsgID is 20 hex digits")]
pub struct MsgIdParseError;

impl MsgId {
    /// A BCD id from its parts; `None` when a part has too many digits.
    pub fn from_parts<Tz: TimeZone>(
        smgw_code: u32,
        received: DateTime<Tz>,
        sequence: u32,
    ) -> Option<Self> {
        if smgw_code > 999_999 || sequence > 999_999 {
            return None;
        }
        let t = sms_time::to_beijing(received);
        let mmddhhmm = t.month() * 1_000_000 + t.day() * 10_000 + t.hour() * 100 + t.minute();
        let digits = format!("{smgw_code:06}{mmddhhmm:08}{sequence:06}");
        digits.parse().ok()
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// True when every nibble is a decimal digit (the spec's form).
    pub fn is_bcd(&self) -> bool {
        self.0.iter().all(|b| b >> 4 < 10 && b & 0x0f < 10)
    }

    /// (SMGW code, `MMDDHHMM`, sequence) when the id is BCD.
    pub fn parts(&self) -> Option<(u32, u32, u32)> {
        if !self.is_bcd() {
            return None;
        }
        let bcd = |bytes: &[u8]| {
            bytes.iter().fold(0u32, |n, b| {
                n * 100 + u32::from(b >> 4) * 10 + u32::from(b & 0x0f)
            })
        };
        Some((bcd(&self.0[..3]), bcd(&self.0[3..7]), bcd(&self.0[7..])))
    }

    /// The id of recipient `k` (0-based) of a group send whose Submit_Resp carried `self`:
    /// the sequence part plus `k`, modulo 1,000,000, the rest unchanged. `None` for a
    /// non-BCD id, where the rule does not apply.
    pub fn nth_recipient(&self, k: u32) -> Option<MsgId> {
        let (code, time, seq) = self.parts()?;
        let seq = (u64::from(seq) + u64::from(k)) % 1_000_000;
        format!("{code:06}{time:08}{seq:06}").parse().ok()
    }
}

impl FromStr for MsgId {
    type Err = MsgIdParseError;

    /// Parses 20 hex digits (upper or lower case).
    fn from_str(s: &str) -> Result<Self, MsgIdParseError> {
        let s = s.as_bytes();
        if s.len() != 20 {
            return Err(MsgIdParseError);
        }
        let nibble = |c: u8| (c as char).to_digit(16).ok_or(MsgIdParseError);
        let mut out = [0u8; 10];
        for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
            // Each nibble is < 16, so the byte fits.
            *o = (nibble(pair[0])? * 16 + nibble(pair[1])?) as u8;
        }
        Ok(MsgId(out))
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn spec_example_reads_as_its_decimal_text() {
        // SMGW 010061, 2003-01-16 17:00, sequence 012345.
        let id = MsgId([0x01, 0x00, 0x61, 0x01, 0x16, 0x17, 0x00, 0x01, 0x23, 0x45]);
        assert_eq!(id.to_string(), "01006101161700012345");
        assert_eq!(id.parts(), Some((10_061, 1_161_700, 12_345)));
        assert_eq!("01006101161700012345".parse::<MsgId>(), Ok(id));
        let received = Utc.with_ymd_and_hms(2003, 1, 16, 9, 0, 0).unwrap(); // 17:00 Beijing
        assert_eq!(MsgId::from_parts(10_061, received, 12_345), Some(id));
    }

    #[test]
    fn non_bcd_ids_stay_lossless() {
        let id: MsgId = "6495c36ac4ea6b00000b".parse().unwrap();
        assert!(!id.is_bcd());
        assert_eq!(id.parts(), None);
        assert_eq!(id.to_string(), "6495c36ac4ea6b00000b");
        assert_eq!("6495C36AC4EA6B00000B".parse::<MsgId>(), Ok(id));
        assert_eq!("6495c3".parse::<MsgId>(), Err(MsgIdParseError));
        assert_eq!(
            "6495c36ac4ea6b00000g".parse::<MsgId>(),
            Err(MsgIdParseError)
        );
    }

    #[test]
    fn group_send_ids_count_up_the_sequence_and_wrap() {
        let first: MsgId = "01006101161700999999".parse().unwrap();
        assert_eq!(first.nth_recipient(0), Some(first));
        assert_eq!(
            first.nth_recipient(1).unwrap().to_string(),
            "01006101161700000000"
        );
        assert_eq!(
            first.nth_recipient(3).unwrap().to_string(),
            "01006101161700000002"
        );
        let odd: MsgId = "6495c36ac4ea6b00000b".parse().unwrap();
        assert_eq!(odd.nth_recipient(1), None);
    }
}
