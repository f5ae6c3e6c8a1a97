//! A self-contained HTML page with inline SVG charts.

use super::markdown::{met, ms, rate};
use super::svg::{self, esc, RefLine, Series};
use crate::report::{SlaReport, WindowResult};
use std::fmt::Write;

fn pct(r: Option<crate::Rate>) -> Option<f64> {
    r.map(|r| r.as_f64() * 100.0)
}

fn target_pct(t: crate::Target) -> f64 {
    f64::from(t.millionths()) / 10_000.0
}

fn charts(out: &mut String, r: &SlaReport, w: &WindowResult) {
    let s = &r.settings;
    let labels: Vec<String> = w
        .daily
        .iter()
        .map(|d| d.date.format("%m-%d").to_string())
        .collect();
    let _ = write!(
        out,
        "<figure>{}</figure>",
        svg::lines(
            &format!("Daily success and timeliness rates, {}", w.label),
            &labels,
            &[
                Series {
                    name: "success rate",
                    color: "#2ca02c",
                    values: w.daily.iter().map(|d| pct(d.success_rate)).collect(),
                },
                Series {
                    name: "timeliness rate",
                    color: "#1f77b4",
                    values: w.daily.iter().map(|d| pct(d.timeliness_rate)).collect(),
                },
            ],
            &[
                RefLine {
                    label: format!("success target {}", s.success_target),
                    color: "#2ca02c",
                    value: target_pct(s.success_target),
                },
                RefLine {
                    label: format!("timeliness target {}", s.timeliness_target),
                    color: "#1f77b4",
                    value: target_pct(s.timeliness_target),
                },
            ],
        )
    );
    let lat = match s.status_basis {
        crate::StatusBasis::Report => &w.report_latency,
        crate::StatusBasis::Response => &w.response_latency,
    };
    let total = lat.count.max(1) as f64;
    let points: Vec<(f64, f64)> = lat
        .cdf
        .iter()
        .map(|p| (p.le_ms as f64 / 1000.0, p.count as f64 / total * 100.0))
        .collect();
    let threshold_s = s.threshold_ms as f64 / 1000.0;
    let _ = write!(
        out,
        "<figure>{}</figure>",
        svg::cdf(
            &format!(
                "Status latency (submit to {}), cumulative share, {}",
                s.status_basis, w.label
            ),
            &points,
            threshold_s,
            (threshold_s * 2.0).max(10.0),
        )
    );
    let bars: Vec<(String, u64)> = w
        .failures_by_code
        .iter()
        .map(|c| (format!("{} ({})", c.code, c.class), c.count))
        .collect();
    let _ = write!(
        out,
        "<figure>{}</figure>",
        svg::bars(
            &format!("Failures against Party B by cause, {}", w.label),
            &bars
        )
    );
}

fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn window(out: &mut String, r: &SlaReport, w: &WindowResult) {
    let s = &r.settings;
    let _ = write!(out, "<section><h2>Window {}</h2>", esc(&w.label));
    table(
        out,
        &["figure", "value"],
        &[
            vec!["messages submitted (segments)".into(), w.total.to_string()],
            vec!["counted".into(), w.counted.to_string()],
            vec!["failed against Party B".into(), w.failed.to_string()],
            vec!["excluded".into(), w.excluded.to_string()],
            vec!["pending".into(), w.pending.to_string()],
            vec!["refused by policy".into(), w.refused.to_string()],
            vec![
                "success rate (3.7)".into(),
                format!(
                    "{} = {}/{} (target {}: {})",
                    rate(w.success_rate),
                    w.delivered,
                    w.counted,
                    s.success_target,
                    met(w.success_met)
                ),
            ],
            vec![
                "timeliness rate (3.8)".into(),
                format!(
                    "{} = {}/{} (target {}: {})",
                    rate(w.timeliness_rate),
                    w.timely,
                    w.counted,
                    s.timeliness_target,
                    met(w.timeliness_met)
                ),
            ],
        ],
    );
    charts(out, r, w);
    out.push_str("<h3>Failures by code</h3>");
    let rows: Vec<Vec<String>> = w
        .failures_by_code
        .iter()
        .map(|c| {
            vec![
                c.code.clone(),
                c.class.to_string(),
                c.count.to_string(),
                rate(c.share),
            ]
        })
        .collect();
    table(out, &["code", "class", "count", "share"], &rows);
    out.push_str("<h3>Exclusions</h3>");
    let rows: Vec<Vec<String>> = w
        .exclusions
        .iter()
        .map(|e| {
            vec![
                e.detail.clone(),
                e.clause.clone().unwrap_or_else(|| "-".into()),
                e.count.to_string(),
                e.examples.join(", "),
            ]
        })
        .collect();
    table(out, &["reason", "clause/tag", "count", "examples"], &rows);
    out.push_str("<h3>Latency</h3>");
    let rows: Vec<Vec<String>> = [
        ("submit to response", &w.response_latency),
        ("submit to status report", &w.report_latency),
    ]
    .iter()
    .map(|(n, l)| {
        vec![
            n.to_string(),
            l.count.to_string(),
            ms(l.p50_ms),
            ms(l.p90_ms),
            ms(l.p99_ms),
            ms(l.p999_ms),
            ms(l.max_ms),
            l.within
                .iter()
                .map(|x| format!("{} s: {}", x.seconds, rate(x.share)))
                .collect::<Vec<_>>()
                .join(", "),
        ]
    })
    .collect();
    table(
        out,
        &[
            "latency", "count", "p50", "p90", "p99", "p99.9", "max", "within",
        ],
        &rows,
    );
    out.push_str("</section>");
}

/// The report as a self-contained HTML page (inline CSS and SVG, no scripts).
pub fn html(r: &SlaReport) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>SMS service level report</title><style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;color:#222}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}.breach{color:#b00;font-weight:bold}figure{margin:1rem 0}</style></head><body>");
    let _ = write!(
        out,
        "<h1>SMS service level report (clause 3.10)</h1><p>Period {} to {} (end exclusive); data as of {}.</p>",
        esc(&r.from.to_string()),
        esc(&r.until.to_string()),
        esc(&r.as_of.to_string())
    );
    out.push_str("<h2>Readings used</h2><ul>");
    for l in &r.readings {
        let _ = write!(out, "<li>{}</li>", esc(l));
    }
    out.push_str("</ul><h2>Breaches</h2>");
    if r.breaches.is_empty() {
        out.push_str("<p>None.</p>");
    } else {
        out.push_str("<ul>");
        for b in &r.breaches {
            let _ = write!(
                out,
                "<li class=\"breach\">clause {}: {} {} in window {} (target {})</li>",
                esc(&b.clause),
                esc(&b.measure),
                b.rate,
                esc(&b.window),
                b.target
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("<h2>Exemptions applied (clauses 7.1-7.4)</h2>");
    let rows: Vec<Vec<String>> = r
        .exemptions
        .iter()
        .map(|e| {
            vec![
                e.clause.clone(),
                e.start.to_string(),
                e.end.to_string(),
                e.messages.to_string(),
                e.note.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("<p>No exemption windows configured.</p>");
    } else {
        table(
            &mut out,
            &["clause", "start", "end", "messages", "note"],
            &rows,
        );
    }
    for w in &r.windows {
        window(&mut out, r, w);
    }
    if r.windows.len() > 1 {
        window(&mut out, r, &r.overall);
    }
    out.push_str("</body></html>\n");
    out
}
