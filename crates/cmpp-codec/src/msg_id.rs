//! Msg_Id: the 64-bit message identifier assigned by the gateway.

use std::fmt;
use std::str::FromStr;

/// Msg_Id: month(4) day(5) hour(5) minute(6) second(6) gateway code(22) sequence(16), sent as a
/// big-endian u64. Equality is bytewise (the u64), never through the decoded fields.
///
/// ```
/// use cmpp_codec::MsgId;
///
/// let id = MsgId::from_parts(12, 4, 9, 50, 0, 1234, 1).unwrap();
/// assert_eq!((id.month(), id.day(), id.gateway(), id.sequence()), (12, 4, 1234, 1));
/// assert_eq!(MsgId::from_bytes(id.to_bytes()), id);
/// assert!(MsgId::from_parts(13, 1, 0, 0, 0, 0, 0).is_err()); // no month 13
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MsgId(u64);

/// Errors building or parsing a [`MsgId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MsgIdError {
    /// A part is outside its range.
    #[error("Msg_Id {part} {value} is out of range {min}..={max}")]
    OutOfRange {
        /// Part name (month, day, …).
        part: &'static str,
        /// Given value.
        value: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// Text is none of the accepted forms.
    #[error("Msg_Id text '{0}' is not 0x-hex, 16 hex digits, a 22-digit MMDDHHMMSS+gw+seq form or a decimal u64")]
    BadText(String),
}

const SHIFT_MONTH: u32 = 60;
const SHIFT_DAY: u32 = 55;
const SHIFT_HOUR: u32 = 50;
const SHIFT_MINUTE: u32 = 44;
const SHIFT_SECOND: u32 = 38;
const SHIFT_GATEWAY: u32 = 16;
/// Largest gateway (ISMG) code that fits the 22-bit field.
pub const MAX_GATEWAY: u32 = 0x3F_FFFF;

fn check(part: &'static str, value: u64, min: u64, max: u64) -> Result<u64, MsgIdError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(MsgIdError::OutOfRange {
            part,
            value,
            min,
            max,
        })
    }
}

impl MsgId {
    /// The id with the given u64 value.
    pub const fn from_u64(value: u64) -> Self {
        MsgId(value)
    }

