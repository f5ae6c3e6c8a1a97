//! The SLA report (clause 3.10): stable JSON schema, built from an [`Aggregator`].

use crate::aggregate::{Aggregator, WindowAgg};
use crate::histogram::LatencySummary;
use crate::rate::{Rate, Target};
use crate::settings::SlaSettings;
use crate::SlaError;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sms_records::{CauseClass, Record};

/// Version of the JSON schema of [`SlaReport`]; bumped on any change to its keys.
pub const SCHEMA_VERSION: u32 = 1;

/// Clause 6.9 (success rate below target) or 6.10 (timeliness below target) in one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Breach {
    /// `"6.9"` (success rate, clause 3.7) or `"6.10"` (timeliness, clause 3.8).
    pub clause: String,
    /// The window's label, e.g. `2026-03`.
    pub window: String,
    /// Window start, inclusive.
    pub start: DateTime<FixedOffset>,
    /// Window end, exclusive.
    pub end: DateTime<FixedOffset>,
    /// `success rate` or `timeliness rate`.
    pub measure: String,
    /// The rate measured.
    pub rate: Rate,
    /// The target it missed.
    pub target: Target,
}

/// Why messages were excluded from both rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExclusionReason {
    /// Clauses 7.1–7.4: submitted inside an exemption window.
    ExemptionWindow,
    /// The record carries an exempt tag.
    ExemptTag,
    /// Failure of user/handset-side cause.
    UserCause,
    /// Failure of SP-side (Party A) cause.
    SpCause,
}

/// Messages excluded for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExclusionCount {
    /// The reason.
    pub reason: ExclusionReason,
    /// The clause (exemption window) or tag, when there is one.
    pub clause: Option<String>,
    /// Human description.
    pub detail: String,
    /// How many messages.
    pub count: u64,
    /// Up to ten example message ids (the smallest).
    pub examples: Vec<String>,
}

/// Failures against Party B by cause class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FailedByClass {
    /// Carrier-side codes.
    pub carrier: u64,
    /// Unknown cause, missing response or report (counted against Party B).
    pub unknown: u64,
}

/// Failures against Party B by what happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FailedByKind {
    /// Non-zero submit result of carrier or unknown cause.
    pub submit_rejected: u64,
    /// No submit response.
    pub no_response: u64,
    /// Status report of carrier or unknown cause.
    pub report_failed: u64,
    /// No status report within the deadline.
    pub no_report: u64,
    /// Status report after the deadline.
    pub late_report: u64,
}

/// Failures with one raw code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeCount {
    /// `result 8`, a report state such as `MB:0008`, `no response`,
    /// `no report within deadline`, `report after deadline`, or `other`.
    pub code: String,
    /// Cause class the code was counted under.
    pub class: CauseClass,
    /// How many failures.
    pub count: u64,
    /// Share of the window's failures.
    pub share: Option<Rate>,
}

/// One day of a window's series (days in the contract's zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DayResult {
    /// The local date.
    pub date: NaiveDate,
    /// Counted messages submitted that day.
    pub counted: u64,
    /// Of which failed against Party B.
    pub failed: u64,
    /// Of which with status within the threshold.
    pub timely: u64,
    /// (counted − failed) / counted.
    pub success_rate: Option<Rate>,
    /// timely / counted.
    pub timeliness_rate: Option<Rate>,
}

/// The figures of one evaluation window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WindowResult {
    /// e.g. `2026-03`.
    pub label: String,
    /// Start, inclusive.
    pub start: DateTime<FixedOffset>,
    /// End, exclusive.
    pub end: DateTime<FixedOffset>,
    /// Messages submitted in the window, refused ones not included
    /// (= counted + excluded + pending).
    pub total: u64,
    /// Refused by the sending policy (never sent; outside the SLA).
    pub refused: u64,
    /// Awaiting a report, not yet past the deadline.
    pub pending: u64,
    /// Excluded from both rates.
    pub excluded: u64,
    /// Counted in both rates.
    pub counted: u64,
    /// Counted and not failed.
    pub delivered: u64,
    /// Failed against Party B.
    pub failed: u64,
    /// Status within the threshold.
    pub timely: u64,
    /// Failures by cause class.
    pub failed_by_class: FailedByClass,
    /// Failures by what happened.
    pub failed_by_kind: FailedByKind,
    /// Exclusions by reason.
    pub exclusions: Vec<ExclusionCount>,
    /// Clause 3.7: (counted − failed) / counted; `None` when nothing was counted.
    pub success_rate: Option<Rate>,
    /// Clause 3.8: timely / counted; `None` when nothing was counted.
    pub timeliness_rate: Option<Rate>,
    /// Whether the success target was met; `None` without a rate.
    pub success_met: Option<bool>,
    /// Whether the timeliness target was met; `None` without a rate.
    pub timeliness_met: Option<bool>,
    /// Clauses 6.9 / 6.10 in this window.
    pub breaches: Vec<Breach>,
    /// Submit → response latency of counted messages.
    pub response_latency: LatencySummary,
    /// Submit → status report latency of counted messages.
    pub report_latency: LatencySummary,
    /// Failures by raw code, most frequent first.
    pub failures_by_code: Vec<CodeCount>,
    /// Per-day series.
    pub daily: Vec<DayResult>,
    /// Up to ten pending message ids.
    pub pending_examples: Vec<String>,
}

