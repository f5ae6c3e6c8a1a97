//! Party A's own billable count from message records, in one streaming pass.

use crate::period::Period;
use crate::when::{start_of, Month};
use chrono::{DateTime, Utc};
use sms_records::{FinalState, Record};
use std::collections::BTreeMap;

/// Clause 4.1.3: counts billable segments of a period, per calendar month.
///
/// Billable = a segment with submit result 0, submit time (Beijing) inside the
/// period; refused records never count. Constant memory; a few comparisons per record.
#[derive(Debug, Clone)]
pub struct BillableCounter {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Month starts (UTC instants) after the first, ascending.
    bounds: Vec<DateTime<Utc>>,
    months: Vec<Month>,
    per_month: Vec<u64>,
    total: u64,
}

impl BillableCounter {
    /// A counter for one period.
    pub fn new(period: &Period) -> BillableCounter {
        let months = period.months();
        let bounds = months
            .iter()
            .skip(1)
            .map(|m| start_of(m.first_day()).with_timezone(&Utc))
            .collect();
        BillableCounter {
            start: period.start().with_timezone(&Utc),
            end: period.end().with_timezone(&Utc),
            bounds,
            per_month: vec![0; months.len()],
            months,
            total: 0,
        }
    }

    /// Counts one record if it is billable in the period.
    #[inline]
    pub fn add(&mut self, r: &Record) {
        if r.resp_result != Some(0) || r.final_state == FinalState::Refused {
            return;
        }
        let Some(t) = r.submitted_at else { return };
        if t < self.start || t >= self.end {
            return;
        }
        let i = self.bounds.iter().take_while(|b| t >= **b).count();
        self.total += 1;
        if let Some(c) = self.per_month.get_mut(i) {
            *c += 1;
        }
    }

    /// Adds the counts of another counter for the same period (parallel passes).
    pub fn merge(&mut self, other: &BillableCounter) {
        self.total += other.total;
        for (a, b) in self.per_month.iter_mut().zip(&other.per_month) {
            *a += b;
        }
    }

    /// Billable segments in the period.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Billable segments per calendar month of the period.
    pub fn per_month(&self) -> BTreeMap<Month, u64> {
        self.months
            .iter()
            .copied()
            .zip(self.per_month.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terms::Terms;
    use crate::when::parse_instant;

    fn rec(at: &str, result: Option<u32>, state: FinalState) -> Record {
        let mut r = Record::new("x");
        r.submitted_at = Some(parse_instant(at).unwrap().with_timezone(&Utc));
        r.resp_result = result;
        r.final_state = state;
        r
    }

    #[test]
    fn counts_by_beijing_submit_time_and_month() {
        let p = Period::parse("2026Q1", &Terms::default()).unwrap();
        let mut c = BillableCounter::new(&p);
        // 2025-12-31 23:30 Beijing is before the period even though its UTC date is the 31st.
        c.add(&rec("2025-12-31 23:30", Some(0), FinalState::Delivered));
        // 2026-01-01 00:30 Beijing is 2025-12-31 16:30 UTC: inside.
        c.add(&rec("2026-01-01 00:30", Some(0), FinalState::Delivered));
        c.add(&rec("2026-02-28 23:59", Some(0), FinalState::Failed));
        c.add(&rec("2026-03-01 00:00", Some(0), FinalState::Expired));
        c.add(&rec("2026-03-02 00:00", Some(8), FinalState::Failed));
        c.add(&rec("2026-03-02 00:00", None, FinalState::Unknown));
        c.add(&rec("2026-03-02 00:00", Some(0), FinalState::Refused));
        c.add(&rec("2026-04-01 00:00", Some(0), FinalState::Delivered));
        let mut none = Record::new("y");
        none.resp_result = Some(0);
        c.add(&none);
        assert_eq!(c.total(), 3);
        let m: Vec<u64> = c.per_month().values().copied().collect();
        assert_eq!(m, [1, 1, 1]);
        let mut d = c.clone();
        d.merge(&c);
        assert_eq!(d.total(), 6);
    }
}
