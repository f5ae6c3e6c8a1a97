//! Streaming export of records, page by page, in constant memory.

use crate::error::{JournalError, SqlContext};
use crate::store::{self, MESSAGE_COLUMNS};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OpenFlags};
use sms_records::{Carrier, Record};
use std::collections::VecDeque;
use std::path::PathBuf;

/// Rows fetched per query: large enough to amortise the query, small enough to bound memory.
const PAGE: i64 = 8192;

/// Iterator over exported records (see [`Journal::export`](crate::Journal::export)).
///
/// Pages through each month file with a keyset on `(sort_ms, local_id)`, so memory
/// stays bounded whatever the period.
pub struct Export {
    files: VecDeque<PathBuf>,
    /// The file being read, its connection and its page query.
    current: Option<(PathBuf, Connection, String)>,
    lo: i64,
    hi: i64,
    after: Option<(i64, String)>,
    page: VecDeque<Record>,
    failed: bool,
    carrier: Option<Carrier>,
}

impl Export {
    pub(crate) fn new(
        files: Vec<PathBuf>,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Export {
        Export {
            files: files.into(),
            current: None,
            lo: from.map_or(i64::MIN, store::ms),
            hi: until.map_or(i64::MAX, store::ms),
            after: None,
            page: VecDeque::new(),
            failed: false,
            carrier: None,
        }
    }

    /// Only the records of messages that went through `carrier` (selected in SQL, so the
    /// other carriers' records are not even decoded).
    pub fn for_carrier(mut self, carrier: Carrier) -> Export {
        self.carrier = Some(carrier);
        self
    }

    /// Loads the next page; false when every file is done.
    fn fill(&mut self) -> Result<bool, JournalError> {
        loop {
            if self.current.is_none() {
                let Some(path) = self.files.pop_front() else {
                    return Ok(false);
                };
                let conn = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .at(&path)?;
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .at(&path)?;
                // Read-only, so a file of format 4 or older is not migrated here: its
                // messages are all China Mobile's, as the migration would say.
                let table = if store::has_carrier_column(&conn, &path)? {
                    "messages"
                } else {
                    "(SELECT *, 'mobile' AS carrier FROM messages)"
                };
                let sql = format!(
                    "SELECT {MESSAGE_COLUMNS} FROM {table} WHERE sort_ms >= ?1 AND sort_ms < ?2 \
                     AND (sort_ms > ?3 OR (sort_ms = ?3 AND local_id > ?4)) \
                     AND (?6 IS NULL OR carrier = ?6) \
                     ORDER BY sort_ms, local_id LIMIT ?5"
                );
                self.current = Some((path, conn, sql));
                self.after = None;
            }
            let Some((path, conn, sql)) = &self.current else {
                continue;
            };
            let (after_ms, after_id) = match &self.after {
                Some((m, id)) => (*m, id.clone()),
                None => (i64::MIN, String::new()),
            };
            let mut stmt = conn.prepare_cached(sql).at(path)?;
            let mut rows = stmt
                .query(params![
                    self.lo,
                    self.hi,
                    after_ms,
                    after_id,
                    PAGE,
                    self.carrier.map(Carrier::as_str)
                ])
                .at(path)?;
            let mut n = 0;
            while let Some(row) = rows.next().at(path)? {
                let (record, sort) = store::record_from_row(path, row)?;
                self.after = Some((sort, record.local_id.clone()));
                self.page.push_back(record);
                n += 1;
            }
            drop(rows);
            drop(stmt);
            if n < PAGE {
                self.current = None;
            }
            if n > 0 {
                return Ok(true);
            }
        }
    }
}

impl Iterator for Export {
    type Item = Result<Record, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(r) = self.page.pop_front() {
            return Some(Ok(r));
        }
        if self.failed {
            return None;
        }
        match self.fill() {
            Ok(true) => self.page.pop_front().map(Ok),
            Ok(false) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
