//! Contract terms as data: every number and every reading of an ambiguous
//! clause is a setting; [`Terms::default`] is agreement 2025-TX17-056.

use crate::money::amount;
use crate::when;
use crate::BillingError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Clauses 4.1.3/4.1.4: how the term is cut into settlement periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PeriodScheme {
    /// Calendar quarters of Beijing time, with a short first period from the
    /// term's start and a short last one to its end (default).
    #[default]
    CalendarQuarters,
    /// Consecutive 3-month periods from the term's start date.
    Anchored,
}

/// Clauses 6.9/6.10: the window that makes one "occurrence" of a missed rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OccurrenceWindow {
    /// Each calendar month inside the period (default; what the 3.10 report measures).
    #[default]
    Month,
    /// Each day.
    Day,
    /// The whole settlement period.
    Period,
}

/// Clause 6.8: what "that month's rent" means for a contract without rent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SeriousImpactBase {
    /// The message fee of the incident's month (default).
    #[default]
    MonthFee,
    /// A fixed monthly rent given in `monthly_rent`.
    Rent,
}

/// Clause 6.12: which amount "that period's payable" is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FeeDocumentsBase {
    /// Net payable after every other penalty and the carry-in, before 6.12 (default).
    #[default]
    #[serde(rename = "payable-before-612")]
    PayableBefore612,
    /// The period's gross fee within the budget.
    GrossWithinBudget,
}

/// Clause 6.11: how often the leased-line penalty is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LeasedLineOccurrence {
    /// At most once per term (default): the clause names no occurrence, and its
    /// amount is a share of the whole contract amount.
    #[default]
    OncePerTerm,
    /// Once for every leased-line failure in the incident log.
    PerOccurrence,
}

/// Penalty amounts and bases (clauses 6.4–6.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Penalties {
    /// Clause 6.4: per trace request not answered with a report.
    #[serde(with = "amount")]
    pub trace_report: Decimal,
    /// Clause 6.5: per fault not on site / fixed in time, or per interruption.
    #[serde(with = "amount")]
    pub fault: Decimal,
    /// Clause 6.6: per monthly report missing, late, untrue or incomplete.
    #[serde(with = "amount")]
    pub monthly_report: Decimal,
    /// Clause 6.7: per cooperation failure.
    #[serde(with = "amount")]
    pub cooperation: Decimal,
    /// Clause 6.8: share of the base per serious-impact event or criticism notice.
    #[serde(with = "amount")]
    pub serious_impact_rate: Decimal,
    /// Clause 6.8: the base ("that month's rent").
    pub serious_impact_base: SeriousImpactBase,
    /// Clause 6.8: the monthly rent when the base is `rent`.
    #[serde(with = "amount")]
    pub monthly_rent: Decimal,
    /// Clause 6.9: per window whose success rate misses the target.
    #[serde(with = "amount")]
    pub success_rate: Decimal,
    /// Clause 6.10: per window whose timeliness rate misses the target.
    #[serde(with = "amount")]
    pub timeliness: Decimal,
    /// Clause 6.11: share of the contract amount per leased-line failure.
    #[serde(with = "amount")]
    pub leased_line_rate: Decimal,
    /// Clause 6.11: the contract amount; `None` means the budget cap (default).
    #[serde(
        default,
        with = "amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub contract_amount: Option<Decimal>,
    /// Clause 6.11: once per term (default) or per occurrence.
    pub leased_line_occurrence: LeasedLineOccurrence,
    /// Clause 6.12: share of the period's payable per day late / per non-conformity.
    #[serde(with = "amount")]
    pub fee_documents_rate: Decimal,
    /// Clause 6.12: days late in total at which nothing is paid for the period.
    pub fee_documents_cutoff_days: u32,
    /// Clause 6.12: non-conformities at which nothing is paid for the period.
    pub fee_documents_cutoff_nonconformities: u32,
    /// Clause 6.12: the base amount.
    pub fee_documents_base: FeeDocumentsBase,
}

impl Default for Penalties {
    fn default() -> Self {
        Penalties {
            trace_report: dec!(1000),
            fault: dec!(2000),
            monthly_report: dec!(2000),
            cooperation: dec!(2000),
            serious_impact_rate: dec!(0.10),
            serious_impact_base: SeriousImpactBase::MonthFee,
            monthly_rent: Decimal::ZERO,
            success_rate: dec!(2000),
            timeliness: dec!(2000),
            leased_line_rate: dec!(0.10),
            contract_amount: None,
            leased_line_occurrence: LeasedLineOccurrence::OncePerTerm,
            fee_documents_rate: dec!(0.10),
            fee_documents_cutoff_days: 3,
            fee_documents_cutoff_nonconformities: 3,
            fee_documents_base: FeeDocumentsBase::PayableBefore612,
        }
    }
}

/// Clause 2.4: Party A's late-payment charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct LatePayment {
    /// Share of the total owed charged per day overdue.
    #[serde(with = "amount")]
    pub daily_rate: Decimal,
    /// Not charged when the delay is caused by late allocation of government funds.
    pub fiscal_delay_exempt: bool,
}

