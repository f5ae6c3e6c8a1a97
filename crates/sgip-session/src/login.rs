//! The Bind / Bind_Resp handshake over a connected stream, for both ends of a link.
//!
//! * [`bind`]: the side that opened the link logs in (the SP on its MT link with LoginType 1,
//!   the gateway on the MO link to the SP's listener with LoginType 2).
//! * [`accept_bind`]: the side that accepted the link checks the login against its
//!   [`Accounts`] and answers; a refusal is answered (Result 1 or 4) and the link closed.
//!
//! SGIP's login is plain text (LoginName and LoginPassword, 16 bytes each); there is no
//! timestamp, hash or version to negotiate.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use sgip_codec::{
    decode, split_frame, Bind, DecodeError, FrameError, Packet, Pdu, Resp, ResultCode,
    SequenceNumber, Text, DEFAULT_MAX_FRAME_LEN,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why a packet could not be read from a stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection (at a packet boundary or inside one).
    #[error("connection closed by peer")]
    Eof,
    /// Message Length is impossible; the stream cannot be resynchronised.
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    /// The packet is malformed.
    #[error("malformed packet: {0}")]
    Decode(#[from] DecodeError),
}

/// Reads exactly one packet (never a byte more, so nothing that follows is lost), refusing
/// a Message Length above `max_len` before allocating.
pub async fn read_packet<R: AsyncRead + Unpin>(
    r: &mut R,
    max_len: u32,
) -> Result<Packet, ReadError> {
    let eof = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => ReadError::Eof,
        _ => ReadError::Io(e),
    };
    let mut head = [0u8; 4];
    r.read_exact(&mut head).await.map_err(eof)?;
    // Checks Message Length (20 ..= max_len) before anything is allocated.
    split_frame(&head, max_len)?;
    let len = u32::from_be_bytes(head) as usize;
    let mut buf = BytesMut::zeroed(len);
    buf[..4].copy_from_slice(&head);
    r.read_exact(&mut buf[4..]).await.map_err(eof)?;
    Ok(decode(buf.freeze())?)
}

async fn write_packet<W: AsyncWrite + Unpin>(w: &mut W, packet: &Packet) -> std::io::Result<()> {
    let bytes: Bytes = packet
        .to_bytes()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    w.write_all(&bytes).await?;
    w.flush().await
}

impl sms_session::link::LoginFailure for LoginError {
    fn is_permanent(&self) -> bool {
        LoginError::is_permanent(self)
    }

    fn closed() -> Self {
        LoginError::Closed
    }
}

/// A LoginName / LoginPassword pair.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// LoginName (at most 16 bytes).
    pub login_name: String,
    /// LoginPassword (at most 16 bytes).
    pub login_password: String,
}

impl Credentials {
    /// A pair.
    pub fn new(login_name: impl Into<String>, login_password: impl Into<String>) -> Self {
        Credentials {
            login_name: login_name.into(),
            login_password: login_password.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never log the password.
        f.debug_struct("Credentials")
            .field("login_name", &self.login_name)
            .finish_non_exhaustive()
    }
}

/// Why [`bind`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The link failed while logging in.
    #[error("link failed during Bind: {0}")]
    Io(#[source] std::io::Error),
    /// No Bind_Resp within the login timeout.
    #[error("no Bind_Resp within {0:?}")]
    Timeout(Duration),
    /// The peer closed the link without answering (some SMGs refuse a login this way).
    #[error("the peer closed the link without a Bind_Resp")]
    ClosedByPeer,
    /// Result 1: LoginName or LoginPassword wrong.
    #[error("Bind refused: illegal login for '{login_name}' (Result 1: wrong LoginName or LoginPassword)")]
    IllegalLogin {
        /// The LoginName sent.
        login_name: String,
    },
    /// Result 4: the peer does not accept this LoginType on this port.
    #[error("Bind refused: wrong LoginType {sent} (Result 4)")]
    WrongLoginType {
        /// The LoginType sent.
        sent: u8,
    },
    /// Any other non-zero Result.
    #[error("Bind refused: Result {} ({})", .0 .0, .0.meaning())]
    Refused(ResultCode),
    /// The credentials do not fit their 16-byte fields; nothing was sent.
    #[error("cannot send Bind: {0}")]
    BadCredentials(String),
    /// The answer was not a Bind_Resp, or could not be read.
    #[error("unexpected reply to Bind: {0}")]
    UnexpectedPacket(String),
    /// The SP's MO listener could not be opened (the SMG could never deliver).
    #[error("cannot listen on {addr} for the SMG's MO link: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The client was closed while logging in.
    #[error("client closed")]
    Closed,
}

impl LoginError {
    /// True when retrying with the same settings cannot succeed (wrong credentials, login
    /// type, or parameters); connection trouble, timeouts and "too many connections" or
    /// "node busy" refusals are worth a retry after a back-off.
    pub fn is_permanent(&self) -> bool {
        match self {
            LoginError::IllegalLogin { .. }
            | LoginError::WrongLoginType { .. }
            | LoginError::BadCredentials(_)
            | LoginError::Listen { .. }
            | LoginError::Closed => true,
            // 5 parameter format, 93 wrong node id, 94 no account: configuration errors.
            LoginError::Refused(code) => matches!(code.0, 5 | 93 | 94),
            _ => false,
        }
    }

