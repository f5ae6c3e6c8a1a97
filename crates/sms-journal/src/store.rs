//! One month file: schema, and the SQL that reads and writes it.

use crate::error::{JournalError, SqlContext};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use sms_records::{Event, EventKind, Folder, Record};
use std::path::Path;

/// Schema of a month file; `messages` is derived from `events` and kept in step on every write.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,          -- Unix time in milliseconds
    local_id TEXT,                      -- NULL: a report whose message is not known (yet)
    msg_id   TEXT,                      -- gateway Msg_Id of a response or report
    kind     TEXT NOT NULL,             -- submitted, resent, responded, reported, failed, refused
    payload  TEXT NOT NULL              -- the event as JSON
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_local_id ON events(local_id, at_ms, kind, payload);
CREATE INDEX IF NOT EXISTS events_by_msg_id ON events(msg_id) WHERE msg_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_by_at ON events(at_ms);
CREATE TABLE IF NOT EXISTS messages (
    local_id        TEXT PRIMARY KEY,
    sort_ms         INTEGER NOT NULL,   -- submit time, else the first event's time
    msg_id          TEXT,
    src             TEXT NOT NULL,
    dest            TEXT NOT NULL,
    category        TEXT NOT NULL,
    segment         INTEGER NOT NULL,
    segments        INTEGER NOT NULL,
    group_id        TEXT,
    submitted_ms    INTEGER,
    responded_ms    INTEGER,
    resp_result     INTEGER,
    resp_class      TEXT,
    reported_ms     INTEGER,
    report_stat     TEXT,
    report_class    TEXT,
    resends         INTEGER NOT NULL,
    final_state     TEXT NOT NULL,
    exempt          TEXT,
    detail          TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_msg_id ON messages(msg_id) WHERE msg_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_dest ON messages(dest, sort_ms);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages(sort_ms, local_id);
CREATE VIEW IF NOT EXISTS events_beijing AS
    SELECT id, strftime('%Y-%m-%dT%H:%M:%f+08:00', at_ms / 1000.0, 'unixepoch', '+8 hours') AS at,
           local_id, msg_id, kind, payload
    FROM events;
"#;

/// Columns of `messages` in the order [`record_from_row`] reads them.
pub(crate) const MESSAGE_COLUMNS: &str =
    "local_id, sort_ms, msg_id, src, dest, category, segment, \
    segments, group_id, submitted_ms, responded_ms, resp_result, resp_class, reported_ms, \
    report_stat, report_class, resends, final_state, exempt, detail";

/// Opens (creating when asked) a month file with the journal's settings.
pub(crate) fn open(path: &Path, create: bool, full_sync: bool) -> Result<Connection, JournalError> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).at(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .at(path)?;
    conn.pragma_update(None, "journal_mode", "WAL").at(path)?;
    conn.pragma_update(
        None,
        "synchronous",
        if full_sync { "FULL" } else { "NORMAL" },
    )
    .at(path)?;
    conn.execute_batch(SCHEMA).at(path)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Name stored in the `kind` column.
pub(crate) fn kind_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Submitted { .. } => "submitted",
        EventKind::Resent { .. } => "resent",
        EventKind::Responded { .. } => "responded",
        EventKind::Reported { .. } => "reported",
        EventKind::Failed { .. } => "failed",
        EventKind::Refused { .. } => "refused",
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

/// Inserts one event (a replay of a stored event is ignored); true if it was new.
pub(crate) fn insert_event(
    conn: &Connection,
    path: &Path,
    event: &Event,
    local_id: Option<&str>,
) -> Result<bool, JournalError> {
    let payload = serde_json::to_string(&event.kind)
        .map_err(|e| JournalError::Invalid(format!("event cannot be encoded: {e}")))?;
    let mut stmt = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO events (at_ms, local_id, msg_id, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .at(path)?;
    let n = stmt
        .execute(params![
            ms(event.at),
            local_id,
            event_msg_id(&event.kind),
            kind_name(&event.kind),
            payload
        ])
        .at(path)?;
    Ok(n > 0)
}

/// Gives orphan reports carrying `msg_id` to message `local_id`.
pub(crate) fn adopt_orphans(
    conn: &Connection,
    path: &Path,
    msg_id: &str,
    local_id: &str,
) -> Result<(), JournalError> {
    conn.prepare_cached(
        "UPDATE OR IGNORE events SET local_id = ?1 WHERE local_id IS NULL AND msg_id = ?2",
    )
    .at(path)?
    .execute(params![local_id, msg_id])
    .at(path)?;
    Ok(())
}

fn event_from_row(path: &Path, row: &Row<'_>) -> Result<Event, JournalError> {
    let at: i64 = row.get(0).at(path)?;
    let local_id: Option<String> = row.get(1).at(path)?;
    let payload: String = row.get(2).at(path)?;
    let kind: EventKind = serde_json::from_str(&payload).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        message: format!("event payload: {e}"),
    })?;
    Ok(Event {
        at: from_ms(at),
        local_id,
        kind,
    })
}

