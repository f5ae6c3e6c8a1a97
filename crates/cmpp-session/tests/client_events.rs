//! The event stream without traps, at-least-once DELIVERs, QUERY and CANCEL: the client
//! against the server role over loopback TCP, on tokio's paused clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cmpp_codec::{
    Cancel, CancelResp, Deliver, DeliverContent, MsgFmt, MsgId, OctetString, Query, QueryResp,
    Stat, StatusReport, Submit, Version,
};
use cmpp_session::client::ClientConfigBuilder;
use cmpp_session::proto::Backoff;
use cmpp_session::*;
use tokio::time::Instant;

const SP: &str = "900001";
const SECRET: &[u8] = b"888888";

/// Accepts every SUBMIT with consecutive Msg_Ids; answers QUERY with fixed counts and
/// CANCEL with success for even Msg_Ids.
struct Gateway {
    n: AtomicU32,
}

impl GatewayHandler for Gateway {
    fn on_submit(&self, _c: &ConnectionInfo, _seq: u32, _s: &Submit) -> SubmitDecision {
        let n = self.n.fetch_add(1, Ordering::Relaxed) + 1;
        SubmitDecision::Respond {
            msg_id: MsgId::from_u64(u64::from(n)),
            result: 0,
        }
    }

    fn on_query(&self, _c: &ConnectionInfo, q: &Query) -> QueryResp {
        QueryResp {
            time: q.time,
            query_type: q.query_type,
            query_code: q.query_code,
            mt_tl_msg: 11,
            mt_tl_usr: 12,
            mt_scs: 13,
            mt_wt: 14,
            mt_fl: 15,
            mo_scs: 16,
            mo_wt: 17,
            mo_fl: u32::from(q.query_type),
        }
    }

    fn on_cancel(&self, _c: &ConnectionInfo, c: &Cancel) -> CancelResp {
        CancelResp {
            success_id: u32::from(c.msg_id.as_u64() % 2 != 0),
        }
    }
}

async fn gateway(config: ServerConfig) -> Server {
    let accounts = Arc::new(InMemoryAccounts::new());
    accounts.insert(Account::new(SP, SECRET));
    Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        config,
        accounts,
        Arc::new(Gateway {
            n: AtomicU32::new(0),
        }),
    )
    .await
    .unwrap()
}

fn client_cfg(server: &Server) -> ClientConfigBuilder {
    ClientConfig::builder(server.local_addr(), SP, SECRET).reconnect(Backoff {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(1),
        jitter: 0.0,
        max_attempts: None,
    })
}

fn report(id: u64) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(1_000 + id),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800000001").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Report(StatusReport {
            msg_id: MsgId::from_u64(id),
            stat: Stat::DELIVRD,
            submit_time: OctetString::try_from("2410210800").unwrap(),
            done_time: OctetString::try_from("2410210801").unwrap(),
            dest_terminal_id: OctetString::try_from("13800000001").unwrap(),
            smsc_sequence: 1,
        }),
        link_id: OctetString::EMPTY,
    }
}

fn mo(id: u64, text: &'static [u8]) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(id),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800000002").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Message(Bytes::from_static(text)),
        link_id: OctetString::EMPTY,
    }
}

fn req(i: usize) -> SubmitRequest {
    SubmitRequest::message(
        format!("m{i}"),
        &["13800000001"],
        Bytes::from_static(b"hi"),
        MsgFmt::Ascii,
    )
    .unwrap()
    .registered_delivery(1)
}

