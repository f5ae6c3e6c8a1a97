//! The protocol-neutral record of one short message's life.
//!
//! A [`Record`] is one billable message (one segment of a long message). The
//! session side emits [`Event`]s (submitted, resent, responded, reported,
//! failed, refused); [`fold`] turns the events of one message into its record,
//! independent of their order and of duplicates. Records are exchanged with
//! other tools as CSV or JSON Lines ([`csv_io`], [`jsonl`]).
//!
//! This crate knows nothing of CMPP: result codes and report states are kept
//! as raw values plus a protocol-neutral [`CauseClass`].
#![forbid(unsafe_code)]

pub mod classify;
pub mod event;
pub mod model;
pub mod time;

pub use classify::{class_of_report_stat, class_of_submit_result};
pub use event::{Event, EventKind, MessageInfo};
pub use model::{Category, CauseClass, FinalState, Record};
pub use time::{beijing, to_beijing};
