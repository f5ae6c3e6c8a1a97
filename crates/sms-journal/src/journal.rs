//! The journal: a folder of month files, written in batches and searched by id, number and time.

use crate::error::{JournalError, SqlContext};
use crate::month::Month;
use crate::store;
use ahash::AHashMap as HashMap;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use sms_records::{Event, EventKind, InboundMessage, Record};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// How far back (in months) a late event looks for the month file of its message.
const LOOK_BACK_MONTHS: i32 = 2;

/// Settings of a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalOptions {
    /// `synchronous=FULL` (default): a committed batch survives a power loss or OS crash.
    /// With `false` (`NORMAL`), WAL still keeps every commit across a process crash
    /// (kill -9) but the last commits may be lost if the OS itself goes down.
    pub full_sync: bool,
    /// Most events the async writer commits in one transaction.
    pub max_batch: usize,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            full_sync: true,
            max_batch: 8192,
        }
    }
}

impl JournalOptions {
    /// With `synchronous=FULL` (`true`, the default) or `NORMAL` (`false`).
    pub fn with_full_sync(mut self, full_sync: bool) -> Self {
        self.full_sync = full_sync;
        self
    }

    /// With at most `max_batch` events per transaction of the async writer.
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch;
        self
    }
}

/// One message as found in the journal: its folded record and every stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Traced {
    /// The record (from the journal's `messages` table).
    pub record: Record,
    /// Every event, in time order.
    pub events: Vec<Event>,
}

/// What [`Journal::prune`] removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PruneReport {
    /// Month files removed, oldest first.
    pub removed: Vec<RemovedMonth>,
    /// Months kept, oldest first.
    pub kept: Vec<Month>,
}

/// One removed month file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemovedMonth {
    /// The month.
    pub month: Month,
    /// The file.
    pub path: PathBuf,
    /// Messages it held.
    pub messages: u64,
    /// Events it held.
    pub events: u64,
}

