//! `cmpp demo` as a process: the whole chain on a small run.

use assert_cmd::Command;
use serde_json::Value;

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn demo_runs_end_to_end_and_its_figures_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = Command::cargo_bin("cmpp")
        .unwrap()
        .args(["demo", "--messages", "80", "--out"])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(stdout.contains("settlement 2026Q1"), "{stdout}");

    for f in [
        "journal/journal-2026-03.sqlite",
        "records.csv",
        "sla-2026-03.md",
        "sla-2026-03.json",
        "sla-2026-03.html",
        "settlement-2026Q1.md",
        "settlement-2026Q1.json",
        "settlement-2026Q1.csv",
        "incidents.toml",
        "summary.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let summary = json(&out.join("summary.json"));
    let sla = json(&out.join("sla-2026-03.json"));
    let statement = json(&out.join("settlement-2026Q1.json"));

    // The report counts every record the journal holds for the month.
    let journal_rows = std::fs::read_to_string(out.join("records.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(
        summary["journal_records"].as_u64().unwrap() as usize,
        journal_rows
    );
    let month = &sla["windows"][0];
    let sent = month["total"].as_u64().unwrap();
    let refused = month["refused"].as_u64().unwrap();
    assert_eq!((sent + refused) as usize, journal_rows);
    // Refused records are listed but never counted.
    assert_eq!(summary["refused"].as_u64().unwrap(), refused);
    assert!(month["counted"].as_u64().unwrap() <= sent);
    assert_eq!(summary["records"].as_u64().unwrap() as usize, journal_rows);

    // Billing bills exactly what the simulator accepted.
    let accepted = summary["simulator_accepted"].as_u64().unwrap();
    assert!(accepted > 0);
    assert_eq!(statement["billable"].as_u64().unwrap(), accepted);
    assert_eq!(summary["accepted"].as_u64().unwrap(), accepted);
    // Nothing is left without an outcome, and every accepted record has its report.
    assert_eq!(summary["failed"].as_u64().unwrap(), 0);
    assert_eq!(summary["reports"].as_u64().unwrap(), accepted);

    let html = std::fs::read_to_string(out.join("sla-2026-03.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("</html>"));

    // The same seed gives the same counts (user replies arrive on a timer and may differ).
    let again = dir.path().join("again");
    Command::cargo_bin("cmpp")
        .unwrap()
        .args(["demo", "--messages", "80", "--out"])
        .arg(&again)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let second = json(&again.join("summary.json"));
    for key in [
        "records",
        "refused",
        "accepted",
        "rejected",
        "failed",
        "reports",
        "journal_records",
        "final_states",
        "success_rate",
        "timeliness_rate",
        "sla_counted",
        "billable",
        "gross",
    ] {
        assert_eq!(summary[key], second[key], "{key} differs between runs");
    }
}

#[test]
fn demo_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), "keep me").unwrap();
    Command::cargo_bin("cmpp")
        .unwrap()
        .args(["demo", "--messages", "5", "--out"])
        .arg(dir.path())
        .assert()
        .code(6)
        .stderr(predicates::str::contains("is not empty"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("x")).unwrap(),
        "keep me"
    );
}
