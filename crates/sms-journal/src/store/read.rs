//! Reads: records, events, orphans and look-ups by id, Msg_Id, number and time.

use crate::error::{JournalError, SqlContext};
use rusqlite::{params, Connection, OptionalExtension, Row};
use sms_records::{Event, InboundMessage, Record};
use std::path::Path;

use super::*;

/// Whether the file holds any orphan event (one without a local id).
pub(crate) fn has_orphans(conn: &Connection, path: &Path) -> Result<bool, JournalError> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM orphans)")
        .at(path)?
        .query_row([], |r| r.get(0))
        .at(path)
}

/// Events of one message, in time order.
#[cfg(test)]
pub(crate) fn events_of(
    conn: &Connection,
    path: &Path,
    local_id: &str,
) -> Result<Vec<Event>, JournalError> {
    Ok(message(conn, path, local_id)?.map_or_else(Vec::new, |(_, events)| events))
}

/// Events stored without a message, for a Msg_Id, in time order.
pub(crate) fn orphans_of(
    conn: &Connection,
    path: &Path,
    msg_id: &str,
) -> Result<Vec<Event>, JournalError> {
    let mut stmt = conn
        .prepare_cached("SELECT at_ms, payload FROM orphans WHERE msg_id = ?1 ORDER BY at_ms, id")
        .at(path)?;
    let mut rows = stmt.query([msg_id]).at(path)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().at(path)? {
        let at: i64 = row.get(0).at(path)?;
        let payload: String = row.get(1).at(path)?;
        out.push(Event {
            at: from_ms(at),
            local_id: None,
            kind: decode_kind(path, &payload)?,
        });
    }
    Ok(out)
}

/// An enumeration column, read in place (no allocation).
pub(super) fn name_at<T: std::str::FromStr<Err = sms_records::model::UnknownName>>(
    path: &Path,
    row: &Row<'_>,
    idx: usize,
) -> Result<Option<T>, JournalError> {
    let corrupt = |message: String| JournalError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    match row.get_ref(idx).at(path)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
            .map_err(|e| corrupt(e.to_string()))?
            .parse::<T>()
            .map(Some)
            .map_err(|e| corrupt(e.to_string())),
        other => Err(corrupt(format!(
            "column {idx} holds {:?}, not a name",
            other.data_type()
        ))),
    }
}

/// A `messages` row (selected with [`MESSAGE_COLUMNS`]) as a record, with its sort key.
pub(crate) fn record_from_row(path: &Path, row: &Row<'_>) -> Result<(Record, i64), JournalError> {
    let mut r = Record::new(row.get::<_, String>(0).at(path)?);
    let sort: i64 = row.get(1).at(path)?;
    r.msg_id = row.get(2).at(path)?;
    r.src = row.get(3).at(path)?;
    r.dest = row.get(4).at(path)?;
    r.category = name_at(path, row, 5)?.unwrap_or_default();
    r.segment = row.get(6).at(path)?;
    r.segments = row.get(7).at(path)?;
    r.group_id = row.get(8).at(path)?;
    r.submitted_at = row.get::<_, Option<i64>>(9).at(path)?.map(from_ms);
    r.responded_at = row.get::<_, Option<i64>>(10).at(path)?.map(from_ms);
    r.resp_result = row.get(11).at(path)?;
    r.resp_class = name_at(path, row, 12)?;
    r.reported_at = row.get::<_, Option<i64>>(13).at(path)?.map(from_ms);
    r.report_stat = row.get(14).at(path)?;
    r.report_class = name_at(path, row, 15)?;
    r.resends = row.get(16).at(path)?;
    r.final_state = name_at(path, row, 17)?.unwrap_or(sms_records::FinalState::Pending);
    r.exempt = row.get(18).at(path)?;
    r.detail = row.get(19).at(path)?;
    r.carrier = name_at(path, row, 20)?.unwrap_or_default();
    Ok((r, sort))
}