impl Default for LatePayment {
    fn default() -> Self {
        LatePayment {
            daily_rate: dec!(0.03),
            fiscal_delay_exempt: true,
        }
    }
}

/// Clause 3.6: the maintenance times whose breach is a 6.5 occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Maintenance {
    /// Engineers on site within this many minutes of the fault's start.
    pub on_site_minutes: u32,
    /// Fault fixed within this many minutes of its start.
    pub fixed_minutes: u32,
}

impl Default for Maintenance {
    fn default() -> Self {
        Maintenance {
            on_site_minutes: 60,
            fixed_minutes: 120,
        }
    }
}

/// Clauses 7.1–7.4: how exemption claims are honoured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Exemptions {
    /// Clause 7.3: days after the event within which the other side must be told.
    pub notice_days: u32,
    /// Clause 7.3: the claim clauses the notice rule applies to. The text ties it to
    /// force majeure (7.2) only, which is the default; list 7.1 and 7.4 to extend it.
    pub notice_required_for: Vec<String>,
    /// Penalty clauses a claim removes when it lists none itself.
    pub default_covers: Vec<String>,
}

impl Default for Exemptions {
    fn default() -> Self {
        Exemptions {
            notice_days: 15,
            notice_required_for: vec!["7.2".into()],
            default_covers: vec!["6.5".into(), "6.9".into(), "6.10".into(), "6.11".into()],
        }
    }
}

/// The contract terms the engine applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Terms {
    /// Agreement number, printed on statements.
    pub agreement: String,
    /// Clause 4.2: price per billable message, CNY.
    #[serde(with = "amount")]
    pub price_per_message: Decimal,
    /// Clause 4.1.5: budget cap over the whole term, CNY.
    #[serde(with = "amount")]
    pub budget_cap: Decimal,
    /// Clause 9.3: first day of the term (Beijing date).
    #[serde(with = "when::date")]
    pub term_start: NaiveDate,
    /// Clause 9.3: length of the term in months.
    pub term_months: u32,
    /// Clauses 4.1.3/4.1.4: how periods are cut.
    pub period_scheme: PeriodScheme,
    /// Clauses 6.9/6.10: window of one occurrence.
    pub sla_occurrence_window: OccurrenceWindow,
    /// Penalties 6.4–6.12.
    pub penalties: Penalties,
    /// Clause 2.4.
    pub late_payment: LatePayment,
    /// Clause 3.6.
    pub maintenance: Maintenance,
    /// Clauses 7.1–7.4.
    pub exemptions: Exemptions,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            agreement: "2025-TX17-056".into(),
            price_per_message: dec!(0.041),
            budget_cap: dec!(4350000),
            term_start: NaiveDate::from_ymd_opt(2025, 10, 16).unwrap_or_default(),
            term_months: 12,
            period_scheme: PeriodScheme::CalendarQuarters,
            sla_occurrence_window: OccurrenceWindow::Month,
            penalties: Penalties::default(),
            late_payment: LatePayment::default(),
            maintenance: Maintenance::default(),
            exemptions: Exemptions::default(),
        }
    }
}

