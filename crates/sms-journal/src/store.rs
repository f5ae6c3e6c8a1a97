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
    payload  TEXT NOT NULL,             -- the event as JSON
    h        INTEGER                    -- 64-bit hash of (local_id, at_ms, kind, payload), for replays;
                                        -- NULL for an event whose hash collides with another's
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_message ON events(local_id, h);
CREATE INDEX IF NOT EXISTS events_of_orphans ON events(msg_id) WHERE local_id IS NULL;
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
    // 64 MiB of page cache per open month file; sorts and temporary tables in memory.
    conn.pragma_update(None, "cache_size", -65_536).at(path)?;
    conn.pragma_update(None, "temp_store", "MEMORY").at(path)?;
    // Checkpoint every 64 MiB of WAL rather than 4 MiB: pages rewritten by
    // successive batches are copied to the database once.
    conn.pragma_update(None, "wal_autocheckpoint", 16_384)
        .at(path)?;
    let tx = conn.unchecked_transaction().at(path)?;
    let old = needs_hash_column(&tx, path)?;
    if old {
        tx.execute_batch("ALTER TABLE events ADD COLUMN h INTEGER")
            .at(path)?;
    }
    tx.execute_batch(SCHEMA).at(path)?;
    if old {
        migrate_hashes(&tx, path)?;
    }
    tx.commit().at(path)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// True for a file written before events had their hash column.
fn needs_hash_column(conn: &Connection, path: &Path) -> Result<bool, JournalError> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info('events')")
        .at(path)?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .at(path)?
        .collect::<Result<Vec<_>, _>>()
        .at(path)?;
    Ok(!names.is_empty() && !names.iter().any(|n| n == "h"))
}

/// Fills the hash column of a file from before it existed and drops the old wide index.
///
/// A row whose hash is already taken (a duplicated orphan, or a collision) keeps a
/// NULL hash and is compared in full, like any collided event.
fn migrate_hashes(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let rows = {
        let mut stmt = conn
            .prepare("SELECT id, local_id, at_ms, kind, payload FROM events WHERE h IS NULL")
            .at(path)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .at(path)?;
        rows.collect::<Result<Vec<_>, _>>().at(path)?
    };
    let mut update = conn
        .prepare("UPDATE OR IGNORE events SET h = ?1 WHERE id = ?2")
        .at(path)?;
    for (id, local_id, at, kind, payload) in rows {
        update
            .execute(params![
                event_hash(local_id.as_deref(), at, &kind, &payload),
                id
            ])
            .at(path)?;
    }
    conn.execute_batch(
        "DROP INDEX IF EXISTS events_by_local_id; DROP INDEX IF EXISTS events_by_msg_id; \
         DROP INDEX IF EXISTS events_by_at;",
    )
    .at(path)?;
    Ok(())
}

/// Hash identifying a stored event: a multiply-rotate hash of its canonical bytes,
/// eight at a time, with a SplitMix64 finaliser. Stored on disk, so it must never change.
pub(crate) fn event_hash(local_id: Option<&str>, at_ms: i64, kind: &str, payload: &str) -> i64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut word = |w: u64| {
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    };
    let mut eat = |bytes: &[u8]| {
        // The length first, so that consecutive fields cannot run into each other.
        word(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            word(u64::from_le_bytes(w));
        }
    };
    match local_id {
        None => eat(&[0]),
        Some(id) => {
            eat(&[1]);
            eat(id.as_bytes());
        }
    }
    eat(&at_ms.to_le_bytes());
    eat(kind.as_bytes());
    eat(payload.as_bytes());
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    z as i64
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

/// An event in its stored form.
pub(crate) struct StoredEvent<'a> {
    pub(crate) at_ms: i64,
    pub(crate) local_id: Option<&'a str>,
    pub(crate) msg_id: Option<&'a str>,
    pub(crate) kind: &'a str,
    pub(crate) payload: &'a str,
}

