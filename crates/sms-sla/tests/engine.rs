//! Hand-computed cases for every counting rule, the merge property, the JSON
//! schema and the renderings.

use chrono::{DateTime, FixedOffset, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use sms_records::{beijing, CauseClass, FinalState, Record};
use sms_sla::{evaluate, render, Aggregator, Exemption, SlaReport, SlaSettings, Window};

fn bj(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<FixedOffset> {
    beijing().with_ymd_and_hms(y, m, d, h, mi, 0).unwrap()
}
fn march() -> (DateTime<FixedOffset>, DateTime<FixedOffset>) {
    (bj(2026, 3, 1, 0, 0), bj(2026, 4, 1, 0, 0))
}
fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 20, 0, 0, 0).unwrap()
}

/// A message submitted at `at`, accepted after 100 ms, reported `stat` after `report_ms`.
fn msg(id: &str, at: DateTime<Utc>, stat: &str, report_ms: i64) -> Record {
    let mut r = Record::new(id);
    r.submitted_at = Some(at);
    r.responded_at = Some(at + TimeDelta::milliseconds(100));
    r.resp_result = Some(0);
    r.reported_at = Some(at + TimeDelta::milliseconds(report_ms));
    r.report_stat = Some(stat.into());
    r.final_state = if stat == "DELIVRD" {
        FinalState::Delivered
    } else {
        FinalState::Failed
    };
    r
}
fn t(d: u32, h: u32) -> DateTime<Utc> {
    bj(2026, 3, d, h, 0).to_utc()
}

fn march_report(records: Vec<Record>, settings: &SlaSettings) -> SlaReport {
    let (from, until) = march();
    evaluate(records, settings, from, until, as_of()).unwrap()
}

#[test]
fn hand_computed_month() {
    let mut recs = Vec::new();
    // 96 delivered in 1 s.
    for i in 0..96 {
        recs.push(msg(&format!("ok{i:03}"), t(2, 10), "DELIVRD", 1_000));
    }
    // Exactly 7.000 s: delivered and timely.
    recs.push(msg("edge7000", t(3, 10), "DELIVRD", 7_000));
    // 7.001 s: delivered but late.
    recs.push(msg("edge7001", t(3, 10), "DELIVRD", 7_001));
    // Carrier failure reported in 2 s: failed, timely.
    recs.push(msg("carrier", t(4, 10), "MB:0008", 2_000));
    // Unknown cause: failed, counts against Party B.
    recs.push(msg("unknown", t(4, 10), "MK:0000", 2_000));
    // User-side failure: excluded.
    recs.push(msg("user", t(5, 10), "MK:0024", 2_000));
    // No response at all: failed and late.
    let mut nr = Record::new("noresp");
    nr.submitted_at = Some(t(6, 10));
    nr.final_state = FinalState::Unknown;
    recs.push(nr);
    // Report after the 72 h deadline: failed and late.
    recs.push(msg("late", t(7, 10), "DELIVRD", 73 * 3_600_000));
    // Refused: outside the SLA.
    let mut refused = Record::new("refused");
    refused.submitted_at = Some(t(8, 10));
    refused.final_state = FinalState::Refused;
    recs.push(refused);

    let r = march_report(recs, &SlaSettings::default());
    assert_eq!(r.windows.len(), 1);
    let w = &r.windows[0];
    assert_eq!(w.label, "2026-03");
    // counted = 96 + 2 + 2 + 1 + 1 = 102; failed = carrier, unknown, noresp, late = 4.
    assert_eq!(w.counted, 102);
    assert_eq!(w.failed, 4);
    assert_eq!(w.excluded, 1);
    assert_eq!(w.refused, 1);
    assert_eq!(w.total, 103);
    // timely = 96 + edge7000 + carrier + unknown = 99.
    assert_eq!(w.timely, 99);
    assert_eq!(w.success_rate.unwrap().to_string(), "96.08%"); // 98/102
    assert_eq!(w.timeliness_rate.unwrap().to_string(), "97.06%"); // 99/102
    assert_eq!(w.success_met, Some(false));
    assert_eq!(w.timeliness_met, Some(false));
    let clauses: Vec<&str> = w.breaches.iter().map(|b| b.clause.as_str()).collect();
    assert_eq!(clauses, ["6.9", "6.10"]);
    assert!(r.breaches.iter().all(|b| b.window == "2026-03"));
    assert_eq!(w.failed_by_class.carrier, 1);
    assert_eq!(w.failed_by_class.unknown, 3);
    assert_eq!(w.failed_by_kind.no_response, 1);
    assert_eq!(w.failed_by_kind.late_report, 1);
    assert_eq!(w.failed_by_kind.report_failed, 2);
    let codes: Vec<(&str, u64)> = w
        .failures_by_code
        .iter()
        .map(|c| (c.code.as_str(), c.count))
        .collect();
    assert!(codes.contains(&("MB:0008", 1)) && codes.contains(&("MK:0000", 1)));
    assert!(codes.contains(&("no response", 1)));
    assert_eq!(w.failures_by_code[0].share.unwrap().to_string(), "25.00%");
    let user = &w.exclusions[0];
    assert_eq!(user.count, 1);
    assert_eq!(user.examples, ["user"]);
    // Daily series: 2026-03-02 has the 96 good ones.
    let d2 = w
        .daily
        .iter()
        .find(|d| d.date.to_string() == "2026-03-02")
        .unwrap();
    assert_eq!((d2.counted, d2.failed, d2.timely), (96, 0, 96));
    assert_eq!(w.daily.len(), 31);
    // Latency: report p50 is 1000 ms; within 7 s exact.
    assert_eq!(w.report_latency.p50_ms, Some(1_000));
    let within7 = w
        .report_latency
        .within
        .iter()
        .find(|x| x.seconds == 7)
        .unwrap();
    assert_eq!(within7.count, 99);
}

