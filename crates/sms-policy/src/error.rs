//! Errors of building and running a policy.

use std::path::PathBuf;

/// Why a policy, a data file or a rate state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy file (TOML) is malformed or has a value out of range.
    #[error("{file}:{line}: {field}: {message}")]
    Config {
        /// The policy file, or `<inline>` for a string.
        file: String,
        /// Line of the offending value (1-based); 0 when unknown.
        line: usize,
        /// The offending key, e.g. `rate.limit.window`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A line of a data file (prefixes, numbers, keywords, messages) is malformed.
    #[error("{file}:{line}: {message}")]
    Data {
        /// The data file.
        file: String,
        /// Line (1-based).
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The rate state file is not a state this version can read.
    #[error("rate state {path}: {message}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// `save` was called on a rate limiter that has no state file.
    #[error("the rate limiter has no state file to save to")]
    NoStateFile,
    /// An unsubscribe request came from a number that is not a mobile number.
    #[error("cannot opt out `{number}`: {source}")]
    OptOutNumber {
        /// The sender as given (truncated for display).
        number: String,
        /// Why it is not a mobile number.
        #[source]
        source: crate::number::NumberError,
    },
}

impl PolicyError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        PolicyError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Shortens user-supplied text for messages so that a huge input cannot make a huge reason.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
