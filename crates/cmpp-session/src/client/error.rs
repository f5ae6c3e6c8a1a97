//! Client errors: login failures and per-request failures.

use cmpp_codec::{ConnectStatus, EncodeError};

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// TCP connect failed.
    #[error("gateway unreachable: {0}")]
    Unreachable(#[source] std::io::Error),
    /// No CONNECT_RESP within the login timeout.
    #[error("no CONNECT_RESP within the login timeout")]
    Timeout,
    /// Status 1: the gateway could not parse our CONNECT.
    #[error("gateway reports a message structure error in CONNECT (status 1)")]
    BadStructure,
    /// Status 2: the SP_Id (Source_Addr) or source IP is not allowed.
    #[error("illegal source address: SP_Id '{sp_id}' or our IP is not accepted (status 2)")]
    IllegalSourceAddress {
        /// The SP_Id we sent.
        sp_id: String,
    },
    /// Status 3: the shared secret (or clock) is wrong.
    #[error("authentication failed: wrong shared secret or timestamp (status 3)")]
    Authentication,
    /// Status 4: the gateway does not speak our version.
    #[error("version {sent} too high for the gateway (status 4)")]
    VersionTooHigh {
        /// Version byte we sent.
        sent: u8,
    },
    /// Status 5 (common meaning): the account has too many connections.
    #[error("too many connections for this account (status 5)")]
    TooManyConnections,
    /// Any other non-zero status.
    #[error("login refused: status {0}")]
    Other(ConnectStatus),
    /// AuthenticatorISMG did not match (verification on): the gateway failed to prove it
    /// knows the shared secret, so the client refused it (and sent TERMINATE).
    #[error("the gateway's AuthenticatorISMG is wrong; refusing it ({0}); set verify_ismg_authenticator = false only to talk to a non-conforming gateway on purpose")]
    BadAuthenticatorIsmg(cmpp_codec::auth::AuthError),
    /// The first packet was not a CONNECT_RESP, or could not be read.
    #[error("unexpected reply to CONNECT: {0}")]
    UnexpectedPacket(String),
    /// The client is closed.
    #[error("client closed")]
    Closed,
}

impl LoginError {
    /// True when retrying with the same settings cannot succeed.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            LoginError::BadStructure
                | LoginError::IllegalSourceAddress { .. }
                | LoginError::Authentication
                | LoginError::VersionTooHigh { .. }
                | LoginError::BadAuthenticatorIsmg(_)
                | LoginError::Closed
        )
    }

    /// Maps a non-zero CONNECT_RESP status.
    pub(crate) fn from_status(status: ConnectStatus, sp_id: &str, sent: u8) -> Self {
        match status {
            ConnectStatus::BadStructure => LoginError::BadStructure,
            ConnectStatus::IllegalSourceAddr => LoginError::IllegalSourceAddress {
                sp_id: sp_id.to_owned(),
            },
            ConnectStatus::AuthFailed => LoginError::Authentication,
            ConnectStatus::VersionTooHigh => LoginError::VersionTooHigh { sent },
            ConnectStatus::Other(5) => LoginError::TooManyConnections,
            other => LoginError::Other(other),
        }
    }
}

/// Why a SUBMIT did not get a final response. Each variant says whether the gateway may
/// nevertheless have accepted the message (`maybe_accepted`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// No response after N transmissions; the gateway may have accepted it.
    #[error("no SUBMIT_RESP after {tries} transmissions (may have been accepted)")]
    NoResponse {
        /// Always true: a transmission may have arrived.
        maybe_accepted: bool,
        /// Transmissions made.
        tries: u32,
    },
    /// Result 8 after the allowed re-sends; not accepted.
    #[error("flow control (result 8) after {tries} transmissions; not accepted")]
    FlowControl {
        /// Transmissions made.
        tries: u32,
    },
    /// The link was lost (or closed) before a response.
    #[error("link lost before SUBMIT_RESP (maybe accepted: {maybe_accepted})")]
    LinkLost {
        /// True when it was written and not refused.
        maybe_accepted: bool,
    },
    /// The client is closed or closing; the request was never written.
    #[error("client closed; not sent")]
    Closed,
    /// The request cannot be encoded (caller error); not sent.
    #[error("cannot encode SUBMIT: {0}")]
    Encode(#[from] EncodeError),
    /// The request is invalid (caller error); not sent.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// No concatenation reference is free for a destination; not sent.
    #[error("no concatenation reference free: {0}")]
    References(#[from] cmpp_codec::long::AllocError),
}

/// Why a QUERY or CANCEL got no response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A parameter does not fit its field; not sent.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The request was not answered (see [`SubmitError`]).
    #[error("{0}")]
    Request(#[source] SubmitError),
    /// The gateway answered with another kind of response (a bug of this crate).
    #[error("the gateway's answer does not match the request")]
    Unexpected,
}

impl SubmitError {
    /// Whether the gateway may have accepted the message despite the error.
    pub fn maybe_accepted(&self) -> bool {
        match self {
            SubmitError::NoResponse { maybe_accepted, .. }
            | SubmitError::LinkLost { maybe_accepted } => *maybe_accepted,
            _ => false,
        }
    }
}
