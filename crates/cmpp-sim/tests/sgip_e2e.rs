//! The SGIP client of sgip-session against the SGIP simulator over loopback: Submits on the
//! MT link, status reports and MO messages pushed by the simulator over the MO link it opens
//! to the client's listener — and nothing lost when both links are cut mid-run.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cmpp_sim::sgip::Running;
use cmpp_sim::SimProfile;
use sgip_codec::pdu::submit::REPORT_ON_FAILURE;
use sgip_codec::{ReportState, ResultCode, SequenceNumber, Submit, Text};
use sgip_session::{
    Accounts, Backoff, Client, ClientConfig, ClientEvent, Credentials, ServerConfig, SubmitError,
    SubmitOutcome,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const SP_NODE: u32 = 3_010_012_345;

fn fast_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
        jitter: 0.0,
        max_attempts: None,
    }
}

async fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

/// A TCP relay whose connections can be cut (both sockets dropped) at any moment.
struct Relay {
    addr: SocketAddr,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Relay {
    async fn to(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let c = conns.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                c.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut out) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                }));
            }
        });
        Relay {
            addr,
            conns,
            accept,
        }
    }

    /// Cuts every relayed connection; returns how many were live.
    fn cut(&self) -> usize {
        let mut conns = self.conns.lock().unwrap();
        let live = conns.iter().filter(|h| !h.is_finished()).count();
        for h in conns.drain(..) {
            h.abort();
        }
        live
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

/// Waits (up to 2 s) for `cond`: the simulator counts an answered push when the SP's
/// answer arrives, a moment after the client's ack.
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}");
}

fn submit(to: &str, report_flag: u8) -> Submit {
    Submit {
        sp_number: Text::try_from("10690090").unwrap(),
        user_numbers: vec![Text::try_from(to).unwrap()],
        corp_id: Text::try_from("12345").unwrap(),
        message_content: Bytes::from_static(b"hello sgip"),
        report_flag,
        ..Submit::default()
    }
}

/// The simulator (pushing to `deliver_to`) and its address.
async fn simulator(profile: &SimProfile, deliver_to: SocketAddr) -> Running {
    let config = ServerConfig::new(Accounts::new().with("sp1", "pw1"))
        .with_node_id(101_001)
        .with_reconnect(fast_backoff())
        .with_response_timeout(Duration::from_millis(400), 3)
        .with_push(deliver_to, Credentials::new("sp1", "pw1"));
    Running::bind("127.0.0.1:0".parse().unwrap(), config, profile)
        .await
        .unwrap()
}

async fn client(gateway: SocketAddr, listen: SocketAddr, window: usize) -> Client {
    let cfg = ClientConfig::new(gateway, "sp1", "pw1", listen)
        .with_node_id(SP_NODE)
        .with_window(window)
        .with_reconnect(fast_backoff())
        .with_response_timeout(Duration::from_secs(2), 2);
    Client::connect(cfg).await.unwrap()
}

