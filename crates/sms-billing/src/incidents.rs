//! The incident log: everything besides message records that moves money.
//!
//! Primary format: TOML, one array of tables per kind (see
//! `examples/incidents.toml`). Times are quoted strings, `"YYYY-MM-DD HH:MM"`
//! in Beijing time (or RFC 3339 with an offset); dates `"YYYY-MM-DD"`;
//! months `"YYYY-MM"`; amounts quoted decimals. Unknown keys are refused so a
//! typo cannot silently drop an incident.

use crate::money::amount;
use crate::when::{self, Month};
use crate::BillingError;
use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Clause 6.4: a trace request (3.11) and whether it was answered with a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceRequest {
    /// When Party A asked.
    #[serde(with = "when::instant")]
    pub at: DateTime<FixedOffset>,
    /// What was to be traced (message ids, numbers).
    #[serde(default)]
    pub subject: String,
    /// Whether Party B issued the trace report.
    pub answered: bool,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the log file (0 when built in code).
    #[serde(skip)]
    pub line: usize,
}

/// Clause 6.5 (with 3.6): a fault or interruption with its times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When the fault began (or was reported to Party B).
    #[serde(with = "when::instant")]
    pub start: DateTime<FixedOffset>,
    /// When Party B's engineers arrived on site; absent = never.
    #[serde(
        default,
        with = "when::instant::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_site: Option<DateTime<FixedOffset>>,
    /// When the fault was fixed; absent = not fixed.
    #[serde(
        default,
        with = "when::instant::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub fixed: Option<DateTime<FixedOffset>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the log file.
    #[serde(skip)]
    pub line: usize,
}

/// Clause 6.6: what was wrong with a monthly report (3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ReportProblem {
    /// Not delivered.
    Missing,
    /// Delivered late.
    Late,
    /// Content untrue.
    Untrue,
    /// Content incomplete.
    Incomplete,
}

/// Clause 6.6: a monthly report missing, late, untrue or incomplete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthlyReport {
    /// The month the report covers.
    pub month: Month,
    /// When the failure was established; decides the settlement period.
    #[serde(with = "when::instant")]
    pub at: DateTime<FixedOffset>,
    /// What was wrong.
    pub problem: ReportProblem,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the log file.
    #[serde(skip)]
    pub line: usize,
}

/// Clause 6.7 (or 6.11): a dated event described in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Occurrence {
    /// When it happened.
    #[serde(with = "when::instant")]
    pub at: DateTime<FixedOffset>,
    /// What happened.
    #[serde(default)]
    pub note: String,
    /// Line in the log file.
    #[serde(skip)]
    pub line: usize,
}

/// Clause 6.8: the kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ImpactKind {
    /// Party B's fault seriously affected Party A's work.
    SeriousImpact,
    /// A higher authority issued a criticism notice.
    CriticismNotice,
}

/// Clause 6.8: a serious-impact event or criticism notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriousImpact {
    /// When it happened; decides the settlement period.
    #[serde(with = "when::instant")]
    pub at: DateTime<FixedOffset>,
    /// Which of the two events.
    pub kind: ImpactKind,
    /// Month whose fee is the base; default the month of `at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_month: Option<Month>,
    /// That month's fee, when the records do not cover it.
    #[serde(
        default,
        with = "amount::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub month_fee: Option<Decimal>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the log file.
    #[serde(skip)]
    pub line: usize,
}

/// Clause 6.12: the fee list and payment documents for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeDocuments {
    /// The period they are for (`2026Q1`, `P1` or `2025-10-16..2026-01-15`).
    pub period: String,
    /// When they were due.
    #[serde(with = "when::date")]
    pub due: NaiveDate,
    /// When they were submitted; absent = not yet (late up to the as-of date).
    #[serde(
        default,
        with = "when::date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub submitted: Option<NaiveDate>,
    /// Number of times the documents did not meet Party A's payment requirements.
    #[serde(default)]
    pub nonconformities: u32,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the log file.
    #[serde(skip)]
    pub line: usize,
}