/// The stored record of one message and all its events, in time order.
pub(crate) fn message(
    conn: &Connection,
    path: &Path,
    local_id: &str,
) -> Result<Option<(Record, Vec<Event>)>, JournalError> {
    let sql = format!("SELECT {MESSAGE_COLUMNS}, events FROM messages WHERE local_id = ?1");
    let mut stmt = conn.prepare_cached(&sql).at(path)?;
    let mut rows = stmt.query([local_id]).at(path)?;
    let Some(row) = rows.next().at(path)? else {
        return Ok(None);
    };
    let (record, _) = record_from_row(path, row)?;
    let text = row
        .get_ref(21)
        .at(path)?
        .as_str()
        .map_err(|e| JournalError::Corrupt {
            path: path.to_path_buf(),
            message: format!("events of a message: {e}"),
        })?;
    let events = decode_entries(path, text)?
        .into_iter()
        .map(|(at, kind)| Event {
            at: from_ms(at),
            local_id: Some(local_id.to_string()),
            kind,
        })
        .collect();
    Ok(Some((record, events)))
}

/// The row of message `local_id`, if the file holds it.
pub(crate) fn row_of_message(
    conn: &Connection,
    path: &Path,
    local_id: &str,
) -> Result<Option<i64>, JournalError> {
    conn.prepare_cached("SELECT rowid FROM messages WHERE local_id = ?1")
        .at(path)?
        .query_row([local_id], |r| r.get(0))
        .optional()
        .at(path)
}

/// The message that the gateway knows as `msg_id`, if any: its local id and row.
pub(crate) fn local_id_of_msg(
    conn: &Connection,
    path: &Path,
    msg_id: &str,
) -> Result<Option<(String, i64)>, JournalError> {
    conn.prepare_cached(
        "SELECT local_id, rowid FROM messages WHERE msg_id = ?1 ORDER BY sort_ms LIMIT 1",
    )
    .at(path)?
    .query_row([msg_id], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
    .at(path)
}

/// Local ids of messages matching a query on `messages` (in sort order).
pub(crate) fn local_ids(
    conn: &Connection,
    path: &Path,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<String>, JournalError> {
    let mut stmt = conn.prepare_cached(sql).at(path)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0)).at(path)?;
    rows.collect::<Result<Vec<_>, _>>().at(path)
}

/// Messages to number ?1 in hours ?2 to ?3 of sort time, with sort time in `[?4, ?5)`.
pub(super) const TO_DEST: &str =
    "WITH RECURSIVE hours(h) AS (SELECT ?2 UNION ALL SELECT h + 1 FROM hours WHERE h < ?3)
     SELECT m.local_id FROM hours CROSS JOIN messages AS m
     ON m.sort_ms / 3600000 = hours.h AND m.dest = ?1
     WHERE m.sort_ms >= ?4 AND m.sort_ms < ?5 ORDER BY m.sort_ms, m.local_id";

/// Local ids of the messages to `dest` whose sort time is in `[lo, hi)`, in sort order.
///
/// The number index is bucketed by hour, so the look-up probes each hour of the
/// range that the file holds.
pub(crate) fn local_ids_to(
    conn: &Connection,
    path: &Path,
    dest: &str,
    lo: i64,
    hi: i64,
) -> Result<Vec<String>, JournalError> {
    let (min, max): (Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT (SELECT min(sort_ms) FROM messages), (SELECT max(sort_ms) FROM messages)",
        )
        .at(path)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .at(path)?;
    let (Some(min), Some(max)) = (min, max) else {
        return Ok(Vec::new());
    };
    let (lo, hi) = (lo.max(min), hi.min(max.saturating_add(1)));
    if lo >= hi {
        return Ok(Vec::new());
    }
    // SQLite's integer division truncates, as Rust's does.
    let (first, last) = (lo / HOUR_MS, (hi - 1) / HOUR_MS);
    local_ids(conn, path, TO_DEST, params![dest, first, last, lo, hi])
}

