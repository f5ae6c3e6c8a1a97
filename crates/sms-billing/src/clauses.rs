//! One function per clause of the contract that moves money.
//!
//! [`PENALTY_CLAUSES`] is the table of penalty clauses (6.4–6.11) the engine
//! applies in order; a renewed contract with another clause changes that table
//! and adds one function. The fee (4.1.3, 4.2, 4.1.5), 6.12 and 2.4 are
//! functions of their own because they act on amounts, not on incidents.

use crate::engine::{ClaimLine, LateCharge, OutsideLine, PenaltyLine, PeriodInput};
use crate::exempt::{self, RATE_CLAUSES};
use crate::incidents::{ExemptionClaim, ImpactKind, IncidentLog, ReportProblem};
use crate::money::{self, add, mul, round_fen};
use crate::period::Period;
use crate::sla::SlaWindow;
use crate::terms::{FeeDocumentsBase, LeasedLineOccurrence, SeriousImpactBase, Terms};
use crate::when::{self, Month};
use crate::BillingError;
use chrono::{DateTime, Duration, FixedOffset};
use rust_decimal::Decimal;
use sms_records::beijing;

/// An honoured exemption claim with what it covers.
pub(crate) struct Honoured<'a> {
    claim: &'a ExemptionClaim,
    covers: Vec<String>,
    label: String,
}

/// Everything a clause function may look at.
pub(crate) struct Ctx<'a> {
    pub terms: &'a Terms,
    pub input: &'a PeriodInput,
    pub log: &'a IncidentLog,
    honoured: Vec<Honoured<'a>>,
}

impl<'a> Ctx<'a> {
    pub fn new(terms: &'a Terms, input: &'a PeriodInput, log: &'a IncidentLog) -> Ctx<'a> {
        let honoured = log
            .exemption
            .iter()
            .filter(|c| exempt::judge(terms, c).0)
            .map(|c| Honoured {
                claim: c,
                covers: exempt::covers(terms, c),
                label: exempt::label(c),
            })
            .collect();
        Ctx {
            terms,
            input,
            log,
            honoured,
        }
    }

    fn period(&self) -> &Period {
        &self.input.period
    }

    /// The honoured claim, if any, that removes a `clause` incident dated `at`.
    /// Rate clauses (6.9/6.10) are never removed here: their messages are.
    fn exempting(&self, clause: &str, at: DateTime<FixedOffset>) -> Option<&Honoured<'a>> {
        if RATE_CLAUSES.contains(&clause) {
            return None;
        }
        self.honoured.iter().find(|h| {
            h.covers.iter().any(|c| c == clause) && at >= h.claim.start && at < h.claim.end
        })
    }

    /// Files `line` as charged, or as not charged when a claim covers it.
    fn charge(&self, line: PenaltyLine, at: DateTime<FixedOffset>, out: &mut Lines) {
        match self.exempting(&line.clause, at) {
            Some(h) => out.not_charged.push(line.not_charged(h.label.clone())),
            None => out.charged.push(line),
        }
    }

    /// SLA windows that start in the period, in order.
    pub fn sla_windows(&self) -> Vec<SlaWindow> {
        let mut w: Vec<SlaWindow> = self
            .input
            .sla
            .iter()
            .filter(|w| self.period().contains(w.start))
            .cloned()
            .collect();
        w.sort_by(|a, b| (a.start, &a.label).cmp(&(b.start, &b.label)));
        w
    }

