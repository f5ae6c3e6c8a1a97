//! Windows and days of an evaluated range, in the contract's zone.

use crate::settings::Window;
use crate::SlaError;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, TimeZone, Utc};

/// Longest range accepted (about 11 years): the per-day series is allocated up front.
pub const MAX_DAYS: i64 = 4_000;

const DAY_S: i64 = 86_400;

/// One evaluation window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// e.g. `2026-03`, `2026-03-05`, `2026-01-01..2026-03-31`.
    pub label: String,
    /// Start, inclusive.
    pub start: DateTime<FixedOffset>,
    /// End, exclusive.
    pub end: DateTime<FixedOffset>,
    /// Index of its first day in the range's day series.
    pub first_day: usize,
    /// One past the index of its last day.
    pub end_day: usize,
}

/// The windows and days of `[from, until)`; placing a timestamp is integer arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    zone: FixedOffset,
    offset_s: i64,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    first_day: i64,
    spans: Vec<Span>,
    day_window: Vec<u32>,
}

fn local_day(t: DateTime<Utc>, offset_s: i64) -> i64 {
    (t.timestamp() + offset_s).div_euclid(DAY_S)
}

fn midnight(zone: FixedOffset, date: NaiveDate) -> Result<DateTime<FixedOffset>, SlaError> {
    zone.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .single()
        .ok_or_else(|| SlaError::Range(format!("no midnight for {date}")))
}

impl Calendar {
    /// Splits `[from, until)` into windows of `kind` in `zone`.
    pub fn new(
        from: DateTime<FixedOffset>,
        until: DateTime<FixedOffset>,
        kind: Window,
        zone: FixedOffset,
    ) -> Result<Self, SlaError> {
        if until <= from {
            return Err(SlaError::Range(format!(
                "the end {until} is not after the start {from}"
            )));
        }
        let offset_s = i64::from(zone.local_minus_utc());
        let (from_u, until_u) = (from.to_utc(), until.to_utc());
        let first_day = local_day(from_u, offset_s);
        let last = until_u - TimeDelta::nanoseconds(1);
        let days = local_day(last, offset_s) - first_day + 1;
        if days > MAX_DAYS {
            return Err(SlaError::Range(format!(
                "{days} days is longer than the {MAX_DAYS} days one report covers"
            )));
        }
        let from_z = from.with_timezone(&zone);
        let until_z = until.with_timezone(&zone);
        let day_of =
            |t: DateTime<FixedOffset>| (local_day(t.to_utc(), offset_s) - first_day) as usize;
        let mut spans = Vec::new();
        let mut start = from_z;
        while start < until_z {
            let date = start.date_naive();
            let next = match kind {
                Window::Day => midnight(zone, date.succ_opt().unwrap_or(date))?,
                Window::Month => {
                    let (y, m) = if date.month() == 12 {
                        (date.year() + 1, 1)
                    } else {
                        (date.year(), date.month() + 1)
                    };
                    let first = NaiveDate::from_ymd_opt(y, m, 1)
                        .ok_or_else(|| SlaError::Range(format!("no month after {date}")))?;
                    midnight(zone, first)?
                }
                Window::Period => until_z,
            };
            let end = next.min(until_z);
            if end <= start {
                return Err(SlaError::Range(format!("empty window at {start}")));
            }
            let label = match kind {
                Window::Day => date.format("%Y-%m-%d").to_string(),
                Window::Month => date.format("%Y-%m").to_string(),
                Window::Period => format!(
                    "{}..{}",
                    date.format("%Y-%m-%d"),
                    (end - TimeDelta::nanoseconds(1))
                        .date_naive()
                        .format("%Y-%m-%d")
                ),
            };
            spans.push(Span {
                label,
                start,
                end,
                first_day: day_of(start),
                end_day: day_of(end - TimeDelta::nanoseconds(1)) + 1,
            });
            start = end;
        }
        let mut day_window = vec![0u32; days as usize];
        for (w, s) in spans.iter().enumerate() {
            for d in &mut day_window[s.first_day..s.end_day] {
                *d = w as u32;
            }
        }
        Ok(Calendar {
            zone,
            offset_s,
            from: from_u,
            until: until_u,
            first_day,
            spans,
            day_window,
        })
    }

