//! Settlement periods (clauses 4.1.3/4.1.4).

use crate::terms::{PeriodScheme, Terms};
use crate::when::{self, Month};
use crate::BillingError;
use chrono::{DateTime, Datelike, FixedOffset, Months, NaiveDate};
use serde::Serialize;
use std::fmt;

/// One settlement period: whole Beijing days `[first_day, end_day)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Name, e.g. `2026Q1`, `P2` or `2025-10-16..2026-01-15`.
    pub label: String,
    /// First day (Beijing date).
    #[serde(with = "when::date")]
    pub first_day: NaiveDate,
    /// First day after the period (exclusive).
    #[serde(skip)]
    pub end_day: NaiveDate,
}

impl Period {
    /// A period of whole days; `end_day` is exclusive.
    pub fn new(label: impl Into<String>, first_day: NaiveDate, end_day: NaiveDate) -> Period {
        Period {
            label: label.into(),
            first_day,
            end_day,
        }
    }

    /// Last day of the period (inclusive).
    pub fn last_day(&self) -> NaiveDate {
        self.end_day.pred_opt().unwrap_or(self.end_day)
    }

    /// Start instant (Beijing midnight).
    pub fn start(&self) -> DateTime<FixedOffset> {
        when::start_of(self.first_day)
    }

    /// End instant (exclusive).
    pub fn end(&self) -> DateTime<FixedOffset> {
        when::start_of(self.end_day)
    }

    /// Whether an instant lies in the period.
    pub fn contains(&self, t: DateTime<FixedOffset>) -> bool {
        t >= self.start() && t < self.end()
    }

    /// Whether a date lies in the period.
    pub fn contains_date(&self, d: NaiveDate) -> bool {
        d >= self.first_day && d < self.end_day
    }

    /// Calendar months the period touches, in order.
    pub fn months(&self) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = Month::of_date(self.first_day);
        while m.first_day() < self.end_day {
            out.push(m);
            m = m.next();
        }
        out
    }

    /// Parses `2026Q1` (a calendar quarter clipped to the term), `P2` (the
    /// second period of the terms' scheme) or `2025-10-16..2026-01-15`
    /// (inclusive dates); the period must lie within the term.
    pub fn parse(spec: &str, terms: &Terms) -> Result<Period, BillingError> {
        let s = spec.trim();
        let err = |reason: String| BillingError::Period {
            spec: spec.to_string(),
            reason,
        };
        let (term_a, term_b) = (terms.term_start, terms.term_end());
        let term_text = format!("{}..{}", term_a, term_b.pred_opt().unwrap_or(term_b));
        if let Some((a, b)) = s.split_once("..") {
            let a = when::parse_date(a).map_err(err)?;
            let b = when::parse_date(b).map_err(err)?;
            if b < a {
                return Err(err("the end is before the start".into()));
            }
            if a < term_a || b >= term_b {
                return Err(err(format!("outside the term {term_text}")));
            }
            let end = b
                .succ_opt()
                .ok_or_else(|| err("date out of range".into()))?;
            return Ok(Period::new(s, a, end));
        }
        if let Some(n) = s.strip_prefix('P').or_else(|| s.strip_prefix('p')) {
            let n: usize = n
                .parse()
                .map_err(|_| err("expected P followed by a number".into()))?;
            let all = terms.periods();
            return n
                .checked_sub(1)
                .and_then(|i| all.get(i))
                .cloned()
                .ok_or_else(|| err(format!("the term has {} periods", all.len())));
        }
        if let Some((y, q)) = s.split_once(['Q', 'q']) {
            let year: i32 = y.parse().map_err(|_| err("expected YYYYQn".into()))?;
            let q: u32 = q.parse().map_err(|_| err("expected YYYYQn".into()))?;
            if !(1..=4).contains(&q) {
                return Err(err("the quarter must be 1..4".into()));
            }
            let a = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1)
                .ok_or_else(|| err("year out of range".into()))?;
            let b = a
                .checked_add_months(Months::new(3))
                .ok_or_else(|| err("year out of range".into()))?;
            let (a, b) = (a.max(term_a), b.min(term_b));
            if a >= b {
                return Err(err(format!("outside the term {term_text}")));
            }
            return Ok(Period::new(format!("{year}Q{q}"), a, b));
        }
        Err(err("expected 2026Q1, P1 or 2025-10-16..2026-01-15".into()))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}..{})",
            self.label,
            self.first_day,
            self.last_day()
        )
    }
}

