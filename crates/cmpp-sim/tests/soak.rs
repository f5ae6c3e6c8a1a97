//! Soak: many messages through a simulator that drops the link every 5,000 messages and
//! answers Result 8 above a rate; every message ends in exactly one final state.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::{MsgFmt, SubmitResult, Version};
use cmpp_session::{SubmitError, SubmitRequest};
use cmpp_sim::SimProfile;
use common::*;

async fn soak(n: usize) {
    let mut p = SimProfile::default();
    p.faults.drop_link_every = 5_000;
    p.flow_control.max_per_second = 40_000;
    let run = start(&p, Version::V30, 64).await;
    let (client, _ev) = client(&run, Version::V30, 64).await;
    let client = Arc::new(client);
    let workers = 64;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut flow, mut lost) = (0u64, 0u64, 0u64);
            for i in (w..n).step_by(workers) {
                let req = SubmitRequest::message(
                    i.to_string(),
                    &["13800138000"],
                    &b"x"[..],
                    MsgFmt::Ascii,
                )
                .unwrap();
                match client.submit(req).await {
                    Ok(o) if o.result == SubmitResult::Ok => ok += 1,
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
    let (mut ok, mut flow, mut lost) = (0, 0, 0);
    for t in tasks {
        let (a, b, c) = t.await.unwrap();
        ok += a;
        flow += b;
        lost += c;
    }
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