/// Events of one message, in time order.
pub(crate) fn events_of(
    conn: &Connection,
    path: &Path,
    local_id: &str,
) -> Result<Vec<Event>, JournalError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT at_ms, local_id, payload FROM events WHERE local_id = ?1 ORDER BY at_ms, id",
        )
        .at(path)?;
    let mut rows = stmt.query([local_id]).at(path)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().at(path)? {
        out.push(event_from_row(path, row)?);
    }
    Ok(out)
}

/// Reports stored without a message, for a Msg_Id.
pub(crate) fn orphans_of(
    conn: &Connection,
    path: &Path,
    msg_id: &str,
) -> Result<Vec<Event>, JournalError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT at_ms, local_id, payload FROM events WHERE msg_id = ?1 AND local_id IS NULL ORDER BY at_ms, id",
        )
        .at(path)?;
    let mut rows = stmt.query([msg_id]).at(path)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().at(path)? {
        out.push(event_from_row(path, row)?);
    }
    Ok(out)
}

/// Re-folds one message from its stored events and updates its `messages` row.
///
/// The exemption tag has no event; an existing one is kept.
pub(crate) fn refold(conn: &Connection, path: &Path, local_id: &str) -> Result<(), JournalError> {
    let events = events_of(conn, path, local_id)?;
    let mut folder = Folder::new();
    for e in &events {
        folder.push(e);
    }
    let mut record = folder.finish();
    record.local_id = local_id.to_string();
    let sort = record
        .submitted_at
        .or_else(|| events.first().map(|e| e.at))
        .map_or(0, ms);
    upsert_message(conn, path, &record, sort, false)
}

/// Writes a message row; with `replace_exempt` the record's exemption replaces the stored one.
pub(crate) fn upsert_message(
    conn: &Connection,
    path: &Path,
    r: &Record,
    sort_ms: i64,
    replace_exempt: bool,
) -> Result<(), JournalError> {
    let sql = if replace_exempt {
        "INSERT OR REPLACE INTO messages VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"
    } else {
        "INSERT INTO messages VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)
         ON CONFLICT(local_id) DO UPDATE SET sort_ms=excluded.sort_ms, msg_id=excluded.msg_id,
         src=excluded.src, dest=excluded.dest, category=excluded.category, segment=excluded.segment,
         segments=excluded.segments, group_id=excluded.group_id, submitted_ms=excluded.submitted_ms,
         responded_ms=excluded.responded_ms, resp_result=excluded.resp_result,
         resp_class=excluded.resp_class, reported_ms=excluded.reported_ms,
         report_stat=excluded.report_stat, report_class=excluded.report_class,
         resends=excluded.resends, final_state=excluded.final_state,
         exempt=COALESCE(excluded.exempt, messages.exempt), detail=excluded.detail"
    };
    conn.prepare_cached(sql)
        .at(path)?
        .execute(params![
            r.local_id,
            sort_ms,
            r.msg_id,
            r.src,
            r.dest,
            r.category.as_str(),
            r.segment,
            r.segments,
            r.group_id,
            r.submitted_at.map(ms),
            r.responded_at.map(ms),
            r.resp_result,
            r.resp_class.map(|c| c.as_str()),
            r.reported_at.map(ms),
            r.report_stat,
            r.report_class.map(|c| c.as_str()),
            r.resends,
            r.final_state.as_str(),
            r.exempt,
            r.detail,
        ])
        .at(path)?;
    Ok(())
}

