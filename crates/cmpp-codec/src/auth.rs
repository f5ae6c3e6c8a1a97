//! Login authentication: AuthenticatorSource (CONNECT) and AuthenticatorISMG (CONNECT_RESP).

use chrono::{DateTime, Datelike, TimeZone, Timelike};
use md5::{Digest, Md5};

use crate::codes::ConnectStatus;
use crate::error::EncodeError;
use crate::fields::{check_status_u8, OctetString};
use crate::pdu::{Connect, ConnectResp};
use crate::Version;

/// Beijing time (UTC+8), the zone CONNECT timestamps are written in.
pub use sms_time::{beijing, BEIJING};

/// Why a login check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Source_Addr is not the expected SP_Id.
    #[error("Source_Addr '{got}' is not the expected SP_Id '{expected}'")]
    WrongSourceAddr {
        /// Configured SP_Id.
        expected: String,
        /// Value in the CONNECT.
        got: String,
    },
    /// Timestamp is not a valid MMDDHHMMSS value.
    #[error("Timestamp {value} is not a valid MMDDHHMMSS value")]
    BadTimestamp {
        /// The u32 Timestamp field.
        value: u32,
    },
    /// AuthenticatorSource does not match (wrong secret, or timestamp text differs).
    #[error("AuthenticatorSource does not match: wrong shared secret or timestamp")]
    WrongAuthenticator,
    /// AuthenticatorISMG is all zero (some gateways send this even on success).
    #[error("AuthenticatorISMG is all zero")]
    IsmgAllZero,
    /// AuthenticatorISMG does not match the expected digest.
    #[error(
        "AuthenticatorISMG does not match: wrong shared secret or a different AuthenticatorSource"
    )]
    IsmgMismatch,
}

/// CONNECT Timestamp: MMDDHHMMSS in Beijing time, as the u32 and as 10 ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectTimestamp(u32);

impl ConnectTimestamp {
    /// The timestamp for an instant, converted to Beijing time first.
    pub fn from_datetime<Tz: TimeZone>(when: &DateTime<Tz>) -> Self {
        let t = when.with_timezone(&beijing());
        let value = t.month() * 100_000_000
            + t.day() * 1_000_000
            + t.hour() * 10_000
            + t.minute() * 100
            + t.second().min(59);
        ConnectTimestamp(value)
    }

