//! `cmpp send` as an operator runs it: signals, a gateway that goes away, refusals, a crash
//! between a report's receipt and its journal write; `cmpp query` and `cmpp cancel`.
//! Each test spawns the built binary against an in-process gateway (the server role).

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cmpp_codec::{
    Cancel, CancelResp, Deliver, DeliverContent, MsgFmt, MsgId, OctetString, Query, QueryResp,
    Stat, StatusReport, Submit,
};
use cmpp_session::{
    Account, ConnectionInfo, GatewayHandler, InMemoryAccounts, Server, ServerConfig, ServerHandle,
    SubmitDecision,
};

const SP: &str = "900001";
const SECRET: &str = "888888";

/// What the test gateway does with SUBMITs.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Accept, and have the test deliver reports by hand.
    Accept,
    /// Never answer.
    Silent,
}

struct Handler {
    mode: Mode,
    submits: AtomicU32,
    accepted: Mutex<Vec<(MsgId, String)>>,
    /// Destinations of the SUBMITs left unanswered (silent mode).
    ignored: Mutex<Vec<String>>,
}

impl GatewayHandler for Handler {
    fn on_submit(&self, _c: &ConnectionInfo, _seq: u32, s: &Submit) -> SubmitDecision {
        let n = self.submits.fetch_add(1, Ordering::SeqCst) + 1;
        match self.mode {
            Mode::Silent => {
                let dest = s.dest_terminal_ids[0].to_str_lossy().into_owned();
                self.ignored.lock().unwrap().push(dest);
                SubmitDecision::Ignore
            }
            Mode::Accept => {
                let msg_id = MsgId::from_u64(0x7000_0000 + u64::from(n));
                let dest = s.dest_terminal_ids[0].to_str_lossy().into_owned();
                self.accepted.lock().unwrap().push((msg_id, dest));
                SubmitDecision::Respond { msg_id, result: 0 }
            }
        }
    }

    fn on_query(&self, _c: &ConnectionInfo, q: &Query) -> QueryResp {
        QueryResp {
            time: q.time,
            query_type: q.query_type,
            query_code: q.query_code,
            mt_tl_msg: self.submits.load(Ordering::SeqCst),
            mt_tl_usr: 2,
            mt_scs: 3,
            mt_wt: 4,
            mt_fl: 5,
            mo_scs: 6,
            mo_wt: 7,
            mo_fl: 8,
        }
    }

    fn on_cancel(&self, _c: &ConnectionInfo, c: &Cancel) -> CancelResp {
        CancelResp {
            success_id: u32::from(c.msg_id == MsgId::from_u64(42)),
        }
    }
}

struct Gateway {
    rt: tokio::runtime::Runtime,
    server: Option<Server>,
    handler: Arc<Handler>,
    addr: SocketAddr,
}

impl Gateway {
    fn start(mode: Mode) -> Gateway {
        Self::start_at("127.0.0.1:0".parse().unwrap(), mode)
    }

    fn start_at(addr: SocketAddr, mode: Mode) -> Gateway {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let handler = Arc::new(Handler {
            mode,
            submits: AtomicU32::new(0),
            accepted: Mutex::new(Vec::new()),
            ignored: Mutex::new(Vec::new()),
        });
        let accounts = Arc::new(InMemoryAccounts::new());
        accounts.insert(Account::new(SP, SECRET.as_bytes()));
        let server = rt
            .block_on(Server::bind(
                addr,
                {
                    let mut v = ServerConfig::default();
                    v.response_timeout = Duration::from_secs(2);
                    v
                },
                accounts,
                handler.clone(),
            ))
            .unwrap();
        let addr = server.local_addr();
        Gateway {
            rt,
            server: Some(server),
            handler,
            addr,
        }
    }

    fn handle(&self) -> ServerHandle {
        self.server.as_ref().unwrap().handle()
    }

    fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }

    fn wait(&self, what: &str, cond: impl Fn(&Gateway) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cond(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
    }
}

fn cmpp(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cmpp"));
    c.args(args)
        .env("CMPP_SECRET", SECRET)
        .env_remove("CMPP_CONFIG")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn send_args(gw: &Gateway, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "send",
        "--gateway",
        &gw.addr.to_string(),
        "--sp-id",
        SP,
        "--src-id",
        "121231100",
        "--to",
        "13800138000",
        "--text",
        "hello",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// Waits for the child with a limit; kills it if the limit passes.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, String, String, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = String::new();
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
            return (status.code(), out, err, start.elapsed());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} failed");
}

