//! Protocol version: which wire layout (2.0 or 3.0) a message uses.

use std::fmt;

/// CMPP wire-format version, chosen per message by the caller (a session property).
///
/// The Version byte of CONNECT/CONNECT_RESP is informational: 0x20 and 0x21 ("2.1") share
/// the 2.0 layout, 0x30 is 3.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Version {
    /// CMPP 2.0 / 2.1 (Version byte 0x20, also 0x21).
    V20,
    /// CMPP 3.0 (Version byte 0x30).
    V30,
}

impl Version {
    /// The wire layout for a Version byte: 0x20 and 0x21 → 2.0, 0x30 → 3.0, anything else `None`.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x20 | 0x21 => Some(Version::V20),
            0x30 => Some(Version::V30),
            _ => None,
        }
    }

    /// The Version byte this crate sends (0x20 or 0x30).
    pub const fn to_byte(self) -> u8 {
        match self {
            Version::V20 => 0x20,
            Version::V30 => 0x30,
        }
    }

    /// Width in bytes of response status fields (Status, Result, Success_Id): 1 on 2.0, 4 on 3.0.
    pub const fn status_width(self) -> usize {
        match self {
            Version::V20 => 1,
            Version::V30 => 4,
        }
    }

    /// Width of terminal-number fields (Dest_terminal_Id, Src_terminal_Id, Fee_terminal_Id): 21 or 32.
    pub const fn terminal_id_width(self) -> usize {
        match self {
            Version::V20 => 21,
            Version::V30 => 32,
        }
    }

    /// Width of the trailing Reserve (2.0, 8 bytes) / LinkID (3.0, 20 bytes) field.
    pub const fn link_id_width(self) -> usize {
        match self {
            Version::V20 => 8,
            Version::V30 => 20,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V20 => "2.0",
            Version::V30 => "3.0",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_bytes() {
        assert_eq!(Version::from_byte(0x20), Some(Version::V20));
        assert_eq!(Version::from_byte(0x21), Some(Version::V20));
        assert_eq!(Version::from_byte(0x30), Some(Version::V30));
        assert_eq!(Version::from_byte(0x00), None);
        assert_eq!(Version::V20.to_byte(), 0x20);
        assert_eq!(Version::V30.to_byte(), 0x30);
        assert_eq!(Version::V30.to_string(), "3.0");
    }
}
