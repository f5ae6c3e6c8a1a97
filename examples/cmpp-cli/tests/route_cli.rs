//! `cmpp send --route` against three `cmpp serve` processes (CMPP for China Mobile, SGIP for
//! China Unicom, SMGP for China Telecom): each destination goes to its carrier's gateway,
//! from its carrier's calling number, into one journal; a run that cannot reach every
//! configured carrier sends nothing; what `--route` cannot honour is refused.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sms_records::{Carrier, FinalState, Record};

const MOBILE: &str = "13800138000";
const UNICOM: &str = "13012345678";
const TELECOM: &str = "13312345678";

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
        let serve = Serve(Some(child));
        // The process needs a moment to bind.
        let start = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "serve never bound"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        serve
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
        let (code, _, err) = finish(&mut child);
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

/// Waits for the child (60 s at most); exit code, stdout, stderr.
fn finish(child: &mut Child) -> (Option<i32>, String, String) {
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
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the process did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    finish(&mut cmd.spawn().unwrap())
}

fn journal_records(dir: &Path) -> Vec<Record> {
    let j = sms_journal::Journal::open(dir, sms_journal::JournalOptions::default()).unwrap();
    j.export(None, None).unwrap().map(Result::unwrap).collect()
}

/// The three gateways' addresses in a config: China Mobile's `[gateway]`, China Unicom's
/// and China Telecom's tables (each with its own account, password variable and calling
/// number); `telecom_table` replaces the Telecom table when given.
fn config(
    dir: &Path,
    mobile: SocketAddr,
    unicom: SocketAddr,
    sp_listener: SocketAddr,
    telecom_table: &str,
) -> std::path::PathBuf {
    let path = dir.join("cmpp.toml");
    std::fs::write(
        &path,
        format!(
            "[gateway]\naddress = \"{mobile}\"\nsp_id = \"900001\"\nsrc_id = \"121231100\"\n\
             [carriers.unicom]\naddress = \"{unicom}\"\naccount = \"sp901\"\n\
             secret_env = \"UNICOM_PW\"\nlisten = \"{sp_listener}\"\ncorp_id = \"90001\"\n\
             src_id = \"10655121231\"\n\
             {telecom_table}"
        ),
    )
    .unwrap();
    path
}

fn telecom_table(addr: &str) -> String {
    format!(
        "[carriers.telecom]\naddress = \"{addr}\"\naccount = \"90000001\"\n\
         secret_env = \"TELECOM_PW\"\nsrc_id = \"1065901\"\n"
    )
}

/// `cmpp send --route` with the three carriers' passwords in their variables.
fn route_send(config: &Path, journal: &Path) -> Command {
    let mut c = cmpp(&["send", "--route", "--config"]);
    c.arg(config)
        .env("CMPP_SECRET", "mobile-pw")
        .env("UNICOM_PW", "unicom-pw")
        .env("TELECOM_PW", "telecom-pw")
        .arg("--journal")
        .arg(journal);
    c
}

fn mobile_serve(addr: SocketAddr) -> Serve {
    Serve::start(&["--account", "900001:mobile-pw"], addr)
}

fn unicom_serve(addr: SocketAddr, sp_listener: SocketAddr) -> Serve {
    Serve::start(
        &[
            "--protocol",
            "sgip",
            "--account",
            "sp901:unicom-pw",
            "--deliver-to",
            &sp_listener.to_string(),
        ],
        addr,
    )
}