/// An exemption window and how many messages it excluded in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExemptionApplied {
    /// The clause, e.g. `7.1`.
    pub clause: String,
    /// Its note.
    pub note: String,
    /// Start, inclusive.
    pub start: DateTime<FixedOffset>,
    /// End, exclusive.
    pub end: DateTime<FixedOffset>,
    /// Messages excluded by it.
    pub messages: u64,
}

/// The SLA report over a range (clause 3.10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SlaReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Range start, inclusive.
    pub from: DateTime<FixedOffset>,
    /// Range end, exclusive.
    pub until: DateTime<FixedOffset>,
    /// The time the data was taken; decides what is pending.
    pub as_of: DateTime<Utc>,
    /// Settings used.
    pub settings: SlaSettings,
    /// The readings of the contract used, one per line.
    pub readings: Vec<String>,
    /// The whole range as one window (no breaches of its own).
    pub overall: WindowResult,
    /// Each evaluation window.
    pub windows: Vec<WindowResult>,
    /// Every breach of every window.
    pub breaches: Vec<Breach>,
    /// Exemption windows and their effect.
    pub exemptions: Vec<ExemptionApplied>,
    /// Refused messages with no submit time (never sent; outside the SLA).
    pub refused_without_time: u64,
    /// Other records with no submit time (never written to the link).
    pub unplaced: u64,
    /// Records submitted outside the range (ignored).
    pub outside_range: u64,
}

/// Evaluates records over `[from, until)` as of `as_of`.
pub fn evaluate<I: IntoIterator<Item = Record>>(
    records: I,
    settings: &SlaSettings,
    from: DateTime<FixedOffset>,
    until: DateTime<FixedOffset>,
    as_of: DateTime<Utc>,
) -> Result<SlaReport, SlaError> {
    let mut agg = Aggregator::new(settings, from, until, as_of)?;
    for r in records {
        agg.add(&r);
    }
    Ok(agg.report())
}

