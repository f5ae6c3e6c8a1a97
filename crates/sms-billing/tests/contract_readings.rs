//! The contract's readings (issue 14), each with amounts computed by hand to the fen:
//! exemption windows acting on messages across a month boundary and the
//! Beijing/UTC date line, the 7.3 notice, 6.11 once per term, the term as one
//! chain with its ledger, and incidents outside the period or the term.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sms_billing::incidents::*;
use sms_billing::render;
use sms_billing::when::{parse_date, parse_instant, Month};
use sms_billing::*;
use sms_records::{FinalState, Record};
use std::collections::BTreeMap;

fn t(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    parse_instant(s).unwrap()
}
fn d(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}

/// A message submitted at `at` (Beijing): delivered with its report `report_s` seconds
/// later, or rejected by the gateway (result 9, carrier side) when `report_s` is `None`.
fn msg(id: usize, at: DateTime<Utc>, report_s: Option<i64>) -> Record {
    let mut r = Record::new(format!("m{id}"));
    r.submitted_at = Some(at);
    r.responded_at = Some(at + Duration::milliseconds(40));
    match report_s {
        Some(s) => {
            r.resp_result = Some(0);
            r.reported_at = Some(at + Duration::seconds(s));
            r.report_stat = Some("DELIVRD".into());
            r.final_state = FinalState::Delivered;
        }
        None => {
            r.resp_result = Some(9);
            r.final_state = FinalState::Failed;
        }
    }
    r
}

fn bj(s: &str) -> DateTime<Utc> {
    t(s).with_timezone(&Utc)
}

/// The case: a 2-hour 7.1 claim across the last day of February and the
/// first of March (Beijing), which in UTC lies wholly on February 28th.
///
/// - February: 990 delivered + 10 rejected outside the window, 20 rejected inside
///   (Feb 28 23:00–24:00 Beijing). Without the exemption 990/1020 = 97.06% (< 99%);
///   with it 990/1000 = 99.00%: met.
/// - March: 1000 delivered outside the window, 30 of them reported after 8 s;
///   20 rejected inside (Mar 1 00:00–01:00 Beijing = Feb 28 16:00–17:00 UTC).
///   Success: 1000/1020 = 98.04% without, 1000/1000 with: met. Timeliness:
///   970/1000 = 97.00% with the exemption: still below 98%, so 6.10 stands.
/// - Billable = 990 + 1000 = 1990 → gross 1990 × 0.041 = 81.59.
fn feb_mar_records() -> Vec<Record> {
    let mut v = Vec::new();
    let mut id = 0;
    let mut push = |at: DateTime<Utc>, rep: Option<i64>| {
        id += 1;
        v.push(msg(id, at, rep));
    };
    for i in 0..990 {
        push(bj("2026-02-10 12:00") + Duration::seconds(i), Some(2));
    }
    for i in 0..10 {
        push(bj("2026-02-11 12:00") + Duration::seconds(i), None);
    }
    for i in 0..20 {
        push(bj("2026-02-28 23:00") + Duration::seconds(i * 60), None);
    }
    for i in 0..20 {
        push(bj("2026-03-01 00:00") + Duration::seconds(i * 60), None);
    }
    for i in 0..1000 {
        let late = i < 30;
        push(
            bj("2026-03-10 12:00") + Duration::seconds(i),
            Some(if late { 8 } else { 7 }),
        );
    }
    v
}

fn power_cut(notified: &str) -> ExemptionClaim {
    ExemptionClaim {
        clause: "7.1".into(),
        start: t("2026-02-28 23:00"),
        end: t("2026-03-01 01:00"),
        notified: d(notified),
        covers: None,
        note: Some("power cut at the SMS centre".into()),
        line: 7,
    }
}

fn settle_q1(log: &IncidentLog) -> (Statement, sms_sla::SlaReport) {
    let terms = Terms::default();
    let period = Period::parse("2026Q1", &terms).unwrap();
    let as_of = bj("2026-04-15 00:00");
    let mut s = Settlement::with_exemptions(
        period,
        &Settlement::sla_settings(&terms),
        &exempt::sla_exemptions(&terms, log),
        as_of.date_naive(),
        as_of,
    )
    .unwrap();
    for r in feb_mar_records() {
        s.add(&r);
    }
    s.finish(&terms, log, &Ledger::default(), None).unwrap()
}

