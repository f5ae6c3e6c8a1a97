//! The gateway role against hostile and broken peers, over loopback TCP on tokio's paused
//! clock: stale and replayed logins, password guessing, malformed SUBMITs, peers that never
//! read, peers that ignore TERMINATE, floods of connections that never log in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, TimeZone, Utc};
use cmpp_codec::{
    decode, encode, split_frame, Connect, ConnectStatus, Deliver, DeliverContent, FrameStatus,
    MsgFmt, MsgId, OctetString, Packet, Pdu, Stat, StatusReport, Submit, Version,
};
use cmpp_session::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

const SP: &str = "900001";
const SECRET: &[u8] = b"888888";

struct Ok0;

impl GatewayHandler for Ok0 {
    fn on_submit(&self, _c: &ConnectionInfo, seq: u32, _s: &Submit) -> SubmitDecision {
        SubmitDecision::Respond {
            msg_id: MsgId::from_u64(u64::from(seq)),
            result: 0,
        }
    }
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap()
}

async fn gateway(config: ServerConfig) -> Server {
    let accounts = Arc::new(InMemoryAccounts::new());
    accounts.insert(Account::new(SP, SECRET));
    Server::bind_with_clock(
        "127.0.0.1:0".parse().unwrap(),
        config,
        accounts,
        Arc::new(Ok0),
        Arc::new(TokioClock::starting_at(base())),
    )
    .await
    .unwrap()
}

/// A hand-driven SP on a raw socket.
struct RawSp {
    s: TcpStream,
    buf: BytesMut,
}

impl RawSp {
    async fn connect(addr: SocketAddr) -> RawSp {
        let s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        RawSp {
            s,
            buf: BytesMut::new(),
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).await.unwrap();
    }