impl Terms {
    /// Parses terms from TOML text; `origin` names the file in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Terms, BillingError> {
        let t: Terms =
            toml::from_str(text).map_err(|e| crate::incidents::toml_error(&e, text, origin))?;
        // Name the file in a consistency error too.
        t.validate().map_err(|e| match e {
            BillingError::Terms(message) => BillingError::Parse {
                file: origin.to_string(),
                line: 0,
                message: format!("invalid terms: {message}"),
            },
            other => other,
        })?;
        Ok(t)
    }

    /// Reads terms from a TOML file.
    pub fn load(path: &Path) -> Result<Terms, BillingError> {
        let text = std::fs::read_to_string(path).map_err(|source| BillingError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Terms::from_toml_str(&text, &path.display().to_string())
    }

    /// Refuses terms that cannot be applied (negative amounts, empty term).
    pub fn validate(&self) -> Result<(), BillingError> {
        let p = &self.penalties;
        let amounts = [
            ("price_per_message", self.price_per_message),
            ("budget_cap", self.budget_cap),
            ("penalties.trace_report", p.trace_report),
            ("penalties.fault", p.fault),
            ("penalties.monthly_report", p.monthly_report),
            ("penalties.cooperation", p.cooperation),
            ("penalties.serious_impact_rate", p.serious_impact_rate),
            ("penalties.monthly_rent", p.monthly_rent),
            ("penalties.success_rate", p.success_rate),
            ("penalties.timeliness", p.timeliness),
            ("penalties.leased_line_rate", p.leased_line_rate),
            ("penalties.fee_documents_rate", p.fee_documents_rate),
            ("late_payment.daily_rate", self.late_payment.daily_rate),
        ];
        for (name, v) in amounts {
            if v.is_sign_negative() {
                return Err(BillingError::Terms(format!(
                    "`{name}` must not be negative ({v})"
                )));
            }
        }
        if let Some(c) = p.contract_amount {
            if c.is_sign_negative() {
                return Err(BillingError::Terms(
                    "`penalties.contract_amount` must not be negative".into(),
                ));
            }
        }
        if self.term_months == 0 || self.term_months > 1200 {
            return Err(BillingError::Terms("`term_months` must be 1..=1200".into()));
        }
        if self.term_end() <= self.term_start {
            return Err(BillingError::Terms(
                "`term_start` is too late to add `term_months`".into(),
            ));
        }
        Ok(())
    }

    /// First day after the term (exclusive end, Beijing date).
    pub fn term_end(&self) -> NaiveDate {
        self.term_start
            .checked_add_months(chrono::Months::new(self.term_months))
            .unwrap_or(self.term_start)
    }

    /// Clause 6.11: the contract amount the leased-line penalty is a share of.
    pub fn contract_amount(&self) -> Decimal {
        self.penalties.contract_amount.unwrap_or(self.budget_cap)
    }

    /// The readings of ambiguous clauses these terms apply, printed on every statement.
    pub fn readings(&self) -> Vec<String> {
        let p = &self.penalties;
        vec![
            format!(
                "4.1.3/4.1.4 periods: {}",
                match self.period_scheme {
                    PeriodScheme::CalendarQuarters =>
                        "calendar quarters of Beijing time, short first/last periods",
                    PeriodScheme::Anchored => "3-month periods anchored on the term's start",
                }
            ),
            "4.1.3 billable: segments with submit result 0 by submit time (Beijing); Party B's count is billed when given".into(),
            "4.1.5 budget cap: cumulative gross within budget over the term; the excess is over budget, not payable".into(),
            format!(
                "6.5: a fault is one occurrence when not on site within {} min or not fixed within {} min of its start",
                self.maintenance.on_site_minutes, self.maintenance.fixed_minutes
            ),
            format!(
                "6.8 base: {}",
                match p.serious_impact_base {
                    SeriousImpactBase::MonthFee => "the message fee of the incident's month".to_string(),
                    SeriousImpactBase::Rent => format!("monthly rent {}", crate::money::fen_text(p.monthly_rent)),
                }
            ),
            format!(
                "6.9/6.10 occurrence: each {} window whose rate misses the target",
                match self.sla_occurrence_window {
                    OccurrenceWindow::Month => "calendar-month",
                    OccurrenceWindow::Day => "day",
                    OccurrenceWindow::Period => "whole-period",
                }
            ),
            format!(
                "6.11: {} × contract amount {}, {}",
                p.leased_line_rate.normalize(),
                crate::money::fen_text(self.contract_amount()),
                match p.leased_line_occurrence {
                    LeasedLineOccurrence::OncePerTerm => "due at most once per term",
                    LeasedLineOccurrence::PerOccurrence => "due per occurrence",
                }
            ),
            format!(
                "6.12 base: {}; cut-off at {} days late in total or {} non-conformities",
                match p.fee_documents_base {
                    FeeDocumentsBase::PayableBefore612 => "net payable before 6.12",
                    FeeDocumentsBase::GrossWithinBudget => "gross within budget",
                },
                p.fee_documents_cutoff_days,
                p.fee_documents_cutoff_nonconformities
            ),
            "penalties offset the fee first; an excess carries to the next period, and after the term's last period it is owed by Party B".into(),
            "6.9/6.10 exemptions: messages inside an honoured claim's window are excluded from both rates, and each window's rate is recomputed".into(),
            format!(
                "7.3 notice: within {} days of the event, required for {}",
                self.exemptions.notice_days,
                self.exemptions.notice_required_for.join(", ")
            ),
            "rounding: half-up to 0.01 at the statement's final figures only".into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_this_contract() {
        let t = Terms::default();
        assert_eq!(t.price_per_message, dec!(0.041));
        assert_eq!(t.term_end(), NaiveDate::from_ymd_opt(2026, 10, 16).unwrap());
        assert_eq!(t.contract_amount(), dec!(4350000));
        t.validate().unwrap();
    }

    #[test]
    fn empty_file_is_default_and_floats_are_refused() {
        assert_eq!(
            Terms::from_toml_str("", "t.toml").unwrap(),
            Terms::default()
        );
        let e = Terms::from_toml_str("\n\nprice_per_message = 0.05\n", "t.toml").unwrap_err();
        let m = e.to_string();
        assert!(m.starts_with("t.toml:3:"), "{m}");
        assert!(m.contains("price_per_message"), "{m}");
        assert!(m.contains("quoted decimal string"), "{m}");
        let e = Terms::from_toml_str("budget_cap = \"-1\"", "t.toml").unwrap_err();
        assert!(e.to_string().starts_with("t.toml:0: invalid terms:"), "{e}");
        assert!(e.to_string().contains("budget_cap"));
    }
}
