//! The Login / Login_Resp handshake (§3.1–3.2, §4) over a byte stream, for both sides.
//!
//! * SP side: [`login`] (on a connected stream) and [`connect`] send the Login with its MD5
//!   authenticator, read the Login_Resp and map a refusal to a typed [`LoginError`] that says
//!   whether retrying can help ([`LoginError::is_permanent`]).
//! * Gateway side: [`accept_login`] reads the first packet, checks it against [`Accounts`]
//!   and answers: Login_Resp with AuthenticatorServer on success, or with a Status and a
//!   zero authenticator and a typed [`LoginRefusal`] otherwise.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use smgp_codec::auth::AuthForm;
use smgp_codec::{
    decode, encode, Bodiless, DecodeError, Login, LoginResp, Packet, Pdu, Status, Text, Version,
    DEFAULT_MAX_FRAME_LEN,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use sms_session::link::{FrameReader, StreamError};

use crate::proto::reader;

/// LoginMode: which traffic a link carries (§1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginMode {
    /// 0: the SP sends Submit; the gateway pushes nothing.
    Send,
    /// 1: the gateway pushes Deliver (MO and status reports); the SP sends no Submit.
    Receive,
    /// 2: both.
    Transmit,
}

impl LoginMode {
    /// The LoginMode byte.
    pub const fn to_byte(self) -> u8 {
        match self {
            LoginMode::Send => 0,
            LoginMode::Receive => 1,
            LoginMode::Transmit => 2,
        }
    }

    /// The mode for a LoginMode byte; `None` outside 0–2.
    pub const fn from_byte(b: u8) -> Option<Self> {
        match b {
            0 => Some(LoginMode::Send),
            1 => Some(LoginMode::Receive),
            2 => Some(LoginMode::Transmit),
            _ => None,
        }
    }

    /// True when the SP may send Submit on such a link.
    pub const fn sends(self) -> bool {
        !matches!(self, LoginMode::Receive)
    }

    /// True when the gateway pushes Deliver on such a link.
    pub const fn receives(self) -> bool {
        !matches!(self, LoginMode::Send)
    }
}

// ---------------------------------------------------------------------------------------
// SP side
// ---------------------------------------------------------------------------------------

/// The SP's login settings.
#[derive(Clone)]
#[non_exhaustive]
pub struct SpLoginConfig {
    /// ClientID: the account (the SP's service code), at most 8 bytes.
    pub client_id: String,
    /// The shared secret.
    pub secret: Vec<u8>,
    /// LoginMode (default: transmit, both directions on one link).
    pub mode: LoginMode,
    /// The layout agreed for this account (default 3.0); also sent as ClientVersion.
    pub version: Version,
    /// Connect plus Login_Resp must complete within this (default 10 s).
    pub timeout: Duration,
    /// Refuse a gateway whose AuthenticatorServer is not the spec's MD5. Off by default:
    /// test gateways send text there (quirk 12), so a mismatch is logged as a warning.
    pub require_server_authenticator: bool,
    /// Largest packet accepted from the gateway.
    pub max_frame_len: u32,
}

impl fmt::Debug for SpLoginConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("SpLoginConfig")
            .field("client_id", &self.client_id)
            .field("mode", &self.mode)
            .field("version", &self.version)
            .field("timeout", &self.timeout)
            .field(
                "require_server_authenticator",
                &self.require_server_authenticator,
            )
            .finish_non_exhaustive()
    }
}

