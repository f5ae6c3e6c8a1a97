//! The session core on a toy protocol, against a scripted peer on a real socket: responses
//! reach their callers, inbound requests are answered only after the application accepts
//! them, and a dropped link loses nothing (unwritten requests go out on the next link,
//! written ones fail as "may have been accepted").

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use sms_session::link::{
    Connected, Failure, FrameReader, Hooks, InboundAck, LinkCtx, LinkLoss, LoginFailure, Pending,
    Pool, PoolConfig, Settled, Wire,
};
use sms_session::SessionConfig;
use sms_session::{Backoff, Control, Incoming, Protocol, RequestOutcome};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const REQ: u32 = 1;
const PUSH: u32 = 2;
const PING: u32 = 3;
const BYE: u32 = 4;
const RESP: u32 = 0x8000_0000;

/// Toy wire: `[length u32][command u32][seq u32][body]`.
#[derive(Debug)]
struct Toy {
    next: u32,
}

#[derive(Debug)]
struct Packet {
    command: u32,
    seq: u32,
    body: Bytes,
}

fn frame(command: u32, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(12 + body.len());
    f.extend_from_slice(&(12 + body.len() as u32).to_be_bytes());
    f.extend_from_slice(&command.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(body);
    f
}

impl Protocol for Toy {
    type Seq = u32;
    type Packet = Packet;
    type Response = u8;
    type Inbound = Bytes;
    type InboundKey = ();
    type Answer = u8;

    fn classify(&mut self, p: Packet) -> Incoming<Self> {
        let seq = p.seq;
        match p.command {
            c if c == REQ | RESP => Incoming::Response {
                seq,
                answers: REQ,
                name: "REQ_RESP",
                response: p.body.first().copied().unwrap_or(0),
            },
            PUSH => Incoming::Inbound {
                seq,
                key: (),
                inbound: p.body,
            },
            PING => Incoming::Heartbeat { seq },
            c if c == PING | RESP => Incoming::HeartbeatResp,
            BYE => Incoming::Terminate { seq },
            c if c == BYE | RESP => Incoming::TerminateResp { seq },
            _ => Incoming::Unexpected { seq, name: "?" },
        }
    }

    fn next_sequence(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    fn set_sequence(frame: &mut [u8], seq: u32) {
        frame[8..12].copy_from_slice(&seq.to_be_bytes());
    }

    fn sequence_of(frame: &[u8]) -> Option<u32> {
        Some(u32::from_be_bytes(frame.get(8..12)?.try_into().ok()?))
    }

    fn request_command(frame: &[u8]) -> Option<u32> {
        let c = u32::from_be_bytes(frame.get(4..8)?.try_into().ok()?);
        (c == REQ).then_some(c)
    }

    fn is_flow_control(r: &u8) -> bool {
        *r == 8
    }

    fn encode_control(&mut self, c: &Control<Self>, buf: &mut BytesMut) -> Result<(), String> {
        let f = match *c {
            Control::Heartbeat(s) => frame(PING, s, &[]),
            Control::HeartbeatResp(s) => frame(PING | RESP, s, &[]),
            Control::Terminate(s) => frame(BYE, s, &[]),
            Control::TerminateResp(s) => frame(BYE | RESP, s, &[]),
            Control::Answer { seq, answer, .. } => frame(PUSH | RESP, seq, &[answer]),
            _ => return Err("unknown control".into()),
        };
        buf.extend_from_slice(&f);
        Ok(())
    }
}

impl Wire for Toy {
    const HEADER_LEN: usize = 12;

    fn decode(&self, f: Bytes) -> Result<Packet, String> {
        let h = |i: usize| u32::from_be_bytes(f[i..i + 4].try_into().unwrap());
        Ok(Packet {
            command: h(4),
            seq: h(8),
            body: f.slice(12..),
        })
    }

    fn plausible_command(c: u32) -> bool {
        (1..=4).contains(&(c & !RESP))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("login failed: {0}")]
struct LoginErr(String);

impl LoginFailure for LoginErr {
    fn is_permanent(&self) -> bool {
        false
    }
    fn closed() -> Self {
        LoginErr("closed".into())
    }
}

#[derive(Debug)]
enum Ev {
    Push(Bytes, InboundAck<Toy>),
    Up,
    Down,
}

struct ToyHooks {
    addr: std::net::SocketAddr,
}

type Reply = oneshot::Sender<Result<(u8, u32), String>>;

impl Hooks for ToyHooks {
    type Proto = Toy;
    type Meta = Reply;
    type Event = Ev;
    type LoginError = LoginErr;

    fn session_config(&self) -> SessionConfig {
        SessionConfig::default()
            .with_window(4)
            .with_response_timeout(Duration::from_secs(5))
    }

    async fn login(&self, _: usize, previous: Option<Toy>) -> Result<Connected<Toy>, LoginErr> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| LoginErr(e.to_string()))?;
        Ok(Connected {
            stream,
            reader: FrameReader::new(12, 4096, Toy::plausible_command),
            proto: previous.unwrap_or(Toy { next: 0 }),
        })
    }

    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn completed(
        &self,
        _: &LinkCtx<'_, Toy>,
        p: Pending<Reply>,
        _: u32,
        outcome: RequestOutcome<u8>,
    ) -> Settled<Ev> {
        let r = match outcome {
            RequestOutcome::Response { resp, tries } => Ok((resp, tries + p.tries_before)),
            other => Err(format!("{other:?}")),
        };
        let tx = p.meta;
        Settled::new(None, move || {
            let _ = tx.send(r);
        })
    }

    fn failed(
        &self,
        _: &LinkCtx<'_, Toy>,
        p: Pending<Reply>,
        _: Option<u32>,
        f: Failure,
    ) -> Settled<Ev> {
        let tx = p.meta;
        Settled::new(None, move || {
            let _ = tx.send(Err(format!("{f:?}")));
        })
    }

    fn inbound(
        &self,
        ctx: &LinkCtx<'_, Toy>,
        _: &mut dyn FnMut(u8),
        seq: u32,
        body: Bytes,
    ) -> Vec<Ev> {
        let ack = InboundAck::new(ctx.acks().clone(), vec![ctx.ack_target(seq)], 0);
        vec![Ev::Push(body, ack)]
    }

    fn link_up(&self, _: usize) -> Option<Ev> {
        Some(Ev::Up)
    }

    fn link_down(&self, _: usize, _: &LinkLoss) -> Option<Ev> {
        Some(Ev::Down)
    }

    fn is_inbound_event(e: &Ev) -> bool {
        matches!(e, Ev::Push(..))
    }
}

async fn read_frame(s: &mut TcpStream) -> Option<(u32, u32, Vec<u8>)> {
    let mut h = [0u8; 12];
    s.read_exact(&mut h).await.ok()?;
    let len = u32::from_be_bytes(h[0..4].try_into().unwrap()) as usize;
    let mut body = vec![0u8; len - 12];
    s.read_exact(&mut body).await.ok()?;
    Some((
        u32::from_be_bytes(h[4..8].try_into().unwrap()),
        u32::from_be_bytes(h[8..12].try_into().unwrap()),
        body,
    ))
}

fn request(tag: u8) -> BytesMut {
    BytesMut::from(&frame(REQ, 0, &[tag])[..])
}

async fn submit(pool: &Pool<ToyHooks>, tag: u8) -> oneshot::Receiver<Result<(u8, u32), String>> {
    let (tx, rx) = oneshot::channel();
    pool.dispatch(request(tag), tx).await.unwrap();
    rx
}

fn config() -> PoolConfig {
    PoolConfig::default().with_reconnect(Some(Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(50),
        jitter: 0.0,
        max_attempts: None,
    }))
}

