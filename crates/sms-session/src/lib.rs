//! sms-session: the session core shared by the CMPP, SGIP and SMGP sessions.
//!
//! * [`Protocol`]: what a wire protocol supplies (sequence numbers, sorting received packets,
//!   encoding the core's own control packets).
//! * [`Session`]: one logged-in link as a clock-free state machine — window, response
//!   matching, T/N re-sends, flow-control back-off, heartbeats, drain, and the at-least-once
//!   answer of inbound requests (answered only when the application says it holds them).
//! * [`link`]: the async shell — one task per link (login, reconnect with back-off, the
//!   event stream with back-pressure, ack handles for inbound requests), plugged into a
//!   protocol by its [`link::Hooks`].
//! * [`Backoff`] (reconnects) and [`TokenBucket`] (send rate), both clock-free.

//!
//! Nothing here knows any one protocol: `cmpp-session`, `sgip-session` and `smgp-session`
//! plug their codecs in.
#![forbid(unsafe_code)]

pub mod backoff;
pub mod bucket;
pub mod clock;
pub mod link;
pub mod protocol;
pub mod session;

pub use backoff::Backoff;
pub use bucket::TokenBucket;
pub use clock::{Clock, SystemClock, TokioClock};
pub use protocol::{Control, Incoming, Protocol};
pub use session::{
    LostRequest, RejectReason, RequestId, RequestOutcome, ResendReason, Session, SessionConfig,
    SessionEvent, SubmitRejected,
};
