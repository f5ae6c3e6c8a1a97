//! Mergeable, constant-memory aggregation of records into per-window counts.

use crate::calendar::Calendar;
use crate::classify::{Classifier, Exclusion, FailureKind, Outcome};
use crate::histogram::LatencyHistogram;
use crate::settings::SlaSettings;
use crate::SlaError;
use chrono::{DateTime, FixedOffset, Utc};
use sms_records::{CauseClass, Record};
use std::collections::{BTreeMap, BTreeSet};

/// Most distinct failure codes (and exempt tags) kept per window; the rest are
/// folded into "other". Below the cap every split of the input merges to the
/// same figures; above it, which codes are folded may depend on the order.
pub const CODE_CAP: usize = 256;
/// Example message ids kept per list (the smallest ids, so merging is exact).
pub const SAMPLE_CAP: usize = 10;

/// The smallest `SAMPLE_CAP` ids seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Samples(BTreeSet<String>);

impl Samples {
    fn add(&mut self, id: &str) {
        if self.0.len() < SAMPLE_CAP {
            if !self.0.contains(id) {
                self.0.insert(id.to_string());
            }
        } else if self.0.last().is_some_and(|l| id < l.as_str()) && !self.0.contains(id) {
            self.0.insert(id.to_string());
            self.0.pop_last();
        }
    }
    fn merge(&mut self, other: &Samples) {
        for id in &other.0 {
            self.add(id);
        }
    }
    pub(crate) fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

/// Count and examples of one exclusion reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExclStat {
    pub(crate) count: u64,
    pub(crate) examples: Samples,
}

impl ExclStat {
    fn add(&mut self, id: &str) {
        self.count += 1;
        self.examples.add(id);
    }
    fn merge(&mut self, o: &ExclStat) {
        self.count += o.count;
        self.examples.merge(&o.examples);
    }
}

/// Per-day counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DayAgg {
    pub(crate) counted: u64,
    pub(crate) failed: u64,
    pub(crate) timely: u64,
}

/// Failure counts by code, bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Codes {
    pub(crate) results: BTreeMap<u32, (u64, CauseClass)>,
    pub(crate) stats: BTreeMap<String, (u64, CauseClass)>,
    pub(crate) other: u64,
}

impl Codes {
    fn distinct(&self) -> usize {
        self.results.len() + self.stats.len()
    }
    fn add_result(&mut self, code: u32, class: CauseClass, n: u64) {
        if let Some(e) = self.results.get_mut(&code) {
            e.0 += n;
            e.1 = e.1.max(class);
        } else if self.distinct() < CODE_CAP {
            self.results.insert(code, (n, class));
        } else {
            self.other += n;
        }
    }
    fn add_stat(&mut self, stat: &str, class: CauseClass, n: u64) {
        if let Some(e) = self.stats.get_mut(stat) {
            e.0 += n;
            e.1 = e.1.max(class);
        } else if self.distinct() < CODE_CAP {
            self.stats.insert(stat.to_string(), (n, class));
        } else {
            self.other += n;
        }
    }
    fn merge(&mut self, o: &Codes) {
        for (k, (n, c)) in &o.results {
            self.add_result(*k, *c, *n);
        }
        for (k, (n, c)) in &o.stats {
            self.add_stat(k, *c, *n);
        }
        self.other += o.other;
    }
}

/// Counters of one window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WindowAgg {
    pub(crate) refused: u64,
    pub(crate) pending: u64,
    pub(crate) pending_examples: Samples,
    pub(crate) counted: u64,
    pub(crate) failed: u64,
    pub(crate) timely: u64,
    pub(crate) failed_carrier: u64,
    pub(crate) failed_unknown: u64,
    /// submit_rejected, no_response, report_failed, no_report, late_report.
    pub(crate) failed_kind: [u64; 5],
    pub(crate) excl_windows: Vec<ExclStat>,
    pub(crate) excl_user: ExclStat,
    pub(crate) excl_sp: ExclStat,
    pub(crate) excl_tags: BTreeMap<String, ExclStat>,
    pub(crate) excl_tags_other: ExclStat,
    pub(crate) response: LatencyHistogram,
    pub(crate) report: LatencyHistogram,
    pub(crate) codes: Codes,
}