/// Clause 2.4: a payment by Party A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// The period paid for.
    pub period: String,
    /// When payment was due.
    #[serde(with = "when::date")]
    pub due: NaiveDate,
    /// When it was paid; absent = unpaid (late up to the as-of date).
    #[serde(
        default,
        with = "when::date::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub paid: Option<NaiveDate>,
    /// Total amount owed.
    #[serde(with = "amount")]
    pub owed: Decimal,
    /// The delay came from late allocation of government funds.
    #[serde(default)]
    pub fiscal_delay: bool,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the log file.
    #[serde(skip)]
    pub line: usize,
}

/// Clauses 7.1–7.4: a claim that events in a window are not Party B's fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExemptionClaim {
    /// `7.1` (non-Party-B cause), `7.2` (force majeure, government action) or `7.4` (third party).
    pub clause: String,
    /// Start of the event.
    #[serde(with = "when::instant")]
    pub start: DateTime<FixedOffset>,
    /// End of the event (exclusive).
    #[serde(with = "when::instant")]
    pub end: DateTime<FixedOffset>,
    /// Clause 7.3: when the other side was told.
    #[serde(with = "when::date")]
    pub notified: NaiveDate,
    /// Penalty clauses the claim removes (6.4–6.11); absent = the terms' default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers: Option<Vec<String>>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Line in the log file.
    #[serde(skip)]
    pub line: usize,
}

/// All incidents of a term; order within a list never changes a result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IncidentLog {
    /// Clause 6.4.
    pub trace: Vec<TraceRequest>,
    /// Clause 6.5.
    pub fault: Vec<Fault>,
    /// Clause 6.6.
    pub monthly_report: Vec<MonthlyReport>,
    /// Clause 6.7.
    pub cooperation: Vec<Occurrence>,
    /// Clause 6.8.
    pub serious_impact: Vec<SeriousImpact>,
    /// Clause 6.11.
    pub leased_line: Vec<Occurrence>,
    /// Clause 6.12.
    pub fee_documents: Vec<FeeDocuments>,
    /// Clause 2.4.
    pub payment: Vec<Payment>,
    /// Clauses 7.1–7.4.
    pub exemption: Vec<ExemptionClaim>,
    /// The file the log was read from, named in every error (empty when built in code).
    #[serde(skip)]
    pub origin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    #[serde(default)]
    trace: Vec<toml::Spanned<TraceRequest>>,
    #[serde(default)]
    fault: Vec<toml::Spanned<Fault>>,
    #[serde(default)]
    monthly_report: Vec<toml::Spanned<MonthlyReport>>,
    #[serde(default)]
    cooperation: Vec<toml::Spanned<Occurrence>>,
    #[serde(default)]
    serious_impact: Vec<toml::Spanned<SeriousImpact>>,
    #[serde(default)]
    leased_line: Vec<toml::Spanned<Occurrence>>,
    #[serde(default)]
    fee_documents: Vec<toml::Spanned<FeeDocuments>>,
    #[serde(default)]
    payment: Vec<toml::Spanned<Payment>>,
    #[serde(default)]
    exemption: Vec<toml::Spanned<ExemptionClaim>>,
}

/// The penalty clauses an exemption claim may remove.
pub const COVERABLE: [&str; 8] = ["6.4", "6.5", "6.6", "6.7", "6.8", "6.9", "6.10", "6.11"];

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(0, |s| s.bytes().filter(|b| *b == b'\n').count())
        + 1
}

/// Turns a TOML error into one naming the file, line and field.
pub(crate) fn toml_error(e: &toml::de::Error, text: &str, origin: &str) -> BillingError {
    let (line, snippet) = match e.span() {
        Some(r) => {
            let line = line_of(text, r.start);
            let snippet = text.lines().nth(line - 1).unwrap_or("").trim().to_string();
            (line, snippet)
        }
        None => (0, String::new()),
    };
    let msg = e.message().trim().replace('\n', " ");
    let message = if snippet.is_empty() {
        msg
    } else {
        format!("{msg} (at `{snippet}`)")
    };
    BillingError::Parse {
        file: origin.to_string(),
        line,
        message,
    }
}

