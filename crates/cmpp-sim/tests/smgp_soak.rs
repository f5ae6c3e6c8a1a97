//! SMGP soak: many messages through the SMGP simulator, which drops the link every 5,000
//! messages and answers Status 1 above a rate; every message ends in exactly one final
//! state and every accepted message's report reaches the application.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cmpp_sim::smgp::Running;
use cmpp_sim::SimProfile;
use smgp_codec::{Submit, Text};
use smgp_session::{
    Account, Accounts, Client, ClientConfig, ClientEvent, ServerConfig, SubmitError,
};
use sms_session::link::PoolConfig;
use sms_session::{Backoff, SessionConfig};

const SP: &str = "10690001";

async fn soak(n: usize) {
    let mut p = SimProfile::default();
    p.faults.drop_link_every = 5_000;
    p.flow_control.max_per_second = 40_000;
    let session = SessionConfig::default()
        .with_window(64)
        .with_response_timeout(Duration::from_secs(5))
        .with_flow_control(10, Duration::from_millis(20), Duration::from_millis(500));
    let accounts: Accounts = [Account::new(SP, "secret")].into_iter().collect();
    let run = Running::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default().with_session(session.clone()),
        accounts,
        &p,
    )
    .await
    .unwrap();
    let config = ClientConfig::new(run.local_addr(), SP, "secret")
        .with_session(session)
        .with_pool(
            PoolConfig::default()
                .with_queue(64)
                .with_reconnect(Some(Backoff {
                    initial: Duration::from_millis(20),
                    max: Duration::from_millis(200),
                    jitter: 0.0,
                    max_attempts: None,
                })),
        );
    let client = Arc::new(Client::connect(config).await.unwrap());
    let mut events = client.events().unwrap();
    // Reports are taken (and answered) while submitting so the stream never fills up.
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<u64>();
    let collector = tokio::spawn(async move {
        let mut got: HashMap<smgp_codec::MsgId, u32> = HashMap::new();
        let mut want = None;
        loop {
            if want.is_some_and(|w| got.len() as u64 >= w) {
                break;
            }
            tokio::select! {
                w = &mut stop_rx, if want.is_none() => want = Some(w.unwrap()),
                e = tokio::time::timeout(Duration::from_secs(30), events.recv()) => match e {
                    Ok(Some(ClientEvent::Report { report, ack, .. })) => {
                        *got.entry(report.id).or_default() += 1;
                        ack.accept();
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                },
            }
        }
        got
    });
    let started = Instant::now();
    let workers = 64;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut flow, mut lost) = (Vec::new(), 0u64, 0u64);
            for i in (w..n).step_by(workers) {
                let submit = Submit {
                    need_report: 1,
                    dest_term_ids: vec![Text::new(b"17600000000").unwrap()],
                    msg_content: Bytes::from_static(b"x"),
                    ..Submit::default()
                };
                match client.submit(i.to_string(), submit).await {
                    Ok(o) if o.status.is_ok() => ok.push(o.msg_id),
                    Ok(o) => panic!("unexpected status {}", o.status),
                    Err(SubmitError::FlowControl { .. }) => flow += 1,
                    Err(SubmitError::LinkLost { .. } | SubmitError::NoResponse { .. }) => lost += 1,
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
            (ok, flow, lost)
        }));
    }
    let (mut ok_ids, mut flow, mut lost) = (HashSet::new(), 0, 0);
    for t in tasks {
        let (a, b, c) = t.await.unwrap();
        for id in a {
            assert!(ok_ids.insert(id), "MsgID {id} given twice");
        }
        flow += b;
        lost += c;
    }
    let elapsed = started.elapsed();
    let ok = ok_ids.len() as u64;
    assert_eq!(ok + flow + lost, n as u64, "one final state per message");
    let s = run.stats();
    // A Submit_Resp written just before a dropped link is lost: the client reports
    // LinkLost (maybe accepted), so the simulator may have accepted a few more than `ok`.
    assert!(
        ok <= s.accepted && s.accepted <= ok + lost,
        "ok {ok} lost {lost} accepted {}",
        s.accepted
    );
    assert!(s.links_dropped >= (n / 5_000) as u64 - 1, "{s:?}");
    // Every accepted message's report reaches the application once: a push answered just
    // before its link dropped comes again and is answered by the client without an event.
    stop_tx.send(s.accepted).unwrap();
    let got = collector.await.unwrap();
    let s = run.stats();
    assert_eq!(s.reports_lost, 0, "{s:?}");
    assert_eq!(s.reports_delivered(), s.accepted);
    assert_eq!(got.len() as u64, s.accepted);
    assert!(
        ok_ids.iter().all(|id| got.contains_key(id)),
        "a report is missing"
    );
    assert!(
        got.values().all(|&c| c == 1),
        "a report was handed over twice"
    );
    eprintln!(
        "smgp soak: {n} submits in {elapsed:?} ({:.0}/s), {ok} ok, {flow} busy, {lost} lost with a link, {} links dropped, {} copies answered by the client",
        n as f64 / elapsed.as_secs_f64(),
        s.links_dropped,
        client.duplicates()
    );
    client.close(Duration::from_secs(2)).await;
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smgp_soak_20k() {
    soak(20_000).await;
}

/// The full run: `cargo test -p cmpp-sim --release --test smgp_soak -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn smgp_soak_200k() {
    soak(200_000).await;
}
