//! `cmpp serve --protocol X` and `cmpp send --protocol X` as two processes, for SGIP (China
//! Unicom) and SMGP (China Telecom): submits answered, status reports back (SGIP's over the
//! link the simulator opens to the SP's listener), the journal holding the records under the
//! protocol's carrier; the flags that do not apply to a protocol refused.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sms_records::{Carrier, FinalState, Record};

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn cmpp(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cmpp"));
    c.args(args)
        .env_remove("CMPP_SECRET")
        .env_remove("CMPP_CONFIG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// A `cmpp serve` process, stopped with SIGTERM.
struct Serve(Option<Child>);

impl Serve {
    fn start(args: &[&str], addr: SocketAddr) -> Serve {
        let child = cmpp(&["serve", "--stats-every", "0", "--drain-timeout", "1"])
            .args(args)
            .args(["--listen", &addr.to_string()])
            .spawn()
            .unwrap();
        // The process needs a moment to bind.
        let start = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "serve never bound"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Serve(Some(child))
    }

    /// SIGTERM; the exit code and stderr.
    fn stop(mut self) -> (Option<i32>, String) {
        let mut child = self.0.take().unwrap();
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let (code, _, err) = finish(&mut child, Duration::from_secs(20));
        (code, err)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits for the child with a limit; kills it if the limit passes.
fn finish(child: &mut Child, limit: Duration) -> (Option<i32>, String, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let (mut out, mut err) = (String::new(), String::new());
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), out, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let mut child = cmd.spawn().unwrap();
    finish(&mut child, Duration::from_secs(60))
}

/// The ServerVersion byte `cmpp serve --protocol smgp` answers a 3.0 Login with.
fn smgp_server_version(gateway: SocketAddr, client_id: &str, secret: &str) -> u8 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let login = smgp_session::SpLoginConfig::new(client_id, secret.as_bytes().to_vec());
        let (_, done) = smgp_session::connect(gateway, &login, chrono::Utc::now(), 1)
            .await
            .unwrap();
        done.server_version
    })
}

fn journal_records(dir: &std::path::Path) -> Vec<Record> {
    let j = sms_journal::Journal::open(dir, sms_journal::JournalOptions::default()).unwrap();
    j.export(None, None).unwrap().map(Result::unwrap).collect()
}

/// Two numbers of `carrier` and one China Mobile number: the carrier's two are sent and
/// reported, the Mobile one refused by the route check (this gateway does not reach it).
fn check_exchange(
    carrier: Carrier,
    ours: [&str; 2],
    stdout: &str,
    stderr: &str,
    journal: &std::path::Path,
) {
    let summary: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    assert_eq!(summary["accepted"], 2, "{summary}");
    assert_eq!(summary["refused"], 1, "{summary}");
    assert_eq!(summary["reports_outstanding"], 0, "{summary}");
    assert_eq!(summary["stats"]["own_reports"], 2, "{summary}");
    assert!(
        stderr.contains("1 record(s) refused by 'carrier'") && stderr.contains("13800138000"),
        "{stderr}"
    );
    let records = journal_records(journal);
    assert_eq!(records.len(), 3, "{records:#?}");
    for dest in ours {
        let r = records.iter().find(|r| r.dest == dest).expect(dest);
        assert_eq!(r.carrier, carrier, "{r:?}");
        assert_eq!(r.final_state, FinalState::Delivered, "{r:?}");
        assert_eq!(r.resp_result, Some(0), "{r:?}");
        assert!(r.msg_id.is_some() && r.reported_at.is_some(), "{r:?}");
        assert!(r.report_stat.is_some(), "{r:?}");
    }
    let mobile = records.iter().find(|r| r.dest == "13800138000").unwrap();
    assert_eq!(mobile.final_state, FinalState::Refused, "{mobile:?}");
}

