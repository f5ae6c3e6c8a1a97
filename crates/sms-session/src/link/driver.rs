//! One task per pool connection: logs in, owns the socket halves and the [`Session`],
//! reconnects per the policy, and hands what the session produces to the [`Hooks`].

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::ack::{AckMsg, AckRouter, AckTarget};
use super::pool::PoolShared;
use super::{Connected, FrameReader, Hooks, LinkLoss, LoginFailure, Wire};
use crate::protocol::Protocol;
use crate::session::{RequestId, ResendReason, Session, SessionEvent};
use crate::TokenBucket;

type Seq<H> = <<H as Hooks>::Proto as Protocol>::Seq;

/// A request on its way through the pool, with what the link task adds to it.
#[derive(Debug)]
pub struct Pending<M> {
    /// What the caller attached to the request.
    pub meta: M,
    /// When it was first written (on any link).
    pub written_at: Option<DateTime<Utc>>,
    /// Transmissions on earlier links.
    pub tries_before: u32,
    /// Re-queued after a reconnect although possibly accepted.
    pub reconnect_resend: bool,
}

/// Why a request ends without a response from the link it was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// Its link was lost; `maybe_accepted` when it was written and not refused.
    LinkLost {
        /// Whether the peer may have accepted it.
        maybe_accepted: bool,
    },
    /// The client closed before it could be sent.
    Closed,
}

/// What a hook may ask of the link it runs on.
pub struct LinkCtx<'a, P: Protocol> {
    /// The pool connection.
    pub connection: usize,
    /// The generation of the connection's link.
    pub link: u64,
    /// The monotonic time of this wake-up.
    pub now: Instant,
    /// Whether the application subscribed to the event stream.
    pub subscribed: bool,
    wall: &'a OnceLock<DateTime<Utc>>,
    clock: &'a (dyn Fn() -> DateTime<Utc> + Sync),
    acks: &'a Arc<AckRouter<P>>,
}

impl<P: Protocol> std::fmt::Debug for LinkCtx<'_, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkCtx")
            .field("connection", &self.connection)
            .field("link", &self.link)
            .field("now", &self.now)
            .field("subscribed", &self.subscribed)
            .finish_non_exhaustive()
    }
}

impl<P: Protocol> LinkCtx<'_, P> {
    /// The wall-clock time, read at most once per wake-up of the link task.
    pub fn wall(&self) -> DateTime<Utc> {
        *self.wall.get_or_init(self.clock)
    }

    /// Where to send the answer to the inbound request `seq` received on this link.
    pub fn ack_target(&self, seq: P::Seq) -> AckTarget<P::Seq> {
        AckTarget {
            connection: self.connection,
            link: self.link,
            seq,
        }
    }

    /// The router that carries answers back to the links (for ack handles).
    pub fn acks(&self) -> &Arc<AckRouter<P>> {
        self.acks
    }
}

pub(crate) struct Cmd<M> {
    pub(crate) frame: BytesMut,
    pub(crate) meta: M,
}

/// What woke the drive loop.
enum Woke<M, A> {
    Read(Result<(), LinkLoss>),
    Cmd(Option<Cmd<M>>),
    Ack(Option<A>),
    Timer,
    Close,
}

/// Why the drive loop ended.
enum LinkEnd {
    Lost(LinkLoss),
    Closed,
}

pub(crate) struct Driver<H: Hooks> {
    idx: usize,
    shared: Arc<PoolShared<H>>,
    cmd_rx: mpsc::Receiver<Cmd<H::Meta>>,
    ack_rx: mpsc::UnboundedReceiver<AckMsg<H::Proto>>,
    /// Generation of the current link (answers meant for an earlier link are dropped).
    link: u64,
    close_rx: watch::Receiver<Option<Instant>>,
    requeue: VecDeque<(BytesMut, Pending<H::Meta>)>,
    pending: HashMap<RequestId, Pending<H::Meta>>,
    /// The protocol state of the last session (its sequence numbers continue).
    proto: Option<H::Proto>,
    /// Wall-clock time of the current wake-up, read at most once per wake-up.
    wall: OnceLock<DateTime<Utc>>,
}