fn summary(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("summary JSON: {e}: {stdout}"))
}

fn journal_records(dir: &std::path::Path) -> Vec<sms_records::Record> {
    let j = sms_journal::Journal::open(dir, sms_journal::JournalOptions::default()).unwrap();
    j.export(None, None).unwrap().map(Result::unwrap).collect()
}

fn drains_on(sig: &str, name: &str) {
    let gw = Gateway::start(Mode::Silent);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let args = send_args(
        &gw,
        &[
            "--no-policy",
            "--count",
            "5000",
            "--drain",
            "1",
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    // The window is full of unanswered SUBMITs: the run cannot finish by itself.
    gw.wait("16 submits", |g| {
        g.handler.submits.load(Ordering::SeqCst) >= 16
    });
    signal(&child, sig);
    let (code, out, err, _) = finish(child, Duration::from_secs(20));
    assert_eq!(
        code,
        Some(8),
        "exit 8: records without outcome; stderr: {err}"
    );
    let s = summary(&out);
    assert_eq!(s["stopped"], format!("{name}"), "{out}");
    // 1024 messages in progress (64 x the window): 16 written and unanswered, the others
    // waiting for room; the rest never taken.
    assert_eq!(s["records"], 1024, "{out}");
    assert_eq!(s["sent"], 16, "{out}");
    assert_eq!(s["without_outcome"], 1024);
    assert_eq!(s["not_taken"], 5000 - 1024);
    assert!(err.contains("draining"), "{err}");
    // Every record that was taken has its state in the journal, none left pending: the
    // written ones "maybe sent", the others never sent.
    let records = journal_records(&journal);
    assert_eq!(records.len(), 1024);
    let count = |st| records.iter().filter(|r| r.final_state == st).count();
    assert_eq!(count(sms_records::FinalState::Unknown), 16);
    assert_eq!(count(sms_records::FinalState::Refused), 1024 - 16);
}

#[test]
fn sigint_stops_taking_drains_journals_and_exits_8() {
    drains_on("-INT", "interrupted (SIGINT)");
}

#[test]
fn sigterm_stops_taking_drains_journals_and_exits_8() {
    drains_on("-TERM", "terminated (SIGTERM)");
}

#[test]
fn deadline_ends_the_run_with_the_summary() {
    let gw = Gateway::start(Mode::Silent);
    let args = send_args(&gw, &["--no-policy", "--deadline", "1", "--drain", "0"]);
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    let (code, out, _err, took) = finish(child, Duration::from_secs(20));
    assert_eq!(code, Some(8));
    assert_eq!(summary(&out)["stopped"], "deadline of 1 s reached");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_gateway_gone_after_login_ends_the_run_with_the_summary() {
    let mut gw = Gateway::start(Mode::Silent);
    let args = send_args(
        &gw,
        &["--no-policy", "--count", "5000", "--give-up-after", "1"],
    );
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    gw.wait("a submit", |g| g.handler.submits.load(Ordering::SeqCst) > 0);
    gw.stop();
    let (code, out, err, _) = finish(child, Duration::from_secs(30));
    assert_eq!(code, Some(8), "{err}");
    let s = summary(&out);
    assert_eq!(
        s["stopped"], "gateway unreachable for 1 s; gave up",
        "{out}"
    );
    assert!(s["not_taken"].as_u64().unwrap() > 0);
}

#[test]
fn refusals_are_reported_per_check_and_nothing_sent_exits_9() {
    let gw = Gateway::start(Mode::Accept);
    // 13300000000 is another carrier's number: this contract's policy refuses it.
    let args = [
        "send",
        "--gateway",
        &gw.addr.to_string(),
        "--sp-id",
        SP,
        "--src-id",
        "121231100",
        "--to",
        "13300000000",
        "13300000001",
        "--text",
        "hello",
    ];
    let (code, out, err, _) = finish(cmpp(&args).spawn().unwrap(), Duration::from_secs(30));
    assert_eq!(code, Some(9), "{err}");
    assert_eq!(summary(&out)["refused"], 2);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("refused by")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("cmpp: 2 record(s) refused by 'carrier'"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(gw.handler.submits.load(Ordering::SeqCst), 0);
}

fn report_for(msg_id: MsgId, dest: &str) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(0x0900_0000 + msg_id.as_u64()),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from(dest).unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Report(StatusReport {
            msg_id,
            stat: Stat::DELIVRD,
            submit_time: OctetString::try_from("2612041000").unwrap(),
            done_time: OctetString::try_from("2612041001").unwrap(),
            dest_terminal_id: OctetString::try_from(dest).unwrap(),
            smsc_sequence: 1,
        }),
        link_id: OctetString::EMPTY,
    }
}

/// The sender dies after receiving a report and before journaling it: the report was
/// not answered, so the gateway sends it again to the next run, which journals it once.
#[test]
fn a_crash_between_receipt_and_commit_loses_no_report() {
    let gw = Gateway::start(Mode::Accept);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let j = journal.to_str().unwrap().to_owned();
    let args = send_args(
        &gw,
        &[
            "--no-policy",
            "--journal",
            &j,
            "--wait-reports",
            "20",
            "--fault-exit-before-report-commit",
        ],
    );
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    gw.wait("the submit", |g| {
        !g.handler.accepted.lock().unwrap().is_empty()
    });
    let (msg_id, dest) = gw.handler.accepted.lock().unwrap()[0].clone();
    // Let the submit's journal write land first (the crash under test is the report's).
    std::thread::sleep(Duration::from_millis(1500));
    gw.handle().deliver(SP, report_for(msg_id, &dest)).unwrap();
    let (code, _, err, _) = finish(child, Duration::from_secs(30));
    assert_eq!(code, Some(86), "the fault hook fired: {err}");
    let before = journal_records(&journal);
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].final_state, sms_records::FinalState::Pending);
    assert_eq!(gw.handle().stats().delivers_acked, 0, "never answered");

    // The next run (another message, whose own report never comes) gets the report again
    // on login and journals it while it waits.
    let args = send_args(
        &gw,
        &["--no-policy", "--journal", &j, "--wait-reports", "3"],
    );
    let (code, _, err, _) = finish(
        cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .spawn()
            .unwrap(),
        Duration::from_secs(30),
    );
    assert_eq!(code, Some(0), "{err}");
    gw.wait("the report answered", |g| {
        g.handle().stats().delivers_acked == 1
    });
    let after = journal_records(&journal);
    let first = after
        .iter()
        .find(|r| r.msg_id.as_deref() == Some(msg_id.to_digits().as_str()))
        .expect("the first run's record");
    assert_eq!(
        first.final_state,
        sms_records::FinalState::Delivered,
        "{after:?}"
    );
    assert_eq!(after.len(), 2, "no duplicate record: {after:?}");
}