#[test]
fn sgip_serve_and_send_exchange_submits_and_reports() {
    let gateway = free_addr();
    let sp = free_addr();
    let serve = Serve::start(
        &[
            "--protocol",
            "sgip",
            "--account",
            "sp901:pw901",
            "--deliver-to",
            &sp.to_string(),
        ],
        gateway,
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(cmpp(&["send", "--protocol", "sgip"])
        .args(["--gateway", &gateway.to_string(), "--sp-id", "sp901"])
        .args(["--secret", "pw901", "--listen", &sp.to_string()])
        .args(["--corp-id", "90001", "--src-id", "121231100"])
        .args(["--to", "13012345678", "13800138000", "18612345678"])
        .args(["--text", "您的验证码是123456", "--wait-reports", "20"])
        .arg("--journal")
        .arg(dir.path()));
    assert_eq!(code, Some(0), "{out}\n{err}");
    check_exchange(
        Carrier::ChinaUnicom,
        ["13012345678", "18612345678"],
        &out,
        &err,
        dir.path(),
    );
    // The journal's message id is the Submit's sequence number, whose node id is the SP's
    // (3 + area code 010 + CorpId 90001).
    let records = journal_records(dir.path());
    let unicom = records.iter().find(|r| r.dest == "13012345678").unwrap();
    assert!(
        unicom.msg_id.as_deref().unwrap().starts_with("3010090001"),
        "{unicom:?}"
    );
    let (code, err) = serve.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("stopped after 2 submits"), "{err}");
    assert!(err.contains("SP bound the SGIP MT link"), "{err}");
}

#[test]
fn smgp_serve_and_send_exchange_submits_and_reports() {
    let gateway = free_addr();
    let serve = Serve::start(
        &["--protocol", "smgp", "--account", "90000001:secret"],
        gateway,
    );
    assert_eq!(smgp_server_version(gateway, "90000001", "secret"), 0x30);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(cmpp(&["send", "--protocol", "smgp"])
        .args(["--gateway", &gateway.to_string(), "--sp-id", "90000001"])
        .env("CMPP_SECRET", "secret")
        .args(["--src-id", "121231100", "--service-id", "12123"])
        .args(["--to", "13312345678", "13800138000", "18912345678"])
        .args(["--text", "您的验证码是123456", "--wait-reports", "20"])
        .arg("--journal")
        .arg(dir.path()));
    assert_eq!(code, Some(0), "{out}\n{err}");
    check_exchange(
        Carrier::ChinaTelecom,
        ["13312345678", "18912345678"],
        &out,
        &err,
        dir.path(),
    );
    let (code, err) = serve.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("stopped after 2 submits"), "{err}");
}

#[test]
fn smgp_serve_speaks_2_0_when_asked() {
    let gateway = free_addr();
    let serve = Serve::start(
        &[
            "--protocol",
            "smgp",
            "--version",
            "2.0",
            "--account",
            "90000001:secret",
        ],
        gateway,
    );
    assert_eq!(smgp_server_version(gateway, "90000001", "secret"), 0x20);
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(cmpp(&["send", "--protocol", "smgp", "--version", "2.0"])
        .args(["--gateway", &gateway.to_string(), "--sp-id", "90000001"])
        .args(["--secret", "secret", "--src-id", "121231100"])
        .args([
            "--to",
            "13312345678",
            "--text",
            "hi",
            "--wait-reports",
            "20",
        ])
        .arg("--journal")
        .arg(dir.path()));
    assert_eq!(code, Some(0), "{out}\n{err}");
    let records = journal_records(dir.path());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].carrier, Carrier::ChinaTelecom);
    assert_eq!(records[0].final_state, FinalState::Delivered, "{records:?}");
    let (code, err) = serve.stop();
    assert_eq!(code, Some(0), "{err}");
}

/// Runs `cmpp ARGS` that must be refused before any network use: exit 3 and `needle`.
fn refused(args: &[&str], needle: &str) {
    let (code, out, err) = run(&mut cmpp(args));
    assert_eq!(code, Some(3), "{args:?}: {out}\n{err}");
    assert!(err.contains(needle), "{args:?}: {err}");
}

