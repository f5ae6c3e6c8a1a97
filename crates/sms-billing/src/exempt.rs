//! Clauses 7.1–7.4: which exemption claims are honoured, and the windows they
//! give the SLA engine.
//!
//! A claim removes Party B's responsibility for what happened inside its
//! window. For the rates of 3.7/3.8 that means excluding the window's messages
//! from both rates and recomputing every window (6.9/6.10 then follow from the
//! recomputed rates); for the other penalty clauses it means removing the
//! incidents dated inside the window.

use crate::incidents::{ExemptionClaim, IncidentLog};
use crate::terms::Terms;
use crate::when;
use chrono::Duration;
use sms_records::beijing;

/// Clauses whose occurrences follow from the rates, not from dated incidents.
pub const RATE_CLAUSES: [&str; 2] = ["6.9", "6.10"];

/// Clause 7.3: whether a claim is honoured, and why (in words for the statement).
///
/// The 15-day notice with proof binds force majeure (7.2) only by default;
/// `exemptions.notice_required_for` extends it to other clauses.
pub fn judge(terms: &Terms, c: &ExemptionClaim) -> (bool, String) {
    let event_day = c.start.with_timezone(&beijing()).date_naive();
    let limit = event_day + Duration::days(i64::from(terms.exemptions.notice_days));
    let needs = terms.exemptions.notice_required_for.contains(&c.clause);
    if !needs {
        (
            true,
            format!(
                "honoured: clause 7.3's notice does not bind {} (notified {})",
                c.clause, c.notified
            ),
        )
    } else if c.notified > limit {
        (
            false,
            format!(
                "not honoured: notified {}, more than {} days after the event ({}), clause 7.3",
                c.notified, terms.exemptions.notice_days, event_day
            ),
        )
    } else {
        (
            true,
            format!(
                "honoured: notified {} within {} days (7.3)",
                c.notified, terms.exemptions.notice_days
            ),
        )
    }
}

/// The penalty clauses a claim covers: its own list, else the terms' default.
pub fn covers(terms: &Terms, c: &ExemptionClaim) -> Vec<String> {
    c.covers
        .clone()
        .unwrap_or_else(|| terms.exemptions.default_covers.clone())
}

/// The claim's window as text, e.g. `7.1 2026-02-28 23:00 .. 2026-03-01 01:00`.
pub fn label(c: &ExemptionClaim) -> String {
    format!(
        "{} {} .. {}",
        c.clause,
        when::show(c.start),
        when::show(c.end)
    )
}

/// Honoured claims that cover 6.9 or 6.10, as exemption windows for the SLA
/// engine: their messages are excluded from both rates.
pub fn sla_exemptions(terms: &Terms, log: &IncidentLog) -> Vec<sms_sla::Exemption> {
    let mut out: Vec<sms_sla::Exemption> = log
        .exemption
        .iter()
        .filter(|c| judge(terms, c).0)
        .filter(|c| {
            covers(terms, c)
                .iter()
                .any(|k| RATE_CLAUSES.contains(&k.as_str()))
        })
        .map(|c| sms_sla::Exemption {
            start: c.start,
            end: c.end,
            clause: c.clause.clone(),
            note: match &c.note {
                Some(n) => format!("{n} (line {} of {})", c.line, log.origin()),
                None => format!("line {} of {}", c.line, log.origin()),
            },
        })
        .collect();
    out.sort_by(|a, b| (a.start, a.end, &a.clause).cmp(&(b.start, b.end, &b.clause)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::when::{parse_date, parse_instant};

    fn claim(clause: &str, notified: &str) -> ExemptionClaim {
        ExemptionClaim {
            clause: clause.into(),
            start: parse_instant("2026-03-01 10:00").unwrap(),
            end: parse_instant("2026-03-01 12:00").unwrap(),
            notified: parse_date(notified).unwrap(),
            covers: None,
            note: None,
            line: 3,
        }
    }

    #[test]
    fn notice_binds_force_majeure_only_by_default() {
        let terms = Terms::default();
        // Day 20 after a power cut (7.1) or a third party's fault (7.4): still honoured.
        assert!(judge(&terms, &claim("7.1", "2026-03-21")).0);
        assert!(judge(&terms, &claim("7.4", "2026-03-21")).0);
        // Force majeure: 15 days is the limit, day 16 is refused.
        assert!(judge(&terms, &claim("7.2", "2026-03-16")).0);
        let (ok, why) = judge(&terms, &claim("7.2", "2026-03-17"));
        assert!(!ok);
        assert!(why.contains("7.3"), "{why}");
        // The setting extends the rule to 7.1.
        let mut strict = Terms::default();
        strict.exemptions.notice_required_for = vec!["7.1".into(), "7.2".into()];
        assert!(!judge(&strict, &claim("7.1", "2026-03-21")).0);
    }

    #[test]
    fn only_honoured_rate_claims_reach_the_sla_engine() {
        let terms = Terms::default();
        let mut other = claim("7.4", "2026-03-02");
        other.covers = Some(vec!["6.5".into()]);
        let log = IncidentLog {
            exemption: vec![
                claim("7.1", "2026-04-30"),
                claim("7.2", "2026-04-30"),
                other,
            ],
            origin: "inc.toml".into(),
            ..IncidentLog::default()
        };
        let w = sla_exemptions(&terms, &log);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].clause, "7.1");
        assert_eq!(w[0].note, "line 3 of inc.toml");
    }
}
