//! Loopback benchmark: an SP client against the simulator on 127.0.0.1, for CMPP (default,
//! `cmpp-session`), SGIP (`sgip-session`) or SMGP (`smgp-session`).
//!
//! ```text
//! cargo run --release -p cmpp-sim --example loopback_bench [-- MESSAGES]
//!     [--protocol cmpp|sgip|smgp] [--window W] [--conns C] [--profile SIM.toml]
//! ```
//!
//! Sends MESSAGES submits (default 200,000), one recipient each, with W × C callers at
//! window W over C links; without `--window`/`--conns` it runs window 16/64 × 1/4
//! connections in turn. The simulator accepts every submit and reports it 0–5 ms later
//! (`--profile` gives it another behaviour: refusals, faults, delays).
//! Prints per run: messages/s acknowledged (submit response), messages/s with every status
//! report back, p50/p99 submit → response latency, peak RSS.
//!
//! It also checks that nothing was lost or doubled: every submit got exactly one outcome and
//! was accepted, no message id was given twice, and every accepted message got exactly one
//! status report naming it. Any miss is printed and the exit status is 1.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cmpp_sim::profile::DelayPoint;
use cmpp_sim::SimProfile;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long the report collector waits for the next event before giving up.
const REPORT_IDLE: Duration = Duration::from_secs(20);

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The simulator's behaviour for every protocol unless `--profile` names another: accept
/// all, report right away (so "with reports" measures throughput, not the simulated delay).
fn default_profile() -> SimProfile {
    let mut profile = SimProfile::default();
    profile.report.delay = vec![DelayPoint { q: 0.0, ms: 0 }, DelayPoint { q: 1.0, ms: 5 }];
    profile
}

/// What one submit came to. `K` is what the protocol's status reports name the message by.
enum Outcome<K> {
    /// Accepted; its reports carry this key.
    Accepted(K),
    /// Answered with a refusal (the text says which code).
    Refused(String),
    /// No answer (the text is the error).
    Failed(String),
}

/// One run's shape.
#[derive(Clone, Copy)]
struct Shape<'a> {
    n: usize,
    window: usize,
    conns: usize,
    profile: &'a SimProfile,
}

impl Shape<'_> {
    /// Callers submitting concurrently: enough to keep every window full.
    fn workers(&self) -> usize {
        (self.window * self.conns).max(1)
    }
}

/// Submits `0..n` from `shape.workers()` tasks, each waiting for its answer before the next;
/// returns the latencies and the outcomes indexed by submit number.
async fn drive<K, F, Fut>(shape: Shape<'_>, submit: F) -> (Vec<Duration>, Vec<Option<Outcome<K>>>)
where
    K: Send + 'static,
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Outcome<K>> + Send,
{
    let Shape { n, .. } = shape;
    let workers = shape.workers();
    let mut tasks = Vec::with_capacity(workers);
    for w in 0..workers {
        let submit = submit.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::with_capacity(n / workers + 1);
            for i in (w..n).step_by(workers) {
                let t = Instant::now();
                let outcome = submit(i).await;
                done.push((i, t.elapsed(), outcome));
            }
            done
        }));
    }
    let mut lat = Vec::with_capacity(n);
    let mut outcomes: Vec<Option<Outcome<K>>> = (0..n).map(|_| None).collect();
    for t in tasks {
        // A panicking worker leaves its submits without an outcome; the check reports them.
        let Ok(done) = t.await else { continue };
        for (i, l, o) in done {
            lat.push(l);
            outcomes[i] = Some(o);
        }
    }
    (lat, outcomes)
}

/// A client's event stream, as the report collector reads it.
trait EventSource: Send + 'static {
    type Event: Send;
    /// The next event; `None` when the stream ended.
    fn next_event(&mut self) -> impl Future<Output = Option<Self::Event>> + Send;
}