impl<H: Hooks> Driver<H> {
    pub(crate) fn new(
        idx: usize,
        shared: Arc<PoolShared<H>>,
        cmd_rx: mpsc::Receiver<Cmd<H::Meta>>,
        ack_rx: mpsc::UnboundedReceiver<AckMsg<H::Proto>>,
        close_rx: watch::Receiver<Option<Instant>>,
    ) -> Self {
        Driver {
            idx,
            shared,
            cmd_rx,
            ack_rx,
            link: 0,
            close_rx,
            requeue: VecDeque::new(),
            pending: HashMap::new(),
            proto: None,
            wall: OnceLock::new(),
        }
    }

    fn closing(&self) -> bool {
        self.close_rx.borrow().is_some()
    }

    fn hooks(&self) -> &H {
        &self.shared.hooks
    }

    /// Runs the connection: `first_link` (already logged in, for the server side) or a
    /// login, then reconnects per the policy until closed.
    pub(crate) async fn run(
        mut self,
        mut first_link: Option<Connected<H::Proto>>,
        first: oneshot::Sender<Result<(), H::LoginError>>,
    ) {
        let mut first = Some(first);
        let mut attempt = 0u32;
        let shared = self.shared.clone();
        loop {
            if self.closing() {
                break;
            }
            let login = match first_link.take() {
                Some(c) => Ok(c),
                None => {
                    let previous = self.proto.take();
                    tokio::select! {
                        r = shared.hooks.login(self.idx, previous) => r,
                        _ = wait_close(&mut self.close_rx) => Err(H::LoginError::closed()),
                    }
                }
            };
            match login {
                Ok(connected) => {
                    attempt = 0;
                    if let Some(f) = first.take() {
                        let _ = f.send(Ok(()));
                    }
                    shared.up[self.idx].store(true, Ordering::Release);
                    if let Some(ev) = shared.hooks.link_up(self.idx) {
                        shared.emit(self.idx, ev).await;
                    }
                    let end = self.drive(connected).await;
                    shared.up[self.idx].store(false, Ordering::Release);
                    let reason = match &end {
                        LinkEnd::Lost(r) => r.clone(),
                        LinkEnd::Closed => LinkLoss::Closed,
                    };
                    if let Some(ev) = shared.hooks.link_down(self.idx, &reason) {
                        shared.emit(self.idx, ev).await;
                    }
                    if matches!(end, LinkEnd::Closed) {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(connection = self.idx, error = %e, "login failed");
                    let permanent = e.is_permanent();
                    if let Some(f) = first.take() {
                        let _ = f.send(Err(e));
                    }
                    if permanent {
                        break;
                    }
                }
            }
            attempt += 1;
            let Some(policy) = shared.config.reconnect else {
                break;
            };
            let unit: f64 = rand::thread_rng().gen();
            let Some(delay) = policy.delay(attempt, unit) else {
                tracing::warn!(connection = self.idx, "reconnect attempts exhausted");
                break;
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = wait_close(&mut self.close_rx) => {}
            }
        }
        if let Some(f) = first.take() {
            let _ = f.send(Err(H::LoginError::closed()));
        }
        // Nothing is dropped silently: every queued request gets a definite answer.
        self.cmd_rx.close();
        self.wall = OnceLock::new();
        while let Some((_, p)) = self.requeue.pop_front() {
            let maybe = p.written_at.is_some() && p.reconnect_resend;
            self.fail(
                p,
                None,
                super::Failure::LinkLost {
                    maybe_accepted: maybe,
                },
            )
            .await;
        }
        while let Ok(cmd) = self.cmd_rx.try_recv() {
            self.fail(
                Pending {
                    meta: cmd.meta,
                    written_at: None,
                    tries_before: 0,
                    reconnect_resend: false,
                },
                None,
                super::Failure::Closed,
            )
            .await;
        }
    }

    fn ctx(&self, now: Instant) -> LinkCtx<'_, H::Proto> {
        link_ctx(self.idx, self.link, &self.shared, &self.wall, now)
    }

    async fn fail(&mut self, p: Pending<H::Meta>, seq: Option<Seq<H>>, failure: super::Failure) {
        let settled = self
            .hooks()
            .failed(&self.ctx(Instant::now()), p, seq, failure);
        settle(&self.shared, self.idx, settled).await;
    }