#[test]
fn serve_refuses_the_flags_of_other_protocols() {
    let acc = ["--account", "sp1:pw1"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec!["serve", "--stats-every", "0", acc[0], acc[1]];
        v.extend_from_slice(extra);
        v
    };
    refused(
        &with(&["--protocol", "sgip"]),
        "--protocol sgip needs --deliver-to",
    );
    refused(
        &with(&["--deliver-to", "127.0.0.1:1"]),
        "--deliver-to does not apply to --protocol cmpp",
    );
    refused(
        &with(&["--protocol", "smgp", "--deliver-to", "127.0.0.1:1"]),
        "--deliver-to does not apply to --protocol smgp",
    );
    refused(
        &with(&[
            "--protocol",
            "sgip",
            "--deliver-to",
            "127.0.0.1:1",
            "--version",
            "3.0",
        ]),
        "--version does not apply to --protocol sgip",
    );
    refused(
        &with(&[
            "--protocol",
            "sgip",
            "--deliver-to",
            "127.0.0.1:1",
            "--heartbeat",
            "30",
        ]),
        "--heartbeat does not apply to --protocol sgip: SGIP has no heartbeat",
    );
    refused(
        &["serve", "--protocol", "smgp", "--account", "123456789:x"],
        "SMGP ClientID '123456789' must be 1 to 8",
    );
    refused(
        &["serve", "--account", "9000011:x"],
        "SP id '9000011' must be 1 to 6",
    );
}

#[test]
fn send_refuses_the_flags_of_other_protocols() {
    let base = |protocol: &'static str, extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = vec![
            "send",
            "--protocol",
            protocol,
            "--gateway",
            "127.0.0.1:1",
            "--sp-id",
            "sp1",
            "--secret",
            "pw",
            "--to",
            "13012345678",
            "--text",
            "hi",
        ];
        v.extend_from_slice(extra);
        v
    };
    refused(
        &base("cmpp", &["--corp-id", "12345"]),
        "--corp-id does not apply to --protocol cmpp",
    );
    refused(
        &base("smgp", &["--listen", "127.0.0.1:2"]),
        "--listen does not apply to --protocol smgp",
    );
    refused(
        &base("sgip", &["--no-verify-authenticator"]),
        "--no-verify-authenticator does not apply to --protocol sgip",
    );
    refused(
        &base("smgp", &["--accept-zero-authenticator"]),
        "--accept-zero-authenticator does not apply to --protocol smgp",
    );
    refused(
        &base("sgip", &["--version", "3.0"]),
        "--version does not apply to --protocol sgip",
    );
    refused(
        &base("sgip", &["--rate", "10"]),
        "--rate does not apply to --protocol sgip",
    );
    refused(
        &base("sgip", &["--corp-id", "12345"]),
        "SGIP needs the SP's listener",
    );
    refused(
        &base("sgip", &["--listen", "127.0.0.1:2"]),
        "SGIP needs the SP's CorpId",
    );
    refused(
        &base("sgip", &["--listen", "127.0.0.1:2", "--corp-id", "1234"]),
        "CorpId '1234' must be 5 digits",
    );
}

#[test]
fn help_names_the_protocols() {
    for cmd in ["serve", "send"] {
        let (code, out, _) = run(&mut cmpp(&[cmd, "--help"]));
        assert_eq!(code, Some(0));
        assert!(out.contains("--protocol"), "{cmd}: {out}");
        for p in ["cmpp", "sgip", "smgp"] {
            assert!(out.contains(p), "{cmd} --help names {p}: {out}");
        }
    }
}

