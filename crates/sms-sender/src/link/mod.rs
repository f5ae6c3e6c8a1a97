//! A carrier's client as the send path sees it: submit a planned segment, hear its
//! lifecycle, status reports and MO messages in protocol-neutral terms.
//!
//! Each protocol client is wrapped once ([`cmpp`], [`sgip`], [`smgp`]); the sender, its
//! event pump and the journal mapping never see a protocol type.

pub mod cmpp;
pub mod sgip;
pub mod smgp;
mod synth;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use cmpp_codec::long::{Segment, SharedReferences};
use cmpp_codec::text::Content;
use cmpp_codec::MsgId;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use sms_records::CauseClass;
use sms_session::Clock;

/// One SUBMIT to make, in protocol-neutral terms.
#[derive(Debug, Clone)]
pub struct SubmitPlan {
    /// The id the outcome and the lifecycle events are reported under.
    pub local_id: String,
    /// The SP's number (calling number, with any extension).
    pub src: String,
    /// Destinations (one unless a group send).
    pub dests: Vec<String>,
    /// The service code.
    pub service_id: String,
    /// The SP's enterprise / account code where the protocol has one (CMPP Msg_src).
    pub msg_src: String,
    /// 1 = ask for a status report.
    pub registered_delivery: u8,
    /// The content of this segment, its coding and concatenation header.
    pub segment: Segment,
}

/// The message ids a response gives the records of one SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupIds {
    /// Every destination shares one id (SGIP's sequence number, SMGP's MsgID).
    Shared(String),
    /// CMPP: destination i has Msg_Id M + i.
    Consecutive(MsgId),
    /// One id per destination, in order.
    Each(Vec<String>),
}

impl GroupIds {
    /// The id of destination `i`.
    pub fn nth(&self, i: usize) -> String {
        match self {
            GroupIds::Shared(id) => id.clone(),
            GroupIds::Consecutive(first) => crate::mapping::nth_id(*first, i),
            GroupIds::Each(ids) => ids.get(i).or(ids.last()).cloned().unwrap_or_default(),
        }
    }
}

/// A response to a SUBMIT.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOutcome {
    /// The ids of its records.
    pub ids: GroupIds,
    /// The protocol's result code (0 = accepted).
    pub result: u32,
    /// True when the gateway accepted the message.
    pub accepted: bool,
    /// The neutral class of the result.
    pub class: CauseClass,
    /// When the SUBMIT was first written.
    pub written_at: DateTime<Utc>,
    /// When its response arrived.
    pub responded_at: DateTime<Utc>,
}

/// A SUBMIT that got no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct LinkError {
    /// What happened, for people.
    pub reason: String,
    /// True when it was written to a link (it reached the gateway or may have).
    pub written: bool,
    /// True when the gateway may have accepted it.
    pub maybe_accepted: bool,
}

/// What happened to a SUBMIT on the link.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Lifecycle {
    /// First written.
    Submitted,
    /// Written again.
    Resent {
        /// Transmission number (from 2).
        attempt: u32,
    },
    /// Its response arrived.
    Responded {
        /// The ids of its records.
        ids: GroupIds,
        /// The protocol's result code.
        result: u32,
        /// Its neutral class.
        class: CauseClass,
    },
    /// No response: given up.
    Failed {
        /// Why.
        reason: String,
        /// Whether the gateway may have accepted it.
        maybe_accepted: bool,
    },
}

/// The answer handle of a report or MO message: called once it is durable.
#[derive(Clone)]
pub struct Ack(Arc<dyn Fn() + Send + Sync>);

impl Ack {
    /// A handle that runs `f` on accept.
    pub fn new(f: impl Fn() + Send + Sync + 'static) -> Self {
        Ack(Arc::new(f))
    }

    /// The application holds the message: answer it.
    pub fn accept(&self) {
        (self.0)()
    }
}

impl std::fmt::Debug for Ack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ack")
    }
}

/// A status report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The message id it reports on (as journaled).
    pub msg_id: String,
    /// The report's state text (CMPP Stat, SGIP State/ErrorCode, SMGP stat).
    pub stat: String,
    /// Its neutral class.
    pub class: CauseClass,
    /// The destination it is about.
    pub dest: String,
    /// The SP number it answers (for reconciliation).
    pub src_id: String,
    /// The submit time the report states, `YYMMDDhhmm` Beijing time (may be empty).
    pub submit_time: String,
    /// The SUBMIT it matched, if the client knew it.
    pub local_id: Option<Arc<str>>,
    /// The destination's index within that SUBMIT.
    pub dest_index: Option<u16>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Its answer.
    pub ack: Ack,
}

/// A message from a user.
#[derive(Debug, Clone)]
pub struct Mo {
    /// The gateway's id of the message (`None` for a long message given up incomplete).
    pub msg_id: Option<String>,
    /// The user's number.
    pub from: String,
    /// The SP's number.
    pub to: String,
    /// The service code.
    pub service_id: String,
    /// Link id (CMPP LinkID; empty elsewhere).
    pub link_id: String,
    /// The data coding (CMPP Msg_Fmt values; the other protocols share them).
    pub coding: u8,
    /// The content.
    pub content: Content,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Its answer.
    pub ack: Ack,
}

/// What a link tells the send path.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LinkEvent {
    /// A SUBMIT's progress.
    Lifecycle {
        /// When.
        at: DateTime<Utc>,
        /// The SUBMIT.
        local_id: Arc<str>,
        /// What happened.
        kind: Lifecycle,
    },
    /// A status report.
    Report(Report),
    /// A user's message.
    Mo(Mo),
    /// A connection logged in.
    LinkUp {
        /// Which.
        connection: usize,
    },
    /// A connection went down.
    LinkDown {
        /// Which.
        connection: usize,
        /// Why.
        reason: String,
    },
}

/// The event stream of a link.
pub type LinkEvents = BoxStream<'static, LinkEvent>;

/// A carrier's client, wrapped for the send path.
pub trait Link: Send + Sync + 'static {
    /// The protocol's name ("CMPP", "SGIP", "SMGP").
    fn protocol(&self) -> &'static str;
    /// Most destinations one SUBMIT may carry.
    fn max_destinations(&self) -> usize;
    /// The long-message reference allocator (shared with the client's own sends).
    fn references(&self) -> &SharedReferences;
    /// The clock events are stamped with.
    fn clock(&self) -> Arc<dyn Clock>;
    /// Logged-in connections.
    fn live_connections(&self) -> usize;
    /// Takes the event stream (once).
    fn take_events(&self) -> Option<LinkEvents>;
    /// Checks that a plan fits the protocol's fields, before anything is journaled.
    fn validate(&self, plan: &SubmitPlan) -> Result<(), String>;
    /// Submits one segment; resolves with its response or failure.
    fn submit(&self, plan: SubmitPlan) -> BoxFuture<'_, Result<LinkOutcome, LinkError>>;
    /// Drains and closes the client.
    fn close(&self, deadline: Duration) -> BoxFuture<'_, ()>;
}

/// Something that can be wrapped as a [`Link`].
pub trait IntoLink {
    /// The wrapped client.
    fn into_link(self) -> Arc<dyn Link>;
}

impl IntoLink for Arc<dyn Link> {
    fn into_link(self) -> Arc<dyn Link> {
        self
    }
}
