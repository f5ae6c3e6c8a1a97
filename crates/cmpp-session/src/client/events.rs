//! What the client reports to the application.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cmpp_codec::text::Content;
use cmpp_codec::{MsgFmt, MsgId, Stat, SubmitResult};

use super::ack::DeliverAck;
use crate::proto::ResendReason;

/// An event on the client's stream ([`crate::Client::events`]).
#[derive(Debug, Clone, PartialEq)]
// Not #[non_exhaustive] on purpose: a consumer (sms-sender) must handle every kind, since
// an event dropped in a `_` arm is a message or an acknowledgement lost.
pub enum ClientEvent {
    /// A status report. Call `ack.accept()` once it is held (e.g. journaled): only then is
    /// its DELIVER_RESP sent.
    Report {
        /// Msg_Id of the original SUBMIT (per destination for group sends).
        msg_id: MsgId,
        /// Final state.
        stat: Stat,
        /// Submit_time (YYMMDDHHMM, as sent).
        submit_time: String,
        /// Done_time (YYMMDDHHMM, as sent).
        done_time: String,
        /// The destination number of the original SUBMIT.
        dest: String,
        /// The SP number the original SUBMIT was sent from (the report DELIVER's Dest_Id).
        src_id: String,
        /// SMSC_sequence.
        smsc_sequence: u32,
        /// Caller's id for the SUBMIT, when still known.
        local_id: Option<Arc<str>>,
        /// Index of `dest` in the SUBMIT's destinations (group sends), when known.
        dest_index: Option<u16>,
        /// Connection (pool index) it arrived on.
        connection: usize,
        /// When it arrived.
        received_at: DateTime<Utc>,
        /// Answers the DELIVER once accepted.
        ack: DeliverAck,
    },
    /// A mobile-originated message; long messages are reassembled first. Call
    /// `ack.accept()` once it is held: every part's DELIVER is answered then.
    UserMessage {
        /// The gateway's Msg_Id of the DELIVER that carried it (of the part that completed a
        /// long message); `None` for a long message given up incomplete by the reassembly
        /// timeout. A DELIVER the gateway sends again carries the same Msg_Id.
        msg_id: Option<MsgId>,
        /// Sender (Src_terminal_Id).
        from: String,
        /// Dest_Id (the SP service code).
        to: String,
        /// Service_Id (of the last part received).
        service_id: String,
        /// Msg_Fmt.
        msg_fmt: MsgFmt,
        /// Decoded content; gaps of an incomplete message are U+FFFD.
        content: Content,
        /// LinkID.
        link_id: String,
        /// Parts announced (1 for a single message).
        parts: u8,
        /// False when parts are missing (delivered after the reassembly timeout).
        complete: bool,
        /// Missing part numbers.
        missing: Vec<u8>,
        /// Connection it (last) arrived on.
        connection: usize,
        /// When it was handed over.
        received_at: DateTime<Utc>,
        /// Answers the DELIVER(s) once accepted.
        ack: DeliverAck,
    },
    /// A request lifecycle step (for the journal).
    Lifecycle(LifecycleEvent),
    /// A connection logged in.
    LinkUp {
        /// Pool index.
        connection: usize,
    },
    /// A connection went down (it reconnects per the policy unless closing).
    LinkDown {
        /// Pool index.
        connection: usize,
        /// Why.
        reason: LinkLoss,
    },
}

/// Why a connection went down ([`ClientEvent::LinkDown`]).
pub use sms_session::link::LinkLoss;

/// One step in a SUBMIT's life.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LifecycleEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Caller's id (`None` for a report whose SUBMIT is no longer known).
    pub local_id: Option<Arc<str>>,
    /// Sequence_Id (0 for reports).
    pub sequence_id: u32,
    /// What happened.
    pub kind: LifecycleKind,
}

impl LifecycleEvent {
    /// An event, as the client emits them (for consumers' tests and replays).
    pub fn new(
        at: DateTime<Utc>,
        local_id: Option<Arc<str>>,
        sequence_id: u32,
        kind: LifecycleKind,
    ) -> Self {
        LifecycleEvent {
            at,
            local_id,
            sequence_id,
            kind,
        }
    }
}

/// Kinds of [`LifecycleEvent`].
#[derive(Debug, Clone, PartialEq, Eq)]
// Not #[non_exhaustive] on purpose: a consumer (sms-sender) must handle every kind, since
// an event dropped in a `_` arm is a message or an acknowledgement lost.
pub enum LifecycleKind {
    /// First written to a link.
    Submitted {
        /// Number of destinations.
        dests: u16,
        /// Segment number (1-based).
        segment: u8,
        /// Segments of the message.
        segments: u8,
    },
    /// Written again.
    Resent {
        /// Transmission number.
        attempt: u32,
        /// Why.
        reason: ResendReason,
    },
    /// SUBMIT_RESP received (final).
    Responded {
        /// Msg_Id (first of the group range).
        msg_id: MsgId,
        /// Result.
        result: SubmitResult,
    },
    /// Status report received.
    Reported {
        /// Msg_Id of the report.
        msg_id: MsgId,
        /// Stat.
        stat: Stat,
        /// Destination the report is for.
        dest: String,
    },
    /// Finished without a usable response.
    Failed {
        /// Why.
        reason: String,
        /// Whether the gateway may have accepted it.
        maybe_accepted: bool,
    },
}