    /// `(window index, day index)` of a submit time, or `None` outside the range.
    #[inline]
    pub fn place(&self, t: DateTime<Utc>) -> Option<(usize, usize)> {
        if t < self.from || t >= self.until {
            return None;
        }
        let day = (local_day(t, self.offset_s) - self.first_day) as usize;
        let w = *self.day_window.get(day)? as usize;
        Some((w, day))
    }

    /// The instants `[start, end)` of day `index` (a local day, cut to the range).
    pub(crate) fn day_bounds(&self, index: usize) -> (DateTime<Utc>, DateTime<Utc>) {
        let start_s = (self.first_day + index as i64) * DAY_S - self.offset_s;
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(self.until);
        (
            at(start_s).max(self.from),
            at(start_s + DAY_S).min(self.until),
        )
    }

    /// The windows, in order.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Number of days in the range.
    pub fn days(&self) -> usize {
        self.day_window.len()
    }

    /// The local date of day `index`.
    pub fn date(&self, index: usize) -> NaiveDate {
        let secs = (self.first_day + index as i64) * DAY_S;
        DateTime::from_timestamp(secs, 0)
            .map(|t| t.date_naive())
            .unwrap_or_default()
    }

    /// The zone windows are cut in.
    pub fn zone(&self) -> FixedOffset {
        self.zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bj() -> FixedOffset {
        sms_records::beijing()
    }

    #[test]
    fn months_are_cut_at_beijing_midnight() {
        let from = bj().with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let until = bj().with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let c = Calendar::new(from, until, Window::Month, bj()).unwrap();
        assert_eq!(c.spans().len(), 2);
        assert_eq!(c.spans()[0].label, "2026-03");
        assert_eq!(c.spans()[1].label, "2026-04");
        assert_eq!(c.days(), 61);
        // 2026-03-31T16:00:00Z is 2026-04-01 00:00 Beijing time.
        let edge = Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap();
        assert_eq!(c.place(edge), Some((1, 31)));
        assert_eq!(c.place(edge - TimeDelta::nanoseconds(1)), Some((0, 30)));
        assert_eq!(c.date(31), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(c.day_bounds(31), (edge, edge + TimeDelta::days(1)));
        assert_eq!(c.day_bounds(0).0, from.to_utc());
        assert_eq!(c.day_bounds(60).1, until.to_utc());
        assert_eq!(c.place(until.to_utc()), None);
        assert_eq!(c.place(from.to_utc() - TimeDelta::seconds(1)), None);
    }

    #[test]
    fn days_and_period() {
        let from = bj().with_ymd_and_hms(2025, 12, 30, 0, 0, 0).unwrap();
        let until = bj().with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
        let c = Calendar::new(from, until, Window::Day, bj()).unwrap();
        let labels: Vec<_> = c.spans().iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["2025-12-30", "2025-12-31", "2026-01-01"]);
        let p = Calendar::new(from, until, Window::Period, bj()).unwrap();
        assert_eq!(p.spans().len(), 1);
        assert_eq!(p.spans()[0].label, "2025-12-30..2026-01-01");
        assert_eq!((p.spans()[0].first_day, p.spans()[0].end_day), (0, 3));
    }

    #[test]
    fn bad_ranges_are_errors() {
        let a = bj().with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        assert!(Calendar::new(a, a, Window::Month, bj()).is_err());
        let far = bj().with_ymd_and_hms(2040, 3, 1, 0, 0, 0).unwrap();
        assert!(matches!(
            Calendar::new(a, far, Window::Day, bj()),
            Err(SlaError::Range(_))
        ));
    }
}
