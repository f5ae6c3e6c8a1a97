//! The SMGP client against the SMGP gateway role over loopback TCP: submits and their
//! answers, reports matched to their submit and answered only after the application
//! accepts them, MO messages, login modes, re-pushes after T and after a dropped link,
//! Query, and the closing drain.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use smgp_codec::{Deliver, MsgId, Query, QueryResp, Stat, Status, StatusReport, Submit, Text};
use smgp_session::login::LoginMode;
use smgp_session::{
    Account, Accounts, Client, ClientConfig, ClientEvent, ConnInfo, Handler, LoginError, Server,
    ServerConfig, ServerHandle, SpLoginConfig, SubmitDecision, SubmitError,
};
use sms_session::link::{Events, PoolConfig};
use sms_session::{Backoff, SessionConfig};

const SP: &str = "12345678";

#[derive(Default)]
struct TestHandler {
    next: Mutex<u32>,
    script: Mutex<VecDeque<SubmitDecision>>,
    submits: Mutex<Vec<Submit>>,
    answered: Mutex<Vec<(MsgId, Status)>>,
}

fn bcd_id(n: u32) -> MsgId {
    let t = Utc.with_ymd_and_hms(2026, 12, 4, 10, 30, 0).unwrap();
    MsgId::from_parts(10061, t, n).unwrap()
}

impl Handler for TestHandler {
    fn on_submit(&self, _conn: &ConnInfo, submit: &Submit) -> SubmitDecision {
        self.submits.lock().unwrap().push(submit.clone());
        if let Some(d) = self.script.lock().unwrap().pop_front() {
            return d;
        }
        let mut next = self.next.lock().unwrap();
        *next += 1;
        SubmitDecision::Respond {
            msg_id: bcd_id(*next * 100),
            status: Status::OK,
        }
    }

    fn on_query(&self, _conn: &ConnInfo, query: &Query) -> QueryResp {
        QueryResp {
            query_time: query.query_time,
            mt_total: self.submits.lock().unwrap().len() as u32,
            ..QueryResp::default()
        }
    }

    fn on_push_answered(&self, _conn: &ConnInfo, deliver: &Deliver, status: Status) {
        self.answered.lock().unwrap().push((deliver.msg_id, status));
    }
}

fn session() -> SessionConfig {
    SessionConfig::default()
        .with_response_timeout(Duration::from_secs(2))
        .with_max_tries(3)
        .with_heartbeat(Duration::from_secs(30))
        .with_flow_control(3, Duration::from_millis(100), Duration::from_secs(1))
}

async fn gateway(handler: Arc<TestHandler>) -> (Server, ServerHandle, SocketAddr) {
    let accounts: Accounts = [Account::new(SP, "secret")].into_iter().collect();
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default()
            .with_session(session())
            .with_drain(Duration::from_secs(1)),
        accounts,
        handler,
    )
    .await
    .unwrap();
    let handle = server.handle();
    let addr = server.local_addr();
    (server, handle, addr)
}

fn config(addr: SocketAddr) -> ClientConfig {
    ClientConfig::new(addr, SP, "secret")
        .with_session(session())
        .with_pool(PoolConfig::default().with_reconnect(Some(Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
            jitter: 0.0,
            max_attempts: None,
        })))
}

fn submit_to(dests: &[&str]) -> Submit {
    Submit {
        need_report: 1,
        src_term_id: Text::new(b"1069000").unwrap(),
        dest_term_ids: dests
            .iter()
            .map(|d| Text::new(d.as_bytes()).unwrap())
            .collect(),
        msg_content: Bytes::from_static(b"code 1234"),
        ..Submit::default()
    }
}

fn report(own: u8, reported: MsgId, stat: &str) -> Deliver {
    let content = StatusReport {
        id: reported,
        stat: Stat(Text::new(stat.as_bytes()).unwrap()),
        err: Text::new(b"000").unwrap(),
        ..StatusReport::default()
    }
    .to_content();
    Deliver {
        msg_id: MsgId([own; 10]),
        is_report: 1,
        msg_content: Bytes::from(content),
        ..Deliver::default()
    }
}

fn mo(own: u8, text: &'static [u8]) -> Deliver {
    Deliver {
        msg_id: MsgId([own; 10]),
        src_term_id: Text::new(b"17611111111").unwrap(),
        dest_term_id: Text::new(b"1069000").unwrap(),
        msg_content: Bytes::from_static(text),
        ..Deliver::default()
    }
}

