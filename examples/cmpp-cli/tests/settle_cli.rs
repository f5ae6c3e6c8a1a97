//! `cmpp settle` end to end on a small records file.

use assert_cmd::Command;
use chrono::{DateTime, Duration, Utc};
use predicates::prelude::*;
use sms_records::{CauseClass, CsvWriter, FinalState, Record};
use std::path::{Path, PathBuf};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// 10 accepted and delivered in 2026-01 and 2026-02, 2 rejected, 1 refused,
/// 1 accepted in 2026-04 (outside 2026Q1).
fn records(dir: &Path) -> PathBuf {
    let path = dir.join("records.csv");
    let mut w = CsvWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
    let mut n = 0;
    let mut rec = |at: &str, result: Option<u32>, state: FinalState| {
        n += 1;
        let mut r = Record::new(format!("m{n}"));
        r.src = "121231100".into();
        r.dest = "13800000000".into();
        let t = utc(at);
        r.submitted_at = Some(t);
        if let Some(code) = result {
            r.responded_at = Some(t + Duration::milliseconds(200));
            r.resp_result = Some(code);
            r.resp_class = Some(if code == 0 {
                CauseClass::Delivered
            } else {
                CauseClass::Carrier
            });
        }
        if state == FinalState::Delivered {
            r.reported_at = Some(t + Duration::seconds(2));
            r.report_stat = Some("DELIVRD".into());
            r.report_class = Some(CauseClass::Delivered);
        }
        r.final_state = state;
        r
    };
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(rec(
            &format!("2026-01-1{i}T10:00:00+08:00"),
            Some(0),
            FinalState::Delivered,
        ));
        all.push(rec(
            &format!("2026-02-1{i}T10:00:00+08:00"),
            Some(0),
            FinalState::Delivered,
        ));
    }
    all.push(rec(
        "2026-02-20T10:00:00+08:00",
        Some(8),
        FinalState::Failed,
    ));
    all.push(rec(
        "2026-02-21T10:00:00+08:00",
        Some(8),
        FinalState::Failed,
    ));
    all.push(rec("2026-02-22T10:00:00+08:00", None, FinalState::Refused));
    all.push(rec(
        "2026-04-02T10:00:00+08:00",
        Some(0),
        FinalState::Delivered,
    ));
    for r in &all {
        w.write(r).unwrap();
    }
    w.finish().unwrap();
    path
}

fn cmpp() -> Command {
    Command::cargo_bin("cmpp").unwrap()
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap()
}

