//! The settlement engine: one period's statement, or a whole term in order.
//!
//! [`settle_period`] only sequences the clauses; what each clause charges lives
//! in [`crate::clauses`], one function per clause, listed in
//! [`crate::clauses::PENALTY_CLAUSES`].

use crate::clauses::{self, Ctx};
use crate::counter::BillableCounter;
use crate::incidents::IncidentLog;
use crate::money::{add, fen, round_fen};
use crate::period::Period;
use crate::sla::SlaWindow;
use crate::terms::Terms;
use crate::when::{self, Month};
use crate::BillingError;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the engine knows about one period besides the incident log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodInput {
    /// The period settled.
    pub period: Period,
    /// Party A's own count of billable messages (from the journal or records).
    pub journal_count: Option<u64>,
    /// Party B's billing data (clause 4.1.3); billed when given.
    pub carrier_count: Option<u64>,
    /// Party A's billable count per calendar month (base of 6.8).
    pub month_counts: BTreeMap<Month, u64>,
    /// SLA outcomes of the windows inside the period (6.9/6.10), computed with the
    /// honoured exemption windows excluded.
    pub sla: Vec<SlaWindow>,
    /// Clauses 7.1–7.4: each exemption window given to the SLA engine and the
    /// messages it removed from the rates.
    pub exempted: Vec<sms_sla::ExemptionApplied>,
    /// Date up to which unsubmitted documents and unpaid amounts are late.
    pub as_of: NaiveDate,
}

impl PeriodInput {
    /// Input from a finished [`BillableCounter`] pass.
    pub fn from_counter(
        period: Period,
        counter: &BillableCounter,
        as_of: NaiveDate,
    ) -> PeriodInput {
        PeriodInput {
            period,
            journal_count: Some(counter.total()),
            carrier_count: None,
            month_counts: counter.per_month(),
            sla: Vec::new(),
            exempted: Vec::new(),
            as_of,
        }
    }
}

/// What earlier periods of the term leave to the next one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ledger {
    /// Clause 4.1.5: gross within budget billed so far in the term (exact).
    #[serde(with = "fen")]
    pub billed_within_budget: Decimal,
    /// Penalties not yet offset, carried from the previous period.
    #[serde(with = "fen")]
    pub carried_penalty: Decimal,
    /// Net payable of earlier periods (each rounded to the fen).
    #[serde(with = "fen")]
    pub paid: Decimal,
}

impl Ledger {
    /// The ledger after a statement.
    pub fn after(&self, s: &Statement) -> Ledger {
        Ledger {
            billed_within_budget: self.billed_within_budget + s.gross_within_budget_exact,
            carried_penalty: s.carried_out,
            paid: self.paid + s.net_payable,
        }
    }
}

/// One penalty (or penalty not charged) with the event that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PenaltyLine {
    /// Contract clause, e.g. `6.5`.
    pub clause: String,
    /// The event and the inputs of the amount.
    pub event: String,
    /// Amount rounded to the fen for display.
    #[serde(with = "fen")]
    pub amount: Decimal,
    /// Exact amount used in the totals.
    #[serde(serialize_with = "exact")]
    pub exact: Decimal,
    /// Line of the incident in its file (0 when not from the log).
    pub source_line: usize,
    /// For a penalty not charged: why (the exemption claim, or the clause's reading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<String>,
    #[serde(skip)]
    pub(crate) when: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
}

impl PenaltyLine {
    /// A line of `clause` for an event at `when` (an instant, or a window).
    pub(crate) fn new(
        clause: &str,
        event: String,
        amount: Decimal,
        source_line: usize,
        when: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
    ) -> PenaltyLine {
        PenaltyLine {
            clause: clause.to_string(),
            event,
            amount: round_fen(amount),
            exact: amount,
            source_line,
            removed_by: None,
            when,
        }
    }

    /// The same line, not charged for `why`.
    pub(crate) fn not_charged(mut self, why: String) -> PenaltyLine {
        self.removed_by = Some(why);
        self
    }
}

pub(crate) fn exact<S: serde::Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.normalize().to_string())
}

