//! `cmpp serve` as a process against hostile peers: SIGTERM is bounded by the drain
//! deadline whatever the peers do, and the logs are readable (JSON on request, no colour
//! codes in a pipe, no warning for a bare probe, one line per burst of failed logins).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use cmpp_codec::{encode, Connect, OctetString, Packet, Version};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(port: u16, extra: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("cmpp"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--account", "900001:888888", "--stats-every", "0"])
        .args(extra)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Connects once the process listens (up to 10 s).
fn connect(port: u16) -> TcpStream {
    let start = Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(e) if start.elapsed() < Duration::from_secs(10) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("cmpp serve did not listen: {e}"),
        }
    }
}

/// Sends a CONNECT and reads the 33-byte CONNECT_RESP; returns its status.
fn login(s: &mut TcpStream, secret: &[u8], when: chrono::DateTime<chrono::Utc>) -> u32 {
    let c = Connect::new(
        OctetString::try_from("900001").unwrap(),
        secret,
        &when,
        Version::V30,
    );
    let mut out = BytesMut::new();
    encode(&Packet::new(1, c), Version::V30, &mut out).unwrap();
    s.write_all(&out).unwrap();
    let mut resp = [0u8; 33];
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.read_exact(&mut resp).unwrap();
    u32::from_be_bytes([resp[12], resp[13], resp[14], resp[15]])
}

fn term(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn sigterm_exits_within_the_drain_deadline_whatever_the_peers_do() {
    let port = free_port();
    let child = serve(port, &["--drain-timeout", "2"]);
    // A logged-in peer that never reads and ignores TERMINATE, and an idle pre-login one.
    let mut deaf = connect(port);
    assert_eq!(login(&mut deaf, b"888888", chrono::Utc::now()), 0);
    let _idle = connect(port);
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    term(&child);
    let out = child.wait_with_output().unwrap();
    let took = t0.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    // Drain deadline 2 s, plus a second, plus process start-up slack.
    assert!(took < Duration::from_secs(4), "took {took:?}: {stderr}");
    assert!(
        took >= Duration::from_secs(2),
        "waited for the drain: {took:?}"
    );
    drop(deaf);
}

#[test]
fn logs_are_json_lines_without_colour_and_quiet_about_probes() {
    let port = free_port();
    let child = serve(port, &["--log-format", "json"]);
    // A bare probe: connect and close before any byte.
    drop(connect(port));
    // Five wrong passwords from one address: one warning line for the burst.
    for i in 0..5 {
        let mut s = connect(port);
        let when = chrono::Utc::now() + chrono::Duration::milliseconds(i);
        assert_ne!(login(&mut s, b"wrong!", when), 0);
    }
    std::thread::sleep(Duration::from_millis(200));
    term(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains('\x1b'), "colour codes in a pipe: {stderr}");
    let json: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        json.iter()
            .any(|v| v["message"].as_str().unwrap_or("").contains("listening")),
        "{stderr}"
    );
    let failed: Vec<&serde_json::Value> = json
        .iter()
        .filter(|v| v["message"].as_str().unwrap_or("").contains("login failed"))
        .collect();
    assert_eq!(failed.len(), 1, "one line per burst: {stderr}");
    assert_eq!(failed[0]["level"], "WARN");
    assert!(
        failed[0]["fields"]["reason"]
            .as_str()
            .unwrap()
            .contains("status 3"),
        "{stderr}"
    );
}

#[test]
fn text_logs_in_a_pipe_have_no_colour_codes() {
    let port = free_port();
    let child = serve(port, &[]);
    let mut s = connect(port);
    assert_ne!(login(&mut s, b"wrong!", chrono::Utc::now()), 0);
    std::thread::sleep(Duration::from_millis(200));
    term(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(" WARN "), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr}");
}

#[test]
fn out_of_descriptors_pauses_accepting_logs_once_and_recovers() {
    let port = free_port();
    let bin = assert_cmd::cargo::cargo_bin("cmpp");
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 40 && exec '{}' serve --listen 127.0.0.1:{port} --account 900001:888888 --stats-every 0",
            bin.display()
        ))
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first = connect(port);
    // Far more idle connections than the 40 descriptors the process may hold.
    let idle: Vec<TcpStream> = (0..80).map(|_| connect(port)).collect();
    std::thread::sleep(Duration::from_millis(1500));
    drop(idle);
    drop(first);
    // Once the idle sockets are gone, a real login gets in.
    std::thread::sleep(Duration::from_millis(500));
    let mut s = connect(port);
    assert_eq!(login(&mut s, b"888888", chrono::Utc::now()), 0);
    drop(s);
    term(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines = stderr.matches("accept failed").count();
    assert_eq!(lines, 1, "one line per interval: {stderr}");
}