#[test]
fn exemption_window_removes_messages_not_months_across_feb_mar_and_the_utc_date_line() {
    // Without any claim: 6.9 February, 6.9 March and 6.10 March = 6000.00.
    let (before, _) = settle_q1(&IncidentLog::default());
    let clauses: Vec<&str> = before.penalties.iter().map(|l| l.clause.as_str()).collect();
    assert_eq!(clauses, ["6.9", "6.9", "6.10"]);
    assert_eq!(before.penalties_total, dec!(6000));
    assert_eq!(before.gross, dec!(81.59));

    // A fault inside the window is removed as before (6.5 is a dated incident).
    let log = IncidentLog {
        exemption: vec![power_cut("2026-03-20")], // day 20: 7.3 does not bind 7.1
        fault: vec![Fault {
            start: t("2026-02-28 23:30"),
            on_site: None,
            fixed: None,
            note: None,
            line: 12,
        }],
        origin: "q1.toml".into(),
        ..IncidentLog::default()
    };
    let (after, report) = settle_q1(&log);
    // The window removed 40 messages, 20 on each side of midnight (Beijing).
    assert_eq!(report.exemptions.len(), 1);
    assert_eq!(report.exemptions[0].messages, 40);
    assert_eq!(after.exemption_windows[0].messages, 40);

    let feb = &after.sla_windows[1];
    let mar = &after.sla_windows[2];
    assert_eq!(feb.label, "2026-02");
    assert_eq!(feb.success_rate_text.as_deref(), Some("99.00%"));
    assert_eq!(feb.success_met, Some(true));
    let feb_raw = feb.without_exemptions.as_deref().unwrap();
    assert_eq!(feb_raw.success_rate_text.as_deref(), Some("97.06%"));
    assert_eq!(mar.success_rate_text.as_deref(), Some("100.00%"));
    assert_eq!(mar.timeliness_rate_text.as_deref(), Some("97.00%"));
    assert_eq!(mar.timeliness_met, Some(false));
    assert_eq!(
        mar.without_exemptions
            .as_deref()
            .unwrap()
            .success_rate_text
            .as_deref(),
        Some("98.04%")
    );

    // Only March's timeliness stays charged: 2000.00, not 0 as with whole-month removal.
    let charged: Vec<&str> = after.penalties.iter().map(|l| l.clause.as_str()).collect();
    assert_eq!(charged, ["6.10"]);
    let not: Vec<(&str, &str)> = after
        .removed
        .iter()
        .map(|l| (l.clause.as_str(), l.removed_by.as_deref().unwrap()))
        .collect();
    assert_eq!(not.len(), 3);
    assert_eq!(not[0].0, "6.5");
    assert!(not[0].1.starts_with("7.1 2026-02-28 23:00"), "{}", not[0].1);
    assert_eq!(not[1].0, "6.9");
    assert!(not[1].1.contains("met once the exempted messages"));
    assert_eq!(not[2].0, "6.9");
    assert_eq!(after.penalties_total, dec!(2000));
    // 2000.00 against a fee of 81.59: all offset, 1918.41 carried.
    assert_eq!(after.offset, dec!(81.59));
    assert_eq!(after.net_payable, dec!(0));
    assert_eq!(after.carried_out, dec!(1918.41));

    let md = render::markdown(&after);
    assert!(md.contains("| 2026-02 | 99.00% | yes | 97.06% |"), "{md}");
    assert!(md.contains("| 7.1 | 2026-02-28 23:00 .. 2026-03-01 01:00 | 40 |"));
    assert!(md.contains("window 2026-02: success rate 97.06% without exemptions, 99.00% with them"));
}

#[test]
fn a_claim_not_covering_the_rates_leaves_the_messages_counted() {
    let mut c = power_cut("2026-03-01");
    c.covers = Some(vec!["6.5".into()]);
    let log = IncidentLog {
        exemption: vec![c],
        ..IncidentLog::default()
    };
    let (s, report) = settle_q1(&log);
    assert!(report.exemptions.is_empty());
    assert_eq!(s.penalties_total, dec!(6000));
}

/// 2026Q1 with 1,000,000 billable messages a month: gross 123000.00, month fee 41000.00.
fn q1() -> PeriodInput {
    let terms = Terms::default();
    let period = Period::parse("2026Q1", &terms).unwrap();
    let month_counts: BTreeMap<Month, u64> = ["2026-01", "2026-02", "2026-03"]
        .into_iter()
        .map(|m| (m.parse::<Month>().unwrap(), 1_000_000))
        .collect();
    PeriodInput {
        period,
        journal_count: Some(3_000_000),
        carrier_count: None,
        month_counts,
        sla: vec![],
        exempted: vec![],
        as_of: d("2026-06-30"),
    }
}

