//! Login and Login_Resp (MD5 authentication, §3.1–3.2, §4).

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, TimeZone};

use crate::auth::{client_authenticator, server_authenticator, timestamp, verify_client, AuthForm};
use crate::codes::Status;
use crate::parse::{array, end, text, u32_field, u8_field, PResult};
use crate::text::Text;
use crate::Version;

/// LoginMode 0: send mode (Submit only).
pub const MODE_SEND: u8 = 0;
/// LoginMode 1: receive mode (the gateway pushes Deliver).
pub const MODE_RECEIVE: u8 = 1;
/// LoginMode 2: transmit mode (both).
pub const MODE_TRANSMIT: u8 = 2;

/// Login: opens the application session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Login {
    /// ClientID: the account (for an SP its service code).
    pub client_id: Text<8>,
    /// AuthenticatorClient: MD5, see [`crate::auth`].
    pub authenticator: [u8; 16],
    /// LoginMode: 0 send, 1 receive, 2 transmit.
    pub login_mode: u8,
    /// TimeStamp: decimal `MMDDHHMMSS` as an integer.
    pub timestamp: u32,
    /// ClientVersion: 0x30, 0x20 or 0x13.
    pub client_version: u8,
}

impl Login {
    pub(crate) const BODY_LEN: usize = 30;

    /// A Login for `client_id`, authenticated with `secret` at `at` (Beijing time).
    pub fn new<Tz: TimeZone>(
        client_id: Text<8>,
        secret: &[u8],
        login_mode: u8,
        at: DateTime<Tz>,
        version: Version,
    ) -> Self {
        let timestamp = timestamp(at);
        Login {
            client_id,
            authenticator: client_authenticator(client_id.as_bytes(), secret, timestamp),
            login_mode,
            timestamp,
            client_version: version.to_byte(),
        }
    }

    /// Checks the authenticator against `secret` (spec form or NUL-padded ClientID).
    pub fn verify(&self, secret: &[u8]) -> Option<AuthForm> {
        verify_client(
            self.client_id.as_bytes(),
            secret,
            self.timestamp,
            &self.authenticator,
        )
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        self.client_id.put(dst);
        dst.put_slice(&self.authenticator);
        dst.put_u8(self.login_mode);
        dst.put_u32(self.timestamp);
        dst.put_u8(self.client_version);
    }
}

/// Login_Resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginResp {
    /// Status: 0 success; any other value is a failure.
    pub status: Status,
    /// AuthenticatorServer: MD5, all zeros when authentication failed.
    pub authenticator: [u8; 16],
    /// ServerVersion: the highest version the server supports.
    pub server_version: u8,
}

impl LoginResp {
    pub(crate) const BODY_LEN: usize = 21;

    /// The answer to `login` with `status`; the authenticator is computed from `secret` on
    /// success and left zero on failure, as the spec says.
    pub fn new(status: Status, login: &Login, secret: &[u8], version: Version) -> Self {
        let authenticator = if status.is_ok() {
            server_authenticator(status.0, &login.authenticator, secret)
        } else {
            [0; 16]
        };
        LoginResp {
            status,
            authenticator,
            server_version: version.to_byte(),
        }
    }

    /// True when the authenticator is the MD5 the spec prescribes. Test gateways send text
    /// such as "authserver" here, so callers should treat `false` as a warning.
    pub fn verify(&self, login: &Login, secret: &[u8]) -> bool {
        self.authenticator == server_authenticator(self.status.0, &login.authenticator, secret)
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_u32(self.status.0);
        dst.put_slice(&self.authenticator);
        dst.put_u8(self.server_version);
    }
}

/// Parses a Login body (30 bytes).
pub fn login(i: &[u8]) -> PResult<'_, Login> {
    let (i, client_id) = text(i, "ClientID")?;
    let (i, authenticator) = array(i, "AuthenticatorClient")?;
    let (i, login_mode) = u8_field(i, "LoginMode")?;
    let (i, timestamp) = u32_field(i, "TimeStamp")?;
    let (i, client_version) = u8_field(i, "ClientVersion")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Login {
            client_id,
            authenticator,
            login_mode,
            timestamp,
            client_version,
        },
    ))
}

/// Parses a Login_Resp body (21 bytes).
pub fn login_resp(i: &[u8]) -> PResult<'_, LoginResp> {
    let (i, status) = u32_field(i, "Status")?;
    let (i, authenticator) = array(i, "AuthenticatorServer")?;
    let (i, server_version) = u8_field(i, "ServerVersion")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        LoginResp {
            status: Status(status),
            authenticator,
            server_version,
        },
    ))
}
