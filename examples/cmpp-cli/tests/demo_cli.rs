//! `cmpp demo` as a process: the whole chain on a small run.

use assert_cmd::Command;
use serde_json::Value;

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn demo_runs_end_to_end_over_three_carriers_and_its_figures_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = Command::cargo_bin("cmpp")
        .unwrap()
        .args(["demo", "--messages", "120", "--out"])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(stdout.contains("settlement 2026Q1"), "{stdout}");

    let mut expected = vec![
        "journal/journal-2026-03.sqlite".to_string(),
        "records.csv".into(),
        "incidents.toml".into(),
        "summary.json".into(),
    ];
    // China Mobile's contract at the top, the other carriers' in their folders.
    for prefix in ["", "unicom/", "telecom/"] {
        for f in [
            "sla-2026-03.md",
            "sla-2026-03.json",
            "sla-2026-03.html",
            "settlement-2026Q1.md",
            "settlement-2026Q1.json",
            "settlement-2026Q1.csv",
        ] {
            expected.push(format!("{prefix}{f}"));
        }
    }
    for f in &expected {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let summary = json(&out.join("summary.json"));
    let carriers = summary["carriers"].as_object().unwrap();
    assert_eq!(
        carriers.keys().map(String::as_str).collect::<Vec<_>>(),
        ["mobile", "telecom", "unicom"]
    );

    // Every record is in the journal under its carrier, and the per-carrier counts add up.
    let csv = std::fs::read_to_string(out.join("records.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.last(), Some(&"carrier"));
    let mut by_carrier = std::collections::BTreeMap::<String, u64>::new();
    for line in lines {
        *by_carrier
            .entry(line.rsplit(',').next().unwrap().to_string())
            .or_default() += 1;
    }
    let journal_rows: u64 = by_carrier.values().sum();
    assert_eq!(summary["journal_records"].as_u64().unwrap(), journal_rows);
    assert_eq!(summary["records"].as_u64().unwrap(), journal_rows);
    let mut accepted_total = 0;
    for (name, c) in carriers {
        let accepted = c["simulator_accepted"].as_u64().unwrap();
        assert!(accepted > 0, "{name}: nothing accepted");
        accepted_total += accepted;
        assert_eq!(
            c["journal_records"].as_u64().unwrap(),
            by_carrier[name],
            "{name}"
        );
        // Each carrier's statement bills exactly what its gateway accepted, and every
        // accepted record has its report.
        assert_eq!(c["accepted"].as_u64().unwrap(), accepted, "{name}");
        assert_eq!(c["reports"].as_u64().unwrap(), accepted, "{name}");
        assert_eq!(c["billable"].as_u64().unwrap(), accepted, "{name}");
        let dir = if name == "mobile" {
            out.clone()
        } else {
            out.join(name)
        };
        let statement = json(&dir.join("settlement-2026Q1.json"));
        assert_eq!(statement["billable"].as_u64().unwrap(), accepted, "{name}");
        let sla = json(&dir.join("sla-2026-03.json"));
        let month = &sla["windows"][0];
        let sent = month["total"].as_u64().unwrap();
        let refused = month["refused"].as_u64().unwrap();
        assert_eq!(sent + refused, by_carrier[name], "{name}");
        assert!(month["counted"].as_u64().unwrap() <= sent);
    }
    assert_eq!(
        summary["simulator_accepted"].as_u64().unwrap(),
        accepted_total
    );
    assert_eq!(summary["accepted"].as_u64().unwrap(), accepted_total);
    assert_eq!(summary["reports"].as_u64().unwrap(), accepted_total);
    // Nothing is left without an outcome.
    assert_eq!(summary["failed"].as_u64().unwrap(), 0);

    let html = std::fs::read_to_string(out.join("unicom/sla-2026-03.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("</html>"));

    // The same seed gives the same counts (user replies arrive on a timer and may differ).
    let again = dir.path().join("again");
    Command::cargo_bin("cmpp")
        .unwrap()
        .args(["demo", "--messages", "120", "--out"])
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
    for (name, c) in carriers {
        assert_eq!(
            c["billable"], second["carriers"][name]["billable"],
            "{name}"
        );
    }
}

#[test]
fn demo_with_china_mobile_only_refuses_the_other_carriers_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    Command::cargo_bin("cmpp")
        .unwrap()
        .args(["demo", "--carriers", "cmpp", "--messages", "150", "--out"])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let summary = json(&out.join("summary.json"));
    let carriers = summary["carriers"].as_object().unwrap();
    assert_eq!(carriers.keys().collect::<Vec<_>>(), ["mobile"]);
    assert!(!out.join("unicom").exists());
    let statement = json(&out.join("settlement-2026Q1.json"));
    let accepted = summary["simulator_accepted"].as_u64().unwrap();
    assert_eq!(statement["billable"].as_u64().unwrap(), accepted);
    assert_eq!(summary["reports"].as_u64().unwrap(), accepted);
    // About one number in a hundred is China Telecom's: refused ("no route") and recorded
    // under the carrier it belongs to; everything sent is China Mobile's.
    let csv = std::fs::read_to_string(out.join("records.csv")).unwrap();
    let refused: Vec<&str> = csv.lines().filter(|l| l.contains(",refused,")).collect();
    assert_eq!(summary["refused"].as_u64().unwrap() as usize, refused.len());
    assert!(
        refused.iter().any(|l| l.ends_with(",telecom")),
        "{refused:?}"
    );
    assert!(csv
        .lines()
        .skip(1)
        .filter(|l| !l.contains(",refused,"))
        .all(|l| l.ends_with(",mobile")));
}

#[test]
fn demo_refuses_an_unknown_carrier() {
    Command::cargo_bin("cmpp")
        .unwrap()
        .args(["demo", "--carriers", "cmpp,smpp"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown carrier 'smpp'"));
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