fn login_args(gw: &Gateway) -> Vec<String> {
    [
        "--gateway",
        &gw.addr.to_string(),
        "--sp-id",
        SP,
        "--version",
        "3.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn query_prints_the_query_resp_with_the_specs_field_names() {
    let gw = Gateway::start(Mode::Accept);
    let mut args = vec!["query".to_string()];
    args.extend(login_args(&gw));
    args.extend(["--date", "20261204", "--service-id", "12123"].map(String::from));
    let out = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Time"], "20261204");
    assert_eq!(v["Query_Type"], 1);
    assert_eq!(v["Query_Code"], "12123");
    for (key, want) in [
        ("MT_TLMsg", 0),
        ("MT_Tlusr", 2),
        ("MT_Scs", 3),
        ("MT_WT", 4),
        ("MT_FL", 5),
        ("MO_Scs", 6),
        ("MO_WT", 7),
        ("MO_FL", 8),
    ] {
        assert_eq!(v[key], want, "{key}");
    }
    let mut bad = vec!["query".to_string()];
    bad.extend(login_args(&gw));
    bad.extend(["--date", "2026-12-04"].map(String::from));
    let out = cmpp(&bad.iter().map(String::as_str).collect::<Vec<_>>())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn cancel_prints_the_cancel_resp() {
    let gw = Gateway::start(Mode::Accept);
    let run = |id: &str| {
        let mut args = vec!["cancel".to_string()];
        args.extend(login_args(&gw));
        args.extend(["--msg-id", id].map(String::from));
        cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .output()
            .unwrap()
    };
    let ok = run("7");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(
        (v["Success_Id"].as_u64(), v["cancelled"].as_bool()),
        (Some(0), Some(true))
    );
    let refused = run("42");
    assert_eq!(refused.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(v["Success_Id"], 1);
    assert_eq!(run("not-an-id").status.code(), Some(3));
}

/// A gateway whose AuthenticatorISMG is wrong; otherwise it answers SUBMIT and TERMINATE.
/// Returns its address and the commands it received, in order.
fn impostor() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    use cmpp_codec::{decode, encode, split_frame, FrameStatus, Packet, Pdu, SubmitResp, Version};
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            'conn: loop {
                let n = match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                while let Ok(FrameStatus::Complete(len)) = split_frame(&buf, 4096) {
                    let frame: Vec<u8> = buf.drain(..len).collect();
                    let Ok(p) = decode(bytes::Bytes::from(frame), Version::V30) else {
                        break 'conn;
                    };
                    log.lock().unwrap().push(p.pdu.name().to_string());
                    let reply = match p.pdu {
                        Pdu::Connect(_) => Some(Pdu::ConnectResp(cmpp_codec::ConnectResp {
                            status: cmpp_codec::ConnectStatus::Ok,
                            authenticator_ismg: [7; 16],
                            version: 0x30,
                        })),
                        Pdu::Submit(_) => Some(Pdu::SubmitResp(SubmitResp {
                            msg_id: MsgId::from_u64(99),
                            result: cmpp_codec::SubmitResult::Ok,
                        })),
                        Pdu::Terminate => Some(Pdu::TerminateResp),
                        Pdu::ActiveTest => Some(Pdu::ActiveTestResp(Default::default())),
                        _ => None,
                    };
                    if let Some(r) = reply {
                        let mut out = bytes::BytesMut::new();
                        encode(&Packet::new(p.sequence_id, r), Version::V30, &mut out).unwrap();
                        if s.write_all(&out).is_err() {
                            break 'conn;
                        }
                    }
                }
            }
        }
    });
    (addr, seen)
}

