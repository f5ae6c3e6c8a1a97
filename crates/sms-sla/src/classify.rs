//! How one record counts: the contract's counting rules as a pure function.

use crate::settings::{SlaSettings, StatusBasis};
use chrono::{DateTime, TimeDelta, Utc};
use sms_records::{class_of_report_stat, class_of_submit_result, CauseClass, FinalState, Record};
use std::collections::{BTreeMap, HashMap};

/// Why a message is left out of both rates (and listed in the report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exclusion {
    /// Clauses 7.1–7.4: submitted inside the exemption window with this index
    /// in [`SlaSettings::exemptions`].
    Window(usize),
    /// Counting rules: the record carries an `exempt` tag.
    Tag,
    /// Counting rules: failed for a user/handset-side cause.
    UserCause,
    /// Counting rules: failed for an SP-side (Party A) cause.
    SpCause,
}

/// What made a counted message fail against Party B (clause 3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// A non-zero submit result of carrier or unknown cause.
    SubmitRejected(u32),
    /// No submit response at all.
    NoResponse,
    /// A status report of carrier or unknown cause.
    ReportFailed,
    /// No status report within the report deadline.
    NoReport,
    /// A status report that came after the report deadline (counts as missing).
    LateReport,
}

/// A failure against Party B and its cause class (`Carrier` or `Unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// What happened.
    pub kind: FailureKind,
    /// Carrier or unknown; unknown counts against Party B.
    pub class: CauseClass,
}

/// A message that counts in both rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// `Some` when the message failed against Party B.
    pub failure: Option<Failure>,
    /// Clause 3.8: its status came back within the threshold (inclusive).
    pub timely: bool,
    /// Submit → response latency, when known.
    pub response_latency: Option<TimeDelta>,
    /// Submit → status-report latency, when known.
    pub report_latency: Option<TimeDelta>,
}

/// How one record counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Refused by the sending policy: never sent, outside the SLA (shown for information).
    Refused,
    /// No submit time: it was never written to the link, so it belongs to no window.
    Unplaced,
    /// Left out of both rates, for this reason.
    Excluded(Exclusion),
    /// Still awaiting its outcome and not yet past the report deadline at `as_of`.
    Pending,
    /// Counted in both rates.
    Counted(Counted),
}

/// The settings compiled for fast, repeated classification at one `as_of` time.
#[derive(Debug, Clone)]
pub struct Classifier {
    threshold: TimeDelta,
    deadline: TimeDelta,
    basis: StatusBasis,
    /// Records submitted before this instant are past the deadline at `as_of`.
    deadline_cutoff: DateTime<Utc>,
    exemptions: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    report_overrides: HashMap<String, CauseClass>,
    submit_overrides: BTreeMap<u32, CauseClass>,
}

impl Classifier {
    /// Compiles `settings` for evaluation as of `as_of` (the time the data was taken).
    ///
    /// The settings are assumed valid ([`SlaSettings::validate`]); out-of-range
    /// values are clamped, and submit overrides that are not numbers are ignored.
    pub fn new(settings: &SlaSettings, as_of: DateTime<Utc>) -> Self {
        let deadline = settings.report_deadline();
        Classifier {
            threshold: settings.threshold(),
            deadline,
            basis: settings.status_basis,
            deadline_cutoff: as_of.checked_sub_signed(deadline).unwrap_or(as_of),
            exemptions: settings
                .exemptions
                .iter()
                .map(|e| (e.start.to_utc(), e.end.to_utc()))
                .collect(),
            report_overrides: settings
                .class_overrides
                .report
                .iter()
                .map(|(k, v)| (k.trim().to_string(), *v))
                .collect(),
            submit_overrides: settings
                .class_overrides
                .submit
                .iter()
                .filter_map(|(k, v)| Some((k.trim().parse().ok()?, *v)))
                .collect(),
        }
    }

    /// Clause 7.1: the cause class of a submit result (override, else the
    /// record's own class, else the default table).
    pub fn submit_class(&self, result: u32, recorded: Option<CauseClass>) -> CauseClass {
        if let Some(c) = self.submit_overrides.get(&result) {
            return *c;
        }
        recorded.unwrap_or_else(|| class_of_submit_result(result))
    }

