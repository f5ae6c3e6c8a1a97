//! The async shell around [`Session`](crate::Session): one task per link that logs in,
//! moves bytes and time in and out of the state machine, reconnects with back-off, and hands
//! what the session produces to protocol hooks ([`Hooks`]) and an event stream ([`Pool`]).
//!
//! A protocol client (CMPP, SGIP, SMGP) supplies the [`Hooks`]: how to log in, what a
//! request carries besides its frame ([`Hooks::Meta`]), and what a response, a failure and an
//! inbound request become for its application. Everything else — window, resends, heartbeats,
//! flow control, drain, reconnects, the at-least-once answer of inbound requests, the event
//! stream and its back-pressure — is written here once.

mod ack;
mod driver;
mod pool;
mod reader;

use std::future::Future;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::net::TcpStream;

pub use ack::{AckRouter, AckTarget, InboundAck};
pub use driver::{Failure, LinkCtx, Pending};
pub use pool::{DispatchError, Events, Pool, PoolConfig};
pub use reader::{BadLength, FrameReader, StreamError};

use crate::protocol::Protocol;
use crate::session::{RequestOutcome, ResendReason, SessionConfig};

/// A [`Protocol`] with its framing and decoder: what the link task needs to read packets.
pub trait Wire: Protocol {
    /// Header length (the smallest possible packet).
    const HEADER_LEN: usize;
    /// Decodes one complete frame.
    fn decode(&self, frame: Bytes) -> Result<Self::Packet, String>;
    /// False for a command id the protocol does not have (the stream is out of step).
    fn plausible_command(command: u32) -> bool;
}

/// A logged-in connection, ready for its session.
#[derive(Debug)]
pub struct Connected<P> {
    /// The socket.
    pub stream: TcpStream,
    /// The reader, which may already hold packets sent right after the login response.
    pub reader: FrameReader,
    /// The protocol state for this link (its sequence numbers).
    pub proto: P,
}

/// Why a link went down.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkLoss {
    /// The application closed the client (or the drain deadline passed).
    #[error("closed")]
    Closed,
    /// The peer closed the connection.
    #[error("connection closed by peer")]
    PeerClosed,
    /// Reading from the socket failed.
    #[error("I/O error: {message}")]
    Read {
        /// The I/O error's kind, to react on.
        kind: std::io::ErrorKind,
        /// The I/O error, for people.
        message: String,
    },
    /// Writing to the socket failed.
    #[error("write failed: {message}")]
    Write {
        /// The I/O error's kind, to react on.
        kind: std::io::ErrorKind,
        /// The I/O error, for people.
        message: String,
    },
    /// The peer sent a frame whose length is impossible; the stream cannot be resynchronised.
    #[error("bad frame: {0}")]
    Frame(BadLength),
    /// The peer sent a header naming no command of the protocol: the stream is out of step.
    #[error("stream desynchronised: unknown command 0x{0:08x}")]
    Desync(u32),
    /// The session ended on its own: the peer closed it, or stopped answering heartbeats.
    #[error("session ended")]
    SessionEnded,
}

impl From<StreamError> for LinkLoss {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Io(e) => LinkLoss::Read {
                kind: e.kind(),
                message: e.to_string(),
            },
            StreamError::Eof => LinkLoss::PeerClosed,
            StreamError::Frame(f) => LinkLoss::Frame(f),
            StreamError::Desync(c) => LinkLoss::Desync(c),
        }
    }
}

/// How a finished request is reported: an event queued first, then (once it is queued) the
/// caller answered, so that an application reading both sees them in that order.
pub struct Settled<E> {
    /// The event, if any.
    pub event: Option<E>,
    /// What to do after the event is queued (typically: answer the caller).
    pub then: Option<Box<dyn FnOnce() + Send>>,
}

impl<E> Settled<E> {
    /// Nothing to report.
    pub fn nothing() -> Self {
        Settled {
            event: None,
            then: None,
        }
    }

    /// An event, then `then`.
    pub fn new(event: Option<E>, then: impl FnOnce() + Send + 'static) -> Self {
        Settled {
            event,
            then: Some(Box::new(then)),
        }
    }
}

