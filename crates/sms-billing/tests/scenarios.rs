//! Hand-computed statements, one scenario per clause and some together.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sms_billing::incidents::*;
use sms_billing::render::{self, Format};
use sms_billing::when::{parse_date, parse_instant, Month};
use sms_billing::*;
use std::collections::BTreeMap;

fn t(s: &str) -> chrono::DateTime<chrono::FixedOffset> {
    parse_instant(s).unwrap()
}
fn d(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}
fn m(s: &str) -> Month {
    s.parse::<Month>().unwrap()
}

/// 2026Q1 with 1,000,000 billable messages a month (gross 123000.00).
fn q1() -> PeriodInput {
    let terms = Terms::default();
    let period = Period::parse("2026Q1", &terms).unwrap();
    let month_counts: BTreeMap<Month, u64> = [
        ("2026-01", 1_000_000),
        ("2026-02", 1_000_000),
        ("2026-03", 1_000_000),
    ]
    .into_iter()
    .map(|(k, v)| (m(k), v))
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

fn settle(log: &IncidentLog) -> Statement {
    settle_period(&Terms::default(), &q1(), log, &Ledger::default()).unwrap()
}

fn window(label: &str, a: &str, b: &str, success: bool, timely: bool) -> SlaWindow {
    SlaWindow {
        label: label.into(),
        start: t(a),
        end: t(b),
        success_met: Some(success),
        timeliness_met: Some(timely),
        success_rate_text: Some(if success { "99.50%" } else { "98.10%" }.into()),
        timeliness_rate_text: Some(if timely { "99.00%" } else { "97.00%" }.into()),
        without_exemptions: None,
    }
}

fn occ(at: &str, note: &str) -> Occurrence {
    Occurrence {
        at: t(at),
        note: note.into(),
        line: 0,
    }
}

#[test]
fn no_incidents_pays_the_gross() {
    let s = settle(&IncidentLog::default());
    assert_eq!(s.billable, 3_000_000);
    assert_eq!(s.gross, dec!(123000.000));
    assert_eq!(s.gross_within_budget, dec!(123000));
    assert_eq!(s.over_budget, dec!(0));
    assert_eq!(s.net_payable, dec!(123000));
    assert_eq!(s.carried_out, dec!(0));
    assert!(s.penalties.is_empty());
}

#[test]
fn each_penalty_alone() {
    let base = dec!(123000);
    let cases: Vec<(&str, IncidentLog, Decimal)> = vec![
        (
            "6.4",
            IncidentLog {
                trace: vec![TraceRequest {
                    at: t("2026-01-12 09:30"),
                    subject: "x".into(),
                    answered: false,
                    note: None,
                    line: 0,
                }],
                ..Default::default()
            },
            dec!(1000),
        ),
        (
            "6.5",
            IncidentLog {
                fault: vec![Fault {
                    start: t("2026-02-03 10:00"),
                    on_site: Some(t("2026-02-03 10:40")),
                    fixed: Some(t("2026-02-03 13:30")),
                    note: None,
                    line: 0,
                }],
                ..Default::default()
            },
            dec!(2000),
        ),
        (
            "6.6",
            IncidentLog {
                monthly_report: vec![MonthlyReport {
                    month: m("2026-01"),
                    at: t("2026-02-10 00:00"),
                    problem: ReportProblem::Untrue,
                    note: None,
                    line: 0,
                }],
                ..Default::default()
            },
            dec!(2000),
        ),
        (
            "6.7",
            IncidentLog {
                cooperation: vec![occ("2026-02-20 15:00", "no analysis")],
                ..Default::default()
            },
            dec!(2000),
        ),
        (
            "6.8",
            IncidentLog {
                serious_impact: vec![SeriousImpact {
                    at: t("2026-03-05 09:00"),
                    kind: ImpactKind::CriticismNotice,
                    fee_month: None,
                    month_fee: None,
                    note: None,
                    line: 0,
                }],
                ..Default::default()
            },
            dec!(4100),
        ),
    ];
    for (clause, log, amount) in cases {
        let s = settle(&log);
        assert_eq!(s.penalties.len(), 1, "{clause}");
        assert_eq!(s.penalties[0].clause, clause);
        assert_eq!(s.penalties[0].exact, amount, "{clause}");
        assert_eq!(s.net_payable, base - amount, "{clause}");
    }
}

#[test]
fn fault_reading_on_site_and_fix_times() {
    let f = |on: Option<&str>, fixed: Option<&str>| Fault {
        start: t("2026-02-03 10:00"),
        on_site: on.map(t),
        fixed: fixed.map(t),
        note: None,
        line: 0,
    };
    let log = IncidentLog {
        fault: vec![
            f(Some("2026-02-03 11:00"), Some("2026-02-03 12:00")), // exactly 1 h / 2 h: kept
            f(Some("2026-02-03 11:01"), Some("2026-02-03 11:30")), // late on site
            f(Some("2026-02-03 10:10"), None),                     // never fixed
            f(Some("2026-02-03 10:10"), Some("2026-02-03 13:30")), // fixed after 3h30
        ],
        ..Default::default()
    };
    let s = settle(&log);
    assert_eq!(s.penalties.len(), 3);
    assert_eq!(s.penalties_total, dec!(6000));
    assert!(
        s.penalties
            .iter()
            .any(|l| l.event.contains("fixed 02-03 13:30 (3h30m > 2h)")),
        "{:?}",
        s.penalties
    );
    assert!(s
        .penalties
        .iter()
        .any(|l| l.event.contains("on site 02-03 11:01 (1h01m > 1h)")));
    assert!(s.penalties.iter().any(|l| l.event.contains("never fixed")));
}

#[test]
fn sla_breaches_each_window_once() {
    let mut input = q1();
    input.sla = vec![
        window("2026-01", "2026-01-01", "2026-02-01", false, true),
        window("2026-02", "2026-02-01", "2026-03-01", false, false),
        window("2026-03", "2026-03-01", "2026-04-01", true, true),
        window("2026-04", "2026-04-01", "2026-05-01", false, false), // next period
    ];
    let s = settle_period(
        &Terms::default(),
        &input,
        &IncidentLog::default(),
        &Ledger::default(),
    )
    .unwrap();
    let clauses: Vec<&str> = s.penalties.iter().map(|l| l.clause.as_str()).collect();
    assert_eq!(clauses, ["6.9", "6.9", "6.10"]);
    assert_eq!(s.penalties_total, dec!(6000));
    assert_eq!(s.sla_windows.len(), 3);
    assert!(s.penalties[0].event.contains("98.10%"));
}

#[test]
fn all_penalties_together() {
    let mut input = q1();
    input.sla = vec![window("2026-02", "2026-02-01", "2026-03-01", false, false)];
    let log = IncidentLog {
        trace: vec![
            TraceRequest {
                at: t("2026-01-12 09:30"),
                subject: String::new(),
                answered: false,
                note: None,
                line: 0,
            },
            TraceRequest {
                at: t("2026-01-13 09:30"),
                subject: String::new(),
                answered: true,
                note: None,
                line: 0,
            },
        ],
        fault: vec![Fault {
            start: t("2026-02-03 10:00"),
            on_site: None,
            fixed: None,
            note: None,
            line: 0,
        }],
        monthly_report: vec![MonthlyReport {
            month: m("2026-01"),
            at: t("2026-02-10 00:00"),
            problem: ReportProblem::Late,
            note: None,
            line: 0,
        }],
        cooperation: vec![occ("2026-02-20 15:00", "x")],
        serious_impact: vec![SeriousImpact {
            at: t("2026-03-05 09:00"),
            kind: ImpactKind::SeriousImpact,
            fee_month: Some(m("2026-01")),
            month_fee: None,
            note: None,
            line: 0,
        }],
        ..Default::default()
    };
    let s = settle_period(&Terms::default(), &input, &log, &Ledger::default()).unwrap();
    // 1000 + 2000 + 2000 + 2000 + 4100 + 2000 + 2000
    assert_eq!(s.penalties_total, dec!(15100));
    assert_eq!(s.net_payable, dec!(107900));
    let clauses: Vec<&str> = s.penalties.iter().map(|l| l.clause.as_str()).collect();
    assert_eq!(clauses, ["6.4", "6.5", "6.6", "6.7", "6.8", "6.9", "6.10"]);
}

#[test]
fn leased_line_penalty_exceeds_fee_and_carries_over() {
    let terms = Terms::default();
    let log = IncidentLog {
        leased_line: vec![occ("2026-01-05 00:00", "no line")],
        ..Default::default()
    };
    let q2 = PeriodInput {
        period: Period::parse("2026Q2", &terms).unwrap(),
        month_counts: BTreeMap::new(),
        ..q1()
    };
    let q3 = PeriodInput {
        period: Period::parse("2026Q3", &terms).unwrap(),
        journal_count: Some(10_000_000),
        ..q2.clone()
    };
    let s = settle_term(&terms, &[q1(), q2, q3], &log, Ledger::default()).unwrap();
    assert_eq!(s[0].penalties_total, dec!(435000));
    assert_eq!(s[0].net_payable, dec!(0));
    assert_eq!(s[0].carried_out, dec!(312000));
    assert_eq!(s[1].carried_in, dec!(312000));
    assert_eq!(s[1].net_payable, dec!(0));
    assert_eq!(s[1].carried_out, dec!(189000));
    // Q3: 410000 gross, 189000 offset.
    assert_eq!(s[2].net_payable, dec!(221000));
    assert_eq!(s[2].carried_out, dec!(0));
    assert!(render::markdown(&s[0]).contains("312000.00 is carried to the next period"));
}

#[test]
fn budget_cap_reached_mid_period() {
    let ledger = Ledger {
        billed_within_budget: dec!(4340000),
        ..Ledger::default()
    };
    let s = settle_period(&Terms::default(), &q1(), &IncidentLog::default(), &ledger).unwrap();
    assert_eq!(s.remaining_budget, dec!(10000));
    assert_eq!(s.gross_within_budget, dec!(10000));
    assert_eq!(s.over_budget, dec!(113000));
    assert_eq!(s.net_payable, dec!(10000));
    let after = ledger.after(&s);
    assert_eq!(after.billed_within_budget, dec!(4350000));
    let s2 = settle_period(&Terms::default(), &q1(), &IncidentLog::default(), &after).unwrap();
    assert_eq!(s2.net_payable, dec!(0));
    assert_eq!(s2.over_budget, dec!(123000));
    let csv = render::csv(&s);
    assert!(
        csv.contains("fee,4.1.5,over budget,113000.00,not payable"),
        "{csv}"
    );
}

fn docs(due: &str, submitted: Option<&str>, n: u32) -> FeeDocuments {
    FeeDocuments {
        period: "2026Q1".into(),
        due: d(due),
        submitted: submitted.map(d),
        nonconformities: n,
        note: None,
        line: 0,
    }
}

#[test]
fn fee_documents_per_day_and_cutoff() {
    let one_day = IncidentLog {
        fee_documents: vec![docs("2026-04-10", Some("2026-04-11"), 0)],
        ..Default::default()
    };
    let s = settle(&one_day);
    assert_eq!(s.fee_documents_total, dec!(12300));
    assert_eq!(s.net_payable, dec!(110700));

    // Base is the payable after other penalties: 123000 − 1000 = 122000; 2 days + 1 non-conformity = 30%.
    let mixed = IncidentLog {
        fee_documents: vec![docs("2026-04-10", Some("2026-04-12"), 1)],
        trace: vec![TraceRequest {
            at: t("2026-01-12 09:30"),
            subject: String::new(),
            answered: false,
            note: None,
            line: 0,
        }],
        ..Default::default()
    };
    let s = settle(&mixed);
    assert_eq!(s.payable_before_612, dec!(122000));
    assert_eq!(s.fee_documents_total, dec!(36600));
    assert_eq!(s.net_payable, dec!(85400));
    assert!(!s.cutoff_reached);

    // 3 days late in total, over two submissions: nothing is paid.
    let cut = IncidentLog {
        fee_documents: vec![
            docs("2026-04-10", Some("2026-04-12"), 0),
            docs("2026-04-20", Some("2026-04-21"), 0),
        ],
        ..Default::default()
    };
    let s = settle(&cut);
    assert!(s.cutoff_reached);
    assert_eq!(s.net_payable, dec!(0));
    assert_eq!(s.carried_out, dec!(0));

    // 3 non-conformities: nothing is paid.
    let s = settle(&IncidentLog {
        fee_documents: vec![docs("2026-04-10", Some("2026-04-10"), 3)],
        ..Default::default()
    });
    assert!(s.cutoff_reached);
    assert_eq!(s.net_payable, dec!(0));

    // Not submitted: late up to the as-of date (2026-06-30) → cut-off.
    let s = settle(&IncidentLog {
        fee_documents: vec![docs("2026-04-10", None, 0)],
        ..Default::default()
    });
    assert!(s.cutoff_reached);

    // Documents for another period do not touch this one.
    let mut other = docs("2026-07-10", Some("2026-07-20"), 0);
    other.period = "2026Q2".into();
    let s = settle(&IncidentLog {
        fee_documents: vec![other],
        ..Default::default()
    });
    assert_eq!(s.net_payable, dec!(123000));
}

fn pay(paid: &str, fiscal: bool) -> Payment {
    Payment {
        period: "2026Q1".into(),
        due: d("2026-04-30"),
        paid: Some(d(paid)),
        owed: dec!(100000),
        fiscal_delay: fiscal,
        note: None,
        line: 0,
    }
}

#[test]
fn late_payment_with_and_without_fiscal_delay() {
    let s = settle(&IncidentLog {
        payment: vec![pay("2026-05-02", false)],
        ..Default::default()
    });
    assert_eq!(s.late_payment_total, dec!(6000));
    assert_eq!(s.late_payment[0].days_late, 2);
    assert_eq!(
        s.net_payable,
        dec!(123000),
        "2.4 is its own section, not netted"
    );

    let s = settle(&IncidentLog {
        payment: vec![pay("2026-05-02", true)],
        ..Default::default()
    });
    assert_eq!(s.late_payment_total, dec!(0));
    assert!(s.late_payment[0].event.contains("government funds"));

    let s = settle(&IncidentLog {
        payment: vec![pay("2026-04-30", false)],
        ..Default::default()
    });
    assert_eq!(s.late_payment_total, dec!(0));

    let mut terms = Terms::default();
    terms.late_payment.fiscal_delay_exempt = false;
    let s = settle_period(
        &terms,
        &q1(),
        &IncidentLog {
            payment: vec![pay("2026-05-02", true)],
            ..Default::default()
        },
        &Ledger::default(),
    )
    .unwrap();
    assert_eq!(s.late_payment_total, dec!(6000));
}

fn claim(notified: &str) -> ExemptionClaim {
    ExemptionClaim {
        clause: "7.2".into(),
        start: t("2026-03-20 00:00"),
        end: t("2026-03-22 00:00"),
        notified: d(notified),
        covers: None,
        note: Some("flood".into()),
        line: 0,
    }
}

#[test]
fn exemption_removes_the_fault_in_its_window_but_a_rate_breach_stands() {
    // The SLA windows arrive with the exempted messages already excluded
    // (contract_readings.rs checks that part): a claim never deletes a 6.9 line.
    let mut input = q1();
    input.sla = vec![window("2026-03", "2026-03-01", "2026-04-01", false, true)];
    let log = IncidentLog {
        exemption: vec![claim("2026-04-04")], // 15 days after 03-20: in time
        fault: vec![
            Fault {
                start: t("2026-03-21 08:00"),
                on_site: None,
                fixed: None,
                note: None,
                line: 0,
            },
            Fault {
                start: t("2026-03-25 08:00"),
                on_site: None,
                fixed: None,
                note: None,
                line: 0,
            },
        ],
        cooperation: vec![occ("2026-03-21 09:00", "not covered by default")],
        ..Default::default()
    };
    let s = settle_period(&Terms::default(), &input, &log, &Ledger::default()).unwrap();
    let kept: Vec<&str> = s.penalties.iter().map(|l| l.clause.as_str()).collect();
    let removed: Vec<&str> = s.removed.iter().map(|l| l.clause.as_str()).collect();
    assert_eq!(kept, ["6.5", "6.7", "6.9"]);
    assert_eq!(removed, ["6.5"]);
    assert!(s.claims[0].honoured);
    // 123000.00 − 3 × 2000.00
    assert_eq!(s.net_payable, dec!(117000));
    assert!(render::markdown(&s).contains("Not charged"));
}

#[test]
fn exemption_notified_too_late_is_not_honoured() {
    let mut input = q1();
    input.sla = vec![window("2026-03", "2026-03-01", "2026-04-01", false, true)];
    let log = IncidentLog {
        exemption: vec![claim("2026-04-05")],
        ..Default::default()
    };
    let s = settle_period(&Terms::default(), &input, &log, &Ledger::default()).unwrap();
    assert!(s.removed.is_empty());
    assert_eq!(s.penalties_total, dec!(2000));
    assert!(!s.claims[0].honoured);
    assert!(s.claims[0].reason.contains("7.3"), "{}", s.claims[0].reason);
}

#[test]
fn carrier_count_is_billed_and_difference_shown() {
    let mut input = q1();
    input.carrier_count = Some(3_000_100);
    let s = settle_period(
        &Terms::default(),
        &input,
        &IncidentLog::default(),
        &Ledger::default(),
    )
    .unwrap();
    assert_eq!(s.billable, 3_000_100);
    assert_eq!(s.count_difference, Some(100));
    assert_eq!(s.net_payable, dec!(123004.10));
    let md = render::markdown(&s);
    assert!(md.contains("| difference (B − A) | 100 |"), "{md}");
}

#[test]
fn rounding_half_up_only_at_final_figures() {
    let mut input = q1();
    input.journal_count = Some(1_234_567); // gross 50617.247
    input.month_counts.insert(m("2026-03"), 1_234_565); // fee 50617.165, 6.8 = 5061.7165
    let log = IncidentLog {
        serious_impact: vec![SeriousImpact {
            at: t("2026-03-05 09:00"),
            kind: ImpactKind::SeriousImpact,
            fee_month: None,
            month_fee: None,
            note: None,
            line: 0,
        }],
        ..Default::default()
    };
    let s = settle_period(&Terms::default(), &input, &log, &Ledger::default()).unwrap();
    assert_eq!(s.gross, dec!(50617.247));
    assert_eq!(s.gross_within_budget, dec!(50617.25));
    assert_eq!(s.penalties[0].exact, dec!(5061.7165));
    // 50617.25 − 5061.7165 = 45555.5335 → 45555.53
    assert_eq!(s.net_payable, dec!(45555.53));
    let j: serde_json::Value = serde_json::from_str(&render::json(&s)).unwrap();
    assert_eq!(j["gross"], "50617.25");
    assert_eq!(j["net_payable"], "45555.53");
    assert_eq!(j["penalties"][0]["amount"], "5061.72");
    assert_eq!(j["penalties"][0]["exact"], "5061.7165");
}

#[test]
fn missing_month_fee_is_a_typed_error() {
    let log = IncidentLog {
        serious_impact: vec![SeriousImpact {
            at: t("2026-03-05 09:00"),
            kind: ImpactKind::SeriousImpact,
            fee_month: Some(m("2025-11")),
            month_fee: None,
            note: None,
            line: 7,
        }],
        ..Default::default()
    };
    let e = settle_period(&Terms::default(), &q1(), &log, &Ledger::default()).unwrap_err();
    assert!(
        matches!(e, BillingError::MissingMonthFee { line: 7, .. }),
        "{e}"
    );
}

#[test]
fn example_files_parse_and_settle() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let terms = Terms::load(&dir.join("terms.toml")).unwrap();
    assert_eq!(terms, Terms::default());
    let log = IncidentLog::load(&dir.join("incidents.toml")).unwrap();
    assert_eq!(log.len(), 8); // the 6.11 example is commented out
    let s = settle_period(&terms, &q1(), &log, &Ledger::default()).unwrap();
    // 1000 (6.4) + 2000 (6.5) + 2000 (6.6) + 2000 (6.7) + 4100 (6.8) = 11100
    assert_eq!(s.penalties_total, dec!(11100));
    assert_eq!(s.payable_before_612, dec!(111900));
    assert_eq!(s.fee_documents_total, dec!(11190));
    assert_eq!(s.net_payable, dec!(100710));
    assert_eq!(s.late_payment_total, dec!(6000));
    assert!(s.penalties.iter().all(|l| l.source_line > 0));
    for f in [Format::Markdown, Format::Json, Format::Csv] {
        assert!(render::render(&s, f).contains("100710.00"));
    }
}

#[test]
fn counter_feeds_the_engine() {
    let terms = Terms::default();
    let p = Period::parse("2026Q1", &terms).unwrap();
    let mut c = BillableCounter::new(&p);
    for i in 0..100u32 {
        let mut r = sms_records::Record::new(format!("m{i}"));
        r.submitted_at = Some(t("2026-02-01 12:00").with_timezone(&Utc));
        r.resp_result = Some(if i % 10 == 0 { 1 } else { 0 });
        c.add(&r);
    }
    let input = PeriodInput::from_counter(p, &c, d("2026-06-30"));
    let s = settle_period(&terms, &input, &IncidentLog::default(), &Ledger::default()).unwrap();
    assert_eq!(s.billable, 90);
    assert_eq!(s.net_payable, dec!(3.69));
}

#[test]
fn periods_out_of_order_are_refused() {
    let terms = Terms::default();
    let q2 = PeriodInput {
        period: Period::parse("2026Q2", &terms).unwrap(),
        ..q1()
    };
    assert!(matches!(
        settle_term(
            &terms,
            &[q2, q1()],
            &IncidentLog::default(),
            Ledger::default()
        ),
        Err(BillingError::Order { .. })
    ));
}
