//! One month file: schema, and the SQL that reads and writes it.

use crate::error::{JournalError, SqlContext};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use sms_records::{Event, EventKind, Folder, Record};
use std::borrow::Cow;
use std::path::Path;

/// Format of the month files this code writes (SQLite's `user_version`).
///
/// 0 or 1: events in a table of their own; 2: each message's events kept in its
/// `messages` row, numbers indexed by `(dest, sort_ms)`; 3: numbers indexed by hour
/// of sort time first. Older formats are migrated on open.
pub(crate) const FORMAT: i64 = 3;

/// Milliseconds in the hour buckets of the number index.
const HOUR_MS: i64 = 3_600_000;

/// Page size of new month files, in bytes.
const PAGE_SIZE: i64 = 16_384;

/// Schema of a month file.
///
/// A message's events live in its own row (one B-tree insert per message rather
/// than one per event, which is what makes a full month fast to append); the
/// `events` view lists them one per row for auditors and SQL tools.
const SCHEMA: &str = r#"
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
    detail          TEXT,
    events          TEXT NOT NULL DEFAULT '[]'  -- every event, in time order: [[at_ms, event], ...]
);
CREATE INDEX IF NOT EXISTS messages_by_msg_id ON messages(msg_id) WHERE msg_id IS NOT NULL;
-- By number within each hour of sort time: inserts stay in the current hour's
-- part of the index (a plain index on random numbers dirties a page per message).
CREATE INDEX IF NOT EXISTS messages_by_hour_dest ON messages(sort_ms / 3600000, dest);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages(sort_ms, local_id);
CREATE TABLE IF NOT EXISTS orphans (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,          -- Unix time in milliseconds
    msg_id   TEXT,                      -- gateway Msg_Id the event carries
    payload  TEXT NOT NULL              -- the event as JSON
);
CREATE INDEX IF NOT EXISTS orphans_by_msg_id ON orphans(msg_id);
-- json_extract rather than the JSON arrow operators: a reader whose SQLite predates
-- them (3.38) could not even load a schema that used them.
CREATE VIEW IF NOT EXISTS events AS
    SELECT m.local_id AS local_id, e.key AS seq, json_extract(e.value, '$[0]') AS at_ms,
           strftime('%Y-%m-%dT%H:%M:%f+08:00', json_extract(e.value, '$[0]') / 1000.0,
                    'unixepoch', '+8 hours') AS at,
           json_extract(e.value, '$[1].event') AS kind,
           json_extract(e.value, '$[1].msg_id') AS msg_id,
           json_extract(e.value, '$[1]') AS payload
    FROM messages AS m, json_each(m.events) AS e
    UNION ALL
    SELECT NULL, 0, at_ms,
           strftime('%Y-%m-%dT%H:%M:%f+08:00', at_ms / 1000.0, 'unixepoch', '+8 hours'),
           json_extract(payload, '$.event'), msg_id, payload
    FROM orphans;
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
    // 16 KiB pages for a new file (an existing file keeps its own): a quarter of the
    // WAL frames per commit of the 4 KiB default; a month with late reports appends
    // 112k messages/s against 91k with 4 KiB pages (bench-journal --late-reports, 1 M).
    conn.pragma_update(None, "page_size", PAGE_SIZE).at(path)?;
    conn.pragma_update(None, "journal_mode", "WAL").at(path)?;
    conn.pragma_update(
        None,
        "synchronous",
        if full_sync { "FULL" } else { "NORMAL" },
    )
    .at(path)?;
    // 64 MiB of page cache per open month file; sorts and temporary tables in memory.
    conn.pragma_update(None, "cache_size", -65_536).at(path)?;
    conn.pragma_update(None, "temp_store", "MEMORY").at(path)?;
    // Checkpoint every 64 MiB of WAL rather than 4 MiB: pages rewritten by
    // successive batches are copied to the database once.
    let page: i64 = conn
        .pragma_query_value(None, "page_size", |r| r.get(0))
        .at(path)?;
    conn.pragma_update(None, "wal_autocheckpoint", (64 << 20) / page.max(512))
        .at(path)?;
    let tx = conn.unchecked_transaction().at(path)?;
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .at(path)?;
    if version > FORMAT {
        return Err(JournalError::Format {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT,
        });
    }
    if version < FORMAT {
        if has_events_table(&tx, path)? {
            migrate_events_table(&tx, path)?;
        }
        tx.execute_batch("DROP INDEX IF EXISTS messages_by_dest")
            .at(path)?;
        tx.execute_batch(SCHEMA).at(path)?;
        tx.pragma_update(None, "user_version", FORMAT).at(path)?;
    }
    tx.commit().at(path)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// True for a file of format 0 or 1, which kept events in a table of their own.