#[test]
fn route_sends_each_number_through_its_carriers_gateway() {
    let (mobile, unicom, telecom, sp) = (free_addr(), free_addr(), free_addr(), free_addr());
    let mobile_gw = mobile_serve(mobile);
    let unicom_gw = unicom_serve(unicom, sp);
    // Each gateway knows only its own account: a password sent to the wrong carrier fails.
    let telecom_gw = Serve::start(
        &["--protocol", "smgp", "--account", "90000001:telecom-pw"],
        telecom,
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        mobile,
        unicom,
        sp,
        &telecom_table(&telecom.to_string()),
    );
    let journal = dir.path().join("journal");
    let (code, out, err) = run(route_send(&config, &journal)
        .args(["--to", MOBILE, UNICOM, TELECOM])
        .args(["--text", "您的验证码是123456", "--wait-reports", "20"]));
    assert_eq!(code, Some(0), "{out}\n{err}");

    let summary: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    assert_eq!(summary["records"], 3, "{summary}");
    assert_eq!(summary["accepted"], 3, "{summary}");
    assert_eq!(summary["refused"], 0, "{summary}");
    assert_eq!(summary["reports_outstanding"], 0, "{summary}");
    for carrier in ["mobile", "unicom", "telecom"] {
        let c = &summary["carriers"][carrier];
        assert_eq!(c["records"], 1, "{carrier}: {summary}");
        assert_eq!(c["accepted"], 1, "{carrier}: {summary}");
        assert_eq!(c["stats"]["own_reports"], 1, "{carrier}: {summary}");
    }

    // One journal; every record delivered, under its carrier, from its carrier's calling
    // number.
    let records = journal_records(&journal);
    assert_eq!(records.len(), 3, "{records:#?}");
    for (dest, carrier, src) in [
        (MOBILE, Carrier::ChinaMobile, "121231100"),
        (UNICOM, Carrier::ChinaUnicom, "10655121231"),
        (TELECOM, Carrier::ChinaTelecom, "1065901"),
    ] {
        let r = records.iter().find(|r| r.dest == dest).expect(dest);
        assert_eq!(r.carrier, carrier, "{r:?}");
        assert_eq!(r.src, src, "{r:?}");
        assert_eq!(r.final_state, FinalState::Delivered, "{r:?}");
        assert!(r.msg_id.is_some() && r.reported_at.is_some(), "{r:?}");
    }
    let mut ids: Vec<&str> = records.iter().map(|r| r.local_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        3,
        "local ids unique across carriers: {records:#?}"
    );

    // Each gateway got exactly its own carrier's one submit.
    for (name, gw) in [
        ("mobile", mobile_gw),
        ("unicom", unicom_gw),
        ("telecom", telecom_gw),
    ] {
        let (code, err) = gw.stop();
        assert_eq!(code, Some(0), "{name}: {err}");
        assert!(
            err.contains("stopped after 1 submits, 1 reports sent"),
            "{name}: {err}"
        );
    }
}

#[test]
fn an_unreachable_carrier_ends_the_run_before_anything_is_sent() {
    let (mobile, unicom, sp) = (free_addr(), free_addr(), free_addr());
    let mobile_gw = mobile_serve(mobile);
    let unicom_gw = unicom_serve(unicom, sp);
    let dead = free_addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), mobile, unicom, sp, &telecom_table(&dead));
    let journal = dir.path().join("journal");
    let (code, out, err) = run(route_send(&config, &journal)
        .args(["--to", MOBILE, UNICOM, TELECOM])
        .args(["--text", "hi"]));
    assert_eq!(code, Some(4), "{out}\n{err}");
    assert!(
        err.contains("China Telecom (SMGP): gateway") && err.contains("unreachable"),
        "{err}"
    );
    assert!(journal_records(&journal).is_empty(), "nothing was sent");
    for gw in [mobile_gw, unicom_gw] {
        let (code, err) = gw.stop();
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("stopped after 0 submits"), "{err}");
    }
}

#[test]
fn route_refuses_what_it_cannot_honour() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--to", MOBILE, "--text", "hi"];
    // One gateway's protocol and every carrier's routing do not mix (clap: exit 2).
    let (code, _, err) = run(cmpp(&["send", "--route", "--protocol", "sgip"]).args(args));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");

    // A configured carrier without its gateway's address: a config error naming the table.
    let (mobile, unicom, sp) = (free_addr(), free_addr(), free_addr());
    let no_address = "[carriers.telecom]\naccount = \"90000001\"\nsrc_id = \"1065901\"\n";
    let path = config(dir.path(), mobile, unicom, sp, no_address);
    let (code, out, err) = run(route_send(&path, &dir.path().join("j")).args(args));
    assert_eq!(code, Some(7), "{out}\n{err}");
    assert!(err.contains("[carriers.telecom] has no address"), "{err}");

    // A carrier whose password variable is unset: China Mobile's secret is never used.
    let path = config(
        dir.path(),
        mobile,
        unicom,
        sp,
        &telecom_table("127.0.0.1:1"),
    );
    let (code, out, err) = run(route_send(&path, &dir.path().join("j"))
        .env_remove("TELECOM_PW")
        .args(args));
    assert_eq!(code, Some(3), "{out}\n{err}");
    assert!(err.contains("no password for China Telecom"), "{err}");
    assert!(
        !err.contains("mobile-pw"),
        "the secret is never echoed: {err}"
    );

    // A rate limit whose counts live in a state file: each carrier's sender would save its
    // own counts over the others'.
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[rate]\nstate_file = \"rate.json\"\n\
         [[rate.limit]]\ncategory = \"verification\"\nmax = 5\nwindow = \"1h\"\n",
    )
    .unwrap();
    let (code, out, err) = run(route_send(&path, &dir.path().join("j"))
        .arg("--policy")
        .arg(&policy)
        .args(args));
    assert_eq!(code, Some(7), "{out}\n{err}");
    assert!(
        err.contains("cannot keep the rate limit's state file"),
        "{err}"
    );
}

