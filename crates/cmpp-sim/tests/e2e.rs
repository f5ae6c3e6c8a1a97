//! The SP client of cmpp-session against the simulator over loopback, both versions.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use cmpp_codec::text::Content;
use cmpp_codec::{MsgFmt, SubmitResult, Version};
use cmpp_session::{ClientEvent, SubmitRequest};
use cmpp_sim::profile::MoText;
use cmpp_sim::SimProfile;
use common::*;

async fn submits_get_results_and_reports(version: Version) {
    let run = start(&SimProfile::default(), version, 16).await;
    let (client, mut ev) = client(&run, version, 16).await;
    let mut ids = HashSet::new();
    for i in 0..20 {
        let req = SubmitRequest::message(
            format!("m{i}"),
            &["13800138000"],
            &b"hello"[..],
            MsgFmt::Ascii,
        )
        .unwrap()
        .registered_delivery(1);
        let out = client.submit(req).await.unwrap();
        assert_eq!(out.result, SubmitResult::Ok);
        assert!(ids.insert(out.msg_id), "Msg_Ids are unique");
    }
    let got = reports(&mut ev, 20).await;
    assert_eq!(got.len(), 20);
    for (id, (stat, dest)) in &got {
        assert!(ids.contains(id), "report for an unknown Msg_Id");
        assert_eq!(stat, "DELIVRD");
        assert_eq!(dest, "13800138000");
    }
    let s = run.sim.stats();
    assert_eq!((s.submits, s.accepted, s.reports_delivered()), (20, 20, 20));
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}

#[tokio::test]
async fn v30_submits_and_reports() {
    submits_get_results_and_reports(Version::V30).await;
}

#[tokio::test]
async fn v20_submits_and_reports() {
    submits_get_results_and_reports(Version::V20).await;
}

#[tokio::test]
async fn group_send_gets_one_report_per_destination() {
    let run = start(&SimProfile::default(), Version::V30, 16).await;
    let (client, mut ev) = client(&run, Version::V30, 16).await;
    let dests = ["13800000001", "13800000002", "13800000003", "13800000004"];
    let req = SubmitRequest::message("g", &dests, &b"group"[..], MsgFmt::Ascii)
        .unwrap()
        .registered_delivery(1);
    let out = client.submit(req).await.unwrap();
    assert_eq!(out.result, SubmitResult::Ok);
    let got = reports(&mut ev, 4).await;
    for (i, id) in out.msg_id.group_ids(4).enumerate() {
        assert_eq!(
            got.get(&id).map(|r| r.1.as_str()),
            Some(dests[i]),
            "report for M+{i}"
        );
    }
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}

#[tokio::test]
async fn long_mo_reaches_the_client_reassembled() {
    let long = "您好，我想咨询一下本月套餐的具体资费情况，另外上个月的账单里有一笔增值业务费用我并没有订购过，请帮忙核实并退还，谢谢！如有需要我可以提供身份证明。";
    let mut p = SimProfile::default();
    p.mo.interval_ms = 50;
    p.mo.texts = vec![MoText {
        text: long.into(),
        weight: 1.0,
    }];
    for version in [Version::V20, Version::V30] {
        let run = start(&p, version, 16).await;
        let (client, mut ev) = client(&run, version, 16).await;
        let msg = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(ClientEvent::UserMessage {
                    content,
                    parts,
                    complete,
                    from,
                    ..
                }) = ev.recv().await
                {
                    break (content, parts, complete, from);
                }
            }
        })
        .await
        .expect("an MO message within 10 s");
        assert_eq!(msg.0, Content::Text(long.to_string()));
        assert!(msg.1 >= 2, "sent as {} segments", msg.1);
        assert!(msg.2);
        assert_eq!(msg.3, "13800138000");
        assert!(run.sim.stats().mo_sent >= 2);
        client.close(Duration::from_secs(1)).await;
        run.shutdown().await;
    }
}

#[tokio::test]
async fn link_drops_every_n_each_message_gets_one_outcome() {
    let mut p = SimProfile::default();
    p.faults.drop_link_every = 25;
    let run = start(&p, Version::V30, 16).await;
    let (client, mut ev) = client(&run, Version::V30, 16).await;
    let n = 200;
    let mut ok = HashSet::new();
    let mut failed = 0;
    for i in 0..n {
        let req =
            SubmitRequest::message(format!("m{i}"), &["13800138000"], &b"x"[..], MsgFmt::Ascii)
                .unwrap()
                .registered_delivery(1);
        match client.submit(req).await {
            Ok(o) if o.result == SubmitResult::Ok => assert!(ok.insert(o.msg_id)),
            Ok(o) => panic!("unexpected result {:?}", o.result),
            Err(e) => {
                assert!(
                    e.maybe_accepted() || matches!(e, cmpp_session::SubmitError::LinkLost { .. }),
                    "{e}"
                );
                failed += 1;
            }
        }
    }
    assert_eq!(
        ok.len() + failed,
        n,
        "every message has exactly one outcome"
    );
    let s = run.sim.stats();
    assert!(s.links_dropped >= 7, "links dropped: {}", s.links_dropped);
    assert_eq!(s.accepted as usize, ok.len());
    // Reports come 50–500 ms after their submit, plus up to a reconnect (1 s ± 20 %) when
    // their link was dropped; the wait ends as soon as all have arrived.
    let got = reports_within(&mut ev, ok.len(), Duration::from_secs(10)).await;
    // Nothing more follows (a duplicate would be a second report).
    let extra = reports_within(&mut ev, 1, Duration::from_millis(300)).await;
    assert!(extra.is_empty(), "unexpected further reports: {extra:?}");
    let s = run.sim.stats();
    let server = run.handle().stats();
    // Exactly one report per accepted message reaches the client: DELIVERs lost with a
    // dropped link are sent again on the next one (at-least-once), and a copy the client
    // had already seen is suppressed there (`reports_within` fails on a second report).
    assert_eq!(s.reports_delivered(), s.accepted);
    assert_eq!(s.reports_lost, 0);
    assert_eq!(got.len(), ok.len(), "server: {server:?}");
    assert!(got.keys().all(|k| ok.contains(k)));
    assert!(got
        .values()
        .all(|(stat, dest)| stat == "DELIVRD" && dest == "13800138000"));
    assert_eq!(server.delivers_failed, 0);
    assert_eq!(server.delivers_sent, s.accepted, "first transmissions");
    assert!(server.delivers_acked >= s.accepted, "{server:?}");
    assert_eq!(run.handle().queued_delivers(SP), 0);
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}