fn has_events_table(conn: &Connection, path: &Path) -> Result<bool, JournalError> {
    conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
        .at(path)?
        .exists([])
        .at(path)
}

/// Moves the events of a format 0/1 file into their messages' rows and the orphans table.
///
/// Both old formats have `events(id, at_ms, local_id, msg_id, kind, payload)`
/// (format 1 added a hash column, which is not needed any more); every event with
/// a local id had its `messages` row. Orphans stored twice by format 0 are kept once.
fn migrate_events_table(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    conn.execute_batch(
        "ALTER TABLE messages ADD COLUMN events TEXT NOT NULL DEFAULT '[]';
         UPDATE messages SET events = (
             SELECT json_group_array(json_array(e.at_ms, json(e.payload)) ORDER BY e.at_ms, e.id)
             FROM events AS e WHERE e.local_id = messages.local_id);
         CREATE TABLE orphans (
             id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, msg_id TEXT, payload TEXT NOT NULL);
         INSERT INTO orphans (at_ms, msg_id, payload)
             SELECT at_ms, msg_id, payload FROM events WHERE local_id IS NULL
             GROUP BY at_ms, msg_id, payload ORDER BY min(id);
         DROP VIEW IF EXISTS events_beijing;
         DROP TABLE events;",
    )
    .at(path)
}

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

pub(crate) use crate::entries::Entry;
use crate::entries::{merge, Merge};

/// The record that a message's entries fold into, and its sort key (the submit
/// time, else the first event's time).
fn fold_entries(local_id: &str, list: &[Entry<'_>]) -> (Record, i64) {
    let mut folder = Folder::new();
    for (at, kind) in list {
        folder.push_kind(from_ms(*at), kind);
    }
    let mut record = folder.finish();
    record.local_id = local_id.to_string();
    let sort = record
        .submitted_at
        .map(ms)
        .or_else(|| list.first().map(|e| e.0))
        .unwrap_or(0);
    (record, sort)
}

fn encode_entries(buf: &mut Vec<u8>, list: &[Entry<'_>]) -> Result<(), JournalError> {
    crate::entries::encode(buf, list).map_err(cannot_encode)
}

fn append_entries(buf: &mut Vec<u8>, stored: &str, tail: &[Entry<'_>]) -> Result<(), JournalError> {
    crate::entries::append(buf, stored, tail).map_err(cannot_encode)
}

fn cannot_encode(e: serde_json::Error) -> JournalError {
    JournalError::Invalid(format!("event cannot be encoded: {e}"))
}

fn as_text(buf: &[u8]) -> &str {
    // serde_json writes UTF-8 only.
    std::str::from_utf8(buf).unwrap_or_default()
}

fn decode_entries(path: &Path, text: &str) -> Result<Vec<(i64, EventKind)>, JournalError> {
    crate::entries::decode(text).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        message: format!("events of a message: {e}"),
    })
}

fn decode_kind(path: &Path, payload: &str) -> Result<EventKind, JournalError> {
    serde_json::from_str(payload).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        message: format!("event payload: {e}"),
    })
}

const INSERT_NEW_MESSAGE: &str = "INSERT OR IGNORE INTO messages VALUES \
     (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)";

const REPLACE_MESSAGE: &str = "INSERT OR REPLACE INTO messages VALUES \
     (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)";

/// Rewrites a stored message (by row) from the fold of its events; the exemption
/// tag has no event, so a stored one is kept.
const UPDATE_MESSAGE: &str = "UPDATE messages SET sort_ms=?2, msg_id=?3, src=?4, dest=?5, \
     category=?6, segment=?7, segments=?8, group_id=?9, submitted_ms=?10, responded_ms=?11, \
     resp_result=?12, resp_class=?13, reported_ms=?14, report_stat=?15, report_class=?16, \
     resends=?17, final_state=?18, exempt=COALESCE(?19, exempt), detail=?20, events=?21 \
     WHERE rowid=?22";

/// [`UPDATE_MESSAGE`] for a message whose indexed columns (`sort_ms`, `msg_id`,
/// `dest`) keep their values, the common case of a report or resend: SQLite then
/// leaves the three indexes alone. ?2, ?3 and ?5 are bound but not used.
const UPDATE_MESSAGE_STATE: &str = "UPDATE messages SET src=?4, \
     category=?6, segment=?7, segments=?8, group_id=?9, submitted_ms=?10, responded_ms=?11, \
     resp_result=?12, resp_class=?13, reported_ms=?14, report_stat=?15, report_class=?16, \
     resends=?17, final_state=?18, exempt=COALESCE(?19, exempt), detail=?20, events=?21 \
     WHERE rowid=?22";

