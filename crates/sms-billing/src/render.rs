//! Statements as Markdown, JSON and CSV.
//!
//! Amounts print with exactly two decimals and no thousands separator
//! (`12345.67`); in JSON they are strings, so no reader turns them into floats.

use crate::engine::{PenaltyLine, Statement, TermSummary};
use crate::money::fen_text;
use std::fmt::Write as _;

/// Output format of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Markdown tables for people.
    Markdown,
    /// One JSON document.
    Json,
    /// `section,clause,item,amount,detail` lines.
    Csv,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "md" | "markdown" => Ok(Format::Markdown),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            o => Err(format!("unknown format `{o}`; expected md, json or csv")),
        }
    }
}

/// Renders a statement in the given format.
pub fn render(s: &Statement, f: Format) -> String {
    match f {
        Format::Markdown => markdown(s),
        Format::Json => json(s),
        Format::Csv => csv(s),
    }
}

/// The statement as pretty JSON (amounts as two-decimal strings).
pub fn json(s: &Statement) -> String {
    serde_json::to_string_pretty(s).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn count(o: Option<u64>) -> String {
    o.map_or_else(|| "—".to_string(), |n| n.to_string())
}

/// The statement as Markdown.
pub fn markdown(s: &Statement) -> String {
    let mut o = String::new();
    let p = &s.period;
    let _ = writeln!(
        o,
        "# Settlement statement {} ({} .. {})\n",
        p.label, p.first_day, s.last_day
    );
    let _ = writeln!(o, "Agreement {}. Amounts in CNY.\n", s.agreement);
    let _ = writeln!(o, "## Fee (4.1–4.2)\n");
    let _ = writeln!(o, "| item | value | inputs |\n|---|---:|---|");
    let _ = writeln!(
        o,
        "| Party A's count (journal) | {} | |",
        count(s.journal_count)
    );
    let _ = writeln!(
        o,
        "| Party B's count (billing data) | {} | |",
        count(s.carrier_count)
    );
    if let Some(d) = s.count_difference {
        let _ = writeln!(o, "| difference (B − A) | {d} | |");
    }
    let _ = writeln!(
        o,
        "| billable (4.1.3) | {} | {} count |",
        s.billable, s.count_source
    );
    let _ = writeln!(
        o,
        "| gross (4.2) | {} | {} × {} |",
        fen_text(s.gross),
        s.billable,
        s.price.normalize()
    );
    let _ = writeln!(o, "| budget cap (4.1.5) | {} | |", fen_text(s.budget_cap));
    let _ = writeln!(
        o,
        "| billed earlier in the term | {} | |",
        fen_text(s.billed_before)
    );
    let _ = writeln!(
        o,
        "| remaining budget | {} | cap − earlier |",
        fen_text(s.remaining_budget)
    );
    let _ = writeln!(
        o,
        "| gross within budget | {} | min(gross, remaining) |",
        fen_text(s.gross_within_budget)
    );
    let _ = writeln!(
        o,
        "| over budget, not payable (4.1.5) | {} | gross − within |",
        fen_text(s.over_budget)
    );

    if !s.sla_windows.is_empty() {
        let _ = writeln!(o, "\n## SLA windows (3.7/3.8 → 6.9/6.10)\n");
        let met = |m: Option<bool>| match m {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "no data",
        };
        let rate = |r: &Option<String>| r.as_deref().unwrap_or("—").to_string();
        let any_raw = s.sla_windows.iter().any(|w| w.without_exemptions.is_some());
        if any_raw {
            let _ = writeln!(
                o,
                "Rates with the exempted messages excluded (these decide 6.9/6.10), and without the exemptions.\n"
            );
            let _ = writeln!(
                o,
                "| window | success rate | met | without exemptions | timeliness rate | met | without exemptions |\n|---|---:|---|---:|---:|---|---:|"
            );
        } else {
            let _ = writeln!(
                o,
                "| window | success rate | met | timeliness rate | met |\n|---|---:|---|---:|---|"
            );
        }
        for w in &s.sla_windows {
            if any_raw {
                let raw = w.without_exemptions.as_deref();
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    md_cell(&w.label),
                    rate(&w.success_rate_text),
                    met(w.success_met),
                    raw.map_or("—".into(), |r| rate(&r.success_rate_text)),
                    rate(&w.timeliness_rate_text),
                    met(w.timeliness_met),
                    raw.map_or("—".into(), |r| rate(&r.timeliness_rate_text)),
                );
            } else {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    md_cell(&w.label),
                    rate(&w.success_rate_text),
                    met(w.success_met),
                    rate(&w.timeliness_rate_text),
                    met(w.timeliness_met)
                );
            }
        }
    }
    if !s.exemption_windows.is_empty() {
        let _ = writeln!(
            o,
            "\n### Exemption windows (7.1–7.4): messages excluded from both rates\n\n| clause | window | messages removed | note |\n|---|---|---:|---|"
        );
        for e in &s.exemption_windows {
            let _ = writeln!(
                o,
                "| {} | {} .. {} | {} | {} |",
                e.clause,
                crate::when::show(e.start),
                crate::when::show(e.end),
                e.messages,
                md_cell(&e.note)
            );
        }
    }

    let table = |o: &mut String, lines: &[PenaltyLine], with_removed: bool| {
        let _ = writeln!(
            o,
            "| clause | event and inputs | amount |{}\n|---|---|---:|{}",
            if with_removed {
                " why not charged |"
            } else {
                ""
            },
            if with_removed { "---|" } else { "" }
        );
        for l in lines {
            let _ = write!(
                o,
                "| {} | {} | {} |",
                l.clause,
                md_cell(&l.event),
                fen_text(l.exact)
            );
            if with_removed {
                let _ = write!(o, " {} |", md_cell(l.removed_by.as_deref().unwrap_or("")));
            }
            o.push('\n');
        }
    };
    let _ = writeln!(o, "\n## Penalties (6.4–6.11)\n");
    if s.penalties.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        table(&mut o, &s.penalties, false);
    }
    if !s.removed.is_empty() {
        let _ = writeln!(o, "\n### Not charged (7.1–7.4, 6.11 once per term)\n");
        table(&mut o, &s.removed, true);
    }
    if !s.claims.is_empty() {
        let _ = writeln!(o, "\n### Exemption claims (7.1–7.4)\n\n| clause | claim | honoured | reason |\n|---|---|---|---|");
        for c in &s.claims {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                c.clause,
                md_cell(&c.event),
                if c.honoured { "yes" } else { "no" },
                md_cell(&c.reason)
            );
        }
    }
    if !s.outside_period.is_empty() {
        let _ = writeln!(
            o,
            "\n### Incidents outside this period (settled in their own period)\n\n| line | kind | dated |\n|---:|---|---|"
        );
        for x in &s.outside_period {
            let _ = writeln!(o, "| {} | {} | {} |", x.source_line, x.kind, md_cell(&x.at));
        }
    }
    if !s.fee_documents.is_empty() {
        let _ = writeln!(o, "\n## Fee documents (6.12)\n");
        table(&mut o, &s.fee_documents, false);
    }

    let _ = writeln!(o, "\n## Settlement\n\n| item | amount |\n|---|---:|");
    let _ = writeln!(
        o,
        "| gross within budget | {} |",
        fen_text(s.gross_within_budget)
    );
    let _ = writeln!(
        o,
        "| penalties 6.4–6.11 | {} |",
        fen_text(s.penalties_total)
    );
    let _ = writeln!(
        o,
        "| carried in from the previous period | {} |",
        fen_text(s.carried_in)
    );
    let _ = writeln!(o, "| offset against the fee | {} |", fen_text(s.offset));
    let _ = writeln!(
        o,
        "| payable before 6.12 | {} |",
        fen_text(s.payable_before_612)
    );
    let _ = writeln!(
        o,
        "| 6.12 deductions | {} |",
        fen_text(s.fee_documents_total)
    );
    let _ = writeln!(o, "| **net payable** | **{}** |", fen_text(s.net_payable));
    if s.last_of_term {
        let _ = writeln!(
            o,
            "| owed by Party B at the end of the term | {} |",
            fen_text(s.owed_at_term_end)
        );
    } else {
        let _ = writeln!(
            o,
            "| carried to the next period | {} |",
            fen_text(s.carried_out)
        );
    }
    if s.carried_out > rust_decimal::Decimal::ZERO {
        let _ = writeln!(
            o,
            "\nPenalties exceed the fee: {} is carried to the next period.",
            fen_text(s.carried_out)
        );
    }
    if s.owed_at_term_end > rust_decimal::Decimal::ZERO {
        let _ = writeln!(
            o,
            "\nPenalties exceed the fee of the term's last period: {} is owed by Party B at the end of the term.",
            fen_text(s.owed_at_term_end)
        );
    }
    if s.cutoff_reached {
        let _ = writeln!(
            o,
            "\nClause 6.12 cut-off reached: nothing is paid for this period."
        );
    }

    let _ = writeln!(o, "\n## Party A's late payments (2.4)\n");
    if s.late_payment.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "| payment | owed | charge |\n|---|---:|---:|");
        for l in &s.late_payment {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                md_cell(&l.event),
                fen_text(l.owed),
                fen_text(l.charge)
            );
        }
        let _ = writeln!(
            o,
            "| **total** | | **{}** |",
            fen_text(s.late_payment_total)
        );
    }

    let _ = writeln!(o, "\n## Readings applied\n");
    for r in &s.readings {
        let _ = writeln!(o, "- {r}");
    }
    o
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The statement as CSV lines: `section,clause,item,amount,detail`.
pub fn csv(s: &Statement) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    let mut row = |sec: &str, cl: &str, item: &str, amount: String, detail: String| {
        rows.push([sec.into(), cl.into(), item.into(), amount, detail]);
    };
    let p = &s.period;
    row(
        "period",
        "4.1.3",
        &p.label,
        String::new(),
        format!("{}..{}", p.first_day, s.last_day),
    );
    row(
        "count",
        "4.1.3",
        "journal",
        count(s.journal_count),
        String::new(),
    );
    row(
        "count",
        "4.1.3",
        "party B",
        count(s.carrier_count),
        String::new(),
    );
    if let Some(d) = s.count_difference {
        row(
            "count",
            "4.1.3",
            "difference",
            d.to_string(),
            "party B − journal".into(),
        );
    }
    row(
        "count",
        "4.1.3",
        "billable",
        s.billable.to_string(),
        format!("{} count", s.count_source),
    );
    row(
        "fee",
        "4.2",
        "gross",
        fen_text(s.gross),
        format!("{} × {}", s.billable, s.price.normalize()),
    );
    row(
        "fee",
        "4.1.5",
        "budget cap",
        fen_text(s.budget_cap),
        String::new(),
    );
    row(
        "fee",
        "4.1.5",
        "billed before",
        fen_text(s.billed_before),
        String::new(),
    );
    row(
        "fee",
        "4.1.5",
        "remaining budget",
        fen_text(s.remaining_budget),
        String::new(),
    );
    row(
        "fee",
        "4.1.5",
        "gross within budget",
        fen_text(s.gross_within_budget),
        String::new(),
    );
    row(
        "fee",
        "4.1.5",
        "over budget",
        fen_text(s.over_budget),
        "not payable".into(),
    );
    for l in &s.penalties {
        row(
            "penalty",
            &l.clause,
            "penalty",
            fen_text(l.exact),
            l.event.clone(),
        );
    }
    for l in &s.removed {
        row(
            "not charged",
            &l.clause,
            "not charged",
            fen_text(l.exact),
            format!(
                "{} (why: {})",
                l.event,
                l.removed_by.as_deref().unwrap_or("")
            ),
        );
    }
    for w in &s.sla_windows {
        let raw = w.without_exemptions.as_deref();
        row(
            "sla",
            "6.9",
            &w.label,
            String::new(),
            format!(
                "success rate {}{}",
                w.success_rate_text.as_deref().unwrap_or("no data"),
                raw.map_or(String::new(), |r| format!(
                    " ({} without exemptions)",
                    r.success_rate_text.as_deref().unwrap_or("no data")
                ))
            ),
        );
        row(
            "sla",
            "6.10",
            &w.label,
            String::new(),
            format!(
                "timeliness rate {}{}",
                w.timeliness_rate_text.as_deref().unwrap_or("no data"),
                raw.map_or(String::new(), |r| format!(
                    " ({} without exemptions)",
                    r.timeliness_rate_text.as_deref().unwrap_or("no data")
                ))
            ),
        );
    }
    for e in &s.exemption_windows {
        row(
            "exemption window",
            &e.clause,
            "messages removed",
            e.messages.to_string(),
            format!(
                "{} .. {} {}",
                crate::when::show(e.start),
                crate::when::show(e.end),
                e.note
            ),
        );
    }
    for x in &s.outside_period {
        row(
            "outside this period",
            "",
            &x.kind,
            String::new(),
            format!("line {}: {}", x.source_line, x.at),
        );
    }
    for c in &s.claims {
        row(
            "claim",
            &c.clause,
            if c.honoured {
                "honoured"
            } else {
                "not honoured"
            },
            String::new(),
            format!("{}; {}", c.event, c.reason),
        );
    }
    for l in &s.fee_documents {
        row(
            "fee documents",
            &l.clause,
            "deduction",
            fen_text(l.exact),
            l.event.clone(),
        );
    }
    row(
        "settlement",
        "6.4-6.11",
        "penalties total",
        fen_text(s.penalties_total),
        String::new(),
    );
    row(
        "settlement",
        "",
        "carried in",
        fen_text(s.carried_in),
        String::new(),
    );
    row(
        "settlement",
        "",
        "offset",
        fen_text(s.offset),
        String::new(),
    );
    row(
        "settlement",
        "6.12",
        "payable before 6.12",
        fen_text(s.payable_before_612),
        String::new(),
    );
    row(
        "settlement",
        "6.12",
        "6.12 total",
        fen_text(s.fee_documents_total),
        if s.cutoff_reached {
            "cut-off reached".into()
        } else {
            String::new()
        },
    );
    row(
        "settlement",
        "",
        "net payable",
        fen_text(s.net_payable),
        String::new(),
    );
    if s.last_of_term {
        row(
            "settlement",
            "",
            "owed by Party B at the end of the term",
            fen_text(s.owed_at_term_end),
            String::new(),
        );
    } else {
        row(
            "settlement",
            "",
            "carried out",
            fen_text(s.carried_out),
            String::new(),
        );
    }
    for l in &s.late_payment {
        row(
            "late payment",
            "2.4",
            "charge",
            fen_text(l.charge),
            l.event.clone(),
        );
    }
    row(
        "late payment",
        "2.4",
        "total",
        fen_text(s.late_payment_total),
        String::new(),
    );
    let mut o = String::from("section,clause,item,amount,detail\n");
    for r in rows {
        let line: Vec<String> = r.iter().map(|f| csv_field(f)).collect();
        o.push_str(&line.join(","));
        o.push('\n');
    }
    o
}