impl StoredEvent<'_> {
    fn hash(&self) -> i64 {
        event_hash(self.local_id, self.at_ms, self.kind, self.payload)
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
    let stored = StoredEvent {
        at_ms: ms(event.at),
        local_id,
        msg_id: event_msg_id(&event.kind),
        kind: kind_name(&event.kind),
        payload: &payload,
    };
    insert_stored(conn, path, &stored, stored.hash())
}

/// Inserts an event under hash `h` unless the very same event is stored; true if it was new.
///
/// The unique index on `(local_id, h)` answers the common cases in one statement;
/// when the hash is taken, the stored row is compared in full, and an event that
/// merely collides is stored with a NULL hash (such rows are compared in full too).
/// An event without a local id (an orphan report) is looked up through its Msg_Id.
pub(crate) fn insert_stored(
    conn: &Connection,
    path: &Path,
    e: &StoredEvent<'_>,
    h: i64,
) -> Result<bool, JournalError> {
    if e.local_id.is_none() && e.msg_id.is_some() && is_stored_orphan(conn, path, e)? {
        return Ok(false);
    }
    let n = conn
        .prepare_cached(INSERT_EVENT)
        .at(path)?
        .execute(params![e.at_ms, e.local_id, e.msg_id, e.kind, e.payload, h])
        .at(path)?;
    if n > 0 {
        return Ok(true);
    }
    insert_taken(conn, path, e, h)
}

/// The insert of `e` under hash `h` was ignored: a replay, or a collision to store apart.
fn insert_taken(
    conn: &Connection,
    path: &Path,
    e: &StoredEvent<'_>,
    h: i64,
) -> Result<bool, JournalError> {
    if is_stored(conn, path, e, h)? {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO events (at_ms, local_id, msg_id, kind, payload, h) \
         VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
    )
    .at(path)?
    .execute(params![e.at_ms, e.local_id, e.msg_id, e.kind, e.payload])
    .at(path)?;
    Ok(true)
}

/// Whether exactly this event is stored under its message (hash `h`, or collided).
fn is_stored(
    conn: &Connection,
    path: &Path,
    e: &StoredEvent<'_>,
    h: i64,
) -> Result<bool, JournalError> {
    let found = conn
        .prepare_cached(
            "SELECT 1 FROM events WHERE local_id = ?2 AND (h = ?1 OR h IS NULL) \
             AND at_ms = ?3 AND kind = ?4 AND payload = ?5 LIMIT 1",
        )
        .at(path)?
        .query_row(params![h, e.local_id, e.at_ms, e.kind, e.payload], |_| {
            Ok(())
        })
        .optional()
        .at(path)?;
    Ok(found.is_some())
}

/// Whether exactly this event is stored as an orphan (no local id).
fn is_stored_orphan(
    conn: &Connection,
    path: &Path,
    e: &StoredEvent<'_>,
) -> Result<bool, JournalError> {
    let found = conn
        .prepare_cached(
            "SELECT 1 FROM events WHERE msg_id = ?1 AND local_id IS NULL \
             AND at_ms = ?2 AND kind = ?3 AND payload = ?4 LIMIT 1",
        )
        .at(path)?
        .query_row(params![e.msg_id, e.at_ms, e.kind, e.payload], |_| Ok(()))
        .optional()
        .at(path)?;
    Ok(found.is_some())
}

