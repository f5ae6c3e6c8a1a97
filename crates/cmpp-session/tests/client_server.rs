//! Client against the server role over loopback TCP, on tokio's paused clock.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{TimeZone, Utc};
use cmpp_codec::{
    decode, encode, split_frame, Deliver, DeliverContent, FrameStatus, MsgFmt, MsgId, OctetString,
    Packet, Pdu, Stat, StatusReport, Submit, SubmitResult, Version,
};
use cmpp_session::proto::Backoff;
use cmpp_session::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SP: &str = "900001";
const SECRET: &[u8] = b"888888";

type Script = dyn Fn(u32, &Submit) -> SubmitDecision + Send + Sync;

struct Handler {
    seen: Mutex<Vec<u32>>,
    script: Box<Script>,
}

impl GatewayHandler for Handler {
    fn on_submit(&self, _c: &ConnectionInfo, seq: u32, s: &Submit) -> SubmitDecision {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            seen.push(seq);
            seen.len() as u32
        };
        (self.script)(n, s)
    }
}

fn ok_id(n: u32) -> SubmitDecision {
    SubmitDecision::Respond {
        msg_id: MsgId::from_u64(0x1000 * u64::from(n)),
        result: 0,
    }
}

async fn server_with(
    account: Account,
    version: Version,
    script: impl Fn(u32, &Submit) -> SubmitDecision + Send + Sync + 'static,
) -> (Server, Arc<Handler>) {
    let accounts = Arc::new(InMemoryAccounts::new());
    accounts.insert(account);
    let handler = Arc::new(Handler {
        seen: Mutex::new(Vec::new()),
        script: Box::new(script),
    });
    let cfg = {
        let mut v = ServerConfig::default();
        v.version = version;
        v
    };
    // The gateway reads the same (paused) wall clock as the client: CONNECT timestamps
    // outside its window are refused.
    let server = Server::bind_with_clock(
        "127.0.0.1:0".parse().unwrap(),
        cfg,
        accounts,
        handler.clone(),
        clock(),
    )
    .await
    .unwrap();
    (server, handler)
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(TokioClock::starting_at(
        Utc.with_ymd_and_hms(2024, 10, 21, 0, 0, 0).unwrap(),
    ))
}

fn client_cfg(addr: SocketAddr) -> ClientConfigBuilder {
    ClientConfig::builder(addr, SP, SECRET)
        .clock(clock())
        .reconnect(Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(4),
            jitter: 0.0,
            max_attempts: None,
        })
}

use cmpp_session::client::ClientConfigBuilder;

fn req(id: &str, dests: &[&str]) -> SubmitRequest {
    SubmitRequest::message(id, dests, Bytes::from_static(b"hello"), MsgFmt::Ascii)
        .unwrap()
        .registered_delivery(1)
}

fn report(msg_id: MsgId, dest: &str) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(99),
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
            submit_time: OctetString::try_from("2410210800").unwrap(),
            done_time: OctetString::try_from("2410210801").unwrap(),
            dest_terminal_id: OctetString::try_from(dest).unwrap(),
            smsc_sequence: 7,
        }),
        link_id: OctetString::EMPTY,
    }
}

