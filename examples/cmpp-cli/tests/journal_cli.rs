//! `cmpp journal` and `cmpp trace` as processes.

use assert_cmd::Command;
use predicates::str::contains;

const CSV: &str = "\
local_id,msg_id,src,dest,category,segment,segments,group_id,submitted_at,responded_at,resp_result,resp_class,reported_at,report_stat,report_class,resends,final_state,exempt
L1,M100,1065800,13800000001,notice,1,1,,2026-03-10T09:00:00.000+08:00,2026-03-10T09:00:00.040+08:00,0,delivered,2026-03-10T09:00:02.500+08:00,DELIVRD,delivered,0,delivered,
L2,M200,1065800,13800000002,verification,1,1,,2026-03-10T09:01:00.000+08:00,2026-03-10T09:01:00.030+08:00,0,,,,,1,expired,7.1
L3,,1065800,13800000003,other,1,1,,2020-01-05T10:00:00.000+08:00,2020-01-05T10:00:00.100+08:00,8,carrier,,,,0,failed,
";

fn cmpp() -> Command {
    Command::cargo_bin("cmpp").unwrap()
}

fn import(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("in.csv");
    std::fs::write(&file, CSV).unwrap();
    let journal = dir.join("journal");
    cmpp()
        .args(["journal", "import", "--journal"])
        .arg(&journal)
        .arg(&file)
        .assert()
        .success()
        .stdout(contains("imported 3 record(s)"));
    journal
}

#[test]
fn import_csv_then_export_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let journal = import(dir.path());
    let out = cmpp()
        .args([
            "journal",
            "export",
            "--format",
            "jsonl",
            "--from",
            "2026-03-01",
            "--journal",
        ])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the 2020 record is before --from");
    assert_eq!(lines[0]["local_id"], "L1");
    assert_eq!(lines[0]["submitted_at"], "2026-03-10T09:00:00.000+08:00");
    assert_eq!(lines[0]["final_state"], "delivered");
    assert_eq!(lines[1]["local_id"], "L2");
    assert_eq!(
        lines[1]["resp_class"], "delivered",
        "empty class filled from the table"
    );
    assert_eq!(lines[1]["final_state"], "expired");
    assert_eq!(lines[1]["exempt"], "7.1");
    assert_eq!(lines[1]["resends"], 1);
    // A full export to a CSV file gives back the input.
    let csv_out = dir.path().join("out.csv");
    cmpp()
        .args(["journal", "export", "--journal"])
        .arg(&journal)
        .arg("--out")
        .arg(&csv_out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&csv_out).unwrap();
    let mut expected: Vec<&str> = CSV.lines().collect();
    let l3 = expected.remove(3);
    expected.insert(1, l3);
    // The input predates carriers: its records come back as China Mobile's, in the last column.
    let expected: Vec<String> = expected
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{l},{}", if i == 0 { "carrier" } else { "mobile" }))
        .collect();
    let expected = expected
        .join("\n")
        .replace(",0,,,,,1,expired", ",0,delivered,,,,1,expired");
    assert_eq!(text.trim_end(), expected);
}

#[test]
fn trace_known_and_unknown_msg_ids() {
    let dir = tempfile::tempdir().unwrap();
    let journal = import(dir.path());
    cmpp()
        .args(["trace", "--msg-id", "M100", "NOPE", "--journal"])
        .arg(&journal)
        .assert()
        .success()
        .stdout(contains("## Message L1, Msg_Id M100"))
        .stdout(contains("| 2026-03-10T09:00:02.500+08:00 | reported |"))
        .stdout(contains("submit → status report: 2500 ms"))
        .stdout(contains("- NOPE: not in the journal"));
    let out = cmpp()
        .args([
            "trace",
            "--format",
            "json",
            "--to",
            "13800000002",
            "--from",
            "2026-03-10",
            "--until",
            "2026-03-11T00:00",
            "--journal",
        ])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["messages"][0]["local_id"], "L2");
    assert_eq!(v["messages"][0]["response_latency_ms"], 30);
    assert_eq!(v["not_found"].as_array().unwrap().len(), 0);
}