/// Gives orphan reports carrying `msg_id` to message `local_id`; returns the events it adopted.
///
/// An orphan that is already stored under the message (the same report came
/// twice, once with its local id) is dropped instead.
pub(crate) fn adopt_orphans(
    conn: &Connection,
    path: &Path,
    msg_id: &str,
    local_id: &str,
) -> Result<Vec<Event>, JournalError> {
    let orphans = {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, at_ms, kind, payload FROM events \
                 WHERE msg_id = ?1 AND local_id IS NULL ORDER BY at_ms, id",
            )
            .at(path)?;
        let rows = stmt
            .query_map([msg_id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .at(path)?;
        rows.collect::<Result<Vec<_>, _>>().at(path)?
    };
    let mut adopted = Vec::new();
    for (id, at_ms, kind, payload) in orphans {
        let e = StoredEvent {
            at_ms,
            local_id: Some(local_id),
            msg_id: Some(msg_id),
            kind: &kind,
            payload: &payload,
        };
        let h = e.hash();
        let moved = conn
            .prepare_cached("UPDATE OR IGNORE events SET local_id = ?1, h = ?2 WHERE id = ?3")
            .at(path)?
            .execute(params![local_id, h, id])
            .at(path)?;
        if moved == 0 {
            if is_stored(conn, path, &e, h)? {
                conn.prepare_cached("DELETE FROM events WHERE id = ?1")
                    .at(path)?
                    .execute([id])
                    .at(path)?;
                continue;
            }
            conn.prepare_cached("UPDATE events SET local_id = ?1, h = NULL WHERE id = ?2")
                .at(path)?
                .execute(params![local_id, id])
                .at(path)?;
        }
        adopted.push(Event {
            at: from_ms(at_ms),
            local_id: Some(local_id.to_string()),
            kind: decode_kind(path, &payload)?,
        });
    }
    Ok(adopted)
}

/// Whether the file holds any orphan event (one without a local id).
pub(crate) fn has_orphans(conn: &Connection, path: &Path) -> Result<bool, JournalError> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM events WHERE local_id IS NULL)")
        .at(path)?
        .query_row([], |r| r.get(0))
        .at(path)
}

fn decode_kind(path: &Path, payload: &str) -> Result<EventKind, JournalError> {
    serde_json::from_str(payload).map_err(|e| JournalError::Corrupt {
        path: path.to_path_buf(),
        message: format!("event payload: {e}"),
    })
}

fn event_from_row(path: &Path, row: &Row<'_>) -> Result<Event, JournalError> {
    let at: i64 = row.get(0).at(path)?;
    let local_id: Option<String> = row.get(1).at(path)?;
    let payload: String = row.get(2).at(path)?;
    let kind = decode_kind(path, &payload)?;
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

const UPSERT_MESSAGE: &str =
    "INSERT INTO messages VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)
     ON CONFLICT(local_id) DO UPDATE SET sort_ms=excluded.sort_ms, msg_id=excluded.msg_id,
     src=excluded.src, dest=excluded.dest, category=excluded.category, segment=excluded.segment,
     segments=excluded.segments, group_id=excluded.group_id, submitted_ms=excluded.submitted_ms,
     responded_ms=excluded.responded_ms, resp_result=excluded.resp_result,
     resp_class=excluded.resp_class, reported_ms=excluded.reported_ms,
     report_stat=excluded.report_stat, report_class=excluded.report_class,
     resends=excluded.resends, final_state=excluded.final_state,
     exempt=COALESCE(excluded.exempt, messages.exempt), detail=excluded.detail";

const INSERT_NEW_MESSAGE: &str = "INSERT OR IGNORE INTO messages VALUES \
     (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)";

const INSERT_EVENT: &str =
    "INSERT OR IGNORE INTO events (at_ms, local_id, msg_id, kind, payload, h) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

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
        UPSERT_MESSAGE
    };
    let mut stmt = conn.prepare_cached(sql).at(path)?;
    execute_message(&mut stmt, path, r, sort_ms).map(drop)
}

/// Binds a record to a `messages` insert and runs it; true if it changed a row.
fn execute_message(
    stmt: &mut rusqlite::Statement<'_>,
    path: &Path,
    r: &Record,
    sort_ms: i64,
) -> Result<bool, JournalError> {
    let n = stmt
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
    Ok(n > 0)
}

/// The statements of one batch in one file, prepared once for the whole batch.
pub(crate) struct BatchWriter<'c> {
    conn: &'c Connection,
    path: &'c Path,
    insert: rusqlite::CachedStatement<'c>,
    upsert: rusqlite::CachedStatement<'c>,
    insert_new: rusqlite::CachedStatement<'c>,
    payload: Vec<u8>,
}

