//! Errors a user can act on: one line each, with a distinct exit code.

use std::io::Write;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;
use predicates::str::contains;

/// `cmpp serve` on a free port, killed on drop.
struct Gateway {
    child: Child,
    port: u16,
}

impl Gateway {
    fn start() -> Gateway {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::cargo_bin("cmpp")
            .unwrap()
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--account",
                "900001:888888",
                "--stats-every",
                "0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "cmpp serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Gateway { child, port }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn send(port: u16, secret: &str) -> Command {
    let mut c = Command::cargo_bin("cmpp").unwrap();
    c.args([
        "send",
        "--gateway",
        &format!("127.0.0.1:{port}"),
        "--sp-id",
        "900001",
        "--src-id",
        "121231100",
        "--to",
        "13800138000",
        "--text",
        "hello",
    ])
    .env("CMPP_SECRET", secret)
    .env_remove("CMPP_CONFIG")
    .timeout(Duration::from_secs(60));
    c
}

fn one_line(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr).to_string();
    let lines: Vec<&str> = s.lines().filter(|l| l.starts_with("cmpp: ")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {s}");
    assert!(!s.contains("panicked") && !s.contains("backtrace"), "{s}");
    lines[0].to_string()
}

#[test]
fn unreachable_gateway_exits_4() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = send(port, "888888").assert().code(4).get_output().clone();
    assert!(one_line(&out.stderr).contains("unreachable"));
}

#[test]
fn refused_login_exits_5_with_the_reason() {
    let gw = Gateway::start();
    let out = send(gw.port, "wrong-secret")
        .assert()
        .code(5)
        .get_output()
        .clone();
    let line = one_line(&out.stderr);
    assert!(line.contains("refused the login"), "{line}");
    assert!(line.contains("authentication"), "{line}");
    // The secret is never echoed.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("wrong-secret"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("wrong-secret"));
}

#[test]
fn unwritable_journal_folder_exits_6() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let gw = Gateway::start();
    let out = send(gw.port, "888888")
        .arg("--journal")
        .arg(&file)
        .assert()
        .code(6)
        .get_output()
        .clone();
    assert!(one_line(&out.stderr).contains("cannot be written"));
}

#[test]
fn malformed_config_exits_7_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmpp.toml");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(
        f,
        "[gateway]\naddress = \"127.0.0.1:7890\"\n\n[limits]\nwindow = \"sixteen\""
    )
    .unwrap();
    let out = Command::cargo_bin("cmpp")
        .unwrap()
        .args(["send", "--to", "13800138000", "--text", "x", "--config"])
        .arg(&path)
        .assert()
        .code(7)
        .stderr(contains("cmpp.toml:5"))
        .get_output()
        .clone();
    assert!(one_line(&out.stderr).contains("window"));
}

#[test]
fn a_successful_send_journals_everything_it_sends() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start();
    let out = send(gw.port, "888888")
        .args(["--count", "3", "--wait-reports", "10", "--journal"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["accepted"], 3);
    assert_eq!(summary["stats"]["reports"], 3);
    let export = Command::cargo_bin("cmpp")
        .unwrap()
        .args(["journal", "export", "--format", "jsonl", "--journal"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert!(rows
        .iter()
        .all(|r| r["final_state"] == "delivered" && r["report_stat"] == "DELIVRD"));
}

#[test]
fn send_runs_the_contract_policy_by_default_and_journals_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start();
    // 13300000000 belongs to another carrier: the contract covers China Mobile subscribers only.
    let mut c = Command::cargo_bin("cmpp").unwrap();
    c.args([
        "send",
        "--gateway",
        &format!("127.0.0.1:{}", gw.port),
        "--sp-id",
        "900001",
        "--src-id",
        "121231100",
        "--to",
        "13800138000",
        "13300000000",
        "--text",
        "hello",
        "--journal",
    ])
    .arg(dir.path())
    .env("CMPP_SECRET", "888888")
    .env_remove("CMPP_CONFIG")
    .timeout(Duration::from_secs(60));
    let out = c.assert().success().get_output().clone();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["accepted"], 1);
    assert_eq!(summary["refused"], 1);
    let export = Command::cargo_bin("cmpp")
        .unwrap()
        .args(["journal", "export", "--format", "jsonl", "--journal"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .clone();
    let refused: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["final_state"] == "refused")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["dest"], "13300000000");

    // --no-policy sends it anyway (a test against a gateway only).
    let out = send(gw.port, "888888")
        .args(["--no-policy", "--to", "13300000000"])
        .assert()
        .success()
        .get_output()
        .clone();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["refused"], 0);
}