    fn from_result(code: ResultCode, login_type: u8, credentials: &Credentials) -> Self {
        match code.0 {
            1 => LoginError::IllegalLogin {
                login_name: credentials.login_name.clone(),
            },
            4 => LoginError::WrongLoginType { sent: login_type },
            _ => LoginError::Refused(code),
        }
    }
}

/// Logs in on a link this side opened: sends Bind (LoginType `login_type`, numbered `seq`)
/// and waits up to `timeout` for Bind_Resp.
///
/// On success nothing beyond the Bind_Resp has been read from `stream`.
pub async fn bind<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    login_type: u8,
    credentials: &Credentials,
    seq: SequenceNumber,
    timeout: Duration,
) -> Result<(), LoginError> {
    let text = |field: &str, value: &str| {
        Text::<16>::try_from(value).map_err(|e| LoginError::BadCredentials(format!("{field}: {e}")))
    };
    let bind = Bind {
        login_type,
        login_name: text("LoginName", &credentials.login_name)?,
        login_password: text("LoginPassword", &credentials.login_password)?,
        ..Bind::default()
    };
    let exchange = async {
        write_packet(stream, &Packet::new(seq, Pdu::Bind(bind)))
            .await
            .map_err(LoginError::Io)?;
        let packet = read_packet(stream, DEFAULT_MAX_FRAME_LEN)
            .await
            .map_err(|e| match e {
                ReadError::Eof => LoginError::ClosedByPeer,
                ReadError::Io(e) => LoginError::Io(e),
                other => LoginError::UnexpectedPacket(other.to_string()),
            })?;
        match packet.pdu {
            Pdu::BindResp(resp) => {
                if packet.sequence != seq {
                    // The only answer a Bind can get; a peer that does not copy the
                    // sequence number is sloppy, not wrong about the login.
                    tracing::warn!(sent = %seq, got = %packet.sequence, "Bind_Resp does not repeat the Bind's sequence number");
                }
                if resp.result.is_ok() {
                    Ok(())
                } else {
                    Err(LoginError::from_result(
                        resp.result,
                        login_type,
                        credentials,
                    ))
                }
            }
            other => Err(LoginError::UnexpectedPacket(format!(
                "{} instead of BIND_RESP",
                other.name()
            ))),
        }
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(r) => r,
        Err(_) => Err(LoginError::Timeout(timeout)),
    }
}

/// The logins a listening side accepts: LoginName → LoginPassword.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    accounts: HashMap<String, String>,
}

impl fmt::Debug for Accounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.accounts.keys().collect();
        names.sort();
        f.debug_struct("Accounts").field("names", &names).finish()
    }
}

impl Accounts {
    /// No accounts (every login is refused).
    pub fn new() -> Self {
        Accounts::default()
    }

    /// Adds (or replaces) an account.
    pub fn with(mut self, login_name: impl Into<String>, password: impl Into<String>) -> Self {
        self.insert(login_name, password);
        self
    }