    /// Validates a received u32 Timestamp (month 1–12, day 1–31, hour < 24, minute/second < 60).
    pub fn from_value(value: u32) -> Result<Self, AuthError> {
        let month = value / 100_000_000;
        let day = value / 1_000_000 % 100;
        let hour = value / 10_000 % 100;
        let minute = value / 100 % 100;
        let second = value % 100;
        let valid = (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        if valid {
            Ok(ConnectTimestamp(value))
        } else {
            Err(AuthError::BadTimestamp { value })
        }
    }

    /// The u32 field value (no leading zero: Jan 2 03:04:05 → 102030405).
    pub fn value(self) -> u32 {
        self.0
    }

    /// The 10-character zero-padded text fed to MD5 ("0102030405").
    pub fn to_ascii(self) -> [u8; 10] {
        let mut out = [b'0'; 10];
        let mut v = self.0;
        for slot in out.iter_mut().rev() {
            // v % 10 is a single digit.
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out
    }
}

/// AuthenticatorSource = MD5(Source_Addr\[6\] ‖ 0x00×9 ‖ secret ‖ timestamp text\[10\]).
///
/// Source_Addr is fed as its 6-byte NUL-padded field, exactly as sent.
pub fn authenticator_source(
    source_addr: &OctetString<6>,
    secret: &[u8],
    timestamp: ConnectTimestamp,
) -> [u8; 16] {
    let mut field = [0u8; 6];
    field[..source_addr.len()].copy_from_slice(source_addr.as_bytes());
    let mut h = Md5::new();
    h.update(field);
    h.update([0u8; 9]);
    h.update(secret);
    h.update(timestamp.to_ascii());
    h.finalize().into()
}

/// AuthenticatorISMG = MD5(Status at its wire width ‖ AuthenticatorSource ‖ secret):
/// 1 byte on 2.0 (spec S2), 4 bytes big-endian on 3.0.
pub fn authenticator_ismg(
    status: ConnectStatus,
    version: Version,
    authenticator_source: &[u8; 16],
    secret: &[u8],
) -> Result<[u8; 16], EncodeError> {
    let code = status.to_u32();
    let mut h = Md5::new();
    match version {
        Version::V20 => h.update([check_status_u8("Status", code)?]),
        Version::V30 => h.update(code.to_be_bytes()),
    }
    h.update(authenticator_source);
    h.update(secret);
    Ok(h.finalize().into())
}

impl Connect {
    /// A CONNECT for `source_addr` (SP_Id) at instant `now`, with the Version byte of `version`.
    pub fn new<Tz: TimeZone>(
        source_addr: OctetString<6>,
        secret: &[u8],
        now: &DateTime<Tz>,
        version: Version,
    ) -> Self {
        let ts = ConnectTimestamp::from_datetime(now);
        Connect {
            source_addr,
            authenticator_source: authenticator_source(&source_addr, secret, ts),
            version: version.to_byte(),
            timestamp: ts.value(),
        }
    }
}

impl ConnectResp {
    /// The gateway's answer to `connect`: AuthenticatorISMG computed for Status 0, all zero
    /// otherwise (the spec leaves it empty on failure).
    pub fn for_connect(
        status: ConnectStatus,
        connect: &Connect,
        secret: &[u8],
        version: Version,
    ) -> Result<Self, EncodeError> {
        let authenticator_ismg = if status.is_ok() {
            authenticator_ismg(status, version, &connect.authenticator_source, secret)?
        } else {
            [0; 16]
        };
        Ok(ConnectResp {
            status,
            authenticator_ismg,
            version: version.to_byte(),
        })
    }
}

/// Gateway side: checks a CONNECT against the expected SP_Id and shared secret. Returns the
/// validated timestamp (the caller may check clock skew).
pub fn verify_connect(
    connect: &Connect,
    expected_source_addr: &str,
    secret: &[u8],
) -> Result<ConnectTimestamp, AuthError> {
    if connect.source_addr.as_bytes() != expected_source_addr.as_bytes() {
        return Err(AuthError::WrongSourceAddr {
            expected: expected_source_addr.to_owned(),
            got: connect.source_addr.to_str_lossy().into_owned(),
        });
    }
    let ts = ConnectTimestamp::from_value(connect.timestamp)?;
    if authenticator_source(&connect.source_addr, secret, ts) != connect.authenticator_source {
        return Err(AuthError::WrongAuthenticator);
    }
    Ok(ts)
}

/// SP side: checks AuthenticatorISMG of a CONNECT_RESP against the AuthenticatorSource we
/// sent. On 2.0 both the spec's 1-byte Status and the 4-byte form some servers hash are
/// accepted.
pub fn verify_connect_resp(
    resp: &ConnectResp,
    version: Version,
    authenticator_source: &[u8; 16],
    secret: &[u8],
) -> Result<(), AuthError> {
    if resp.authenticator_ismg == [0; 16] {
        return Err(AuthError::IsmgAllZero);
    }
    let matches = |v: Version| {
        authenticator_ismg(resp.status, v, authenticator_source, secret)
            .is_ok_and(|d| d == resp.authenticator_ismg)
    };
    if matches(version) || (version == Version::V20 && matches(Version::V30)) {
        Ok(())
    } else {
        Err(AuthError::IsmgMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn sp() -> OctetString<6> {
        OctetString::try_from("900001").unwrap()
    }

    const SRC: [u8; 16] = [
        0x90, 0xd0, 0x0c, 0x1d, 0x51, 0x7a, 0xbd, 0x0b, 0x4f, 0x65, 0xf6, 0xbc, 0xf8, 0x53, 0x5d,
        0x16,
    ];

    #[test]
    fn authenticator_source_check_value() {
        let ts = ConnectTimestamp::from_value(1_021_080_510).unwrap();
        assert_eq!(authenticator_source(&sp(), b"888888", ts), SRC);
    }

    #[test]
    fn january_timestamp_is_zero_padded() {
        let ts = ConnectTimestamp::from_value(0x0614_DC45).unwrap();
        assert_eq!(ts.value(), 102_030_405);
        assert_eq!(&ts.to_ascii(), b"0102030405");
        assert_eq!(
            authenticator_source(&sp(), b"888888", ts),
            [
                0x3b, 0x7b, 0xba, 0x56, 0xa8, 0xc1, 0xd8, 0x85, 0xb7, 0xd4, 0x3d, 0x3f, 0x6d, 0x82,
                0xcb, 0x94
            ]
        );
    }

    #[test]
    fn authenticator_ismg_check_values() {
        let v20 = authenticator_ismg(ConnectStatus::Ok, Version::V20, &SRC, b"888888").unwrap();
        assert_eq!(
            v20,
            [
                0x6c, 0x0b, 0x84, 0x6e, 0x25, 0xba, 0xb6, 0xda, 0xa4, 0xed, 0x1c, 0x46, 0x6e, 0x0f,
                0x4b, 0xd8
            ]
        );
        let v30 = authenticator_ismg(ConnectStatus::Ok, Version::V30, &SRC, b"888888").unwrap();
        assert_eq!(
            v30,
            [
                0x79, 0x42, 0x97, 0x72, 0x74, 0x09, 0x8c, 0xf2, 0x10, 0xab, 0x0c, 0x16, 0xc3, 0x67,
                0xbc, 0x8d
            ]
        );
        assert!(authenticator_ismg(ConnectStatus::Other(300), Version::V20, &SRC, b"x").is_err());
    }

    #[test]
    fn timestamp_is_taken_in_beijing_time() {
        // 2024-10-21 00:05:10 UTC is 08:05:10 in Beijing.
        let utc = Utc.with_ymd_and_hms(2024, 10, 21, 0, 5, 10).unwrap();
        assert_eq!(ConnectTimestamp::from_datetime(&utc).value(), 1_021_080_510);
        // 2024-12-31 20:00:00 UTC is already January 1st in Beijing.
        let ny = Utc.with_ymd_and_hms(2024, 12, 31, 20, 0, 0).unwrap();
        assert_eq!(ConnectTimestamp::from_datetime(&ny).value(), 101_040_000);
    }

    #[test]
    fn connect_new_and_verify() {
        let now = beijing().with_ymd_and_hms(2024, 10, 21, 8, 5, 10).unwrap();
        let c = Connect::new(sp(), b"888888", &now, Version::V30);
        assert_eq!(c.authenticator_source, SRC);
        assert_eq!(c.timestamp, 1_021_080_510);
        assert_eq!(c.version, 0x30);
        assert!(verify_connect(&c, "900001", b"888888").is_ok());
        assert_eq!(
            verify_connect(&c, "900002", b"888888"),
            Err(AuthError::WrongSourceAddr {
                expected: "900002".into(),
                got: "900001".into()
            })
        );
        assert_eq!(
            verify_connect(&c, "900001", b"bad"),
            Err(AuthError::WrongAuthenticator)
        );
        let bad_ts = Connect {
            timestamp: 1_332_000_000,
            ..c
        };
        assert_eq!(
            verify_connect(&bad_ts, "900001", b"888888"),
            Err(AuthError::BadTimestamp {
                value: 1_332_000_000
            })
        );
    }

    #[test]
    fn connect_resp_verify() {
        let now = beijing().with_ymd_and_hms(2024, 10, 21, 8, 5, 10).unwrap();
        let c = Connect::new(sp(), b"888888", &now, Version::V20);
        let ok = ConnectResp::for_connect(ConnectStatus::Ok, &c, b"888888", Version::V20).unwrap();
        assert_eq!(
            verify_connect_resp(&ok, Version::V20, &SRC, b"888888"),
            Ok(())
        );
        assert_eq!(
            verify_connect_resp(&ok, Version::V20, &SRC, b"other"),
            Err(AuthError::IsmgMismatch)
        );
        // A 2.0 server that hashes the 4-byte status is tolerated.
        let j_style =
            ConnectResp::for_connect(ConnectStatus::Ok, &c, b"888888", Version::V30).unwrap();
        assert_eq!(
            verify_connect_resp(&j_style, Version::V20, &SRC, b"888888"),
            Ok(())
        );
        // ... but on 3.0 only the 4-byte form is accepted.
        assert_eq!(
            verify_connect_resp(&ok, Version::V30, &SRC, b"888888"),
            Err(AuthError::IsmgMismatch)
        );
        let failed =
            ConnectResp::for_connect(ConnectStatus::AuthFailed, &c, b"888888", Version::V20)
                .unwrap();
        assert_eq!(failed.authenticator_ismg, [0; 16]);
        assert_eq!(
            verify_connect_resp(&failed, Version::V20, &SRC, b"888888"),
            Err(AuthError::IsmgAllZero)
        );
    }
}
