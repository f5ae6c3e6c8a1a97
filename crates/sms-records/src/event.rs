//! Lifecycle events that fold into a [`Record`](crate::Record).

use crate::carrier::Carrier;
use crate::model::{Category, CauseClass};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the sender knows about a message when it hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageInfo {
    /// Calling number (Src_Id).
    pub src: String,
    /// Destination number.
    pub dest: String,
    /// Kind of message.
    pub category: Category,
    /// Segment number, from 1.
    pub segment: u8,
    /// Number of segments.
    pub segments: u8,
    /// Links segments and group-send destinations.
    pub group_id: Option<String>,
    /// The carrier the message goes through (its route); China Mobile in events written
    /// before events carried it.
    #[serde(default)]
    pub carrier: Carrier,
}

impl MessageInfo {
    /// A one-segment message of category `other` from `src` to `dest`, through China Mobile;
    /// the `with_*` methods set the rest.
    pub fn new(src: impl Into<String>, dest: impl Into<String>) -> Self {
        MessageInfo {
            src: src.into(),
            dest: dest.into(),
            category: Category::Other,
            segment: 1,
            segments: 1,
            group_id: None,
            carrier: Carrier::default(),
        }
    }

    /// With the carrier the message is routed to.
    pub fn with_carrier(mut self, carrier: Carrier) -> Self {
        self.carrier = carrier;
        self
    }

    /// With the kind of message.
    pub fn with_category(mut self, category: Category) -> Self {
        self.category = category;
        self
    }

    /// As segment `segment` of `segments`.
    pub fn with_segment(mut self, segment: u8, segments: u8) -> Self {
        self.segment = segment;
        self.segments = segments;
        self
    }

    /// With the id that links segments and group-send destinations.
    pub fn with_group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self
    }
}

/// What a status report says about the message it reports on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOrigin {
    /// Destination number of the original message.
    pub dest: String,
    /// Calling number (Src_Id) of the original message, when the report carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// When the gateway says the message was submitted (to the minute), when readable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
}

/// One thing that happened to one message, with the time it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The SP's id of the message; `None` for a status report whose submit is not known
    /// to the producer (the journal resolves it through `msg_id`).
    pub local_id: Option<String>,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
// Not #[non_exhaustive] on purpose: every consumer (journal, fold, SLA) must handle every
// kind of event, so a new kind is meant to break their builds rather than fall into a `_`.
pub enum EventKind {
    /// The submit is about to be written (the outbox): journaled, and durable, before the
    /// write, so that a crash between the write and the `Submitted` event leaves a trace.
    Sending {
        /// Addresses, category and segmentation.
        info: MessageInfo,
    },
    /// The submit was written to the link for the first time.
    Submitted {
        /// Addresses, category and segmentation.
        info: MessageInfo,
    },
    /// The submit was written again (timeout or flow control); `attempt` counts from 2.
    Resent {
        /// Transmission number: 2 for the first resend.
        attempt: u32,
    },
    /// The gateway answered the submit.
    Responded {
        /// Gateway Msg_Id as text, when the response carried one.
        msg_id: Option<String>,
        /// Raw result (0 = accepted).
        result: u32,
        /// Cause class; `None` means "take it from the default table".
        class: Option<CauseClass>,
    },
    /// A status report arrived for the gateway Msg_Id.
    Reported {
        /// Gateway Msg_Id as text.
        msg_id: String,
        /// Raw report state, e.g. `DELIVRD`.
        stat: String,
        /// Cause class; `None` means "take it from the default table".
        class: Option<CauseClass>,
        /// What the report itself says about its message (for matching it to a record
        /// whose response was lost); `None` in events written before it was kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<ReportOrigin>,
    },
    /// Accepted, and no status report came within the report deadline: closed by the
    /// reconciliation so that nothing stays pending forever.
    Expired {
        /// Why, for a person.
        reason: String,
    },
    /// The sender gave up on the message.
    Failed {
        /// Why, for a person.
        reason: String,
        /// Cause class of the failure.
        class: CauseClass,
        /// The submit may have reached the gateway (e.g. link lost before the response).
        maybe_accepted: bool,
    },
    /// The sending policy refused the message; it never reached the gateway.
    Refused {
        /// Addresses, category and segmentation.
        info: MessageInfo,
        /// Stable name of the check that refused it.
        check: String,
        /// Reason for a person.
        reason: String,
    },
}