#[tokio::test]
async fn responses_reach_callers_and_pushes_are_answered_only_after_accept() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = Arc::new(ToyHooks {
        addr: listener.local_addr().unwrap(),
    });
    let pool_task = tokio::spawn(Pool::connect(hooks, config()));
    let (mut peer, _) = listener.accept().await.unwrap();
    let pool = pool_task.await.unwrap().unwrap();
    // Link events start with the subscription (the first link came up before it).
    let mut events = pool.events().unwrap();

    let rx = submit(&pool, 7).await;
    let (command, seq, body) = read_frame(&mut peer).await.unwrap();
    assert_eq!((command, body), (REQ, vec![7]));
    peer.write_all(&frame(REQ | RESP, seq, &[0])).await.unwrap();
    assert_eq!(rx.await.unwrap(), Ok((0, 1)));

    peer.write_all(&frame(PUSH, 900, b"mo")).await.unwrap();
    let Some(Ev::Push(body, ack)) = events.recv().await else {
        panic!("expected the push")
    };
    assert_eq!(&body[..], b"mo");
    // Nothing is answered before the application accepts it: the next frame the peer
    // sees is the answer to a later request, not the push's.
    let rx = submit(&pool, 8).await;
    let (command, seq, _) = read_frame(&mut peer).await.unwrap();
    assert_eq!(command, REQ);
    peer.write_all(&frame(REQ | RESP, seq, &[0])).await.unwrap();
    rx.await.unwrap().unwrap();
    ack.accept();
    ack.accept();
    let (command, seq, body) = read_frame(&mut peer).await.unwrap();
    assert_eq!((command, seq, body), (PUSH | RESP, 900, vec![0]));

    // The close handshake.
    let closing = tokio::spawn({
        let pool = pool.clone();
        async move { pool.close(Duration::from_secs(1)).await }
    });
    let (command, seq, _) = read_frame(&mut peer).await.unwrap();
    assert_eq!(command, BYE);
    peer.write_all(&frame(BYE | RESP, seq, &[])).await.unwrap();
    closing.await.unwrap();
}