    /// Exemption claims overlapping the period, each with its fate.
    pub fn claim_lines(&self) -> Vec<ClaimLine> {
        let p = self.period();
        let mut claims: Vec<&ExemptionClaim> = self
            .log
            .exemption
            .iter()
            .filter(|c| c.start < p.end() && p.start() < c.end)
            .collect();
        claims.sort_by(|a, b| {
            (a.start, a.end, &a.clause, a.notified).cmp(&(b.start, b.end, &b.clause, b.notified))
        });
        claims
            .into_iter()
            .map(|c| {
                let (ok, why) = exempt::judge(self.terms, c);
                let covers = exempt::covers(self.terms, c);
                let rates = covers.iter().any(|k| RATE_CLAUSES.contains(&k.as_str()));
                let others: Vec<&str> = covers
                    .iter()
                    .map(String::as_str)
                    .filter(|k| !RATE_CLAUSES.contains(k))
                    .collect();
                let mut effect = Vec::new();
                if rates {
                    effect.push("its messages are excluded from the 6.9/6.10 rates".to_string());
                }
                if !others.is_empty() {
                    effect.push(format!("removes {} incidents in it", others.join(", ")));
                }
                let text = exempt::label(c);
                ClaimLine {
                    clause: c.clause.clone(),
                    event: match &c.note {
                        Some(n) => format!("{text}: {n}"),
                        None => text,
                    },
                    honoured: ok,
                    reason: format!("{why}; {}", effect.join("; ")),
                    source_line: c.line,
                }
            })
            .collect()
    }

    /// Incidents of the term that belong to other periods, listed so none is dropped silently.
    pub fn outside_period(&self) -> Result<Vec<OutsideLine>, BillingError> {
        let p = self.period();
        let mut out: Vec<OutsideLine> = Vec::new();
        for (kind, line, at) in self.log.dated() {
            // A claim belongs to every period it overlaps: handled below.
            if kind != "[[exemption]]" && !p.contains(at) {
                out.push(OutsideLine {
                    kind: kind.to_string(),
                    at: when::show(at),
                    source_line: line,
                });
            }
        }
        for c in &self.log.exemption {
            if !(c.start < p.end() && p.start() < c.end) {
                out.push(OutsideLine {
                    kind: "[[exemption]]".to_string(),
                    at: exempt::label(c),
                    source_line: c.line,
                });
            }
        }
        let named = self
            .log
            .fee_documents
            .iter()
            .map(|d| ("[[fee_documents]]", d.line, &d.period))
            .chain(
                self.log
                    .payment
                    .iter()
                    .map(|x| ("[[payment]]", x.line, &x.period)),
            );
        for (kind, line, spec) in named {
            let other = self.named_period(spec, kind, line)?;
            if !same_period(&other, p) {
                out.push(OutsideLine {
                    kind: kind.to_string(),
                    at: format!("for {other}"),
                    source_line: line,
                });
            }
        }
        out.sort_by(|a, b| (a.source_line, &a.kind, &a.at).cmp(&(b.source_line, &b.kind, &b.at)));
        Ok(out)
    }

    fn named_period(&self, spec: &str, kind: &str, line: usize) -> Result<Period, BillingError> {
        Period::parse(spec, self.terms).map_err(|e| BillingError::Parse {
            file: self.log.origin().to_string(),
            line,
            message: format!("{kind} `period`: {e}"),
        })
    }
}

fn same_period(a: &Period, b: &Period) -> bool {
    a.first_day == b.first_day && a.end_day == b.end_day
}

/// The penalty lines one clause produces for a period.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    pub charged: Vec<PenaltyLine>,
    pub not_charged: Vec<PenaltyLine>,
}

/// One penalty clause of the contract and the function that applies it.
pub struct PenaltyClause {
    /// The clause number, e.g. `6.9`.
    pub clause: &'static str,
    /// What it charges, in a few words.
    pub title: &'static str,
    pub(crate) apply: for<'a> fn(&Ctx<'a>) -> Result<Lines, BillingError>,
}

/// The penalty clauses (6.4–6.11), in the order the statement lists them.
pub static PENALTY_CLAUSES: [PenaltyClause; 8] = [
    PenaltyClause {
        clause: "6.4",
        title: "trace request not answered with a report",
        apply: trace_64,
    },
    PenaltyClause {
        clause: "6.5",
        title: "fault: not on site or not fixed in time",
        apply: fault_65,
    },
    PenaltyClause {
        clause: "6.6",
        title: "monthly report missing, late, untrue or incomplete",
        apply: monthly_report_66,
    },
    PenaltyClause {
        clause: "6.7",
        title: "failure to cooperate",
        apply: cooperation_67,
    },
    PenaltyClause {
        clause: "6.8",
        title: "serious impact or criticism notice",
        apply: serious_impact_68,
    },
    PenaltyClause {
        clause: "6.9",
        title: "success rate below target",
        apply: success_rate_69,
    },
    PenaltyClause {
        clause: "6.10",
        title: "timeliness rate below target",
        apply: timeliness_610,
    },
    PenaltyClause {
        clause: "6.11",
        title: "leased line not provided as required",
        apply: leased_line_611,
    },
];

