//! `cmpp policy check`: the dry run end to end.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const POLICY: &str = r#"
[subscription]
opt_in = ["13800138000", "13900139000"]
[content]
keywords = ["免费领取"]
[[rate.limit]]
category = "verification"
max = 1
window = "1h"
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn cmpp() -> Command {
    Command::cargo_bin("cmpp").unwrap()
}

#[test]
fn csv_dry_run_prints_refusals_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "p.toml", POLICY);
    let messages = write(
        dir.path(),
        "m.csv",
        "src,dest,category,text\n\
         121231100,+8613800138000,verification,验证码1234\n\
         121231100,13800138000,verification,验证码5678\n\
         106,13900139000,notice,hello\n\
         121231100,13012345678,notice,hi\n\
         121231100,13900139000,notice,\"ＦＲＥＥ, 免费领取\"\n\
         121231100,13700137000,notice,hi\n",
    );
    let out = cmpp()
        .args(["policy", "check", "--policy"])
        .arg(&policy)
        .arg("--messages")
        .arg(&messages)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    assert_eq!(lines[0], "line 2: accepted 13800138000 (verification)");
    assert!(
        lines[1].starts_with("line 3: refused by rate:"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("line 4: refused by calling_number:"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("line 5: refused by carrier:"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("line 6: refused by content:"),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].starts_with("line 7: refused by subscription:"),
        "{}",
        lines[5]
    );
    assert_eq!(
        lines[6],
        "summary: 6 message(s), 1 accepted, 5 refused \
         (calling_number 1, carrier 1, subscription 1, content 1, rate 1)"
    );
}

#[test]
fn jsonl_dry_run_outputs_json() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "p.toml", POLICY);
    let messages = write(
        dir.path(),
        "m.jsonl",
        "{\"src\":\"121231100\",\"dest\":\"13800138000\",\"category\":\"notice\",\"text\":\"hi\"}\n\n\
         {\"src\":\"121231100\",\"dest\":\"13800138000\",\"category\":\"advertising\",\"text\":\"sale\"}\n",
    );
    let out = cmpp()
        .args(["policy", "check", "--format", "json", "--policy"])
        .arg(&policy)
        .arg("--messages")
        .arg(&messages)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let values: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(values.len(), 3);
    assert_eq!(values[0]["accepted"], true);
    assert_eq!(values[0]["normalized_dest"], "13800138000");
    assert_eq!(values[1]["line"], 3);
    assert_eq!(values[1]["accepted"], false);
    assert_eq!(values[1]["check"], "content");
    assert!(values[1]["reason"].as_str().unwrap().contains("2.2"));
    assert_eq!(values[2]["summary"]["messages"], 2);
    assert_eq!(values[2]["summary"]["refused"]["content"], 1);
}

#[test]
fn bad_files_have_distinct_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "p.toml", POLICY);
    let bad_policy = write(
        dir.path(),
        "bad.toml",
        "[rate]\n[[rate.limit]]\ncategory = \"x\"\nmax = 1\nwindow = \"1h\"\n",
    );
    let messages = write(
        dir.path(),
        "m.csv",
        "src,dest,category,text\n121231100,13800138000,weird,hi\n",
    );
    let run = |policy: &Path, messages: &Path| {
        cmpp()
            .args(["policy", "check", "--policy"])
            .arg(policy)
            .arg("--messages")
            .arg(messages)
            .output()
            .unwrap()
    };
    let out = run(&bad_policy, &messages);
    assert_eq!(out.status.code(), Some(7));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:3: rate.limit[0].category"), "{err}");
    let out = run(&good, &messages);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m.csv:2:") && err.contains("weird"), "{err}");
    let out = run(&dir.path().join("missing.toml"), &messages);
    assert_eq!(out.status.code(), Some(3));
}