fn take<T>(text: &str, v: Vec<toml::Spanned<T>>, set: fn(&mut T, usize)) -> Vec<T> {
    v.into_iter()
        .map(|s| {
            let line = line_of(text, s.span().start);
            let mut t = s.into_inner();
            set(&mut t, line);
            t
        })
        .collect()
}

impl IncidentLog {
    /// Parses a TOML incident log; `origin` names the file in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<IncidentLog, BillingError> {
        let raw: RawLog = toml::from_str(text).map_err(|e| toml_error(&e, text, origin))?;
        let log = IncidentLog {
            trace: take(text, raw.trace, |t, l| t.line = l),
            fault: take(text, raw.fault, |t, l| t.line = l),
            monthly_report: take(text, raw.monthly_report, |t, l| t.line = l),
            cooperation: take(text, raw.cooperation, |t, l| t.line = l),
            serious_impact: take(text, raw.serious_impact, |t, l| t.line = l),
            leased_line: take(text, raw.leased_line, |t, l| t.line = l),
            fee_documents: take(text, raw.fee_documents, |t, l| t.line = l),
            payment: take(text, raw.payment, |t, l| t.line = l),
            exemption: take(text, raw.exemption, |t, l| t.line = l),
            origin: origin.to_string(),
        };
        log.validate(origin)?;
        Ok(log)
    }

    /// Reads a TOML incident log from a file.
    pub fn load(path: &Path) -> Result<IncidentLog, BillingError> {
        let text = std::fs::read_to_string(path).map_err(|source| BillingError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        IncidentLog::from_toml_str(&text, &path.display().to_string())
    }

    /// Checks what the types cannot: times in order, known clauses, sane amounts.
    pub fn validate(&self, origin: &str) -> Result<(), BillingError> {
        let bad = |line: usize, message: String| BillingError::Parse {
            file: origin.to_string(),
            line,
            message,
        };
        for f in &self.fault {
            for (name, t) in [("on_site", f.on_site), ("fixed", f.fixed)] {
                if matches!(t, Some(t) if t < f.start) {
                    return Err(bad(f.line, format!("[[fault]] `{name}` is before `start`")));
                }
            }
        }
        for p in &self.payment {
            if p.owed.is_sign_negative() {
                return Err(bad(
                    p.line,
                    "[[payment]] `owed` must not be negative".into(),
                ));
            }
        }
        for s in &self.serious_impact {
            if matches!(s.month_fee, Some(m) if m.is_sign_negative()) {
                return Err(bad(
                    s.line,
                    "[[serious_impact]] `month_fee` must not be negative".into(),
                ));
            }
        }
        for c in &self.exemption {
            if !["7.1", "7.2", "7.4"].contains(&c.clause.as_str()) {
                return Err(bad(
                    c.line,
                    format!(
                        "[[exemption]] `clause` is `{}`; expected 7.1, 7.2 or 7.4",
                        c.clause
                    ),
                ));
            }
            if c.end <= c.start {
                return Err(bad(
                    c.line,
                    "[[exemption]] `end` is not after `start`".into(),
                ));
            }
            for k in c.covers.iter().flatten() {
                if !COVERABLE.contains(&k.as_str()) {
                    return Err(bad(
                        c.line,
                        format!("[[exemption]] `covers` lists `{k}`; expected clauses 6.4..6.11"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The file name errors cite: the origin, or `<incidents>` when built in code.
    pub fn origin(&self) -> &str {
        if self.origin.is_empty() {
            "<incidents>"
        } else {
            &self.origin
        }
    }

    /// Every dated incident with its kind, line and time (fee documents and
    /// payments name a period instead, and are not listed).
    pub fn dated(&self) -> Vec<(&'static str, usize, DateTime<FixedOffset>)> {
        let mut out = Vec::new();
        out.extend(self.trace.iter().map(|t| ("[[trace]]", t.line, t.at)));
        out.extend(self.fault.iter().map(|f| ("[[fault]]", f.line, f.start)));
        out.extend(
            self.monthly_report
                .iter()
                .map(|r| ("[[monthly_report]]", r.line, r.at)),
        );
        out.extend(
            self.cooperation
                .iter()
                .map(|c| ("[[cooperation]]", c.line, c.at)),
        );
        out.extend(
            self.serious_impact
                .iter()
                .map(|s| ("[[serious_impact]]", s.line, s.at)),
        );
        out.extend(
            self.leased_line
                .iter()
                .map(|l| ("[[leased_line]]", l.line, l.at)),
        );
        out.extend(
            self.exemption
                .iter()
                .map(|c| ("[[exemption]]", c.line, c.start)),
        );
        out
    }

    /// Refuses incidents dated outside the term (a mistyped year must not be
    /// dropped without a word), and fee documents or payments naming a period
    /// the term does not have; errors name the file and line.
    pub fn check_term(&self, terms: &crate::Terms) -> Result<(), BillingError> {
        let (start, end) = (
            when::start_of(terms.term_start),
            when::start_of(terms.term_end()),
        );
        let bad = |line: usize, message: String| BillingError::Parse {
            file: self.origin().to_string(),
            line,
            message,
        };
        for (kind, line, at) in self.dated() {
            if at < start || at >= end {
                return Err(bad(
                    line,
                    format!(
                        "{kind} dated {} is outside the term {}..{}",
                        when::show(at),
                        terms.term_start,
                        terms.term_end().pred_opt().unwrap_or(terms.term_end())
                    ),
                ));
            }
        }
        for (kind, line, spec) in self
            .fee_documents
            .iter()
            .map(|d| ("[[fee_documents]]", d.line, &d.period))
            .chain(
                self.payment
                    .iter()
                    .map(|p| ("[[payment]]", p.line, &p.period)),
            )
        {
            crate::Period::parse(spec, terms)
                .map_err(|e| bad(line, format!("{kind} `period`: {e}")))?;
        }
        Ok(())
    }

    /// Number of incidents of every kind.
    pub fn len(&self) -> usize {
        self.trace.len()
            + self.fault.len()
            + self.monthly_report.len()
            + self.cooperation.len()
            + self.serious_impact.len()
            + self.leased_line.len()
            + self.fee_documents.len()
            + self.payment.len()
            + self.exemption.len()
    }

    /// Whether the log holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_field() {
        let text = "[[fault]]\nstart = \"2026-02-03 10:00\"\nfixed = \"yesterday\"\n";
        let e = IncidentLog::from_toml_str(text, "inc.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("inc.toml:3:"), "{e}");
        assert!(e.contains("fixed"), "{e}");

        let text = "[[trace]]\nat = \"2026-02-03 10:00\"\n";
        let e = IncidentLog::from_toml_str(text, "inc.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("answered"), "{e}");

        let text = "\n[[fault]]\nstart = \"2026-02-03 10:00\"\nfixed = \"2026-02-03 09:00\"\n";
        let e = IncidentLog::from_toml_str(text, "inc.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("inc.toml:2:"), "{e}");
        assert!(e.contains("`fixed` is before `start`"), "{e}");

        let text = "[[faults]]\nstart = \"2026-02-03 10:00\"\n";
        assert!(IncidentLog::from_toml_str(text, "x")
            .unwrap_err()
            .to_string()
            .contains("faults"));
    }

    #[test]
    fn lines_are_recorded() {
        let text = "[[trace]]\nat = \"2026-02-03 10:00\"\nanswered = false\n\n[[trace]]\nat = \"2026-02-04 10:00\"\nanswered = true\n";
        let log = IncidentLog::from_toml_str(text, "x").unwrap();
        assert_eq!(log.trace.iter().map(|t| t.line).collect::<Vec<_>>(), [1, 5]);
        assert_eq!(log.len(), 2);
    }
}