impl<'c> BatchWriter<'c> {
    pub(crate) fn new(conn: &'c Connection, path: &'c Path) -> Result<Self, JournalError> {
        Ok(BatchWriter {
            conn,
            path,
            insert: conn.prepare_cached(INSERT_EVENT).at(path)?,
            upsert: conn.prepare_cached(UPSERT_MESSAGE).at(path)?,
            insert_new: conn.prepare_cached(INSERT_NEW_MESSAGE).at(path)?,
            payload: Vec::with_capacity(256),
        })
    }

    /// As [`insert_event`].
    pub(crate) fn insert_event(
        &mut self,
        event: &Event,
        local_id: Option<&str>,
    ) -> Result<bool, JournalError> {
        self.payload.clear();
        serde_json::to_writer(&mut self.payload, &event.kind)
            .map_err(|e| JournalError::Invalid(format!("event cannot be encoded: {e}")))?;
        let payload = std::str::from_utf8(&self.payload)
            .map_err(|e| JournalError::Invalid(format!("event cannot be encoded: {e}")))?;
        let e = StoredEvent {
            at_ms: ms(event.at),
            local_id,
            msg_id: event_msg_id(&event.kind),
            kind: kind_name(&event.kind),
            payload,
        };
        let h = e.hash();
        if e.local_id.is_none() && e.msg_id.is_some() {
            // Orphans: the unique index does not cover them.
            return insert_stored(self.conn, self.path, &e, h);
        }
        let n = self
            .insert
            .execute(params![e.at_ms, e.local_id, e.msg_id, e.kind, e.payload, h])
            .at(self.path)?;
        if n > 0 {
            return Ok(true);
        }
        insert_taken(self.conn, self.path, &e, h)
    }

    /// Inserts the `messages` row of a message not stored yet, folded from `folder`
    /// (all its events); false, writing nothing, if the row exists after all.
    pub(crate) fn insert_folded(
        &mut self,
        local_id: &str,
        folder: &Folder,
        first_at: DateTime<Utc>,
    ) -> Result<bool, JournalError> {
        let mut record = folder.finish();
        record.local_id = local_id.to_string();
        let sort = ms(record.submitted_at.unwrap_or(first_at));
        execute_message(&mut self.insert_new, self.path, &record, sort)
    }

    /// Re-folds one message from all its stored events and updates its `messages` row.
    ///
    /// The exemption tag has no event; an existing one is kept.
    pub(crate) fn refold(&mut self, local_id: &str) -> Result<(), JournalError> {
        let events = events_of(self.conn, self.path, local_id)?;
        let mut folder = Folder::new();
        for e in &events {
            folder.push(e);
        }
        self.write_folded(local_id, &folder, events.first().map(|e| e.at))
    }

