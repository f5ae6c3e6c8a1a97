//! The month file's schema, its settings and the migration of older formats.

use crate::error::{JournalError, SqlContext};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Format of the month files this code writes (SQLite's `user_version`).
///
/// 0 or 1: events in a table of their own; 2: each message's events kept in its
/// `messages` row, numbers indexed by `(dest, sort_ms)`; 3: numbers indexed by hour
/// of sort time first; 4: inbound (mobile-originated) messages in a table of their own;
/// 5: each message's carrier (`messages.carrier`, `mobile` for the messages of older files).
/// Older formats are migrated on open.
pub(crate) const FORMAT: i64 = 5;

/// Milliseconds in the hour buckets of the number index.
pub(super) const HOUR_MS: i64 = 3_600_000;

/// Page size of new month files, in bytes.
pub(super) const PAGE_SIZE: i64 = 16_384;

/// Schema of a month file.
///
/// A message's events live in its own row (one B-tree insert per message rather
/// than one per event, which is what makes a full month fast to append); the
/// `events` view lists them one per row for auditors and SQL tools.
pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS messages (
    local_id        TEXT PRIMARY KEY,
    sort_ms         INTEGER NOT NULL,   -- intent time, else submit time, else the first event's
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
    events          TEXT NOT NULL DEFAULT '[]',  -- every event, in time order: [[at_ms, event], ...]
    -- Format 5: mobile, unicom or telecom. Last, as ALTER TABLE adds it to older files.
    carrier         TEXT NOT NULL DEFAULT 'mobile'
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
-- Messages users sent to the SP (e.g. opt-out replies), apart from the outbound
-- records that the SLA and billing count; one row per gateway Msg_Id.
CREATE TABLE IF NOT EXISTS inbound (
    msg_id       TEXT PRIMARY KEY,
    received_ms  INTEGER NOT NULL,
    from_number  TEXT NOT NULL,
    to_number    TEXT NOT NULL,
    service_id   TEXT NOT NULL,
    text         TEXT,
    content_hex  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_by_time ON inbound(received_ms);
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
    report_stat, report_class, resends, final_state, exempt, detail, carrier";

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
        if !has_carrier_column(&tx, path)? {
            // Format 5: every message stored so far went through China Mobile, the only
            // carrier before. A column with a constant default costs no rewrite of the rows.
            tx.execute_batch(
                "ALTER TABLE messages ADD COLUMN carrier TEXT NOT NULL DEFAULT 'mobile'",
            )
            .at(path)?;
        }
        tx.pragma_update(None, "user_version", FORMAT).at(path)?;
    }
    tx.commit().at(path)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// True for a file of format 0 or 1, which kept events in a table of their own.
pub(super) fn has_events_table(conn: &Connection, path: &Path) -> Result<bool, JournalError> {
    conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
        .at(path)?
        .exists([])
        .at(path)
}

/// True when `messages` has the `carrier` column (format 5 on).
pub(crate) fn has_carrier_column(conn: &Connection, path: &Path) -> Result<bool, JournalError> {
    conn.prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'carrier'")
        .at(path)?
        .exists([])
        .at(path)
}

/// Moves the events of a format 0/1 file into their messages' rows and the orphans table.
///
/// Both old formats have `events(id, at_ms, local_id, msg_id, kind, payload)`
/// (format 1 added a hash column, which is not needed any more); every event with
/// a local id had its `messages` row. Orphans stored twice by format 0 are kept once.
pub(super) fn migrate_events_table(conn: &Connection, path: &Path) -> Result<(), JournalError> {
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