    /// The id from its 8 wire bytes (big-endian).
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        MsgId(u64::from_be_bytes(bytes))
    }

    /// Builds an id from calendar parts, gateway code and sequence, validating each range
    /// (month 1–12, day 1–31, hour 0–23, minute and second 0–59, gateway ≤ 4194303).
    pub fn from_parts(
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        gateway: u32,
        sequence: u16,
    ) -> Result<Self, MsgIdError> {
        let month = check("month", month.into(), 1, 12)?;
        let day = check("day", day.into(), 1, 31)?;
        let hour = check("hour", hour.into(), 0, 23)?;
        let minute = check("minute", minute.into(), 0, 59)?;
        let second = check("second", second.into(), 0, 59)?;
        let gateway = check("gateway", gateway.into(), 0, MAX_GATEWAY.into())?;
        Ok(Self::pack(
            month,
            day,
            hour,
            minute,
            second,
            gateway,
            sequence.into(),
        ))
    }

    const fn pack(mo: u64, d: u64, h: u64, mi: u64, s: u64, gw: u64, seq: u64) -> Self {
        MsgId(
            mo << SHIFT_MONTH
                | d << SHIFT_DAY
                | h << SHIFT_HOUR
                | mi << SHIFT_MINUTE
                | s << SHIFT_SECOND
                | gw << SHIFT_GATEWAY
                | seq,
        )
    }

    /// The u64 value.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The 8 wire bytes (big-endian).
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }

    /// Month field (bits 64–61; 1–12 in valid ids).
    pub const fn month(self) -> u8 {
        (self.0 >> SHIFT_MONTH) as u8 & 0x0F
    }

    /// Day field (bits 60–56).
    pub const fn day(self) -> u8 {
        (self.0 >> SHIFT_DAY) as u8 & 0x1F
    }

    /// Hour field (bits 55–51).
    pub const fn hour(self) -> u8 {
        (self.0 >> SHIFT_HOUR) as u8 & 0x1F
    }

    /// Minute field (bits 50–45).
    pub const fn minute(self) -> u8 {
        (self.0 >> SHIFT_MINUTE) as u8 & 0x3F
    }

    /// Second field (bits 44–39).
    pub const fn second(self) -> u8 {
        (self.0 >> SHIFT_SECOND) as u8 & 0x3F
    }

    /// Gateway (ISMG) code field (bits 38–17), e.g. 79101 for ISMG_Id "079101".
    pub const fn gateway(self) -> u32 {
        (self.0 >> SHIFT_GATEWAY) as u32 & MAX_GATEWAY
    }

    /// Sequence field (bits 16–1).
    pub const fn sequence(self) -> u16 {
        self.0 as u16
    }

    /// The id of the `i`-th recipient of a group send answered with this id (i = 0 is this
    /// id). Only the 16-bit sequence field advances and wraps from 0xFFFF to 0; time and
    /// gateway bits never change (our reading of "sequence field wrapping to 0").
    pub const fn nth(self, i: u16) -> Self {
        MsgId((self.0 & !0xFFFF) | self.sequence().wrapping_add(i) as u64)
    }

    /// The ids M … M+n−1 that a group SUBMIT to `n` recipients stands for, in recipient order.
    pub fn group_ids(self, n: u16) -> impl Iterator<Item = MsgId> {
        (0..n).map(move |i| self.nth(i))
    }

    /// The 22-digit text form MMDDHHMMSS + gateway (7 digits) + sequence (5 digits).
    pub fn to_digits(self) -> String {
        format!(
            "{:02}{:02}{:02}{:02}{:02}{:07}{:05}",
            self.month(),
            self.day(),
            self.hour(),
            self.minute(),
            self.second(),
            self.gateway(),
            self.sequence()
        )
    }

    /// Hex text form `0x` + 16 lowercase digits.
    pub fn to_hex(self) -> String {
        format!("0x{:016x}", self.0)
    }

    fn from_digits(s: &str) -> Result<Self, MsgIdError> {
        let num = |range: std::ops::Range<usize>| -> u64 {
            s.as_bytes()[range]
                .iter()
                .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'))
        };
        // Bounds are the bit widths, so every value the field can hold round-trips.
        let month = check("month", num(0..2), 0, 0x0F)?;
        let day = check("day", num(2..4), 0, 0x1F)?;
        let hour = check("hour", num(4..6), 0, 0x1F)?;
        let minute = check("minute", num(6..8), 0, 0x3F)?;
        let second = check("second", num(8..10), 0, 0x3F)?;
        let gateway = check("gateway", num(10..17), 0, MAX_GATEWAY.into())?;
        let sequence = check("sequence", num(17..22), 0, 0xFFFF)?;
        Ok(Self::pack(
            month, day, hour, minute, second, gateway, sequence,
        ))
    }
}

impl FromStr for MsgId {
    type Err = MsgIdError;

    /// Accepts `0x` + 1–16 hex digits, exactly 16 hex digits (read as hex even when all are
    /// decimal digits), exactly 22 decimal digits (MMDDHHMMSS + gw + seq), or a decimal u64.
    fn from_str(text: &str) -> Result<Self, MsgIdError> {
        let s = text.trim();
        let bad = || MsgIdError::BadText(text.to_owned());
        let is_hex =
            |t: &str| !t.is_empty() && t.len() <= 16 && t.bytes().all(|b| b.is_ascii_hexdigit());
        if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            if !is_hex(hex) {
                return Err(bad());
            }
            return u64::from_str_radix(hex, 16).map(MsgId).map_err(|_| bad());
        }
        if s.len() == 16 && is_hex(s) {
            return u64::from_str_radix(s, 16).map(MsgId).map_err(|_| bad());
        }
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            if s.len() == 22 {
                return Self::from_digits(s);
            }
            return s.parse::<u64>().map(MsgId).map_err(|_| bad());
        }
        Err(bad())
    }
}

impl From<u64> for MsgId {
    fn from(v: u64) -> Self {
        MsgId(v)
    }
}

impl From<[u8; 8]> for MsgId {
    fn from(b: [u8; 8]) -> Self {
        MsgId::from_bytes(b)
    }
}

impl From<MsgId> for u64 {
    fn from(id: MsgId) -> Self {
        id.0
    }
}

/// Renders the 22-digit form (as used in logs and databases).
impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_digits())
    }
}

impl fmt::Debug for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MsgId(0x{:016x} {:02}-{:02} {:02}:{:02}:{:02} gw={} seq={})",
            self.0,
            self.month(),
            self.day(),
            self.hour(),
            self.minute(),
            self.second(),
            self.gateway(),
            self.sequence()
        )
    }
}

impl fmt::LowerHex for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