/// Clauses 7.1–7.4: an exemption claim relevant to the period and its fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ClaimLine {
    /// `7.1`, `7.2` or `7.4`.
    pub clause: String,
    /// The claim's window and notice, as text.
    pub event: String,
    /// Whether it is honoured (clause 7.3 notice).
    pub honoured: bool,
    /// Why (not) honoured, and what it may remove.
    pub reason: String,
    /// Line of the claim in its file.
    pub source_line: usize,
}

/// An incident of the log that falls in another period of the term: listed, not settled here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OutsideLine {
    /// The kind, e.g. `[[fault]]`.
    pub kind: String,
    /// When it is dated (or the period it names).
    pub at: String,
    /// Line in the incident file.
    pub source_line: usize,
}

/// Clause 2.4: one late payment by Party A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LateCharge {
    /// The payment and the inputs of the charge.
    pub event: String,
    /// Days overdue.
    pub days_late: i64,
    /// Total owed.
    #[serde(with = "fen")]
    pub owed: Decimal,
    /// Charge (zero with a fiscal delay).
    #[serde(with = "fen")]
    pub charge: Decimal,
    /// Line of the payment in its file.
    pub source_line: usize,
}

/// The settlement statement of one period. Figures serialize as strings with
/// exactly two decimals (half-up); `exact` fields keep the unrounded value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Statement {
    /// Agreement number.
    pub agreement: String,
    /// The period.
    pub period: Period,
    /// Last day of the period.
    #[serde(with = "when::date")]
    pub last_day: NaiveDate,
    /// Whether this is the term's last period (an excess of penalties is then owed, not carried).
    pub last_of_term: bool,
    /// Readings of ambiguous clauses applied.
    pub readings: Vec<String>,
    /// Party A's count, when known.
    pub journal_count: Option<u64>,
    /// Party B's count, when given.
    pub carrier_count: Option<u64>,
    /// Party B's count minus Party A's, when both are known.
    pub count_difference: Option<i128>,
    /// Clause 4.1.3: the count billed.
    pub billable: u64,
    /// Whose count is billed: `party B` or `journal`.
    pub count_source: String,
    /// Clause 4.2: price per message (exact).
    #[serde(serialize_with = "exact")]
    pub price: Decimal,
    /// billable × price.
    #[serde(with = "fen")]
    pub gross: Decimal,
    /// Clause 4.1.5: budget cap.
    #[serde(with = "fen")]
    pub budget_cap: Decimal,
    /// Gross within budget billed in earlier periods.
    #[serde(with = "fen")]
    pub billed_before: Decimal,
    /// Budget left at the start of the period.
    #[serde(with = "fen")]
    pub remaining_budget: Decimal,
    /// Part of the gross within the budget, in fen (cumulatively rounded).
    #[serde(with = "fen")]
    pub gross_within_budget: Decimal,
    /// Exact part of the gross within the budget.
    #[serde(skip)]
    pub gross_within_budget_exact: Decimal,
    /// Part of the gross above the budget: not payable.
    #[serde(with = "fen")]
    pub over_budget: Decimal,
    /// SLA windows of the period with their outcome, with and without exemptions.
    pub sla_windows: Vec<SlaWindow>,
    /// Clauses 7.1–7.4: exemption windows and the messages each removed from the rates.
    pub exemption_windows: Vec<sms_sla::ExemptionApplied>,
    /// Penalties 6.4–6.11 charged.
    pub penalties: Vec<PenaltyLine>,
    /// Penalties not charged, each with the reason (an exemption claim; a rate met once
    /// the exempted messages are excluded; 6.11 already due once in the term).
    pub removed: Vec<PenaltyLine>,
    /// Exemption claims overlapping the period.
    pub claims: Vec<ClaimLine>,
    /// Incidents of the log dated in other periods of the term: not settled here.
    pub outside_period: Vec<OutsideLine>,
    /// Sum of applied penalties 6.4–6.11.
    #[serde(with = "fen")]
    pub penalties_total: Decimal,
    /// Penalties carried in from the previous period.
    #[serde(with = "fen")]
    pub carried_in: Decimal,
    /// Penalties offset against this period's fee.
    #[serde(with = "fen")]
    pub offset: Decimal,
    /// Payable before clause 6.12.
    #[serde(with = "fen")]
    pub payable_before_612: Decimal,
    /// Clause 6.12 deductions.
    pub fee_documents: Vec<PenaltyLine>,
    /// Sum of 6.12 deductions.
    #[serde(with = "fen")]
    pub fee_documents_total: Decimal,
    /// Clause 6.12: the cut-off was reached; nothing is paid for the period.
    pub cutoff_reached: bool,
    /// Net payable to Party B, rounded to the fen.
    #[serde(with = "fen")]
    pub net_payable: Decimal,
    /// Penalties carried to the next period (zero in the term's last period).
    #[serde(with = "fen")]
    pub carried_out: Decimal,
    /// Penalties not offset by the end of the term: owed by Party B (last period only).
    #[serde(with = "fen")]
    pub owed_at_term_end: Decimal,
    /// Clause 2.4: Party A's late-payment charges for this period's payments.
    pub late_payment: Vec<LateCharge>,
    /// Sum of late-payment charges.
    #[serde(with = "fen")]
    pub late_payment_total: Decimal,
}

