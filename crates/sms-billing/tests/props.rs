//! Properties of the engine over random incident logs and counts.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use sms_billing::incidents::*;
use sms_billing::when::{parse_instant, Month};
use sms_billing::*;
use std::collections::BTreeMap;

fn base() -> chrono::DateTime<chrono::FixedOffset> {
    parse_instant("2025-10-16 00:00").unwrap()
}

/// Random incidents spread over the term (hours since its start).
fn arb_log() -> impl Strategy<Value = IncidentLog> {
    let hour = 0i64..8700;
    (
        prop::collection::vec((hour.clone(), any::<bool>()), 0..4),
        prop::collection::vec((hour.clone(), 0i64..300, 0i64..300), 0..4),
        prop::collection::vec(hour.clone(), 0..3),
        prop::collection::vec(hour.clone(), 0..2),
        prop::collection::vec((hour.clone(), 0u32..40), 0..3),
        prop::collection::vec((hour, 0i64..40, any::<bool>()), 0..3),
    )
        .prop_map(|(tr, fa, co, ll, docs, claims)| {
            let at = |h: i64| base() + Duration::hours(h);
            let q = |h: i64| {
                let t = Terms::default();
                t.periods()
                    .into_iter()
                    .find(|p| p.contains(at(h)))
                    .unwrap()
                    .label
            };
            IncidentLog {
                trace: tr
                    .into_iter()
                    .map(|(h, a)| TraceRequest {
                        at: at(h),
                        subject: String::new(),
                        answered: a,
                        note: None,
                        line: 0,
                    })
                    .collect(),
                fault: fa
                    .into_iter()
                    .map(|(h, o, f)| Fault {
                        start: at(h),
                        on_site: Some(at(h) + Duration::minutes(o)),
                        fixed: Some(at(h) + Duration::minutes(f.max(o))),
                        note: None,
                        line: 0,
                    })
                    .collect(),
                cooperation: co
                    .into_iter()
                    .map(|h| Occurrence {
                        at: at(h),
                        note: String::new(),
                        line: 0,
                    })
                    .collect(),
                leased_line: ll
                    .into_iter()
                    .map(|h| Occurrence {
                        at: at(h),
                        note: String::new(),
                        line: 0,
                    })
                    .collect(),
                fee_documents: docs
                    .into_iter()
                    .map(|(h, late)| {
                        let due = at(h).date_naive();
                        FeeDocuments {
                            period: q(h),
                            due,
                            submitted: Some(due + Duration::days(i64::from(late % 5))),
                            nonconformities: late / 20,
                            note: None,
                            line: 0,
                        }
                    })
                    .collect(),
                exemption: claims
                    .into_iter()
                    .map(|(h, days, short)| ExemptionClaim {
                        clause: "7.1".into(),
                        start: at(h),
                        end: at(h) + Duration::hours(if short { 3 } else { 200 }),
                        notified: at(h).date_naive() + Duration::days(days),
                        covers: None,
                        note: None,
                        line: 0,
                    })
                    .collect(),
                ..Default::default()
            }
        })
}

fn inputs(counts: &[u64]) -> Vec<PeriodInput> {
    let terms = Terms::default();
    terms
        .periods()
        .into_iter()
        .zip(counts)
        .map(|(p, &n)| {
            let month_counts: BTreeMap<Month, u64> =
                p.months().into_iter().map(|m| (m, n / 3)).collect();
            PeriodInput {
                period: p,
                journal_count: Some(n),
                carrier_count: None,
                month_counts,
                sla: vec![],
                exempted: vec![],
                as_of: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            }
        })
        .collect()
}

fn counts() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(0u64..60_000_000, 5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn net_within_bounds_and_term_never_exceeds_cap(c in counts(), log in arb_log()) {
        let terms = Terms::default();
        let s = settle_term(&terms, &inputs(&c), &log, Ledger::default()).unwrap();
        let mut paid = Decimal::ZERO;
        let mut within = Decimal::ZERO;
        for st in &s {
            prop_assert!(st.net_payable >= Decimal::ZERO);
            prop_assert!(st.net_payable <= st.gross_within_budget);
            prop_assert!(st.gross_within_budget <= sms_billing::money::round_fen(st.gross) + Decimal::new(1, 2));
            prop_assert_eq!(st.net_payable.scale() <= 2, true);
            paid += st.net_payable;
            within += st.gross_within_budget;
        }
        prop_assert!(within <= terms.budget_cap);
        prop_assert!(paid <= terms.budget_cap);
    }

    #[test]
    fn adding_a_penalty_never_raises_net(c in counts(), log in arb_log(), h in 0i64..8700, kind in 0u8..3) {
        let terms = Terms::default();
        let before = settle_term(&terms, &inputs(&c), &log, Ledger::default()).unwrap();
        let mut more = log.clone();
        let at = base() + Duration::hours(h);
        match kind {
            0 => more.cooperation.push(Occurrence { at, note: String::new(), line: 0 }),
            1 => more.trace.push(TraceRequest { at, subject: String::new(), answered: false, note: None, line: 0 }),
            _ => more.fault.push(Fault { start: at, on_site: None, fixed: None, note: None, line: 0 }),
        }
        let after = settle_term(&terms, &inputs(&c), &more, Ledger::default()).unwrap();
        let total = |s: &[Statement]| s.iter().map(|x| x.net_payable).sum::<Decimal>();
        for (a, b) in before.iter().zip(&after) {
            prop_assert!(b.net_payable <= a.net_payable, "{} {} > {}", a.period.label, b.net_payable, a.net_payable);
        }
        prop_assert!(total(&after) <= total(&before));
    }

    #[test]
    fn order_of_incidents_does_not_matter(c in counts(), log in arb_log()) {
        let terms = Terms::default();
        let a = settle_term(&terms, &inputs(&c), &log, Ledger::default()).unwrap();
        let mut rev = log.clone();
        rev.trace.reverse();
        rev.fault.reverse();
        rev.cooperation.reverse();
        rev.leased_line.reverse();
        rev.fee_documents.reverse();
        rev.exemption.reverse();
        let b = settle_term(&terms, &inputs(&c), &rev, Ledger::default()).unwrap();
        prop_assert_eq!(a, b);
    }
}