    /// Clause 7.1: the cause class of a report state (override, else the
    /// record's own class, else the default table; no state at all is unknown).
    pub fn report_class(&self, stat: Option<&str>, recorded: Option<CauseClass>) -> CauseClass {
        if let Some(stat) = stat {
            if !self.report_overrides.is_empty() {
                let key = stat.trim_end_matches(['\0', ' ']);
                if let Some(c) = self.report_overrides.get(key) {
                    return *c;
                }
            }
        }
        match (recorded, stat) {
            (Some(c), _) => c,
            (None, Some(s)) => class_of_report_stat(s),
            (None, None) => CauseClass::Unknown,
        }
    }

    /// Applies the counting rules of contract.md to one record.
    ///
    /// Order: refused; no submit time; exemption window (7.1–7.4); exempt tag;
    /// non-zero submit result (user/SP cause excluded, carrier/unknown failed);
    /// status report (late → failed; delivered → success; user/SP excluded;
    /// carrier/unknown failed); no report: pending until the deadline has passed
    /// at `as_of` unless the record is already final, then failed (no response,
    /// or no report).
    pub fn classify(&self, r: &Record) -> Outcome {
        if r.final_state == FinalState::Refused {
            return Outcome::Refused;
        }
        let Some(submitted) = r.submitted_at else {
            return Outcome::Unplaced;
        };
        if let Some(i) = self
            .exemptions
            .iter()
            .position(|(s, e)| *s <= submitted && submitted < *e)
        {
            return Outcome::Excluded(Exclusion::Window(i));
        }
        if r.exempt.as_deref().is_some_and(|t| !t.trim().is_empty()) {
            return Outcome::Excluded(Exclusion::Tag);
        }
        let response_latency = r.responded_at.map(|t| elapsed(t, submitted));
        let report_latency = r.reported_at.map(|t| elapsed(t, submitted));
        let within = |d: Option<TimeDelta>| d.is_some_and(|d| d <= self.threshold);
        let counted = |failure: Option<Failure>, status: Option<TimeDelta>| {
            Outcome::Counted(Counted {
                failure,
                timely: within(status),
                response_latency,
                report_latency,
            })
        };
        let basis_latency = match self.basis {
            StatusBasis::Report => report_latency,
            StatusBasis::Response => response_latency,
        };

        if let Some(result) = r.resp_result.filter(|&x| x != 0) {
            let class = match self.submit_class(result, r.resp_class) {
                // A rejected submit cannot have been delivered; a table that says so
                // is read as "unknown", which counts against Party B.
                CauseClass::Delivered | CauseClass::Unknown => CauseClass::Unknown,
                c => c,
            };
            return match class {
                CauseClass::User => Outcome::Excluded(Exclusion::UserCause),
                CauseClass::Sp => Outcome::Excluded(Exclusion::SpCause),
                _ => {
                    // The rejecting response is the final status: no report follows.
                    let status = match self.basis {
                        StatusBasis::Report => report_latency.or(response_latency),
                        StatusBasis::Response => response_latency,
                    };
                    counted(
                        Some(Failure {
                            kind: FailureKind::SubmitRejected(result),
                            class,
                        }),
                        status,
                    )
                }
            };
        }

        if r.reported_at.is_some() || r.report_stat.is_some() {
            if report_latency.is_some_and(|d| d > self.deadline) {
                return counted(
                    Some(Failure {
                        kind: FailureKind::LateReport,
                        class: CauseClass::Unknown,
                    }),
                    basis_latency,
                );
            }
            return match self.report_class(r.report_stat.as_deref(), r.report_class) {
                CauseClass::Delivered => counted(None, basis_latency),
                CauseClass::User => Outcome::Excluded(Exclusion::UserCause),
                CauseClass::Sp => Outcome::Excluded(Exclusion::SpCause),
                class => counted(
                    Some(Failure {
                        kind: FailureKind::ReportFailed,
                        class,
                    }),
                    basis_latency,
                ),
            };
        }

        // No report. A record still open waits for the deadline; a final one
        // (failed, expired, unknown; or "delivered" without any report) counts now.
        let past_deadline = submitted < self.deadline_cutoff;
        if r.final_state == FinalState::Pending && !past_deadline {
            return Outcome::Pending;
        }
        let kind = if r.resp_result.is_none() && r.responded_at.is_none() {
            FailureKind::NoResponse
        } else {
            FailureKind::NoReport
        };
        counted(
            Some(Failure {
                kind,
                class: CauseClass::Unknown,
            }),
            basis_latency,
        )
    }
}