/// Settles one period.
///
/// The steps follow the contract: the fee (4.1.3, 4.2, 4.1.5), every penalty
/// clause of [`clauses::PENALTY_CLAUSES`] (6.4–6.11, with 7.1–7.4), the offset
/// and carry-over, 6.12 and 2.4. Incidents dated outside the term are refused
/// with their file and line; those in other periods are listed.
pub fn settle_period(
    terms: &Terms,
    input: &PeriodInput,
    log: &IncidentLog,
    ledger: &Ledger,
) -> Result<Statement, BillingError> {
    log.check_term(terms)?;
    let ctx = Ctx::new(terms, input, log);
    let p = &input.period;

    let fee = clauses::fee(&ctx, ledger)?;

    let mut penalties = Vec::new();
    let mut removed = Vec::new();
    for rule in &clauses::PENALTY_CLAUSES {
        let lines = (rule.apply)(&ctx)?;
        penalties.extend(lines.charged);
        removed.extend(lines.not_charged);
    }
    clauses::sort_lines(&mut penalties);
    clauses::sort_lines(&mut removed);
    let mut penalties_total = Decimal::ZERO;
    for l in &penalties {
        penalties_total = add(penalties_total, l.exact, "penalty total")?;
    }

    // Penalties offset the fee first ("优先冲抵短信服务费"); the rest carries on,
    // and after the term's last period it is simply owed.
    let carried_in = ledger.carried_penalty;
    let due = add(penalties_total, carried_in, "penalties due")?;
    let offset = due.min(fee.within);
    let payable_before_612 = fee.within - offset;
    let excess = due - offset;
    let last_of_term = p.end_day >= terms.term_end();
    let (carried_out, owed_at_term_end) = if last_of_term {
        (Decimal::ZERO, excess)
    } else {
        (excess, Decimal::ZERO)
    };

    let docs = clauses::fee_documents_612(&ctx, payable_before_612, fee.within)?;
    let net_payable = round_fen(payable_before_612 - docs.total);
    let (late_payment, late_payment_total) = clauses::late_payment_24(&ctx)?;

    Ok(Statement {
        agreement: terms.agreement.clone(),
        period: p.clone(),
        last_day: p.last_day(),
        last_of_term,
        readings: terms.readings(),
        journal_count: input.journal_count,
        carrier_count: input.carrier_count,
        count_difference: fee.count_difference,
        billable: fee.billable,
        count_source: fee.count_source.to_string(),
        price: terms.price_per_message,
        gross: fee.gross,
        budget_cap: terms.budget_cap,
        billed_before: ledger.billed_within_budget,
        remaining_budget: fee.remaining,
        gross_within_budget: fee.within,
        gross_within_budget_exact: fee.within_exact,
        over_budget: fee.over_budget,
        sla_windows: ctx.sla_windows(),
        exemption_windows: input.exempted.clone(),
        penalties,
        removed,
        claims: ctx.claim_lines(),
        outside_period: ctx.outside_period()?,
        penalties_total,
        carried_in,
        offset,
        payable_before_612,
        fee_documents: docs.lines,
        fee_documents_total: docs.total,
        cutoff_reached: docs.cutoff_reached,
        net_payable,
        carried_out,
        owed_at_term_end,
        late_payment,
        late_payment_total,
    })
}