#[tokio::test]
async fn client_and_simulator_exchange_submits_reports_and_mo() {
    // One Submit in four refused with CMPP's 13 (→ SGIP 6, illegal number), one MO message
    // every 100 ms.
    let profile = SimProfile::from_toml(
        "seed = 7\n\
         [submit]\nresults = [{ code = 0, weight = 3.0 }, { code = 13, weight = 1.0 }]\n\
         [mo]\ninterval_ms = 100\n",
    )
    .unwrap();
    let sp_addr = free_addr().await;
    let run = simulator(&profile, sp_addr).await;
    let client = client(run.local_addr(), sp_addr, 8).await;
    let mut events = client.events().unwrap();

    let mut accepted: HashMap<SequenceNumber, String> = HashMap::new();
    let mut refused = 0;
    for i in 0..20 {
        let out = client
            .submit(&format!("m{i}"), submit("8617600000000", 1))
            .await
            .unwrap();
        assert_eq!(out.sequence.node_id, SP_NODE);
        match out.result.0 {
            0 => {
                accepted.insert(out.sequence, out.local_id.to_string());
            }
            6 => refused += 1,
            other => panic!("unexpected Result {other}"),
        }
    }
    assert!(refused > 0 && !accepted.is_empty(), "{refused} refused");
    // Delivered, so ReportFlag 0 (failures only) gets no report.
    let quiet = client
        .submit("quiet", submit("8617600000000", REPORT_ON_FAILURE))
        .await
        .unwrap();
    assert!(quiet.result.is_ok());

    let mut reported: HashMap<SequenceNumber, String> = HashMap::new();
    let mut mo = 0;
    let collect = async {
        while reported.len() < accepted.len() || mo < 2 {
            match events.recv().await.unwrap() {
                ClientEvent::Report {
                    report,
                    local_id,
                    ack,
                } => {
                    assert_eq!(report.state, ReportState::Delivered);
                    assert_eq!(report.user_number, "8617600000000");
                    reported.insert(report.submit_sequence, local_id.unwrap().to_string());
                    ack.accept();
                }
                ClientEvent::Message { deliver, ack } => {
                    assert_eq!(deliver.user_number, "8613800138000");
                    assert_eq!(deliver.sp_number, "1064899");
                    mo += 1;
                    ack.accept();
                }
                other => panic!("{other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), collect)
        .await
        .expect("every report and two MO messages arrive");
    // Each report names its Submit by the 12 bytes the Submit carried, and the client
    // named the caller's id for it.
    assert_eq!(reported, accepted);
    assert!(!reported.contains_key(&quiet.sequence));

    eventually("every acked report counted", || {
        run.stats().reports_delivered() == accepted.len() as u64
    })
    .await;
    let s = run.stats();
    assert_eq!(s.submits, 21);
    assert_eq!(s.by_result.get(&13).copied(), Some(refused));
    assert_eq!(s.reports_delivered(), accepted.len() as u64);
    assert_eq!(s.reports_lost, 0);
    assert!(s.mo_sent >= 2);
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}

#[tokio::test]
async fn nothing_is_lost_across_dropped_links() {
    // Every Submit_Resp comes 400 ms late, so that the cut catches Submits in flight.
    let profile = SimProfile::from_toml(
        "seed = 3\n[mo]\ninterval_ms = 50\n[faults.late]\nevery = 1\ndelay_ms = 400\n",
    )
    .unwrap();
    let sp_addr = free_addr().await;
    // Both links go through relays that the test cuts: SP → relay → SMG (MT) and
    // SMG → relay → SP listener (MO).
    let mo_relay = Relay::to(sp_addr).await;
    let run = simulator(&profile, mo_relay.addr).await;
    let mt_relay = Relay::to(run.local_addr()).await;
    let client = Arc::new(client(mt_relay.addr, sp_addr, 8).await);
    let mut events = client.events().unwrap();

    const N: usize = 40;
    let mut submits = Vec::new();
    for i in 0..N {
        let c = client.clone();
        submits.push(tokio::spawn(async move {
            c.submit(&format!("m{i}"), submit("8617600000000", 1)).await
        }));
    }

    // Hold the first report without acknowledging it: nothing may be answered yet.
    let (first_seq, first) = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let ClientEvent::Report { report, ack, .. } = events.recv().await.unwrap() {
                break (report.submit_sequence, ack);
            }
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        run.stats().reports_delivered(),
        0,
        "no report is answered before the application accepts it"
    );

    // Cut both links mid-run (Submits still in flight, reports unanswered).
    let cut = mt_relay.cut() + mo_relay.cut();
    assert!(cut >= 2, "both links were up ({cut})");
    drop(first);

    let mut outcomes: Vec<Result<SubmitOutcome, SubmitError>> = Vec::new();
    for s in submits {
        outcomes.push(s.await.expect("every submit ends in exactly one outcome"));
    }
    assert_eq!(outcomes.len(), N);
    let mut must_report = HashSet::new();
    for o in &outcomes {
        match o {
            Ok(out) => {
                assert_eq!(out.result, ResultCode::OK);
                must_report.insert(out.sequence);
            }
            // Cut while in flight (written, unanswered): the caller is told it may have been
            // accepted; its report still comes if the SMG took it.
            Err(e) => assert!(e.maybe_accepted(), "{e}"),
        }
    }
    assert!(must_report.len() >= N / 2, "{} accepted", must_report.len());

    // Every report arrives at least once (again after the cut if it was not answered) and
    // is answered only by an ack; MO traffic keeps coming over the new MO link.
    let mut reported: HashMap<SequenceNumber, u32> = HashMap::new();
    let mut mo_after_cut = 0;
    let accepted_by_sim = || run.stats().accepted as usize;
    let collect = async {
        while reported.len() < accepted_by_sim()
            || mo_after_cut < 2
            || run.sim.pending_reports() > 0
        {
            let Ok(Some(ev)) =
                tokio::time::timeout(Duration::from_millis(500), events.recv()).await
            else {
                continue;
            };
            match ev {
                ClientEvent::Report { report, ack, .. } => {
                    *reported.entry(report.submit_sequence).or_default() += 1;
                    ack.accept();
                }
                ClientEvent::Message { ack, .. } => {
                    mo_after_cut += 1;
                    ack.accept();
                }
                other => panic!("{other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect)
        .await
        .expect("every accepted Submit is reported after the cut");
    for seq in &must_report {
        assert!(reported.contains_key(seq), "no report for {seq}");
    }
    assert!(
        reported.contains_key(&first_seq),
        "the report held unanswered at the cut came again"
    );
    let cut_in_flight = outcomes.iter().filter(|o| o.is_err()).count();
    assert!(cut_in_flight > 0, "the cut caught Submits in flight");
    eventually("each acked report counted", || {
        let s = run.stats();
        s.reports_delivered() == s.accepted
    })
    .await;
    let s = run.stats();
    assert_eq!(
        s.accepted as usize,
        reported.len(),
        "one report per accepted Submit"
    );
    assert_eq!(s.reports_lost, 0);
    assert_eq!(
        s.reports_delivered(),
        s.accepted,
        "each report answered (by an ack) and counted once"
    );
    assert!(client.live_connections() == 1 && client.mo_links() >= 1);
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}

#[tokio::test]
async fn the_drop_link_fault_costs_one_submit_and_the_client_reconnects() {
    let profile = SimProfile::from_toml("[faults]\ndrop_link_every = 3\n").unwrap();
    let sp_addr = free_addr().await;
    let run = simulator(&profile, sp_addr).await;
    let client = client(run.local_addr(), sp_addr, 1).await;
    let mut results = Vec::new();
    for i in 0..7 {
        results.push(
            client
                .submit(&format!("m{i}"), submit("8617600000000", 2))
                .await,
        );
    }
    for (i, r) in results.iter().enumerate() {
        if (i + 1) % 3 == 0 {
            // The SMG closed the link without answering: possibly accepted, not re-sent.
            assert!(
                matches!(
                    r,
                    Err(SubmitError::LinkLost {
                        maybe_accepted: true
                    })
                ),
                "submit {i}: {r:?}"
            );
        } else {
            assert_eq!(r.as_ref().unwrap().result, ResultCode::OK, "submit {i}");
        }
    }
    let s = run.stats();
    assert_eq!((s.submits, s.links_dropped), (7, 2));
    assert_eq!(client.live_connections(), 1);
    client.close(Duration::from_secs(1)).await;
    run.shutdown().await;
}