fn parse_name<T: std::str::FromStr<Err = sms_records::model::UnknownName>>(
    path: &Path,
    v: Option<String>,
) -> Result<Option<T>, JournalError> {
    v.map(|s| s.parse::<T>())
        .transpose()
        .map_err(|e| JournalError::Corrupt {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

/// A `messages` row (selected with [`MESSAGE_COLUMNS`]) as a record, with its sort key.
pub(crate) fn record_from_row(path: &Path, row: &Row<'_>) -> Result<(Record, i64), JournalError> {
    let mut r = Record::new(row.get::<_, String>(0).at(path)?);
    let sort: i64 = row.get(1).at(path)?;
    r.msg_id = row.get(2).at(path)?;
    r.src = row.get(3).at(path)?;
    r.dest = row.get(4).at(path)?;
    r.category = parse_name(path, Some(row.get(5).at(path)?))?.unwrap_or_default();
    r.segment = row.get(6).at(path)?;
    r.segments = row.get(7).at(path)?;
    r.group_id = row.get(8).at(path)?;
    r.submitted_at = row.get::<_, Option<i64>>(9).at(path)?.map(from_ms);
    r.responded_at = row.get::<_, Option<i64>>(10).at(path)?.map(from_ms);
    r.resp_result = row.get(11).at(path)?;
    r.resp_class = parse_name(path, row.get(12).at(path)?)?;
    r.reported_at = row.get::<_, Option<i64>>(13).at(path)?.map(from_ms);
    r.report_stat = row.get(14).at(path)?;
    r.report_class = parse_name(path, row.get(15).at(path)?)?;
    r.resends = row.get(16).at(path)?;
    r.final_state =
        parse_name(path, Some(row.get(17).at(path)?))?.unwrap_or(sms_records::FinalState::Pending);
    r.exempt = row.get(18).at(path)?;
    r.detail = row.get(19).at(path)?;
    Ok((r, sort))
}

/// The stored record of one message.
pub(crate) fn message(
    conn: &Connection,
    path: &Path,
    local_id: &str,
) -> Result<Option<Record>, JournalError> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE local_id = ?1");
    let mut stmt = conn.prepare_cached(&sql).at(path)?;
    let mut rows = stmt.query([local_id]).at(path)?;
    match rows.next().at(path)? {
        Some(row) => Ok(Some(record_from_row(path, row)?.0)),
        None => Ok(None),
    }
}

/// Whether the file holds message `local_id`.
pub(crate) fn has_message(
    conn: &Connection,
    path: &Path,
    local_id: &str,
) -> Result<bool, JournalError> {
    conn.prepare_cached("SELECT 1 FROM messages WHERE local_id = ?1")
        .at(path)?
        .query_row([local_id], |_| Ok(()))
        .optional()
        .at(path)
        .map(|o| o.is_some())
}

/// The message that the gateway knows as `msg_id`, if any.
pub(crate) fn local_id_of_msg(
    conn: &Connection,
    path: &Path,
    msg_id: &str,
) -> Result<Option<String>, JournalError> {
    conn.prepare_cached("SELECT local_id FROM messages WHERE msg_id = ?1 ORDER BY sort_ms LIMIT 1")
        .at(path)?
        .query_row([msg_id], |r| r.get(0))
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

/// Number of messages and events in a file.
pub(crate) fn counts(conn: &Connection, path: &Path) -> Result<(u64, u64), JournalError> {
    let m: i64 = conn
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .at(path)?;
    let e: i64 = conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .at(path)?;
    Ok((m.max(0) as u64, e.max(0) as u64))
}