impl EventSource for cmpp_session::ClientEvents {
    type Event = cmpp_session::ClientEvent;
    fn next_event(&mut self) -> impl Future<Output = Option<Self::Event>> + Send {
        self.recv()
    }
}

impl EventSource for tokio::sync::mpsc::Receiver<sgip_session::ClientEvent> {
    type Event = sgip_session::ClientEvent;
    fn next_event(&mut self) -> impl Future<Output = Option<Self::Event>> + Send {
        self.recv()
    }
}

impl EventSource for sms_session::link::Events<smgp_session::ClientEvent> {
    type Event = smgp_session::ClientEvent;
    fn next_event(&mut self) -> impl Future<Output = Option<Self::Event>> + Send {
        self.recv()
    }
}

/// The status reports a run received: how often each key was named, and when the last
/// arrived.
struct Reports<K> {
    seen: HashMap<K, u32>,
    total: usize,
    last: Option<Instant>,
}

/// Reads `events` until as many reports arrived as `want` (sent once the submits are done:
/// the accepted count) or nothing came for [`REPORT_IDLE`]. `report` answers an event and
/// returns the key of a status report.
fn collect_reports<S, K>(
    mut events: S,
    mut report: impl FnMut(S::Event) -> Option<K> + Send + 'static,
    mut want: oneshot::Receiver<usize>,
    capacity: usize,
) -> JoinHandle<Reports<K>>
where
    S: EventSource,
    K: Hash + Eq + Send + 'static,
{
    tokio::spawn(async move {
        let mut r = Reports {
            seen: HashMap::with_capacity(capacity),
            total: 0,
            last: None,
        };
        let mut wanted = None;
        loop {
            if wanted.is_some_and(|w| r.total >= w) {
                break;
            }
            tokio::select! {
                w = &mut want, if wanted.is_none() => match w {
                    Ok(w) => wanted = Some(w),
                    Err(_) => break,
                },
                e = tokio::time::timeout(REPORT_IDLE, events.next_event()) => match e {
                    Ok(Some(e)) => {
                        if let Some(key) = report(e) {
                            *r.seen.entry(key).or_default() += 1;
                            r.total += 1;
                            r.last = Some(Instant::now());
                        }
                    }
                    Ok(None) | Err(_) => break,
                },
            }
        }
        r
    })
}