/// Serialised as an object with the u64, both text forms and the decoded parts.
#[cfg(feature = "serde")]
impl serde::Serialize for MsgId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("MsgId", 10)?;
        st.serialize_field("u64", &self.0)?;
        st.serialize_field("hex", &self.to_hex())?;
        st.serialize_field("digits", &self.to_digits())?;
        st.serialize_field("month", &self.month())?;
        st.serialize_field("day", &self.day())?;
        st.serialize_field("hour", &self.hour())?;
        st.serialize_field("minute", &self.minute())?;
        st.serialize_field("second", &self.second())?;
        st.serialize_field("gateway", &self.gateway())?;
        st.serialize_field("sequence", &self.sequence())?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_from_spec_10_2() {
        let cases = [
            ((11, 5, 14, 29, 42, 1, 0), 0xb2b9_da80_0001_0000u64),
            ((10, 28, 23, 6, 47, 11, 1), 0xae5c_6bc0_000b_0001),
            ((12, 31, 23, 59, 59, 79101, 65535), 0xcfdf_bec1_34fd_ffff),
        ];
        for ((mo, d, h, mi, s, gw, seq), value) in cases {
            let id = MsgId::from_parts(mo, d, h, mi, s, gw, seq).unwrap();
            assert_eq!(id.as_u64(), value);
            let back = MsgId::from_u64(value);
            assert_eq!(
                (
                    back.month(),
                    back.day(),
                    back.hour(),
                    back.minute(),
                    back.second()
                ),
                (mo, d, h, mi, s)
            );
            assert_eq!((back.gateway(), back.sequence()), (gw, seq));
        }
    }

    #[test]
    fn tv12_worked_example() {
        let id = MsgId::from_bytes([0x52, 0x2a, 0x49, 0x80, 0x00, 0x2a, 0xa6, 0xce]);
        assert_eq!(
            (id.month(), id.day(), id.hour(), id.minute(), id.second()),
            (5, 4, 10, 36, 38)
        );
        assert_eq!((id.gateway(), id.sequence()), (42, 42702));
    }

    #[test]
    fn parts_are_validated() {
        assert!(matches!(
            MsgId::from_parts(13, 1, 0, 0, 0, 0, 0),
            Err(MsgIdError::OutOfRange {
                part: "month",
                value: 13,
                ..
            })
        ));
        assert!(MsgId::from_parts(1, 0, 0, 0, 0, 0, 0).is_err());
        assert!(MsgId::from_parts(1, 1, 24, 0, 0, 0, 0).is_err());
        assert!(MsgId::from_parts(1, 1, 0, 60, 0, 0, 0).is_err());
        assert!(MsgId::from_parts(1, 1, 0, 0, 60, 0, 0).is_err());
        assert!(MsgId::from_parts(1, 1, 0, 0, 0, MAX_GATEWAY + 1, 0).is_err());
    }

    #[test]
    fn text_forms_round_trip() {
        let id = MsgId::from_u64(0xae5c_6bc0_000b_0001);
        assert_eq!(id.to_string(), "1028230647000001100001");
        assert_eq!("1028230647000001100001".parse::<MsgId>(), Ok(id));
        assert_eq!(id.to_hex(), "0xae5c6bc0000b0001");
        assert_eq!("0xae5c6bc0000b0001".parse::<MsgId>(), Ok(id));
        assert_eq!("AE5C6BC0000B0001".parse::<MsgId>(), Ok(id));
        assert_eq!(id.as_u64().to_string().parse::<MsgId>(), Ok(id));
        assert!("hello".parse::<MsgId>().is_err());
        assert!("0x".parse::<MsgId>().is_err());
        assert!("9999999999999999999999".parse::<MsgId>().is_err());
    }

    #[test]
    fn group_ids_wrap_within_sequence_field() {
        let id = MsgId::from_parts(12, 31, 23, 59, 59, 79101, 0xFFFE).unwrap();
        let ids: Vec<MsgId> = id.group_ids(4).collect();
        assert_eq!(ids.len(), 4);
        assert_eq!(ids[0], id);
        let seqs: Vec<u16> = ids.iter().map(|i| i.sequence()).collect();
        assert_eq!(seqs, [0xFFFE, 0xFFFF, 0, 1]);
        assert!(ids.iter().all(|i| i.gateway() == 79101 && i.second() == 59));
        assert_eq!(id.nth(1).as_u64(), id.as_u64() + 1);
    }

    #[test]
    fn byte_view_matches_u64() {
        let id = MsgId::from_u64(0xb2b9_da80_0001_0000);
        assert_eq!(
            id.to_bytes(),
            [0xb2, 0xb9, 0xda, 0x80, 0x00, 0x01, 0x00, 0x00]
        );
        assert_eq!(MsgId::from(id.to_bytes()), id);
    }
}
