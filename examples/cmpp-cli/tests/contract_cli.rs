//! Issue 14 end to end: `cmpp settle --term` (records file and the demo's journal),
//! the ledger that continues the chain, `report --incidents`, `--skip-bad-rows`,
//! and incidents outside the term.

use assert_cmd::Command;
use chrono::{DateTime, Duration, Utc};
use predicates::prelude::*;
use serde_json::Value;
use sms_records::{CauseClass, CsvWriter, FinalState, Record};
use std::path::{Path, PathBuf};

fn cmpp() -> Command {
    Command::cargo_bin("cmpp").unwrap()
}

fn bj(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

/// A delivered message (report after `report_s` seconds) or, with `None`, one the
/// gateway rejected for a carrier-side cause (result 9).
fn rec(n: usize, at: DateTime<Utc>, report_s: Option<i64>) -> Record {
    let mut r = Record::new(format!("m{n}"));
    r.src = "121231100".into();
    r.dest = "13800000000".into();
    r.submitted_at = Some(at);
    r.responded_at = Some(at + Duration::milliseconds(200));
    match report_s {
        Some(s) => {
            r.resp_result = Some(0);
            r.resp_class = Some(CauseClass::Delivered);
            r.reported_at = Some(at + Duration::seconds(s));
            r.report_stat = Some("DELIVRD".into());
            r.report_class = Some(CauseClass::Delivered);
            r.final_state = FinalState::Delivered;
        }
        None => {
            r.resp_result = Some(9);
            r.resp_class = Some(CauseClass::Carrier);
            r.final_state = FinalState::Failed;
        }
    }
    r
}

fn write_csv(path: &Path, records: &[Record]) {
    let mut w = CsvWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for r in records {
        w.write(r).unwrap();
    }
    w.finish().unwrap();
}

/// 100 delivered messages in each of 2025Q4, 2026Q1 and 2026Q2 (gross 4.10 each).
fn three_quarters(dir: &Path) -> PathBuf {
    let mut all = Vec::new();
    for (q, day) in ["2025-11-10", "2026-02-10", "2026-05-10"]
        .iter()
        .enumerate()
    {
        for i in 0..100 {
            all.push(rec(
                q * 100 + i,
                bj(&format!("{day}T10:00:00")) + Duration::seconds(i as i64),
                Some(2),
            ));
        }
    }
    let path = dir.join("records.csv");
    write_csv(&path, &all);
    path
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A 6.11 failure in 2025Q4: 435000.00, far above every period's fee of 4.10, so
/// it carries from period to period and is owed at the end of the term.
const LEASED_LINE: &str =
    "[[leased_line]]\nat = \"2025-11-01 09:00\"\nnote = \"line not delivered\"\n";

#[test]
fn settle_term_over_a_records_file_chains_the_periods_and_writes_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let records = three_quarters(dir.path());
    let inc = dir.path().join("inc.toml");
    std::fs::write(&inc, LEASED_LINE).unwrap();
    let out = dir.path().join("term.json");
    cmpp()
        .args([
            "settle",
            "--term",
            "--as-of",
            "2026-12-31",
            "--format",
            "json",
        ])
        .arg("--records")
        .arg(&records)
        .arg("--incidents")
        .arg(&inc)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let v = json(&out);
    let st = v["statements"].as_array().unwrap();
    let labels: Vec<&str> = st
        .iter()
        .map(|s| s["period"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"]);
    // 435000.00 − 4.10 = 434995.90, − 4.10 = 434991.80, − 4.10 = 434987.70, then no fee.
    let carried: Vec<&str> = st
        .iter()
        .map(|s| s["carried_out"].as_str().unwrap())
        .collect();
    assert_eq!(
        carried,
        ["434995.90", "434991.80", "434987.70", "434987.70", "0.00"]
    );
    assert_eq!(st[1]["billed_before"], "4.10");
    assert_eq!(st[2]["billed_before"], "8.20");
    assert_eq!(st[4]["owed_at_term_end"], "434987.70");
    assert_eq!(v["summary"]["gross_within_budget"], "12.30");
    assert_eq!(v["summary"]["net_payable"], "0.00");
    assert_eq!(v["summary"]["owed_at_term_end"], "434987.70");

    // The ledger sits next to the output and records all five periods.
    let ledger = json(&dir.path().join("settle-ledger.json"));
    assert_eq!(ledger["periods"].as_array().unwrap().len(), 5);
    assert_eq!(ledger["periods"][2]["billed_within_budget"], "12.3");

    // A later single-period run continues the chain from the ledger: no figures typed.
    let q2 = dir.path().join("q2.json");
    cmpp()
        .args([
            "settle",
            "--period",
            "2026Q2",
            "--as-of",
            "2026-12-31",
            "--format",
            "json",
        ])
        .arg("--records")
        .arg(&records)
        .arg("--incidents")
        .arg(&inc)
        .arg("--out")
        .arg(&q2)
        .assert()
        .success();
    let s = json(&q2);
    assert_eq!(s["billed_before"], "8.20");
    assert_eq!(s["carried_in"], "434991.80");
    assert_eq!(s["carried_out"], "434987.70");
    // The flags stay as overrides.
    cmpp()
        .args([
            "settle",
            "--period",
            "2026Q2",
            "--as-of",
            "2026-12-31",
            "--format",
            "json",
        ])
        .args(["--carried-in", "0", "--billed-before", "0"])
        .arg("--records")
        .arg(&records)
        .arg("--out")
        .arg(&q2)
        .assert()
        .success();
    let s = json(&q2);
    assert_eq!(s["carried_in"], "0.00");
    assert_eq!(s["net_payable"], "4.10");

    // Markdown: each period, then the term summary; the last period's excess is owed.
    let md = cmpp()
        .args(["settle", "--term", "--as-of", "2026-12-31", "--ledger"])
        .arg(dir.path().join("other-ledger.json"))
        .arg("--records")
        .arg(&records)
        .arg("--incidents")
        .arg(&inc)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(md).unwrap();
    assert_eq!(md.matches("# Settlement statement").count(), 5);
    assert!(md.contains("# Term summary"));
    assert!(md.contains("434987.70 is owed by Party B at the end of the term"));
    assert!(md.contains("6.11: 0.1 × contract amount 4350000.00, due at most once per term"));
}

#[test]
fn a_ledger_without_the_previous_period_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let records = three_quarters(dir.path());
    let ledger = dir.path().join("l.json");
    let settle = |period: &str| {
        let mut c = cmpp();
        c.args([
            "settle",
            "--period",
            period,
            "--as-of",
            "2026-12-31",
            "--ledger",
        ])
        .arg(&ledger)
        .arg("--records")
        .arg(&records);
        c
    };
    settle("2025Q4").assert().success();
    settle("2026Q2")
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "no settled period ends on 2026-03-31 (settled: 2025Q4)",
        ));
    settle("2026Q1").assert().success();
    settle("2026Q2").assert().success();
}