/// Binds a record and its encoded events (and for an update, its `row`) to a
/// `messages` statement and runs it; true if it changed a row.
fn execute_message(
    stmt: &mut rusqlite::Statement<'_>,
    path: &Path,
    r: &Record,
    sort_ms: i64,
    events: &str,
    row: Option<i64>,
) -> Result<bool, JournalError> {
    use rusqlite::ToSql;
    let (category, final_state) = (r.category.as_str(), r.final_state.as_str());
    let (resp_class, report_class) = (
        r.resp_class.map(|c| c.as_str()),
        r.report_class.map(|c| c.as_str()),
    );
    let times = [r.submitted_at, r.responded_at, r.reported_at].map(|t| t.map(ms));
    let values: [&dyn ToSql; 21] = [
        &r.local_id,
        &sort_ms,
        &r.msg_id,
        &r.src,
        &r.dest,
        &category,
        &r.segment,
        &r.segments,
        &r.group_id,
        &times[0],
        &times[1],
        &r.resp_result,
        &resp_class,
        &times[2],
        &r.report_stat,
        &report_class,
        &r.resends,
        &final_state,
        &r.exempt,
        &r.detail,
        &events,
    ];
    for (i, v) in values.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, v).at(path)?;
    }
    if let Some(row) = row {
        stmt.raw_bind_parameter(values.len() + 1, row).at(path)?;
    }
    Ok(stmt.raw_execute().at(path)? > 0)
}

/// Stores a record as it is (imported: it is authoritative), with the events it
/// implies, replacing any stored message of the same local id.
pub(crate) fn replace_message(
    conn: &Connection,
    path: &Path,
    r: &Record,
    sort_ms: i64,
    events: &[Event],
) -> Result<(), JournalError> {
    let mut list = Vec::with_capacity(events.len());
    merge(
        &mut list,
        events.iter().map(|e| (ms(e.at), Cow::Borrowed(&e.kind))),
    );
    let mut buf = Vec::with_capacity(512);
    encode_entries(&mut buf, &list)?;
    let mut stmt = conn.prepare_cached(REPLACE_MESSAGE).at(path)?;
    execute_message(&mut stmt, path, r, sort_ms, as_text(&buf), None).map(drop)
}

/// What [`BatchWriter::add`] needs of a stored message.
struct StoredRow {
    row: i64,
    events: String,
    sort_ms: i64,
    msg_id: Option<String>,
    dest: String,
}

fn stored_row(r: &Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok(StoredRow {
        row: r.get(0)?,
        events: r.get(1)?,
        sort_ms: r.get(2)?,
        msg_id: r.get(3)?,
        dest: r.get(4)?,
    })
}

/// The writes of one batch in one file, with their statements prepared once.
pub(crate) struct BatchWriter<'c> {
    conn: &'c Connection,
    path: &'c Path,
    insert: rusqlite::CachedStatement<'c>,
    update: rusqlite::CachedStatement<'c>,
    update_state: rusqlite::CachedStatement<'c>,
    by_row: rusqlite::CachedStatement<'c>,
    by_id: rusqlite::CachedStatement<'c>,
    buf: Vec<u8>,
    /// Whether the file may hold orphans (adoption is looked for only then).
    orphans: bool,
}

impl<'c> BatchWriter<'c> {
    pub(crate) fn new(conn: &'c Connection, path: &'c Path) -> Result<Self, JournalError> {
        const STORED: &str = "SELECT rowid, events, sort_ms, msg_id, dest FROM messages";
        Ok(BatchWriter {
            conn,
            path,
            insert: conn.prepare_cached(INSERT_NEW_MESSAGE).at(path)?,
            update: conn.prepare_cached(UPDATE_MESSAGE).at(path)?,
            update_state: conn.prepare_cached(UPDATE_MESSAGE_STATE).at(path)?,
            by_row: conn
                .prepare_cached(&format!("{STORED} WHERE rowid = ?1 AND local_id = ?2"))
                .at(path)?,
            by_id: conn
                .prepare_cached(&format!("{STORED} WHERE local_id = ?1"))
                .at(path)?,
            buf: Vec::with_capacity(1024),
            orphans: has_orphans(conn, path)?,
        })
    }