#[test]
fn exactly_at_target_is_met() {
    // 99 delivered + 1 carrier failure = 99.00%: met. 98 timely of 100: met.
    let mut recs: Vec<Record> = (0..98)
        .map(|i| msg(&format!("a{i}"), t(2, 10), "DELIVRD", 500))
        .collect();
    recs.push(msg("slow", t(2, 10), "DELIVRD", 9_000));
    recs.push(msg("bad", t(2, 10), "MB:0008", 8_000));
    let r = march_report(recs, &SlaSettings::default());
    let w = &r.windows[0];
    assert_eq!(w.success_rate.unwrap().to_string(), "99.00%");
    assert_eq!(w.timeliness_rate.unwrap().to_string(), "98.00%");
    assert_eq!(w.success_met, Some(true));
    assert_eq!(w.timeliness_met, Some(true));
    assert!(r.breaches.is_empty());
}

#[test]
fn failure_inside_exemption_window_is_excluded() {
    let mut s = SlaSettings::default();
    s.exemptions.push(Exemption {
        start: bj(2026, 3, 10, 9, 0),
        end: bj(2026, 3, 10, 11, 0),
        clause: "7.1".into(),
        note: "power cut".into(),
    });
    let recs = vec![
        msg("in", t(10, 10), "MB:0008", 9_000),
        msg("out", t(10, 11), "DELIVRD", 1_000),
    ];
    let r = march_report(recs, &s);
    let w = &r.windows[0];
    assert_eq!((w.counted, w.failed, w.excluded), (1, 0, 1));
    assert_eq!(w.exclusions[0].clause.as_deref(), Some("7.1"));
    assert_eq!(w.exclusions[0].examples, ["in"]);
    assert_eq!(r.exemptions[0].messages, 1);
    assert_eq!(w.success_met, Some(true));
}

