//! [`Version`]: the body layout to read and write (ClientVersion byte of Login).

use std::fmt;

/// SMGP layout version. The Login byte is advisory (the server answers its highest
/// version); the layout to use is per-account configuration.
///
/// | | 1.3 | 2.0 | 3.0 |
/// |---|---|---|---|
/// | Submit FixedFee | absent | present | present |
/// | TLV tail | none (but see quirk 5) | none | optional |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// 1.3 (0x13): Submit without FixedFee.
    V13,
    /// 2.0 (0x20): 3.0's fixed layout without TLVs.
    V20,
    /// 3.0 (0x30): FixedFee and the optional TLV tail.
    V30,
}

impl Version {
    /// The ClientVersion/ServerVersion byte: high nibble major, low nibble minor.
    pub const fn to_byte(self) -> u8 {
        match self {
            Version::V13 => 0x13,
            Version::V20 => 0x20,
            Version::V30 => 0x30,
        }
    }

    /// The version for a Login byte; `None` for unknown values.
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            0x13 => Some(Version::V13),
            0x20 => Some(Version::V20),
            0x30 => Some(Version::V30),
            _ => None,
        }
    }

    /// True when Submit carries FixedFee.
    pub const fn has_fixed_fee(self) -> bool {
        !matches!(self, Version::V13)
    }

    /// True when bodies may carry TLVs on encode (3.0; 1.3 too, as J's peers do).
    pub const fn has_tlvs(self) -> bool {
        !matches!(self, Version::V20)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V13 => "1.3",
            Version::V20 => "2.0",
            Version::V30 => "3.0",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip() {
        for v in [Version::V13, Version::V20, Version::V30] {
            assert_eq!(Version::from_byte(v.to_byte()), Some(v));
        }
        assert_eq!(Version::from_byte(0x31), None);
        assert!(!Version::V13.has_fixed_fee());
        assert!(Version::V20.has_fixed_fee() && !Version::V20.has_tlvs());
        assert_eq!(Version::V20.to_string(), "2.0");
    }
}