impl WindowAgg {
    fn new(exemptions: usize) -> Self {
        WindowAgg {
            excl_windows: vec![ExclStat::default(); exemptions],
            ..Default::default()
        }
    }

    pub(crate) fn excluded(&self) -> u64 {
        self.excl_windows.iter().map(|e| e.count).sum::<u64>()
            + self.excl_user.count
            + self.excl_sp.count
            + self.excl_tags.values().map(|e| e.count).sum::<u64>()
            + self.excl_tags_other.count
    }

    pub(crate) fn merge(&mut self, o: &WindowAgg) {
        self.refused += o.refused;
        self.pending += o.pending;
        self.pending_examples.merge(&o.pending_examples);
        self.counted += o.counted;
        self.failed += o.failed;
        self.timely += o.timely;
        self.failed_carrier += o.failed_carrier;
        self.failed_unknown += o.failed_unknown;
        for (a, b) in self.failed_kind.iter_mut().zip(o.failed_kind) {
            *a += b;
        }
        if self.excl_windows.len() < o.excl_windows.len() {
            self.excl_windows
                .resize(o.excl_windows.len(), ExclStat::default());
        }
        for (a, b) in self.excl_windows.iter_mut().zip(&o.excl_windows) {
            a.merge(b);
        }
        self.excl_user.merge(&o.excl_user);
        self.excl_sp.merge(&o.excl_sp);
        for (tag, s) in &o.excl_tags {
            if let Some(mine) = self.excl_tags.get_mut(tag) {
                mine.merge(s);
            } else if self.excl_tags.len() < CODE_CAP {
                self.excl_tags.insert(tag.clone(), s.clone());
            } else {
                self.excl_tags_other.merge(s);
            }
        }
        self.excl_tags_other.merge(&o.excl_tags_other);
        self.response.merge(&o.response);
        self.report.merge(&o.report);
        self.codes.merge(&o.codes);
    }
}

/// Aggregates records over `[from, until)` into per-window and per-day counts.
///
/// Memory does not grow with the number of records: counters, fixed-size
/// histograms, bounded code maps and example lists. Split the records any way,
/// aggregate each part, [`merge`](Aggregator::merge) the parts: the report is
/// the same as from one pass.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use sms_records::{FinalState, Record};
/// use sms_sla::{Aggregator, SlaSettings};
///
/// // March 2026 in Beijing time; 100 delivered messages, one reported after 7.5 s.
/// let from = sms_time::to_beijing(sms_time::Month::new(2026, 3).unwrap().start());
/// let until = sms_time::to_beijing(sms_time::Month::new(2026, 4).unwrap().start());
/// let as_of = Utc.with_ymd_and_hms(2026, 4, 10, 0, 0, 0).unwrap();
/// let mut sla = Aggregator::new(&SlaSettings::default(), from, until, as_of)?;
/// for i in 0..100 {
///     let sent = Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap();
///     let mut r = Record::new(format!("m-{i}"));
///     r.submitted_at = Some(sent);
///     r.responded_at = Some(sent + Duration::milliseconds(40));
///     r.resp_result = Some(0);
///     r.reported_at = Some(sent + Duration::milliseconds(if i == 0 { 7_500 } else { 900 }));
///     r.report_stat = Some("DELIVRD".into());
///     r.final_state = FinalState::Delivered;
///     sla.add(&r);
/// }
/// let report = sla.report();
/// let march = &report.windows[0];
/// assert_eq!(march.success_rate.unwrap().to_string(), "100.00%");
/// assert_eq!(march.timeliness_rate.unwrap().to_string(), "99.00%"); // clause 3.8: ≥ 98% met
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Aggregator {
    pub(crate) settings: SlaSettings,
    pub(crate) from: DateTime<FixedOffset>,
    pub(crate) until: DateTime<FixedOffset>,
    pub(crate) as_of: DateTime<Utc>,
    classifier: Classifier,
    pub(crate) calendar: Calendar,
    pub(crate) windows: Vec<WindowAgg>,
    pub(crate) days: Vec<DayAgg>,
    /// Refused records with no submit time (never placed in a window).
    pub(crate) refused_without_time: u64,
    /// Other records with no submit time.
    pub(crate) unplaced: u64,
    /// Records submitted outside `[from, until)`.
    pub(crate) outside: u64,
    /// The day of the last record placed, `[start, end)` and its `(window, day)`:
    /// records come mostly in time order, so most are placed by two comparisons.
    cached_day: (DateTime<Utc>, DateTime<Utc>, (usize, usize)),
}

