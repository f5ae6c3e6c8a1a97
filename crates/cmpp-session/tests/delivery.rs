//! At-least-once DELIVERs (server role), duplicate suppression, the connection pool,
//! re-sends after a reconnect and expired long MO messages, on tokio's paused clock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{TimeZone, Utc};
use cmpp_codec::text::Content;
use cmpp_codec::{
    decode, encode, split_frame, Connect, Deliver, DeliverContent, DeliverResp, DeliverResult,
    FrameStatus, MsgFmt, MsgId, OctetString, Packet, Pdu, Stat, StatusReport, Submit, SubmitResult,
    Version,
};
use cmpp_session::client::ClientConfigBuilder;
use cmpp_session::proto::Backoff;
use cmpp_session::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const SP: &str = "900001";
const SECRET: &[u8] = b"888888";

type Script = dyn Fn(usize, &ConnectionInfo) -> SubmitDecision + Send + Sync;

/// Records every SUBMIT (connection id, content) and answers per a script.
struct Gateway {
    seen: Mutex<Vec<(u64, Bytes)>>,
    script: Box<Script>,
}

impl GatewayHandler for Gateway {
    fn on_submit(&self, conn: &ConnectionInfo, _seq: u32, s: &Submit) -> SubmitDecision {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            seen.push((conn.id, s.msg_content.clone()));
            seen.len()
        };
        (self.script)(n, conn)
    }
}

fn ok(n: usize) -> SubmitDecision {
    SubmitDecision::Respond {
        msg_id: MsgId::from_u64(0x1000 * n as u64),
        result: 0,
    }
}

async fn gateway(
    config: ServerConfig,
    account: Account,
    script: impl Fn(usize, &ConnectionInfo) -> SubmitDecision + Send + Sync + 'static,
) -> (Server, Arc<Gateway>) {
    let accounts = Arc::new(InMemoryAccounts::new());
    accounts.insert(account);
    let g = Arc::new(Gateway {
        seen: Mutex::new(Vec::new()),
        script: Box::new(script),
    });
    let server = Server::bind_with_clock(
        "127.0.0.1:0".parse().unwrap(),
        config,
        accounts,
        g.clone(),
        Arc::new(TokioClock::starting_at(
            Utc.with_ymd_and_hms(2024, 10, 21, 0, 0, 0).unwrap(),
        )),
    )
    .await
    .unwrap();
    (server, g)
}

fn client_cfg(addr: SocketAddr) -> ClientConfigBuilder {
    ClientConfig::builder(addr, SP, SECRET)
        .clock(Arc::new(TokioClock::starting_at(
            Utc.with_ymd_and_hms(2024, 10, 21, 0, 0, 0).unwrap(),
        )))
        .lifecycle_events(false)
        .reconnect(Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(4),
            jitter: 0.0,
            max_attempts: None,
        })
}

fn report(deliver_id: u64, msg_id: u64, stat: Stat) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(deliver_id),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800000001").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Report(StatusReport {
            msg_id: MsgId::from_u64(msg_id),
            stat,
            submit_time: OctetString::try_from("2410210800").unwrap(),
            done_time: OctetString::try_from("2410210801").unwrap(),
            dest_terminal_id: OctetString::try_from("13800000001").unwrap(),
            smsc_sequence: 7,
        }),
        link_id: OctetString::EMPTY,
    }
}

fn mo(deliver_id: u64, content: Bytes, udhi: u8, fmt: MsgFmt) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(deliver_id),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::try_from("svc").unwrap(),
        tp_pid: 0,
        tp_udhi: udhi,
        msg_fmt: fmt,
        src_terminal_id: OctetString::try_from("13900000000").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Message(content),
        link_id: OctetString::EMPTY,
    }
}

/// A hand-driven SP on a raw socket: it answers only what the test tells it to.
struct RawSp {
    s: TcpStream,
    buf: BytesMut,
}

impl RawSp {
    async fn login(addr: SocketAddr) -> RawSp {
        let s = TcpStream::connect(addr).await.unwrap();
        // No Nagle delay: it runs on real time while the test runs on the paused clock.
        s.set_nodelay(true).unwrap();
        let mut sp = RawSp {
            s,
            buf: BytesMut::new(),
        };
        let now = Utc.with_ymd_and_hms(2024, 10, 21, 0, 0, 0).unwrap();
        let c = Connect::new(
            OctetString::try_from(SP).unwrap(),
            SECRET,
            &now,
            Version::V30,
        );
        sp.send(Packet::new(1, c)).await;
        match sp.next().await.map(|p| p.pdu) {
            Some(Pdu::ConnectResp(r)) => assert!(r.status.is_ok(), "{:?}", r.status),
            other => panic!("expected CONNECT_RESP, got {other:?}"),
        }
        sp
    }

