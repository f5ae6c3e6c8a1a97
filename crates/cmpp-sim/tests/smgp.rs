//! The SMGP client of smgp-session against the SMGP simulator over loopback: submits,
//! status reports matched to their submit, MO messages, and nothing lost across dropped
//! links.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cmpp_sim::profile::{Late, ResultWeight, StatWeight};
use cmpp_sim::smgp::Running;
use cmpp_sim::SimProfile;
use smgp_codec::{MsgId, Status, Submit, Text};
use smgp_session::{Account, Accounts, Client, ClientConfig, ClientEvent, ServerConfig};
use sms_session::link::{Events, PoolConfig};
use sms_session::{Backoff, SessionConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const SP: &str = "10690001";

fn session() -> SessionConfig {
    SessionConfig::default()
        .with_response_timeout(Duration::from_secs(5))
        .with_max_tries(3)
        .with_heartbeat(Duration::from_secs(60))
        .with_flow_control(10, Duration::from_millis(100), Duration::from_secs(1))
}

async fn simulator(profile: &SimProfile) -> Running {
    let accounts: Accounts = [Account::new(SP, "secret")].into_iter().collect();
    Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default()
            .with_session(session())
            .with_drain(Duration::from_millis(500)),
        accounts,
        profile,
    )
    .await
    .unwrap()
}

async fn client(addr: SocketAddr) -> (Client, Events<ClientEvent>) {
    let config = ClientConfig::new(addr, SP, "secret")
        .with_session(session())
        .with_pool(PoolConfig::default().with_reconnect(Some(Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(500),
            jitter: 0.0,
            max_attempts: None,
        })));
    let client = Client::connect(config).await.unwrap();
    let events = client.events().unwrap();
    (client, events)
}

fn submit(dests: usize, i: usize) -> Submit {
    Submit {
        need_report: 1,
        src_term_id: Text::new(b"1069000").unwrap(),
        dest_term_ids: (0..dests)
            .map(|k| Text::new(format!("1760000{i:02}{k:02}").as_bytes()).unwrap())
            .collect(),
        msg_content: Bytes::from(format!("code {i}")),
        ..Submit::default()
    }
}

async fn next(events: &mut Events<ClientEvent>) -> ClientEvent {
    tokio::time::timeout(Duration::from_secs(120), events.recv())
        .await
        .expect("an event in time")
        .expect("the stream is open")
}