#[test]
fn month_boundary_at_beijing_midnight() {
    let s = SlaSettings::default();
    let from = bj(2026, 3, 1, 0, 0);
    let until = bj(2026, 5, 1, 0, 0);
    let edge = Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap(); // 04-01 00:00 Beijing
    let recs = vec![
        msg("april", edge, "MB:0008", 1_000),
        msg("march", edge - TimeDelta::seconds(1), "DELIVRD", 1_000),
    ];
    let r = evaluate(recs, &s, from, until, as_of()).unwrap();
    assert_eq!(r.windows[0].label, "2026-03");
    assert_eq!((r.windows[0].counted, r.windows[0].failed), (1, 0));
    assert_eq!(r.windows[1].label, "2026-04");
    assert_eq!((r.windows[1].counted, r.windows[1].failed), (1, 1));
    assert_eq!(r.windows[1].daily[0].date.to_string(), "2026-04-01");
    assert_eq!(r.windows[1].daily[0].counted, 1);
    // Only April breaches.
    assert!(r.breaches.iter().all(|b| b.window == "2026-04"));
    assert_eq!(r.breaches.len(), 1); // 6.9 only: the failure came back timely
    assert_eq!(r.overall.counted, 2);
}

#[test]
fn empty_window_has_no_rate_and_no_breach() {
    let mut s = SlaSettings::default();
    s.window = Window::Day;
    let recs = vec![msg("a", t(2, 10), "MB:0008", 1_000)];
    let r = march_report(recs, &s);
    assert_eq!(r.windows.len(), 31);
    let empty = &r.windows[0];
    assert_eq!(empty.counted, 0);
    assert_eq!(empty.success_rate, None);
    assert_eq!(empty.success_met, None);
    assert!(empty.breaches.is_empty());
    assert_eq!(r.breaches.len(), 1);
    assert_eq!(r.breaches[0].window, "2026-03-02");
}

#[test]
fn pending_is_listed_not_counted() {
    let mut p = msg("waiting", t(31, 22), "DELIVRD", 0);
    p.reported_at = None;
    p.report_stat = None;
    p.final_state = FinalState::Pending;
    let (from, until) = march();
    let soon = bj(2026, 4, 1, 1, 0).to_utc();
    let r = evaluate(vec![p.clone()], &SlaSettings::default(), from, until, soon).unwrap();
    assert_eq!((r.windows[0].pending, r.windows[0].counted), (1, 0));
    assert_eq!(r.windows[0].pending_examples, ["waiting"]);
    let r = evaluate(vec![p], &SlaSettings::default(), from, until, as_of()).unwrap();
    assert_eq!((r.windows[0].pending, r.windows[0].failed), (0, 1));
}

#[test]
fn outside_and_unplaced_are_reported() {
    let mut none = Record::new("nosubmit");
    none.final_state = FinalState::Failed;
    let mut refused = Record::new("ref");
    refused.final_state = FinalState::Refused;
    let outside = msg("feb", bj(2026, 2, 28, 23, 59).to_utc(), "DELIVRD", 1);
    let r = march_report(vec![none, refused, outside], &SlaSettings::default());
    assert_eq!(
        (r.unplaced, r.refused_without_time, r.outside_range),
        (1, 1, 1)
    );
    assert_eq!(r.windows[0].total, 0);
}

#[test]
fn bad_range_is_an_error() {
    let (from, _) = march();
    assert!(evaluate(Vec::new(), &SlaSettings::default(), from, from, as_of()).is_err());
    let mut bad = SlaSettings::default();
    bad.threshold_ms = 0;
    let (from, until) = march();
    assert!(evaluate(Vec::new(), &bad, from, until, as_of()).is_err());
}