fn window_result(
    a: &Aggregator,
    w: &WindowAgg,
    label: String,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    days: std::ops::Range<usize>,
    with_breaches: bool,
) -> WindowResult {
    let s = &a.settings;
    let success_rate = Rate::new(w.counted - w.failed, w.counted);
    let timeliness_rate = Rate::new(w.timely, w.counted);
    let success_met = success_rate.map(|r| s.success_target.is_met_by(r));
    let timeliness_met = timeliness_rate.map(|r| s.timeliness_target.is_met_by(r));
    let mut breaches = Vec::new();
    if with_breaches {
        for (met, rate, clause, measure, target) in [
            (
                success_met,
                success_rate,
                "6.9",
                "success rate",
                s.success_target,
            ),
            (
                timeliness_met,
                timeliness_rate,
                "6.10",
                "timeliness rate",
                s.timeliness_target,
            ),
        ] {
            if let (Some(false), Some(rate)) = (met, rate) {
                breaches.push(Breach {
                    clause: clause.into(),
                    window: label.clone(),
                    start,
                    end,
                    measure: measure.into(),
                    rate,
                    target,
                });
            }
        }
    }

    let mut exclusions = Vec::new();
    for (e, st) in s.exemptions.iter().zip(&w.excl_windows) {
        if st.count > 0 {
            exclusions.push(ExclusionCount {
                reason: ExclusionReason::ExemptionWindow,
                clause: Some(e.clause.clone()),
                detail: format!("clause {}: {} ({} to {})", e.clause, e.note, e.start, e.end),
                count: st.count,
                examples: st.examples.to_vec(),
            });
        }
    }
    for (tag, st) in &w.excl_tags {
        exclusions.push(ExclusionCount {
            reason: ExclusionReason::ExemptTag,
            clause: Some(tag.clone()),
            detail: format!("marked exempt: {tag}"),
            count: st.count,
            examples: st.examples.to_vec(),
        });
    }
    if w.excl_tags_other.count > 0 {
        exclusions.push(ExclusionCount {
            reason: ExclusionReason::ExemptTag,
            clause: None,
            detail: "marked exempt: other tags".into(),
            count: w.excl_tags_other.count,
            examples: w.excl_tags_other.examples.to_vec(),
        });
    }
    for (reason, st, detail) in [
        (
            ExclusionReason::UserCause,
            &w.excl_user,
            "failure of user/handset-side cause",
        ),
        (
            ExclusionReason::SpCause,
            &w.excl_sp,
            "failure of SP-side (Party A) cause",
        ),
    ] {
        if st.count > 0 {
            exclusions.push(ExclusionCount {
                reason,
                clause: None,
                detail: detail.into(),
                count: st.count,
                examples: st.examples.to_vec(),
            });
        }
    }

    let share = |n| Rate::new(n, w.failed);
    let mut codes: Vec<CodeCount> = w
        .codes
        .results
        .iter()
        .map(|(c, (n, cl))| (format!("result {c}"), *cl, *n))
        .chain(w.codes.stats.iter().map(|(c, (n, cl))| {
            (
                if c.is_empty() {
                    "(no state)".into()
                } else {
                    c.clone()
                },
                *cl,
                *n,
            )
        }))
        .chain(
            [
                ("no response", w.failed_kind[1]),
                ("no report within deadline", w.failed_kind[3]),
                ("report after deadline", w.failed_kind[4]),
            ]
            .into_iter()
            .map(|(c, n)| (c.to_string(), CauseClass::Unknown, n)),
        )
        .chain(std::iter::once((
            "other".to_string(),
            CauseClass::Unknown,
            w.codes.other,
        )))
        .filter(|(_, _, n)| *n > 0)
        .map(|(code, class, count)| CodeCount {
            code,
            class,
            count,
            share: share(count),
        })
        .collect();
    codes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));

    let daily = days
        .map(|i| {
            let d = a.days[i];
            DayResult {
                date: a.calendar.date(i),
                counted: d.counted,
                failed: d.failed,
                timely: d.timely,
                success_rate: Rate::new(d.counted - d.failed, d.counted),
                timeliness_rate: Rate::new(d.timely, d.counted),
            }
        })
        .collect();

    let excluded = w.excluded();
    WindowResult {
        label,
        start,
        end,
        total: w.counted + excluded + w.pending,
        refused: w.refused,
        pending: w.pending,
        excluded,
        counted: w.counted,
        delivered: w.counted - w.failed,
        failed: w.failed,
        timely: w.timely,
        failed_by_class: FailedByClass {
            carrier: w.failed_carrier,
            unknown: w.failed_unknown,
        },
        failed_by_kind: FailedByKind {
            submit_rejected: w.failed_kind[0],
            no_response: w.failed_kind[1],
            report_failed: w.failed_kind[2],
            no_report: w.failed_kind[3],
            late_report: w.failed_kind[4],
        },
        exclusions,
        success_rate,
        timeliness_rate,
        success_met,
        timeliness_met,
        breaches,
        response_latency: w.response.summary(),
        report_latency: w.report.summary(),
        failures_by_code: codes,
        daily,
        pending_examples: w.pending_examples.to_vec(),
    }
}

pub(crate) fn build(a: &Aggregator) -> SlaReport {
    let zone = a.calendar.zone();
    let windows: Vec<WindowResult> = a
        .calendar
        .spans()
        .iter()
        .zip(&a.windows)
        .map(|(span, w)| {
            window_result(
                a,
                w,
                span.label.clone(),
                span.start,
                span.end,
                span.first_day..span.end_day,
                true,
            )
        })
        .collect();
    let mut all = a.windows.first().cloned().unwrap_or_default();
    for w in a.windows.iter().skip(1) {
        all.merge(w);
    }
    let (from, until) = (a.from.with_timezone(&zone), a.until.with_timezone(&zone));
    let overall_label = format!(
        "{}..{}",
        from.date_naive(),
        (until - chrono::TimeDelta::nanoseconds(1)).date_naive()
    );
    let overall = window_result(a, &all, overall_label, from, until, 0..a.days.len(), false);
    let exemptions = a
        .settings
        .exemptions
        .iter()
        .enumerate()
        .map(|(i, e)| ExemptionApplied {
            clause: e.clause.clone(),
            note: e.note.clone(),
            start: e.start,
            end: e.end,
            messages: a
                .windows
                .iter()
                .map(|w| w.excl_windows.get(i).map_or(0, |s| s.count))
                .sum(),
        })
        .collect();
    SlaReport {
        schema_version: SCHEMA_VERSION,
        from,
        until,
        as_of: a.as_of,
        settings: a.settings.clone(),
        readings: a.settings.readings(),
        breaches: windows.iter().flat_map(|w| w.breaches.clone()).collect(),
        overall,
        windows,
        exemptions,
        refused_without_time: a.refused_without_time,
        unplaced: a.unplaced,
        outside_range: a.outside,
    }
}