/// The term summary as Markdown (after the period statements of a `--term` run).
pub fn term_markdown(t: &TermSummary) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Term summary, agreement {} ({})\n",
        t.agreement,
        t.periods.join(", ")
    );
    let _ = writeln!(o, "| item | amount |\n|---|---:|");
    let _ = writeln!(o, "| billable messages | {} |", t.billable);
    for (item, v) in [
        ("gross", t.gross),
        ("gross within budget (4.1.5)", t.gross_within_budget),
        ("over budget, not payable", t.over_budget),
        ("budget left", t.remaining_budget),
        ("penalties 6.4–6.11", t.penalties),
        ("6.12 deductions", t.fee_documents),
        ("**net payable to Party B**", t.net_payable),
        ("carried past the last settled period", t.carried_out),
        ("owed by Party B at the end of the term", t.owed_at_term_end),
        ("Party A's late-payment charges (2.4)", t.late_payment),
    ] {
        let _ = writeln!(o, "| {item} | {} |", fen_text(v));
    }
    o
}

/// The term summary as CSV rows (`section,clause,item,amount,detail`, no header).
pub fn term_csv(t: &TermSummary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "term,,billable,{},", t.billable);
    for (item, v) in [
        ("gross", t.gross),
        ("gross within budget", t.gross_within_budget),
        ("over budget", t.over_budget),
        ("budget left", t.remaining_budget),
        ("penalties", t.penalties),
        ("6.12 deductions", t.fee_documents),
        ("net payable", t.net_payable),
        ("carried out", t.carried_out),
        ("owed by Party B at the end of the term", t.owed_at_term_end),
        ("late payment", t.late_payment),
    ] {
        let _ = writeln!(o, "term,,{item},{},", fen_text(v));
    }
    o
}