    /// Updates the `messages` row of `local_id` from the fold of *all* its events;
    /// `first_at` is the earliest of them (the sort key when there is no submit).
    pub(crate) fn write_folded(
        &mut self,
        local_id: &str,
        folder: &Folder,
        first_at: Option<DateTime<Utc>>,
    ) -> Result<(), JournalError> {
        let mut record = folder.finish();
        record.local_id = local_id.to_string();
        let sort = record.submitted_at.or(first_at).map_or(0, ms);
        execute_message(&mut self.upsert, self.path, &record, sort).map(drop)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sms_records::{Category, MessageInfo};

    fn report(local_id: Option<&str>, ms: i64, stat: &str) -> Event {
        Event {
            at: Utc.timestamp_millis_opt(1_772_323_200_000 + ms).unwrap(),
            local_id: local_id.map(Into::into),
            kind: EventKind::Reported {
                msg_id: "M1".into(),
                stat: stat.into(),
                class: None,
            },
        }
    }

    fn stored<'a>(e: &'a Event, payload: &'a str) -> StoredEvent<'a> {
        StoredEvent {
            at_ms: ms(e.at),
            local_id: e.local_id.as_deref(),
            msg_id: event_msg_id(&e.kind),
            kind: kind_name(&e.kind),
            payload,
        }
    }

    fn event_count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn event_hash_is_fixed_and_separates_fields() {
        // On disk: a change of this value would make stored events look new.
        assert_eq!(
            event_hash(Some("L1"), 1_772_323_200_000, "reported", "{}"),
            -7_551_019_687_207_084_161
        );
        let base = event_hash(Some("L1"), 5, "reported", "{}");
        assert_ne!(base, event_hash(None, 5, "reported", "{}"));
        assert_ne!(base, event_hash(Some("L2"), 5, "reported", "{}"));
        assert_ne!(base, event_hash(Some("L1"), 6, "reported", "{}"));
        assert_ne!(base, event_hash(Some("L1"), 5, "responded", "{}"));
        assert_ne!(base, event_hash(Some("L1"), 5, "reported", "{ }"));
        // Field boundaries count: "L1"+"x" is not "L"+"1x".
        assert_ne!(
            event_hash(Some("L1"), 5, "x", "{}"),
            event_hash(Some("L"), 5, "1x", "{}")
        );
    }

    #[test]
    fn colliding_hashes_keep_both_events_and_still_drop_replays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        let conn = open(&path, true, false).unwrap();
        let a = report(Some("L1"), 0, "DELIVRD");
        let b = report(Some("L1"), 0, "UNDELIV");
        let (pa, pb) = (
            serde_json::to_string(&a.kind).unwrap(),
            serde_json::to_string(&b.kind).unwrap(),
        );
        // Both forced onto the same hash: the second one collides.
        assert!(insert_stored(&conn, &path, &stored(&a, &pa), 42).unwrap());
        assert!(insert_stored(&conn, &path, &stored(&b, &pb), 42).unwrap());
        assert_eq!(event_count(&conn), 2);
        let nulls: i64 = conn
            .query_row("SELECT count(*) FROM events WHERE h IS NULL", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(nulls, 1, "the colliding event is stored without a hash");
        // Replays of either are recognised.
        assert!(!insert_stored(&conn, &path, &stored(&a, &pa), 42).unwrap());
        assert!(!insert_stored(&conn, &path, &stored(&b, &pb), 42).unwrap());
        assert_eq!(event_count(&conn), 2);
        // A third distinct event on the same hash is still new.
        let c = report(Some("L1"), 1, "DELIVRD");
        let pc = serde_json::to_string(&c.kind).unwrap();
        assert!(insert_stored(&conn, &path, &stored(&c, &pc), 42).unwrap());
        assert!(!insert_stored(&conn, &path, &stored(&c, &pc), 42).unwrap());
        assert_eq!(event_count(&conn), 3);
        let events = events_of(&conn, &path, "L1").unwrap();
        assert_eq!(events, [a, b, c]);
    }

    #[test]
    fn orphan_replays_are_stored_once_and_adopted_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        let conn = open(&path, true, false).unwrap();
        let orphan = report(None, 0, "DELIVRD");
        assert!(insert_event(&conn, &path, &orphan, None).unwrap());
        assert!(!insert_event(&conn, &path, &orphan, None).unwrap());
        assert!(has_orphans(&conn, &path).unwrap());
        // The same report also stored with its message: adoption drops the orphan copy.
        let owned = report(Some("L1"), 0, "DELIVRD");
        assert!(insert_event(&conn, &path, &owned, Some("L1")).unwrap());
        assert!(adopt_orphans(&conn, &path, "M1", "L1").unwrap().is_empty());
        assert!(!has_orphans(&conn, &path).unwrap());
        assert_eq!(event_count(&conn), 1);
        // A different orphan is moved to the message, and its replay is then recognised.
        let late = report(None, 5, "UNDELIV");
        assert!(insert_event(&conn, &path, &late, None).unwrap());
        let adopted = adopt_orphans(&conn, &path, "M1", "L1").unwrap();
        assert_eq!(adopted.len(), 1);
        assert_eq!(adopted[0].local_id.as_deref(), Some("L1"));
        assert!(!insert_event(&conn, &path, &late, Some("L1")).unwrap());
        assert_eq!(events_of(&conn, &path, "L1").unwrap().len(), 2);
    }

