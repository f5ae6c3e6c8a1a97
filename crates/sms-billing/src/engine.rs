//! The settlement engine: one period's statement, or a whole term in order.

use crate::counter::BillableCounter;
use crate::incidents::{ImpactKind, IncidentLog, ReportProblem};
use crate::money::{self, add, fen, mul, round_fen};
use crate::period::Period;
use crate::sla::SlaWindow;
use crate::terms::{FeeDocumentsBase, SeriousImpactBase, Terms};
use crate::when::{self, Month};
use crate::BillingError;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use sms_records::beijing;
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
    /// SLA outcomes of the windows inside the period (6.9/6.10).
    pub sla: Vec<SlaWindow>,
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

/// One penalty (or exempted penalty) with the event that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// For a removed penalty, the exemption claim that removed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<String>,
    #[serde(skip)]
    when: Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)>,
}

fn exact<S: serde::Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.normalize().to_string())
}

/// Clauses 7.1–7.4: an exemption claim relevant to the period and its fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimLine {
    /// `7.1`, `7.2` or `7.4`.
    pub clause: String,
    /// The claim's window and notice, as text.
    pub event: String,
    /// Whether it is honoured (clause 7.3 notice).
    pub honoured: bool,
    /// Why (not) honoured, and what it may remove.
    pub reason: String,
}

/// Clause 2.4: one late payment by Party A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
pub struct Statement {
    /// Agreement number.
    pub agreement: String,
    /// The period.
    pub period: Period,
    /// Last day of the period.
    #[serde(with = "when::date")]
    pub last_day: NaiveDate,
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
    /// SLA windows of the period with their outcome.
    pub sla_windows: Vec<SlaWindow>,
    /// Penalties 6.4–6.11 applied.
    pub penalties: Vec<PenaltyLine>,
    /// Penalties removed by an honoured exemption claim.
    pub removed: Vec<PenaltyLine>,
    /// Exemption claims overlapping the period.
    pub claims: Vec<ClaimLine>,
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
    /// Penalties carried to the next period.
    #[serde(with = "fen")]
    pub carried_out: Decimal,
    /// Clause 2.4: Party A's late-payment charges for this period's payments.
    pub late_payment: Vec<LateCharge>,
    /// Sum of late-payment charges.
    #[serde(with = "fen")]
    pub late_payment_total: Decimal,
}

fn dur(d: Duration) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

fn bj(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_timezone(&beijing())
}