#[test]
fn settle_term_over_the_demo_journal_agrees_with_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    cmpp()
        .args(["demo", "--messages", "40", "--out"])
        .arg(&demo)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let q1 = json(&demo.join("settlement-2026Q1.json"));
    let out = dir.path().join("term.json");
    cmpp()
        .args([
            "settle",
            "--term",
            "--as-of",
            "2026-04-15",
            "--format",
            "json",
        ])
        .arg("--journal")
        .arg(demo.join("journal"))
        .arg("--incidents")
        .arg(demo.join("incidents.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let v = json(&out);
    let st = v["statements"].as_array().unwrap();
    // As of 2026-04-15 the term has begun three periods: 2025Q4, 2026Q1, 2026Q2.
    assert_eq!(st.len(), 3);
    assert_eq!(st[0]["billable"], 0);
    assert!(q1["billable"].as_u64().unwrap() > 0);
    for k in [
        "billable",
        "gross",
        "penalties_total",
        "net_payable",
        "carried_out",
    ] {
        assert_eq!(st[1][k], q1[k], "{k}");
    }
    assert_eq!(v["summary"]["net_payable"], q1["net_payable"]);
    assert!(dir.path().join("settle-ledger.json").is_file());
}

/// March 2026: 100 delivered, and 10 rejected in a 7.2 window that starts on
/// March 1st 00:00 Beijing (February 28th 16:00 UTC).
fn march(dir: &Path) -> (PathBuf, PathBuf) {
    let mut all: Vec<Record> = (0..100)
        .map(|i| {
            rec(
                i,
                bj("2026-03-10T10:00:00") + Duration::seconds(i as i64),
                Some(2),
            )
        })
        .collect();
    for i in 0..10 {
        all.push(rec(
            100 + i,
            bj("2026-03-01T00:10:00") + Duration::seconds(i as i64),
            None,
        ));
    }
    let records = dir.join("march.csv");
    write_csv(&records, &all);
    let inc = dir.join("march.toml");
    std::fs::write(
        &inc,
        "[[exemption]]\nclause = \"7.2\"\nstart = \"2026-03-01 00:00\"\nend = \"2026-03-01 02:00\"\nnotified = \"2026-03-05\"\nnote = \"flood\"\n",
    )
    .unwrap();
    (records, inc)
}

#[test]
fn report_takes_the_incidents_and_lists_each_window_with_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (records, inc) = march(dir.path());
    let report = |with: bool| {
        let mut c = cmpp();
        c.args([
            "report",
            "--month",
            "2026-03",
            "--as-of",
            "2026-04-15T00:00:00+08:00",
            "--format",
            "json",
            "--records",
        ])
        .arg(&records);
        if with {
            c.arg("--incidents").arg(&inc);
        }
        let out = c.assert().success().get_output().stdout.clone();
        serde_json::from_slice::<Value>(&out).unwrap()
    };
    // Without: 100/110 = 90.91%; with the window's 10 messages excluded: 100/100.
    let without = report(false);
    assert_eq!(without["windows"][0]["success_rate"]["percent"], "90.91%");
    let with = report(true);
    assert_eq!(with["windows"][0]["success_rate"]["percent"], "100.00%");
    assert_eq!(with["exemptions"][0]["clause"], "7.2");
    assert_eq!(with["exemptions"][0]["messages"], 10);

    // The same file settles the same way: 6.9 is not charged, and the statement
    // shows March with and without the exemption.
    let md = cmpp()
        .args([
            "settle",
            "--period",
            "2026Q1",
            "--as-of",
            "2026-04-15",
            "--records",
        ])
        .arg(&records)
        .arg("--incidents")
        .arg(&inc)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(md).unwrap();
    assert!(md.contains("| 2026-03 | 100.00% | yes | 90.91% |"), "{md}");
    assert!(
        md.contains("| 7.2 | 2026-03-01 00:00 .. 2026-03-01 02:00 | 10 |"),
        "{md}"
    );
    assert!(md.contains("| **net payable** | **4.10** |"), "{md}");
}

