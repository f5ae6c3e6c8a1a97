//! Soak: many messages through a simulator that drops the link every 5,000 messages and
//! answers Result 8 above a rate; every message ends in exactly one final state.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::{MsgFmt, SubmitResult, Version};
use cmpp_session::{ClientEvent, SubmitError, SubmitRequest};
use cmpp_sim::SimProfile;
use common::*;

async fn soak(n: usize) {
    let mut p = SimProfile::default();
    p.faults.drop_link_every = 5_000;
    p.flow_control.max_per_second = 40_000;
    let run = start(&p, Version::V30, 64).await;
    let (client, mut ev) = client(&run, Version::V30, 64).await;
    let client = Arc::new(client);
    // Reports are collected while submitting so the event stream never fills up.
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<u64>();
    let collector = tokio::spawn(async move {
        let mut got = HashMap::new();
        let mut want = None;
        loop {
            if want.is_some_and(|w| got.len() as u64 >= w) {
                break;
            }
            tokio::select! {
                w = &mut stop_rx, if want.is_none() => want = Some(w.unwrap()),
                e = tokio::time::timeout(Duration::from_secs(30), ev.recv()) => match e {
                    Ok(Some(ClientEvent::Report { msg_id, .. })) => {
                        *got.entry(msg_id).or_insert(0u32) += 1;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                },
            }
        }
        got
    });
    let workers = 64;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut flow, mut lost) = (Vec::new(), 0u64, 0u64);
            for i in (w..n).step_by(workers) {
                let req = SubmitRequest::message(
                    i.to_string(),
                    &["13800138000"],
                    &b"x"[..],
                    MsgFmt::Ascii,
                )
                .unwrap()
                .registered_delivery(1);
                match client.submit(req).await {
                    Ok(o) if o.result == SubmitResult::Ok => ok.push(o.msg_id),
                    Ok(o) => panic!("unexpected result {:?}", o.result),
                    Err(SubmitError::FlowControl { .. }) => flow += 1,
                    Err(e) if e.maybe_accepted() || matches!(e, SubmitError::LinkLost { .. }) => {
                        lost += 1
                    }
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
            assert!(ok_ids.insert(id), "Msg_Id {id:?} given twice");
        }
        flow += b;
        lost += c;
    }
    let ok = ok_ids.len() as u64;
    assert_eq!(ok + flow + lost, n as u64, "one final state per message");
    let s = run.sim.stats();
    // A SUBMIT_RESP written just before a dropped link is lost: the client reports
    // LinkLost (maybe accepted), so the simulator may have accepted a few more than `ok`.
    assert!(
        ok <= s.accepted && s.accepted <= ok + lost,
        "ok {ok} lost {lost} accepted {}",
        s.accepted
    );
    assert_eq!(
        s.submits,
        s.accepted + s.by_result.get(&8).copied().unwrap_or(0) + s.links_dropped
    );
    assert!(s.links_dropped >= (n / 5_000) as u64 - 1, "{s:?}");
    // Every accepted message gets exactly one report at the client, including those whose
    // SUBMIT_RESP was lost with a link (the client only knows them as "maybe accepted").
    stop_tx.send(s.accepted).unwrap();
    let got = collector.await.unwrap();
    let s = run.sim.stats();
    let server = run.handle().stats();
    assert_eq!(s.reports_lost, 0, "{s:?}");
    assert_eq!(s.reports_delivered(), s.accepted);
    assert_eq!(got.len() as u64, s.accepted, "server: {server:?}");
    assert!(got.values().all(|&c| c == 1), "a report arrived twice");
    assert!(
        ok_ids.iter().all(|id| got.contains_key(id)),
        "a report is missing"
    );
    assert_eq!(server.delivers_failed, 0);
    client.close(Duration::from_secs(2)).await;
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_20k() {
    soak(20_000).await;
}

/// The full 200,000-message run: `cargo test -p cmpp-sim --release --test soak -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn soak_200k() {
    soak(200_000).await;
}
