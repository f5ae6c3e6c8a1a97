//! The term ledger: what has been settled so far, as a JSON file.
//!
//! Clause 4.1.5's cap is cumulative over the term, and penalties above a
//! period's fee carry to the next period. Both depend on every earlier period,
//! so `cmpp settle` records each settled period here and a later run starts
//! from the entry of the period before it, instead of figures typed by hand.

use crate::engine::{Ledger, Statement};
use crate::money::amount;
use crate::period::Period;
use crate::terms::Terms;
use crate::when;
use crate::BillingError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Format version of the ledger file.
pub const LEDGER_VERSION: u32 = 1;

/// One settled period. Amounts are exact decimals (strings), so the chain
/// continues without rounding drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LedgerEntry {
    /// Period label, e.g. `2026Q1`.
    pub period: String,
    /// First day (Beijing date).
    #[serde(with = "when::date")]
    pub first_day: NaiveDate,
    /// Last day (inclusive).
    #[serde(with = "when::date")]
    pub last_day: NaiveDate,
    /// Clause 4.1.3: the count billed.
    pub billable: u64,
    /// Gross within the budget for this period (exact).
    #[serde(with = "amount")]
    pub gross_within_budget: Decimal,
    /// Clause 4.1.5: gross within budget billed in the term up to and including this period.
    #[serde(with = "amount")]
    pub billed_within_budget: Decimal,
    /// Penalties 6.4–6.11 charged in this period.
    #[serde(with = "amount")]
    pub penalties: Decimal,
    /// Net payable of this period (fen).
    #[serde(with = "amount")]
    pub net_payable: Decimal,
    /// Net payable of the term up to and including this period.
    #[serde(with = "amount")]
    pub paid: Decimal,
    /// Penalties carried to the next period.
    #[serde(with = "amount")]
    pub carried_out: Decimal,
    /// Penalties owed by Party B at the end of the term (last period only).
    #[serde(with = "amount")]
    pub owed_at_term_end: Decimal,
}

/// Every period settled so far, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermLedger {
    /// [`LEDGER_VERSION`].
    pub version: u32,
    /// Agreement number.
    pub agreement: String,
    /// First day of the term.
    #[serde(with = "when::date")]
    pub term_start: NaiveDate,
    /// Settled periods, in order.
    pub periods: Vec<LedgerEntry>,
}

impl TermLedger {
    /// An empty ledger for the term.
    pub fn new(terms: &Terms) -> TermLedger {
        TermLedger {
            version: LEDGER_VERSION,
            agreement: terms.agreement.clone(),
            term_start: terms.term_start,
            periods: Vec::new(),
        }
    }

    /// Reads a ledger file; `Ok(None)` when there is none yet. It must belong to the terms' term.
    pub fn load(path: &Path, terms: &Terms) -> Result<Option<TermLedger>, BillingError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(BillingError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let bad = |line: usize, message: String| BillingError::Parse {
            file: path.display().to_string(),
            line,
            message,
        };
        let l: TermLedger =
            serde_json::from_str(&text).map_err(|e| bad(e.line(), format!("ledger: {e}")))?;
        if l.version != LEDGER_VERSION {
            return Err(bad(
                0,
                format!("ledger version {} is not {LEDGER_VERSION}", l.version),
            ));
        }
        if l.agreement != terms.agreement || l.term_start != terms.term_start {
            return Err(bad(
                0,
                format!(
                    "the ledger is for agreement {} from {}, the terms for {} from {}",
                    l.agreement, l.term_start, terms.agreement, terms.term_start
                ),
            ));
        }
        Ok(Some(l))
    }

    /// Writes the ledger as pretty JSON (through a temporary file, so a crash
    /// never leaves half a ledger).
    pub fn save(&self, path: &Path) -> Result<(), BillingError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| BillingError::Parse {
            file: path.display().to_string(),
            line: 0,
            message: e.to_string(),
        })?;
        let tmp = path.with_extension("json.tmp");
        let io = |source| BillingError::Read {
            path: path.to_path_buf(),
            source,
        };
        std::fs::write(&tmp, text + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// What the periods before `period` leave to it: nothing for the term's first
    /// period, else the entry of the period that ends where it starts.
    pub fn before(&self, terms: &Terms, period: &Period) -> Result<Ledger, BillingError> {
        if period.first_day <= terms.term_start {
            return Ok(Ledger::default());
        }
        let prev = self
            .periods
            .iter()
            .find(|e| e.last_day.succ_opt() == Some(period.first_day));
        match prev {
            Some(e) => Ok(Ledger {
                billed_within_budget: e.billed_within_budget,
                carried_penalty: e.carried_out,
                paid: e.paid,
            }),
            None => Err(BillingError::LedgerGap {
                missing_end: period.first_day.pred_opt().unwrap_or(period.first_day),
                settled: self.periods.iter().map(|e| e.period.clone()).collect(),
            }),
        }
    }

    /// Records a settled period (settled from `before`). Entries of later periods
    /// are dropped: they were settled on figures that may have changed.
    /// Returns the labels dropped.
    pub fn record(&mut self, s: &Statement, before: &Ledger) -> Vec<String> {
        let after = before.after(s);
        let first = s.period.first_day;
        let dropped: Vec<String> = self
            .periods
            .iter()
            .filter(|e| e.first_day > first)
            .map(|e| e.period.clone())
            .collect();
        self.periods.retain(|e| e.first_day < first);
        self.periods.push(LedgerEntry {
            period: s.period.label.clone(),
            first_day: first,
            last_day: s.last_day,
            billable: s.billable,
            gross_within_budget: s.gross_within_budget_exact,
            billed_within_budget: after.billed_within_budget,
            penalties: s.penalties_total,
            net_payable: s.net_payable,
            paid: after.paid,
            carried_out: s.carried_out,
            owed_at_term_end: s.owed_at_term_end,
        });
        dropped
    }
}