async fn until(limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The README pattern: connect, then submit in a loop without ever calling `events()`
/// (lifecycle events on, the default), while the gateway also pushes reports.
#[tokio::test(start_paused = true)]
async fn submits_without_ever_subscribing_never_block() {
    let server = gateway(ServerConfig::default()).await;
    let h = server.handle();
    // The gateway keeps up to 16 DELIVERs unanswered; the stream has room for 4.
    let client = Client::connect(client_cfg(&server).event_capacity(4).build())
        .await
        .unwrap();
    for i in 0..2_000u64 {
        h.deliver(SP, report(i + 1)).unwrap();
    }
    for i in 0..100_000 {
        let out = client.submit(req(i)).await.unwrap();
        assert!(out.result.is_ok());
    }
    // The stream kept at most its capacity of reports; the rest stayed unanswered for the
    // gateway to send again, and were counted.
    assert!(client.unsubscribed_delivers() > 0);
    assert_eq!(h.stats().delivers_acked, 0);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_subscriber_holds_the_link_back_visibly_and_loses_nothing() {
    let server = gateway(ServerConfig::default()).await;
    let h = server.handle();
    let client = Client::connect(
        client_cfg(&server)
            .event_capacity(4)
            .lifecycle_events(false)
            .build(),
    )
    .await
    .unwrap();
    let mut events = client.events().unwrap();
    for i in 0..12u64 {
        h.deliver(SP, report(i + 1)).unwrap();
    }
    until(Duration::from_secs(1), || client.event_stalls() > 0).await;
    assert_eq!(h.stats().delivers_acked, 0, "nothing accepted yet");
    let mut got = Vec::new();
    while got.len() < 12 {
        match events.recv().await.unwrap() {
            ClientEvent::Report { msg_id, ack, .. } => {
                ack.accept();
                got.push(msg_id.as_u64());
            }
            ClientEvent::LinkUp { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, (1..=12).collect::<Vec<_>>(), "in order, none lost");
    until(Duration::from_secs(1), || h.stats().delivers_acked == 12).await;
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

/// A report and an MO taken but not accepted (the application died before holding
/// them) come back on the next link and are handed over again; once accepted they are
/// answered exactly once.
#[tokio::test(start_paused = true)]
async fn delivers_not_accepted_before_a_crash_come_back_after_restart() {
    let server = gateway(ServerConfig::default()).await;
    let h = server.handle();
    h.deliver(SP, report(7)).unwrap();
    h.deliver(SP, mo(8, b"TD")).unwrap();
    {
        let client = Client::connect(client_cfg(&server).build()).await.unwrap();
        let mut events = client.events().unwrap();
        let mut seen = 0;
        while seen < 2 {
            match events.recv().await.unwrap() {
                // Taken, never accepted: the process "dies" here.
                ClientEvent::Report { .. } | ClientEvent::UserMessage { .. } => seen += 1,
                _ => {}
            }
        }
        client.close(Duration::ZERO).await;
    }
    until(Duration::from_secs(1), || h.connection_count(SP) == 0).await;
    assert_eq!(h.stats().delivers_acked, 0);
    assert_eq!(h.queued_delivers(SP), 2, "the gateway holds both again");

    let client = Client::connect(client_cfg(&server).build()).await.unwrap();
    let mut events = client.events().unwrap();
    let mut got = Vec::new();
    while got.len() < 2 {
        match events.recv().await.unwrap() {
            ClientEvent::Report { msg_id, ack, .. } => {
                ack.accept();
                got.push(format!("report {}", msg_id.as_u64()));
            }
            ClientEvent::UserMessage { content, ack, .. } => {
                ack.accept();
                got.push(format!("mo {}", content.as_text().unwrap()));
            }
            _ => {}
        }
    }
    assert_eq!(got, vec!["report 7", "mo TD"]);
    until(Duration::from_secs(1), || h.stats().delivers_acked == 2).await;
    // Nothing more arrives: no duplicate after acceptance.
    tokio::time::sleep(Duration::from_secs(200)).await;
    while let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(1), events.recv()).await {
        assert!(
            !matches!(
                ev,
                ClientEvent::Report { .. } | ClientEvent::UserMessage { .. }
            ),
            "handed over twice: {ev:?}"
        );
    }
    assert_eq!(h.stats().delivers_acked, 2);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

/// Dropping an event without accepting it is a refusal: the gateway's re-send after T on
/// the same link is handed over again.
#[tokio::test(start_paused = true)]
async fn a_dropped_event_is_handed_over_again_after_the_gateways_resend() {
    let server = gateway({
        let mut v = ServerConfig::default();
        v.response_timeout = Duration::from_secs(10);
        v
    })
    .await;
    let h = server.handle();
    let client = Client::connect(client_cfg(&server).lifecycle_events(false).build())
        .await
        .unwrap();
    let mut events = client.events().unwrap();
    h.deliver(SP, report(5)).unwrap();
    let ClientEvent::Report { msg_id, .. } = events.recv().await.unwrap() else {
        panic!("report expected")
    };
    assert_eq!(msg_id.as_u64(), 5);
    let t0 = Instant::now();
    let ClientEvent::Report { msg_id, ack, .. } = events.recv().await.unwrap() else {
        panic!("report expected")
    };
    assert_eq!(msg_id.as_u64(), 5);
    assert!(Instant::now() - t0 >= Duration::from_secs(9), "after T");
    ack.accept();
    until(Duration::from_secs(1), || h.stats().delivers_acked == 1).await;
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn auto_ack_answers_on_receipt_for_users_who_opt_in() {
    let server = gateway(ServerConfig::default()).await;
    let h = server.handle();
    let client = Client::connect(client_cfg(&server).auto_ack(true).build())
        .await
        .unwrap();
    h.deliver(SP, report(1)).unwrap();
    h.deliver(SP, mo(2, b"hello")).unwrap();
    until(Duration::from_secs(1), || h.stats().delivers_acked == 2).await;
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn query_and_cancel_return_the_gateways_answers() {
    for version in [Version::V20, Version::V30] {
        let server = gateway({
            let mut v = ServerConfig::default();
            v.version = version;
            v
        })
        .await;
        let client = Client::connect(client_cfg(&server).version(version).build())
            .await
            .unwrap();
        let totals = client.query("20261204", None).await.unwrap();
        assert_eq!(totals.time.to_str_lossy(), "20261204");
        assert_eq!(
            (
                totals.query_type,
                totals.mt_tl_msg,
                totals.mo_wt,
                totals.mo_fl
            ),
            (0, 11, 17, 0)
        );
        let by_service = client.query("20261204", Some("12123")).await.unwrap();
        assert_eq!(by_service.query_type, 1);
        assert_eq!(by_service.query_code.to_str_lossy(), "12123");
        assert_eq!(
            client.cancel(MsgId::from_u64(4)).await.unwrap().success_id,
            0
        );
        assert_eq!(
            client.cancel(MsgId::from_u64(5)).await.unwrap().success_id,
            1
        );
        for bad in ["2026124", "20261340", "2026120x"] {
            assert!(
                matches!(client.query(bad, None).await, Err(QueryError::Invalid(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            client.query("20261204", Some("12345678901")).await,
            Err(QueryError::Invalid(_))
        ));
        client.close(Duration::from_secs(1)).await;
        server.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn long_messages_of_the_client_and_other_senders_share_one_allocator() {
    let server = gateway(ServerConfig::default()).await;
    let client = Client::connect(client_cfg(&server).build()).await.unwrap();
    let text: String = "x".repeat(300);
    // Another sender of the account drawing from the same allocator.
    let other = client.references().clone();
    let mut refs = std::collections::HashSet::new();
    for _ in 0..128 {
        refs.insert(
            other
                .allocate("13800000001", std::time::Instant::now())
                .unwrap(),
        );
        let results = client
            .send_text("t", &["13800000001"], &text, &TextOptions::default())
            .await;
        assert!(results.iter().all(|r| r.is_ok()));
    }
    // 256 references: 128 drawn directly, 128 by send_text, all distinct, none left.
    assert_eq!(refs.len(), 128);
    let results = client
        .send_text("t", &["13800000001"], &text, &TextOptions::default())
        .await;
    assert!(
        matches!(results[..], [Err(SubmitError::References(_))]),
        "{results:?}"
    );
    // A short message needs no reference.
    let results = client
        .send_text("s", &["13800000001"], "short", &TextOptions::default())
        .await;
    assert!(results[0].is_ok());
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

/// Answers every SUBMIT with the same Msg_Id (a known bug of some gateways).
struct Repeating;

impl GatewayHandler for Repeating {
    fn on_submit(&self, _c: &ConnectionInfo, _seq: u32, _s: &Submit) -> SubmitDecision {
        SubmitDecision::Respond {
            msg_id: MsgId::from_u64(77),
            result: 0,
        }
    }
}

#[tokio::test(start_paused = true)]
async fn repeated_msg_ids_are_counted_and_reports_matched_by_destination() {
    let accounts = Arc::new(InMemoryAccounts::new());
    accounts.insert(Account::new(SP, SECRET));
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default(),
        accounts,
        Arc::new(Repeating),
    )
    .await
    .unwrap();
    let h = server.handle();
    let client = Client::connect(client_cfg(&server).lifecycle_events(false).build())
        .await
        .unwrap();
    let mut events = client.events().unwrap();
    for (i, dest) in ["13800000001", "13800000002", "13800000003"]
        .iter()
        .enumerate()
    {
        let r = SubmitRequest::message(format!("r{i}"), &[dest], &b"x"[..], MsgFmt::Ascii).unwrap();
        client.submit(r).await.unwrap();
    }
    assert_eq!(client.repeated_msg_ids(), 2);
    for dest in ["13800000003", "13800000001"] {
        let mut d = report(77);
        if let DeliverContent::Report(r) = &mut d.content {
            r.dest_terminal_id = OctetString::try_from(dest).unwrap();
        }
        h.deliver(SP, d).unwrap();
    }
    let mut got = Vec::new();
    while got.len() < 2 {
        if let ClientEvent::Report {
            local_id,
            dest,
            ack,
            ..
        } = events.recv().await.unwrap()
        {
            ack.accept();
            got.push((dest, local_id.map(|l| l.to_string())));
        }
    }
    assert_eq!(
        got,
        vec![
            ("13800000003".to_string(), Some("r2".to_string())),
            ("13800000001".to_string(), Some("r0".to_string())),
        ]
    );
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}