impl SpLoginConfig {
    /// Settings for account `client_id` with `secret`, transmit mode, SMGP 3.0.
    pub fn new(client_id: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        SpLoginConfig {
            client_id: client_id.into(),
            secret: secret.into(),
            mode: LoginMode::Transmit,
            version: Version::V30,
            timeout: Duration::from_secs(10),
            require_server_authenticator: false,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }

    /// Sets the LoginMode.
    pub fn with_mode(mut self, mode: LoginMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the layout version.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// Sets the login timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Refuses gateways whose AuthenticatorServer does not check out.
    pub fn requiring_server_authenticator(mut self, require: bool) -> Self {
        self.require_server_authenticator = require;
        self
    }
}

/// A successful login, SP side.
#[derive(Debug)]
pub struct LoggedIn {
    /// The Login that was sent.
    pub login: Login,
    /// ServerVersion from Login_Resp (the gateway's highest; the layout stays the
    /// configured one).
    pub server_version: u8,
    /// True when AuthenticatorServer was the spec's MD5 (the gateway knows the secret).
    pub server_authenticated: bool,
    /// The reader, holding anything the gateway sent right after Login_Resp.
    pub reader: FrameReader,
}

/// Why a login failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// TCP connect failed.
    #[error("gateway unreachable: {0}")]
    Unreachable(#[source] std::io::Error),
    /// No Login_Resp within the login timeout.
    #[error("no LOGIN_RESP within the login timeout")]
    Timeout,
    /// The connection failed or closed during the handshake.
    #[error("connection failed during login: {0}")]
    Stream(#[source] StreamError),
    /// The ClientID does not fit its 8 bytes.
    #[error("ClientID '{client_id}' does not fit the 8-byte field")]
    BadClientId {
        /// The configured ClientID.
        client_id: String,
    },
    /// Status 1: the gateway is busy; try again later.
    #[error("gateway busy (status 1)")]
    Busy,
    /// Status 2: the account has too many connections.
    #[error("too many connections for this account (status 2)")]
    TooManyConnections,
    /// Status 10: the gateway could not parse our Login.
    #[error("gateway reports a message structure error in LOGIN (status 10)")]
    BadStructure,
    /// Status 20: our IP address is not allowed for this account.
    #[error("our IP address is not allowed for account '{client_id}' (status 20)")]
    IpRefused {
        /// The ClientID we sent.
        client_id: String,
    },
    /// Status 21 (or CMPP's 3, which some gateways send, quirk 8): wrong account, shared
    /// secret or clock.
    #[error("authentication failed for account '{client_id}': wrong ClientID, shared secret or clock (status {status})")]
    Authentication {
        /// The ClientID we sent.
        client_id: String,
        /// The Status received (21 or 3).
        status: u32,
    },
    /// Status 22: the gateway does not speak our version.
    #[error("version 0x{sent:02x} too high for the gateway (status 22)")]
    VersionTooHigh {
        /// ClientVersion we sent.
        sent: u8,
    },
    /// Status 76: the SP account has expired.
    #[error("SP account '{client_id}' has expired (status 76)")]
    AccountExpired {
        /// The ClientID we sent.
        client_id: String,
    },
    /// Any other non-zero Status.
    #[error("login refused: status {0}")]
    Refused(Status),
    /// AuthenticatorServer was wrong and the configuration requires it: the gateway did not
    /// prove it knows the shared secret (Exit was sent).
    #[error("the gateway's AuthenticatorServer is wrong; refusing it (require_server_authenticator is on)")]
    BadAuthenticatorServer,
    /// The reply was not a Login_Resp, or could not be read.
    #[error("unexpected reply to LOGIN: {0}")]
    UnexpectedPacket(String),
    /// The client was closed while logging in.
    #[error("client closed")]
    Closed,
}

impl LoginError {
    /// True when retrying with the same settings cannot succeed.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            LoginError::BadClientId { .. }
                | LoginError::BadStructure
                | LoginError::IpRefused { .. }
                | LoginError::Authentication { .. }
                | LoginError::VersionTooHigh { .. }
                | LoginError::AccountExpired { .. }
                | LoginError::BadAuthenticatorServer
                | LoginError::Closed
        )
    }

    /// Maps a non-zero Login_Resp Status.
    pub fn from_status(status: Status, client_id: &str, sent_version: u8) -> Self {
        let client_id = client_id.to_owned();
        match status.0 {
            1 => LoginError::Busy,
            2 => LoginError::TooManyConnections,
            10 => LoginError::BadStructure,
            20 => LoginError::IpRefused { client_id },
            3 | 21 => LoginError::Authentication {
                client_id,
                status: status.0,
            },
            22 => LoginError::VersionTooHigh { sent: sent_version },
            76 => LoginError::AccountExpired { client_id },
            _ => LoginError::Refused(status),
        }
    }
}

/// Connects to `gateway` and logs in (both within `cfg.timeout`); returns the stream.
pub async fn connect(
    gateway: SocketAddr,
    cfg: &SpLoginConfig,
    at: DateTime<Utc>,
    sequence_id: u32,
) -> Result<(TcpStream, LoggedIn), LoginError> {
    let run = async {
        let mut stream = TcpStream::connect(gateway)
            .await
            .map_err(LoginError::Unreachable)?;
        let _ = stream.set_nodelay(true);
        let done = handshake(&mut stream, cfg, at, sequence_id).await?;
        Ok((stream, done))
    };
    tokio::time::timeout(cfg.timeout, run)
        .await
        .unwrap_or(Err(LoginError::Timeout))
}

/// Logs in on a connected stream: sends the Login stamped `at` (its TimeStamp is Beijing
/// `MMDDHHMMSS`) with `sequence_id`, reads and checks the Login_Resp, within `cfg.timeout`.
pub async fn login<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    cfg: &SpLoginConfig,
    at: DateTime<Utc>,
    sequence_id: u32,
) -> Result<LoggedIn, LoginError> {
    tokio::time::timeout(cfg.timeout, handshake(stream, cfg, at, sequence_id))
        .await
        .unwrap_or(Err(LoginError::Timeout))
}

