//! CMPP_CONNECT and CMPP_CONNECT_RESP (login).

use bytes::{BufMut, BytesMut};

use crate::codes::ConnectStatus;
use crate::error::{DecodeProblem, EncodeError};
use crate::fields::{check_status, put_status, OctetString};
use crate::parse::{array, be_u32, be_u8, fail, octets, status, IResult};
use crate::Version;
use nom::Parser;

/// CMPP_CONNECT (SP→ISMG), same layout in 2.0 and 3.0 (27-byte body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Connect {
    /// Source_Addr: the 6-digit SP_Id.
    pub source_addr: OctetString<6>,
    /// AuthenticatorSource: MD5 over Source_Addr, 9 NULs, secret and timestamp (see [`crate::auth`]).
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::serde_hex::array"))]
    pub authenticator_source: [u8; 16],
    /// Version: 0x20 (also 0x21) for 2.0, 0x30 for 3.0; kept raw so it echoes exactly.
    pub version: u8,
    /// Timestamp: MMDDHHMMSS as a decimal number.
    pub timestamp: u32,
}

impl Connect {
    pub(crate) const BODY_LEN: usize = 27;

    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        (
            octets("Source_Addr", 6),
            array::<16>("AuthenticatorSource"),
            be_u8("Version"),
            be_u32("Timestamp"),
        )
            .map(
                |(source_addr, authenticator_source, version, timestamp)| Connect {
                    source_addr,
                    authenticator_source,
                    version,
                    timestamp,
                },
            )
            .parse_complete(i)
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.source_addr.put(dst, 6);
        dst.put_slice(&self.authenticator_source);
        dst.put_u8(self.version);
        dst.put_u32(self.timestamp);
    }
}

/// CMPP_CONNECT_RESP (ISMG→SP). Status is 1 byte in 2.0 and 4 bytes in 3.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConnectResp {
    /// Status: 0 ok, 1 structure, 2 source address, 3 authentication, 4 version too high, ≥5 other.
    pub status: ConnectStatus,
    /// AuthenticatorISMG: MD5(Status ‖ AuthenticatorSource ‖ secret), all zero on failure.
    #[cfg_attr(feature = "serde", serde(serialize_with = "crate::serde_hex::array"))]
    pub authenticator_ismg: [u8; 16],
    /// Version: highest version the gateway supports (raw byte).
    pub version: u8,
}

impl ConnectResp {
    pub(crate) fn body_len(version: Version) -> usize {
        version.status_width() + 17
    }

    /// Decodes with the Status width taken from the body length (18 → 1 byte, 21 → 4 bytes),
    /// not from the session version: gateways answer with the other layout.
    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        let width = match i.len() {
            18 => 1,
            21 => 4,
            actual => {
                return fail(
                    i,
                    "Status",
                    DecodeProblem::BadBodyLength {
                        actual,
                        expected: "18 (2.0) or 21 (3.0)",
                    },
                )
            }
        };
        (
            status("Status", width),
            array::<16>("AuthenticatorISMG"),
            be_u8("Version"),
        )
            .map(|(code, authenticator_ismg, version)| ConnectResp {
                status: ConnectStatus::from_u32(code),
                authenticator_ismg,
                version,
            })
            .parse_complete(i)
    }

    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        check_status("Status", self.status.to_u32(), version)
    }

    pub(crate) fn write(&self, version: Version, dst: &mut BytesMut) {
        put_status(dst, self.status.to_u32(), version);
        dst.put_slice(&self.authenticator_ismg);
        dst.put_u8(self.version);
    }
}