    async fn send(&mut self, p: Packet) {
        let mut out = BytesMut::new();
        encode(&p, Version::V30, &mut out).unwrap();
        self.s.write_all(&out).await.unwrap();
    }

    async fn next(&mut self) -> Option<Packet> {
        loop {
            if let Ok(FrameStatus::Complete(len)) = split_frame(&self.buf, 4096) {
                return Some(decode(self.buf.split_to(len).freeze(), Version::V30).unwrap());
            }
            let mut chunk = [0u8; 4096];
            let n = self.s.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next DELIVER: (Sequence_Id, report Msg_Id).
    async fn deliver(&mut self) -> (u32, u64) {
        loop {
            let p = self.next().await.expect("connection open");
            if let Pdu::Deliver(d) = p.pdu {
                let DeliverContent::Report(r) = d.content else {
                    panic!("expected a status report");
                };
                return (p.sequence_id, r.msg_id.as_u64());
            }
        }
    }

    async fn ack(&mut self, seq: u32) {
        let resp = DeliverResp {
            msg_id: MsgId::from_u64(0),
            result: DeliverResult::Ok,
        };
        self.send(Packet::new(seq, resp)).await;
    }
}

/// Waits (paused clock) until `cond` holds, at most `limit`.
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

#[tokio::test(start_paused = true)]
async fn unacknowledged_delivers_go_back_to_the_front_and_fail_after_n_tries() {
    let config = {
        let mut v = ServerConfig::default();
        v.deliver_window = 4;
        v.response_timeout = Duration::from_secs(10);
        v.max_tries = 2;
        v
    };
    let (server, _g) = gateway(config, Account::new(SP, SECRET), |n, _| ok(n)).await;
    let h = server.handle();
    let mut sp = RawSp::login(server.local_addr()).await;
    for id in 1..=6 {
        h.deliver(SP, report(100 + id, id, Stat::DELIVRD)).unwrap();
    }
    // Window 4: reports 1–4 arrive; acknowledging 1 makes room for 5.
    let mut first = Vec::new();
    for _ in 0..4 {
        first.push(sp.deliver().await);
    }
    assert_eq!(
        first.iter().map(|d| d.1).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    sp.ack(first[0].0).await;
    assert_eq!(sp.deliver().await.1, 5);
    until(Duration::from_secs(1), || h.stats().delivers_acked == 1).await;
    drop(sp);
    until(Duration::from_secs(1), || h.connection_count(SP) == 0).await;
    // 2–5 were written and never answered: back at the front, ahead of 6, in order.
    assert_eq!(h.queued_delivers(SP), 5);
    let mut sp = RawSp::login(server.local_addr()).await;
    let mut again = Vec::new();
    for _ in 0..5 {
        let d = sp.deliver().await;
        sp.ack(d.0).await;
        again.push(d.1);
    }
    assert_eq!(again, vec![2, 3, 4, 5, 6]);
    until(Duration::from_secs(1), || h.stats().delivers_acked == 6).await;
    let s = h.stats();
    assert_eq!(
        (s.delivers_sent, s.delivers_resent, s.delivers_failed),
        (6, 4, 0)
    );

    // Unanswered on a live link: re-sent once after T with the same Sequence_Id, then
    // counted as failed after N = 2 transmissions and not sent again.
    h.deliver(SP, report(107, 7, Stat::DELIVRD)).unwrap();
    let t0 = Instant::now();
    let (seq, id) = sp.deliver().await;
    assert_eq!(id, 7);
    let (seq2, id2) = sp.deliver().await;
    assert_eq!((seq2, id2), (seq, 7));
    assert!(Instant::now() - t0 >= Duration::from_secs(10));
    until(Duration::from_secs(15), || h.stats().delivers_failed == 1).await;
    let s = h.stats();
    assert_eq!(
        (s.delivers_sent, s.delivers_resent, s.delivers_acked),
        (7, 5, 6)
    );
    assert_eq!(
        h.queued_delivers(SP),
        0,
        "a failed DELIVER is not queued again"
    );
    drop(sp);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn duplicate_delivers_are_answered_but_handed_over_once() {
    let (server, _g) = gateway(ServerConfig::default(), Account::new(SP, SECRET), |n, _| {
        ok(n)
    })
    .await;
    let h = server.handle();
    let client = Client::connect(client_cfg(server.local_addr()).build())
        .await
        .unwrap();
    let mut events = client.events().unwrap();
    // The same report twice (re-sent under a new DELIVER Msg_Id), a second Stat for the
    // same message, an MO twice, then a sentinel.
    h.deliver(SP, report(1, 0x5000, Stat::DELIVRD)).unwrap();
    h.deliver(SP, report(2, 0x5000, Stat::DELIVRD)).unwrap();
    h.deliver(SP, report(3, 0x5000, Stat::UNDELIV)).unwrap();
    let text = Bytes::from_static(b"hi");
    h.deliver(SP, mo(4, text.clone(), 0, MsgFmt::Ascii))
        .unwrap();
    h.deliver(SP, mo(4, text.clone(), 0, MsgFmt::Ascii))
        .unwrap();
    h.deliver(SP, mo(5, Bytes::from_static(b"end"), 0, MsgFmt::Ascii))
        .unwrap();
    let mut got = Vec::new();
    loop {
        match events.recv().await.unwrap() {
            ClientEvent::Report {
                msg_id, stat, ack, ..
            } => {
                ack.accept();
                got.push(format!("report {:x} {}", msg_id.as_u64(), stat.text()))
            }
            ClientEvent::UserMessage { content, ack, .. } => {
                ack.accept();
                let t = content.as_text().unwrap().to_owned();
                let end = t == "end";
                got.push(format!("mo {t}"));
                if end {
                    break;
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        got,
        vec![
            "report 5000 DELIVRD",
            "report 5000 UNDELIV",
            "mo hi",
            "mo end"
        ]
    );
    // Every copy was answered: nothing left for the server to re-send.
    until(Duration::from_secs(1), || h.stats().delivers_acked == 6).await;
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

fn req(i: usize) -> SubmitRequest {
    SubmitRequest::message(
        format!("r{i}"),
        &["13800000001"],
        Bytes::from(format!("msg {i}")),
        MsgFmt::Ascii,
    )
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn pool_spreads_load_and_survives_one_link_dying() {
    // The first SUBMIT after `drop_next` is set drops its link.
    let drop_next = Arc::new(Mutex::new(false));
    let d = drop_next.clone();
    let (server, g) = gateway(
        ServerConfig::default(),
        Account::new(SP, SECRET),
        move |n, _| {
            if std::mem::take(&mut *d.lock().unwrap()) {
                SubmitDecision::DropLink
            } else {
                ok(n)
            }
        },
    )
    .await;
    let client = Client::connect(
        client_cfg(server.local_addr())
            .connections(2)
            .window(4)
            .build(),
    )
    .await
    .unwrap();
    until(Duration::from_secs(1), || client.live_connections() == 2).await;
    assert_eq!(server.handle().connection_count(SP), 2);
    let results = futures::future::join_all((0..40).map(|i| client.submit(req(i)))).await;
    let mut per_conn = [0usize; 2];
    for r in &results {
        let o = r.as_ref().unwrap();
        assert_eq!(o.result, SubmitResult::Ok);
        per_conn[o.connection] += 1;
    }
    assert!(
        per_conn[0] >= 10 && per_conn[1] >= 10,
        "load spread: {per_conn:?}"
    );
    let server_conns: std::collections::HashSet<u64> =
        g.seen.lock().unwrap().iter().map(|s| s.0).collect();
    assert_eq!(server_conns.len(), 2, "both links carried SUBMITs");

    *drop_next.lock().unwrap() = true;
    let lost = client.submit(req(100)).await;
    assert!(
        matches!(
            lost,
            Err(SubmitError::LinkLost {
                maybe_accepted: true
            })
        ),
        "{lost:?}"
    );
    assert_eq!(client.live_connections(), 1);
    // The other link carries on at once, without waiting for the reconnect (1 s).
    let t0 = Instant::now();
    let mut used = std::collections::HashSet::new();
    for i in 200..220 {
        let o = client.submit(req(i)).await.unwrap();
        assert_eq!(o.result, SubmitResult::Ok);
        used.insert(o.connection);
    }
    assert_eq!(used.len(), 1, "only the surviving link: {used:?}");
    assert!(Instant::now() - t0 < Duration::from_secs(1));
    // The dead link comes back after the back-off.
    until(Duration::from_secs(3), || client.live_connections() == 2).await;
    assert_eq!(server.handle().connection_count(SP), 2);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unanswered_request_is_resent_on_the_new_link_when_enabled() {
    // The first SUBMIT is never answered; later ones are.
    let (server, g) = gateway(ServerConfig::default(), Account::new(SP, SECRET), |n, _| {
        if n == 1 {
            SubmitDecision::Ignore
        } else {
            ok(n)
        }
    })
    .await;
    let client = Client::connect(
        client_cfg(server.local_addr())
            .resend_unanswered_on_reconnect(true)
            .build(),
    )
    .await
    .unwrap();
    let h = server.handle();
    let sub = client.submit(req(1));
    let dropper = async {
        until(Duration::from_secs(1), || g.seen.lock().unwrap().len() == 1).await;
        h.drop_connections(Some(SP));
    };
    let (out, ()) = tokio::join!(sub, dropper);
    let out = out.unwrap();
    assert_eq!(out.result, SubmitResult::Ok);
    assert_eq!(out.msg_id, MsgId::from_u64(0x2000));
    assert_eq!(out.tries, 2, "one transmission per link");
    let seen = g.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].0, seen[1].0, "sent again on a new connection");
    assert_eq!(seen[0].1, seen[1].1, "with the same content");
    assert_eq!(&seen[1].1[..], b"msg 1");
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn expired_incomplete_mo_is_delivered_with_its_gaps() {
    let (server, _g) = gateway(ServerConfig::default(), Account::new(SP, SECRET), |n, _| {
        ok(n)
    })
    .await;
    let client = Client::connect(
        client_cfg(server.local_addr())
            .reassembly_timeout(Duration::from_secs(5))
            .build(),
    )
    .await
    .unwrap();
    let mut events = client.events().unwrap();
    let text: String = ["甲".repeat(67), "乙".repeat(67), "丙".repeat(67)].concat();
    let segs = cmpp_codec::long::split_text(
        &text,
        cmpp_codec::text::TextEncoding::Ucs2,
        cmpp_codec::long::UdhRef::Bits8,
        3,
    )
    .unwrap();
    assert_eq!(segs.len(), 3);
    // Part 2 never arrives.
    for seg in [&segs[0], &segs[2]] {
        let d = mo(
            u64::from(seg.pk_number),
            Bytes::from(seg.content.clone()),
            0x40,
            seg.msg_fmt,
        );
        server.handle().deliver(SP, d).unwrap();
    }
    let t0 = Instant::now();
    let (content, complete, missing, parts) = loop {
        if let ClientEvent::UserMessage {
            content,
            complete,
            missing,
            parts,
            ..
        } = events.recv().await.unwrap()
        {
            break (content, complete, missing, parts);
        }
    };
    assert!(
        Instant::now() - t0 >= Duration::from_secs(5),
        "held until the timeout"
    );
    assert!(!complete);
    assert_eq!(missing, vec![2]);
    assert_eq!(parts, 3);
    let Content::Text(t) = content else {
        panic!("text expected")
    };
    assert_eq!(t, format!("{}\u{FFFD}{}", "甲".repeat(67), "丙".repeat(67)));
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn delivers_in_the_same_read_as_connect_resp_are_not_held_back() {
    // A gateway that writes CONNECT_RESP and two DELIVERs in one segment, then waits for
    // the answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let gw = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        s.set_nodelay(true).unwrap();
        let mut sp = RawSp {
            s,
            buf: BytesMut::new(),
        };
        let p = sp.next().await.unwrap();
        let Pdu::Connect(c) = &p.pdu else {
            panic!("CONNECT expected")
        };
        let resp = cmpp_codec::ConnectResp::for_connect(
            cmpp_codec::ConnectStatus::Ok,
            c,
            SECRET,
            Version::V30,
        )
        .unwrap();
        let mut out = BytesMut::new();
        encode(&Packet::new(p.sequence_id, resp), Version::V30, &mut out).unwrap();
        for id in 1..=2u64 {
            let d = report(id, 0x7000 + id, Stat::DELIVRD);
            encode(&Packet::new(id as u32, d), Version::V30, &mut out).unwrap();
        }
        sp.s.write_all(&out).await.unwrap();
        let mut answered = Vec::new();
        while answered.len() < 2 {
            match sp.next().await.map(|p| (p.sequence_id, p.pdu)) {
                Some((seq, Pdu::DeliverResp(_))) => answered.push(seq),
                Some(_) => {}
                None => break,
            }
        }
        answered
    });
    let client = Client::connect(client_cfg(addr).build()).await.unwrap();
    let mut events = client.events().unwrap();
    let mut got = Vec::new();
    // Well before the first heartbeat (180 s) would bring more bytes.
    tokio::time::timeout(Duration::from_secs(1), async {
        while got.len() < 2 {
            if let Some(ClientEvent::Report { msg_id, ack, .. }) = events.recv().await {
                ack.accept();
                got.push(msg_id.as_u64());
            }
        }
    })
    .await
    .expect("DELIVERs behind CONNECT_RESP are handled at once");
    assert_eq!(got, vec![0x7001, 0x7002]);
    assert_eq!(gw.await.unwrap(), vec![1, 2], "both answered");
    client.close(Duration::ZERO).await;
}