async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    cfg: &SpLoginConfig,
    at: DateTime<Utc>,
    sequence_id: u32,
) -> Result<LoggedIn, LoginError> {
    let client_id =
        Text::<8>::new(cfg.client_id.as_bytes()).map_err(|_| LoginError::BadClientId {
            client_id: cfg.client_id.clone(),
        })?;
    let login = Login::new(client_id, &cfg.secret, cfg.mode.to_byte(), at, cfg.version);
    write_packet(stream, &Packet::new(sequence_id, login), cfg.version)
        .await
        .map_err(LoginError::Stream)?;
    let mut reader = reader(cfg.max_frame_len);
    let frame = read_frame(&mut reader, stream)
        .await
        .map_err(LoginError::Stream)?;
    let resp = match decode(frame, cfg.version) {
        Ok(Packet {
            pdu: Pdu::LoginResp(r),
            ..
        }) => r,
        Ok(p) => {
            return Err(LoginError::UnexpectedPacket(format!(
                "{} instead of LOGIN_RESP",
                p.pdu.name()
            )))
        }
        Err(e) => return Err(LoginError::UnexpectedPacket(e.to_string())),
    };
    if !resp.status.is_ok() {
        return Err(LoginError::from_status(
            resp.status,
            &cfg.client_id,
            cfg.version.to_byte(),
        ));
    }
    let server_authenticated = resp.verify(&login, &cfg.secret);
    if !server_authenticated {
        if cfg.require_server_authenticator {
            // End the session properly so the gateway does not count us as logged in.
            let exit = Packet::new(sequence_id.wrapping_add(1), Pdu::Exit(Bodiless::default()));
            let _ = write_packet(stream, &exit, cfg.version).await;
            let _ = stream.shutdown().await;
            return Err(LoginError::BadAuthenticatorServer);
        }
        tracing::warn!(
            client_id = %cfg.client_id,
            "AuthenticatorServer is not the spec's MD5: this gateway has not proved it knows the shared secret"
        );
    }
    Ok(LoggedIn {
        login,
        server_version: resp.server_version,
        server_authenticated,
        reader,
    })
}

/// Reads until one whole frame is buffered and returns it.
async fn read_frame<S: AsyncRead + Unpin>(
    reader: &mut FrameReader,
    stream: &mut S,
) -> Result<Bytes, StreamError> {
    loop {
        if let Some(frame) = reader.next_frame()? {
            return Ok(frame);
        }
        reader.fill(stream).await?;
    }
}

async fn write_packet<S: AsyncWrite + Unpin>(
    stream: &mut S,
    packet: &Packet,
    version: Version,
) -> Result<(), StreamError> {
    let mut buf = BytesMut::with_capacity(packet.encoded_len());
    // Login, Login_Resp and Exit have fixed layouts valid in every version.
    if let Err(e) = encode(packet, version, &mut buf) {
        return Err(StreamError::Io(std::io::Error::other(e)));
    }
    stream.write_all(&buf).await?;
    stream.flush().await?;
    Ok(())
}

impl sms_session::link::LoginFailure for LoginError {
    fn is_permanent(&self) -> bool {
        LoginError::is_permanent(self)
    }

    fn closed() -> Self {
        LoginError::Closed
    }
}

// ---------------------------------------------------------------------------------------
// Gateway side
// ---------------------------------------------------------------------------------------

