//! Msg_Fmt, the content-encoding byte of SUBMIT and DELIVER.

/// Msg_Fmt: 0 ASCII, 3 SIM-card write, 4 binary, 8 UCS2, 15 GB-coded Chinese.
///
/// Values outside the spec table are kept verbatim in [`MsgFmt::Other`] so that a
/// decoded message re-encodes to the same byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum MsgFmt {
    /// 0: ASCII (one byte per character, no GSM-7 packing on the CMPP wire).
    Ascii,
    /// 3: SIM-card write operation (binary payload).
    SimCard,
    /// 4: binary.
    Binary,
    /// 8: UCS2, i.e. UTF-16BE without a byte-order mark.
    Ucs2,
    /// 15: "GB" Chinese; decoded as GB18030 (a superset of GBK and GB2312).
    Gb,
    /// Any other value, kept verbatim.
    Other(u8),
}

impl MsgFmt {
    /// The wire byte.
    pub const fn to_byte(self) -> u8 {
        match self {
            MsgFmt::Ascii => 0,
            MsgFmt::SimCard => 3,
            MsgFmt::Binary => 4,
            MsgFmt::Ucs2 => 8,
            MsgFmt::Gb => 15,
            MsgFmt::Other(b) => b,
        }
    }

    /// The value for a wire byte; never fails.
    pub const fn from_byte(b: u8) -> Self {
        match b {
            0 => MsgFmt::Ascii,
            3 => MsgFmt::SimCard,
            4 => MsgFmt::Binary,
            8 => MsgFmt::Ucs2,
            15 => MsgFmt::Gb,
            other => MsgFmt::Other(other),
        }
    }

    /// Largest Msg_Length a SUBMIT may carry in this format on encode
    /// (spec: "< 160" for ASCII, "≤ 140" for every other format).
    pub const fn max_submit_len(self) -> usize {
        match self {
            MsgFmt::Ascii => 159,
            _ => 140,
        }
    }
}

impl From<u8> for MsgFmt {
    fn from(b: u8) -> Self {
        MsgFmt::from_byte(b)
    }
}

impl From<MsgFmt> for u8 {
    fn from(f: MsgFmt) -> Self {
        f.to_byte()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(MsgFmt::from_byte(b).to_byte(), b);
        }
        assert_eq!(MsgFmt::from_byte(8), MsgFmt::Ucs2);
        assert_eq!(MsgFmt::from_byte(9), MsgFmt::Other(9));
    }
}
