//! The send path: sending policy, CMPP session and durable journal, composed so that nothing
//! the application hands over is lost.
//!
//! [`Sender::send`] checks a message against the [`sms_policy::Policy`] (a refusal becomes a
//! journal record in state `refused`), splits it into segments, submits them through the
//! [`cmpp_session::Client`], and returns once every record's first event is durable in the
//! [`sms_journal`] journal. An event pump turns the session's lifecycle events and status
//! reports into protocol-neutral journal events ([`mapping`]), and applies unsubscribe
//! replies to the policy's opt-out list.
//!
//! This is the one crate that knows both the CMPP vocabulary and the records vocabulary.
#![forbid(unsafe_code)]

pub mod link;
pub mod mapping;
mod pump;
pub mod reconcile;
mod registry;
mod router;
mod sender;
mod stats;

use std::sync::{Mutex, MutexGuard};

pub use link::{IntoLink, Link};
pub use reconcile::{reconcile, ReconcileSettings, Reconciliation};
pub use router::{RoutedReport, Router};
pub use sender::{
    OutgoingSms, RecordOutcome, RecordStatus, SendReport, Sender, SenderBuilder, SenderConfig,
};
pub use stats::{LatencySummary, SenderStats};

/// Why [`Sender::send`] or the builder could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// A message without destinations.
    #[error("the message has no destination")]
    NoDestination,
    /// A router without any carrier's sender.
    #[error("no carrier's sender is configured")]
    NoRoute,
    /// A group send to more than 99 destinations.
    #[error("a group send takes at most 99 destinations, {0} given")]
    TooManyDestinations(usize),
    /// A field that does not fit its CMPP field.
    #[error("{0}")]
    Field(String),
    /// Text that cannot be encoded or split.
    #[error("text cannot be sent: {0}")]
    Text(String),
    /// The journal refused a write; the message's fate is not durable.
    #[error("journal write failed: {0}")]
    Journal(#[source] sms_journal::JournalError),
    /// The journal pump stopped (the sender was closed).
    #[error("the journal pump has stopped")]
    JournalStopped,
    /// The client's event stream was taken by someone else.
    #[error("the client's event stream was already taken")]
    EventsTaken,
    /// The opt-out log cannot be opened.
    #[error("cannot open opt-out log {path}: {source}")]
    OptOutLog {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No concatenation reference is free for a destination of a long message.
    #[error("no concatenation reference free: {0}")]
    References(#[source] cmpp_codec::long::AllocError),
    /// Saving the policy's rate state failed.
    #[error("{0}")]
    Policy(sms_policy::PolicyError),
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The README's code examples, compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
