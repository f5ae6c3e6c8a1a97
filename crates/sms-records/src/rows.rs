//! The one records iterator: a format's row parser under one bad-row policy.

use crate::error::RecordsError;
use crate::model::Record;

/// How readers treat rows that cannot be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReaderOptions {
    /// Skip bad rows and count them (`skipped()` on the reader) instead of yielding an error.
    pub skip_bad_rows: bool,
}

/// What every reader keeps besides its format's own state.
#[derive(Debug, Default)]
pub(crate) struct RowState {
    pub(crate) options: ReaderOptions,
    pub(crate) skipped: u64,
    /// Set by a row parser on an error that ends the stream (I/O, not UTF-8).
    pub(crate) done: bool,
}

impl RowState {
    pub(crate) fn new(options: ReaderOptions) -> RowState {
        RowState {
            options,
            ..RowState::default()
        }
    }
}

/// A format's row parser (CSV, JSON Lines).
pub(crate) trait RowSource {
    /// The reader's shared state.
    fn state(&mut self) -> &mut RowState;
    /// The next row, parsed; `None` at the end of the stream.
    fn next_row(&mut self) -> Option<Result<Record, RecordsError>>;
}

/// The next record of `source`: bad rows are yielded as errors, or skipped and counted
/// when the options say so; nothing follows an error that ended the stream.
pub(crate) fn next_record<S: RowSource>(source: &mut S) -> Option<Result<Record, RecordsError>> {
    loop {
        if source.state().done {
            return None;
        }
        match source.next_row()? {
            Err(_) if source.state().options.skip_bad_rows && !source.state().done => {
                source.state().skipped += 1
            }
            other => return Some(other),
        }
    }
}