/// A journal folder with one SQLite file per Beijing-time month.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use sms_journal::{Journal, JournalOptions};
/// use sms_records::{Carrier, Category, Event, EventKind, FinalState, MessageInfo};
///
/// let at = |s| Utc.with_ymd_and_hms(2026, 3, 16, 1, 0, s).unwrap();
/// let id = Some("m-1".to_string());
/// let msg_id = "0316090000000100000001";
/// let events = [
///     // In any order, replayed or not: the stored record comes out the same.
///     Event { at: at(3), local_id: None, kind: EventKind::Reported {
///         msg_id: msg_id.into(), stat: "DELIVRD".into(), class: None, origin: None } },
///     Event { at: at(0), local_id: id.clone(), kind: EventKind::Submitted {
///         info: MessageInfo::new("121231100", "13800138000").with_category(Category::Notice)
///             .with_carrier(Carrier::ChinaMobile) } },
///     Event { at: at(1), local_id: id.clone(), kind: EventKind::Responded {
///         msg_id: Some(msg_id.into()), result: 0, class: None } },
/// ];
/// let dir = tempfile::tempdir()?;
/// let mut journal = Journal::open(dir.path(), JournalOptions::default())?;
/// journal.append_batch(&events)?; // durable once this returns
///
/// let traced = journal.by_local_id("m-1")?.expect("stored");
/// assert_eq!(traced.record.final_state, FinalState::Delivered);
/// assert_eq!(traced.record.carrier, Carrier::ChinaMobile);
/// assert_eq!(traced.events.len(), 3);
/// assert_eq!(journal.by_msg_id(msg_id)?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Journal {
    dir: PathBuf,
    options: JournalOptions,
    open: BTreeMap<Month, Connection>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.dir)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens the journal in `dir`, creating the folder if needed.
    pub fn open(dir: impl AsRef<Path>, options: JournalOptions) -> Result<Journal, JournalError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|source| JournalError::Io {
            path: dir.clone(),
            source,
        })?;
        // Fail now, not at the first write, if the folder cannot be listed.
        let journal = Journal {
            dir,
            options,
            open: BTreeMap::new(),
        };
        journal.months()?;
        Ok(journal)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The settings.
    pub fn options(&self) -> JournalOptions {
        self.options
    }

    /// Path of a month's file.
    pub fn path_of(&self, month: Month) -> PathBuf {
        self.dir.join(crate::month::file_name(month))
    }

    /// Months that have a file, oldest first.
    pub fn months(&self) -> Result<Vec<Month>, JournalError> {
        let io = |source| JournalError::Io {
            path: self.dir.clone(),
            source,
        };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            if let Some(m) = entry
                .file_name()
                .to_str()
                .and_then(crate::month::from_file_name)
            {
                out.push(m);
            }
        }
        out.sort();
        Ok(out)
    }

    fn conn(&mut self, month: Month, create: bool) -> Result<Option<&Connection>, JournalError> {
        if !self.open.contains_key(&month) {
            let path = self.path_of(month);
            if !create && !path.exists() {
                return Ok(None);
            }
            let conn = store::open(&path, create, self.options.full_sync)?;
            self.open.insert(month, conn);
        }
        Ok(self.open.get(&month))
    }

    /// The path and connection of `month` if its file exists; `files` lists the files found
    /// when the batch started (so a missing month costs no system call).
    fn existing(
        &mut self,
        month: Month,
        files: &BTreeSet<Month>,
    ) -> Result<Option<(PathBuf, &Connection)>, JournalError> {
        if !(self.open.contains_key(&month) || files.contains(&month)) {
            return Ok(None);
        }
        let path = self.path_of(month);
        Ok(self.conn(month, false)?.map(|conn| (path, conn)))
    }

    /// Month file *before* `month` already holding message `local_id`.
    ///
    /// The file of `month` itself is not searched: the write finds out whether it
    /// holds the message (its row insert is then ignored and the message re-folded).
    fn earlier_month_of_message(
        &mut self,
        local_id: &str,
        month: Month,
        files: &BTreeSet<Month>,
    ) -> Result<Option<(Month, i64)>, JournalError> {
        for back in 1..=LOOK_BACK_MONTHS {
            let m = month.plus(-back);
            if let Some((path, conn)) = self.existing(m, files)? {
                if let Some(row) = store::row_of_message(conn, &path, local_id)? {
                    return Ok(Some((m, row)));
                }
            }
        }
        Ok(None)
    }

    fn message_of_msg_id(
        &mut self,
        msg_id: &str,
        month: Month,
        files: &BTreeSet<Month>,
    ) -> Result<Option<(Month, String, i64)>, JournalError> {
        for back in 0..=LOOK_BACK_MONTHS {
            let m = month.plus(-back);
            if let Some((path, conn)) = self.existing(m, files)? {
                if let Some((id, row)) = store::local_id_of_msg(conn, &path, msg_id)? {
                    return Ok(Some((m, id, row)));
                }
            }
        }
        Ok(None)
    }

    /// Where each event of a batch goes: the month file and local id of its message,
    /// and, for each message, its month and its row there if that file is known to
    /// hold it already (`None`: maybe not; the write checks).
    #[allow(clippy::type_complexity)]
    fn locate<'e>(
        &mut self,
        events: &'e [Event],
        files: &BTreeSet<Month>,
    ) -> Result<
        (
            HashMap<Cow<'e, str>, (Month, Option<i64>)>,
            BTreeMap<Month, Vec<(&'e Event, Option<Cow<'e, str>>)>>,
        ),
        JournalError,
    > {
        // Where each message of the batch lives, and whether it is stored already.
        let mut first_at: HashMap<&str, DateTime<Utc>> = HashMap::with_capacity(events.len());
        let mut msg_ids: HashMap<&str, &str> = HashMap::new();
        for e in events {
            if let Some(id) = e.local_id.as_deref() {
                let at = first_at.entry(id).or_insert(e.at);
                *at = (*at).min(e.at);
                if let EventKind::Responded {
                    msg_id: Some(m), ..
                } = &e.kind
                {
                    msg_ids.insert(m, id);
                }
            }
        }
        let mut home: HashMap<Cow<'e, str>, (Month, Option<i64>)> =
            HashMap::with_capacity(first_at.len());
        for (id, at) in &first_at {
            let m = Month::of(*at);
            let found = self.earlier_month_of_message(id, m, files)?;
            home.insert(
                Cow::Borrowed(*id),
                found.map_or((m, None), |(m, row)| (m, Some(row))),
            );
        }
        let mut per_month: BTreeMap<Month, Vec<(&Event, Option<Cow<'e, str>>)>> = BTreeMap::new();
        for e in events {
            let (month, local_id) = match e.local_id.as_deref() {
                Some(id) => (home[id].0, Some(Cow::Borrowed(id))),
                None => {
                    let msg = store::event_msg_id(&e.kind);
                    let in_batch = msg
                        .and_then(|m| msg_ids.get(m))
                        .map(|id| (home[*id].0, Cow::Borrowed(*id)));
                    let known = match (in_batch, msg) {
                        (Some(x), _) => Some(x),
                        (None, Some(m)) => {
                            let found = self.message_of_msg_id(m, Month::of(e.at), files)?;
                            if let Some((month, id, row)) = &found {
                                home.entry(Cow::Owned(id.clone()))
                                    .or_insert((*month, Some(*row)));
                            }
                            found.map(|(month, id, _)| (month, Cow::Owned(id)))
                        }
                        (None, None) => None,
                    };
                    match known {
                        Some((month, id)) => (month, Some(id)),
                        None => (Month::of(e.at), None),
                    }
                }
            };
            per_month.entry(month).or_default().push((e, local_id));
        }
        Ok((home, per_month))
    }

    /// Appends events durably: when this returns `Ok`, every event is committed.
    ///
    /// Each event goes to the month file of its *message* (the month of its first
    /// event, normally the submit), so a report arriving next month is stored with
    /// its submit. A report without a local id is given to the message whose
    /// response carried its Msg_Id; if none is known it is kept as an orphan in the
    /// file of its own month and adopted when that response is written. Replayed
    /// events are ignored. One transaction per month file touched.
    ///
    /// A message's events are kept in its `messages` row, which is rewritten as the
    /// fold of all of them; a message first seen in this batch is folded from the
    /// batch's events (and the orphans it adopts) and inserted in one statement.
    pub fn append_batch(&mut self, events: &[Event]) -> Result<(), JournalError> {
        let files: BTreeSet<Month> = self.months()?.into_iter().collect();
        // Look-ups run in one read transaction per file (not one per query); the
        // writes below take their own write transactions.
        let mut event_months: Vec<Month> = events.iter().map(|e| Month::of(e.at)).collect();
        event_months.sort_unstable();
        event_months.dedup();
        let mut reading: Vec<Month> = Vec::new();
        for m in event_months {
            for back in 0..=LOOK_BACK_MONTHS {
                let m = m.plus(-back);
                if !reading.contains(&m) && self.existing(m, &files)?.is_some() {
                    reading.push(m);
                }
            }
        }
        let mut result = Ok(());
        for m in &reading {
            if let Some(conn) = self.open.get(m) {
                result = conn.execute_batch("BEGIN").at(&self.path_of(*m));
                if result.is_err() {
                    break;
                }
            }
        }
        let mut located = result.and_then(|()| self.locate(events, &files));
        for m in &reading {
            if let Some(conn) = self.open.get(m) {
                if !conn.is_autocommit() {
                    let ended = conn.execute_batch("COMMIT").at(&self.path_of(*m));
                    if let (Ok(_), Err(e)) = (&located, ended) {
                        located = Err(e);
                    }
                }
            }
        }
        let (home, per_month) = located?;
        for (month, items) in per_month {
            self.write_month(month, &items, &home)?;
        }
        Ok(())
    }

    /// Writes a batch's events of one month file in one transaction.
    #[allow(clippy::type_complexity)]
    fn write_month(
        &mut self,
        month: Month,
        items: &[(&Event, Option<Cow<'_, str>>)],
        home: &HashMap<Cow<'_, str>, (Month, Option<i64>)>,
    ) -> Result<(), JournalError> {
        let path = self.path_of(month);
        self.conn(month, true)?;
        let conn = self
            .open
            .get(&month)
            .ok_or_else(|| JournalError::Invalid(format!("cannot open {}", path.display())))?;
        // IMMEDIATE: the write lock is taken before anything is read, so another
        // writer's commit cannot slip in between this batch's reads and writes.
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate).at(&path)?;
        let mut writer = store::BatchWriter::new(&tx, &path)?;
        // Orphans first, so that a response anywhere in the batch adopts them.
        let mut order: Vec<&str> = Vec::new();
        let mut groups: HashMap<&str, Vec<store::Entry<'_>>> = HashMap::new();
        for (e, id) in items {
            match id.as_deref() {
                None => {
                    writer.insert_orphan(e)?;
                }
                Some(id) => groups
                    .entry(id)
                    .or_insert_with(|| {
                        order.push(id);
                        Vec::new()
                    })
                    .push((store::ms(e.at), Cow::Borrowed(&e.kind))),
            }
        }
        for id in order {
            let new = groups.remove(id).unwrap_or_default();
            let stored = home.get(id).and_then(|h| h.1);
            writer.add(id, new, stored)?;
        }
        drop(writer);
        tx.commit().at(&path)?;
        Ok(())
    }

    fn traced(&mut self, month: Month, local_id: &str) -> Result<Option<Traced>, JournalError> {
        let path = self.path_of(month);
        let Some(conn) = self.conn(month, false)? else {
            return Ok(None);
        };
        Ok(
            store::message(conn, &path, local_id)?
                .map(|(record, events)| Traced { record, events }),
        )
    }

    /// The message with this local id.
    pub fn by_local_id(&mut self, local_id: &str) -> Result<Option<Traced>, JournalError> {
        for month in self.months()?.into_iter().rev() {
            if let Some(t) = self.traced(month, local_id)? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// Messages the gateway knows as `msg_id` (normally one), plus reports for it that
    /// match no message (as a record with an empty local id), in time order.
    pub fn by_msg_id(&mut self, msg_id: &str) -> Result<Vec<Traced>, JournalError> {
        let mut out = Vec::new();
        for month in self.months()? {
            let path = self.path_of(month);
            let Some(conn) = self.conn(month, false)? else {
                continue;
            };
            let ids = store::local_ids(
                conn,
                &path,
                "SELECT local_id FROM messages WHERE msg_id = ?1 ORDER BY sort_ms, local_id",
                [msg_id],
            )?;
            let orphans = store::orphans_of(conn, &path, msg_id)?;
            for id in ids {
                out.extend(self.traced(month, &id)?);
            }
            if !orphans.is_empty() {
                out.push(Traced {
                    record: sms_records::fold(&orphans),
                    events: orphans,
                });
            }
        }
        out.sort_by_key(|t| t.events.first().map(|e| e.at));
        Ok(out)
    }

    fn by_query(
        &mut self,
        dest: Option<&str>,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Traced>, JournalError> {
        let mut out = Vec::new();
        for month in self.months()? {
            if month.next().start() <= from || month.start() >= until {
                continue;
            }
            let path = self.path_of(month);
            let Some(conn) = self.conn(month, false)? else {
                continue;
            };
            let (lo, hi) = (store::ms(from), store::ms(until));
            let ids = match dest {
                Some(d) => store::local_ids_to(conn, &path, d, lo, hi)?,
                None => store::local_ids(
                    conn,
                    &path,
                    "SELECT local_id FROM messages WHERE sort_ms >= ?1 AND sort_ms < ?2 ORDER BY sort_ms, local_id",
                    params![lo, hi],
                )?,
            };
            for id in ids {
                out.extend(self.traced(month, &id)?);
            }
        }
        Ok(out)
    }

    /// Messages to `dest` submitted in `[from, until)`, in submit order.
    pub fn by_dest(
        &mut self,
        dest: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Traced>, JournalError> {
        self.by_query(Some(dest), from, until)
    }

    /// Messages submitted in `[from, until)`, in submit order (use [`Journal::export`] for large periods).
    pub fn by_time(
        &mut self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Traced>, JournalError> {
        self.by_query(None, from, until)
    }

    /// Orphan events (status reports that no message claims yet) with a time in
    /// `[from, until)`, in time order: what the reconciliation matches to records whose
    /// response was lost.
    pub fn orphans_between(
        &mut self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Event>, JournalError> {
        self.across_months(from, until, store::orphans_between)
    }

    /// Records still `pending` first journaled in `[from, until)` (open ends when `None`),
    /// in time order: what a reconciliation looks at, without folding the settled ones.
    pub fn pending_between(
        &mut self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<Record>, JournalError> {
        let (lo, hi) = (
            from.map_or(i64::MIN, store::ms),
            until.map_or(i64::MAX, store::ms),
        );
        let mut out = Vec::new();
        for month in self.months()? {
            if from.is_some_and(|f| month.next().start() <= f)
                || until.is_some_and(|u| month.start() >= u)
            {
                continue;
            }
            let path = self.path_of(month);
            let Some(conn) = self.conn(month, false)? else {
                continue;
            };
            out.extend(store::pending_between(conn, &path, lo, hi)?);
        }
        Ok(out)
    }

    /// Stores a message a user sent (mobile-originated), durably, unless a message with
    /// its Msg_Id is stored already (a DELIVER the gateway sent again). Returns true when
    /// stored now, false for a duplicate.
    ///
    /// It goes to the file of the month it was received in; the month before is searched
    /// for a duplicate too (a re-sent DELIVER across a month boundary).
    pub fn append_inbound(&mut self, message: &InboundMessage) -> Result<bool, JournalError> {
        let month = Month::of(message.received_at);
        let files: BTreeSet<Month> = self.months()?.into_iter().collect();
        if let Some((path, conn)) = self.existing(month.plus(-1), &files)? {
            if store::inbound_of(conn, &path, &message.msg_id)?.is_some() {
                return Ok(false);
            }
        }
        let path = self.path_of(month);
        let conn = self
            .conn(month, true)?
            .ok_or_else(|| JournalError::Invalid(format!("cannot open {}", path.display())))?;
        store::insert_inbound(conn, &path, message)
    }

    /// The inbound message the gateway knows as `msg_id`, if stored.
    pub fn inbound_by_msg_id(
        &mut self,
        msg_id: &str,
    ) -> Result<Option<InboundMessage>, JournalError> {
        for month in self.months()?.into_iter().rev() {
            let path = self.path_of(month);
            let Some(conn) = self.conn(month, false)? else {
                continue;
            };
            if let Some(m) = store::inbound_of(conn, &path, msg_id)? {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }

    /// Inbound messages received in `[from, until)`, in time order.
    pub fn inbound_between(
        &mut self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<InboundMessage>, JournalError> {
        self.across_months(from, until, store::inbound_between)
    }

    /// Runs a time-range query `read(conn, path, from_ms, until_ms)` on every existing month
    /// file that overlaps `[from, until)`, in month order, and joins the results.
    fn across_months<T>(
        &mut self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        read: impl Fn(&Connection, &Path, i64, i64) -> Result<Vec<T>, JournalError>,
    ) -> Result<Vec<T>, JournalError> {
        let mut out = Vec::new();
        for month in self.months()? {
            if month.end() <= from || month.start() >= until {
                continue;
            }
            let path = self.path_of(month);
            let Some(conn) = self.conn(month, false)? else {
                continue;
            };
            out.extend(read(conn, &path, store::ms(from), store::ms(until))?);
        }
        Ok(out)
    }

    /// Clause 2.7: deletes month files older than `keep_months` before the current month.
    ///
    /// The current Beijing-time month of `now` and the `keep_months` months before
    /// it are kept. Clause 2.7 requires at least the latest 6 months, so fewer than
    /// [`crate::CONTRACT_MIN_KEEP_MONTHS`] is refused (nothing is deleted).
    pub fn prune(
        &mut self,
        now: DateTime<Utc>,
        keep_months: u32,
    ) -> Result<PruneReport, JournalError> {
        if keep_months < crate::CONTRACT_MIN_KEEP_MONTHS {
            return Err(JournalError::BelowRetentionMinimum {
                keep_months,
                minimum: crate::CONTRACT_MIN_KEEP_MONTHS,
            });
        }
        self.prune_below_contract_minimum(now, keep_months)
    }

    /// Like [`Journal::prune`] without the clause 2.7 minimum, for a deliberate
    /// exception (e.g. a test journal). The current month is never deleted, even
    /// with `keep_months = 0`; months after `now` are kept too.
    pub fn prune_below_contract_minimum(
        &mut self,
        now: DateTime<Utc>,
        keep_months: u32,
    ) -> Result<PruneReport, JournalError> {
        let current = Month::of(now);
        let oldest_kept = current.plus(-(keep_months.min(12 * 9000) as i32));
        let mut report = PruneReport::default();
        for month in self.months()? {
            if month >= oldest_kept {
                report.kept.push(month);
                continue;
            }
            let path = self.path_of(month);
            let (messages, events) = {
                let conn = self
                    .conn(month, false)?
                    .ok_or_else(|| JournalError::Invalid(format!("{} vanished", path.display())))?;
                store::counts(conn, &path)?
            };
            // Close before deleting so no handle keeps the old file alive.
            if let Some(conn) = self.open.remove(&month) {
                conn.close().map_err(|(_, e)| e).at(&path)?;
            }
            for suffix in ["", "-wal", "-shm"] {
                let p = PathBuf::from(format!("{}{suffix}", path.display()));
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => return Err(JournalError::Io { path: p, source }),
                }
            }
            report.removed.push(RemovedMonth {
                month,
                path,
                messages,
                events,
            });
        }
        Ok(report)
    }

    /// Streams the records of messages submitted in `[from, until)` (open ends when
    /// `None`), month file by month file and in submit order within each, in constant memory.
    pub fn export(
        &self,
        from: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<crate::export::Export, JournalError> {
        let months = self
            .months()?
            .into_iter()
            .filter(|m| from.is_none_or_compat(|f| m.next().start() > f))
            .filter(|m| until.is_none_or_compat(|u| m.start() < u))
            .map(|m| self.path_of(m))
            .collect();
        Ok(crate::export::Export::new(months, from, until))
    }

    /// Stores records read from a file (clause 2.7 logs kept elsewhere, moved in).
    ///
    /// Each record is stored as it is in `messages` (it is authoritative: an
    /// `expired` state or an exemption tag survive), in the month of its submit
    /// time, with the events it implies synthesized so that a trace shows them.
    /// A record with the local id of a stored message replaces it.
    /// Returns the number of records stored.
    pub fn import(
        &mut self,
        records: impl IntoIterator<Item = Result<Record, sms_records::RecordsError>>,
    ) -> Result<u64, JournalError> {
        const CHUNK: usize = 20_000;
        let mut count = 0u64;
        let mut chunk: Vec<Record> = Vec::with_capacity(1024);
        for r in records {
            chunk.push(r?);
            if chunk.len() == CHUNK {
                count += self.import_chunk(&chunk)?;
                chunk.clear();
            }
        }
        count += self.import_chunk(&chunk)?;
        Ok(count)
    }

    fn import_chunk(&mut self, records: &[Record]) -> Result<u64, JournalError> {
        let mut per_month: BTreeMap<Month, Vec<(&Record, DateTime<Utc>)>> = BTreeMap::new();
        for r in records {
            let at = r
                .submitted_at
                .or(r.responded_at)
                .or(r.reported_at)
                .ok_or_else(|| {
                    JournalError::Invalid(format!("record `{}` has no time at all", r.local_id))
                })?;
            if r.local_id.is_empty() {
                return Err(JournalError::Invalid(
                    "a record has an empty local_id".into(),
                ));
            }
            per_month.entry(Month::of(at)).or_default().push((r, at));
        }
        let mut n = 0;
        for (month, items) in per_month {
            let path = self.path_of(month);
            let conn = self
                .conn(month, true)?
                .ok_or_else(|| JournalError::Invalid(format!("cannot open {}", path.display())))?;
            let tx = conn.unchecked_transaction().at(&path)?;
            for (r, at) in items {
                let events = crate::synth::events_of_record(r);
                store::replace_message(&tx, &path, r, store::ms(at), &events)?;
                n += 1;
            }
            tx.commit().at(&path)?;
        }
        Ok(n)
    }
}

/// `Option::is_none_or` for the workspace's minimum Rust version.
trait NoneOr<T> {
    fn is_none_or_compat(&self, f: impl FnOnce(T) -> bool) -> bool;
}

impl<T: Copy> NoneOr<T> for Option<T> {
    fn is_none_or_compat(&self, f: impl FnOnce(T) -> bool) -> bool {
        match self {
            None => true,
            Some(v) => f(*v),
        }
    }
}