#[test]
fn a_gateway_with_a_wrong_authenticator_is_refused_unless_the_user_opts_out() {
    let (addr, seen) = impostor();
    let args = [
        "send",
        "--gateway",
        &addr.to_string(),
        "--sp-id",
        SP,
        "--no-policy",
        "--src-id",
        "121231100",
        "--to",
        "13800138000",
        "--text",
        "hello",
    ];
    let (code, _, err, _) = finish(cmpp(&args).spawn().unwrap(), Duration::from_secs(30));
    assert_eq!(code, Some(5), "{err}");
    assert!(
        err.contains("the gateway's AuthenticatorISMG is wrong; refusing it"),
        "{err}"
    );
    assert!(
        !err.contains("refused the login"),
        "our refusal, not the gateway's: {err}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.lock().unwrap().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        seen.lock().unwrap()[..2],
        ["CONNECT".to_string(), "TERMINATE".to_string()],
        "the client ends the session it refused"
    );

    // On purpose: the flag lets it through, with a warning at the login.
    let mut with_flag = args.to_vec();
    with_flag.push("--no-verify-authenticator");
    let (code, out, err, _) = finish(cmpp(&with_flag).spawn().unwrap(), Duration::from_secs(30));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(summary(&out)["accepted"], 1);
    assert!(err.contains("AuthenticatorISMG NOT verified"), "{err}");
}

/// kill -9 while SUBMITs are on the wire leaves them written and unanswered; `cmpp journal
/// reconcile` closes them as "maybe sent, no response".
#[test]
fn after_kill_9_reconcile_closes_the_records_left_in_flight() {
    let gw = Gateway::start(Mode::Silent);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let j = journal.to_str().unwrap().to_owned();
    let args = send_args(&gw, &["--no-policy", "--count", "100", "--journal", &j]);
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    gw.wait("16 submits", |g| {
        g.handler.submits.load(Ordering::SeqCst) >= 16
    });
    // Let the submit events reach the journal, then die without any cleanup.
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, "-KILL");
    let (code, _, _, _) = finish(child, Duration::from_secs(10));
    assert_eq!(code, None, "killed by the signal");
    let before = journal_records(&journal);
    // Every message taken has its intent journaled (the outbox); 16 were written.
    assert!(before.len() >= 16, "{}", before.len());
    assert_eq!(
        before.iter().filter(|r| r.submitted_at.is_some()).count(),
        16
    );
    assert!(before
        .iter()
        .all(|r| r.final_state == sms_records::FinalState::Pending && r.msg_id.is_none()));

    let out = cmpp(&["journal", "reconcile", "--journal", &j, "--grace-secs", "0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["closed"].as_array().unwrap().len(), before.len());
    assert!(
        v["matched"].as_array().unwrap().is_empty(),
        "no reports came"
    );
    let after = journal_records(&journal);
    assert!(after
        .iter()
        .all(|r| r.final_state == sms_records::FinalState::Unknown));
}

/// An MO message (a user's reply) from the number the tests send to.
fn mo(text: &str) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(0x0A00_0000_0000_0001),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800138000").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Message(text.as_bytes().to_vec().into()),
        link_id: OctetString::EMPTY,
    }
}