#[tokio::test(start_paused = true)]
async fn submit_report_and_group_range_resolve_local_ids() {
    let (server, _h) = server_with(Account::new(SP, SECRET), Version::V30, |n, _| ok_id(n)).await;
    let client = Client::connect(client_cfg(server.local_addr()).build())
        .await
        .unwrap();
    let mut events = client.events().unwrap();
    let out = client.submit(req("one", &["13800000001"])).await.unwrap();
    assert_eq!(out.result, SubmitResult::Ok);
    assert_eq!(out.msg_id, MsgId::from_u64(0x1000));
    assert_eq!(out.tries, 1);
    assert_eq!(&*out.local_id, "one");
    let group = client
        .submit(req("grp", &["13800000002", "13800000003", "13800000004"]))
        .await
        .unwrap();
    assert_eq!(group.msg_id, MsgId::from_u64(0x2000));
    let h = server.handle();
    h.deliver(SP, report(MsgId::from_u64(0x1000), "13800000001"))
        .unwrap();
    h.deliver(SP, report(MsgId::from_u64(0x2002), "13800000004"))
        .unwrap();
    h.deliver(SP, report(MsgId::from_u64(0x7777), "13800000009"))
        .unwrap();
    let mut reports = Vec::new();
    let mut lifecycle = Vec::new();
    let mut acks = Vec::new();
    while reports.len() < 3 {
        match events.recv().await.unwrap() {
            ClientEvent::Report {
                local_id,
                dest_index,
                dest,
                ack,
                ..
            } => {
                reports.push((local_id.map(|l| l.to_string()), dest_index, dest));
                acks.push(ack);
            }
            ClientEvent::Lifecycle(l) => lifecycle.push(l),
            _ => {}
        }
    }
    assert_eq!(
        reports,
        vec![
            (Some("one".into()), Some(0), "13800000001".into()),
            (Some("grp".into()), Some(2), "13800000004".into()),
            (None, None, "13800000009".into()),
        ]
    );
    let kinds: Vec<(Option<String>, &str)> = lifecycle
        .iter()
        .map(|l| {
            let k = match l.kind {
                LifecycleKind::Submitted { .. } => "submitted",
                LifecycleKind::Responded { .. } => "responded",
                LifecycleKind::Reported { .. } => "reported",
                _ => "other",
            };
            (l.local_id.as_ref().map(|s| s.to_string()), k)
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Some("one".into()), "submitted"),
            (Some("one".into()), "responded"),
            (Some("grp".into()), "submitted"),
            (Some("grp".into()), "responded"),
            (Some("one".into()), "reported"),
            (Some("grp".into()), "reported"),
            (None, "reported"),
        ]
    );
    // No DELIVER is answered before the application accepts it.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.stats().delivers_acked, 0);
    for ack in &acks {
        assert!(ack.is_pending());
        ack.accept();
        assert!(!ack.is_pending());
    }
    // Every accepted DELIVER is answered.
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.stats().delivers_acked, 3);
    client.close(Duration::from_secs(5)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn login_failures_are_typed() {
    let mut acct = Account::new(SP, SECRET);
    acct.max_connections = 1;
    let (server, _h) = server_with(acct, Version::V20, |n, _| ok_id(n)).await;
    let addr = server.local_addr();
    let e = Client::connect(
        ClientConfig::builder(addr, "900002", SECRET)
            .clock(clock())
            .version(Version::V20)
            .build(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(e, LoginError::IllegalSourceAddress { .. }), "{e}");
    let e = Client::connect(
        ClientConfig::builder(addr, SP, b"wrong".to_vec())
            .clock(clock())
            .version(Version::V20)
            .build(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(e, LoginError::Authentication), "{e}");
    let e = Client::connect(
        ClientConfig::builder(addr, SP, SECRET)
            .clock(clock())
            .version(Version::V30)
            .build(),
    )
    .await
    .err()
    .unwrap();
    assert!(
        matches!(e, LoginError::VersionTooHigh { sent: 0x30 }),
        "{e}"
    );
    let first = Client::connect(
        ClientConfig::builder(addr, SP, SECRET)
            .clock(clock())
            .version(Version::V20)
            .build(),
    )
    .await
    .unwrap();
    let e = Client::connect(
        ClientConfig::builder(addr, SP, SECRET)
            .clock(clock())
            .version(Version::V20)
            .build(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(e, LoginError::TooManyConnections), "{e}");
    assert_eq!(server.handle().stats().logins_failed, 4);
    first.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

/// A raw gateway that answers CONNECT with the given AuthenticatorISMG and then keeps the
/// socket open, recording what it reads.
async fn raw_gateway(
    authenticator: Option<[u8; 16]>,
) -> (SocketAddr, tokio::task::JoinHandle<Vec<Packet>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut seen = Vec::new();
        // Serve up to two logins (to observe a reconnect).
        for _ in 0..2 {
            let Ok((mut s, _)) = listener.accept().await else {
                break;
            };
            let mut buf = BytesMut::new();
            loop {
                let mut chunk = [0u8; 4096];
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                while let Ok(FrameStatus::Complete(len)) = split_frame(&buf, 4096) {
                    let p = decode(buf.split_to(len).freeze(), Version::V30).unwrap();
                    if let Pdu::Connect(c) = &p.pdu {
                        let resp = match authenticator {
                            Some(a) => cmpp_codec::ConnectResp {
                                status: cmpp_codec::ConnectStatus::Ok,
                                authenticator_ismg: a,
                                version: 0x30,
                            },
                            None => cmpp_codec::ConnectResp::for_connect(
                                cmpp_codec::ConnectStatus::Ok,
                                c,
                                SECRET,
                                Version::V30,
                            )
                            .unwrap(),
                        };
                        let mut out = BytesMut::new();
                        encode(&Packet::new(p.sequence_id, resp), Version::V30, &mut out).unwrap();
                        s.write_all(&out).await.unwrap();
                    }
                    seen.push(p);
                }
            }
        }
        seen
    });
    (addr, task)
}

#[tokio::test(start_paused = true)]
async fn ismg_authenticator_verification_on_and_off() {
    let (addr, _t) = raw_gateway(Some([0; 16])).await;
    let e = Client::connect(client_cfg(addr).build())
        .await
        .err()
        .unwrap();
    assert!(matches!(e, LoginError::BadAuthenticatorIsmg(_)), "{e}");
    let (addr, _t) = raw_gateway(Some([0; 16])).await;
    let c = Client::connect(
        client_cfg(addr)
            .accept_zero_ismg_authenticator(true)
            .build(),
    )
    .await;
    assert!(c.is_ok());
    let (addr, _t) = raw_gateway(Some([7; 16])).await;
    let e = Client::connect(
        client_cfg(addr)
            .accept_zero_ismg_authenticator(true)
            .build(),
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(e, LoginError::BadAuthenticatorIsmg(_)), "{e}");
    let (addr, _t) = raw_gateway(Some([7; 16])).await;
    assert!(
        Client::connect(client_cfg(addr).verify_ismg_authenticator(false).build())
            .await
            .is_ok()
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeat_loss_declares_link_dead_and_reconnects() {
    let (addr, task) = raw_gateway(None).await;
    let client = Client::connect(
        client_cfg(addr)
            .heartbeat(Duration::from_secs(30))
            .response_timeout(Duration::from_secs(10))
            .build(),
    )
    .await
    .unwrap();
    let mut events = client.events().unwrap();
    let started = tokio::time::Instant::now();
    let mut downs = 0;
    loop {
        match events.recv().await.unwrap() {
            ClientEvent::LinkDown { reason, .. } => {
                downs += 1;
                assert_eq!(reason, cmpp_session::LinkLoss::SessionEnded, "{reason}");
                // C + N×T after the link came up.
                assert_eq!(started.elapsed(), Duration::from_secs(30 + 3 * 10));
            }
            ClientEvent::LinkUp { .. } if downs == 1 => break,
            _ => {}
        }
    }
    client.close(Duration::ZERO).await;
    let seen = task.await.unwrap();
    let tests: Vec<u32> = seen
        .iter()
        .filter(|p| p.pdu == Pdu::ActiveTest)
        .map(|p| p.sequence_id)
        .collect();
    assert!(tests.len() >= 3);
    assert_eq!(tests[0], tests[1], "resent with the same Sequence_Id");
    assert_eq!(tests[1], tests[2]);
    assert_eq!(
        seen.iter()
            .filter(|p| matches!(p.pdu, Pdu::Connect(_)))
            .count(),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn window_full_waits_for_a_response() {
    let (server, _h) = server_with(Account::new(SP, SECRET), Version::V30, |n, _| {
        SubmitDecision::RespondAfter {
            delay: Duration::from_secs(10),
            msg_id: MsgId::from_u64(u64::from(n)),
            result: 0,
        }
    })
    .await;
    let client = Client::connect(client_cfg(server.local_addr()).window(2).build())
        .await
        .unwrap();
    drop(client.events());
    let t0 = tokio::time::Instant::now();
    let outs = futures::future::join_all(
        (0..3).map(|i| client.submit(req(&format!("w{i}"), &["13800000001"]))),
    )
    .await;
    let mut done: Vec<Duration> = Vec::new();
    for o in outs {
        let o = o.unwrap();
        done.push(
            (o.responded_at - Utc.with_ymd_and_hms(2024, 10, 21, 0, 0, 0).unwrap())
                .to_std()
                .unwrap(),
        );
    }
    done.sort();
    assert_eq!(done[0], Duration::from_secs(10));
    assert_eq!(done[1], Duration::from_secs(10));
    // The third waited for a slot, then its own 10 s.
    assert_eq!(done[2], Duration::from_secs(20));
    assert!(t0.elapsed() >= Duration::from_secs(20));
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn timeout_resends_same_sequence_then_no_response() {
    let (server, h) = server_with(Account::new(SP, SECRET), Version::V30, |_, _| {
        SubmitDecision::Ignore
    })
    .await;
    let client = Client::connect(
        client_cfg(server.local_addr())
            .response_timeout(Duration::from_secs(5))
            .build(),
    )
    .await
    .unwrap();
    drop(client.events());
    let e = client.submit(req("t", &["13800000001"])).await.unwrap_err();
    assert!(
        matches!(
            e,
            SubmitError::NoResponse {
                maybe_accepted: true,
                tries: 3
            }
        ),
        "{e}"
    );
    let seen = h.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| *s == seen[0]));
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn flow_control_backoff_then_success_and_bounded_failure() {
    let (server, _h) = server_with(Account::new(SP, SECRET), Version::V30, |n, s| {
        // "always8" content is always throttled; otherwise the first two tries are.
        if &s.msg_content[..] == b"always8" || n <= 2 {
            SubmitDecision::Respond {
                msg_id: MsgId::from_u64(0),
                result: 8,
            }
        } else {
            ok_id(n)
        }
    })
    .await;
    let client = Client::connect(
        client_cfg(server.local_addr())
            .flow_control_max_resends(3)
            .build(),
    )
    .await
    .unwrap();
    drop(client.events());
    let out = client.submit(req("fc", &["13800000001"])).await.unwrap();
    assert_eq!(out.result, SubmitResult::Ok);
    assert_eq!(out.tries, 3);
    let always = SubmitRequest::message(
        "fc2",
        &["13800000001"],
        Bytes::from_static(b"always8"),
        MsgFmt::Ascii,
    )
    .unwrap();
    let e = client.submit(always).await.unwrap_err();
    assert!(matches!(e, SubmitError::FlowControl { tries: 4 }), "{e}");
    assert!(!e.maybe_accepted());
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn dropped_link_with_full_window_resolves_each_request_once() {
    let (server, h) = server_with(Account::new(SP, SECRET), Version::V30, |_, _| {
        SubmitDecision::Ignore
    })
    .await;
    let client = Client::connect(client_cfg(server.local_addr()).window(4).build())
        .await
        .unwrap();
    drop(client.events());
    let handle = server.handle();
    let subs = futures::future::join_all(
        (0..6).map(|i| client.submit(req(&format!("d{i}"), &["13800000001"]))),
    );
    let dropper = async {
        // Wait until the window is full at the gateway, then cut the link.
        while h.seen.lock().unwrap().len() < 4 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        handle.drop_connections(Some(SP));
        // Answer nothing afterwards either; time out requests on the new link quickly.
    };
    let (results, ()) = tokio::join!(subs, dropper);
    let lost = results
        .iter()
        .filter(|r| {
            matches!(
                r,
                Err(SubmitError::LinkLost {
                    maybe_accepted: true
                })
            )
        })
        .count();
    let no_resp = results
        .iter()
        .filter(|r| matches!(r, Err(SubmitError::NoResponse { .. })))
        .count();
    // 4 written on the first link are lost (maybe accepted); the 2 waiting went to the
    // new link and timed out there.
    assert_eq!(lost, 4, "{results:?}");
    assert_eq!(no_resp, 2, "{results:?}");
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn long_user_message_is_reassembled() {
    let (server, _h) = server_with(Account::new(SP, SECRET), Version::V30, |n, _| ok_id(n)).await;
    let client = Client::connect(client_cfg(server.local_addr()).build())
        .await
        .unwrap();
    let mut events = client.events().unwrap();
    let text: String = "长短信".repeat(40);
    let segs = cmpp_codec::long::split_text(
        &text,
        cmpp_codec::text::TextEncoding::Ucs2,
        cmpp_codec::long::UdhRef::Bits8,
        9,
    )
    .unwrap();
    assert!(segs.len() > 1);
    for seg in segs.iter().rev() {
        let d = Deliver {
            msg_id: MsgId::from_u64(u64::from(seg.pk_number)),
            dest_id: OctetString::try_from("1065").unwrap(),
            service_id: OctetString::try_from("svc").unwrap(),
            tp_pid: 0,
            tp_udhi: 0x40,
            msg_fmt: seg.msg_fmt,
            src_terminal_id: OctetString::try_from("13900000000").unwrap(),
            src_terminal_type: 0,
            content: DeliverContent::Message(Bytes::from(seg.content.clone())),
            link_id: OctetString::EMPTY,
        };
        server.handle().deliver(SP, d).unwrap();
    }
    loop {
        if let ClientEvent::UserMessage {
            from,
            to,
            content,
            complete,
            parts,
            ..
        } = events.recv().await.unwrap()
        {
            assert_eq!(from, "13900000000");
            assert_eq!(to, "1065");
            assert!(complete);
            assert_eq!(parts as usize, segs.len());
            assert_eq!(content.as_text(), Some(text.as_str()));
            break;
        }
    }
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn graceful_close_drains_in_flight() {
    let (server, _h) = server_with(Account::new(SP, SECRET), Version::V30, |n, _| {
        SubmitDecision::RespondAfter {
            delay: Duration::from_secs(2),
            msg_id: MsgId::from_u64(u64::from(n)),
            result: 0,
        }
    })
    .await;
    let client = Client::connect(client_cfg(server.local_addr()).build())
        .await
        .unwrap();
    drop(client.events());
    let c2 = client.clone();
    let pending = tokio::spawn(async move { c2.submit(req("drain", &["13800000001"])).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    client.close(Duration::from_secs(10)).await;
    assert!(
        pending.await.unwrap().is_ok(),
        "in-flight request answered before TERMINATE"
    );
    assert!(matches!(
        client.submit(req("late", &["13800000001"])).await,
        Err(SubmitError::Closed)
    ));
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn malformed_and_oversized_frames_close_only_that_connection() {
    let (server, _h) = server_with(Account::new(SP, SECRET), Version::V30, |n, _| ok_id(n)).await;
    let client = Client::connect(client_cfg(server.local_addr()).build())
        .await
        .unwrap();
    drop(client.events());
    // Oversized Total_Length before login.
    let mut bad = TcpStream::connect(server.local_addr()).await.unwrap();
    bad.write_all(&[0xff, 0xff, 0xff, 0xff]).await.unwrap();
    let mut sink = Vec::new();
    assert_eq!(bad.read_to_end(&mut sink).await.unwrap(), 0, "closed");
    // Logged-in peer sending a 16-byte ACTIVE_TEST_RESP declared as 13, then more.
    let mut quirky = TcpStream::connect(server.local_addr()).await.unwrap();
    let connect = cmpp_codec::Connect::new(
        OctetString::try_from(SP).unwrap(),
        SECRET,
        // A second later than the client's login: the same timestamp would be a replay.
        &(clock().now_utc() + chrono::Duration::seconds(1)),
        Version::V30,
    );
    let mut out = BytesMut::new();
    encode(&Packet::new(1, connect), Version::V30, &mut out).unwrap();
    quirky.write_all(&out).await.unwrap();
    let mut resp = [0u8; 33];
    quirky.read_exact(&mut resp).await.unwrap();
    quirky
        .write_all(&[
            0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 2, b'0', b'x', b'0', b'0',
        ])
        .await
        .unwrap();
    quirky
        .write_all(&[0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 3])
        .await
        .unwrap();
    let mut rest = Vec::new();
    let _ = quirky.read_to_end(&mut rest).await;
    // The good client is unaffected.
    let out = client.submit(req("ok", &["13800000001"])).await.unwrap();
    assert_eq!(out.result, SubmitResult::Ok);
    assert!(server.handle().stats().protocol_errors >= 2);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}
