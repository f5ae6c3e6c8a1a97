//! One month file: schema, and the SQL that reads and writes it.
//!
//! * `schema`: the tables, indexes and view, the file's settings and format migrations;
//! * `entries_codec`: a message's events as stored in its row;
//! * `write`: the batch writer and imported records;
//! * `read`: records, events and the look-ups.

mod entries_codec;
mod read;
mod schema;
mod write;

pub(crate) use crate::entries::Entry;
use entries_codec::*;
pub(crate) use read::*;
pub(crate) use schema::*;
pub(crate) use write::*;

use chrono::{DateTime, TimeZone, Utc};
use sms_records::EventKind;

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Name of an event's kind, as stored in its JSON (`event`).
pub(crate) fn kind_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Sending { .. } => "sending",
        EventKind::Submitted { .. } => "submitted",
        EventKind::Resent { .. } => "resent",
        EventKind::Responded { .. } => "responded",
        EventKind::Reported { .. } => "reported",
        EventKind::Failed { .. } => "failed",
        EventKind::Refused { .. } => "refused",
        EventKind::Expired { .. } => "expired",
    }
}

/// The gateway Msg_Id an event carries.
pub(crate) fn event_msg_id(kind: &EventKind) -> Option<&str> {
    match kind {
        EventKind::Responded { msg_id, .. } => msg_id.as_deref(),
        EventKind::Reported { msg_id, .. } => Some(msg_id),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