#[test]
fn json_schema_is_pinned() {
    let r = march_report(
        vec![msg("a", t(2, 10), "MB:0008", 1_000)],
        &SlaSettings::default(),
    );
    let v = serde_json::to_value(&r).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(v["schema_version"], 1);
    assert_eq!(
        keys(&v),
        [
            "as_of",
            "breaches",
            "exemptions",
            "from",
            "outside_range",
            "overall",
            "readings",
            "refused_without_time",
            "schema_version",
            "settings",
            "unplaced",
            "until",
            "windows"
        ]
    );
    assert_eq!(
        keys(&v["windows"][0]),
        [
            "breaches",
            "counted",
            "daily",
            "delivered",
            "end",
            "excluded",
            "exclusions",
            "failed",
            "failed_by_class",
            "failed_by_kind",
            "failures_by_code",
            "label",
            "pending",
            "pending_examples",
            "refused",
            "report_latency",
            "response_latency",
            "start",
            "success_met",
            "success_rate",
            "timeliness_met",
            "timeliness_rate",
            "timely",
            "total"
        ]
    );
    assert_eq!(
        keys(&v["breaches"][0]),
        ["clause", "end", "measure", "rate", "start", "target", "window"]
    );
    assert_eq!(
        keys(&v["windows"][0]["success_rate"]),
        ["denominator", "numerator", "percent"]
    );
    assert_eq!(
        keys(&v["windows"][0]["report_latency"]),
        ["cdf", "count", "max_ms", "negative", "p50_ms", "p90_ms", "p999_ms", "p99_ms", "within"]
    );
    assert_eq!(
        keys(&v["windows"][0]["daily"][0]),
        [
            "counted",
            "date",
            "failed",
            "success_rate",
            "timeliness_rate",
            "timely"
        ]
    );
    assert_eq!(v["windows"][0]["success_rate"]["percent"], "0.00%");
    assert_eq!(v["breaches"][0]["target"], "99%");
    // And it reads back.
    let back: SlaReport = serde_json::from_value(v).unwrap();
    assert_eq!(back, r);
}