    /// Stores an event that no message claims (yet), unless the very same one is
    /// stored; true if it was new.
    pub(crate) fn insert_orphan(&mut self, e: &Event) -> Result<bool, JournalError> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, &e.kind)
            .map_err(|e| JournalError::Invalid(format!("event cannot be encoded: {e}")))?;
        let payload = as_text(&self.buf);
        let (at, msg_id) = (ms(e.at), event_msg_id(&e.kind));
        let stored = self
            .conn
            .prepare_cached(
                "SELECT 1 FROM orphans WHERE msg_id IS ?1 AND at_ms = ?2 AND payload = ?3",
            )
            .at(self.path)?
            .exists(params![msg_id, at, payload])
            .at(self.path)?;
        if stored {
            return Ok(false);
        }
        self.conn
            .prepare_cached("INSERT INTO orphans (at_ms, msg_id, payload) VALUES (?1, ?2, ?3)")
            .at(self.path)?
            .execute(params![at, msg_id, payload])
            .at(self.path)?;
        self.orphans = true;
        Ok(true)
    }

    /// Takes the orphans carrying `msg_id` out of the orphans table, in time order.
    fn adopt<'e>(&mut self, msg_id: &str) -> Result<Vec<Entry<'e>>, JournalError> {
        let mut out = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT at_ms, payload FROM orphans WHERE msg_id = ?1 ORDER BY at_ms, id",
                )
                .at(self.path)?;
            let mut rows = stmt.query([msg_id]).at(self.path)?;
            while let Some(row) = rows.next().at(self.path)? {
                let at: i64 = row.get(0).at(self.path)?;
                let payload =
                    row.get_ref(1)
                        .at(self.path)?
                        .as_str()
                        .map_err(|e| JournalError::Corrupt {
                            path: self.path.to_path_buf(),
                            message: format!("orphan payload: {e}"),
                        })?;
                out.push((at, Cow::Owned(decode_kind(self.path, payload)?)));
            }
        }
        if !out.is_empty() {
            self.conn
                .prepare_cached("DELETE FROM orphans WHERE msg_id = ?1")
                .at(self.path)?
                .execute([msg_id])
                .at(self.path)?;
        }
        Ok(out)
    }

    /// The stored message `local_id`: at `row` if that is still its row, else looked up.
    fn stored(
        &mut self,
        local_id: &str,
        row: Option<i64>,
    ) -> Result<Option<StoredRow>, JournalError> {
        if let Some(row) = row {
            let found = self
                .by_row
                .query_row(params![row, local_id], stored_row)
                .optional()
                .at(self.path)?;
            if found.is_some() {
                return Ok(found);
            }
        }
        self.by_id
            .query_row([local_id], stored_row)
            .optional()
            .at(self.path)
    }

    /// Adds events to message `local_id` and rewrites its row as the fold of all
    /// its events; replayed events are skipped (a pure replay writes nothing).
    ///
    /// `row` is the message's row when the file is known to hold it; otherwise the
    /// message is presumed new, and if it is stored after all (another writer, or a
    /// late event that carries its local id), merged the same way. A response
    /// carrying a Msg_Id adopts the orphans of that Msg_Id.
    pub(crate) fn add<'e>(
        &mut self,
        local_id: &str,
        mut new: Vec<Entry<'e>>,
        row: Option<i64>,
    ) -> Result<(), JournalError> {
        if self.orphans {
            let msg_ids: Vec<String> = new
                .iter()
                .filter_map(|(_, k)| match &**k {
                    EventKind::Responded {
                        msg_id: Some(m), ..
                    } => Some(m.clone()),
                    _ => None,
                })
                .collect();
            for m in msg_ids {
                new.extend(self.adopt(&m)?);
            }
        }
        // A message's first event is its submit (or refusal): without one, the message
        // is most likely stored already, so look before trying to insert it.
        let mut old = if row.is_some() || !new.iter().any(|(_, k)| starts_a_message(k)) {
            self.stored(local_id, row)?
        } else {
            None
        };
        if old.is_none() {
            let mut list = Vec::with_capacity(new.len());
            merge(&mut list, new);
            let (record, sort) = fold_entries(local_id, &list);
            encode_entries(&mut self.buf, &list)?;
            let text = as_text(&self.buf);
            if execute_message(&mut self.insert, self.path, &record, sort, text, None)? {
                return Ok(());
            }
            // Stored after all (by another writer): merged below.
            new = list;
            old = self.stored(local_id, None)?;
        }
        let Some(old) = old else {
            return Err(JournalError::Invalid(format!(
                "message `{local_id}` can be neither inserted nor found"
            )));
        };
        let mut list: Vec<Entry<'e>> = decode_entries(self.path, &old.events)?
            .into_iter()
            .map(|(at, k)| (at, Cow::Owned(k)))
            .collect();
        match merge(&mut list, new) {
            Merge::Unchanged => return Ok(()),
            // Events arrive in time order: the stored ones need not be encoded again.
            Merge::Appended(from) if from > 0 => {
                append_entries(&mut self.buf, &old.events, &list[from..])?;
            }
            Merge::Appended(_) | Merge::Inserted => encode_entries(&mut self.buf, &list)?,
        }
        let (record, sort) = fold_entries(local_id, &list);
        let keys_kept =
            sort == old.sort_ms && record.msg_id == old.msg_id && record.dest == old.dest;
        let stmt = if keys_kept {
            &mut self.update_state
        } else {
            &mut self.update
        };
        let text = as_text(&self.buf);
        execute_message(stmt, self.path, &record, sort, text, Some(old.row)).map(drop)
    }
}