impl Aggregator {
    /// An empty aggregation of `[from, until)` evaluated as of `as_of`.
    pub fn new(
        settings: &SlaSettings,
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        as_of: DateTime<Utc>,
    ) -> Result<Self, SlaError> {
        settings.validate()?;
        let calendar = Calendar::new(from, until, settings.window, settings.utc_offset)?;
        let n = settings.exemptions.len();
        Ok(Aggregator {
            settings: settings.clone(),
            from,
            until,
            as_of,
            classifier: Classifier::new(settings, as_of),
            windows: vec![WindowAgg::new(n); calendar.spans().len()],
            days: vec![DayAgg::default(); calendar.days()],
            calendar,
            refused_without_time: 0,
            unplaced: 0,
            outside: 0,
            // Empty: the first record fills it.
            cached_day: (from.to_utc(), from.to_utc(), (0, 0)),
        })
    }

    /// Adds one record.
    #[inline]
    pub fn add(&mut self, r: &Record) {
        let Some(submitted) = r.submitted_at else {
            if r.final_state == sms_records::FinalState::Refused {
                self.refused_without_time += 1;
            } else {
                self.unplaced += 1;
            }
            return;
        };
        let (lo, hi, place) = self.cached_day;
        let (w, d) = if lo <= submitted && submitted < hi {
            place
        } else {
            let Some(place) = self.calendar.place(submitted) else {
                self.outside += 1;
                return;
            };
            let (lo, hi) = self.calendar.day_bounds(place.1);
            self.cached_day = (lo, hi, place);
            place
        };
        let win = &mut self.windows[w];
        match self.classifier.classify(r) {
            Outcome::Refused => win.refused += 1,
            // Unreachable with a submit time; counted as outside the SLA to be safe.
            Outcome::Unplaced => self.unplaced += 1,
            Outcome::Pending => {
                win.pending += 1;
                win.pending_examples.add(&r.local_id);
            }
            Outcome::Excluded(e) => match e {
                Exclusion::Window(i) => {
                    if let Some(s) = win.excl_windows.get_mut(i) {
                        s.add(&r.local_id);
                    }
                }
                Exclusion::UserCause => win.excl_user.add(&r.local_id),
                Exclusion::SpCause => win.excl_sp.add(&r.local_id),
                Exclusion::Tag => {
                    let tag = r.exempt.as_deref().unwrap_or("").trim();
                    if let Some(s) = win.excl_tags.get_mut(tag) {
                        s.add(&r.local_id);
                    } else if win.excl_tags.len() < CODE_CAP {
                        let mut s = ExclStat::default();
                        s.add(&r.local_id);
                        win.excl_tags.insert(tag.to_string(), s);
                    } else {
                        win.excl_tags_other.add(&r.local_id);
                    }
                }
            },
            Outcome::Counted(c) => {
                let day = &mut self.days[d];
                win.counted += 1;
                day.counted += 1;
                if c.timely {
                    win.timely += 1;
                    day.timely += 1;
                }
                if let Some(l) = c.response_latency {
                    win.response.add(l);
                }
                if let Some(l) = c.report_latency {
                    win.report.add(l);
                }
                if let Some(f) = c.failure {
                    win.failed += 1;
                    day.failed += 1;
                    if f.class == CauseClass::Carrier {
                        win.failed_carrier += 1;
                    } else {
                        win.failed_unknown += 1;
                    }
                    let k = match f.kind {
                        FailureKind::SubmitRejected(code) => {
                            win.codes.add_result(code, f.class, 1);
                            0
                        }
                        FailureKind::NoResponse => 1,
                        FailureKind::ReportFailed => {
                            let stat = r
                                .report_stat
                                .as_deref()
                                .unwrap_or("")
                                .trim_end_matches(['\0', ' ']);
                            win.codes.add_stat(stat, f.class, 1);
                            2
                        }
                        FailureKind::NoReport => 3,
                        FailureKind::LateReport => 4,
                    };
                    win.failed_kind[k] += 1;
                }
            }
        }
    }