/// `later - earlier`; when both fall on the same UTC date only the times of day are
/// subtracted, which skips chrono's calendar arithmetic (the common case by far).
#[inline]
fn elapsed(later: DateTime<Utc>, earlier: DateTime<Utc>) -> TimeDelta {
    let (a, b) = (later.naive_utc(), earlier.naive_utc());
    if a.date() == b.date() {
        a.time() - b.time()
    } else {
        a - b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Exemption;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap()
    }
    fn as_of() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 10, 0, 0, 0).unwrap()
    }
    fn ms(n: i64) -> TimeDelta {
        TimeDelta::milliseconds(n)
    }
    /// Accepted at +50 ms, report `stat` at +`report_ms`.
    fn rec(stat: &str, report_ms: i64) -> Record {
        let mut r = Record::new("m1");
        r.submitted_at = Some(t0());
        r.responded_at = Some(t0() + ms(50));
        r.resp_result = Some(0);
        r.reported_at = Some(t0() + ms(report_ms));
        r.report_stat = Some(stat.to_string());
        r.final_state = if stat == "DELIVRD" {
            FinalState::Delivered
        } else {
            FinalState::Failed
        };
        r
    }
    fn classify(r: &Record) -> Outcome {
        Classifier::new(&SlaSettings::default(), as_of()).classify(r)
    }
    fn counted(o: Outcome) -> Counted {
        match o {
            Outcome::Counted(c) => c,
            other => panic!("expected counted, got {other:?}"),
        }
    }

    #[test]
    fn elapsed_matches_chrono_within_and_across_days() {
        let a = Utc.with_ymd_and_hms(2026, 3, 10, 23, 59, 58).unwrap() + TimeDelta::nanoseconds(7);
        for d in [
            TimeDelta::zero(),
            ms(1),
            TimeDelta::nanoseconds(999_999_993),
            ms(1_500),
            ms(2_000),
            TimeDelta::hours(30),
            ms(-3_000),
            TimeDelta::days(-40),
        ] {
            assert_eq!(elapsed(a + d, a), d, "{d}");
            assert_eq!(elapsed(a + d, a), (a + d) - a);
        }
    }

    #[test]
    fn delivered_at_exactly_seven_seconds_is_timely() {
        let c = counted(classify(&rec("DELIVRD", 7_000)));
        assert_eq!(c.failure, None);
        assert!(c.timely);
        assert_eq!(c.report_latency, Some(ms(7_000)));
    }

    #[test]
    fn one_millisecond_later_is_late() {
        let c = counted(classify(&rec("DELIVRD", 7_001)));
        assert_eq!(c.failure, None);
        assert!(!c.timely);
        // Sub-millisecond: the exact duration is compared, not a rounded one.
        let mut r = rec("DELIVRD", 7_000);
        r.reported_at = Some(t0() + TimeDelta::microseconds(7_000_001));
        assert!(!counted(classify(&r)).timely);
    }

    #[test]
    fn carrier_failure_in_time_is_failed_but_timely() {
        let c = counted(classify(&rec("MB:0008", 2_000)));
        assert_eq!(
            c.failure,
            Some(Failure {
                kind: FailureKind::ReportFailed,
                class: CauseClass::Carrier
            })
        );
        assert!(c.timely);
    }

    #[test]
    fn unknown_cause_counts_against_party_b() {
        let c = counted(classify(&rec("MK:0000", 2_000)));
        assert_eq!(c.failure.unwrap().class, CauseClass::Unknown);
        let mut r = rec("DELIVRD", 1_000);
        r.report_stat = None;
        r.report_class = None;
        assert_eq!(
            counted(classify(&r)).failure.unwrap().class,
            CauseClass::Unknown
        );
    }

    #[test]
    fn user_and_sp_causes_are_excluded() {
        assert_eq!(
            classify(&rec("MK:0024", 2_000)),
            Outcome::Excluded(Exclusion::UserCause)
        );
        assert_eq!(
            classify(&rec("DB:0141", 2_000)),
            Outcome::Excluded(Exclusion::SpCause)
        );
        let mut r = rec("DELIVRD", 1_000);
        r.resp_result = Some(4);
        r.reported_at = None;
        r.report_stat = None;
        assert_eq!(classify(&r), Outcome::Excluded(Exclusion::SpCause));
    }

    #[test]
    fn record_class_and_overrides_take_precedence() {
        let mut r = rec("MB:0008", 1_000);
        r.report_class = Some(CauseClass::User);
        assert_eq!(classify(&r), Outcome::Excluded(Exclusion::UserCause));
        let mut s = SlaSettings::default();
        s.class_overrides
            .report
            .insert("MB:0008".into(), CauseClass::Sp);
        s.class_overrides
            .submit
            .insert("8".into(), CauseClass::User);
        let c = Classifier::new(&s, as_of());
        assert_eq!(c.classify(&r), Outcome::Excluded(Exclusion::SpCause));
        let mut r = rec("DELIVRD", 1_000);
        r.resp_result = Some(8);
        assert_eq!(c.classify(&r), Outcome::Excluded(Exclusion::UserCause));
    }

    #[test]
    fn carrier_submit_rejection_fails_with_its_response_as_status() {
        let mut r = Record::new("x");
        r.submitted_at = Some(t0());
        r.responded_at = Some(t0() + ms(30));
        r.resp_result = Some(9);
        r.final_state = FinalState::Failed;
        let c = counted(classify(&r));
        assert_eq!(
            c.failure,
            Some(Failure {
                kind: FailureKind::SubmitRejected(9),
                class: CauseClass::Carrier
            })
        );
        assert!(c.timely);
        r.resp_result = Some(99);
        assert_eq!(
            counted(classify(&r)).failure.unwrap().class,
            CauseClass::Unknown
        );
    }

    #[test]
    fn no_response_is_failed_and_late() {
        let mut r = Record::new("x");
        r.submitted_at = Some(t0());
        r.final_state = FinalState::Unknown;
        let c = counted(classify(&r));
        assert_eq!(c.failure.unwrap().kind, FailureKind::NoResponse);
        assert!(!c.timely);
    }

    #[test]
    fn report_after_the_deadline_is_failed() {
        let deadline = 72 * 3_600_000;
        let c = counted(classify(&rec("DELIVRD", deadline)));
        assert_eq!(c.failure, None, "exactly at the deadline is within it");
        let c = counted(classify(&rec("DELIVRD", deadline + 1)));
        assert_eq!(c.failure.unwrap().kind, FailureKind::LateReport);
        assert!(!c.timely);
    }

    #[test]
    fn pending_until_the_deadline_then_failed() {
        let mut r = rec("DELIVRD", 0);
        r.reported_at = None;
        r.report_stat = None;
        r.final_state = FinalState::Pending;
        let at = |r: &Record, as_of| Classifier::new(&SlaSettings::default(), as_of).classify(r);
        assert_eq!(at(&r, t0() + TimeDelta::hours(72)), Outcome::Pending);
        let c = counted(at(&r, t0() + TimeDelta::hours(72) + ms(1)));
        assert_eq!(c.failure.unwrap().kind, FailureKind::NoReport);
        // A final record without a report counts now.
        r.final_state = FinalState::Expired;
        assert_eq!(
            counted(at(&r, t0() + TimeDelta::hours(1)))
                .failure
                .unwrap()
                .kind,
            FailureKind::NoReport
        );
    }

    #[test]
    fn exemptions_and_tags_exclude() {
        let mut s = SlaSettings::default();
        let bj = sms_records::beijing();
        s.exemptions.push(Exemption {
            start: bj.with_ymd_and_hms(2026, 3, 10, 10, 0, 0).unwrap(),
            end: bj.with_ymd_and_hms(2026, 3, 10, 11, 0, 0).unwrap(),
            clause: "7.1".into(),
            note: "power cut".into(),
        });
        let c = Classifier::new(&s, as_of());
        // t0 = 02:00Z = 10:00 Beijing: the start is inclusive.
        let r = rec("MB:0008", 1_000);
        assert_eq!(c.classify(&r), Outcome::Excluded(Exclusion::Window(0)));
        let mut late = r.clone();
        late.submitted_at = Some(t0() + TimeDelta::hours(1));
        late.reported_at = None;
        late.report_stat = None;
        late.final_state = FinalState::Expired;
        assert!(
            matches!(c.classify(&late), Outcome::Counted(_)),
            "end is exclusive"
        );
        let mut tagged = rec("MB:0008", 1_000);
        tagged.exempt = Some("7.2".into());
        assert_eq!(classify(&tagged), Outcome::Excluded(Exclusion::Tag));
    }

    #[test]
    fn refused_and_unplaced() {
        let mut r = Record::new("x");
        r.final_state = FinalState::Refused;
        assert_eq!(classify(&r), Outcome::Refused);
        r.final_state = FinalState::Failed;
        assert_eq!(classify(&r), Outcome::Unplaced);
    }

    #[test]
    fn response_basis_times_the_response() {
        let s = SlaSettings {
            status_basis: StatusBasis::Response,
            ..SlaSettings::default()
        };
        let c = Classifier::new(&s, as_of());
        let o = c.classify(&rec("DELIVRD", 60_000));
        assert!(counted(o).timely);
    }
}