fn inbound_messages(dir: &std::path::Path) -> Vec<sms_records::InboundMessage> {
    let mut j = sms_journal::Journal::open(dir, sms_journal::JournalOptions::default()).unwrap();
    let now = chrono::Utc::now();
    j.inbound_between(
        now - chrono::Duration::days(2),
        now + chrono::Duration::days(1),
    )
    .unwrap()
}

/// The sender dies after receiving an MO message and before journaling it: the MO was not
/// answered, so the gateway sends it again to the next run. After the restart, the report
/// (committed before the crash) and the MO are in the journal exactly once, even when the
/// gateway sends both yet again.
#[test]
fn a_crash_between_an_mo_receipt_and_its_commit_loses_no_mo() {
    let gw = Gateway::start(Mode::Accept);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let j = journal.to_str().unwrap().to_owned();
    let args = send_args(
        &gw,
        &[
            "--no-policy",
            "--journal",
            &j,
            "--wait-reports",
            "20",
            "--fault-exit-before-inbound-commit",
        ],
    );
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    gw.wait("the submit", |g| {
        !g.handler.accepted.lock().unwrap().is_empty()
    });
    let (msg_id, dest) = gw.handler.accepted.lock().unwrap()[0].clone();
    // Let the submit's journal write land first (the crash under test is the MO's).
    std::thread::sleep(Duration::from_millis(1500));
    gw.handle().deliver(SP, mo("TD")).unwrap();
    let (code, _, err, _) = finish(child, Duration::from_secs(30));
    assert_eq!(code, Some(86), "the fault hook fired: {err}");
    assert!(
        inbound_messages(&journal).is_empty(),
        "died before the commit"
    );
    assert_eq!(
        gw.handle().stats().delivers_acked,
        0,
        "the MO never answered"
    );

    // The next run gets the MO again on login, then the first run's report; the gateway
    // then sends both once more (as it would after a lost DELIVER_RESP).
    let args = send_args(
        &gw,
        &["--no-policy", "--journal", &j, "--wait-reports", "5"],
    );
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    gw.wait("the MO answered", |g| {
        g.handle().stats().delivers_acked >= 1
    });
    gw.handle().deliver(SP, report_for(msg_id, &dest)).unwrap();
    gw.wait("the report answered", |g| {
        g.handle().stats().delivers_acked >= 2
    });
    gw.handle().deliver(SP, report_for(msg_id, &dest)).unwrap();
    gw.handle().deliver(SP, mo("TD")).unwrap();
    gw.wait("the copies answered", |g| {
        g.handle().stats().delivers_acked >= 4
    });
    let (code, _, err, _) = finish(child, Duration::from_secs(30));
    assert_eq!(code, Some(0), "{err}");

    let inbound = inbound_messages(&journal);
    assert_eq!(inbound.len(), 1, "the MO exactly once: {inbound:?}");
    assert_eq!(inbound[0].text.as_deref(), Some("TD"));
    assert_eq!(inbound[0].from, "13800138000");
    assert_eq!(inbound[0].to, "1065");
    let records = journal_records(&journal);
    assert_eq!(records.len(), 2, "MO messages are not outbound records");
    let first = records
        .iter()
        .find(|r| r.msg_id.as_deref() == Some(msg_id.to_digits().as_str()))
        .expect("the first run's record");
    assert_eq!(first.final_state, sms_records::FinalState::Delivered);
    let mut j =
        sms_journal::Journal::open(&journal, sms_journal::JournalOptions::default()).unwrap();
    let events = j.by_local_id(&first.local_id).unwrap().unwrap().events;
    let reports = events
        .iter()
        .filter(|e| matches!(e.kind, sms_records::EventKind::Reported { .. }))
        .count();
    assert_eq!(reports, 1, "the report exactly once: {events:?}");
    // And `cmpp journal inbound` lists it.
    let out = cmpp(&["journal", "inbound", "--journal", journal.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["text"], "TD");
    assert_eq!(lines[0]["from"], "13800138000");
}

/// `cmpp send` settles what an earlier run left open before it starts: a record whose
/// intent was journaled an hour ago and never answered is closed, and one stderr line says so.
#[test]
fn send_reconciles_what_an_earlier_run_left_open_on_start() {
    let gw = Gateway::start(Mode::Accept);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    {
        let mut j =
            sms_journal::Journal::open(&journal, sms_journal::JournalOptions::default()).unwrap();
        j.append_batch(&[sms_records::Event {
            at: an_hour_ago,
            local_id: Some("earlier.1.1".into()),
            kind: sms_records::EventKind::Sending {
                info: sms_records::MessageInfo {
                    src: "121231100".into(),
                    dest: "13800138001".into(),
                    category: sms_records::Category::Notice,
                    segment: 1,
                    segments: 1,
                    group_id: None,
                    carrier: sms_records::Carrier::ChinaMobile,
                },
            },
        }])
        .unwrap();
    }
    let j = journal.to_str().unwrap().to_owned();
    let args = send_args(&gw, &["--no-policy", "--journal", &j]);
    let (code, _, err, _) = finish(
        cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .spawn()
            .unwrap(),
        Duration::from_secs(30),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("journal reconciled: 0 record(s) matched to their reports, 1 closed"),
        "{err}"
    );
    let records = journal_records(&journal);
    let earlier = records
        .iter()
        .find(|r| r.local_id == "earlier.1.1")
        .unwrap();
    assert_eq!(earlier.final_state, sms_records::FinalState::Unknown);
    assert_eq!(earlier.detail.as_deref(), Some("maybe sent, no response"));
    assert_eq!(records.len(), 2, "{records:?}");
}

/// kill -9 with SUBMITs on the wire and no response; their reports come later and are kept
/// as orphans (with their destination and Submit_time). `cmpp journal reconcile` gives each
/// record its report when the match is unique and closes the one whose report never came.
#[test]
fn after_kill_9_reconcile_matches_the_late_reports_to_their_records() {
    use chrono::{Datelike, Timelike};
    let gw = Gateway::start(Mode::Silent);
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let j = journal.to_str().unwrap().to_owned();
    let dests = ["13800000001", "13800000002", "13800000003"];
    let mut args = send_args(&gw, &["--no-policy", "--journal", &j]);
    // Three destinations instead of the default one.
    let to = args.iter().position(|a| a == "--to").unwrap();
    args.splice(
        to..to + 2,
        dests
            .iter()
            .flat_map(|d| ["--to".to_string(), d.to_string()]),
    );
    let child = cmpp(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .spawn()
        .unwrap();
    gw.wait("3 submits", |g| {
        g.handler.ignored.lock().unwrap().len() == 3
    });
    signal(&child, "-KILL");
    let (code, _, _, _) = finish(child, Duration::from_secs(10));
    assert_eq!(code, None, "killed by the signal");
    let before = journal_records(&journal);
    assert_eq!(
        before.len(),
        3,
        "every SUBMIT on the wire has its record: {before:?}"
    );

    // The gateway's reports for the first two, as the next run would journal them: no
    // response is known, so they are orphans.
    let now = chrono::Utc::now();
    let bj = sms_records::to_beijing(now);
    let reports: Vec<sms_records::Event> = dests[..2]
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let id = MsgId::from_parts(
                bj.month() as u8,
                bj.day() as u8,
                bj.hour() as u8,
                bj.minute() as u8,
                bj.second() as u8,
                9,
                i as u16,
            )
            .unwrap();
            sms_records::Event {
                at: now + chrono::Duration::seconds(5),
                local_id: None,
                kind: sms_records::EventKind::Reported {
                    msg_id: id.to_digits(),
                    stat: "DELIVRD".into(),
                    class: None,
                    origin: Some(sms_records::ReportOrigin {
                        dest: (*d).into(),
                        src: None,
                        submitted_at: Some(now.with_second(0).unwrap().with_nanosecond(0).unwrap()),
                    }),
                },
            }
        })
        .collect();
    sms_journal::Journal::open(&journal, sms_journal::JournalOptions::default())
        .unwrap()
        .append_batch(&reports)
        .unwrap();

    let out = cmpp(&[
        "journal",
        "reconcile",
        "--journal",
        &j,
        "--grace-secs",
        "0",
        "--now",
        &(now + chrono::Duration::seconds(10)).to_rfc3339(),
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["matched"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["closed"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["closed"][0]["dest"], dests[2]);
    let after = journal_records(&journal);
    for r in &after {
        let want = if r.dest == dests[2] {
            sms_records::FinalState::Unknown
        } else {
            sms_records::FinalState::Delivered
        };
        assert_eq!(r.final_state, want, "{r:?}");
    }
}
