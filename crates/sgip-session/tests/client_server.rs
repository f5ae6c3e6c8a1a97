//! The SP client against the gateway role over loopback: Submit on the MT link, Report and
//! Deliver pushed over the MO link the gateway opens to the client's listener.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use sgip_codec::{Deliver, Pdu, Report, ReportState, ResultCode, SequenceNumber, Submit, Text};
use sgip_session::{
    Accounts, Client, ClientConfig, ClientEvent, PeerInfo, PushError, Server, ServerConfig,
    SubmitDecision, SubmitError, SubmitHandler,
};
use sms_session::Backoff;

/// Answers per a script of Results (then 0), remembering what it saw.
#[derive(Default)]
struct Script {
    results: Mutex<Vec<SubmitDecision>>,
    seen: Mutex<Vec<(SequenceNumber, Submit)>>,
    calls: AtomicU32,
}

impl SubmitHandler for Script {
    fn on_submit(&self, _: &PeerInfo, seq: SequenceNumber, submit: &Submit) -> SubmitDecision {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.seen.lock().unwrap().push((seq, submit.clone()));
        let mut r = self.results.lock().unwrap();
        if r.is_empty() {
            SubmitDecision::Respond(ResultCode::OK)
        } else {
            r.remove(0)
        }
    }
}

fn submit(to: &str) -> Submit {
    Submit {
        sp_number: Text::try_from("10690090").unwrap(),
        user_numbers: vec![Text::try_from(to).unwrap()],
        corp_id: Text::try_from("12345").unwrap(),
        message_content: Bytes::from_static(b"hello"),
        ..Submit::default()
    }
}

fn fast_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
        jitter: 0.0,
        max_attempts: None,
    }
}

/// A free loopback port (released again: the client binds it as its listener).
async fn free_addr() -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

async fn setup(script: Arc<Script>) -> (Server, Client) {
    let sp_addr = free_addr().await;
    let server_cfg = ServerConfig::new(Accounts::new().with("sp1", "pw1"))
        .with_node_id(101_001)
        .with_reconnect(fast_backoff())
        .with_response_timeout(Duration::from_millis(300), 3)
        .with_push(sp_addr, sgip_session::Credentials::new("sp1", "pw1"));
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), server_cfg, script)
        .await
        .unwrap();
    let client_cfg = ClientConfig::new(server.local_addr(), "sp1", "pw1", sp_addr)
        .with_node_id(3_010_012_345)
        .with_reconnect(fast_backoff())
        .with_response_timeout(Duration::from_secs(2), 2);
    let client = Client::connect(client_cfg).await.unwrap();
    assert_eq!(client.listen_addr(), sp_addr);
    (server, client)
}

