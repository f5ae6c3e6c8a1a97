//! `cmpp report` end to end: a small record file in, the expected rates out.

use assert_cmd::Command;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use predicates::prelude::*;
use sms_records::{beijing, CsvWriter, FinalState, JsonlWriter, Record};
use std::path::Path;

fn at(d: u32, h: u32) -> DateTime<Utc> {
    beijing()
        .with_ymd_and_hms(2026, 3, d, h, 0, 0)
        .unwrap()
        .to_utc()
}

fn msg(id: &str, t: DateTime<Utc>, stat: &str, report_ms: i64) -> Record {
    let mut r = Record::new(id);
    r.src = "121231100".into();
    r.dest = "13800138000".into();
    r.submitted_at = Some(t);
    r.responded_at = Some(t + TimeDelta::milliseconds(80));
    r.resp_result = Some(0);
    r.reported_at = Some(t + TimeDelta::milliseconds(report_ms));
    r.report_stat = Some(stat.into());
    r.final_state = if stat == "DELIVRD" {
        FinalState::Delivered
    } else {
        FinalState::Failed
    };
    r
}

/// Nine records, all submitted in March 2026 Beijing time: 7 delivered (one at
/// 7.001 s), 1 carrier failure (timely), 1 user-side failure (excluded).
fn records() -> Vec<Record> {
    let mut v: Vec<Record> = (0..5)
        .map(|i| msg(&format!("ok{i}"), at(2 + i, 9), "DELIVRD", 1_500))
        .collect();
    v.push(msg("slow", at(10, 9), "DELIVRD", 7_001));
    v.push(msg("carrier", at(11, 9), "MB:0008", 3_000));
    v.push(msg("user", at(12, 9), "MK:0024", 3_000));
    v.push(msg("last", at(31, 20), "DELIVRD", 1_000));
    v
}

fn write_csv(path: &Path, recs: &[Record]) {
    let mut w = CsvWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for r in recs {
        w.write(r).unwrap();
    }
    w.finish().unwrap();
}

fn cmpp() -> Command {
    Command::cargo_bin("cmpp").unwrap()
}

#[test]
fn markdown_from_csv_has_the_rates() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("march.csv");
    // With the last one moved into April, March has 8: counted 7, failed 1,
    // success 6/7 = 85.71%, timely 6/7 = 85.71%.
    let mut recs = records();
    // Into April (2026-04-01 00:00 Beijing = 2026-03-31T16:00Z).
    recs.last_mut().unwrap().submitted_at =
        Some(Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap());
    write_csv(&csv, &recs);
    cmpp()
        .args(["report", "--records"])
        .arg(&csv)
        .args(["--month", "2026-03", "--as-of", "2026-04-10T00:00:00+08:00"])
        .assert()
        .success()
        .stdout(predicate::str::contains("85.71% = 6/7"))
        .stdout(predicate::str::contains(
            "| 2026-03 | 8 | 7 | 1 | 85.71% | 85.71% | 6.9, 6.10 |",
        ))
        .stdout(predicate::str::contains("MB:0008"))
        .stdout(predicate::str::contains(
            "failure of user/handset-side cause",
        ))
        .stdout(predicate::str::contains("status = status report"));
}

#[test]
fn json_and_html_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("march.jsonl");
    let mut w = JsonlWriter::new(std::fs::File::create(&jsonl).unwrap());
    for r in records() {
        w.write(&r).unwrap();
    }
    w.finish().unwrap();
    let out = dir.path().join("r.json");
    cmpp()
        .args([
            "report",
            "--format",
            "json",
            "--month",
            "2026-03",
            "--records",
        ])
        .arg(&jsonl)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 1);
    // All nine are in March here (03-31 20:00 Beijing): 8 counted, 1 failed.
    assert_eq!(v["windows"][0]["counted"], 8);
    assert_eq!(v["windows"][0]["failed"], 1);
    assert_eq!(v["windows"][0]["success_rate"]["percent"], "87.50%");
    let html = dir.path().join("r.html");
    cmpp()
        .args([
            "report",
            "--format",
            "html",
            "--month",
            "2026-03",
            "--records",
        ])
        .arg(&jsonl)
        .arg("--out")
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg").count(), 3);
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn settings_change_the_reading() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("m.csv");
    write_csv(&csv, &records()[..7]);
    let settings = dir.path().join("sla.toml");
    // The carrier code is reclassified as user-side and the threshold raised:
    // 6 counted, none failed, all timely.
    std::fs::write(
        &settings,
        "threshold_ms = 8000\n[class_overrides.report]\n\"MB:0008\" = \"user\"\n",
    )
    .unwrap();
    cmpp()
        .args(["report", "--month", "2026-03", "--records"])
        .arg(&csv)
        .arg("--settings")
        .arg(&settings)
        .assert()
        .success()
        .stdout(predicate::str::contains("100.00% = 6/6"))
        .stdout(predicate::str::contains("within 8 s"));
}

#[test]
fn bad_inputs_have_distinct_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("bad.toml");
    std::fs::write(
        &settings,
        "threshold_ms = 7000\nsuccess_target = \"lots\"\n",
    )
    .unwrap();
    let csv = dir.path().join("m.csv");
    write_csv(&csv, &records());
    cmpp()
        .args(["report", "--month", "2026-03", "--records"])
        .arg(&csv)
        .arg("--settings")
        .arg(&settings)
        .assert()
        .code(7)
        .stderr(predicate::str::contains("bad.toml"))
        .stderr(predicate::str::contains("line 2"))
        .stderr(predicate::str::contains("success_target"));
    let garbage = dir.path().join("g.csv");
    std::fs::write(&garbage, "not,a,record,file\n1,2,3,4\n").unwrap();
    cmpp()
        .args(["report", "--month", "2026-03", "--records"])
        .arg(&garbage)
        .assert()
        .code(3);
    cmpp()
        .args(["report", "--month", "2026-13", "--records"])
        .arg(&csv)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("2026-13"));
    cmpp()
        .args(["report", "--month", "2026-03", "--journal"])
        .arg(dir.path().join("nope"))
        .assert()
        .code(6);
    // Neither source: usage error.
    cmpp()
        .args(["report", "--month", "2026-03"])
        .assert()
        .code(2);
}