fn line(
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

fn clause_rank(c: &str) -> u32 {
    let (a, b) = c.split_once('.').unwrap_or((c, "0"));
    a.parse::<u32>().unwrap_or(0) * 100 + b.parse::<u32>().unwrap_or(0)
}

/// Whether a claim is honoured under clause 7.3, and why.
fn honoured(terms: &Terms, c: &crate::incidents::ExemptionClaim) -> (bool, String) {
    let event_day = bj(c.start).date_naive();
    let limit = event_day + Duration::days(i64::from(terms.exemptions.notice_days));
    let needs = terms.exemptions.notice_required_for.contains(&c.clause);
    if needs && c.notified > limit {
        (
            false,
            format!(
                "not honoured: notified {} > {} days after the event ({}), clause 7.3",
                c.notified, terms.exemptions.notice_days, event_day
            ),
        )
    } else {
        (true, format!("honoured: notified {}", c.notified))
    }
}

/// Settles one period.
///
/// Clauses 4.1–4.2 (count, price, cap), 6.4–6.12 (penalties, offset first,
/// excess carried), 7.1–7.4 (exemptions), 2.4 (late payment).
pub fn settle_period(
    terms: &Terms,
    input: &PeriodInput,
    log: &IncidentLog,
    ledger: &Ledger,
) -> Result<Statement, BillingError> {
    let p = &input.period;
    let pen = &terms.penalties;
    let price = terms.price_per_message;

    // 4.1.3: Party B's count is billed when given.
    let (billable, count_source) = match (input.carrier_count, input.journal_count) {
        (Some(c), _) => (c, "party B"),
        (None, Some(j)) => (j, "journal"),
        (None, None) => (0, "none given"),
    };
    let count_difference = match (input.carrier_count, input.journal_count) {
        (Some(c), Some(j)) => Some(i128::from(c) - i128::from(j)),
        _ => None,
    };
    let gross = mul(Decimal::from(billable), price, "gross fee")?;

    // 4.1.5: cap on the cumulative gross; the period's share is rounded on the
    // cumulative total so the fen amounts of the term add up to at most the cap.
    let before = ledger.billed_within_budget;
    let remaining = (terms.budget_cap - before).max(Decimal::ZERO);
    let within_exact = gross.min(remaining);
    let over_budget = gross - within_exact;
    let cum = add(before, within_exact, "cumulative gross")?;
    let within = round_fen(cum) - round_fen(before);

    // Candidate penalties 6.4–6.11.
    let mut cand: Vec<PenaltyLine> = Vec::new();
    for t in log.trace.iter().filter(|t| p.contains(t.at) && !t.answered) {
        let subj = if t.subject.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.subject)
        };
        cand.push(line(
            "6.4",
            format!(
                "trace request {}{subj} not answered with a report",
                when::show(t.at)
            ),
            pen.trace_report,
            t.line,
            Some((t.at, t.at)),
        ));
    }
    let on_site_max = Duration::minutes(i64::from(terms.maintenance.on_site_minutes));
    let fixed_max = Duration::minutes(i64::from(terms.maintenance.fixed_minutes));
    for f in log.fault.iter().filter(|f| p.contains(f.start)) {
        let part = |name: &str, t: Option<DateTime<FixedOffset>>, max: Duration| match t {
            Some(t) => {
                let d = t - f.start;
                let ok = d <= max;
                let cmp = if ok { "≤" } else { ">" };
                (
                    ok,
                    format!(
                        "{name} {} ({} {cmp} {})",
                        bj(t).format("%m-%d %H:%M"),
                        dur(d),
                        dur(max)
                    ),
                )
            }
            None => (false, format!("never {name}")),
        };
        let (a_ok, a) = part("on site", f.on_site, on_site_max);
        let (b_ok, b) = part("fixed", f.fixed, fixed_max);
        if !(a_ok && b_ok) {
            cand.push(line(
                "6.5",
                format!("fault {}, {a}, {b}", when::show(f.start)),
                pen.fault,
                f.line,
                Some((f.start, f.start)),
            ));
        }
    }
    for r in log.monthly_report.iter().filter(|r| p.contains(r.at)) {
        let what = match r.problem {
            ReportProblem::Missing => "missing",
            ReportProblem::Late => "late",
            ReportProblem::Untrue => "untrue",
            ReportProblem::Incomplete => "incomplete",
        };
        cand.push(line(
            "6.6",
            format!(
                "monthly report for {} {what} (established {})",
                r.month,
                when::show(r.at)
            ),
            pen.monthly_report,
            r.line,
            Some((r.at, r.at)),
        ));
    }
    for c in log.cooperation.iter().filter(|c| p.contains(c.at)) {
        cand.push(line(
            "6.7",
            format!("cooperation failure {}: {}", when::show(c.at), c.note),
            pen.cooperation,
            c.line,
            Some((c.at, c.at)),
        ));
    }
    for s in log.serious_impact.iter().filter(|s| p.contains(s.at)) {
        let kind = match s.kind {
            ImpactKind::SeriousImpact => "serious impact on Party A's work",
            ImpactKind::CriticismNotice => "criticism notice from a higher authority",
        };
        let (base, basis) = match pen.serious_impact_base {
            SeriousImpactBase::Rent => (
                pen.monthly_rent,
                format!("monthly rent {}", money::fen_text(pen.monthly_rent)),
            ),
            SeriousImpactBase::MonthFee => {
                let m = s
                    .fee_month
                    .unwrap_or_else(|| Month::of(bj(s.at).date_naive()));
                match (s.month_fee, input.month_counts.get(&m)) {
                    (Some(fee), _) => (fee, format!("{m} fee {} (given)", money::fen_text(fee))),
                    (None, Some(&n)) => {
                        let fee = mul(Decimal::from(n), price, "6.8 month fee")?;
                        (
                            fee,
                            format!("{m} fee {} ({n} × {price})", money::fen_text(fee)),
                        )
                    }
                    (None, None) => {
                        return Err(BillingError::MissingMonthFee {
                            month: m.to_string(),
                            line: s.line,
                        })
                    }
                }
            }
        };
        let amount = mul(base, pen.serious_impact_rate, "6.8 penalty")?;
        cand.push(line(
            "6.8",
            format!(
                "{kind} {}: {} × {basis}",
                when::show(s.at),
                pen.serious_impact_rate.normalize()
            ),
            amount,
            s.line,
            Some((s.at, s.at)),
        ));
    }
    let mut sla_windows: Vec<SlaWindow> = input
        .sla
        .iter()
        .filter(|w| p.contains(w.start))
        .cloned()
        .collect();
    sla_windows.sort_by(|a, b| (a.start, &a.label).cmp(&(b.start, &b.label)));
    for w in &sla_windows {
        if w.success_met == Some(false) {
            let rate = w.success_rate_text.as_deref().unwrap_or("?");
            cand.push(line(
                "6.9",
                format!("window {}: success rate {rate} below target", w.label),
                pen.success_rate,
                0,
                Some((w.start, w.end)),
            ));
        }
        if w.timeliness_met == Some(false) {
            let rate = w.timeliness_rate_text.as_deref().unwrap_or("?");
            cand.push(line(
                "6.10",
                format!("window {}: timeliness rate {rate} below target", w.label),
                pen.timeliness,
                0,
                Some((w.start, w.end)),
            ));
        }
    }
    for l in log.leased_line.iter().filter(|l| p.contains(l.at)) {
        let amount = mul(
            terms.contract_amount(),
            pen.leased_line_rate,
            "6.11 penalty",
        )?;
        cand.push(line(
            "6.11",
            format!(
                "leased line not provided as required {}: {}; {} × contract amount {}",
                when::show(l.at),
                l.note,
                pen.leased_line_rate.normalize(),
                money::fen_text(terms.contract_amount())
            ),
            amount,
            l.line,
            Some((l.at, l.at)),
        ));
    }

    // 7.1–7.4: honoured claims remove covered penalties whose event lies in
    // the claim's window (SLA windows: that overlap it).
    let mut claims_sorted: Vec<&crate::incidents::ExemptionClaim> = log.exemption.iter().collect();
    claims_sorted.sort_by(|a, b| {
        (a.start, a.end, &a.clause, a.notified).cmp(&(b.start, b.end, &b.clause, b.notified))
    });
    let mut claims = Vec::new();
    let mut honoured_claims = Vec::new();
    for c in &claims_sorted {
        let (ok, why) = honoured(terms, c);
        let covers: Vec<String> = c
            .covers
            .clone()
            .unwrap_or_else(|| terms.exemptions.default_covers.clone());
        let text = format!(
            "{} {} .. {}",
            c.clause,
            when::show(c.start),
            when::show(c.end)
        );
        if c.start < p.end() && p.start() < c.end {
            claims.push(ClaimLine {
                clause: c.clause.clone(),
                event: match &c.note {
                    Some(n) => format!("{text}: {n}"),
                    None => text.clone(),
                },
                honoured: ok,
                reason: format!("{why}; covers {}", covers.join(", ")),
            });
        }
        if ok {
            honoured_claims.push((c, covers, text));
        }
    }
    let mut penalties = Vec::new();
    let mut removed = Vec::new();
    for mut l in cand {
        let hit = honoured_claims.iter().find(|(c, covers, _)| {
            covers.contains(&l.clause)
                && l.when.is_some_and(|(a, b)| {
                    if a == b {
                        a >= c.start && a < c.end
                    } else {
                        a < c.end && c.start < b
                    }
                })
        });
        match hit {
            Some((_, _, text)) => {
                l.removed_by = Some(text.clone());
                removed.push(l);
            }
            None => penalties.push(l),
        }
    }
    let order = |a: &PenaltyLine, b: &PenaltyLine| {
        (clause_rank(&a.clause), a.when, &a.event, a.exact).cmp(&(
            clause_rank(&b.clause),
            b.when,
            &b.event,
            b.exact,
        ))
    };
    penalties.sort_by(order);
    removed.sort_by(order);

    let mut penalties_total = Decimal::ZERO;
    for l in &penalties {
        penalties_total = add(penalties_total, l.exact, "penalty total")?;
    }
    let carried_in = ledger.carried_penalty;
    let due = add(penalties_total, carried_in, "penalties due")?;
    let offset = due.min(within);
    let payable_before_612 = within - offset;
    let carried_out = due - offset;

    // 6.12: documents for this period.
    let mut docs = Vec::new();
    for d in &log.fee_documents {
        let dp = Period::parse(&d.period, terms).map_err(|e| BillingError::Parse {
            file: "incidents".into(),
            line: d.line,
            message: format!("[[fee_documents]] `period`: {e}"),
        })?;
        if dp.first_day == p.first_day && dp.end_day == p.end_day {
            docs.push(d);
        }
    }
    docs.sort_by(|a, b| {
        (a.due, a.submitted, a.nonconformities).cmp(&(b.due, b.submitted, b.nonconformities))
    });
    let base612 = match pen.fee_documents_base {
        FeeDocumentsBase::PayableBefore612 => payable_before_612,
        FeeDocumentsBase::GrossWithinBudget => within,
    };
    let mut days_total: i64 = 0;
    let mut noncon_total: u64 = 0;
    let mut fee_documents = Vec::new();
    for d in &docs {
        let upto = d.submitted.unwrap_or(input.as_of);
        let days = (upto - d.due).num_days().max(0);
        days_total = days_total.saturating_add(days);
        noncon_total += u64::from(d.nonconformities);
        let sub = match d.submitted {
            Some(s) => format!("submitted {s}"),
            None => format!("not submitted by {}", input.as_of),
        };
        let units = Decimal::from(days) + Decimal::from(d.nonconformities);
        let amount = mul(mul(units, pen.fee_documents_rate, "6.12")?, base612, "6.12")?;
        fee_documents.push(line(
            "6.12",
            format!(
                "fee documents due {}, {sub}: {days} day(s) late, {} non-conformit{} → {} × {} × base {}",
                d.due,
                d.nonconformities,
                if d.nonconformities == 1 { "y" } else { "ies" },
                units,
                pen.fee_documents_rate.normalize(),
                money::fen_text(base612)
            ),
            amount,
            d.line,
            None,
        ));
    }
    let cutoff_reached = !docs.is_empty()
        && (days_total >= i64::from(pen.fee_documents_cutoff_days)
            || noncon_total >= u64::from(pen.fee_documents_cutoff_nonconformities));
    let fee_documents_total = if cutoff_reached {
        fee_documents.push(line(
            "6.12",
            format!(
                "cut-off reached ({days_total} day(s) late in total, {noncon_total} non-conformities; limits {} / {}): nothing is paid for this period",
                pen.fee_documents_cutoff_days, pen.fee_documents_cutoff_nonconformities
            ),
            Decimal::ZERO,
            0,
            None,
        ));
        payable_before_612
    } else {
        let mut s = Decimal::ZERO;
        for l in &fee_documents {
            s = add(s, l.exact, "6.12 total")?;
        }
        s.min(payable_before_612)
    };
    let net_payable = round_fen(payable_before_612 - fee_documents_total);

    // 2.4: Party A's late payments for this period.
    let mut pays = Vec::new();
    for pay in &log.payment {
        let pp = Period::parse(&pay.period, terms).map_err(|e| BillingError::Parse {
            file: "incidents".into(),
            line: pay.line,
            message: format!("[[payment]] `period`: {e}"),
        })?;
        if pp.first_day == p.first_day && pp.end_day == p.end_day {
            pays.push(pay);
        }
    }
    pays.sort_by(|a, b| {
        (a.due, a.paid, a.owed, a.fiscal_delay).cmp(&(b.due, b.paid, b.owed, b.fiscal_delay))
    });
    let mut late_payment = Vec::new();
    let mut late_payment_total = Decimal::ZERO;
    let rate = terms.late_payment.daily_rate;
    for pay in pays {
        let upto = pay.paid.unwrap_or(input.as_of);
        let days = (upto - pay.due).num_days().max(0);
        let paid = match pay.paid {
            Some(d) => format!("paid {d}"),
            None => format!("unpaid at {}", input.as_of),
        };
        let (charge, how) = if days == 0 {
            (Decimal::ZERO, "on time".to_string())
        } else if pay.fiscal_delay && terms.late_payment.fiscal_delay_exempt {
            (
                Decimal::ZERO,
                "not charged: late allocation of government funds".to_string(),
            )
        } else {
            let c = mul(
                mul(pay.owed, rate, "2.4 charge")?,
                Decimal::from(days),
                "2.4 charge",
            )?;
            (
                c,
                format!(
                    "{} × {} × {days} day(s)",
                    money::fen_text(pay.owed),
                    rate.normalize()
                ),
            )
        };
        late_payment_total = add(late_payment_total, charge, "2.4 total")?;
        late_payment.push(LateCharge {
            event: format!("payment due {}, {paid}: {days} day(s) late; {how}", pay.due),
            days_late: days,
            owed: pay.owed,
            charge,
            source_line: pay.line,
        });
    }

    Ok(Statement {
        agreement: terms.agreement.clone(),
        period: p.clone(),
        last_day: p.last_day(),
        readings: terms.readings(),
        journal_count: input.journal_count,
        carrier_count: input.carrier_count,
        count_difference,
        billable,
        count_source: count_source.to_string(),
        price,
        gross,
        budget_cap: terms.budget_cap,
        billed_before: before,
        remaining_budget: remaining,
        gross_within_budget: within,
        gross_within_budget_exact: within_exact,
        over_budget,
        sla_windows,
        penalties,
        removed,
        claims,
        penalties_total,
        carried_in,
        offset,
        payable_before_612,
        fee_documents,
        fee_documents_total,
        cutoff_reached,
        net_payable,
        carried_out,
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
            return Err(BillingError::Order(format!(
                "{} starts before {} ends",
                w[1].period, w[0].period
            )));
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
