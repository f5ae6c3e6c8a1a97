//! Durable SQLite journal of SMS lifecycle events (clause 2.7: a log of all
//! sending, kept at least 6 months, open to inspection at any time).
//!
//! # On disk
//! One SQLite file per calendar month of Beijing time, `DIR/journal-YYYY-MM.sqlite`,
//! in WAL mode. `synchronous=FULL` by default: a committed batch survives a power
//! loss; `NORMAL` (an option) still survives a killed process. Each file has:
//! - `messages`: one row per message with its folded record (the interchange
//!   columns, times as Unix milliseconds, and its `carrier`) and, in `events`, every event of the
//!   message as a JSON array `[[at_ms, event], ...]` in time order. The row is
//!   rewritten as the fold of all its events whenever one is added, in the same
//!   transaction; a replayed event (same time, same content) is recognised and
//!   skipped. Indexed by `msg_id`, by `(sort_ms, local_id)` and by number within
//!   each hour of sort time (`sort_ms / 3600000, dest`: inserts stay in the current
//!   hour's part of the index, where a plain index on random numbers would dirty a
//!   page per message). Keeping the events in the row costs one B-tree insert per
//!   message instead of one per event; with the hour buckets, a realistic month
//!   (9 million messages to random numbers) appends at over 100,000 messages a second;
//! - `orphans(id, at_ms, msg_id, payload)`: events that no message claims yet
//!   (a status report whose response is not stored), indexed by `msg_id`;
//! - `inbound(msg_id, received_ms, from_number, to_number, service_id, text, content_hex)`:
//!   messages users sent to the SP (MO, e.g. opt-out replies), one row per Msg_Id (a
//!   DELIVER the gateway sends again is stored once), apart from the outbound records that
//!   the SLA and billing count ([`Journal::append_inbound`], [`JournalWriter::append_inbound`]);
//! - `events`: a view with one row per event (`local_id, seq, at_ms, at, kind,
//!   msg_id, payload`, `at` in Beijing time), for auditors using the `sqlite3` shell.
//!   To find a number's messages there quickly, name the hours as the index does:
//!   `... WHERE sort_ms / 3600000 BETWEEN h1 AND h2 AND dest = '...'` (a bare
//!   `WHERE dest = '...'` reads the whole month).
//!
//! The format is SQLite's `user_version` (5); files of the earlier formats (events in a
//! table of their own; without the `inbound` table; without the `carrier` column, whose
//! messages are all China Mobile's) are migrated when opened (in one transaction: about
//! 9 s per million messages from formats 0–1; adding the `carrier` column rewrites no row), and a file of a newer format is refused
//! rather than misread. A migrated file keeps the old table's pages as free space
//! for later writes; `VACUUM` in the `sqlite3` shell gives it back to the disk.
//!
//! # Which month file
//! A message lives in the file of the month of its first event (its intent or submit): a
//! status report arriving next month is stored with its submit, found by looking
//! up the local id (or, for a report without one, the Msg_Id) in the event's month
//! and the two before. A report that matches no message is kept as an orphan in
//! its own month and given to its message when the matching response is written.
//! Times are kept to the millisecond.
//!
//! # Carriers
//! Each message keeps the carrier of the event that starts it (`sending`, `submitted` or
//! `refused`, see [`sms_records::MessageInfo::carrier`]); [`Export::for_carrier`] selects
//! one carrier's records, e.g. for a per-contract report or settlement.
#![forbid(unsafe_code)]

mod entries;
pub mod error;
mod export;
mod journal;
pub mod month;
mod store;
pub mod synth;
pub mod trace;
mod writer;

pub use error::JournalError;
pub use export::Export;
pub use journal::{Journal, JournalOptions, PruneReport, RemovedMonth, Traced};
pub use month::Month;
pub use trace::{TraceQuery, TraceReport};
pub use writer::JournalWriter;

/// Default retention (clause 2.7): the current month and the 6 before it.
pub const DEFAULT_KEEP_MONTHS: u32 = 6;

/// Clause 2.7: the fewest months before the current one that [`Journal::prune`]
/// keeps; going below takes [`Journal::prune_below_contract_minimum`].
pub const CONTRACT_MIN_KEEP_MONTHS: u32 = 6;