    /// Adds every record of an iterator.
    pub fn extend<'a, I: IntoIterator<Item = &'a Record>>(&mut self, records: I) {
        for r in records {
            self.add(r);
        }
    }

    /// Adds the counts of another aggregation of the same range and settings.
    pub fn merge(&mut self, other: &Aggregator) -> Result<(), SlaError> {
        if self.settings != other.settings
            || self.from != other.from
            || self.until != other.until
            || self.as_of != other.as_of
        {
            return Err(SlaError::Mismatch);
        }
        for (a, b) in self.windows.iter_mut().zip(&other.windows) {
            a.merge(b);
        }
        for (a, b) in self.days.iter_mut().zip(&other.days) {
            a.counted += b.counted;
            a.failed += b.failed;
            a.timely += b.timely;
        }
        self.refused_without_time += other.refused_without_time;
        self.unplaced += other.unplaced;
        self.outside += other.outside;
        Ok(())
    }

    /// The report of everything added so far.
    pub fn report(&self) -> crate::SlaReport {
        crate::report::build(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use sms_records::FinalState;

    /// The cached day must never place a record in the wrong day or window: records
    /// jump back and forth across Beijing midnights, month ends and the range ends.
    #[test]
    fn cached_day_places_like_the_calendar_in_any_order() {
        let bj = sms_records::beijing();
        let from = bj.with_ymd_and_hms(2026, 3, 30, 0, 0, 0).unwrap();
        let until = bj.with_ymd_and_hms(2026, 4, 3, 0, 0, 0).unwrap();
        let as_of = until.to_utc() + TimeDelta::days(5);
        let settings = SlaSettings {
            window: crate::settings::Window::Day,
            ..SlaSettings::default()
        };
        let midnight = bj.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap().to_utc();
        let offsets_ms = [
            -1,
            0,
            -86_400_000,
            1,
            86_399_999,
            -1,
            86_400_000,
            -172_800_001,
            -172_800_000,
            172_799_999,
            172_800_000,
            5,
            -2,
        ];
        let mut agg = Aggregator::new(&settings, from, until, as_of).unwrap();
        let cal = Calendar::new(from, until, settings.window, settings.utc_offset).unwrap();
        let mut days = vec![0u64; cal.days()];
        let mut outside = 0;
        for (i, off) in offsets_ms.iter().enumerate() {
            let at = midnight + TimeDelta::milliseconds(*off);
            let mut r = Record::new(format!("m{i}"));
            r.submitted_at = Some(at);
            r.final_state = FinalState::Expired;
            agg.add(&r);
            match cal.place(at) {
                Some((_, d)) => days[d] += 1,
                None => outside += 1,
            }
        }
        assert_eq!(outside, 2, "one record before the range, one at its end");
        assert_eq!(agg.outside, outside);
        let got: Vec<u64> = agg.days.iter().map(|d| d.counted).collect();
        assert_eq!(got, days);
        assert_eq!(got, [1, 4, 4, 2]);
        let per_window: Vec<u64> = agg.windows.iter().map(|w| w.counted).collect();
        assert_eq!(per_window, days);
    }
}