#[tokio::test(start_paused = true)]
async fn client_and_simulator_exchange_submits_reports_and_mo() {
    let mut p = SimProfile::default();
    p.mo.interval_ms = 300;
    p.submit.results = vec![
        ResultWeight {
            code: 0,
            weight: 3.0,
        },
        ResultWeight {
            code: 13,
            weight: 1.0,
        },
    ];
    p.report.stats = vec![
        StatWeight {
            stat: "DELIVRD".into(),
            weight: 3.0,
        },
        StatWeight {
            stat: "EXPIRED".into(),
            weight: 1.0,
        },
    ];
    let run = simulator(&p).await;
    let handle = run.handle();
    let (client, mut events) = client(run.local_addr()).await;

    // Local id and recipient of every report expected.
    let mut expected: HashSet<(String, u32)> = HashSet::new();
    let mut ids = HashSet::new();
    let mut refused = 0;
    for i in 0..15 {
        let n = if i % 5 == 0 { 3 } else { 1 };
        let local = format!("m{i}");
        let out = client.submit(local.clone(), submit(n, i)).await.unwrap();
        match out.status {
            Status::OK => {
                assert!(out.msg_id.is_bcd(), "SMGP ids are BCD");
                assert!(ids.insert(out.msg_id), "MsgIDs are unique");
                expected.extend((0..n as u32).map(|k| (local.clone(), k)));
            }
            // CMPP Result 13 (Dest_terminal_Id error) is SMGP Status 47.
            Status(47) => {
                assert_eq!(out.msg_id, MsgId::default());
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(refused > 0 && !expected.is_empty(), "the mix gives both");
    let total = expected.len();
    let (mut mo, mut expired) = (0, 0);
    while !expected.is_empty() || mo < 2 {
        match next(&mut events).await {
            ClientEvent::Report {
                report,
                local_id,
                recipient,
                ack,
                ..
            } => {
                let local = local_id.expect("matched to its submit").to_string();
                assert!(
                    expected.remove(&(local.clone(), recipient)),
                    "one report per recipient of an accepted submit: {local}/{recipient}"
                );
                match report.stat.0.as_bytes() {
                    b"DELIVRD" => assert_eq!(report.err.as_bytes(), b"000"),
                    b"EXPIRED" => {
                        assert_eq!(report.err.as_bytes(), b"001");
                        assert_eq!(report.cause_class(), smgp_codec::CauseClass::User);
                        expired += 1;
                    }
                    other => panic!("stat {other:?}"),
                }
                ack.accept();
            }
            ClientEvent::Message { deliver, ack, .. } => {
                assert!(
                    matches!(deliver.text(), smgp_codec::coding::Decoded::Text(t) if t == "TD")
                );
                mo += 1;
                ack.accept();
            }
            _ => {}
        }
    }
    assert!(expired > 0);
    let s = run.stats();
    assert_eq!(s.submits, 15);
    assert_eq!(s.by_result.get(&13).copied().unwrap_or(0), refused);
    assert_eq!(s.reports_delivered(), total as u64);
    assert!(s.mo_sent >= 2);
    // Every push answered once the client accepted it.
    let pushed = total as u64 + mo;
    for _ in 0..1000 {
        if handle.stats().pushes_answered >= pushed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(handle.stats().pushes_answered >= pushed);
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_simulators_flow_control_is_status_1_and_the_client_backs_off() {
    let mut p = SimProfile::default();
    p.flow_control.max_per_second = 4;
    let run = simulator(&p).await;
    let (client, _events) = client(run.local_addr()).await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move { c.submit(format!("f{i}"), submit(1, i)).await })
        })
        .collect();
    let mut resent = 0;
    for t in tasks {
        let out = t.await.unwrap().unwrap();
        assert!(out.status.is_ok(), "accepted in the end: {out:?}");
        if out.tries > 1 {
            resent += 1;
        }
    }
    assert!(resent > 0, "some were sent again after Status 1");
    let s = run.stats();
    assert!(s.by_result.get(&8).copied().unwrap_or(0) > 0);
    assert_eq!(s.accepted, 10);
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}

/// A TCP forwarder whose connections can be cut at once (both ends see the link die).
struct Proxy {
    addr: SocketAddr,
    cut: watch::Sender<u64>,
    accepted: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (cut, _) = watch::channel(0u64);
        let accepted = Arc::new(AtomicU64::new(0));
        let (cut2, accepted2) = (cut.clone(), accepted.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                accepted2.fetch_add(1, Ordering::Relaxed);
                let mut rx = cut2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = rx.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            cut,
            accepted,
        }
    }

    fn cut_all(&self) {
        self.cut.send_modify(|g| *g += 1);
    }
}

#[tokio::test(start_paused = true)]
async fn nothing_is_lost_across_dropped_links() {
    let mut p = SimProfile::default();
    p.mo.interval_ms = 250;
    // Slow answers keep submits in flight when the links are cut.
    p.faults.late = Some(Late {
        every: 1,
        delay_ms: 300,
    });
    let run = simulator(&p).await;
    let handle = run.handle();
    let proxy = Proxy::start(run.local_addr()).await;
    let (client, mut events) = client(proxy.addr).await;

    const N: usize = 60;
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move {
                (
                    format!("m{i}"),
                    c.submit(format!("m{i}"), submit(1, i)).await,
                )
            })
        })
        .collect();

    let mut report_delivers = HashSet::new(); // own MsgIDs of report Delivers received
    let mut reported: HashMap<String, u32> = HashMap::new(); // local id → reports
    let mut unmatched_reports = HashSet::new();
    let mut mo_delivers = HashSet::new();
    let mut accepted = 0u64;
    let mut downs = 0;
    let mut cuts = 0;
    let mut results = Vec::new();
    let mut tasks = Some(tasks);
    loop {
        let ev = next(&mut events).await;
        // Nothing is answered before the application accepted it.
        assert!(handle.stats().pushes_answered <= accepted);
        match ev {
            ClientEvent::Report {
                report,
                local_id,
                deliver,
                ack,
                ..
            } => {
                report_delivers.insert(deliver.msg_id);
                match local_id {
                    Some(l) => *reported.entry(l.to_string()).or_default() += 1,
                    None => {
                        unmatched_reports.insert(report.id);
                    }
                }
                // The application's durable write, then the answer.
                ack.accept();
                accepted += 1;
            }
            ClientEvent::Message { deliver, ack, .. } => {
                mo_delivers.insert(deliver.msg_id);
                ack.accept();
                accepted += 1;
            }
            ClientEvent::LinkDown { .. } => downs += 1,
            _ => {}
        }
        // Cut the link twice while submits, reports and MO messages are in flight.
        if (cuts == 0 && report_delivers.len() >= 10) || (cuts == 1 && report_delivers.len() >= 30)
        {
            proxy.cut_all();
            cuts += 1;
        }
        if cuts == 2 {
            if let Some(t) = tasks.take() {
                // Every submit ends in exactly one outcome.
                for t in t {
                    results.push(t.await.unwrap());
                }
            }
        }
        if tasks.is_none() {
            let s = run.stats();
            let ok: Vec<&String> = results
                .iter()
                .filter(|(_, r)| matches!(r, Ok(o) if o.status.is_ok()))
                .map(|(l, _)| l)
                .collect();
            let all_reported = ok.iter().all(|l| reported.contains_key(*l));
            if all_reported
                && report_delivers.len() as u64 == s.reports_delivered()
                && mo_delivers.len() as u64 == s.mo_sent
                && handle.pending(SP) == 0
            {
                break;
            }
        }
    }
    assert_eq!(results.len(), N);
    assert!(downs >= 2, "the links were cut ({downs} downs)");
    assert!(
        proxy.accepted.load(Ordering::Relaxed) >= 3,
        "and reconnected"
    );
    let mut ok = 0;
    for (local, r) in &results {
        match r {
            Ok(o) => {
                assert!(o.status.is_ok(), "{local}: {o:?}");
                ok += 1;
                assert!(
                    reported.get(local).copied().unwrap_or(0) >= 1,
                    "{local}: its report reached the application"
                );
            }
            // Lost with its link: the caller is told whether the gateway may have it.
            Err(e) => assert!(
                matches!(e, smgp_session::SubmitError::LinkLost { .. }),
                "{local}: {e}"
            ),
        }
    }
    let maybe = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(e) if e.maybe_accepted()))
        .count();
    // A report the client cannot match belongs to a submit whose answer was lost.
    assert!(
        unmatched_reports.len() <= maybe,
        "{unmatched_reports:?} vs {maybe}"
    );
    assert!(ok > 0);
    assert!(maybe > 0, "some submits were in flight when a link was cut");
    // Every report and MO message the gateway handed over reached the application.
    let s = run.stats();
    assert_eq!(report_delivers.len() as u64, s.reports_delivered());
    assert_eq!(mo_delivers.len() as u64, s.mo_sent);
    assert!(s.mo_sent > 0);
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}
