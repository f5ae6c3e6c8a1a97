//! The simulator's gateway side on tokio's paused clock, driven by a raw SP: QUERY returns
//! the day's real counts, CANCEL withdraws a report not yet sent, unanswered DELIVERs are
//! re-sent per T/N and then counted lost, and a lenient profile lets quirks through.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, TimeZone, Utc};
use cmpp_codec::{
    decode, encode, split_frame, Cancel, Connect, DeliverContent, DeliverResp, DeliverResult,
    FrameStatus, MsgFmt, MsgId, OctetString, Packet, Pdu, Query, QueryResp, Submit, Version,
};
use cmpp_session::{Account, InMemoryAccounts, ServerConfig, TokioClock};
use cmpp_sim::profile::DelayPoint;
use cmpp_sim::{Running, SimProfile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SP: &str = "900001";
const SECRET: &[u8] = b"888888";

/// 2026-12-04 10:00 Beijing.
fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap()
}

async fn start(profile: &SimProfile, config: ServerConfig) -> Running {
    let accounts = InMemoryAccounts::new();
    accounts.insert(Account::new(SP, SECRET));
    Running::bind_with_clock(
        "127.0.0.1:0".parse().unwrap(),
        config,
        Arc::new(accounts),
        profile,
        Arc::new(TokioClock::starting_at(base())),
    )
    .await
    .unwrap()
}

fn report_after(ms: u64) -> SimProfile {
    let mut p = SimProfile::default();
    p.report.delay = vec![DelayPoint { q: 0.0, ms }, DelayPoint { q: 1.0, ms }];
    p
}

struct RawSp {
    s: TcpStream,
    buf: BytesMut,
    seq: u32,
}