fn bj(t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    t.with_timezone(&beijing())
}

fn dur(d: Duration) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

fn clause_rank(c: &str) -> u32 {
    let (a, b) = c.split_once('.').unwrap_or((c, "0"));
    a.parse::<u32>().unwrap_or(0) * 100 + b.parse::<u32>().unwrap_or(0)
}

/// Orders lines by clause, then time, so a statement never depends on file order.
pub(crate) fn sort_lines(lines: &mut [PenaltyLine]) {
    lines.sort_by(|a, b| {
        (clause_rank(&a.clause), a.when, &a.event, a.exact).cmp(&(
            clause_rank(&b.clause),
            b.when,
            &b.event,
            b.exact,
        ))
    });
}

/// Clause 6.4: 1,000 per trace request (3.11) not answered with a report.
fn trace_64(ctx: &Ctx) -> Result<Lines, BillingError> {
    let mut out = Lines::default();
    for t in ctx.log.trace.iter().filter(|t| ctx.period().contains(t.at)) {
        if t.answered {
            continue;
        }
        let subj = if t.subject.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.subject)
        };
        let line = PenaltyLine::new(
            "6.4",
            format!(
                "trace request {}{subj} not answered with a report",
                when::show(t.at)
            ),
            ctx.terms.penalties.trace_report,
            t.line,
            Some((t.at, t.at)),
        );
        ctx.charge(line, t.at, &mut out);
    }
    Ok(out)
}

/// Clause 6.5 (with 3.6): 2,000 per fault not on site within 1 h or not fixed within 2 h.
fn fault_65(ctx: &Ctx) -> Result<Lines, BillingError> {
    let mut out = Lines::default();
    let m = &ctx.terms.maintenance;
    let on_site_max = Duration::minutes(i64::from(m.on_site_minutes));
    let fixed_max = Duration::minutes(i64::from(m.fixed_minutes));
    for f in ctx
        .log
        .fault
        .iter()
        .filter(|f| ctx.period().contains(f.start))
    {
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
        if a_ok && b_ok {
            continue;
        }
        let line = PenaltyLine::new(
            "6.5",
            format!("fault {}, {a}, {b}", when::show(f.start)),
            ctx.terms.penalties.fault,
            f.line,
            Some((f.start, f.start)),
        );
        ctx.charge(line, f.start, &mut out);
    }
    Ok(out)
}

/// Clause 6.6: 2,000 per monthly report (3.10) missing, late, untrue or incomplete.
fn monthly_report_66(ctx: &Ctx) -> Result<Lines, BillingError> {
    let mut out = Lines::default();
    for r in ctx
        .log
        .monthly_report
        .iter()
        .filter(|r| ctx.period().contains(r.at))
    {
        let what = match r.problem {
            ReportProblem::Missing => "missing",
            ReportProblem::Late => "late",
            ReportProblem::Untrue => "untrue",
            ReportProblem::Incomplete => "incomplete",
        };
        let line = PenaltyLine::new(
            "6.6",
            format!(
                "monthly report for {} {what} (established {})",
                r.month,
                when::show(r.at)
            ),
            ctx.terms.penalties.monthly_report,
            r.line,
            Some((r.at, r.at)),
        );
        ctx.charge(line, r.at, &mut out);
    }
    Ok(out)
}

