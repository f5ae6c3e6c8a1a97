//! One pass over a period's records feeding both the SLA engine and the billable count,
//! then the statement: what `cmpp settle`, the demo and the benchmarks share.

use chrono::{DateTime, NaiveDate, Utc};
use sms_records::Record;
use sms_sla::{Aggregator, SlaReport, SlaSettings};

use crate::counter::BillableCounter;
use crate::engine::{settle_period, Ledger, PeriodInput, Statement};
use crate::incidents::IncidentLog;
use crate::period::Period;
use crate::sla::SlaWindow;
use crate::terms::Terms;
use crate::BillingError;

/// A settlement being fed records in one pass (constant memory in the number of records).
///
/// ```
/// use chrono::{Duration, NaiveDate, TimeZone, Utc};
/// use sms_billing::{IncidentLog, Ledger, Period, Settlement, Terms};
/// use sms_records::{FinalState, Record};
///
/// let terms = Terms::default(); // 0.041 CNY a message, cap 4,350,000, this contract's penalties
/// let period = Period::parse("2026Q1", &terms)?;
/// let as_of = Utc.with_ymd_and_hms(2026, 4, 15, 0, 0, 0).unwrap();
/// let mut settlement = Settlement::new(
///     period,
///     &Settlement::sla_settings(&terms),
///     NaiveDate::from_ymd_opt(2026, 4, 15).unwrap(),
///     as_of,
/// )?;
/// for i in 0..1_000 {
///     let sent = Utc.with_ymd_and_hms(2026, 2, 10, 2, 0, 0).unwrap();
///     let mut r = Record::new(format!("m-{i}"));
///     r.submitted_at = Some(sent);
///     r.responded_at = Some(sent + Duration::milliseconds(40));
///     r.resp_result = Some(0);
///     r.reported_at = Some(sent + Duration::seconds(1));
///     r.report_stat = Some("DELIVRD".into());
///     r.final_state = FinalState::Delivered;
///     settlement.add(&r);
/// }
/// let (statement, _sla) =
///     settlement.finish(&terms, &IncidentLog::default(), &Ledger::default(), None)?;
/// assert_eq!(statement.billable, 1_000);
/// assert_eq!(statement.net_payable.to_string(), "41.00"); // 1,000 × 0.041, no penalty
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Settlement {
    period: Period,
    /// SLA figures with the honoured exemption windows excluded (6.9/6.10 follow these).
    sla: Aggregator,
    /// The same figures without the claims' windows, when there are any, so the
    /// statement shows each window's rate with and without the exemptions.
    raw: Option<Aggregator>,
    counter: BillableCounter,
    as_of: NaiveDate,
}

impl Settlement {
    /// Starts settling `period`: SLA windows per `sla_settings` (clauses 6.9/6.10 occurrences),
    /// evaluated as of `as_of` (the report deadline is judged at that instant); late fee
    /// documents and payments are judged at the date `as_of_date`.
    pub fn new(
        period: Period,
        sla_settings: &SlaSettings,
        as_of_date: NaiveDate,
        as_of: DateTime<Utc>,
    ) -> Result<Self, BillingError> {
        Settlement::with_exemptions(period, sla_settings, &[], as_of_date, as_of)
    }

    /// Like [`Settlement::new`], with the exemption windows of honoured claims
    /// (clauses 7.1–7.4, see [`crate::exempt::sla_exemptions`]): their messages are
    /// excluded from both rates, and the rates without them are kept for the statement.
    pub fn with_exemptions(
        period: Period,
        sla_settings: &SlaSettings,
        claims: &[sms_sla::Exemption],
        as_of_date: NaiveDate,
        as_of: DateTime<Utc>,
    ) -> Result<Self, BillingError> {
        let agg = |s: &SlaSettings| {
            Aggregator::new(s, period.start(), period.end(), as_of)
                .map_err(|e| BillingError::Terms(format!("SLA settings: {e}")))
        };
        let mut with = sla_settings.clone();
        with.exemptions.extend(claims.iter().cloned());
        Ok(Settlement {
            counter: BillableCounter::new(&period),
            sla: agg(&with)?,
            raw: if claims.is_empty() {
                None
            } else {
                Some(agg(sla_settings)?)
            },
            period,
            as_of: as_of_date,
        })
    }