#[test]
fn skip_bad_rows_lists_every_skipped_row_and_strict_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (records, _) = march(dir.path());
    let text = std::fs::read_to_string(&records).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[3] = lines[3].replacen("2026-03-10T10:00:02", "2026-13-10T10:00:02", 1);
    lines[5] = lines[5].replacen(",0,", ",zero,", 1);
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();

    cmpp()
        .args([
            "settle",
            "--period",
            "2026Q1",
            "--as-of",
            "2026-04-15",
            "--records",
        ])
        .arg(&bad)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("bad.csv: line 4"));
    let out = cmpp()
        .args([
            "settle",
            "--period",
            "2026Q1",
            "--as-of",
            "2026-04-15",
            "--skip-bad-rows",
            "--records",
        ])
        .arg(&bad)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("## Skipped rows (--skip-bad-rows): 2"),
        "{out}"
    );
    assert!(out.contains("bad.csv | 4 | submitted_at |"), "{out}");
    assert!(out.contains("bad.csv | 6 |"), "{out}");
    // 98 delivered remain billable: 98 × 0.041 = 4.018 → 4.02.
    assert!(out.contains("| gross (4.2) | 4.02 |"), "{out}");

    let out = cmpp()
        .args([
            "report",
            "--month",
            "2026-03",
            "--as-of",
            "2026-04-15T00:00:00+08:00",
            "--format",
            "json",
            "--skip-bad-rows",
            "--records",
        ])
        .arg(&bad)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["skipped_rows"]["count"], 2);
    assert_eq!(v["skipped_rows"]["rows"][0]["line"], 4);
    assert_eq!(v["skipped_rows"]["rows"][0]["field"], "submitted_at");
}

#[test]
fn an_incident_outside_the_term_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let records = three_quarters(dir.path());
    let inc = dir.path().join("typo.toml");
    std::fs::write(
        &inc,
        "[[cooperation]]\nat = \"2026-02-02 10:00\"\nnote = \"ok\"\n\n[[fault]]\nstart = \"2062-02-02 10:00\"\n",
    )
    .unwrap();
    for args in [
        vec!["settle", "--period", "2026Q1", "--as-of", "2026-04-15"],
        vec!["settle", "--term", "--as-of", "2026-12-31"],
        vec!["report", "--month", "2026-02"],
    ] {
        cmpp()
            .args(&args)
            .arg("--records")
            .arg(&records)
            .arg("--incidents")
            .arg(&inc)
            .assert()
            .code(7)
            .stderr(predicate::str::contains("typo.toml:5:"))
            .stderr(predicate::str::contains("outside the term"));
    }
    // Inside the term but in another period: listed in the statement.
    std::fs::write(&inc, "[[fault]]\nstart = \"2026-05-02 10:00\"\n").unwrap();
    cmpp()
        .args([
            "settle",
            "--period",
            "2026Q1",
            "--as-of",
            "2026-04-15",
            "--records",
        ])
        .arg(&records)
        .arg("--incidents")
        .arg(&inc)
        .assert()
        .success()
        .stdout(predicate::str::contains("Incidents outside this period"))
        .stdout(predicate::str::contains(
            "| 1 | [[fault]] | 2026-05-02 10:00 |",
        ));
}
