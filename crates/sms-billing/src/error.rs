//! Errors of the billing engine.

use std::path::PathBuf;

/// Everything that can go wrong while loading inputs or settling a period.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BillingError {
    /// A terms or incident file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A terms or incident file is malformed; names the file, line and field.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file (or `<input>` when parsing text).
        file: String,
        /// 1-based line of the offending field (0 when unknown).
        line: usize,
        /// What is wrong, including the field.
        message: String,
    },
    /// A settlement period specification cannot be understood.
    #[error("bad period `{spec}`: {reason}")]
    Period {
        /// The text given.
        spec: String,
        /// Why it was refused.
        reason: String,
    },
    /// The terms are inconsistent (e.g. a negative price).
    #[error("invalid terms: {0}")]
    Terms(String),
    /// Clause 6.8: the base fee of an incident's month is unknown.
    #[error("clause 6.8: no message count for month {month} (incident at line {line}); give `month_fee` in the incident")]
    MissingMonthFee {
        /// The month, `YYYY-MM`.
        month: String,
        /// Line of the incident in its file (0 when built in code).
        line: usize,
    },
    /// An amount does not fit in a decimal (absurdly large input).
    #[error("amount overflow while computing {0}")]
    Overflow(String),
    /// The term ledger cannot continue the chain: no settled period ends the day before
    /// the one asked for.
    #[error(
        "ledger: no settled period ends on {missing_end} (settled: {}); settle the earlier periods first (`--term`) or give --billed-before and --carried-in",
        if settled.is_empty() { "none".to_string() } else { settled.join(", ") }
    )]
    LedgerGap {
        /// The last day of the period that should have been settled first.
        missing_end: chrono::NaiveDate,
        /// Labels of the periods the ledger holds.
        settled: Vec<String>,
    },
    /// Periods given to `settle_term` are not in order or overlap.
    #[error("periods out of order: {later} starts before {earlier} ends")]
    Order {
        /// The period that starts too early.
        later: String,
        /// The period it overlaps.
        earlier: String,
    },
}