    async fn send(&mut self, p: Packet) {
        let mut out = BytesMut::new();
        encode(&p, Version::V30, &mut out).unwrap();
        self.send_raw(&out).await;
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

    /// Sends `connect` and returns the CONNECT_RESP status.
    async fn login_with(&mut self, connect: Connect) -> ConnectStatus {
        self.send(Packet::new(1, connect)).await;
        match self.next().await.map(|p| p.pdu) {
            Some(Pdu::ConnectResp(r)) => r.status,
            other => panic!("expected CONNECT_RESP, got {other:?}"),
        }
    }
}

fn connect_at(when: DateTime<Utc>, secret: &[u8]) -> Connect {
    Connect::new(
        OctetString::try_from(SP).unwrap(),
        secret,
        &when,
        Version::V30,
    )
}

fn submit() -> Submit {
    Submit {
        pk_total: 1,
        pk_number: 1,
        dest_terminal_ids: vec![OctetString::try_from("13800138000").unwrap()],
        msg_content: Bytes::from_static(b"hi"),
        msg_fmt: MsgFmt::Ascii,
        ..Submit::default()
    }
}

fn report(id: u64) -> Deliver {
    Deliver {
        msg_id: MsgId::from_u64(id),
        dest_id: OctetString::try_from("1065").unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: OctetString::try_from("13800138000").unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Report(StatusReport {
            msg_id: MsgId::from_u64(id),
            stat: Stat::DELIVRD,
            submit_time: OctetString::try_from("2612041000").unwrap(),
            done_time: OctetString::try_from("2612041001").unwrap(),
            dest_terminal_id: OctetString::try_from("13800138000").unwrap(),
            smsc_sequence: 1,
        }),
        link_id: OctetString::EMPTY,
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
async fn stale_and_future_timestamps_are_refused() {
    let server = gateway(ServerConfig::default()).await;
    let addr = server.local_addr();
    for when in [
        base() - chrono::Duration::days(30),
        base() + chrono::Duration::days(300),
        base() + chrono::Duration::minutes(16),
    ] {
        let mut sp = RawSp::connect(addr).await;
        assert_eq!(
            sp.login_with(connect_at(when, SECRET)).await,
            ConnectStatus::AuthFailed,
            "{when}"
        );
        assert!(sp.next().await.is_none(), "closed after the refusal");
    }
    // Within ±15 minutes it logs in.
    let mut sp = RawSp::connect(addr).await;
    let when = base() - chrono::Duration::minutes(14);
    assert_eq!(
        sp.login_with(connect_at(when, SECRET)).await,
        ConnectStatus::Ok
    );
    assert_eq!(server.handle().stats().logins_failed, 3);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_replayed_connect_is_refused() {
    let server = gateway(ServerConfig::default()).await;
    let addr = server.local_addr();
    let captured = connect_at(base(), SECRET);
    let mut first = RawSp::connect(addr).await;
    assert_eq!(first.login_with(captured).await, ConnectStatus::Ok);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut replay = RawSp::connect(addr).await;
    assert_eq!(replay.login_with(captured).await, ConnectStatus::AuthFailed);
    assert!(replay.next().await.is_none());
    // A fresh login (new timestamp, new authenticator) is fine.
    let mut fresh = RawSp::connect(addr).await;
    let now = base() + chrono::Duration::seconds(2);
    assert_eq!(
        fresh.login_with(connect_at(now, SECRET)).await,
        ConnectStatus::Ok
    );
    assert_eq!(server.handle().connection_count(SP), 2);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn password_guessing_is_throttled_and_the_owner_gets_in_after_the_cool_down() {
    let server = gateway(ServerConfig::default()).await;
    let addr = server.local_addr();
    let start = Instant::now();
    let mut refused = 0;
    for i in 0..6 {
        let mut sp = RawSp::connect(addr).await;
        let when = base() + chrono::Duration::milliseconds(i * 10);
        refused +=
            u32::from(sp.login_with(connect_at(when, b"guess")).await == ConnectStatus::AuthFailed);
    }
    assert_eq!(refused, 6);
    // Throttled now: even the right secret is refused until the cool-down passes.
    let mut owner = RawSp::connect(addr).await;
    let now = base() + chrono::Duration::from_std(Instant::now() - start).unwrap();
    assert_eq!(
        owner.login_with(connect_at(now, SECRET)).await,
        ConnectStatus::AuthFailed
    );
    // Failures 4, 5, 6 and 7 set cool-downs of 1, 2, 4 and 8 s.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let mut owner = RawSp::connect(addr).await;
    let now = base() + chrono::Duration::seconds(9) + chrono::Duration::milliseconds(100);
    assert_eq!(
        owner.login_with(connect_at(now, SECRET)).await,
        ConnectStatus::Ok
    );
    assert_eq!(server.handle().stats().logins_failed, 7);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn malformed_submit_is_answered_and_the_link_stays_up() {
    let server = gateway(ServerConfig::default()).await;
    let mut sp = RawSp::connect(server.local_addr()).await;
    assert_eq!(
        sp.login_with(connect_at(base(), SECRET)).await,
        ConnectStatus::Ok
    );
    let good = Packet::new(2, submit()).to_bytes(Version::V30).unwrap();
    let mut bad = BytesMut::from(&good[..]);
    bad[140] = 50; // DestUsr_tl far beyond the body
    sp.send_raw(&bad).await;
    sp.send(Packet::new(3, submit())).await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        match sp.next().await.map(|p| (p.sequence_id, p.pdu)) {
            Some((seq, Pdu::SubmitResp(r))) => answers.push((seq, r.result.to_u32())),
            other => panic!("expected SUBMIT_RESP, got {other:?}"),
        }
    }
    assert_eq!(answers, vec![(2, 1), (3, 0)]);
    let s = server.handle().stats();
    assert_eq!((s.submits, s.submits_invalid, s.protocol_errors), (2, 1, 0));
    assert_eq!(server.handle().connection_count(SP), 1);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_never_reads_is_dropped_at_the_write_deadline() {
    let config = {
        let mut v = ServerConfig::default();
        v.write_deadline = Duration::from_secs(5);
        v
    };
    let server = gateway(config).await;
    let h = server.handle();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let s = socket.connect(server.local_addr()).await.unwrap();
    let mut sp = RawSp {
        s,
        buf: BytesMut::new(),
    };
    assert_eq!(
        sp.login_with(connect_at(base(), SECRET)).await,
        ConnectStatus::Ok
    );
    h.deliver(SP, report(1)).unwrap();
    // Flood ACTIVE_TESTs and never read the answers.
    let (_rd, mut wr) = sp.s.into_split();
    let flood = tokio::spawn(async move {
        let one = [0u8, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 1];
        let chunk: Vec<u8> = one.iter().copied().cycle().take(12 * 4096).collect();
        for _ in 0..200 {
            if wr.write_all(&chunk).await.is_err() {
                return;
            }
        }
    });
    until(Duration::from_secs(30), || h.connection_count(SP) == 0).await;
    // The DELIVER it never acknowledged is back in the account's queue.
    assert_eq!(h.queued_delivers(SP), 1);
    assert_eq!(h.stats().delivers_in_flight, 0);
    assert_eq!(h.stats().delivers_pending(), 1);
    flood.abort();
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_is_bounded_by_the_drain_deadline_whatever_the_peers_do() {
    let server = gateway(ServerConfig::default()).await;
    let addr = server.local_addr();
    // One ignores TERMINATE (never reads), one is still before login.
    let mut deaf = RawSp::connect(addr).await;
    assert_eq!(
        deaf.login_with(connect_at(base(), SECRET)).await,
        ConnectStatus::Ok
    );
    let _idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let t0 = Instant::now();
    server.shutdown().await;
    let took = Instant::now() - t0;
    assert!(took <= Duration::from_secs(6), "{took:?}");
    assert!(
        took >= Duration::from_secs(5),
        "waited for the answer: {took:?}"
    );
    // The deaf peer got a TERMINATE and then the socket closed.
    assert!(matches!(
        deaf.next().await.map(|p| p.pdu),
        Some(Pdu::Terminate)
    ));
    assert!(deaf.next().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn connections_that_do_not_log_in_are_capped_per_address() {
    let config = {
        let mut v = ServerConfig::default();
        v.max_unauthenticated_per_addr = 2;
        v
    };
    let server = gateway(config).await;
    let addr = server.local_addr();
    let _a = TcpStream::connect(addr).await.unwrap();
    let _b = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(c.read(&mut buf).await.unwrap_or(0), 0, "closed at once");
    assert_eq!(server.handle().stats().unauthenticated_refused, 1);
    // Idle ones are dropped at the login timeout, and then logins work again.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let mut sp = RawSp::connect(addr).await;
    let now = base() + chrono::Duration::seconds(11);
    assert_eq!(
        sp.login_with(connect_at(now, SECRET)).await,
        ConnectStatus::Ok
    );
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_bare_probe_is_not_a_failed_login() {
    let server = gateway(ServerConfig::default()).await;
    drop(TcpStream::connect(server.local_addr()).await.unwrap());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.handle().stats().logins_failed, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_burst_of_a_thousand_connects_needs_no_syn_retry() {
    assert!(ServerConfig::default().backlog >= 1024);
    let accounts = Arc::new(InMemoryAccounts::new());
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default(),
        accounts,
        Arc::new(Ok0),
    )
    .await
    .unwrap();
    let addr = server.local_addr();
    let start = std::time::Instant::now();
    let conns = futures::future::join_all((0..1000).map(|_| TcpStream::connect(addr))).await;
    let took = start.elapsed();
    assert!(conns.iter().all(|c| c.is_ok()));
    // A SYN dropped by a full backlog is retried after 1 s.
    assert!(took < Duration::from_millis(900), "{took:?}");
    drop(conns);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_account_queue_is_capped_and_the_overflow_counted() {
    let config = {
        let mut v = ServerConfig::default();
        v.deliver_queue_capacity = 3;
        v
    };
    let server = gateway(config).await;
    let h = server.handle();
    let refused = (1..=5)
        .filter(|i| {
            matches!(
                h.deliver(SP, report(*i)),
                Err(DeliverError::QueueFull { capacity: 3, .. })
            )
        })
        .count();
    assert_eq!(refused, 2);
    let s = h.stats();
    assert_eq!((s.delivers_queued, s.delivers_refused), (3, 2));
    assert_eq!(s.delivers_pending(), 3);
    server.shutdown().await;
}

/// Memory of a full account queue at the default capacity (figure for docs/protocol.md):
/// `cargo test -p cmpp-session --release --test hostile -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn memory_of_a_full_default_queue() {
    fn rss_kb() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }
    let server = gateway(ServerConfig::default()).await;
    let h = server.handle();
    let before = rss_kb();
    let cap = ServerConfig::default().deliver_queue_capacity;
    for i in 0..cap as u64 {
        h.deliver(SP, report(i)).unwrap();
    }
    let after = rss_kb();
    println!(
        "{cap} queued status reports: RSS {} MB -> {} MB ({} bytes each)",
        before / 1024,
        after / 1024,
        (after - before) * 1024 / cap as u64
    );
    assert!(after - before < 100 * 1024, "under 100 MB");
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn replays_do_not_lock_the_sp_out() {
    let server = gateway(ServerConfig::default()).await;
    let addr = server.local_addr();
    let captured = connect_at(base(), SECRET);
    let mut first = RawSp::connect(addr).await;
    assert_eq!(first.login_with(captured).await, ConnectStatus::Ok);
    tokio::time::sleep(Duration::from_secs(2)).await;
    for _ in 0..10 {
        let mut replay = RawSp::connect(addr).await;
        assert_eq!(replay.login_with(captured).await, ConnectStatus::AuthFailed);
    }
    // The replaying address is throttled, the SP is not: a login from elsewhere works.
    let now = base() + chrono::Duration::seconds(3);
    let mut same = RawSp::connect(addr).await;
    assert_eq!(
        same.login_with(connect_at(now, SECRET)).await,
        ConnectStatus::AuthFailed
    );
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let s = socket.connect(addr).await.unwrap();
    let mut other = RawSp {
        s,
        buf: BytesMut::new(),
    };
    assert_eq!(
        other.login_with(connect_at(now, SECRET)).await,
        ConnectStatus::Ok
    );
    server.shutdown().await;
}

/// Records the level and message of every event.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<(tracing::Level, String)>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Msg(String);
        impl tracing::field::Visit for Msg {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut m = Msg(String::new());
        event.record(&mut m);
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), m.0));
    }
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_failed_logins_is_one_line_then_one_summary() {
    use tracing_subscriber::layer::SubscriberExt;
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let server = gateway(ServerConfig::default()).await;
    let addr = server.local_addr();
    for i in 0..200 {
        let mut sp = RawSp::connect(addr).await;
        let when = base() + chrono::Duration::milliseconds(i);
        assert_eq!(
            sp.login_with(connect_at(when, b"guess!")).await,
            ConnectStatus::AuthFailed
        );
    }
    let warnings = |needle: &str| {
        capture
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(l, m)| *l == tracing::Level::WARN && m.contains(needle))
            .count()
    };
    assert_eq!(warnings("login failed"), 1);
    assert_eq!(warnings("burst of failed logins ended"), 0);
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert_eq!(warnings("login failed"), 1);
    // One summary for the address (all 200) and one for the SP id: only the 4 guesses
    // before the address was throttled had their authenticator checked.
    assert_eq!(warnings("burst of failed logins ended: 200 failures"), 1);
    assert_eq!(warnings("burst of failed logins ended: 4 failures"), 1);
    server.shutdown().await;
}