#[tokio::test]
async fn a_dropped_link_loses_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = Arc::new(ToyHooks {
        addr: listener.local_addr().unwrap(),
    });
    let pool_task = tokio::spawn(Pool::connect(hooks, config().with_queue(8)));
    let (mut peer, _) = listener.accept().await.unwrap();
    let pool = pool_task.await.unwrap().unwrap();
    // Link events start with the subscription (the first link came up before it).
    let mut events = pool.events().unwrap();

    // Four fill the window and are written; two more wait in the queue.
    let mut written = Vec::new();
    for tag in 1..=4 {
        written.push(submit(&pool, tag).await);
    }
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(read_frame(&mut peer).await.unwrap());
    }
    let waiting = [submit(&pool, 5).await, submit(&pool, 6).await];
    // The link drops with all four unanswered.
    drop(peer);
    assert!(matches!(events.recv().await, Some(Ev::Down)));
    // Written and unanswered: "may have been accepted", each exactly once.
    for rx in written {
        let err = rx.await.unwrap().unwrap_err();
        assert!(err.contains("maybe_accepted: true"), "{err}");
    }
    // Never written: sent on the next link, with sequence numbers continuing.
    let (mut peer, _) = listener.accept().await.unwrap();
    assert!(matches!(events.recv().await, Some(Ev::Up)));
    let mut tags = Vec::new();
    for _ in 0..2 {
        let (command, seq, body) = read_frame(&mut peer).await.unwrap();
        assert_eq!(command, REQ);
        assert!(seq > seen[3].1, "sequence numbers continue across links");
        tags.push(body[0]);
        peer.write_all(&frame(REQ | RESP, seq, &[0])).await.unwrap();
    }
    assert_eq!(tags, vec![5, 6]);
    for rx in waiting {
        assert_eq!(rx.await.unwrap(), Ok((0, 1)));
    }
    drop(peer);
    pool.close(Duration::ZERO).await;
}
