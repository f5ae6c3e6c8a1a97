//! Markdown rendering of the report.

use crate::histogram::LatencySummary;
use crate::rate::Rate;
use crate::report::{SlaReport, WindowResult};
use std::fmt::Write;

pub(crate) fn rate(r: Option<Rate>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| r.to_string())
}

pub(crate) fn met(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "no rate",
    }
}

pub(crate) fn ms(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v} ms"))
}

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn latency_row(out: &mut String, name: &str, l: &LatencySummary) {
    let within: Vec<String> = l
        .within
        .iter()
        .map(|w| format!("{} s: {}", w.seconds, rate(w.share)))
        .collect();
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} | {} | {} |",
        l.count,
        ms(l.p50_ms),
        ms(l.p90_ms),
        ms(l.p99_ms),
        ms(l.p999_ms),
        ms(l.max_ms),
        within.join(", ")
    );
}

fn window(out: &mut String, r: &SlaReport, w: &WindowResult, daily: bool) {
    let s = &r.settings;
    let _ = writeln!(out, "\n## Window {} ({} to {})\n", w.label, w.start, w.end);
    let _ = writeln!(out, "| figure | value |\n|---|---|");
    let _ = writeln!(out, "| messages submitted (segments) | {} |", w.total);
    let _ = writeln!(out, "| counted | {} |", w.counted);
    let _ = writeln!(out, "| delivered (not failed) | {} |", w.delivered);
    let _ = writeln!(out, "| failed against Party B | {} |", w.failed);
    let _ = writeln!(out, "| excluded (listed below) | {} |", w.excluded);
    let _ = writeln!(
        out,
        "| pending (not yet past the deadline) | {} |",
        w.pending
    );
    let _ = writeln!(out, "| refused by policy (never sent) | {} |", w.refused);
    let _ = writeln!(
        out,
        "| success rate (3.7) | {} = {}/{} (target {}: {}) |",
        rate(w.success_rate),
        w.delivered,
        w.counted,
        s.success_target,
        met(w.success_met)
    );
    let _ = writeln!(
        out,
        "| timeliness rate (3.8) | {} = {}/{} (target {}: {}) |",
        rate(w.timeliness_rate),
        w.timely,
        w.counted,
        s.timeliness_target,
        met(w.timeliness_met)
    );
    for b in &w.breaches {
        let _ = writeln!(
            out,
            "\n**Breach of clause {}**: {} {} below target {} in window {}.",
            b.clause, b.measure, b.rate, b.target, b.window
        );
    }

    let _ = writeln!(out, "\n### Failures against Party B\n");
    let k = &w.failed_by_kind;
    let _ = writeln!(
        out,
        "By cause class: carrier {}, unknown {}. By kind: submit rejected {}, no response {}, failure report {}, no report within deadline {}, report after deadline {}.\n",
        w.failed_by_class.carrier,
        w.failed_by_class.unknown,
        k.submit_rejected,
        k.no_response,
        k.report_failed,
        k.no_report,
        k.late_report
    );
    if w.failures_by_code.is_empty() {
        let _ = writeln!(out, "No failures.");
    } else {
        let _ = writeln!(
            out,
            "| code | class | count | share of failures |\n|---|---|---|---|"
        );
        for c in &w.failures_by_code {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&c.code),
                c.class,
                c.count,
                rate(c.share)
            );
        }
    }

    let _ = writeln!(out, "\n### Exclusions\n");
    if w.exclusions.is_empty() {
        let _ = writeln!(out, "None.");
    } else {
        let _ = writeln!(
            out,
            "| reason | clause/tag | count | examples |\n|---|---|---|---|"
        );
        for e in &w.exclusions {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&e.detail),
                cell(e.clause.as_deref().unwrap_or("-")),
                e.count,
                cell(&e.examples.join(", "))
            );
        }
    }
    if !w.pending_examples.is_empty() {
        let _ = writeln!(out, "\nPending examples: {}", w.pending_examples.join(", "));
    }

    let _ = writeln!(out, "\n### Latency (counted messages)\n");
    let _ = writeln!(
        out,
        "| latency | count | p50 | p90 | p99 | p99.9 | max | share within |\n|---|---|---|---|---|---|---|---|"
    );
    latency_row(out, "submit to response", &w.response_latency);
    latency_row(out, "submit to status report", &w.report_latency);

    if daily && !w.daily.is_empty() {
        let _ = writeln!(out, "\n### Daily\n");
        let _ = writeln!(
            out,
            "| date | counted | failed | timely | success | timeliness |\n|---|---|---|---|---|---|"
        );
        for d in &w.daily {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                d.date,
                d.counted,
                d.failed,
                d.timely,
                rate(d.success_rate),
                rate(d.timeliness_rate)
            );
        }
    }
}

/// The report as Markdown.
pub fn markdown(r: &SlaReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# SMS service level report (clause 3.10)\n\nPeriod {} to {} (end exclusive); data as of {}.",
        r.from, r.until, r.as_of
    );
    let _ = writeln!(out, "\n## Readings used\n");
    for line in &r.readings {
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(out, "\n## Summary\n");
    let _ = writeln!(
        out,
        "| window | sent | counted | failed | success rate | timeliness rate | breaches |\n|---|---|---|---|---|---|---|"
    );
    for w in &r.windows {
        let b: Vec<&str> = w.breaches.iter().map(|b| b.clause.as_str()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            w.label,
            w.total,
            w.counted,
            w.failed,
            rate(w.success_rate),
            rate(w.timeliness_rate),
            if b.is_empty() {
                "none".to_string()
            } else {
                b.join(", ")
            }
        );
    }
    let _ = writeln!(out, "\n## Breaches\n");
    if r.breaches.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for b in &r.breaches {
        let _ = writeln!(
            out,
            "- clause {} ({}): {} in window {} against target {}",
            b.clause, b.measure, b.rate, b.window, b.target
        );
    }
    let _ = writeln!(out, "\n## Exemptions applied (clauses 7.1-7.4)\n");
    if r.exemptions.is_empty() {
        let _ = writeln!(out, "No exemption windows configured.");
    }
    for e in &r.exemptions {
        let _ = writeln!(
            out,
            "- clause {}: {} to {}, {} message(s) excluded. {}",
            e.clause, e.start, e.end, e.messages, e.note
        );
    }
    if r.refused_without_time + r.unplaced + r.outside_range > 0 {
        let _ = writeln!(
            out,
            "\nNot placed in any window: {} refused without submit time, {} never submitted, {} outside the period.",
            r.refused_without_time, r.unplaced, r.outside_range
        );
    }
    // With one window the overall figures repeat it; print them only when they add something.
    let daily_per_window = r.windows.len() > 1 && r.windows.iter().all(|w| w.daily.len() > 1);
    for w in &r.windows {
        window(&mut out, r, w, daily_per_window || r.windows.len() == 1);
    }
    if r.windows.len() > 1 {
        window(&mut out, r, &r.overall, !daily_per_window);
    }
    out
}
