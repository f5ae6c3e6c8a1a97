//! Writes: one batch of events into one month file, and imported records.

use crate::error::{JournalError, SqlContext};
use rusqlite::{params, Connection, OptionalExtension, Row};
use sms_records::{Event, EventKind, InboundMessage, Record};
use std::borrow::Cow;
use std::path::Path;

use super::*;
use crate::entries::{merge, Merge};

pub(super) const INSERT_NEW_MESSAGE: &str = "INSERT OR IGNORE INTO messages VALUES \
     (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)";

pub(super) const REPLACE_MESSAGE: &str = "INSERT OR REPLACE INTO messages VALUES \
     (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)";

/// Rewrites a stored message (by row) from the fold of its events; the exemption
/// tag has no event, so a stored one is kept.
pub(super) const UPDATE_MESSAGE: &str =
    "UPDATE messages SET sort_ms=?2, msg_id=?3, src=?4, dest=?5, \
     category=?6, segment=?7, segments=?8, group_id=?9, submitted_ms=?10, responded_ms=?11, \
     resp_result=?12, resp_class=?13, reported_ms=?14, report_stat=?15, report_class=?16, \
     resends=?17, final_state=?18, exempt=COALESCE(?19, exempt), detail=?20, events=?21, \
     carrier=?22 WHERE rowid=?23";

/// [`UPDATE_MESSAGE`] for a message whose indexed columns (`sort_ms`, `msg_id`,
/// `dest`) keep their values, the common case of a report or resend: SQLite then
/// leaves the three indexes alone. ?2, ?3 and ?5 are bound but not used.
pub(super) const UPDATE_MESSAGE_STATE: &str = "UPDATE messages SET src=?4, \
     category=?6, segment=?7, segments=?8, group_id=?9, submitted_ms=?10, responded_ms=?11, \
     resp_result=?12, resp_class=?13, reported_ms=?14, report_stat=?15, report_class=?16, \
     resends=?17, final_state=?18, exempt=COALESCE(?19, exempt), detail=?20, events=?21, \
     carrier=?22 WHERE rowid=?23";

/// Binds a record and its encoded events (and for an update, its `row`) to a
/// `messages` statement and runs it; true if it changed a row.
pub(super) fn execute_message(
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
    let carrier = r.carrier.as_str();
    let values: [&dyn ToSql; 22] = [
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
        &carrier,
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
pub(super) struct StoredRow {
    row: i64,
    events: String,
    sort_ms: i64,
    msg_id: Option<String>,
    dest: String,
}

pub(super) fn stored_row(r: &Row<'_>) -> rusqlite::Result<StoredRow> {
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

/// Whether an event is one that a message normally starts with: its intent (the sender
/// journals it before the SUBMIT leaves) or its refusal. A `submitted` event normally
/// follows a stored intent, so the row is looked up first (a message without an intent is
/// then inserted all the same).
pub(super) fn starts_a_message(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Sending { .. } | EventKind::Refused { .. })
}

/// Stores an inbound message unless its Msg_Id is stored already; true when stored now.
pub(crate) fn insert_inbound(
    conn: &Connection,
    path: &Path,
    m: &InboundMessage,
) -> Result<bool, JournalError> {
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO inbound \
             (msg_id, received_ms, from_number, to_number, service_id, text, content_hex) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .at(path)?
        .execute(rusqlite::params![
            m.msg_id,
            ms(m.received_at),
            m.from,
            m.to,
            m.service_id,
            m.text,
            m.content_hex
        ])
        .at(path)?;
    Ok(n == 1)
}