impl Terms {
    /// Clauses 4.1.3/4.1.4: the term's settlement periods, in order.
    pub fn periods(&self) -> Vec<Period> {
        let (a, end) = (self.term_start, self.term_end());
        let mut out = Vec::new();
        let mut cur = a;
        let mut n = 0;
        while cur < end {
            n += 1;
            let next = match self.period_scheme {
                PeriodScheme::Anchored => a.checked_add_months(Months::new(3 * n)),
                PeriodScheme::CalendarQuarters => {
                    let q0 = (cur.month() - 1) / 3 * 3 + 1;
                    NaiveDate::from_ymd_opt(cur.year(), q0, 1)
                        .and_then(|d| d.checked_add_months(Months::new(3)))
                }
            }
            .unwrap_or(end)
            .min(end);
            let label = match self.period_scheme {
                PeriodScheme::Anchored => format!("P{n}"),
                PeriodScheme::CalendarQuarters => {
                    format!("{}Q{}", cur.year(), (cur.month() - 1) / 3 + 1)
                }
            };
            out.push(Period::new(label, cur, next));
            cur = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        when::parse_date(s).unwrap()
    }

    #[test]
    fn calendar_quarters_with_short_ends() {
        let p = Terms::default().periods();
        let got: Vec<_> = p
            .iter()
            .map(|p| format!("{} {}..{}", p.label, p.first_day, p.last_day()))
            .collect();
        assert_eq!(
            got,
            [
                "2025Q4 2025-10-16..2025-12-31",
                "2026Q1 2026-01-01..2026-03-31",
                "2026Q2 2026-04-01..2026-06-30",
                "2026Q3 2026-07-01..2026-09-30",
                "2026Q4 2026-10-01..2026-10-15",
            ]
        );
    }

    #[test]
    fn anchored_periods() {
        let t = Terms {
            period_scheme: PeriodScheme::Anchored,
            ..Terms::default()
        };
        let p = t.periods();
        assert_eq!(p.len(), 4);
        assert_eq!(
            (p[0].first_day, p[0].end_day),
            (d("2025-10-16"), d("2026-01-16"))
        );
        assert_eq!(p[3].end_day, d("2026-10-16"));
        assert_eq!(Period::parse("P2", &t).unwrap().first_day, d("2026-01-16"));
    }

    #[test]
    fn parse_specs() {
        let t = Terms::default();
        let q = Period::parse("2025Q4", &t).unwrap();
        assert_eq!((q.first_day, q.end_day), (d("2025-10-16"), d("2026-01-01")));
        let r = Period::parse("2025-10-16..2026-01-15", &t).unwrap();
        assert_eq!(r.end_day, d("2026-01-16"));
        assert_eq!(r.months().len(), 4);
        assert!(Period::parse("2027Q1", &t).is_err());
        assert!(Period::parse("2026Q5", &t).is_err());
        assert!(Period::parse("2026-02-01..2026-01-01", &t).is_err());
        assert!(Period::parse("2025-01-01..2025-02-01", &t).is_err());
        assert!(Period::parse("P9", &t).is_err());
        assert!(Period::parse("next quarter", &t).is_err());
        assert!(q.contains(when::parse_instant("2025-12-31 23:59:59").unwrap()));
        assert!(!q.contains(when::parse_instant("2026-01-01 00:00").unwrap()));
    }
}