impl<E> std::fmt::Debug for Settled<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settled")
            .field("event", &self.event.is_some())
            .field("then", &self.then.is_some())
            .finish()
    }
}

/// A login failure: permanent ones (refused credentials) stop the reconnect loop.
pub trait LoginFailure: std::error::Error + Send + Sync + 'static {
    /// True when trying again cannot help.
    fn is_permanent(&self) -> bool;
    /// The failure to report when the client closed while logging in.
    fn closed() -> Self;
}

/// What a protocol client plugs into the shared link task.
///
/// Every method runs on the link's task and must not block; what they return is queued on
/// the event stream in order (with back-pressure).
pub trait Hooks: Send + Sync + Sized + 'static {
    /// The protocol.
    type Proto: Wire;
    /// What a request carries besides its frame (typically the caller's reply channel).
    type Meta: Send + 'static;
    /// The client's public event.
    type Event: Send + 'static;
    /// The client's login error.
    type LoginError: LoginFailure;

    /// The settings of the state machine.
    fn session_config(&self) -> SessionConfig;

    /// Connects and logs in link `connection`; `previous` is the protocol state of the
    /// link's last session (to continue its sequence numbers), if any.
    fn login(
        &self,
        connection: usize,
        previous: Option<Self::Proto>,
    ) -> impl Future<Output = Result<Connected<Self::Proto>, Self::LoginError>> + Send;

    /// The wall-clock time (injectable for tests).
    fn now_utc(&self) -> DateTime<Utc>;

    /// A request was written; `first` is its first transmission on any link.
    ///
    /// Nothing by default: a side whose requests need no progress report (a gateway's
    /// pushes, a link that sends none) leaves it out.
    fn transmitted(
        &self,
        _ctx: &LinkCtx<'_, Self::Proto>,
        _pending: &mut Pending<Self::Meta>,
        _seq: <Self::Proto as Protocol>::Seq,
        _first: bool,
        _attempt: u32,
        _reason: ResendReason,
    ) -> Option<Self::Event> {
        None
    }

    /// A request is finished on its link (answered, refused, or given up after N).
    fn completed(
        &self,
        ctx: &LinkCtx<'_, Self::Proto>,
        pending: Pending<Self::Meta>,
        seq: <Self::Proto as Protocol>::Seq,
        outcome: RequestOutcome<<Self::Proto as Protocol>::Response>,
    ) -> Settled<Self::Event>;

    /// A request ends without a response; `seq` is its last sequence number if it had one.
    fn failed(
        &self,
        ctx: &LinkCtx<'_, Self::Proto>,
        pending: Pending<Self::Meta>,
        seq: Option<<Self::Proto as Protocol>::Seq>,
        failure: Failure,
    ) -> Settled<Self::Event>;

    /// The peer sent a request for the application. Answer it later through an
    /// [`AckTarget`] (see [`LinkCtx::ack_target`]), or now with `answer_now` (a duplicate).
    fn inbound(
        &self,
        ctx: &LinkCtx<'_, Self::Proto>,
        answer_now: &mut dyn FnMut(<Self::Proto as Protocol>::Answer),
        seq: <Self::Proto as Protocol>::Seq,
        inbound: <Self::Proto as Protocol>::Inbound,
    ) -> Vec<Self::Event>;

    /// Called about once a second (expiry of partial state such as long-message parts).
    fn tick(&self, _ctx: &LinkCtx<'_, Self::Proto>) -> Vec<Self::Event> {
        Vec::new()
    }

    /// The link logged in.
    fn link_up(&self, _connection: usize) -> Option<Self::Event> {
        None
    }

    /// The link went down.
    fn link_down(&self, _connection: usize, _loss: &LinkLoss) -> Option<Self::Event> {
        None
    }

    /// True for events that carry an inbound request (queued even before anyone subscribed,
    /// while there is room: the peer re-sends what finds none).
    fn is_inbound_event(event: &Self::Event) -> bool;
}