/// Checks that every opened tag is closed in order (void and self-closed tags aside).
fn well_formed(html: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("stray </{name}>"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            if !["meta", "br", "hr", "img", "link"].contains(&name.as_str()) {
                stack.push(name);
            }
        }
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

fn sample_report() -> SlaReport {
    let mut recs: Vec<Record> = (0..50)
        .map(|i| {
            msg(
                &format!("m{i}"),
                t(1 + i % 28, 10),
                "DELIVRD",
                300 + 200 * i64::from(i),
            )
        })
        .collect();
    recs.push(msg("x<&>", t(3, 1), "MB:0008", 1_000));
    recs.push(msg("u", t(3, 1), "UNDELIV", 1_000));
    march_report(recs, &SlaSettings::default())
}

#[test]
fn html_is_well_formed_and_has_three_charts() {
    let h = render::html(&sample_report());
    well_formed(&h).unwrap();
    assert_eq!(h.matches("<svg").count(), 3);
    assert!(h.trim_end().ends_with("</html>"));
    assert!(h.contains("success target 99%"));
    assert!(h.contains("7 s threshold"));
    assert!(h.contains("MB:0008"));
    assert!(h.contains("<polyline"));
    assert!(!h.contains("x<&>"), "ids are escaped");
    assert!(well_formed("<p><b></p></b>").is_err());
    // The sample has no exemption windows: said in words, not as an empty table.
    assert!(sample_report().exemptions.is_empty());
    assert!(h.contains("No exemption windows configured."));
}

#[test]
fn markdown_shows_the_contents_of_clause_3_10() {
    let r = sample_report();
    let md = render::markdown(&r);
    let w = &r.windows[0];
    for needle in [
        "Readings used",
        "status = status report",
        "deadline 72 h",
        "unknown cause counts against Party B",
        "messages submitted",
        &w.success_rate.unwrap().to_string(),
        &w.timeliness_rate.unwrap().to_string(),
        "MB:0008",
        "failure of user/handset-side cause",
        "Breach of clause 6.9",
    ] {
        assert!(md.contains(needle), "missing {needle}\n{md}");
    }
    let j = render::json(&r);
    assert_eq!(serde_json::from_str::<SlaReport>(&j).unwrap(), r);
}

fn arb_record() -> impl Strategy<Value = Record> {
    (
        0u32..5_000,
        0i64..(40 * 86_400),
        prop_oneof![
            Just(None),
            Just(Some(0u32)),
            Just(Some(8)),
            Just(Some(4)),
            Just(Some(99))
        ],
        prop::option::of(0i64..20_000),
        prop::option::of(prop_oneof![
            Just("DELIVRD"),
            Just("MB:0008"),
            Just("MK:0024"),
            Just("MK:0000"),
            Just("DB:0141")
        ]),
        prop_oneof![
            Just(FinalState::Delivered),
            Just(FinalState::Pending),
            Just(FinalState::Failed),
            Just(FinalState::Refused)
        ],
        prop::option::of(Just("7.2")),
        any::<bool>(),
    )
        .prop_map(|(id, secs, result, lat, stat, state, exempt, has_time)| {
            let mut r = Record::new(format!("id{id}"));
            let at = bj(2026, 2, 25, 0, 0).to_utc() + TimeDelta::seconds(secs);
            r.submitted_at = has_time.then_some(at);
            r.resp_result = result;
            r.responded_at = result.map(|_| at + TimeDelta::milliseconds(50));
            r.reported_at = stat.and(lat).map(|l| at + TimeDelta::milliseconds(l));
            r.report_stat = stat.map(str::to_string);
            r.report_class = (stat == Some("MB:0008")).then_some(CauseClass::User);
            r.final_state = state;
            r.exempt = exempt.map(str::to_string);
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn merge_of_any_split_equals_one_pass(
        records in prop::collection::vec(arb_record(), 0..120),
        cuts in prop::collection::vec(0usize..120, 0..4),
        window in prop_oneof![Just(Window::Month), Just(Window::Day), Just(Window::Period)],
    ) {
        let mut s = SlaSettings::default();
        s.window = window;
        s.exemptions = vec![Exemption {
            start: bj(2026, 3, 3, 0, 0), end: bj(2026, 3, 4, 0, 0), clause: "7.2".into(), note: String::new(),
        }];
        let from = bj(2026, 3, 1, 0, 0);
        let until = bj(2026, 4, 1, 0, 0);
        let as_of = bj(2026, 3, 20, 0, 0).to_utc();
        let mut one = Aggregator::new(&s, from, until, as_of).unwrap();
        one.extend(&records);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(records.len())).collect();
        cuts.sort_unstable();
        let mut parts = Vec::new();
        let mut start = 0;
        for c in cuts.into_iter().chain([records.len()]) {
            let mut a = Aggregator::new(&s, from, until, as_of).unwrap();
            a.extend(&records[start..c]);
            parts.push(a);
            start = c;
        }
        // Merge in reverse order too: the result must not depend on it.
        let mut merged = parts.pop().unwrap();
        while let Some(p) = parts.pop() {
            merged.merge(&p).unwrap();
        }
        let (a, b) = (one.report(), merged.report());
        prop_assert_eq!(&a, &b);
        for w in &a.windows {
            prop_assert_eq!(w.total, w.counted + w.excluded + w.pending);
            prop_assert!(w.failed <= w.counted && w.timely <= w.counted);
        }
    }
}

#[test]
fn merge_rejects_different_settings() {
    let (from, until) = march();
    let mut a = Aggregator::new(&SlaSettings::default(), from, until, as_of()).unwrap();
    let mut five_s = SlaSettings::default();
    five_s.threshold_ms = 5_000;
    let b = Aggregator::new(&five_s, from, until, as_of()).unwrap();
    assert!(a.merge(&b).is_err());
}

/// Throughput check (run with `--ignored --release`); the bench crate measures properly.
#[test]
#[ignore]
fn throughput() {
    let (from, until) = march();
    let recs: Vec<Record> = (0..1_000_000)
        .map(|i| {
            msg(
                &format!("m{i}"),
                t(1 + i % 30, 10),
                "DELIVRD",
                500 + i64::from(i % 9000),
            )
        })
        .collect();
    let mut a = Aggregator::new(&SlaSettings::default(), from, until, as_of()).unwrap();
    let start = std::time::Instant::now();
    a.extend(&recs);
    let el = start.elapsed();
    eprintln!("{:.1} M records/s", 1.0 / el.as_secs_f64());
    assert_eq!(a.report().windows[0].counted, 1_000_000);
}