    async fn drive(&mut self, connected: Connected<H::Proto>) -> LinkEnd {
        let Connected {
            stream,
            mut reader,
            proto,
        } = connected;
        let cfg = self.shared.config.clone();
        let (mut rd, mut wr) = stream.into_split();
        let mut now = Instant::now();
        let mut session = Session::new(self.hooks().session_config(), proto, now);
        let response_timeout = session.config().response_timeout;
        self.link += 1;
        // Answers still queued were meant for an earlier link.
        while self.ack_rx.try_recv().is_ok() {}
        let per_conn_rate = if cfg.rate_limit == 0 {
            0
        } else {
            cfg.rate_limit.div_ceil(cfg.connections.max(1) as u32)
        };
        let mut bucket = TokenBucket::new(per_conn_rate, now);
        let mut wbuf = BytesMut::with_capacity(64 * 1024);
        let mut next_tick = now + Duration::from_secs(1);
        let mut closing = false;
        // A private receiver so that its `changed()` future can live across iterations.
        let mut close_rx = self.close_rx.clone();
        // One timer for the link's life: re-armed only when the next deadline moves earlier
        // (or after it fired). Waking before anything is due is harmless.
        let mut armed = now + Duration::from_secs(3600);
        let sleep = tokio::time::sleep_until(armed);
        tokio::pin!(sleep);
        // Packets that arrived together with the login response are already buffered.
        if let Err(reason) = self.read_frames(&mut reader, &mut session, now) {
            self.process_events(&mut session, now).await;
            return self.end_link(session, closing, LinkEnd::Lost(reason)).await;
        }
        let mut yielded = false;
        let end = loop {
            self.wall = OnceLock::new();
            if !closing {
                if let Some(deadline) = *close_rx.borrow() {
                    session.close(deadline, now);
                    closing = true;
                }
            }
            // Re-queued requests first, in their original order.
            while session.can_submit(now) && bucket.next_available(now) <= now {
                let Some((frame, p)) = self.requeue.pop_front() else {
                    break;
                };
                match session.submit(frame, now) {
                    Ok((id, _)) => {
                        bucket.try_take(now);
                        self.pending.insert(id, p);
                    }
                    Err(rej) => {
                        self.requeue.push_front((rej.frame, p));
                        break;
                    }
                }
            }
            // Then whatever the application has queued meanwhile, without waiting.
            if !closing {
                self.take_ready(&mut session, &mut bucket, now);
            }
            self.process_events(&mut session, now).await;
            while wbuf.len() < 256 * 1024 && session.poll_transmit(now, &mut wbuf) {}
            self.process_events(&mut session, now).await;
            if !wbuf.is_empty() && !yielded && wbuf.len() < 64 * 1024 && !session.is_closed() {
                // Let the callers woken by this round's responses queue their next requests
                // (and the peer's next packets arrive) so they share one write.
                yielded = true;
                tokio::task::yield_now().await;
                now = Instant::now();
                match try_fill(&mut reader, &rd) {
                    Ok(true) => {
                        if let Err(reason) = self.read_frames(&mut reader, &mut session, now) {
                            self.process_events(&mut session, now).await;
                            break LinkEnd::Lost(reason);
                        }
                    }
                    Ok(false) => {}
                    // Reported again by the next blocking read.
                    Err(_) => {}
                }
                continue;
            }
            yielded = false;
            if !wbuf.is_empty() {
                if let Err(e) = wr.write_all(&wbuf).await {
                    break LinkEnd::Lost(LinkLoss::Write {
                        kind: e.kind(),
                        message: e.to_string(),
                    });
                }
                wbuf.clear();
            }
            if session.is_closed() {
                break if closing {
                    LinkEnd::Closed
                } else {
                    LinkEnd::Lost(LinkLoss::SessionEnded)
                };
            }
            let rate_wait = bucket.next_available(now);
            let can_take = session.can_submit(now) && self.requeue.is_empty() && rate_wait <= now;
            let mut wake = session
                .poll_timeout()
                .unwrap_or(now + Duration::from_secs(3600));
            wake = wake.min(next_tick);
            if session.can_submit(now) && rate_wait > now {
                wake = wake.min(rate_wait);
            }
            if wake < armed || sleep.is_elapsed() {
                armed = wake;
                sleep.as_mut().reset(wake);
            }
            let woke = tokio::select! {
                biased;
                r = reader.fill(&mut rd) => Woke::Read(r.map_err(LinkLoss::from)),
                ack = self.ack_rx.recv() => Woke::Ack(ack),
                cmd = self.cmd_rx.recv(), if can_take && !closing => Woke::Cmd(cmd),
                _ = &mut sleep => Woke::Timer,
                _ = close_rx.changed(), if !closing => Woke::Close,
            };
            // One clock read per wake-up.
            now = Instant::now();
            match woke {
                Woke::Read(Err(reason)) => break LinkEnd::Lost(reason),
                Woke::Read(Ok(())) => {
                    if let Err(reason) = self.read_frames(&mut reader, &mut session, now) {
                        tracing::warn!(connection = self.idx, cause = %reason, "closing link");
                        self.process_events(&mut session, now).await;
                        break LinkEnd::Lost(reason);
                    }
                }
                Woke::Cmd(Some(cmd)) => {
                    self.take_cmd(&mut session, &mut bucket, cmd, now);
                    // Batch: take whatever else is ready while the window has room.
                    self.take_ready(&mut session, &mut bucket, now);
                }
                // Every handle is gone: drain and close.
                Woke::Cmd(None) => {
                    session.close(now + response_timeout, now);
                    closing = true;
                }
                Woke::Timer => {
                    session.handle_timeout(now);
                    if now >= next_tick {
                        next_tick = now + Duration::from_secs(1);
                        let events = self.hooks().tick(&self.ctx(now));
                        for ev in events {
                            self.shared.emit(self.idx, ev).await;
                        }
                    }
                }
                Woke::Ack(Some(ack)) => {
                    self.apply_ack(&mut session, ack);
                    while let Ok(ack) = self.ack_rx.try_recv() {
                        self.apply_ack(&mut session, ack);
                    }
                }
                // The pool is gone; the close signal ends the link.
                Woke::Ack(None) => {}
                Woke::Close => {}
            }
        };
        self.end_link(session, closing, end).await
    }