impl RawSp {
    async fn login(addr: SocketAddr) -> RawSp {
        let s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        let mut sp = RawSp {
            s,
            buf: BytesMut::new(),
            seq: 1,
        };
        let c = Connect::new(
            OctetString::try_from(SP).unwrap(),
            SECRET,
            &base(),
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

    /// Sends a request and returns the response with its Sequence_Id (DELIVERs and
    /// heartbeats in between are skipped).
    async fn request(&mut self, pdu: impl Into<Pdu>) -> Pdu {
        self.seq += 1;
        let seq = self.seq;
        self.send(Packet::new(seq, pdu)).await;
        loop {
            let p = self.next().await.expect("open");
            if p.sequence_id == seq && !matches!(p.pdu, Pdu::Deliver(_)) {
                return p.pdu;
            }
        }
    }

    async fn submit(&mut self, service: &str, dests: &[&str], content: &[u8]) -> (MsgId, u32) {
        self.submit_msg(message(service, dests, content)).await
    }

    async fn submit_msg(&mut self, s: Submit) -> (MsgId, u32) {
        match self.request(s).await {
            Pdu::SubmitResp(r) => (r.msg_id, r.result.to_u32()),
            other => panic!("expected SUBMIT_RESP, got {other:?}"),
        }
    }

    async fn query(&mut self, service: Option<&str>) -> QueryResp {
        let q = Query {
            time: OctetString::try_from("20261204").unwrap(),
            query_type: u8::from(service.is_some()),
            query_code: OctetString::try_from(service.unwrap_or("")).unwrap(),
            reserve: OctetString::EMPTY,
        };
        match self.request(q).await {
            Pdu::QueryResp(r) => r,
            other => panic!("expected QUERY_RESP, got {other:?}"),
        }
    }

    /// Reads DELIVERs for `limit` (paused clock), acknowledging them if `ack`.
    async fn collect_delivers(&mut self, limit: Duration, ack: bool) -> Vec<(u32, MsgId)> {
        let mut out = Vec::new();
        let _ = tokio::time::timeout(limit, async {
            while let Some(p) = self.next().await {
                if let Pdu::Deliver(d) = p.pdu {
                    let DeliverContent::Report(r) = d.content else {
                        continue;
                    };
                    out.push((p.sequence_id, r.msg_id));
                    if ack {
                        let resp = DeliverResp {
                            msg_id: d.msg_id,
                            result: DeliverResult::Ok,
                        };
                        self.send(Packet::new(p.sequence_id, resp)).await;
                    }
                }
            }
        })
        .await;
        out
    }
}

fn message(service: &str, dests: &[&str], content: &[u8]) -> Submit {
    Submit {
        pk_total: 1,
        pk_number: 1,
        registered_delivery: 1,
        service_id: OctetString::try_from(service).unwrap(),
        dest_terminal_ids: dests
            .iter()
            .map(|d| OctetString::try_from(*d).unwrap())
            .collect(),
        msg_fmt: MsgFmt::Ascii,
        msg_content: Bytes::copy_from_slice(content),
        ..Submit::default()
    }
}

#[tokio::test(start_paused = true)]
async fn query_returns_the_days_real_counts() {
    let run = start(&report_after(1000), ServerConfig::default()).await;
    let mut sp = RawSp::login(run.local_addr()).await;
    assert_eq!(sp.submit("SVC1", &["13800000001"], b"a").await.1, 0);
    assert_eq!(
        sp.submit("SVC1", &["13800000002", "13800000003"], b"b")
            .await
            .1,
        0
    );
    assert_eq!(sp.submit("SVC2", &["13800000004"], b"c").await.1, 0);
    let q = sp.query(None).await;
    assert_eq!(
        (q.mt_tl_msg, q.mt_tl_usr, q.mt_scs, q.mt_wt, q.mt_fl),
        (3, 4, 0, 4, 0),
        "reports not sent yet: waiting"
    );
    assert_eq!(
        sp.collect_delivers(Duration::from_secs(2), true)
            .await
            .len(),
        4
    );
    let q = sp.query(None).await;
    assert_eq!((q.mt_scs, q.mt_wt, q.mt_fl), (4, 0, 0));
    let q = sp.query(Some("SVC1")).await;
    assert_eq!((q.mt_tl_msg, q.mt_tl_usr, q.mt_scs), (2, 3, 3));
    assert_eq!(q.query_code.to_str_lossy(), "SVC1");
    // Another day has nothing.
    let other = Query {
        time: OctetString::try_from("20261203").unwrap(),
        query_type: 0,
        query_code: OctetString::EMPTY,
        reserve: OctetString::EMPTY,
    };
    let Pdu::QueryResp(r) = sp.request(other).await else {
        panic!("QUERY_RESP expected")
    };
    assert_eq!(r.mt_tl_msg, 0);
    run.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn cancel_withdraws_a_report_not_sent_yet() {
    let run = start(&report_after(5000), ServerConfig::default()).await;
    let mut sp = RawSp::login(run.local_addr()).await;
    let (kept, _) = sp.submit("SVC1", &["13800000001"], b"a").await;
    let (cancelled, _) = sp.submit("SVC1", &["13800000002"], b"b").await;
    let Pdu::CancelResp(r) = sp.request(Cancel { msg_id: cancelled }).await else {
        panic!("CANCEL_RESP expected")
    };
    assert_eq!(r.success_id, 0);
    let got = sp.collect_delivers(Duration::from_secs(10), true).await;
    assert_eq!(
        got.iter().map(|d| d.1).collect::<Vec<_>>(),
        vec![kept],
        "the cancelled report is never sent"
    );
    // Too late for the other one, and an unknown id fails.
    for id in [kept, MsgId::from_u64(42)] {
        let Pdu::CancelResp(r) = sp.request(Cancel { msg_id: id }).await else {
            panic!("CANCEL_RESP expected")
        };
        assert_eq!(r.success_id, 1);
    }
    let q = sp.query(None).await;
    assert_eq!((q.mt_scs, q.mt_wt, q.mt_fl), (1, 0, 1));
    run.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn unanswered_delivers_are_resent_then_counted_lost() {
    let config = {
        let mut v = ServerConfig::default();
        v.response_timeout = Duration::from_secs(5);
        v.max_tries = 3;
        v
    };
    let run = start(&report_after(100), config).await;
    let h = run.handle();
    let mut sp = RawSp::login(run.local_addr()).await;
    sp.submit("SVC1", &["13800000001"], b"a").await;
    sp.submit("SVC1", &["13800000002"], b"b").await;
    // Never answered: each is sent N = 3 times with its Sequence_Id, then given up.
    let got = sp.collect_delivers(Duration::from_secs(20), false).await;
    assert_eq!(got.len(), 6, "{got:?}");
    let first: Vec<u32> = got.iter().take(2).map(|d| d.0).collect();
    assert!(
        got.iter().all(|d| first.contains(&d.0)),
        "same Sequence_Ids"
    );
    let s = h.stats();
    assert_eq!(
        (
            s.delivers_sent,
            s.delivers_resent,
            s.delivers_acked,
            s.delivers_failed,
            s.delivers_pending()
        ),
        (2, 4, 0, 2, 0)
    );
    assert_eq!(run.sim.stats().reports_delivered(), 2);
    run.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_lenient_profile_lets_quirks_through() {
    // Pk_number beyond Pk_total (the encoder lets it through; the gateway judges it).
    let mut pk = message("SVC1", &["13800000001"], b"a");
    pk.pk_number = 3;
    pk.pk_total = 2;
    let strict = start(&SimProfile::default(), ServerConfig::default()).await;
    let mut sp = RawSp::login(strict.local_addr()).await;
    assert_eq!(sp.submit_msg(pk.clone()).await.1, 1);
    assert_eq!(sp.submit("SVC1", &["1380000000x"], b"a").await.1, 13);
    strict.shutdown().await;

    let mut p = SimProfile::default();
    p.submit.strict = false;
    let lenient = start(&p, ServerConfig::default()).await;
    let mut sp = RawSp::login(lenient.local_addr()).await;
    assert_eq!(sp.submit_msg(pk).await.1, 0);
    assert_eq!(sp.submit("SVC1", &["1380000000x"], b"a").await.1, 0);
    lenient.shutdown().await;
}
