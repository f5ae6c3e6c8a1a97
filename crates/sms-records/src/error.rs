//! Errors reading and writing record files.

/// An error reading or writing records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// The file or stream failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. the path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// One field of one row is not valid.
    #[error("line {line}, field {field}: {message}")]
    Field {
        /// Line number in the file, from 1.
        line: u64,
        /// Interchange name of the column.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A row cannot be read at all (bad CSV quoting, bad JSON, wrong width).
    #[error("line {line}: {message}")]
    Row {
        /// Line number in the file, from 1.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// The CSV header is missing required columns.
    #[error("bad header: {0}")]
    Header(String),
    /// The file name does not say which format it is in.
    #[error("cannot tell the format of `{0}`: use .csv, .jsonl, .ndjson or .json")]
    UnknownFormat(String),
}

impl RecordsError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        RecordsError::Io {
            context: context.into(),
            source,
        }
    }
}
