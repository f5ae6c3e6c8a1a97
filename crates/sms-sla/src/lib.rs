//! SLA engine for the SMS service contract: success rate (clause 3.7), status
//! within 7 seconds (clause 3.8), failure causes and exemptions (7.1–7.4), and
//! the monthly report (clause 3.10) as JSON, Markdown and HTML.
//!
//! The input is [`sms_records::Record`]; this crate knows nothing of CMPP.
//! Feed records to an [`Aggregator`] (or call [`evaluate`]), then render the
//! [`SlaReport`] with [`render`]. Rates are exact fractions; targets are
//! compared with integer arithmetic.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use sms_sla::{evaluate, SlaSettings};
//! let bj = sms_records::beijing();
//! let from = bj.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let until = bj.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
//! let report = evaluate(Vec::new(), &SlaSettings::default(), from, until, Utc::now()).unwrap();
//! assert_eq!(report.windows[0].label, "2026-03");
//! assert!(report.windows[0].success_rate.is_none()); // nothing counted: no rate, no breach
//! ```
#![forbid(unsafe_code)]

pub mod aggregate;
pub mod calendar;
pub mod classify;
pub mod histogram;
pub mod rate;
pub mod render;
pub mod report;
pub mod settings;

pub use aggregate::Aggregator;
pub use classify::{Classifier, Counted, Exclusion, Failure, FailureKind, Outcome};
pub use histogram::{LatencyHistogram, LatencySummary};
pub use rate::{Rate, Target, TargetError};
pub use report::{
    evaluate, Breach, CodeCount, DayResult, ExclusionCount, ExclusionReason, ExemptionApplied,
    FailedByClass, FailedByKind, SlaReport, WindowResult, SCHEMA_VERSION,
};
pub use settings::{ClassOverrides, Exemption, SettingsError, SlaSettings, StatusBasis, Window};

/// Errors of the SLA engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlaError {
    /// The settings are invalid.
    #[error("SLA settings: {0}")]
    Settings(#[from] SettingsError),
    /// The evaluated range is empty, reversed or too long.
    #[error("evaluation range: {0}")]
    Range(String),
    /// Two aggregations of different ranges or settings cannot be merged.
    #[error("cannot merge aggregations of different ranges, settings or as-of times")]
    Mismatch,
}