#[test]
fn notice_of_15_days_binds_force_majeure_only() {
    // A 7.1 power cut on 2026-02-10, notified on day 20; inside it a fault (6.5)
    // and a criticism notice (6.8, 10% × February's fee 41000.00 = 4100.00).
    let claim = |clause: &str, notified: &str| ExemptionClaim {
        clause: clause.into(),
        start: t("2026-02-10 08:00"),
        end: t("2026-02-10 20:00"),
        notified: d(notified),
        covers: Some(vec!["6.5".into(), "6.8".into()]),
        note: None,
        line: 3,
    };
    let log = |c: ExemptionClaim| IncidentLog {
        exemption: vec![c],
        fault: vec![Fault {
            start: t("2026-02-10 09:00"),
            on_site: None,
            fixed: None,
            note: None,
            line: 9,
        }],
        serious_impact: vec![SeriousImpact {
            at: t("2026-02-10 12:00"),
            kind: ImpactKind::CriticismNotice,
            fee_month: None,
            month_fee: None,
            note: None,
            line: 15,
        }],
        ..IncidentLog::default()
    };
    let terms = Terms::default();
    let run = |terms: &Terms, l: &IncidentLog| {
        settle_period(terms, &q1(), l, &Ledger::default()).unwrap()
    };

    let s = run(&terms, &log(claim("7.1", "2026-03-02")));
    assert!(s.claims[0].honoured, "{}", s.claims[0].reason);
    assert!(s.penalties.is_empty());
    assert_eq!(s.removed.len(), 2);
    assert_eq!(s.net_payable, dec!(123000));

    // Force majeure notified on day 16 (limit 2026-02-25): refused, both charged.
    let s = run(&terms, &log(claim("7.2", "2026-02-26")));
    assert!(!s.claims[0].honoured);
    assert_eq!(s.penalties_total, dec!(6100));
    assert_eq!(s.net_payable, dec!(116900));
    // On day 15 it is honoured.
    let s = run(&terms, &log(claim("7.2", "2026-02-25")));
    assert_eq!(s.net_payable, dec!(123000));

    // The setting stays: extending 7.3 to 7.1 refuses the day-20 notice.
    let mut strict = Terms::default();
    strict.exemptions.notice_required_for = vec!["7.1".into(), "7.2".into(), "7.4".into()];
    let s = run(&strict, &log(claim("7.1", "2026-03-02")));
    assert!(!s.claims[0].honoured);
    assert_eq!(s.net_payable, dec!(116900));
    assert!(s
        .readings
        .iter()
        .any(|r| r.contains("required for 7.1, 7.2, 7.4")));
}

fn line_failure(at: &str, line: usize) -> Occurrence {
    Occurrence {
        at: t(at),
        note: "point-to-point line not delivered".into(),
        line,
    }
}

