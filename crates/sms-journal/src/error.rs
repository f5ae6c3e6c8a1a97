//! Errors of the journal.

use std::path::PathBuf;

/// An error of the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The journal folder or a file in it cannot be used.
    #[error("{path}: {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed on a month file.
    #[error("{path}: {source}")]
    Sqlite {
        /// The month file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored event or row cannot be decoded (the file was edited or is damaged).
    #[error("{path}: corrupt row: {message}")]
    Corrupt {
        /// The month file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer version of this journal, in a format it cannot read.
    #[error("{path}: journal file format {found} is newer than this program's ({supported})")]
    Format {
        /// The month file.
        path: PathBuf,
        /// The file's format (SQLite `user_version`).
        found: i64,
        /// The newest format this program reads and writes.
        supported: i64,
    },
    /// A record or event cannot be stored as given.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Reading a record file failed.
    #[error(transparent)]
    Records(#[from] sms_records::RecordsError),
    /// The batch holding this event failed to commit; the cause is shared by every
    /// event of the batch.
    #[error("journal write failed: {0}")]
    Batch(std::sync::Arc<JournalError>),
    /// Clause 2.7: pruning would keep fewer months than the contract's minimum.
    #[error("keeping {keep_months} month(s) before the current one is below clause 2.7's minimum of {minimum} (the latest 6 months of sending logs must stay available); nothing was deleted")]
    BelowRetentionMinimum {
        /// Months asked to be kept before the current one.
        keep_months: u32,
        /// The contract's minimum.
        minimum: u32,
    },
    /// The writer thread has stopped.
    #[error("journal writer has stopped")]
    Closed,
}

pub(crate) trait SqlContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T, JournalError>;
}

impl<T> SqlContext<T> for Result<T, rusqlite::Error> {
    fn at(self, path: &std::path::Path) -> Result<T, JournalError> {
        self.map_err(|source| JournalError::Sqlite {
            path: path.to_path_buf(),
            source,
        })
    }
}