#[test]
fn sgip_send_reads_its_carrier_table_and_never_sends_cmpp_secret() {
    let gateway = free_addr();
    let sp = free_addr();
    let serve = Serve::start(
        &[
            "--protocol",
            "sgip",
            "--account",
            "sp901:unicom-pw",
            "--deliver-to",
            &sp.to_string(),
        ],
        gateway,
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cmpp.toml");
    std::fs::write(
        &config,
        format!(
            "[gateway]\naddress = \"127.0.0.1:1\"\nsp_id = \"900001\"\n\
             [carriers.unicom]\naddress = \"{gateway}\"\naccount = \"sp901\"\n\
             secret_env = \"UNICOM_PW\"\nlisten = \"{sp}\"\ncorp_id = \"90001\"\n\
             src_id = \"10655121231\"\n"
        ),
    )
    .unwrap();
    let (code, out, err) = run(cmpp(&["send", "--protocol", "sgip", "--config"])
        .arg(&config)
        // China Mobile's secret is set too: it must not be what SGIP logs in with.
        .env("CMPP_SECRET", "mobile-pw")
        .env("UNICOM_PW", "unicom-pw")
        .args([
            "--to",
            "13012345678",
            "--text",
            "hi",
            "--wait-reports",
            "20",
        ])
        .arg("--journal")
        .arg(dir.path().join("j")));
    assert_eq!(code, Some(0), "{out}\n{err}");
    let records = journal_records(&dir.path().join("j"));
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].carrier, Carrier::ChinaUnicom);
    // China Unicom's contract gives the SP its own calling number: the default policy's
    // calling-number check expects it instead of China Mobile's 121231100.
    assert_eq!(records[0].src, "10655121231", "the table's src_id");
    assert_eq!(records[0].final_state, FinalState::Delivered, "{records:?}");
    drop(serve);
}

#[test]
fn a_closed_stdout_does_not_crash_send() {
    let gateway = free_addr();
    let serve = Serve::start(
        &["--protocol", "smgp", "--account", "90000001:secret"],
        gateway,
    );
    let mut child = cmpp(&["send", "--protocol", "smgp", "--secret", "secret"])
        .args(["--gateway", &gateway.to_string(), "--sp-id", "90000001"])
        .args([
            "--src-id",
            "121231100",
            "--to",
            "13312345678",
            "--text",
            "hi",
        ])
        .spawn()
        .unwrap();
    // The reader goes away before the summary is written (`cmpp send … | head -0`).
    drop(child.stdout.take());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "send never ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    drop(serve);
}

#[test]
fn unreachable_and_refused_logins_exit_4_and_5() {
    let dead = free_addr().to_string();
    let sp = free_addr().to_string();
    let sgip = |gateway: &str, password: &str| {
        let mut c = cmpp(&["send", "--protocol", "sgip", "--gateway", gateway]);
        c.args(["--sp-id", "sp901", "--secret", password, "--listen", &sp])
            .args(["--corp-id", "90001", "--to", "13012345678", "--text", "hi"]);
        c
    };
    let smgp = |gateway: &str, password: &str| {
        let mut c = cmpp(&["send", "--protocol", "smgp", "--gateway", gateway]);
        c.args(["--sp-id", "90000001", "--secret", password]).args([
            "--to",
            "13312345678",
            "--text",
            "hi",
        ]);
        c
    };
    for mut c in [sgip(&dead, "pw901"), smgp(&dead, "secret")] {
        let (code, out, err) = run(&mut c);
        assert_eq!(code, Some(4), "{out}\n{err}");
        assert!(err.contains("unreachable"), "{err}");
    }
    let sgip_gw = free_addr();
    let _sgip_serve = Serve::start(
        &[
            "--protocol",
            "sgip",
            "--account",
            "sp901:pw901",
            "--deliver-to",
            &sp,
        ],
        sgip_gw,
    );
    let smgp_gw = free_addr();
    let _smgp_serve = Serve::start(
        &["--protocol", "smgp", "--account", "90000001:secret"],
        smgp_gw,
    );
    for mut c in [
        sgip(&sgip_gw.to_string(), "Zq7-not-it"),
        smgp(&smgp_gw.to_string(), "Zq7-not-it"),
    ] {
        let (code, out, err) = run(&mut c);
        assert_eq!(code, Some(5), "{out}\n{err}");
        assert!(err.contains("refused the login"), "{err}");
        assert!(!err.contains("Zq7"), "the password is never echoed: {err}");
    }
}