    /// Adds (or replaces) an account.
    pub fn insert(&mut self, login_name: impl Into<String>, password: impl Into<String>) {
        self.accounts.insert(login_name.into(), password.into());
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// True without accounts.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// True when `bind` names an account with its password.
    pub fn check(&self, bind: &Bind) -> bool {
        let name = bind.login_name.to_str_lossy();
        match self.accounts.get(name.as_ref()) {
            // Compare every byte so the time taken does not reveal the matching prefix.
            Some(pw) => {
                let given = bind.login_password.as_bytes();
                let want = pw.as_bytes();
                given.len() == want.len()
                    && given
                        .iter()
                        .zip(want)
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0
            }
            None => false,
        }
    }
}

/// The peer of an accepted, logged-in link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundPeer {
    /// Its LoginName.
    pub login_name: String,
    /// The Bind's sequence number (its node id says who the peer is).
    pub sequence: SequenceNumber,
}

/// Why [`accept_bind`] refused or lost a link. Refusals were answered before the link was
/// closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// The link failed.
    #[error("link failed during Bind: {0}")]
    Io(#[source] std::io::Error),
    /// No Bind within the login timeout.
    #[error("no Bind within {0:?}")]
    Timeout(Duration),
    /// The peer closed the link before sending Bind.
    #[error("the peer closed the link before Bind")]
    ClosedByPeer,
    /// The first packet could not be read; the link was dropped without an answer.
    #[error("malformed first packet: {0}")]
    Malformed(String),
    /// The first packet was another command; the link was dropped without an answer.
    #[error("{0} before Bind; link dropped")]
    NotABind(&'static str),
    /// Unknown LoginName or wrong password; answered with Result 1.
    #[error("Bind refused for '{login_name}': unknown LoginName or wrong LoginPassword (answered Result 1)")]
    BadCredentials {
        /// The LoginName the peer sent.
        login_name: String,
    },
    /// A LoginType this listener does not serve; answered with Result 4.
    #[error(
        "Bind refused: LoginType {got} on a listener for LoginType {expected} (answered Result 4)"
    )]
    WrongLoginType {
        /// The LoginType sent.
        got: u8,
        /// The LoginType served here.
        expected: u8,
    },
}

/// Accepts a login on a link the peer opened: waits up to `timeout` for Bind, checks its
/// LoginType against `login_type` and its credentials against `accounts`, and answers with
/// Bind_Resp (Result 0, 1 or 4). On a refusal the link is shut down after the answer.
///
/// On success nothing beyond the Bind has been read from `stream`.
pub async fn accept_bind<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    accounts: &Accounts,
    login_type: u8,
    timeout: Duration,
) -> Result<BoundPeer, AcceptError> {
    let first =
        match tokio::time::timeout(timeout, read_packet(stream, DEFAULT_MAX_FRAME_LEN)).await {
            Err(_) => return Err(AcceptError::Timeout(timeout)),
            Ok(Err(ReadError::Eof)) => return Err(AcceptError::ClosedByPeer),
            Ok(Err(ReadError::Io(e))) => return Err(AcceptError::Io(e)),
            Ok(Err(e)) => return Err(AcceptError::Malformed(e.to_string())),
            Ok(Ok(p)) => p,
        };
    let seq = first.sequence;
    let bind = match first.pdu {
        Pdu::Bind(b) => b,
        other => {
            // The spec's rule for a malformed or unexpected first command: drop the link.
            let _ = stream.shutdown().await;
            return Err(AcceptError::NotABind(other.name()));
        }
    };
    let login_name = bind.login_name.to_str_lossy().into_owned();
    let refusal = if bind.login_type != login_type {
        Some((
            ResultCode(4),
            AcceptError::WrongLoginType {
                got: bind.login_type,
                expected: login_type,
            },
        ))
    } else if !accounts.check(&bind) {
        Some((
            ResultCode(1),
            AcceptError::BadCredentials {
                login_name: login_name.clone(),
            },
        ))
    } else {
        None
    };
    let result = refusal.as_ref().map_or(ResultCode::OK, |(code, _)| *code);
    let answer = Packet::new(seq, Pdu::BindResp(Resp::new(result)));
    match tokio::time::timeout(timeout, write_packet(stream, &answer)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(AcceptError::Io(e)),
        Err(_) => return Err(AcceptError::Timeout(timeout)),
    }
    if let Some((_, error)) = refusal {
        tracing::warn!(%error, "SGIP login refused");
        let _ = stream.shutdown().await;
        return Err(error);
    }
    Ok(BoundPeer {
        login_name,
        sequence: seq,
    })
}

#[cfg(test)]
mod tests;