    fn apply_ack(&self, session: &mut Session<H::Proto>, ack: AckMsg<H::Proto>) {
        if ack.link == self.link {
            session.answer(ack.seq, ack.answer);
        }
    }

    /// Feeds every complete buffered frame to the session; `Err` when the stream cannot be
    /// read any further.
    fn read_frames(
        &self,
        reader: &mut FrameReader,
        session: &mut Session<H::Proto>,
        now: Instant,
    ) -> Result<(), LinkLoss> {
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => match session.protocol().decode(frame) {
                    Ok(p) => session.handle_packet(p, now),
                    Err(e) => {
                        tracing::warn!(connection = self.idx, cause = %e, "skipping malformed packet from the peer")
                    }
                },
                Ok(None) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Takes queued commands without waiting while the window and the rate allow.
    fn take_ready(
        &mut self,
        session: &mut Session<H::Proto>,
        bucket: &mut TokenBucket,
        now: Instant,
    ) {
        while self.requeue.is_empty()
            && session.can_submit(now)
            && bucket.next_available(now) <= now
        {
            match self.cmd_rx.try_recv() {
                Ok(cmd) => self.take_cmd(session, bucket, cmd, now),
                Err(_) => break,
            }
        }
    }

    /// Settles the requests still open on a link that ended.
    async fn end_link(
        &mut self,
        mut session: Session<H::Proto>,
        closing: bool,
        end: LinkEnd,
    ) -> LinkEnd {
        // Before any caller hears of the loss: new requests must not pick this link.
        self.shared.up[self.idx].store(false, Ordering::Release);
        self.wall = OnceLock::new();
        let now = Instant::now();
        self.process_events(&mut session, now).await;
        let lost = session.link_lost();
        self.proto = Some(session.into_protocol());
        let resend_unanswered = self.shared.config.resend_unanswered_on_reconnect;
        for lost in lost {
            let Some(mut p) = self.pending.remove(&lost.id) else {
                continue;
            };
            p.tries_before += lost.tries;
            let requeue = !closing && (!lost.maybe_accepted || resend_unanswered);
            if requeue {
                p.reconnect_resend |= lost.maybe_accepted || lost.tries > 0;
                self.requeue.push_back((BytesMut::from(&lost.frame[..]), p));
            } else {
                let seq = <H::Proto as Protocol>::sequence_of(&lost.frame);
                self.fail(
                    p,
                    seq,
                    super::Failure::LinkLost {
                        maybe_accepted: lost.maybe_accepted,
                    },
                )
                .await;
            }
        }
        end
    }

    fn take_cmd(
        &mut self,
        session: &mut Session<H::Proto>,
        bucket: &mut TokenBucket,
        cmd: Cmd<H::Meta>,
        now: Instant,
    ) {
        let p = Pending {
            meta: cmd.meta,
            written_at: None,
            tries_before: 0,
            reconnect_resend: false,
        };
        match session.submit(cmd.frame, now) {
            Ok((id, _)) => {
                bucket.try_take(now);
                self.pending.insert(id, p);
            }
            // Cannot happen while can_submit() held; keep it for the next round anyway.
            Err(rej) => self.requeue.push_back((rej.frame, p)),
        }
    }

    async fn process_events(&mut self, session: &mut Session<H::Proto>, now: Instant) {
        while let Some(ev) = session.poll_event() {
            let out = match ev {
                SessionEvent::Transmitted {
                    id,
                    seq,
                    attempt,
                    reason,
                } => {
                    // The context borrows other fields than `pending`: the request is updated
                    // in place (this runs once per transmission).
                    let ctx = link_ctx(self.idx, self.link, &self.shared, &self.wall, now);
                    let Some(p) = self.pending.get_mut(&id) else {
                        continue;
                    };
                    let first = p.written_at.is_none();
                    if first {
                        p.written_at = Some(ctx.wall());
                    }
                    // A first transmission on a new link after a loss is a reconnect re-send.
                    let reason = if attempt == 1 {
                        ResendReason::Reconnect
                    } else {
                        reason.unwrap_or(ResendReason::Reconnect)
                    };
                    let total = attempt + p.tries_before;
                    let ev = self
                        .shared
                        .hooks
                        .transmitted(&ctx, p, seq, first, total, reason);
                    ev.into_iter().collect::<Vec<_>>()
                }
                SessionEvent::Completed { id, seq, outcome } => {
                    let Some(p) = self.pending.remove(&id) else {
                        continue;
                    };
                    let settled = self.hooks().completed(&self.ctx(now), p, seq, outcome);
                    settle(&self.shared, self.idx, settled).await;
                    Vec::new()
                }
                SessionEvent::Inbound { seq, inbound } => {
                    let mut answers = Vec::new();
                    let events = {
                        let mut answer_now = |a| answers.push(a);
                        self.hooks()
                            .inbound(&self.ctx(now), &mut answer_now, seq, inbound)
                    };
                    for a in answers {
                        session.answer(seq, a);
                    }
                    events
                }
                SessionEvent::UnmatchedResponse { seq, command } => {
                    tracing::debug!(connection = self.idx, ?seq, command, "unmatched response");
                    Vec::new()
                }
                SessionEvent::ProtocolViolation { reason } => {
                    tracing::warn!(connection = self.idx, %reason, "protocol violation by the peer");
                    Vec::new()
                }
                SessionEvent::LinkDead => {
                    tracing::warn!(connection = self.idx, "heartbeat unanswered; link dead");
                    Vec::new()
                }
                SessionEvent::Terminated { by_peer } => {
                    tracing::debug!(connection = self.idx, by_peer, "session terminated");
                    Vec::new()
                }
            };
            for ev in out {
                self.shared.emit(self.idx, ev).await;
            }
        }
    }
}

fn link_ctx<'a, H: Hooks>(
    connection: usize,
    link: u64,
    shared: &'a PoolShared<H>,
    wall: &'a OnceLock<DateTime<Utc>>,
    now: Instant,
) -> LinkCtx<'a, H::Proto> {
    LinkCtx {
        connection,
        link,
        now,
        subscribed: shared.subscribed.load(Ordering::Acquire),
        wall,
        clock: &*shared.clock,
        acks: &shared.acks,
    }
}

async fn settle<H: Hooks>(shared: &PoolShared<H>, idx: usize, settled: super::Settled<H::Event>) {
    if let Some(ev) = settled.event {
        shared.emit(idx, ev).await;
    }
    if let Some(then) = settled.then {
        then();
    }
}

fn try_fill(reader: &mut FrameReader, rd: &OwnedReadHalf) -> Result<bool, super::StreamError> {
    reader.try_fill(rd)
}

async fn wait_close(rx: &mut watch::Receiver<Option<Instant>>) {
    if rx.wait_for(|c| c.is_some()).await.is_err() {
        std::future::pending::<()>().await;
    }
}