#[test]
fn prune_reports_removed_months() {
    let dir = tempfile::tempdir().unwrap();
    let journal = import(dir.path());
    cmpp()
        .args(["journal", "prune", "--now", "2026-04-01T00:30", "--journal"])
        .arg(&journal)
        .assert()
        .success()
        .stdout(contains("(2020-01): 1 messages, 2 events"))
        .stdout(contains("kept 1 month(s): 2026-03 .. 2026-03"))
        .stdout(contains("removed 1 month file(s)"));
    assert!(!journal.join("journal-2020-01.sqlite").exists());
    assert!(journal.join("journal-2026-03.sqlite").exists());
    // Clause 2.7: fewer than six months is refused, and nothing is deleted.
    let prune_0 = |extra: &[&str]| {
        let mut c = cmpp();
        c.args([
            "journal",
            "prune",
            "--keep-months",
            "0",
            "--now",
            "2026-05-01T00:30",
            "--journal",
        ])
        .arg(&journal)
        .args(extra);
        c
    };
    prune_0(&[])
        .assert()
        .code(3)
        .stderr(contains("clause 2.7"))
        .stderr(contains("at least the latest 6 months"));
    assert!(journal.join("journal-2026-03.sqlite").exists());
    // Below the minimum on purpose: March goes, the current month (May) is never deleted.
    prune_0(&["--below-contract-minimum"])
        .assert()
        .success()
        .stdout(contains("(2026-03): 2 messages, 6 events"));
    assert!(!journal.join("journal-2026-03.sqlite").exists());
}

#[test]
fn prune_below_the_minimum_never_deletes_the_current_month() {
    let dir = tempfile::tempdir().unwrap();
    let journal = import(dir.path());
    // 00:30 on April 1st in Beijing is still March 31st in UTC: April is current, March is not.
    cmpp()
        .args([
            "journal",
            "prune",
            "--keep-months",
            "0",
            "--below-contract-minimum",
            "--now",
            "2026-04-01T00:30",
            "--journal",
        ])
        .arg(&journal)
        .assert()
        .success()
        .stdout(contains("(2026-03): 2 messages, 6 events"));
    // March 2026 is the current month on March 31st 23:30 Beijing time.
    let journal = import(&dir.path().join("again"));
    cmpp()
        .args([
            "journal",
            "prune",
            "--keep-months",
            "0",
            "--below-contract-minimum",
            "--now",
            "2026-03-31T23:30",
            "--journal",
        ])
        .arg(&journal)
        .assert()
        .success()
        .stdout(contains("kept 1 month(s): 2026-03 .. 2026-03"));
    assert!(journal.join("journal-2026-03.sqlite").exists());
}

#[test]
fn bad_input_and_missing_journal_have_their_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    cmpp()
        .args(["trace", "--msg-id", "M1", "--journal"])
        .arg(dir.path().join("missing"))
        .assert()
        .code(6)
        .stderr(contains("does not exist"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        CSV.replace("2026-03-10T09:01:00.000+08:00", "2026-13-01"),
    )
    .unwrap();
    cmpp()
        .args(["journal", "import", "--journal"])
        .arg(dir.path().join("j"))
        .arg(&bad)
        .assert()
        .code(3)
        .stderr(contains(
            "bad.csv: line 3, field submitted_at: invalid time `2026-13-01`",
        ));
    // --skip-bad-rows imports the rest and lists the row it skipped.
    cmpp()
        .args(["journal", "import", "--skip-bad-rows", "--journal"])
        .arg(dir.path().join("j2"))
        .arg(&bad)
        .assert()
        .success()
        .stdout(contains("imported 2 record(s)"))
        .stdout(contains(
            "bad.csv | 3 | submitted_at | invalid time `2026-13-01`",
        ))
        .stdout(contains("skipped 1 row(s)"));
    cmpp()
        .args([
            "trace",
            "--to",
            "138",
            "--from",
            "yesterday",
            "--until",
            "2026-03-01",
            "--journal",
        ])
        .arg(dir.path())
        .assert()
        .code(3)
        .stderr(contains("--from: invalid time `yesterday`"));
}
