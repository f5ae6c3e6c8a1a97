//! Durable SQLite journal of SMS lifecycle events (clause 2.7: a log of all
//! sending, kept at least 6 months, open to inspection at any time).
//!
//! # On disk
//! One SQLite file per calendar month of Beijing time, `DIR/journal-YYYY-MM.sqlite`,
//! in WAL mode. `synchronous=FULL` by default: a committed batch survives a power
//! loss; `NORMAL` (an option) still survives a killed process. Each file has:
//! - `events(id, at_ms, local_id, msg_id, kind, payload, h)`: every event as received,
//!   `payload` the event as JSON, `h` a 64-bit hash of `(local_id, at_ms, kind,
//!   payload)`; unique index `(local_id, h)`, so a replayed event is stored once
//!   (an event whose hash collides with a different one is stored with a NULL `h`
//!   and compared in full); orphan reports (no local id) are indexed by `msg_id`
//!   and compared in full. Files written before `h` existed are migrated on open;
//! - `messages`: one row per message with its folded record (the interchange
//!   columns, times as Unix milliseconds), kept in step with `events` in the same
//!   transaction (a message new in a batch is folded in memory from the batch's
//!   events, a stored one is re-folded from all its stored events); indexed by
//!   `msg_id`, `(dest, sort_ms)` and `(sort_ms, local_id)`;
//! - `events_beijing`: a view of `events` with readable Beijing times, for auditors
//!   using the `sqlite3` shell.
//!
//! # Which month file
//! A message lives in the file of the month of its first event (its submit): a
//! status report arriving next month is stored with its submit, found by looking
//! up the local id (or, for a report without one, the Msg_Id) in the event's month
//! and the two before. A report that matches no message is kept as an orphan in
//! its own month and given to its message when the matching response is written.
//! Times are kept to the millisecond.
#![forbid(unsafe_code)]

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