/// Number of messages and events in a file.
pub(crate) fn counts(conn: &Connection, path: &Path) -> Result<(u64, u64), JournalError> {
    let (m, e): (i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(json_array_length(events)), 0) \
             + (SELECT count(*) FROM orphans) FROM messages",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .at(path)?;
    Ok((m.max(0) as u64, e.max(0) as u64))
}

/// Orphan events (no message claims them yet) with a time in `[lo, hi)`, in time order.
pub(crate) fn orphans_between(
    conn: &Connection,
    path: &Path,
    lo: i64,
    hi: i64,
) -> Result<Vec<Event>, JournalError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT at_ms, payload FROM orphans WHERE at_ms >= ?1 AND at_ms < ?2 ORDER BY at_ms, id",
        )
        .at(path)?;
    let mut rows = stmt.query(params![lo, hi]).at(path)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().at(path)? {
        let at: i64 = row.get(0).at(path)?;
        let payload: String = row.get(1).at(path)?;
        out.push(Event {
            at: from_ms(at),
            local_id: None,
            kind: decode_kind(path, &payload)?,
        });
    }
    Ok(out)
}

/// Columns of `inbound` in the order [`inbound_from_row`] reads them.
const INBOUND_COLUMNS: &str =
    "received_ms, msg_id, from_number, to_number, service_id, text, content_hex";

fn inbound_from_row(path: &Path, row: &Row<'_>) -> Result<InboundMessage, JournalError> {
    let mut m = InboundMessage::new(
        from_ms(row.get(0).at(path)?),
        row.get::<_, String>(1).at(path)?,
        row.get::<_, String>(2).at(path)?,
        row.get::<_, String>(3).at(path)?,
    )
    .with_service_id(row.get::<_, String>(4).at(path)?);
    m.text = row.get(5).at(path)?;
    m.content_hex = row.get(6).at(path)?;
    Ok(m)
}

/// The inbound message the gateway knows as `msg_id`, if the file holds it.
pub(crate) fn inbound_of(
    conn: &Connection,
    path: &Path,
    msg_id: &str,
) -> Result<Option<InboundMessage>, JournalError> {
    let sql = format!("SELECT {INBOUND_COLUMNS} FROM inbound WHERE msg_id = ?1");
    let mut stmt = conn.prepare_cached(&sql).at(path)?;
    let mut rows = stmt.query([msg_id]).at(path)?;
    match rows.next().at(path)? {
        Some(row) => inbound_from_row(path, row).map(Some),
        None => Ok(None),
    }
}

/// Inbound messages received in `[lo, hi)`, in time order.
pub(crate) fn inbound_between(
    conn: &Connection,
    path: &Path,
    lo: i64,
    hi: i64,
) -> Result<Vec<InboundMessage>, JournalError> {
    let sql = format!(
        "SELECT {INBOUND_COLUMNS} FROM inbound WHERE received_ms >= ?1 AND received_ms < ?2 \
         ORDER BY received_ms, msg_id"
    );
    let mut stmt = conn.prepare_cached(&sql).at(path)?;
    let mut rows = stmt.query(params![lo, hi]).at(path)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().at(path)? {
        out.push(inbound_from_row(path, row)?);
    }
    Ok(out)
}

/// Records still `pending` whose sort time is in `[lo, hi)`, in sort order.
pub(crate) fn pending_between(
    conn: &Connection,
    path: &Path,
    lo: i64,
    hi: i64,
) -> Result<Vec<Record>, JournalError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages \
         WHERE final_state = 'pending' AND sort_ms >= ?1 AND sort_ms < ?2 \
         ORDER BY sort_ms, local_id"
    );
    let mut stmt = conn.prepare_cached(&sql).at(path)?;
    let mut rows = stmt.query(params![lo, hi]).at(path)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().at(path)? {
        out.push(record_from_row(path, row)?.0);
    }
    Ok(out)
}