    /// The period being settled.
    pub fn period(&self) -> &Period {
        &self.period
    }

    /// The SLA settings the terms imply: this contract's, with the terms' occurrence window.
    pub fn sla_settings(terms: &Terms) -> SlaSettings {
        let mut settings = SlaSettings::default();
        settings.window = terms.sla_occurrence_window.to_sla();
        settings
    }

    /// Takes one record into both the SLA figures and the billable count.
    pub fn add(&mut self, record: &Record) {
        self.sla.add(record);
        if let Some(raw) = &mut self.raw {
            raw.add(record);
        }
        self.counter.add(record);
    }

    /// The statement (Party B's `carrier_count` billed when given), and the SLA report its
    /// windows came from.
    pub fn finish(
        self,
        terms: &Terms,
        log: &IncidentLog,
        ledger: &Ledger,
        carrier_count: Option<u64>,
    ) -> Result<(Statement, SlaReport), BillingError> {
        let report = self.sla.report();
        let raw = self.raw.map(|a| a.report());
        let mut input = PeriodInput::from_counter(self.period, &self.counter, self.as_of);
        input.carrier_count = carrier_count;
        input.sla = report
            .windows
            .iter()
            .map(|w| {
                let mut s = SlaWindow::from(w);
                s.without_exemptions = raw.as_ref().and_then(|r| {
                    r.windows
                        .iter()
                        .find(|x| x.start == w.start && x.label == w.label)
                        .map(|x| Box::new(SlaWindow::from(x)))
                });
                s
            })
            .collect();
        input.exempted = report.exemptions.clone();
        let statement = settle_period(terms, &input, log, ledger)?;
        Ok((statement, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sms_records::FinalState;

    fn record(i: u32, result: u32) -> Record {
        let sent = Utc.with_ymd_and_hms(2026, 2, 10, 2, 0, 0).unwrap();
        let mut r = Record::new(format!("m-{i}"));
        r.submitted_at = Some(sent);
        r.responded_at = Some(sent + chrono::Duration::milliseconds(30));
        r.resp_result = Some(result);
        if result == 0 {
            r.reported_at = Some(sent + chrono::Duration::seconds(2));
            r.report_stat = Some("DELIVRD".into());
            r.final_state = FinalState::Delivered;
        } else {
            r.final_state = FinalState::Failed;
        }
        r
    }

    #[test]
    fn one_pass_gives_the_billable_count_and_the_sla_windows() {
        let terms = Terms::default();
        let period = Period::parse("2026Q1", &terms).unwrap();
        let as_of = Utc.with_ymd_and_hms(2026, 4, 15, 0, 0, 0).unwrap();
        let mut s = Settlement::new(
            period,
            &Settlement::sla_settings(&terms),
            as_of.date_naive(),
            as_of,
        )
        .unwrap();
        for i in 0..98 {
            s.add(&record(i, 0));
        }
        // Two carrier-side rejections (result 9): 98/100 success breaches 6.9 in February.
        s.add(&record(98, 9));
        s.add(&record(99, 9));
        let (statement, report) = s
            .finish(
                &terms,
                &IncidentLog::default(),
                &Ledger::default(),
                Some(101),
            )
            .unwrap();
        assert_eq!(statement.journal_count, Some(98));
        assert_eq!(statement.carrier_count, Some(101));
        assert_eq!(statement.billable, 101, "Party B's count is billed");
        let feb = report
            .windows
            .iter()
            .find(|w| w.label == "2026-02")
            .unwrap();
        assert_eq!(feb.success_met, Some(false));
        assert_eq!(statement.penalties.len(), 1);
        assert_eq!(statement.penalties[0].clause, "6.9");
    }
}