/// March's nine China Mobile records, three China Unicom ones (one a carrier failure)
/// and one China Telecom one.
fn mixed() -> Vec<Record> {
    let mut v = records();
    for (id, d, stat) in [
        ("u1", 3, "DELIVRD"),
        ("u2", 4, "DELIVRD"),
        ("u3", 5, "MB:0008"),
    ] {
        let mut r = msg(id, at(d, 10), stat, 2_000);
        r.dest = "13012345678".into();
        r.carrier = sms_records::Carrier::ChinaUnicom;
        v.push(r);
    }
    let mut r = msg("t1", at(6, 10), "DELIVRD", 2_000);
    r.dest = "13312345678".into();
    r.carrier = sms_records::Carrier::ChinaTelecom;
    v.push(r);
    v
}

fn report_json(args: &[&str], source: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = cmpp()
        .args(["report", "--month", "2026-03", "--format", "json"])
        .args(args)
        .args(source)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn report_covers_every_carrier_with_a_count_each_or_one_carrier_under_its_contract() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mixed.csv");
    write_csv(&csv, &mixed());
    let src = [std::ffi::OsStr::new("--records"), csv.as_os_str()];
    // Without --carrier: all 13 records; 12 counted (one user-side failure), 2 failed.
    let v = report_json(&[], &src);
    assert_eq!(
        v["carriers"],
        serde_json::json!({"mobile": 9, "unicom": 3, "telecom": 1})
    );
    assert_eq!(v["carrier"], serde_json::Value::Null);
    assert_eq!(v["windows"][0]["counted"], 12);
    assert_eq!(v["windows"][0]["failed"], 2);
    // One carrier's records only.
    let v = report_json(&["--carrier", "unicom"], &src);
    assert_eq!(v["carrier"], "unicom");
    assert_eq!(
        v["carriers"],
        serde_json::json!({"mobile": 0, "unicom": 3, "telecom": 0})
    );
    assert_eq!(v["windows"][0]["counted"], 3);
    assert_eq!(v["windows"][0]["failed"], 1);
    let v = report_json(&["--carrier", "mobile"], &src);
    assert_eq!(v["windows"][0]["counted"], 8);

    // China Unicom's contract reads MB:0008 as the user's and allows 8 s.
    std::fs::write(
        dir.path().join("unicom-sla.toml"),
        "threshold_ms = 8000\n[class_overrides.report]\n\"MB:0008\" = \"user\"\n",
    )
    .unwrap();
    let config = dir.path().join("cmpp.toml");
    std::fs::write(
        &config,
        "[carriers.unicom]\nsrc_id = \"1065502\"\nsla = \"unicom-sla.toml\"\n",
    )
    .unwrap();
    let config_arg = config.to_str().unwrap();
    let v = report_json(&["--carrier", "unicom", "--config", config_arg], &src);
    assert_eq!(v["windows"][0]["counted"], 2);
    assert_eq!(v["windows"][0]["failed"], 0);
    cmpp()
        .args([
            "report",
            "--month",
            "2026-03",
            "--carrier",
            "unicom",
            "--config",
        ])
        .arg(&config)
        .args(src)
        .assert()
        .success()
        .stdout(predicate::str::contains("within 8 s"))
        .stdout(predicate::str::contains("## Records per carrier"))
        .stdout(predicate::str::contains("| China Unicom (`unicom`) | 3 |"))
        .stdout(predicate::str::contains("Only China Unicom's records"));
    // Without --carrier the top-level (China Mobile's) contract applies, not Unicom's.
    let v = report_json(&["--config", config_arg], &src);
    assert_eq!(v["windows"][0]["counted"], 12);
    // Without a contract for the carrier: a note, and the default settings.
    cmpp()
        .args(["report", "--month", "2026-03", "--carrier", "telecom"])
        .args(src)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no SLA settings of a China Telecom contract",
        ));
    // A carrier the config has no table for: a configuration error (7).
    cmpp()
        .args([
            "report",
            "--month",
            "2026-03",
            "--carrier",
            "telecom",
            "--config",
        ])
        .arg(&config)
        .args(src)
        .assert()
        .code(7)
        .stderr(predicate::str::contains(
            "no [carriers.telecom] table: no China Telecom contract is configured",
        ));
    // A name that is not a carrier: a usage error naming the choices.
    cmpp()
        .args(["report", "--month", "2026-03", "--carrier", "cmcc"])
        .args(src)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("use mobile, unicom or telecom"));
}

#[test]
fn report_from_a_journal_selects_one_carrier() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal");
    let mut j =
        sms_journal::Journal::open(&journal, sms_journal::JournalOptions::default()).unwrap();
    assert_eq!(j.import(mixed().into_iter().map(Ok)).unwrap(), 13);
    drop(j);
    let src = [std::ffi::OsStr::new("--journal"), journal.as_os_str()];
    let v = report_json(&["--carrier", "telecom"], &src);
    assert_eq!(v["windows"][0]["counted"], 1);
    assert_eq!(
        v["carriers"],
        serde_json::json!({"mobile": 0, "unicom": 0, "telecom": 1})
    );
    let v = report_json(&[], &src);
    assert_eq!(
        v["carriers"],
        serde_json::json!({"mobile": 9, "unicom": 3, "telecom": 1})
    );
}