/// Settles consecutive periods in order, carrying the budget and any penalty
/// excess forward (clauses 4.1.5, 6.4–6.12).
pub fn settle_term(
    terms: &Terms,
    inputs: &[PeriodInput],
    log: &IncidentLog,
    start: Ledger,
) -> Result<Vec<Statement>, BillingError> {
    for w in inputs.windows(2) {
        if w[1].period.first_day < w[0].period.end_day {
            return Err(BillingError::Order {
                later: w[1].period.to_string(),
                earlier: w[0].period.to_string(),
            });
        }
    }
    let mut ledger = start;
    let mut out = Vec::with_capacity(inputs.len());
    for i in inputs {
        let s = settle_period(terms, i, log, &ledger)?;
        ledger = ledger.after(&s);
        out.push(s);
    }
    Ok(out)
}

/// The term's totals over its settled periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TermSummary {
    /// Agreement number.
    pub agreement: String,
    /// Periods settled, in order.
    pub periods: Vec<String>,
    /// Billable messages over the periods.
    pub billable: u64,
    /// Gross fee.
    #[serde(with = "fen")]
    pub gross: Decimal,
    /// Gross within the budget cap (4.1.5).
    #[serde(with = "fen")]
    pub gross_within_budget: Decimal,
    /// Gross above the cap: not payable.
    #[serde(with = "fen")]
    pub over_budget: Decimal,
    /// Budget cap left after the last settled period.
    #[serde(with = "fen")]
    pub remaining_budget: Decimal,
    /// Penalties 6.4–6.11 charged over the periods.
    #[serde(with = "fen")]
    pub penalties: Decimal,
    /// Clause 6.12 deductions.
    #[serde(with = "fen")]
    pub fee_documents: Decimal,
    /// Net payable to Party B over the periods.
    #[serde(with = "fen")]
    pub net_payable: Decimal,
    /// Penalties carried past the last settled period (the term is not over yet).
    #[serde(with = "fen")]
    pub carried_out: Decimal,
    /// Penalties owed by Party B at the end of the term.
    #[serde(with = "fen")]
    pub owed_at_term_end: Decimal,
    /// Clause 2.4 charges on Party A.
    #[serde(with = "fen")]
    pub late_payment: Decimal,
}

impl TermSummary {
    /// Totals of statements settled in order (figures rounded to the fen).
    pub fn of(terms: &Terms, statements: &[Statement]) -> TermSummary {
        let sum = |f: fn(&Statement) -> Decimal| {
            statements
                .iter()
                .map(f)
                .fold(Decimal::ZERO, |a, b| a.saturating_add(b))
        };
        let within = sum(|s| s.gross_within_budget);
        TermSummary {
            agreement: terms.agreement.clone(),
            periods: statements.iter().map(|s| s.period.label.clone()).collect(),
            billable: statements
                .iter()
                .fold(0u64, |a, s| a.saturating_add(s.billable)),
            gross: round_fen(sum(|s| s.gross)),
            gross_within_budget: within,
            over_budget: round_fen(sum(|s| s.over_budget)),
            remaining_budget: statements.last().map_or(terms.budget_cap, |s| {
                round_fen(
                    (s.budget_cap - s.billed_before - s.gross_within_budget_exact)
                        .max(Decimal::ZERO),
                )
            }),
            penalties: round_fen(sum(|s| s.penalties_total)),
            fee_documents: round_fen(sum(|s| s.fee_documents_total)),
            net_payable: sum(|s| s.net_payable),
            carried_out: statements
                .last()
                .map_or(Decimal::ZERO, |s| round_fen(s.carried_out)),
            owed_at_term_end: statements
                .last()
                .map_or(Decimal::ZERO, |s| round_fen(s.owed_at_term_end)),
            late_payment: round_fen(sum(|s| s.late_payment_total)),
        }
    }
}
