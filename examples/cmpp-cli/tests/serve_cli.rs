//! `cmpp serve` as a process: starts, accepts a login, answers a submit, stops on SIGTERM.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use cmpp_codec::{MsgFmt, SubmitResult, Version};
use cmpp_session::{Client, ClientConfig, SubmitRequest};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn serve_answers_and_stops_on_sigterm() {
    let port = free_port();
    let child = Command::new(assert_cmd::cargo::cargo_bin("cmpp"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--version",
            "3.0",
        ])
        .args(["--account", "900001:888888", "--stats-every", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        let addr = format!("127.0.0.1:{port}").parse().unwrap();
        let config = ClientConfig::builder(addr, "900001", b"888888".to_vec())
            .version(Version::V30)
            .build();
        // The process needs a moment to bind; retry the login for up to 10 s.
        let mut client = None;
        for _ in 0..100 {
            match Client::connect(config.clone()).await {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        let client = client.expect("login to cmpp serve");
        let req = SubmitRequest::message("1", &["13800138000"], &b"hi"[..], MsgFmt::Ascii).unwrap();
        let out = client.submit(req).await.unwrap();
        client.close(Duration::from_secs(1)).await;
        out.result
    });
    assert_eq!(result, SubmitResult::Ok);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(stderr.contains("SP logged in"), "{stderr}");
    assert!(stderr.contains("stopped after 1 submits"), "{stderr}");
}

#[test]
fn bad_profile_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.toml");
    std::fs::write(&p, "seed = \"x\"").unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("cmpp"))
        .args(["serve", "--account", "900001:888888", "--profile"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&out.stderr).contains("profile"));
}