/// Clause 6.7: 2,000 per failure to cooperate.
fn cooperation_67(ctx: &Ctx) -> Result<Lines, BillingError> {
    let mut out = Lines::default();
    for c in ctx
        .log
        .cooperation
        .iter()
        .filter(|c| ctx.period().contains(c.at))
    {
        let line = PenaltyLine::new(
            "6.7",
            format!("cooperation failure {}: {}", when::show(c.at), c.note),
            ctx.terms.penalties.cooperation,
            c.line,
            Some((c.at, c.at)),
        );
        ctx.charge(line, c.at, &mut out);
    }
    Ok(out)
}

/// Clause 6.8: 10% of the month's fee (the contract's "rent"; a setting) per
/// serious impact or criticism notice.
fn serious_impact_68(ctx: &Ctx) -> Result<Lines, BillingError> {
    let mut out = Lines::default();
    let pen = &ctx.terms.penalties;
    let price = ctx.terms.price_per_message;
    for s in ctx
        .log
        .serious_impact
        .iter()
        .filter(|s| ctx.period().contains(s.at))
    {
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
                    .unwrap_or_else(|| Month::of_date(bj(s.at).date_naive()));
                match (s.month_fee, ctx.input.month_counts.get(&m)) {
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
        let line = PenaltyLine::new(
            "6.8",
            format!(
                "{kind} {}: {} × {basis}",
                when::show(s.at),
                pen.serious_impact_rate.normalize()
            ),
            amount,
            s.line,
            Some((s.at, s.at)),
        );
        ctx.charge(line, s.at, &mut out);
    }
    Ok(out)
}

/// Clauses 6.9/6.10: one occurrence per window whose rate, with the exempted
/// messages excluded, misses the target. A window that misses only without the
/// exclusion is listed as not charged, with both rates.
fn rate_clause(
    ctx: &Ctx,
    clause: &str,
    what: &str,
    amount: Decimal,
    pick: fn(&SlaWindow) -> (Option<bool>, Option<&str>),
) -> Lines {
    let mut out = Lines::default();
    for w in ctx.sla_windows() {
        let (met, rate) = pick(&w);
        let raw = w.without_exemptions.as_deref().map(pick);
        let when = Some((w.start, w.end));
        let raw_text = |r: Option<&str>| r.unwrap_or("no data").to_string();
        match (met, raw) {
            (Some(false), raw) => {
                let also = match raw {
                    Some((_, r)) => format!(" ({} without exemptions)", raw_text(r)),
                    None => String::new(),
                };
                out.charged.push(PenaltyLine::new(
                    clause,
                    format!(
                        "window {}: {what} rate {} below target{also}",
                        w.label,
                        rate.unwrap_or("?")
                    ),
                    amount,
                    0,
                    when,
                ));
            }
            (_, Some((Some(false), r))) => {
                out.not_charged.push(
                    PenaltyLine::new(
                        clause,
                        format!(
                            "window {}: {what} rate {} without exemptions, {} with them",
                            w.label,
                            raw_text(r),
                            rate.unwrap_or("no data (every message exempted)")
                        ),
                        amount,
                        0,
                        when,
                    )
                    .not_charged(
                        "target met once the exempted messages are excluded (7.1–7.4)".into(),
                    ),
                );
            }
            _ => {}
        }
    }
    out
}

/// Clause 6.9: 2,000 per window whose success rate (3.7) misses 99%.
fn success_rate_69(ctx: &Ctx) -> Result<Lines, BillingError> {
    Ok(rate_clause(
        ctx,
        "6.9",
        "success",
        ctx.terms.penalties.success_rate,
        |w| (w.success_met, w.success_rate_text.as_deref()),
    ))
}

/// Clause 6.10: 2,000 per window whose 7-second timeliness rate (3.8) misses 98%.
fn timeliness_610(ctx: &Ctx) -> Result<Lines, BillingError> {
    Ok(rate_clause(
        ctx,
        "6.10",
        "timeliness",
        ctx.terms.penalties.timeliness,
        |w| (w.timeliness_met, w.timeliness_rate_text.as_deref()),
    ))
}

/// Clause 6.11: 10% of the contract amount when the leased line is not provided
/// as required; by default due at most once per term (the clause names no
/// occurrence), a setting makes it per occurrence.
fn leased_line_611(ctx: &Ctx) -> Result<Lines, BillingError> {
    let mut out = Lines::default();
    let pen = &ctx.terms.penalties;
    let amount = mul(
        ctx.terms.contract_amount(),
        pen.leased_line_rate,
        "6.11 penalty",
    )?;
    let once = pen.leased_line_occurrence == LeasedLineOccurrence::OncePerTerm;
    let mut all: Vec<_> = ctx.log.leased_line.iter().collect();
    all.sort_by_key(|l| (l.at, l.line));
    // The occurrence that makes the penalty due, over the whole term, so every
    // period's statement agrees on which one it is.
    let first_due = all
        .iter()
        .find(|l| ctx.exempting("6.11", l.at).is_none())
        .map(|l| (l.at, l.line));
    for l in all.iter().filter(|l| ctx.period().contains(l.at)) {
        let line = PenaltyLine::new(
            "6.11",
            format!(
                "leased line not provided as required {}: {}; {} × contract amount {}{}",
                when::show(l.at),
                l.note,
                pen.leased_line_rate.normalize(),
                money::fen_text(ctx.terms.contract_amount()),
                if once { " (due once per term)" } else { "" }
            ),
            amount,
            l.line,
            Some((l.at, l.at)),
        );
        match (ctx.exempting("6.11", l.at), first_due) {
            (Some(h), _) => out.not_charged.push(line.not_charged(h.label.clone())),
            (None, Some((at, n))) if once && (at, n) != (l.at, l.line) => {
                out.not_charged.push(line.not_charged(format!(
                    "6.11 is due at most once per term; it is due for the failure of {}",
                    when::show(at)
                )))
            }
            _ => out.charged.push(line),
        }
    }
    Ok(out)
}

/// Clauses 4.1.3, 4.2 and 4.1.5: the count billed, the gross and the part within the cap.
pub(crate) struct Fee {
    pub billable: u64,
    pub count_source: &'static str,
    pub count_difference: Option<i128>,
    pub gross: Decimal,
    pub remaining: Decimal,
    pub within_exact: Decimal,
    pub within: Decimal,
    pub over_budget: Decimal,
}

/// Clauses 4.1.3 (Party B's count is billed when given), 4.2 (price) and 4.1.5 (cap).
pub(crate) fn fee(ctx: &Ctx, ledger: &crate::Ledger) -> Result<Fee, BillingError> {
    let input = ctx.input;
    let (billable, count_source) = match (input.carrier_count, input.journal_count) {
        (Some(c), _) => (c, "party B"),
        (None, Some(j)) => (j, "journal"),
        (None, None) => (0, "none given"),
    };
    let count_difference = match (input.carrier_count, input.journal_count) {
        (Some(c), Some(j)) => Some(i128::from(c) - i128::from(j)),
        _ => None,
    };
    let gross = mul(
        Decimal::from(billable),
        ctx.terms.price_per_message,
        "gross fee",
    )?;
    // The period's share is rounded on the cumulative total so the fen amounts
    // of the term add up to at most the cap.
    let before = ledger.billed_within_budget;
    let remaining = (ctx.terms.budget_cap - before).max(Decimal::ZERO);
    let within_exact = gross.min(remaining);
    let cum = add(before, within_exact, "cumulative gross")?;
    Ok(Fee {
        billable,
        count_source,
        count_difference,
        gross,
        remaining,
        within_exact,
        within: round_fen(cum) - round_fen(before),
        over_budget: gross - within_exact,
    })
}

/// Clause 6.12 deductions of a period.
pub(crate) struct FeeDocs {
    pub lines: Vec<PenaltyLine>,
    pub total: Decimal,
    pub cutoff_reached: bool,
}

/// Clause 6.12: 10% of the period's payable per day late or per non-conformity
/// of its fee documents; at 3 days or 3 non-conformities nothing is paid.
pub(crate) fn fee_documents_612(
    ctx: &Ctx,
    payable_before_612: Decimal,
    within: Decimal,
) -> Result<FeeDocs, BillingError> {
    let pen = &ctx.terms.penalties;
    let mut docs = Vec::new();
    for d in &ctx.log.fee_documents {
        let dp = ctx.named_period(&d.period, "[[fee_documents]]", d.line)?;
        if same_period(&dp, ctx.period()) {
            docs.push(d);
        }
    }
    docs.sort_by(|a, b| {
        (a.due, a.submitted, a.nonconformities).cmp(&(b.due, b.submitted, b.nonconformities))
    });
    let base = match pen.fee_documents_base {
        FeeDocumentsBase::PayableBefore612 => payable_before_612,
        FeeDocumentsBase::GrossWithinBudget => within,
    };
    let mut days_total: i64 = 0;
    let mut noncon_total: u64 = 0;
    let mut lines = Vec::new();
    for d in &docs {
        let upto = d.submitted.unwrap_or(ctx.input.as_of);
        let days = (upto - d.due).num_days().max(0);
        days_total = days_total.saturating_add(days);
        noncon_total += u64::from(d.nonconformities);
        let sub = match d.submitted {
            Some(s) => format!("submitted {s}"),
            None => format!("not submitted by {}", ctx.input.as_of),
        };
        let units = Decimal::from(days) + Decimal::from(d.nonconformities);
        let amount = mul(mul(units, pen.fee_documents_rate, "6.12")?, base, "6.12")?;
        lines.push(PenaltyLine::new(
            "6.12",
            format!(
                "fee documents due {}, {sub}: {days} day(s) late, {} non-conformit{} → {} × {} × base {}",
                d.due,
                d.nonconformities,
                if d.nonconformities == 1 { "y" } else { "ies" },
                units,
                pen.fee_documents_rate.normalize(),
                money::fen_text(base)
            ),
            amount,
            d.line,
            None,
        ));
    }
    let cutoff_reached = !docs.is_empty()
        && (days_total >= i64::from(pen.fee_documents_cutoff_days)
            || noncon_total >= u64::from(pen.fee_documents_cutoff_nonconformities));
    let total = if cutoff_reached {
        lines.push(PenaltyLine::new(
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
        for l in &lines {
            s = add(s, l.exact, "6.12 total")?;
        }
        s.min(payable_before_612)
    };
    Ok(FeeDocs {
        lines,
        total,
        cutoff_reached,
    })
}

/// Clause 2.4: Party A pays 3% of the amount owed per day late, unless the delay
/// comes from late allocation of government funds.
pub(crate) fn late_payment_24(ctx: &Ctx) -> Result<(Vec<LateCharge>, Decimal), BillingError> {
    let mut pays = Vec::new();
    for pay in &ctx.log.payment {
        let pp = ctx.named_period(&pay.period, "[[payment]]", pay.line)?;
        if same_period(&pp, ctx.period()) {
            pays.push(pay);
        }
    }
    pays.sort_by(|a, b| {
        (a.due, a.paid, a.owed, a.fiscal_delay).cmp(&(b.due, b.paid, b.owed, b.fiscal_delay))
    });
    let mut out = Vec::new();
    let mut total = Decimal::ZERO;
    let rate = ctx.terms.late_payment.daily_rate;
    for pay in pays {
        let upto = pay.paid.unwrap_or(ctx.input.as_of);
        let days = (upto - pay.due).num_days().max(0);
        let paid = match pay.paid {
            Some(d) => format!("paid {d}"),
            None => format!("unpaid at {}", ctx.input.as_of),
        };
        let (charge, how) = if days == 0 {
            (Decimal::ZERO, "on time".to_string())
        } else if pay.fiscal_delay && ctx.terms.late_payment.fiscal_delay_exempt {
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
        total = add(total, charge, "2.4 total")?;
        out.push(LateCharge {
            event: format!("payment due {}, {paid}: {days} day(s) late; {how}", pay.due),
            days_late: days,
            owed: pay.owed,
            charge,
            source_line: pay.line,
        });
    }
    Ok((out, total))
}
