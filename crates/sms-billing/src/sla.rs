//! SLA outcomes as the billing engine needs them (clauses 6.9/6.10).

use crate::when;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// One SLA window's outcome, as produced by the SLA engine.
///
/// Clauses 6.9/6.10: a window whose success (6.9) or timeliness (6.10) target
/// was missed is one occurrence; `None` means the window had no counted message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaWindow {
    /// Window name, e.g. `2026-01`.
    pub label: String,
    /// Start (inclusive).
    #[serde(with = "when::instant")]
    pub start: DateTime<FixedOffset>,
    /// End (exclusive).
    #[serde(with = "when::instant")]
    pub end: DateTime<FixedOffset>,
    /// Clause 6.9 (3.7): whether the success rate met its target.
    pub success_met: Option<bool>,
    /// Clause 6.10 (3.8): whether the timeliness rate met its target.
    pub timeliness_met: Option<bool>,
    /// The success rate as printed by the SLA engine, for the statement.
    pub success_rate_text: Option<String>,
    /// The timeliness rate as printed by the SLA engine, for the statement.
    pub timeliness_rate_text: Option<String>,
    /// The same window evaluated without exemption windows (7.1–7.4), when any
    /// claim applied: what the rates would have been had no message been excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub without_exemptions: Option<Box<SlaWindow>>,
}

impl SlaWindow {
    /// Whether the window overlaps `[start, end)`.
    pub fn overlaps(&self, start: DateTime<FixedOffset>, end: DateTime<FixedOffset>) -> bool {
        self.start < end && start < self.end
    }
}

impl From<&sms_sla::WindowResult> for SlaWindow {
    /// Clauses 6.9/6.10: a window of the SLA engine's report.
    fn from(w: &sms_sla::WindowResult) -> SlaWindow {
        SlaWindow {
            label: w.label.clone(),
            start: w.start,
            end: w.end,
            success_met: w.success_met,
            timeliness_met: w.timeliness_met,
            success_rate_text: w.success_rate.map(|r| r.to_string()),
            timeliness_rate_text: w.timeliness_rate.map(|r| r.to_string()),
            without_exemptions: None,
        }
    }
}

impl crate::terms::OccurrenceWindow {
    /// The SLA engine's window for this occurrence reading (6.9/6.10).
    pub fn to_sla(self) -> sms_sla::Window {
        match self {
            crate::terms::OccurrenceWindow::Month => sms_sla::Window::Month,
            crate::terms::OccurrenceWindow::Day => sms_sla::Window::Day,
            crate::terms::OccurrenceWindow::Period => sms_sla::Window::Period,
        }
    }
}
