//! A message's events as stored in its row: a JSON array `[[at_ms, event], ...]`.

use crate::error::JournalError;
use sms_records::{EventKind, Folder, Record};
use std::path::Path;

use super::*;

/// The record that a message's entries fold into, and its sort key: the time of its intent
/// (`sending`) when it has one, else its submit time, else its first event's time. The
/// intent, journaled first, keeps the key (and the row's place in the indexes) unchanged
/// when the submit follows.
pub(super) fn fold_entries(local_id: &str, list: &[Entry<'_>]) -> (Record, i64) {
    let mut folder = Folder::new();
    let mut intent: Option<i64> = None;
    for (at, kind) in list {
        if matches!(**kind, EventKind::Sending { .. }) {
            intent = Some(intent.map_or(*at, |i| i.min(*at)));
        }
        folder.push_kind(from_ms(*at), kind);
    }
    let mut record = folder.finish();
    record.local_id = local_id.to_string();
    let sort = intent
        .or_else(|| record.submitted_at.map(ms))
        .or_else(|| list.first().map(|e| e.0))
        .unwrap_or(0);
    (record, sort)
}

pub(super) fn encode_entries(buf: &mut Vec<u8>, list: &[Entry<'_>]) -> Result<(), JournalError> {
    crate::entries::encode(buf, list).map_err(cannot_encode)
}

pub(super) fn append_entries(
    buf: &mut Vec<u8>,
    stored: &str,
    tail: &[Entry<'_>],
) -> Result<(), JournalError> {
    crate::entries::append(buf, stored, tail).map_err(cannot_encode)
}

pub(super) fn cannot_encode(e: serde_json::Error) -> JournalError {
    JournalError::Invalid(format!("event cannot be encoded: {e}"))
}

pub(super) fn as_text(buf: &[u8]) -> &str {
    // serde_json writes UTF-8 only.
    std::str::from_utf8(buf).unwrap_or_default()
}

pub(super) fn decode_entries(
    path: &Path,
    text: &str,
) -> Result<Vec<(i64, EventKind)>, JournalError> {
    crate::entries::decode(text).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        message: format!("events of a message: {e}"),
    })
}

pub(super) fn decode_kind(path: &Path, payload: &str) -> Result<EventKind, JournalError> {
    serde_json::from_str(payload).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        message: format!("event payload: {e}"),
    })
}