/// One SP account known to the gateway.
#[derive(Clone)]
#[non_exhaustive]
pub struct Account {
    /// ClientID.
    pub client_id: String,
    /// The shared secret.
    pub secret: Vec<u8>,
    /// The layout of this account's links (the Login's ClientVersion is advisory, §7).
    pub version: Version,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("client_id", &self.client_id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// An SMGP 3.0 account.
    pub fn new(client_id: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        Account {
            client_id: client_id.into(),
            secret: secret.into(),
            version: Version::V30,
        }
    }

    /// Sets the layout version.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }
}

/// The accounts a gateway accepts, by ClientID.
#[derive(Debug, Clone, Default)]
pub struct Accounts(HashMap<String, Account>);

impl Accounts {
    /// No accounts.
    pub fn new() -> Self {
        Accounts::default()
    }

    /// Adds (or replaces) an account.
    pub fn insert(&mut self, account: Account) {
        self.0.insert(account.client_id.clone(), account);
    }

    /// The account for `client_id`.
    pub fn get(&self, client_id: &str) -> Option<&Account> {
        self.0.get(client_id)
    }
}

impl FromIterator<Account> for Accounts {
    fn from_iter<I: IntoIterator<Item = Account>>(iter: I) -> Self {
        let mut a = Accounts::new();
        for account in iter {
            a.insert(account);
        }
        a
    }
}

/// The gateway's login settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GatewayLoginConfig {
    /// The Login must arrive within this after the connection (default 10 s).
    pub timeout: Duration,
    /// ServerVersion to announce: the highest version the gateway speaks (default 3.0).
    pub server_version: Version,
    /// Accept the authenticator computed over a NUL-padded ClientID (gosmgp, quirk 7).
    pub accept_nul_padded: bool,
    /// Largest packet accepted.
    pub max_frame_len: u32,
}