/// The next report or MO message (link changes skipped).
async fn next_inbound(events: &mut Events<ClientEvent>) -> ClientEvent {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .expect("an event in time")
            .expect("the stream is open");
        if !matches!(
            ev,
            ClientEvent::LinkUp { .. } | ClientEvent::LinkDown { .. }
        ) {
            return ev;
        }
    }
}

async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not reached");
}

#[tokio::test]
async fn submit_gets_its_msg_id_and_the_report_matches_it_and_is_answered_after_accept() {
    let handler = Arc::new(TestHandler::default());
    let (server, handle, addr) = gateway(handler.clone()).await;
    let client = Client::connect(config(addr)).await.unwrap();
    let mut events = client.events().unwrap();
    let out = client
        .submit("m1", submit_to(&["17600000000"]))
        .await
        .unwrap();
    assert_eq!(out.status, Status::OK);
    assert_eq!(out.msg_id, bcd_id(100));
    assert_eq!(&*out.local_id, "m1");
    assert_eq!(out.tries, 1);
    assert_eq!(
        handler.submits.lock().unwrap()[0],
        submit_to(&["17600000000"])
    );

    handle
        .deliver(SP, report(9, out.msg_id, "DELIVRD"))
        .unwrap();
    let ClientEvent::Report {
        report,
        local_id,
        recipient,
        deliver,
        ack,
        ..
    } = next_inbound(&mut events).await
    else {
        panic!("not a report");
    };
    assert_eq!(report.id, out.msg_id);
    assert!(report.stat.is_delivered());
    assert_eq!(local_id.as_deref(), Some("m1"), "matched to its submit");
    assert_eq!(recipient, 0);
    assert_eq!(deliver.msg_id, MsgId([9; 10]));
    // Not answered before the application accepts it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(handle.stats().pushes_answered, 0);
    assert!(ack.is_pending());
    ack.accept();
    until(|| handle.stats().pushes_answered == 1).await;
    assert_eq!(
        *handler.answered.lock().unwrap(),
        vec![(MsgId([9; 10]), Status::OK)]
    );
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_unaccepted_report_comes_again_after_t_and_one_accept_answers_it() {
    let handler = Arc::new(TestHandler::default());
    let (server, handle, addr) = gateway(handler.clone()).await;
    let client = Client::connect(config(addr)).await.unwrap();
    let mut events = client.events().unwrap();
    handle.deliver(SP, report(4, bcd_id(7), "EXPIRED")).unwrap();
    let ClientEvent::Report { ack: first, .. } = next_inbound(&mut events).await else {
        panic!("not a report");
    };
    // Dropped without an answer: the gateway sends it again after T (same SequenceID).
    drop(first);
    let ClientEvent::Report {
        report,
        ack,
        local_id,
        ..
    } = next_inbound(&mut events).await
    else {
        panic!("not a report");
    };
    assert_eq!(report.id, bcd_id(7));
    assert_eq!(local_id, None, "no submit of this client has that id");
    assert_eq!(handle.stats().pushes_answered, 0);
    ack.accept();
    until(|| handle.stats().pushes_answered == 1).await;
    assert_eq!(handle.stats().pushes_requeued, 0);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn group_send_reports_match_each_recipient() {
    let handler = Arc::new(TestHandler::default());
    let (server, handle, addr) = gateway(handler).await;
    let client = Client::connect(config(addr)).await.unwrap();
    let mut events = client.events().unwrap();
    let out = client
        .submit(
            "g",
            submit_to(&["17600000000", "17600000001", "17600000002"]),
        )
        .await
        .unwrap();
    for k in [2u32, 0, 1] {
        let id = out.msg_id.nth_recipient(k).unwrap();
        handle.deliver(SP, report(k as u8, id, "DELIVRD")).unwrap();
        let ClientEvent::Report {
            local_id,
            recipient,
            ack,
            ..
        } = next_inbound(&mut events).await
        else {
            panic!("not a report");
        };
        assert_eq!(local_id.as_deref(), Some("g"));
        assert_eq!(recipient, k);
        ack.accept();
    }
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn busy_is_retried_refusals_are_final_and_silence_ends_in_no_response() {
    let handler = Arc::new(TestHandler::default());
    handler.script.lock().unwrap().extend([
        SubmitDecision::Respond {
            msg_id: MsgId::default(),
            status: Status(1),
        },
        SubmitDecision::Respond {
            msg_id: bcd_id(1),
            status: Status::OK,
        },
        SubmitDecision::Respond {
            msg_id: MsgId::default(),
            status: Status(75),
        },
        SubmitDecision::Ignore,
        SubmitDecision::Ignore,
        SubmitDecision::Ignore,
    ]);
    let (server, _handle, addr) = gateway(handler.clone()).await;
    let client = Client::connect(config(addr)).await.unwrap();
    let out = client
        .submit("a", submit_to(&["17600000000"]))
        .await
        .unwrap();
    assert_eq!((out.status, out.tries), (Status::OK, 2), "status 1 re-sent");
    let out = client
        .submit("b", submit_to(&["17600000000"]))
        .await
        .unwrap();
    assert_eq!(out.status, Status(75), "quota: final, not re-sent");
    assert_eq!(out.tries, 1);
    let err = client
        .submit("c", submit_to(&["17600000000"]))
        .await
        .unwrap_err();
    assert_eq!(err, SubmitError::NoResponse { tries: 3 });
    assert!(err.maybe_accepted());
    assert_eq!(handler.submits.lock().unwrap().len(), 6);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn query_and_a_late_answer_drained_on_close() {
    let handler = Arc::new(TestHandler::default());
    let (server, handle, addr) = gateway(handler.clone()).await;
    let client = Client::connect(config(addr)).await.unwrap();
    client
        .submit("a", submit_to(&["17600000000"]))
        .await
        .unwrap();
    let q = Query {
        query_time: Text::new(b"20261204").unwrap(),
        query_type: 0,
        query_code: Text::EMPTY,
    };
    let resp = client.query(q).await.unwrap();
    assert_eq!(resp.mt_total, 1);
    assert_eq!(resp.query_time, q.query_time);
    // A slow answer is still waited for by close (drain), then Exit.
    handler
        .script
        .lock()
        .unwrap()
        .push_back(SubmitDecision::RespondAfter {
            delay: Duration::from_millis(300),
            msg_id: bcd_id(5),
            status: Status::OK,
        });
    let c2 = client.clone();
    let pending = tokio::spawn(async move { c2.submit("late", submit_to(&["17600000000"])).await });
    until(|| handler.submits.lock().unwrap().len() == 2).await;
    client.close(Duration::from_secs(5)).await;
    let out = pending.await.unwrap().unwrap();
    assert_eq!(out.msg_id, bcd_id(5));
    until(|| handle.connections(None) == 0).await;
    assert_eq!(
        client.submit("x", submit_to(&["1"])).await.unwrap_err(),
        SubmitError::Closed
    );
    server.shutdown().await;
}

#[tokio::test]
async fn login_modes_decide_what_a_link_carries() {
    let handler = Arc::new(TestHandler::default());
    let (server, handle, addr) = gateway(handler.clone()).await;
    // Receive mode: no Submit, MO messages arrive.
    let rx = Client::connect(
        config(addr).with_login(SpLoginConfig::new(SP, "secret").with_mode(LoginMode::Receive)),
    )
    .await
    .unwrap();
    let mut events = rx.events().unwrap();
    assert_eq!(
        rx.submit("no", submit_to(&["1"])).await.unwrap_err(),
        SubmitError::ReceiveOnly
    );
    handle.deliver(SP, mo(1, b"TD")).unwrap();
    let ClientEvent::Message { deliver, ack, .. } = next_inbound(&mut events).await else {
        panic!("not an MO message");
    };
    assert_eq!(&deliver.msg_content[..], b"TD");
    assert_eq!(deliver.src_term_id.as_bytes(), b"17611111111");
    ack.accept();
    until(|| handle.stats().pushes_answered == 1).await;
    rx.close(Duration::from_secs(1)).await;
    until(|| handle.connections(None) == 0).await;

    // Send mode: submits work, pushes wait for a receiving link.
    let tx = Client::connect(
        config(addr).with_login(SpLoginConfig::new(SP, "secret").with_mode(LoginMode::Send)),
    )
    .await
    .unwrap();
    let infos = handle.connection_infos(Some(SP));
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].mode, LoginMode::Send);
    tx.submit("s", submit_to(&["17600000000"])).await.unwrap();
    handle.deliver(SP, mo(2, b"hi")).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(handle.pending(SP), 1, "not pushed on a send-mode link");
    tx.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn refused_login_is_permanent_for_connect() {
    let (server, handle, addr) = gateway(Arc::new(TestHandler::default())).await;
    let err = Client::connect(ClientConfig::new(addr, SP, "wrong").with_session(session()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginError::Authentication { status: 21, .. }),
        "{err:?}"
    );
    until(|| handle.stats().refused_logins == 1).await;
    assert_eq!(handle.stats().logins, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_dropped_link_is_reconnected_and_the_held_ack_answers_the_copy() {
    let handler = Arc::new(TestHandler::default());
    let (server, handle, addr) = gateway(handler).await;
    let client = Client::connect(config(addr)).await.unwrap();
    let mut events = client.events().unwrap();
    handle.deliver(SP, mo(3, b"first")).unwrap();
    let ClientEvent::Message { ack: held, .. } = next_inbound(&mut events).await else {
        panic!("not an MO message");
    };
    // The gateway drops the link before the SP answered; the push goes back to its outbox.
    handle.drop_connections(Some(SP));
    let (mut down, mut up) = (false, false);
    while !(down && up) {
        match tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .unwrap()
            .unwrap()
        {
            ClientEvent::LinkDown { .. } => down = true,
            ClientEvent::LinkUp { .. } => up = down,
            ev => panic!("unexpected {ev:?}"),
        }
    }
    // The copy pushed on the new link is not handed over twice while the first is held.
    until(|| client.duplicates() == 1).await;
    assert!(handle.stats().pushes_requeued >= 1);
    assert_eq!(handle.stats().pushes_answered, 0);
    assert!(events.try_recv().is_none());
    // One accept answers it on the link it is waiting on.
    held.accept();
    until(|| handle.stats().pushes_answered == 1).await;
    // A copy of an accepted Deliver is answered at once, without an event.
    handle.deliver(SP, mo(3, b"first")).unwrap();
    until(|| handle.stats().pushes_answered == 2).await;
    assert_eq!(client.duplicates(), 2);
    assert!(events.try_recv().is_none());
    // Another message under the same MsgID is another message.
    handle.deliver(SP, mo(3, b"other")).unwrap();
    let ClientEvent::Message { deliver, ack, .. } = next_inbound(&mut events).await else {
        panic!("not an MO message");
    };
    assert_eq!(&deliver.msg_content[..], b"other");
    ack.accept();
    assert_eq!(client.live_connections(), 1);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_deliver_answered_busy_comes_again_and_is_handed_over_again() {
    let handler = Arc::new(TestHandler::default());
    let (server, handle, addr) = gateway(handler.clone()).await;
    let client = Client::connect(config(addr)).await.unwrap();
    let mut events = client.events().unwrap();
    handle.deliver(SP, mo(5, b"later")).unwrap();
    let ClientEvent::Message { ack, .. } = next_inbound(&mut events).await else {
        panic!("not an MO message");
    };
    // Status 1: the SP cannot take it now; the gateway backs off and pushes it again.
    ack.answer(Status(1));
    let ClientEvent::Message { deliver, ack, .. } = next_inbound(&mut events).await else {
        panic!("not an MO message");
    };
    assert_eq!(&deliver.msg_content[..], b"later");
    ack.accept();
    until(|| handle.stats().pushes_answered == 1).await;
    assert_eq!(
        *handler.answered.lock().unwrap(),
        vec![(MsgId([5; 10]), Status::OK)]
    );
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_2_0_account_speaks_the_2_0_layout() {
    let handler = Arc::new(TestHandler::default());
    let accounts: Accounts = [Account::new("sp20", "pw").with_version(smgp_codec::Version::V20)]
        .into_iter()
        .collect();
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default().with_session(session()),
        accounts,
        handler.clone(),
    )
    .await
    .unwrap();
    let cfg = ClientConfig::new(server.local_addr(), "sp20", "pw")
        .with_session(session())
        .with_login(SpLoginConfig::new("sp20", "pw").with_version(smgp_codec::Version::V20));
    let client = Client::connect(cfg).await.unwrap();
    let out = client
        .submit("v2", submit_to(&["17600000000"]))
        .await
        .unwrap();
    assert!(out.status.is_ok());
    // The gateway read the 2.0 body (FixedFee, no TLVs) exactly.
    assert_eq!(
        handler.submits.lock().unwrap()[0],
        submit_to(&["17600000000"])
    );
    // 2.0 has no TLV section: refused before anything is sent.
    let mut with_tlv = submit_to(&["17600000000"]);
    with_tlv.tlvs.set(smgp_codec::tlv::tag::TP_UDHI, vec![1u8]);
    assert!(matches!(
        client.submit("tlv", with_tlv).await,
        Err(SubmitError::Encode(
            smgp_codec::EncodeError::TlvsNotInVersion { .. }
        ))
    ));
    assert_eq!(handler.submits.lock().unwrap().len(), 1);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_closes_logged_in_links_and_does_not_wait_for_a_silent_one() {
    let (server, handle, addr) = gateway(Arc::new(TestHandler::default())).await;
    let client =
        Client::connect(config(addr).with_pool(PoolConfig::default().with_reconnect(None)))
            .await
            .unwrap();
    let mut events = client.events().unwrap();
    // Connected, never logs in (the login timeout is 10 s).
    let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    until(|| handle.connections(None) == 1).await;
    let started = tokio::time::Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // The logged-in link was ended by the gateway's Exit.
    loop {
        match tokio::time::timeout(Duration::from_secs(30), events.recv())
            .await
            .unwrap()
            .unwrap()
        {
            ClientEvent::LinkDown { reason, .. } => {
                assert_eq!(reason, sms_session::link::LinkLoss::SessionEnded);
                break;
            }
            ClientEvent::LinkUp { .. } => {}
            ev => panic!("unexpected {ev:?}"),
        }
    }
    assert_eq!(client.live_connections(), 0);
    client.close(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_outbox_is_bounded_and_only_for_known_accounts() {
    let accounts: Accounts = [Account::new(SP, "secret")].into_iter().collect();
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default().with_outbox_capacity(2),
        accounts,
        Arc::new(TestHandler::default()),
    )
    .await
    .unwrap();
    let handle = server.handle();
    // Nobody is connected: pushes wait.
    handle.deliver(SP, mo(1, b"a")).unwrap();
    handle.deliver(SP, mo(2, b"b")).unwrap();
    assert_eq!(
        handle.deliver(SP, mo(3, b"c")),
        Err(smgp_session::DeliverError::QueueFull {
            client_id: SP.into(),
            capacity: 2
        })
    );
    assert_eq!(
        handle.deliver("nobody", mo(4, b"d")),
        Err(smgp_session::DeliverError::UnknownAccount("nobody".into()))
    );
    assert_eq!(handle.pending(SP), 2);
    // They go out once the SP logs in, in order.
    let client = Client::connect(config(server.local_addr())).await.unwrap();
    let mut events = client.events().unwrap();
    for want in [&b"a"[..], b"b"] {
        let ClientEvent::Message { deliver, ack, .. } = next_inbound(&mut events).await else {
            panic!("not an MO message");
        };
        assert_eq!(&deliver.msg_content[..], want);
        ack.accept();
    }
    until(|| handle.stats().pushes_answered == 2).await;
    assert_eq!(handle.pending(SP), 0);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
    assert_eq!(
        handle.deliver(SP, mo(5, b"e")),
        Err(smgp_session::DeliverError::ShuttingDown)
    );
}

#[tokio::test(start_paused = true)]
async fn lifecycle_events_are_queued_before_the_caller_hears() {
    use smgp_session::client::LifecycleKind;
    use sms_session::ResendReason;
    let handler = Arc::new(TestHandler::default());
    handler.script.lock().unwrap().extend([
        SubmitDecision::Respond {
            msg_id: MsgId::default(),
            status: Status(1),
        },
        SubmitDecision::Respond {
            msg_id: bcd_id(1),
            status: Status::OK,
        },
        SubmitDecision::Ignore,
        SubmitDecision::Ignore,
        SubmitDecision::Ignore,
    ]);
    let (server, _handle, addr) = gateway(handler).await;
    let client = Client::connect(config(addr).with_lifecycle_events(true))
        .await
        .unwrap();
    let mut events = client.events().unwrap();
    let mut lifecycle = move || {
        let mut out = Vec::new();
        while let Some(ev) = events.try_recv() {
            if let ClientEvent::Lifecycle { local_id, kind, .. } = ev {
                out.push((local_id.to_string(), kind));
            }
        }
        out
    };
    let out = client
        .submit("a", submit_to(&["17600000000"]))
        .await
        .unwrap();
    assert_eq!(out.tries, 2);
    let a = |kind| ("a".to_string(), kind);
    assert_eq!(
        lifecycle(),
        vec![
            a(LifecycleKind::Submitted { recipients: 1 }),
            a(LifecycleKind::Resent {
                attempt: 2,
                reason: ResendReason::FlowControl
            }),
            a(LifecycleKind::Responded {
                msg_id: bcd_id(1),
                status: Status::OK
            }),
        ]
    );
    let err = client
        .submit("b", submit_to(&["17600000000"]))
        .await
        .unwrap_err();
    let b = |kind| ("b".to_string(), kind);
    assert_eq!(
        lifecycle(),
        vec![
            b(LifecycleKind::Submitted { recipients: 1 }),
            b(LifecycleKind::Resent {
                attempt: 2,
                reason: ResendReason::Timeout
            }),
            b(LifecycleKind::Resent {
                attempt: 3,
                reason: ResendReason::Timeout
            }),
            b(LifecycleKind::Failed {
                reason: err.to_string(),
                maybe_accepted: true
            }),
        ]
    );
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}