#[tokio::test]
async fn submit_report_and_mo_round_trip() {
    let script = Arc::new(Script::default());
    let (server, client) = setup(script.clone()).await;
    let mut events = client.events().unwrap();

    let outcome = client.submit("m-1", submit("8617600000000")).await.unwrap();
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.local_id.as_ref(), "m-1");
    assert_eq!(outcome.sequence.node_id, 3_010_012_345);
    let (gw_seq, gw_submit) = script.seen.lock().unwrap()[0].clone();
    assert_eq!(
        gw_seq, outcome.sequence,
        "the gateway saw the same 12 bytes"
    );
    assert_eq!(gw_submit.user_numbers[0], "8617600000000");

    // The gateway reports on that Submit over the MO link to the client's listener.
    let handle = server.handle();
    let report = Report {
        submit_sequence: outcome.sequence,
        report_type: 0,
        user_number: Text::try_from("8617600000000").unwrap(),
        state: ReportState::Delivered,
        error_code: ResultCode::OK,
        reserve: Text::EMPTY,
    };
    let push = tokio::spawn({
        let handle = handle.clone();
        async move { handle.push(Pdu::Report(report)).await }
    });
    let ev = events.recv().await.unwrap();
    let ClientEvent::Report {
        report: got,
        local_id,
        ack,
    } = ev
    else {
        panic!("{ev:?}")
    };
    assert_eq!(got.submit_sequence, outcome.sequence);
    assert_eq!(local_id.as_deref(), Some("m-1"));
    assert!(!push.is_finished(), "not answered before the ack");
    ack.accept();
    assert_eq!(push.await.unwrap().unwrap(), ResultCode::OK);

    let mo = Deliver {
        user_number: Text::try_from("8617611111111").unwrap(),
        sp_number: Text::try_from("10690090").unwrap(),
        message_coding: 15,
        message_content: Bytes::from_static(b"\xc4\xe3\xba\xc3"),
        ..Deliver::default()
    };
    let push = tokio::spawn({
        let handle = handle.clone();
        async move { handle.push(Pdu::Deliver(mo)).await }
    });
    let ClientEvent::Message { deliver, ack } = events.recv().await.unwrap() else {
        panic!("expected an MO message")
    };
    assert!(matches!(deliver.text(), sgip_codec::coding::Decoded::Text(t) if t == "你好"));
    ack.answer(ResultCode(5));
    assert_eq!(push.await.unwrap().unwrap(), ResultCode(5));
    assert_eq!(client.mo_links(), 1);

    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_unacknowledged_report_is_pushed_again_and_handed_over_again() {
    let script = Arc::new(Script::default());
    let (server, client) = setup(script).await;
    let mut events = client.events().unwrap();
    let outcome = client.submit("m-2", submit("8617600000000")).await.unwrap();
    let report = Report {
        submit_sequence: outcome.sequence,
        report_type: 0,
        user_number: Text::try_from("8617600000000").unwrap(),
        state: ReportState::Failed,
        error_code: ResultCode(25),
        reserve: Text::EMPTY,
    };
    let handle = server.handle();
    let push = tokio::spawn(async move { handle.push(Pdu::Report(report)).await });
    let ClientEvent::Report { ack: first, .. } = events.recv().await.unwrap() else {
        panic!("report")
    };
    // Dropped without an answer: after T the gateway sends it again.
    drop(first);
    let ClientEvent::Report {
        report: again,
        local_id,
        ack,
    } = events.recv().await.unwrap()
    else {
        panic!("report again")
    };
    assert_eq!(again.submit_sequence, outcome.sequence);
    assert_eq!(local_id.as_deref(), Some("m-2"));
    ack.accept();
    assert_eq!(push.await.unwrap().unwrap(), ResultCode::OK);
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_report_sent_again_is_handed_over_once_and_every_copy_is_answered() {
    let script = Arc::new(Script::default());
    let (server, client) = setup(script).await;
    let mut events = client.events().unwrap();
    let outcome = client.submit("m-3", submit("8617600000000")).await.unwrap();
    let report = Report {
        submit_sequence: outcome.sequence,
        report_type: 0,
        user_number: Text::try_from("8617600000000").unwrap(),
        state: ReportState::Delivered,
        error_code: ResultCode(0),
        reserve: Text::EMPTY,
    };
    let handle = server.handle();
    let push = tokio::spawn({
        let handle = handle.clone();
        async move { handle.push(Pdu::Report(report)).await }
    });
    let ClientEvent::Report { ack, .. } = events.recv().await.unwrap() else {
        panic!("report")
    };
    // Held past T (300 ms): the gateway sends copies; none is handed over again.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(events.try_recv().is_err(), "a copy was handed over again");
    ack.accept();
    assert_eq!(push.await.unwrap().unwrap(), ResultCode::OK);
    // The same report pushed afresh (another sequence number): answered at once, not
    // handed over.
    let again = handle.push(Pdu::Report(report)).await.unwrap();
    assert_eq!(again, ResultCode::OK);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        events.try_recv().is_err(),
        "an answered report was handed over again"
    );
    client.close(Duration::from_secs(1)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn refusals_and_throttling_reach_the_caller() {
    let script = Arc::new(Script::default());
    *script.results.lock().unwrap() = vec![
        SubmitDecision::Respond(ResultCode(6)),
        SubmitDecision::Respond(ResultCode(33)),
    ];
    let (server, client) = setup(script.clone()).await;
    let refused = client.submit("bad", submit("8617600000000")).await.unwrap();
    assert_eq!(refused.result, ResultCode(6));
    // Result 33 is flow control: backed off and sent again, then accepted.
    let throttled = client
        .submit("slow", submit("8617600000000"))
        .await
        .unwrap();
    assert!(throttled.result.is_ok());
    assert_eq!(throttled.tries, 2);
    assert_eq!(script.calls.load(Ordering::Relaxed), 3);
    assert!(matches!(
        client
            .submit(
                "none",
                Submit {
                    user_numbers: vec![],
                    ..submit("x")
                }
            )
            .await,
        Err(SubmitError::Invalid(_))
    ));
    client.close(Duration::from_secs(1)).await;
    assert!(matches!(
        client.submit("late", submit("8617600000000")).await,
        Err(SubmitError::Closed)
    ));
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_are_a_permanent_login_error_and_pushes_need_a_listener() {
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::new(Accounts::new().with("sp1", "pw1")).with_push(
            "127.0.0.1:9".parse().unwrap(),
            sgip_session::Credentials::new("sp1", "pw1"),
        ),
        Arc::new(Script::default()),
    )
    .await
    .unwrap();
    let cfg = ClientConfig::new(
        server.local_addr(),
        "sp1",
        "wrong",
        "127.0.0.1:0".parse().unwrap(),
    );
    let err = Client::connect(cfg).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    let report = Report {
        submit_sequence: SequenceNumber::default(),
        report_type: 0,
        user_number: Text::EMPTY,
        state: ReportState::Delivered,
        error_code: ResultCode::OK,
        reserve: Text::EMPTY,
    };
    let err = server.handle().push(Pdu::Report(report)).await.unwrap_err();
    assert!(matches!(err, PushError::Unreachable(_)), "{err}");
    let err = server
        .handle()
        .push(Pdu::Submit(submit("8617600000000")))
        .await
        .unwrap_err();
    assert!(matches!(err, PushError::NotAPush("SUBMIT")), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn close_drains_submits_in_flight_then_unbinds() {
    let script = Arc::new(Script::default());
    *script.results.lock().unwrap() = vec![
        SubmitDecision::RespondAfter {
            delay: Duration::from_millis(200),
            result: ResultCode::OK,
        },
        SubmitDecision::Ignore,
    ];
    let (server, client) = setup(script.clone()).await;
    let client = Arc::new(client);
    let answered = tokio::spawn({
        let c = client.clone();
        async move { c.submit("slow", submit("8617600000000")).await }
    });
    while script.calls.load(Ordering::Relaxed) < 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ignored = tokio::spawn({
        let c = client.clone();
        async move { c.submit("never", submit("8617600000000")).await }
    });
    while script.calls.load(Ordering::Relaxed) < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The drain waits for the late answer, not for the one that never comes.
    client.close(Duration::from_millis(600)).await;
    assert!(answered.await.unwrap().unwrap().result.is_ok());
    let err = ignored.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            SubmitError::LinkLost {
                maybe_accepted: true
            }
        ),
        "{err:?}"
    );
    assert_eq!(client.live_connections(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_push_link_refused_for_good_is_reopened_by_the_next_push() {
    use sgip_codec::Resp;
    use sgip_session::{accept_bind, read_packet, LOGIN_SMG_TO_SP};
    use tokio::io::AsyncWriteExt;

    // A hand-made SP listener: answers one push per link, then hangs up; while `refuse` is
    // set it refuses every Bind.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sp_addr = listener.local_addr().unwrap();
    let refuse = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r = refuse.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let r = r.clone();
            tokio::spawn(async move {
                let accounts = if r.load(Ordering::SeqCst) {
                    Accounts::new()
                } else {
                    Accounts::new().with("smg", "pw")
                };
                let wait = Duration::from_secs(2);
                if accept_bind(&mut s, &accounts, LOGIN_SMG_TO_SP, wait)
                    .await
                    .is_err()
                {
                    return;
                }
                let p = read_packet(&mut s, 2048).await.unwrap();
                // From now on, Binds are refused (Result 1: permanent for the gateway).
                r.store(true, Ordering::SeqCst);
                let answer = sgip_codec::Packet::new(p.sequence, Pdu::ReportResp(Resp::default()));
                s.write_all(&answer.to_bytes().unwrap()).await.unwrap();
            });
        }
    });
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::new(Accounts::new())
            .with_reconnect(fast_backoff())
            .with_push(sp_addr, sgip_session::Credentials::new("smg", "pw")),
        Arc::new(Script::default()),
    )
    .await
    .unwrap();
    let report = Report {
        submit_sequence: SequenceNumber::default(),
        report_type: 0,
        user_number: Text::EMPTY,
        state: ReportState::Delivered,
        error_code: ResultCode::OK,
        reserve: Text::EMPTY,
    };
    let handle = server.handle();
    assert_eq!(
        handle.push(Pdu::Report(report)).await.unwrap(),
        ResultCode::OK
    );
    // The SP hung up and refuses the reconnect for good: the push link gives up.
    let err = handle.push(Pdu::Report(report)).await.unwrap_err();
    assert!(
        matches!(err, PushError::Closed | PushError::LinkLost { .. }),
        "{err:?}"
    );
    // Once the SP accepts again, the next push opens a new link.
    refuse.store(false, Ordering::SeqCst);
    assert_eq!(
        handle.push(Pdu::Report(report)).await.unwrap(),
        ResultCode::OK
    );
    server.shutdown().await;
}