impl Default for GatewayLoginConfig {
    fn default() -> Self {
        GatewayLoginConfig {
            timeout: Duration::from_secs(10),
            server_version: Version::V30,
            accept_nul_padded: true,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

impl GatewayLoginConfig {
    /// Sets the login timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Accepts (or not) the NUL-padded authenticator form.
    pub fn accepting_nul_padded(mut self, accept: bool) -> Self {
        self.accept_nul_padded = accept;
        self
    }
}

/// A Login the gateway accepted (and answered with Status 0).
#[derive(Debug)]
pub struct Accepted {
    /// The account.
    pub account: Account,
    /// The Login received.
    pub login: Login,
    /// Its SequenceID (the Login_Resp echoed it).
    pub sequence_id: u32,
    /// What the link carries.
    pub mode: LoginMode,
    /// Which authenticator form matched.
    pub form: AuthForm,
    /// The reader, holding anything the SP sent right after its Login.
    pub reader: FrameReader,
}

/// Why the gateway refused a connection's login. [`LoginRefusal::status`] is the Status
/// the Login_Resp carried, if one was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginRefusal {
    /// No Login within the login timeout (nothing answered).
    #[error("no LOGIN within the login timeout")]
    Timeout,
    /// The connection failed or closed before a Login arrived.
    #[error("connection failed before LOGIN: {0}")]
    Stream(#[source] StreamError),
    /// The first packet was not a Login (nothing answered).
    #[error("first packet is {got}, not LOGIN")]
    NotLogin {
        /// Its command name.
        got: &'static str,
    },
    /// The Login could not be decoded (answered with Status 10).
    #[error("malformed LOGIN (answered status 10): {0}")]
    Malformed(#[source] DecodeError),
    /// LoginMode outside 0–2 (answered with Status 10).
    #[error("account '{client_id}': LoginMode {mode} is not 0, 1 or 2 (answered status 10)")]
    BadLoginMode {
        /// ClientID.
        client_id: String,
        /// The mode byte.
        mode: u8,
    },
    /// No such account (answered with Status 21, like a wrong secret, so that accounts
    /// cannot be probed).
    #[error("unknown account '{client_id}' (answered status 21)")]
    UnknownAccount {
        /// ClientID.
        client_id: String,
    },
    /// The authenticator did not match the account's secret (answered with Status 21).
    #[error(
        "account '{client_id}': wrong authenticator (shared secret or clock) (answered status 21)"
    )]
    BadAuthenticator {
        /// ClientID.
        client_id: String,
    },
    /// ClientVersion with a major version above 3 (answered with Status 22).
    #[error("account '{client_id}': ClientVersion 0x{version:02x} too high (answered status 22)")]
    VersionTooHigh {
        /// ClientID.
        client_id: String,
        /// The version byte.
        version: u8,
    },
}

impl LoginRefusal {
    /// The Status the Login_Resp carried, if one was sent.
    pub fn status(&self) -> Option<Status> {
        match self {
            LoginRefusal::Malformed(_) | LoginRefusal::BadLoginMode { .. } => Some(Status(10)),
            LoginRefusal::UnknownAccount { .. } | LoginRefusal::BadAuthenticator { .. } => {
                Some(Status(21))
            }
            LoginRefusal::VersionTooHigh { .. } => Some(Status(22)),
            LoginRefusal::Timeout | LoginRefusal::Stream(_) | LoginRefusal::NotLogin { .. } => None,
        }
    }
}

/// Reads the SP's Login from a freshly accepted stream and answers it: Status 0 with
/// AuthenticatorServer when it matches an account, otherwise the refusal's Status with a
/// zero authenticator (§3.2). The caller closes the stream after a refusal.
pub async fn accept_login<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    accounts: &Accounts,
    cfg: &GatewayLoginConfig,
) -> Result<Accepted, LoginRefusal> {
    let mut reader = reader(cfg.max_frame_len);
    let frame = match tokio::time::timeout(cfg.timeout, read_frame(&mut reader, stream)).await {
        Err(_) => return Err(LoginRefusal::Timeout),
        Ok(Err(e)) => return Err(LoginRefusal::Stream(e)),
        Ok(Ok(f)) => f,
    };
    let sequence_id = smgp_codec::Header::parse(&frame).map_or(0, |h| h.sequence_id);
    // Login has one layout in every version.
    let (login, refusal) = match decode(frame, cfg.server_version) {
        Ok(Packet {
            pdu: Pdu::Login(login),
            ..
        }) => (login, check(&login, accounts, cfg)),
        Ok(p) => return Err(LoginRefusal::NotLogin { got: p.pdu.name() }),
        Err(e) if e.command == "LOGIN" => (Login::default(), Err(LoginRefusal::Malformed(e))),
        Err(e) => {
            return Err(LoginRefusal::NotLogin { got: e.command });
        }
    };
    match refusal {
        Ok((account, mode, form)) => {
            let resp = LoginResp::new(Status::OK, &login, &account.secret, cfg.server_version);
            write_packet(stream, &Packet::new(sequence_id, resp), cfg.server_version)
                .await
                .map_err(LoginRefusal::Stream)?;
            Ok(Accepted {
                account,
                login,
                sequence_id,
                mode,
                form,
                reader,
            })
        }
        Err(refusal) => {
            let status = refusal.status().unwrap_or(Status(10));
            let resp = LoginResp::new(status, &login, &[], cfg.server_version);
            // The refusal is what matters; a failed write adds nothing.
            let _ = write_packet(stream, &Packet::new(sequence_id, resp), cfg.server_version).await;
            Err(refusal)
        }
    }
}

fn check(
    login: &Login,
    accounts: &Accounts,
    cfg: &GatewayLoginConfig,
) -> Result<(Account, LoginMode, AuthForm), LoginRefusal> {
    let client_id = login.client_id.to_str_lossy().into_owned();
    let Some(account) = accounts.get(&client_id) else {
        return Err(LoginRefusal::UnknownAccount { client_id });
    };
    let form = match login.verify(&account.secret) {
        Some(AuthForm::NulPadded) if !cfg.accept_nul_padded => None,
        other => other,
    };
    let Some(form) = form else {
        return Err(LoginRefusal::BadAuthenticator { client_id });
    };
    if login.client_version >> 4 > 3 {
        return Err(LoginRefusal::VersionTooHigh {
            client_id,
            version: login.client_version,
        });
    }
    let Some(mode) = LoginMode::from_byte(login.login_mode) else {
        return Err(LoginRefusal::BadLoginMode {
            client_id,
            mode: login.login_mode,
        });
    };
    if form == AuthForm::NulPadded {
        tracing::info!(%client_id, "login authenticated with the NUL-padded ClientID form");
    }
    Ok((account.clone(), mode, form))
}

#[cfg(test)]
mod tests;