/// A one-connection TCP proxy to `target`: says when the gateway has answered the client
/// (the login is through), and cuts the link and stops listening when told to, as a gateway
/// that goes away would.
fn proxy(target: SocketAddr) -> (SocketAddr, std::sync::mpsc::Receiver<()>, impl FnOnce()) {
    use std::io::Write;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (answered_tx, answered) = std::sync::mpsc::channel();
    let (cut_tx, cut_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        // Listening stops with the first connection: a reconnect finds nobody.
        drop(listener);
        let server = TcpStream::connect(target).unwrap();
        let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut c_in, &mut s_out);
        });
        let (mut s_in, mut c_out) = (server.try_clone().unwrap(), client.try_clone().unwrap());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut told = false;
            while let Ok(n) = s_in.read(&mut buf) {
                if n == 0 || c_out.write_all(&buf[..n]).is_err() {
                    break;
                }
                if !told {
                    told = true;
                    let _ = answered_tx.send(());
                }
            }
        });
        let _ = cut_rx.recv();
        let _ = client.shutdown(std::net::Shutdown::Both);
        let _ = server.shutdown(std::net::Shutdown::Both);
    });
    (addr, answered, move || {
        let _ = cut_tx.send(());
    })
}

#[test]
fn a_carrier_gone_during_the_run_stops_it_naming_the_carrier() {
    let (mobile, unicom, telecom, sp) = (free_addr(), free_addr(), free_addr(), free_addr());
    let _mobile_gw = mobile_serve(mobile);
    let _unicom_gw = unicom_serve(unicom, sp);
    let _telecom_gw = Serve::start(
        &["--protocol", "smgp", "--account", "90000001:telecom-pw"],
        telecom,
    );
    let (via, answered, cut) = proxy(telecom);
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        mobile,
        unicom,
        sp,
        &telecom_table(&via.to_string()),
    );
    let journal = dir.path().join("journal");
    // China Mobile's messages, slowed by the rate limit so that the run is still sending
    // when China Telecom's gateway goes away (it has no message of its own in this run).
    let child = route_send(&config, &journal)
        .args(["--to", MOBILE, "--text", "hi", "--count", "100000"])
        .args(["--rate", "50", "--give-up-after", "1", "--drain", "1"])
        .spawn()
        .unwrap();
    let mut child = Guard(child);
    answered
        .recv_timeout(Duration::from_secs(30))
        .expect("China Telecom's login answered");
    cut();
    let (code, out, err) = finish(&mut child.0);
    assert_eq!(code, Some(8), "{out}\n{err}");
    let why = "China Telecom's gateway unreachable for 1 s; gave up";
    assert!(err.contains(why), "{err}");
    let summary: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    assert_eq!(summary["stopped"], why, "{summary}");
    assert!(summary["not_taken"].as_u64().unwrap() > 0, "{summary}");
    // Every message taken is journaled, under China Mobile, with an outcome.
    let records = journal_records(&journal);
    assert_eq!(
        records.len() as u64,
        summary["records"].as_u64().unwrap(),
        "{summary}"
    );
    assert!(records.iter().all(|r| r.carrier == Carrier::ChinaMobile));
}

/// Kills the child if the test fails before it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
