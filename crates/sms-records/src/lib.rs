//! The protocol-neutral record of one short message's life.
//!
//! A [`Record`] is one billable message (one segment of a long message). The
//! session side emits [`Event`]s (sending, submitted, resent, responded, reported,
//! failed, refused, expired); [`fold`] turns the events of one message into its record,
//! independent of their order and of duplicates. Records are exchanged with
//! other tools as CSV or JSON Lines ([`csv_io`], [`jsonl`]). Messages users send to
//! the SP are [`InboundMessage`]s, kept apart from the records.
//!
//! Every record and every event that starts one names its [`Carrier`] (China Mobile
//! when a file or event predates carriers).
//!
//! This crate knows nothing of CMPP: result codes and report states are kept
//! as raw values plus a protocol-neutral [`CauseClass`].
#![forbid(unsafe_code)]

pub mod carrier;
pub mod classify;
mod columns;
pub mod csv_io;
pub mod error;
pub mod event;
pub mod fold;
pub mod inbound;
pub mod jsonl;
pub mod model;
mod open;
pub mod rfc3339;
mod rows;
pub mod time;

pub use carrier::Carrier;
pub use classify::{class_of_report_stat, class_of_submit_result};
pub use columns::{COLUMNS, OPTIONAL_COLUMNS};
pub use csv_io::{CsvReader, CsvWriter, ReaderOptions};
pub use error::RecordsError;
pub use event::{Event, EventKind, MessageInfo, ReportOrigin};
pub use fold::{fold, Folder};
pub use inbound::InboundMessage;
pub use jsonl::{JsonlReader, JsonlWriter};
pub use model::{Category, CauseClass, FinalState, Record};
pub use open::{create_records, open_records, open_records_with, Format, RecordIter, RecordSink};
pub use time::{beijing, to_beijing, Month};