#[test]
fn leased_line_is_due_once_per_term_unless_set_per_occurrence() {
    let log = IncidentLog {
        leased_line: vec![
            line_failure("2026-03-05 10:00", 20),
            line_failure("2026-01-05 10:00", 10),
        ],
        ..IncidentLog::default()
    };
    // Once per term: 10% × 4350000.00 = 435000.00, for the January failure only.
    let s = settle_period(&Terms::default(), &q1(), &log, &Ledger::default()).unwrap();
    assert_eq!(s.penalties_total, dec!(435000));
    assert_eq!(s.penalties[0].source_line, 10);
    assert_eq!(s.removed[0].source_line, 20);
    assert!(s.removed[0]
        .removed_by
        .as_deref()
        .unwrap()
        .contains("at most once per term"));
    // 435000.00 against 123000.00: 312000.00 carried.
    assert_eq!(s.carried_out, dec!(312000));
    assert!(s
        .readings
        .iter()
        .any(|r| r.contains("due at most once per term")));
    assert!(render::markdown(&s).contains("(due once per term)"));

    // A later period: the January failure was the one due, so nothing more.
    let q2 = PeriodInput {
        period: Period::parse("2026Q2", &Terms::default()).unwrap(),
        month_counts: BTreeMap::new(),
        ..q1()
    };
    let later = IncidentLog {
        leased_line: vec![
            line_failure("2026-01-05 10:00", 10),
            line_failure("2026-05-05 10:00", 30),
        ],
        ..IncidentLog::default()
    };
    let s2 = settle_period(&Terms::default(), &q2, &later, &Ledger::default()).unwrap();
    assert_eq!(s2.penalties_total, dec!(0));
    assert_eq!(s2.removed.len(), 1);

    // Per occurrence (the setting): 2 × 435000.00 = 870000.00.
    let mut per = Terms::default();
    per.penalties.leased_line_occurrence = sms_billing::terms::LeasedLineOccurrence::PerOccurrence;
    let s = settle_period(&per, &q1(), &log, &Ledger::default()).unwrap();
    assert_eq!(s.penalties_total, dec!(870000));
    assert!(s.readings.iter().any(|r| r.contains("due per occurrence")));

    // An exempted first failure does not use up the once: the March one is due.
    let exempted = IncidentLog {
        exemption: vec![ExemptionClaim {
            clause: "7.4".into(),
            start: t("2026-01-05 00:00"),
            end: t("2026-01-06 00:00"),
            notified: d("2026-01-07"),
            covers: None, // default covers 6.5, 6.9, 6.10, 6.11
            note: Some("third party cut the cable".into()),
            line: 2,
        }],
        ..log.clone()
    };
    let s = settle_period(&Terms::default(), &q1(), &exempted, &Ledger::default()).unwrap();
    assert_eq!(s.penalties.len(), 1);
    assert_eq!(s.penalties[0].source_line, 20);
    assert_eq!(s.penalties_total, dec!(435000));
}

/// Every period of the term with its billable count.
fn term_inputs(counts: [u64; 5]) -> Vec<PeriodInput> {
    Terms::default()
        .periods()
        .into_iter()
        .zip(counts)
        .map(|(p, n)| PeriodInput {
            month_counts: p.months().into_iter().map(|m| (m, n)).collect(),
            period: p,
            journal_count: Some(n),
            carrier_count: None,
            sla: vec![],
            exempted: vec![],
            as_of: d("2026-12-31"),
        })
        .collect()
}

#[test]
fn the_term_settles_as_one_chain_and_the_last_excess_is_owed() {
    // Gross: 410000.00, 1230000.00, 1230000.00, 1640000.00, 41000.00.
    // Cumulative within the 4350000.00 cap: 410000, 1640000, 2870000, then 2026Q3
    // has 1480000.00 left (160000.00 over budget) and 2026Q4 none (41000.00 over).
    let inputs = term_inputs([10_000_000, 30_000_000, 30_000_000, 40_000_000, 1_000_000]);
    let log = IncidentLog {
        // 6.11 in 2025Q4: 435000.00 against 410000.00 → 25000.00 carried into 2026Q1.
        leased_line: vec![line_failure("2025-11-03 09:00", 4)],
        // 6.7 in the last period: 2000.00 against a fee of 0 → owed at the end.
        cooperation: vec![Occurrence {
            at: t("2026-10-05 10:00"),
            note: "no fault analysis".into(),
            line: 8,
        }],
        ..IncidentLog::default()
    };
    let terms = Terms::default();
    let s = settle_term(&terms, &inputs, &log, Ledger::default()).unwrap();
    let net: Vec<Decimal> = s.iter().map(|x| x.net_payable).collect();
    assert_eq!(
        net,
        [
            dec!(0),
            dec!(1205000),
            dec!(1230000),
            dec!(1480000),
            dec!(0)
        ]
    );
    assert_eq!(s[0].carried_out, dec!(25000));
    assert_eq!(s[1].carried_in, dec!(25000));
    assert_eq!(s[3].over_budget, dec!(160000));
    assert_eq!(s[4].over_budget, dec!(41000));
    assert_eq!(s[4].gross_within_budget, dec!(0));
    assert!(s[4].last_of_term && !s[3].last_of_term);
    assert_eq!(s[4].carried_out, dec!(0));
    assert_eq!(s[4].owed_at_term_end, dec!(2000));
    let md = render::markdown(&s[4]);
    assert!(md.contains("| owed by Party B at the end of the term | 2000.00 |"));
    assert!(md.contains("2000.00 is owed by Party B at the end of the term"));
    assert!(!md.contains("carried to the next period"));

    let sum = TermSummary::of(&terms, &s);
    assert_eq!(sum.gross_within_budget, dec!(4350000));
    assert_eq!(sum.over_budget, dec!(201000));
    assert_eq!(sum.net_payable, dec!(3915000));
    assert_eq!(sum.penalties, dec!(437000));
    assert_eq!(sum.owed_at_term_end, dec!(2000));
    assert_eq!(sum.remaining_budget, dec!(0));
    assert!(render::term_markdown(&sum).contains("| **net payable to Party B** | 3915000.00 |"));

    // The ledger continues the chain: 2026Q3 alone, from the file, is the same statement.
    let mut ledger = TermLedger::new(&terms);
    let mut before = Ledger::default();
    for st in &s[..3] {
        ledger.record(st, &before);
        before = before.after(st);
    }
    let path = std::env::temp_dir().join(format!("h14-ledger-{}.json", std::process::id()));
    ledger.save(&path).unwrap();
    let loaded = TermLedger::load(&path, &terms).unwrap().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded, ledger);
    let start = loaded.before(&terms, &inputs[3].period).unwrap();
    assert_eq!(start.billed_within_budget, dec!(2870000));
    let q3 = settle_period(&terms, &inputs[3], &log, &start).unwrap();
    assert_eq!(q3, s[3]);
    // 2026Q4 cannot start from a ledger without 2026Q3.
    let e = loaded.before(&terms, &inputs[4].period).unwrap_err();
    assert!(
        e.to_string()
            .contains("no settled period ends on 2026-09-30"),
        "{e}"
    );
    // Re-settling 2026Q1 drops the later entries, which were built on it.
    let dropped = ledger.record(&s[1], &Ledger::default());
    assert_eq!(dropped, ["2026Q2"]);
}

