//! The record of one message and its enumerations.

use crate::carrier::Carrier;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who a failure is attributable to, independent of the protocol.
///
/// Interchange names: `delivered`, `carrier`, `user`, `sp`, `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CauseClass {
    /// Not a failure: the message reached the handset (or the request was accepted).
    Delivered,
    /// Carrier side (Party B): gateway, SMSC, billing platform, network.
    Carrier,
    /// Handset or subscriber side: switched off, unknown number, barred, memory full.
    User,
    /// SP side (Party A): malformed request, bad fee or service code, policy refusal.
    Sp,
    /// Not attributable from the data; the contract counts it against Party B.
    Unknown,
}

/// Final state of one message.
///
/// Interchange names: `pending`, `delivered`, `failed`, `expired`, `unknown`, `refused`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FinalState {
    /// Accepted by the gateway, status report still awaited (not final yet).
    Pending,
    /// A status report says it reached the handset.
    Delivered,
    /// A non-zero response, a failure report, or a definite local failure.
    Failed,
    /// Accepted but no status report came within the report deadline.
    Expired,
    /// The outcome cannot be known (e.g. the link was lost after the submit was written).
    Unknown,
    /// Refused by the sending policy before it reached the gateway (clauses 2.2, 2.6, 2.9).
    Refused,
}

/// Kind of message, set by the sender.
///
/// Interchange names: `verification`, `notice`, `prompt`, `other`, `advertising`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Category {
    /// Verification code.
    Verification,
    /// Notice.
    Notice,
    /// Prompt.
    Prompt,
    /// Anything else.
    #[default]
    Other,
    /// Advertising; refused by the policy unless enabled (clause 2.2).
    Advertising,
}

macro_rules! names {
    ($ty:ty, $what:literal, $($variant:ident => $name:literal),+ $(,)?) => {
        impl $ty {
            /// The interchange name.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                match s.trim() {
                    $($name => Ok(Self::$variant),)+
                    other => Err(UnknownName { what: $what, value: other.to_string() }),
                }
            }
        }
    };
}

names!(CauseClass, "cause class",
    Delivered => "delivered", Carrier => "carrier", User => "user", Sp => "sp", Unknown => "unknown");
names!(FinalState, "final state",
    Pending => "pending", Delivered => "delivered", Failed => "failed", Expired => "expired",
    Unknown => "unknown", Refused => "refused");
names!(Category, "category",
    Verification => "verification", Notice => "notice", Prompt => "prompt", Other => "other",
    Advertising => "advertising");

/// A name that is not one of an enumeration's interchange names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`")]
pub struct UnknownName {
    /// Which enumeration was being parsed.
    pub what: &'static str,
    /// The text that did not match.
    pub value: String,
}

/// One billable message (one segment of a long message) and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The SP's own id for this segment, unique in the journal.
    pub local_id: String,
    /// Gateway Msg_Id as text (22-digit form), once the submit response carried it.
    pub msg_id: Option<String>,
    /// Calling number shown to the handset (clause 2.6).
    pub src: String,
    /// Destination number.
    pub dest: String,
    /// Kind of message.
    pub category: Category,
    /// Segment number, from 1.
    pub segment: u8,
    /// Number of segments of the long message this belongs to (1 for a short message).
    pub segments: u8,
    /// Links the segments of one long message (and the destinations of a group send).
    pub group_id: Option<String>,
    /// When the submit was first written to the link.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the submit response arrived.
    pub responded_at: Option<DateTime<Utc>>,
    /// Raw submit response result (0 = accepted).
    pub resp_result: Option<u32>,
    /// Cause class of the submit response result.
    pub resp_class: Option<CauseClass>,
    /// When the status report arrived.
    pub reported_at: Option<DateTime<Utc>>,
    /// Raw status report state, e.g. `DELIVRD`, `MK:0001`.
    pub report_stat: Option<String>,
    /// Cause class of the report state.
    pub report_class: Option<CauseClass>,
    /// Number of times the submit was written again after the first time.
    pub resends: u32,
    /// What became of the message.
    pub final_state: FinalState,
    /// Exemption tag (e.g. a clause of 7.1–7.4) when the message is exempt from SLA counts.
    pub exempt: Option<String>,
    /// The carrier the message went through (`mobile` for records that predate carriers).
    #[serde(default)]
    pub carrier: Carrier,
    /// Why a message was refused or failed locally (`check: reason`); not an interchange column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Record {
    /// A record with only its identity set: no events yet.
    pub fn new(local_id: impl Into<String>) -> Self {
        Record {
            local_id: local_id.into(),
            msg_id: None,
            src: String::new(),
            dest: String::new(),
            category: Category::Other,
            segment: 1,
            segments: 1,
            group_id: None,
            submitted_at: None,
            responded_at: None,
            resp_result: None,
            resp_class: None,
            reported_at: None,
            report_stat: None,
            report_class: None,
            resends: 0,
            final_state: FinalState::Pending,
            exempt: None,
            carrier: Carrier::ChinaMobile,
            detail: None,
        }
    }

    /// Submit → response latency, when both are known.
    pub fn response_latency(&self) -> Option<chrono::Duration> {
        Some(self.responded_at? - self.submitted_at?)
    }

    /// Submit → status report latency, when both are known.
    pub fn report_latency(&self) -> Option<chrono::Duration> {
        Some(self.reported_at? - self.submitted_at?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in [
            CauseClass::Delivered,
            CauseClass::Carrier,
            CauseClass::User,
            CauseClass::Sp,
            CauseClass::Unknown,
        ] {
            assert_eq!(c.as_str().parse::<CauseClass>().unwrap(), c);
        }
        for s in [
            FinalState::Pending,
            FinalState::Delivered,
            FinalState::Failed,
            FinalState::Expired,
            FinalState::Unknown,
            FinalState::Refused,
        ] {
            assert_eq!(s.as_str().parse::<FinalState>().unwrap(), s);
        }
        assert_eq!("prompt".parse::<Category>().unwrap(), Category::Prompt);
        let err = "weird".parse::<Category>().unwrap_err();
        assert_eq!(err.to_string(), "unknown category `weird`");
    }

    #[test]
    fn serde_uses_interchange_names() {
        assert_eq!(serde_json::to_string(&CauseClass::Sp).unwrap(), "\"sp\"");
        assert_eq!(
            serde_json::to_string(&FinalState::Expired).unwrap(),
            "\"expired\""
        );
    }
}