#[test]
fn settles_a_quarter_from_records() {
    let dir = tempfile::tempdir().unwrap();
    let rec = records(dir.path());
    let out = cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args([
            "--period",
            "2026Q1",
            "--format",
            "json",
            "--as-of",
            "2026-06-30",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = json(&out.stdout);
    assert_eq!(j["billable"], 10);
    assert_eq!(j["journal_count"], 10);
    assert_eq!(j["gross"], "0.41");
    // February: 5 delivered, 2 rejected by the carrier: success 5/7 misses 99%
    // (6.9, 2000); the rejections came back in time, so timeliness holds.
    // January meets both; March has no message. The penalty exceeds the fee and
    // the excess carries.
    let clauses: Vec<&str> = j["penalties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["clause"].as_str().unwrap())
        .collect();
    assert_eq!(clauses, ["6.9"]);
    assert_eq!(j["sla_windows"].as_array().unwrap().len(), 3);
    assert_eq!(j["net_payable"], "0.00");
    assert_eq!(j["carried_out"], "1999.59");
}

#[test]
fn carrier_count_is_billed_and_incidents_apply() {
    let dir = tempfile::tempdir().unwrap();
    let rec = records(dir.path());
    let inc = dir.path().join("inc.toml");
    std::fs::write(
        &inc,
        "[[trace]]\nat = \"2026-01-12 09:30\"\nanswered = false\n",
    )
    .unwrap();
    let out = cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args([
            "--period",
            "2026-01-01..2026-01-31",
            "--carrier-count",
            "1000000",
            "--format",
            "csv",
            "--incidents",
        ])
        .arg(&inc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("count,4.1.3,difference,999995,party B − journal"),
        "{text}"
    );
    assert!(
        text.contains("fee,4.2,gross,41000.00,1000000 × 0.041"),
        "{text}"
    );
    assert!(text.contains("penalty,6.4,penalty,1000.00,"), "{text}");
    assert!(text.contains("settlement,,net payable,40000.00,"), "{text}");
}

#[test]
fn markdown_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let rec = records(dir.path());
    cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args([
            "--period",
            "2026Q1",
            "--carrier-count",
            "3000000",
            "--as-of",
            "2026-06-30",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("# Settlement statement 2026Q1"))
        .stdout(predicate::str::contains(
            "| gross (4.2) | 123000.00 | 3000000 × 0.041 |",
        ))
        .stdout(predicate::str::contains("Readings applied"));
}

#[test]
fn bad_inputs_have_clear_errors_and_codes() {
    let dir = tempfile::tempdir().unwrap();
    let rec = records(dir.path());
    // Malformed terms: exit 7, names file, line and field.
    let terms = dir.path().join("terms.toml");
    std::fs::write(&terms, "agreement = \"x\"\nprice_per_message = 0.05\n").unwrap();
    cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args(["--period", "2026Q1", "--terms"])
        .arg(&terms)
        .assert()
        .code(7)
        .stderr(
            predicate::str::contains("terms.toml:2:")
                .and(predicate::str::contains("price_per_message")),
        );
    // Malformed incidents: exit 7.
    let inc = dir.path().join("inc.toml");
    std::fs::write(&inc, "[[fault]]\nstart = \"soon\"\n").unwrap();
    cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args(["--period", "2026Q1", "--incidents"])
        .arg(&inc)
        .assert()
        .code(7)
        .stderr(predicate::str::contains("inc.toml:2:"));
    // Bad period, missing file, bad format: exit 3.
    cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args(["--period", "2027Q1"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("outside the term"));
    cmpp()
        .args([
            "settle",
            "--records",
            "/nonexistent/r.csv",
            "--period",
            "2026Q1",
        ])
        .assert()
        .code(3);
    cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args(["--period", "2026Q1", "--format", "xml"])
        .assert()
        .code(3);
    // Missing journal folder: exit 6, and nothing is created.
    let missing = dir.path().join("nojournal");
    cmpp()
        .args(["settle", "--journal"])
        .arg(&missing)
        .args(["--period", "2026Q1"])
        .assert()
        .code(6);
    assert!(!missing.exists());
    // Neither source: usage error.
    cmpp()
        .args(["settle", "--period", "2026Q1"])
        .assert()
        .code(2);
}

/// The records of [`records`] plus three China Unicom messages delivered in January 2026.
fn mixed(dir: &Path) -> PathBuf {
    let mobile = records(dir);
    let mut all: Vec<Record> = sms_records::open_records(&mobile)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    for i in 0..3 {
        let mut r = all[0].clone();
        r.local_id = format!("u{i}");
        r.dest = "13012345678".into();
        r.carrier = sms_records::Carrier::ChinaUnicom;
        r.submitted_at = Some(utc(&format!("2026-01-2{i}T10:00:00+08:00")));
        r.responded_at = r.submitted_at.map(|t| t + Duration::milliseconds(200));
        r.reported_at = r.submitted_at.map(|t| t + Duration::seconds(2));
        all.push(r);
    }
    let path = dir.join("mixed.csv");
    let mut w = CsvWriter::new(std::fs::File::create(&path).unwrap()).unwrap();
    for r in &all {
        w.write(r).unwrap();
    }
    w.finish().unwrap();
    path
}

#[test]
fn settle_is_per_carrier_contract() {
    let dir = tempfile::tempdir().unwrap();
    let rec = mixed(dir.path());
    let settle = |extra: &[&str]| {
        let out = cmpp()
            .args(["settle", "--records"])
            .arg(&rec)
            .args([
                "--period",
                "2026Q1",
                "--format",
                "json",
                "--as-of",
                "2026-06-30",
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // Without --carrier: China Mobile's contract and records only, as before carriers.
    let (code, stdout, stderr) = settle(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    let j = json(stdout.as_bytes());
    assert_eq!(j["carrier"], "mobile");
    assert_eq!(j["billable"], 10);
    assert_eq!(j["gross"], "0.41");
    assert!(
        stderr.contains("note: 3 record(s) of other carriers (unicom: 3) are not in the China Mobile settlement"),
        "{stderr}"
    );
    assert_eq!(json(settle(&["--carrier", "mobile"]).1.as_bytes()), j);

    // China Unicom's contract needs its own terms: the built-in ones are China Mobile's.
    let (code, _, stderr) = settle(&["--carrier", "unicom"]);
    assert_eq!(code, Some(7));
    assert!(
        stderr.contains("settling the China Unicom contract needs its terms"),
        "{stderr}"
    );

    std::fs::write(
        dir.path().join("unicom-terms.toml"),
        "agreement = \"2026-CU-001\"\nprice_per_message = \"0.030\"\n",
    )
    .unwrap();
    let config = dir.path().join("cmpp.toml");
    std::fs::write(
        &config,
        "[carriers.unicom]\nprotocol = \"sgip\"\nterms = \"unicom-terms.toml\"\n",
    )
    .unwrap();
    let (code, stdout, stderr) =
        settle(&["--carrier", "unicom", "--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let u = json(stdout.as_bytes());
    assert_eq!(u["carrier"], "unicom");
    assert_eq!(u["billable"], 3);
    assert_eq!(u["gross"], "0.09", "3 × 0.030 under Unicom's tariff");
    assert!(stderr.contains("(mobile: 14)"), "{stderr}");
    // A carrier without a table in the config: a configuration error.
    let (code, _, stderr) = settle(&["--carrier", "telecom", "--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(7));
    assert!(stderr.contains("no [carriers.telecom] table"), "{stderr}");

    // Each contract keeps its own ledger next to the output.
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args([
            "--period",
            "2026Q1",
            "--as-of",
            "2026-06-30",
            "--carrier",
            "unicom",
            "--terms",
        ])
        .arg(dir.path().join("unicom-terms.toml"))
        .arg("--out")
        .arg(out.join("unicom-2026Q1.md"))
        .assert()
        .success();
    assert!(out.join("settle-ledger-unicom.json").is_file());
    assert!(!out.join("settle-ledger.json").exists());
    let md = std::fs::read_to_string(out.join("unicom-2026Q1.md")).unwrap();
    assert!(
        md.contains("Contract settled: China Unicom (`--carrier unicom`)"),
        "{md}"
    );
    // The whole term, per carrier too.
    let out = cmpp()
        .args(["settle", "--records"])
        .arg(&rec)
        .args([
            "--term",
            "--as-of",
            "2026-06-30",
            "--format",
            "json",
            "--carrier",
            "unicom",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = json(&out.stdout);
    assert_eq!(t["carrier"], "unicom");
    let billable: u64 = t["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["billable"].as_u64().unwrap())
        .sum();
    assert_eq!(billable, 3);
}