    #[test]
    fn a_fresh_fold_never_overwrites_a_stored_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        let conn = open(&path, true, false).unwrap();
        let early = report(Some("L1"), 0, "DELIVRD");
        let late = report(Some("L1"), 50, "UNDELIV");
        let mut w = BatchWriter::new(&conn, &path).unwrap();
        assert!(w.insert_event(&early, Some("L1")).unwrap());
        let mut folder = Folder::new();
        folder.push(&early);
        assert!(w.insert_folded("L1", &folder, early.at).unwrap());
        // A second writer's view: only the late event is "new" to it.
        assert!(w.insert_event(&late, Some("L1")).unwrap());
        let mut partial = Folder::new();
        partial.push(&late);
        assert!(!w.insert_folded("L1", &partial, late.at).unwrap());
        w.refold("L1").unwrap();
        drop(w);
        let r = message(&conn, &path, "L1").unwrap().unwrap();
        assert_eq!(
            r.report_stat.as_deref(),
            Some("DELIVRD"),
            "the earliest report wins"
        );
        assert_eq!(r.reported_at, Some(early.at));
    }

    #[test]
    fn files_from_before_the_hash_column_are_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite");
        let sub = Event {
            at: Utc.timestamp_millis_opt(1_772_323_200_000).unwrap(),
            local_id: Some("L1".into()),
            kind: EventKind::Submitted {
                info: MessageInfo {
                    src: "1065800".into(),
                    dest: "138".into(),
                    category: Category::Notice,
                    segment: 1,
                    segments: 1,
                    group_id: None,
                },
            },
        };
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, \
                 local_id TEXT, msg_id TEXT, kind TEXT NOT NULL, payload TEXT NOT NULL);
                 CREATE UNIQUE INDEX events_by_local_id ON events(local_id, at_ms, kind, payload);
                 CREATE INDEX events_by_msg_id ON events(msg_id) WHERE msg_id IS NOT NULL;
                 CREATE INDEX events_by_at ON events(at_ms);",
            )
            .unwrap();
            old.execute(
                "INSERT INTO events (at_ms, local_id, msg_id, kind, payload) VALUES (?1, 'L1', NULL, 'submitted', ?2)",
                params![ms(sub.at), serde_json::to_string(&sub.kind).unwrap()],
            )
            .unwrap();
            // Orphans were not deduplicated: the same one twice.
            let orphan = report(None, 9, "DELIVRD");
            for _ in 0..2 {
                old.execute(
                    "INSERT INTO events (at_ms, local_id, msg_id, kind, payload) VALUES (?1, NULL, 'M1', 'reported', ?2)",
                    params![ms(orphan.at), serde_json::to_string(&orphan.kind).unwrap()],
                )
                .unwrap();
            }
        }
        let conn = open(&path, false, false).unwrap();
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            !indexes.iter().any(|n| n == "events_by_local_id"),
            "{indexes:?}"
        );
        assert!(
            indexes.iter().any(|n| n == "events_by_message"),
            "{indexes:?}"
        );
        assert!(
            !insert_event(&conn, &path, &sub, Some("L1")).unwrap(),
            "replay"
        );
        assert_eq!(event_count(&conn), 3);
        assert!(!insert_event(&conn, &path, &report(None, 9, "DELIVRD"), None).unwrap());
        assert!(
            insert_event(&conn, &path, &report(Some("L1"), 10, "DELIVRD"), Some("L1")).unwrap()
        );
        // Opening again leaves the migrated file as it is.
        drop(conn);
        let conn = open(&path, false, false).unwrap();
        assert_eq!(event_count(&conn), 4);
    }
}