#[test]
fn incidents_outside_the_period_are_listed_and_outside_the_term_refused() {
    let text = "\
[[fault]]
start = \"2026-05-02 10:00\"

[[cooperation]]
at = \"2026-02-02 10:00\"
note = \"late\"

[[payment]]
period = \"2026Q2\"
due = \"2026-07-10\"
owed = \"1000\"
";
    let log = IncidentLog::from_toml_str(text, "inc.toml").unwrap();
    let s = settle_period(&Terms::default(), &q1(), &log, &Ledger::default()).unwrap();
    assert_eq!(s.penalties_total, dec!(2000));
    let out: Vec<(usize, &str)> = s
        .outside_period
        .iter()
        .map(|x| (x.source_line, x.kind.as_str()))
        .collect();
    assert_eq!(out, [(1, "[[fault]]"), (8, "[[payment]]")]);
    let md = render::markdown(&s);
    assert!(md.contains("Incidents outside this period"));
    assert!(md.contains("| 1 | [[fault]] | 2026-05-02 10:00 |"));

    // A mistyped year: refused with the file and line.
    let typo = text.replace("2026-05-02", "2062-05-02");
    let log = IncidentLog::from_toml_str(&typo, "inc.toml").unwrap();
    let e = settle_period(&Terms::default(), &q1(), &log, &Ledger::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("inc.toml:1:"), "{e}");
    assert!(e.contains("outside the term 2025-10-16..2026-10-15"), "{e}");

    // A period the term does not have names the file, not "incidents".
    let bad = text.replace("period = \"2026Q2\"", "period = \"2027Q2\"");
    let log = IncidentLog::from_toml_str(&bad, "inc.toml").unwrap();
    let e = log.check_term(&Terms::default()).unwrap_err().to_string();
    assert!(e.starts_with("inc.toml:8:"), "{e}");
}

#[test]
fn an_incident_belongs_to_the_period_of_its_beijing_time() {
    // Both on March 31st in UTC; the second is April 1st 00:30 in Beijing: 2026Q2.
    let text = "\
[[cooperation]]
at = \"2026-03-31T15:30:00Z\"
note = \"Beijing 23:30, March 31st\"

[[cooperation]]
at = \"2026-03-31T16:30:00Z\"
note = \"Beijing 00:30, April 1st\"
";
    let log = IncidentLog::from_toml_str(text, "edge.toml").unwrap();
    let s = settle_period(&Terms::default(), &q1(), &log, &Ledger::default()).unwrap();
    assert_eq!(s.penalties.len(), 1);
    assert_eq!(s.penalties[0].source_line, 1);
    assert_eq!(s.penalties_total, dec!(2000));
    assert_eq!(s.outside_period.len(), 1);
    assert_eq!(s.outside_period[0].source_line, 5);
    assert_eq!(s.outside_period[0].at, "2026-04-01 00:30");
}