/// Prints the run's figures and every problem found; true when there was none.
fn finish<K: Hash + Eq + std::fmt::Display>(
    protocol: &str,
    shape: Shape<'_>,
    start: Instant,
    acked_at: Instant,
    mut lat: Vec<Duration>,
    outcomes: Vec<Option<Outcome<K>>>,
    reports: Option<Reports<K>>,
) -> bool {
    let Shape {
        n, window, conns, ..
    } = shape;
    let mut problems = Vec::new();
    let (mut missing, mut refused, mut failed) = (0usize, 0usize, 0usize);
    let mut accepted: HashMap<K, usize> = HashMap::with_capacity(n);
    for (i, o) in outcomes.into_iter().enumerate() {
        match o {
            None => missing += 1,
            Some(Outcome::Accepted(k)) => {
                if let Some(first) = accepted.insert(k, i) {
                    problems.push(format!("submits {first} and {i} were given the same id"));
                }
            }
            Some(Outcome::Refused(why)) => {
                if refused == 0 {
                    problems.push(format!("submit {i} refused: {why}"));
                }
                refused += 1;
            }
            Some(Outcome::Failed(why)) => {
                if failed == 0 {
                    problems.push(format!("submit {i} failed: {why}"));
                }
                failed += 1;
            }
        }
    }
    if missing + refused + failed > 0 {
        problems.push(format!(
            "{} accepted, {refused} refused, {failed} failed, {missing} without an outcome (of {n})",
            accepted.len()
        ));
    }
    let reported = match &reports {
        Some(r) => {
            let unknown = r.seen.keys().filter(|k| !accepted.contains_key(*k)).count();
            let twice = r.seen.values().filter(|&&c| c > 1).count();
            let without = accepted.keys().filter(|k| !r.seen.contains_key(*k)).count();
            if unknown + twice + without > 0 {
                problems.push(format!(
                    "reports: {without} accepted messages without one, {twice} reported more than once, {unknown} for unknown ids"
                ));
            }
            // A run whose reports did not all arrive has no "with reports" figure.
            r.last.filter(|_| without == 0).map(|t| t - start)
        }
        None => {
            problems.push("the report collector stopped".to_string());
            None
        }
    };
    lat.sort();
    let p = |q: f64| {
        lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let acked = acked_at - start;
    println!(
        "{protocol} window {window:>2} conns {conns}: {n} msgs, acked {:>8.0}/s, with reports {}, p50 {:?} p99 {:?}, peak RSS {} MB",
        n as f64 / acked.as_secs_f64(),
        reported.map_or("timeout".to_string(), |d| format!("{:>8.0}/s", n as f64 / d.as_secs_f64())),
        p(0.5),
        p(0.99),
        peak_rss_kb() / 1024
    );
    for p in &problems {
        eprintln!("  FAILED: {p}");
    }
    problems.is_empty()
}

async fn cmpp(shape: Shape<'_>) -> bool {
    use cmpp_codec::{MsgFmt, Version};
    use cmpp_session::{
        Account, Client, ClientConfig, ClientEvent, InMemoryAccounts, ServerConfig, SubmitRequest,
    };
    let Shape {
        n, window, conns, ..
    } = shape;
    let accounts = InMemoryAccounts::new();
    let mut a = Account::new("900001", b"888888".to_vec());
    a.window = window;
    a.max_connections = conns;
    accounts.insert(a);
    let config = {
        let mut v = ServerConfig::default();
        v.version = Version::V30;
        v.deliver_window = 64;
        v.deliver_queue_capacity = n + 1;
        v
    };
    let run = cmpp_sim::Running::bind(
        "127.0.0.1:0".parse().expect("address"),
        config,
        Arc::new(accounts),
        shape.profile,
    )
    .await
    .expect("bind");
    let cfg = ClientConfig::builder(run.local_addr(), "900001", b"888888".to_vec())
        .window(window)
        .connections(conns)
        .lifecycle_events(false)
        .event_capacity(65_536)
        // Answering on receipt keeps the collector a counter.
        .auto_ack(true)
        .build();
    let client = Arc::new(Client::connect(cfg).await.expect("login"));
    let (want, wanted) = oneshot::channel();
    let collector = collect_reports(
        client.events().expect("events"),
        |e| match e {
            // Answered on receipt (auto_ack).
            ClientEvent::Report { msg_id, .. } => Some(msg_id),
            _ => None,
        },
        wanted,
        n,
    );
    let start = Instant::now();
    let c = client.clone();
    let (lat, outcomes) = drive(shape, move |i| {
        let client = c.clone();
        async move {
            let req = SubmitRequest::message(
                i.to_string(),
                &["13800138000"],
                &b"bench"[..],
                MsgFmt::Ascii,
            )
            .expect("request")
            .registered_delivery(1);
            match client.submit(req).await {
                Ok(o) if o.result.is_ok() => Outcome::Accepted(o.msg_id),
                Ok(o) => Outcome::Refused(format!("result {:?}", o.result)),
                Err(e) => Outcome::Failed(e.to_string()),
            }
        }
    })
    .await;
    let acked_at = Instant::now();
    let accepted = outcomes
        .iter()
        .filter(|o| matches!(o, Some(Outcome::Accepted(_))))
        .count();
    let _ = want.send(accepted);
    let reports = collector.await.ok();
    let ok = finish("cmpp", shape, start, acked_at, lat, outcomes, reports);
    client.close(Duration::from_secs(2)).await;
    run.shutdown().await;
    ok
}

async fn sgip(shape: Shape<'_>) -> bool {
    use sgip_codec::{Submit, Text};
    use sgip_session::{Accounts, Client, ClientConfig, ClientEvent, Credentials, ServerConfig};
    let Shape {
        n, window, conns, ..
    } = shape;
    // The SP's listener, which the simulator binds to for reports (a free port, taken now).
    let sp_listen: SocketAddr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let mut config = ServerConfig::new(Accounts::new().with("sp1", "pw1"))
        .with_push(sp_listen, Credentials::new("sp1", "pw1"));
    // As CMPP's deliver window above.
    config.window = 64;
    let run = cmpp_sim::sgip::Running::bind(
        "127.0.0.1:0".parse().expect("address"),
        config,
        shape.profile,
    )
    .await
    .expect("bind");
    let mut cfg = ClientConfig::new(run.local_addr(), "sp1", "pw1", sp_listen)
        .with_node_id(3_010_012_345)
        .with_window(window)
        .with_connections(conns);
    cfg.event_capacity = 65_536;
    cfg.report_index_capacity = n.max(1);
    let client = Arc::new(Client::connect(cfg).await.expect("bind"));
    let (want, wanted) = oneshot::channel();
    let collector = collect_reports(
        client.events().expect("events"),
        |e| {
            e.ack().accept();
            match e {
                ClientEvent::Report { report, .. } => Some(report.submit_sequence),
                _ => None,
            }
        },
        wanted,
        n,
    );
    let template = Submit {
        sp_number: Text::try_from("10690090").expect("SP number"),
        user_numbers: vec![Text::try_from("8613012345678").expect("user number")],
        corp_id: Text::try_from("12345").expect("corp id"),
        message_content: Bytes::from_static(b"bench"),
        report_flag: 1,
        ..Submit::default()
    };
    let start = Instant::now();
    let c = client.clone();
    let (lat, outcomes) = drive(shape, move |i| {
        let client = c.clone();
        let submit = template.clone();
        async move {
            match client.submit(&i.to_string(), submit).await {
                Ok(o) if o.result.is_ok() => Outcome::Accepted(o.sequence),
                Ok(o) => Outcome::Refused(format!("result {}", o.result.0)),
                Err(e) => Outcome::Failed(e.to_string()),
            }
        }
    })
    .await;
    let acked_at = Instant::now();
    let accepted = outcomes
        .iter()
        .filter(|o| matches!(o, Some(Outcome::Accepted(_))))
        .count();
    let _ = want.send(accepted);
    let reports = collector.await.ok();
    let ok = finish("sgip", shape, start, acked_at, lat, outcomes, reports);
    client.close(Duration::from_secs(2)).await;
    run.shutdown().await;
    ok
}

async fn smgp(shape: Shape<'_>) -> bool {
    use smgp_codec::{Submit, Text};
    use smgp_session::{Account, Accounts, Client, ClientConfig, ClientEvent, ServerConfig};
    use sms_session::link::PoolConfig;
    use sms_session::SessionConfig;
    let Shape {
        n, window, conns, ..
    } = shape;
    let accounts: Accounts = [Account::new("10690001", "secret")].into_iter().collect();
    let config = ServerConfig::default()
        // As CMPP's deliver window and queue above.
        .with_session(SessionConfig::default().with_window(64))
        .with_outbox_capacity(n + 1);
    let run = cmpp_sim::smgp::Running::bind(
        "127.0.0.1:0".parse().expect("address"),
        config,
        accounts,
        shape.profile,
    )
    .await
    .expect("bind");
    let cfg = ClientConfig::new(run.local_addr(), "10690001", "secret")
        .with_session(SessionConfig::default().with_window(window))
        .with_pool(
            PoolConfig::default()
                .with_connections(conns)
                .with_queue(window)
                .with_event_capacity(65_536),
        );
    let client = Arc::new(Client::connect(cfg).await.expect("login"));
    let (want, wanted) = oneshot::channel();
    let collector = collect_reports(
        client.events().expect("events"),
        |e| match e {
            ClientEvent::Report { report, ack, .. } => {
                ack.accept();
                Some(report.id)
            }
            ClientEvent::UnreadableReport { ack, .. } | ClientEvent::Message { ack, .. } => {
                ack.accept();
                None
            }
            _ => None,
        },
        wanted,
        n,
    );
    let template = Submit {
        need_report: 1,
        src_term_id: Text::new(b"10690001").expect("source"),
        dest_term_ids: vec![Text::new(b"17600000000").expect("recipient")],
        msg_content: Bytes::from_static(b"bench"),
        ..Submit::default()
    };
    let start = Instant::now();
    let c = client.clone();
    let (lat, outcomes) = drive(shape, move |i| {
        let client = c.clone();
        let submit = template.clone();
        async move {
            match client.submit(i.to_string(), submit).await {
                Ok(o) if o.status.is_ok() => Outcome::Accepted(o.msg_id),
                Ok(o) => Outcome::Refused(format!("status {}", o.status)),
                Err(e) => Outcome::Failed(e.to_string()),
            }
        }
    })
    .await;
    let acked_at = Instant::now();
    let accepted = outcomes
        .iter()
        .filter(|o| matches!(o, Some(Outcome::Accepted(_))))
        .count();
    let _ = want.send(accepted);
    let reports = collector.await.ok();
    let ok = finish("smgp", shape, start, acked_at, lat, outcomes, reports);
    client.close(Duration::from_secs(2)).await;
    run.shutdown().await;
    ok
}

/// Command line: `[MESSAGES] [--protocol P] [--window W] [--conns C] [--profile FILE]`.
struct Args {
    n: usize,
    protocol: String,
    shapes: Vec<(usize, usize)>,
    profile: SimProfile,
}

fn parse_args() -> Result<Args, String> {
    let mut n = 200_000;
    let mut protocol = "cmpp".to_string();
    let (mut window, mut conns) = (None, None);
    let mut profile = default_profile();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<usize>()
                .ok()
                .filter(|&x| x > 0)
                .ok_or(format!("{name}: '{v}' is not a positive number"))
        };
        match a.as_str() {
            "--protocol" => protocol = value("--protocol")?,
            "--window" => window = Some(number("--window", value("--window")?)?),
            "--conns" => conns = Some(number("--conns", value("--conns")?)?),
            "--profile" => {
                let path = value("--profile")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                profile = SimProfile::from_toml(&text).map_err(|e| format!("{path}: {e}"))?;
            }
            _ if !a.starts_with('-') => n = number("MESSAGES", a)?,
            _ => return Err(format!("unknown option {a}")),
        }
    }
    if !matches!(protocol.as_str(), "cmpp" | "sgip" | "smgp") {
        return Err(format!(
            "--protocol: '{protocol}' is not cmpp, sgip or smgp"
        ));
    }
    let shapes = if window.is_none() && conns.is_none() {
        vec![(16, 1), (64, 1), (16, 4), (64, 4)]
    } else {
        vec![(window.unwrap_or(16), conns.unwrap_or(1))]
    };
    Ok(Args {
        n,
        protocol,
        shapes,
        profile,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loopback_bench: {e}\nusage: loopback_bench [MESSAGES] [--protocol cmpp|sgip|smgp] [--window W] [--conns C] [--profile FILE]");
            return ExitCode::from(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ok = rt.block_on(async {
        let mut ok = true;
        for &(window, conns) in &args.shapes {
            let shape = Shape {
                n: args.n,
                window,
                conns,
                profile: &args.profile,
            };
            ok &= match args.protocol.as_str() {
                "sgip" => sgip(shape).await,
                "smgp" => smgp(shape).await,
                _ => cmpp(shape).await,
            };
        }
        ok
    });
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