/// Whether an event is one that a message normally starts with.
fn starts_a_message(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Submitted { .. } | EventKind::Refused { .. }
    )
}

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
fn name_at<T: std::str::FromStr<Err = sms_records::model::UnknownName>>(
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
        .get_ref(20)
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
const TO_DEST: &str =
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sms_records::{Category, FinalState, MessageInfo};

    const T0: i64 = 1_772_323_200_000; // 2026-03-01T08:00:00+08:00

    fn at(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(T0 + ms).unwrap()
    }

    fn report(local_id: Option<&str>, ms: i64, stat: &str) -> Event {
        Event {
            at: at(ms),
            local_id: local_id.map(Into::into),
            kind: EventKind::Reported {
                msg_id: "M1".into(),
                stat: stat.into(),
                class: None,
            },
        }
    }

    fn submit(local_id: &str, ms: i64) -> Event {
        Event {
            at: at(ms),
            local_id: Some(local_id.into()),
            kind: EventKind::Submitted {
                info: MessageInfo {
                    src: "1065800".into(),
                    dest: "13800000000".into(),
                    category: Category::Notice,
                    segment: 1,
                    segments: 1,
                    group_id: None,
                },
            },
        }
    }

    fn respond(local_id: &str, ms: i64) -> Event {
        Event {
            at: at(ms),
            local_id: Some(local_id.into()),
            kind: EventKind::Responded {
                msg_id: Some("M1".into()),
                result: 0,
                class: None,
            },
        }
    }

    fn entries(events: &[Event]) -> Vec<Entry<'_>> {
        events
            .iter()
            .map(|e| (ms(e.at), Cow::Borrowed(&e.kind)))
            .collect()
    }

    fn owned(events: &[Event]) -> Vec<Entry<'static>> {
        events
            .iter()
            .map(|e| (ms(e.at), Cow::Owned(e.kind.clone())))
            .collect()
    }

    fn row(conn: &Connection, local_id: &str) -> Option<i64> {
        let row = row_of_message(conn, Path::new("m.sqlite"), local_id).unwrap();
        assert!(row.is_some(), "{local_id} is stored");
        row
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn fresh() -> (tempfile::TempDir, std::path::PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        let conn = open(&path, true, false).unwrap();
        (dir, path, conn)
    }

    #[test]
    fn merge_orders_by_time_keeps_arrival_order_on_ties_and_skips_replays() {
        let a = report(Some("L1"), 10, "A");
        let b = report(Some("L1"), 10, "B");
        let c = report(Some("L1"), 5, "C");
        let mut list = Vec::new();
        assert_ne!(
            Merge::Unchanged,
            merge(&mut list, owned(&[a.clone(), b.clone()]))
        );
        assert_ne!(
            Merge::Unchanged,
            merge(&mut list, owned(std::slice::from_ref(&c)))
        );
        let stats: Vec<&str> = list
            .iter()
            .map(|(_, k)| match &**k {
                EventKind::Reported { stat, .. } => stat.as_str(),
                _ => "?",
            })
            .collect();
        assert_eq!(stats, ["C", "A", "B"]);
        // Replays, in any order, change nothing.
        assert_eq!(
            Merge::Unchanged,
            merge(&mut list, owned(&[b, c, a.clone()]))
        );
        assert_eq!(list.len(), 3);
        // The same kind at another time is another event.
        assert_ne!(
            Merge::Unchanged,
            merge(&mut list, owned(&[report(Some("L1"), 11, "A")]))
        );
        assert_eq!(list.len(), 4);
    }

    #[test]
    fn orphan_replays_are_stored_once_and_adopted_once() {
        let (_dir, path, conn) = fresh();
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        let orphan = report(None, 9, "DELIVRD");
        assert!(w.insert_orphan(&orphan).unwrap());
        assert!(!w.insert_orphan(&orphan).unwrap(), "replayed orphan");
        assert!(has_orphans(&conn, &path).unwrap());
        // The same report also arrived with its local id: adoption keeps one copy.
        let owned = report(Some("L1"), 9, "DELIVRD");
        let batch = [submit("L1", 0), respond("L1", 1), owned];
        w.add("L1", entries(&batch), None).unwrap();
        drop(w);
        assert!(!has_orphans(&conn, &path).unwrap());
        let events = events_of(&conn, &path, "L1").unwrap();
        assert_eq!(events.len(), 3, "{events:?}");
        // A different orphan is adopted by a replayed response, then recognised as stored.
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        let late = report(None, 50, "UNDELIV");
        assert!(w.insert_orphan(&late).unwrap());
        w.add("L1", entries(&[respond("L1", 1)]), row(&conn, "L1"))
            .unwrap();
        let mut late_owned = late.clone();
        late_owned.local_id = Some("L1".into());
        w.add(
            "L1",
            entries(std::slice::from_ref(&late_owned)),
            row(&conn, "L1"),
        )
        .unwrap();
        drop(w);
        let events = events_of(&conn, &path, "L1").unwrap();
        assert_eq!(events.len(), 4);
        assert_eq!(events[3], late_owned);
        let r = message(&conn, &path, "L1").unwrap().unwrap().0;
        assert_eq!(
            r.report_stat.as_deref(),
            Some("DELIVRD"),
            "earliest report wins"
        );
        assert_eq!(r.final_state, FinalState::Delivered);
    }

    #[test]
    fn a_message_presumed_new_that_is_stored_is_merged_not_overwritten() {
        let (_dir, path, conn) = fresh();
        let early = report(Some("L1"), 0, "DELIVRD");
        let late = report(Some("L1"), 50, "UNDELIV");
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.add("L1", entries(std::slice::from_ref(&early)), None)
            .unwrap();
        // A second writer's view: only the late event is "new" to it.
        w.add("L1", entries(std::slice::from_ref(&late)), None)
            .unwrap();
        drop(w);
        assert_eq!(
            events_of(&conn, &path, "L1").unwrap(),
            [early.clone(), late]
        );
        let r = message(&conn, &path, "L1").unwrap().unwrap().0;
        assert_eq!(r.report_stat.as_deref(), Some("DELIVRD"));
        assert_eq!(r.reported_at, Some(early.at));
    }

    #[test]
    fn a_late_submit_moves_the_message_in_every_index() {
        let (_dir, path, conn) = fresh();
        // The report is stored first: no number yet, sorted at the report's time.
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.add("L1", entries(&[report(Some("L1"), 9, "DELIVRD")]), None)
            .unwrap();
        drop(w);
        let ids = |sql: &str| local_ids(&conn, &path, sql, []).unwrap();
        assert!(ids("SELECT local_id FROM messages WHERE dest = '13800000000'").is_empty());
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.add("L1", entries(&[submit("L1", 0)]), row(&conn, "L1"))
            .unwrap();
        w.add("L1", entries(&[respond("L1", 1)]), row(&conn, "L1"))
            .unwrap();
        drop(w);
        let sort = format!("SELECT local_id FROM messages WHERE sort_ms = {T0}");
        for sql in [
            "SELECT local_id FROM messages WHERE dest = '13800000000'",
            "SELECT local_id FROM messages WHERE msg_id = 'M1'",
            &sort,
        ] {
            assert_eq!(ids(sql), ["L1"], "{sql}");
        }
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn look_up_by_number_probes_the_hours_of_the_range_through_the_index() {
        let (_dir, path, conn) = fresh();
        let to = |id: &str, ms: i64, dest: &str| {
            let mut e = submit(id, ms);
            if let EventKind::Submitted { info } = &mut e.kind {
                info.dest = dest.into();
            }
            e
        };
        const H: i64 = 3_600_000;
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        for (id, ms, dest) in [
            ("A", 0, "13900000001"),
            ("B", H - 1, "13900000001"),
            ("C", H, "13900000001"),
            ("D", 5 * H, "13900000001"),
            ("E", 0, "13900000002"),
        ] {
            w.add(id, entries(&[to(id, ms, dest)]), None).unwrap();
        }
        drop(w);
        let ids = |lo: i64, hi: i64| local_ids_to(&conn, &path, "13900000001", lo, hi).unwrap();
        assert_eq!(ids(T0, T0 + H + 1), ["A", "B", "C"]);
        assert_eq!(ids(T0 + 1, T0 + 5 * H), ["B", "C"]);
        assert_eq!(ids(i64::MIN, i64::MAX), ["A", "B", "C", "D"]);
        assert!(ids(T0 + 6 * H, i64::MAX).is_empty());
        assert!(
            local_ids_to(&conn, &path, "13700000000", i64::MIN, i64::MAX)
                .unwrap()
                .is_empty()
        );
        // The plan uses the hour index, not a scan of the table.
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {TO_DEST}"))
            .unwrap()
            .query_map(params!["x", 1, 9, 0, 9], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|l| l.contains("USING INDEX messages_by_hour_dest")),
            "{plan:?}"
        );
    }

    #[test]
    fn a_pure_replay_writes_nothing() {
        let (_dir, path, conn) = fresh();
        let batch = [submit("L1", 0), respond("L1", 1)];
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.add("L1", entries(&batch), None).unwrap();
        drop(w);
        conn.execute("UPDATE messages SET exempt = 'E1'", [])
            .unwrap();
        let changes = conn.total_changes();
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.add("L1", entries(&batch), row(&conn, "L1")).unwrap();
        drop(w);
        assert_eq!(conn.total_changes(), changes);
        // A new event rewrites the row but keeps the exemption (it has no event).
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.add(
            "L1",
            entries(&[report(Some("L1"), 5, "DELIVRD")]),
            row(&conn, "L1"),
        )
        .unwrap();
        drop(w);
        let r = message(&conn, &path, "L1").unwrap().unwrap().0;
        assert_eq!(r.exempt.as_deref(), Some("E1"));
        assert_eq!(r.final_state, FinalState::Delivered);
    }

    #[test]
    fn the_events_view_lists_every_event_for_sql_tools() {
        let (_dir, path, conn) = fresh();
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        w.insert_orphan(&Event {
            at: at(7),
            local_id: None,
            kind: EventKind::Reported {
                msg_id: "M9".into(),
                stat: "DELIVRD".into(),
                class: None,
            },
        })
        .unwrap();
        w.add("L1", entries(&[submit("L1", 0), respond("L1", 1)]), None)
            .unwrap();
        drop(w);
        let rows: Vec<(Option<String>, String, String, Option<String>)> = conn
            .prepare("SELECT local_id, at, kind, msg_id FROM events ORDER BY at_ms")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let l1 = Some("L1".to_string());
        assert_eq!(
            rows,
            [
                (
                    l1.clone(),
                    "2026-03-01T08:00:00.000+08:00".into(),
                    "submitted".into(),
                    None
                ),
                (
                    l1,
                    "2026-03-01T08:00:00.001+08:00".into(),
                    "responded".into(),
                    Some("M1".into())
                ),
                (
                    None,
                    "2026-03-01T08:00:00.007+08:00".into(),
                    "reported".into(),
                    Some("M9".into())
                ),
            ]
        );
        assert_eq!(counts(&conn, &path).unwrap(), (1, 3));
        // Older SQLite readers (before 3.38) must still load the schema.
        let stored: String = conn
            .query_row(
                "SELECT group_concat(sql, ';') FROM sqlite_master",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(stored.contains("json_extract"), "{stored}");
        assert!(!stored.contains("->"), "no JSON arrow operators: {stored}");
    }

    #[test]
    fn a_file_of_a_newer_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", FORMAT + 1)
            .unwrap();
        match open(&path, false, false) {
            Err(JournalError::Format {
                found, supported, ..
            }) => {
                assert_eq!((found, supported), (FORMAT + 1, FORMAT));
            }
            other => panic!("{other:?}"),
        }
    }

    /// Writes a file in an older format: events in their own table (format 1 has a hash column).
    fn old_file(path: &Path, with_hash: bool) {
        let old = Connection::open(path).unwrap();
        let h = if with_hash { ", h INTEGER" } else { "" };
        old.execute_batch(&format!(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, \
             local_id TEXT, msg_id TEXT, kind TEXT NOT NULL, payload TEXT NOT NULL{h});
             CREATE INDEX events_by_msg_id ON events(msg_id) WHERE msg_id IS NOT NULL;
             CREATE VIEW events_beijing AS SELECT id, at_ms, local_id, msg_id, kind, payload FROM events;"
        ))
        .unwrap();
        // The `messages` table of both old formats is this one without `events`.
        let schema = SCHEMA.split("CREATE INDEX").next().unwrap();
        let messages = schema.replace(
            ",\n    events          TEXT NOT NULL DEFAULT '[]'  -- every event, in time order: [[at_ms, event], ...]",
            "",
        );
        assert!(!messages.contains("events  "), "{messages}");
        old.execute_batch(&messages).unwrap();
        old.execute_batch("CREATE INDEX messages_by_dest ON messages(dest, sort_ms)")
            .unwrap();
        let events = [
            submit("L1", 0),
            respond("L1", 1),
            report(Some("L1"), 9, "DELIVRD"),
        ];
        // Stored out of time order, as a late-arriving event would be.
        for e in [&events[2], &events[0], &events[1]] {
            old.execute(
                "INSERT INTO events (at_ms, local_id, msg_id, kind, payload) VALUES (?1, 'L1', ?2, ?3, ?4)",
                params![ms(e.at), event_msg_id(&e.kind), kind_name(&e.kind), serde_json::to_string(&e.kind).unwrap()],
            )
            .unwrap();
        }
        let (record, sort) = fold_entries("L1", &{
            let mut l = Vec::new();
            merge(&mut l, entries(&events));
            l
        });
        old.execute(
            &format!("INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"),
            params![record.local_id, sort, record.msg_id, record.src, record.dest, record.category.as_str(),
                record.segment, record.segments, record.group_id, record.submitted_at.map(ms),
                record.responded_at.map(ms), record.resp_result, record.resp_class.map(|c| c.as_str()),
                record.reported_at.map(ms), record.report_stat, record.report_class.map(|c| c.as_str()),
                record.resends, record.final_state.as_str(), "E7", record.detail],
        )
        .unwrap();
        // Format 0 did not deduplicate orphans: the same one twice.
        let orphan = Event {
            at: at(20),
            local_id: None,
            kind: EventKind::Reported {
                msg_id: "M2".into(),
                stat: "DELIVRD".into(),
                class: None,
            },
        };
        for _ in 0..2 {
            old.execute(
                "INSERT INTO events (at_ms, local_id, msg_id, kind, payload) VALUES (?1, NULL, 'M2', 'reported', ?2)",
                params![ms(orphan.at), serde_json::to_string(&orphan.kind).unwrap()],
            )
            .unwrap();
        }
    }

    #[test]
    fn files_of_older_formats_are_migrated_on_open() {
        for with_hash in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("m.sqlite");
            old_file(&path, with_hash);
            let conn = open(&path, false, false).unwrap();
            let version: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(version, FORMAT);
            let indexes = |name: &str| {
                count(
                    &conn,
                    &format!("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'"),
                )
            };
            assert_eq!(indexes("messages_by_dest"), 0, "replaced");
            assert_eq!(indexes("messages_by_hour_dest"), 1);
            assert_eq!(
                count(
                    &conn,
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'"
                ),
                0
            );
            let events = events_of(&conn, &path, "L1").unwrap();
            let kinds: Vec<&str> = events.iter().map(|e| kind_name(&e.kind)).collect();
            assert_eq!(kinds, ["submitted", "responded", "reported"], "time order");
            assert_eq!(events[0], submit("L1", 0));
            let r = message(&conn, &path, "L1").unwrap().unwrap().0;
            assert_eq!(
                (r.final_state, r.exempt.as_deref()),
                (FinalState::Delivered, Some("E7"))
            );
            assert_eq!(
                orphans_of(&conn, &path, "M2").unwrap().len(),
                1,
                "duplicates kept once"
            );
            // Replays are recognised after migration; new events are added.
            let mut w = BatchWriter::new(&conn, &path).unwrap();
            w.add("L1", entries(&[respond("L1", 1)]), row(&conn, "L1"))
                .unwrap();
            assert!(!w
                .insert_orphan(&orphans_of(&conn, &path, "M2").unwrap()[0])
                .unwrap());
            w.add(
                "L1",
                entries(&[report(Some("L1"), 10, "DELIVRD")]),
                row(&conn, "L1"),
            )
            .unwrap();
            drop(w);
            assert_eq!(counts(&conn, &path).unwrap(), (1, 5));
            // Opening again leaves the migrated file as it is.
            drop(conn);
            let conn = open(&path, false, false).unwrap();
            assert_eq!(counts(&conn, &path).unwrap(), (1, 5));
        }
    }
}
