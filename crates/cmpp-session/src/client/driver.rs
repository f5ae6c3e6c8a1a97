//! One task per pool connection: logs in, owns the socket halves and the
//! [`ClientSession`], reconnects per the policy.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use cmpp_codec::long::{MessageKey, PushOutcome, ReassembledMessage};
use cmpp_codec::text;
use cmpp_codec::{decode, Deliver, DeliverContent, DeliverResult};
use rand::Rng;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::ack::{AckMsg, AckTarget, DeliverAck};
use super::dedupe::{DeliverKey, Seen};
use super::error::{LoginError, SubmitError};
use super::events::{ClientEvent, LifecycleEvent, LifecycleKind, LinkLoss};
use super::request::SubmitOutcome;
use super::{lock, ControlReply, Shared};
use crate::io::FrameReader;
use crate::proto::{
    ClientSession, CmppSp, RequestId, RequestOutcome, ResendReason, Response, SessionEvent,
    TokenBucket,
};

mod inbound;

/// A request travelling from `Client::submit` to a driver.
pub(crate) struct Cmd {
    pub(crate) frame: BytesMut,
    pub(crate) local_id: Arc<str>,
    pub(crate) dests: u16,
    /// The first destination (to tell reports apart when the gateway repeats Msg_Ids).
    pub(crate) first_dest: Arc<str>,
    pub(crate) segment: (u8, u8),
    pub(crate) reply: Reply,
}

/// Where the final answer of a request goes.
pub(crate) enum Reply {
    /// A SUBMIT's caller.
    Submit(oneshot::Sender<Result<SubmitOutcome, SubmitError>>),
    /// A QUERY's or CANCEL's caller.
    Control(oneshot::Sender<Result<ControlReply, SubmitError>>),
}

impl Reply {
    fn is_control(&self) -> bool {
        matches!(self, Reply::Control(_))
    }

    fn fail(self, err: SubmitError) {
        match self {
            Reply::Submit(tx) => {
                let _ = tx.send(Err(err));
            }
            Reply::Control(tx) => {
                let _ = tx.send(Err(err));
            }
        }
    }
}

struct Pending {
    cmd_meta: Meta,
    reply: Reply,
}

struct Meta {
    local_id: Arc<str>,
    dests: u16,
    first_dest: Arc<str>,
    segment: (u8, u8),
    written_at: Option<DateTime<Utc>>,
    /// Transmissions on earlier links.
    tries_before: u32,
    /// Re-queued after a reconnect although possibly accepted.
    reconnect_resend: bool,
}

/// What woke the drive loop.
enum Woke {
    Read(Result<(), LinkLoss>),
    Cmd(Option<Cmd>),
    Ack(Option<AckMsg>),
    Timer,
    Close,
}

/// Why the drive loop ended.
enum LinkEnd {
    Lost(LinkLoss),
    Closed,
}

pub(crate) struct Driver {
    pub(crate) idx: usize,
    pub(crate) shared: Arc<Shared>,
    pub(crate) cmd_rx: mpsc::Receiver<Cmd>,
    ack_rx: mpsc::UnboundedReceiver<AckMsg>,
    /// Generation of the current link (answers meant for an earlier link are dropped).
    link: u64,
    pub(crate) close_rx: watch::Receiver<Option<Instant>>,
    requeue: VecDeque<(BytesMut, Pending)>,
    pending: HashMap<RequestId, Pending>,
    next_seq: u32,
    /// Wall-clock time of the current wake-up, read at most once per wake-up.
    wall: Option<DateTime<Utc>>,
}

impl Driver {
    pub(crate) fn new(
        idx: usize,
        shared: Arc<Shared>,
        cmd_rx: mpsc::Receiver<Cmd>,
        ack_rx: mpsc::UnboundedReceiver<AckMsg>,
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
            next_seq: 1,
            wall: None,
        }
    }

    fn closing(&self) -> bool {
        self.close_rx.borrow().is_some()
    }

    pub(crate) async fn run(mut self, first: oneshot::Sender<Result<(), LoginError>>) {
        let mut first = Some(first);
        let mut attempt = 0u32;
        let cfg = self.shared.config.clone();
        loop {
            if self.closing() {
                break;
            }
            let login = tokio::select! {
                r = super::login::login(&cfg, &self.shared.login_clock) => r,
                _ = wait_close(&mut self.close_rx) => Err(LoginError::Closed),
            };
            match login {
                Ok((stream, reader)) => {
                    attempt = 0;
                    if let Some(f) = first.take() {
                        let _ = f.send(Ok(()));
                    }
                    self.shared.up[self.idx].store(true, Ordering::Release);
                    self.emit(ClientEvent::LinkUp {
                        connection: self.idx,
                    })
                    .await;
                    let end = self.drive(stream, reader).await;
                    self.shared.up[self.idx].store(false, Ordering::Release);
                    let reason = match &end {
                        LinkEnd::Lost(r) => r.clone(),
                        LinkEnd::Closed => LinkLoss::Closed,
                    };
                    self.emit(ClientEvent::LinkDown {
                        connection: self.idx,
                        reason,
                    })
                    .await;
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
            let unit: f64 = rand::thread_rng().gen();
            let Some(delay) = cfg.reconnect.delay(attempt, unit) else {
                tracing::warn!(connection = self.idx, "reconnect attempts exhausted");
                break;
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = wait_close(&mut self.close_rx) => {}
            }
        }
        if let Some(f) = first.take() {
            let _ = f.send(Err(LoginError::Closed));
        }
        // Nothing is dropped silently: every queued request gets a definite answer.
        self.cmd_rx.close();
        while let Some((_, p)) = self.requeue.pop_front() {
            let maybe = p.cmd_meta.written_at.is_some() && p.cmd_meta.reconnect_resend;
            self.fail(
                p,
                0,
                SubmitError::LinkLost {
                    maybe_accepted: maybe,
                },
            )
            .await;
        }
        while let Ok(cmd) = self.cmd_rx.try_recv() {
            cmd.reply.fail(SubmitError::Closed);
        }
    }

    /// The wall-clock time, read once per wake-up of the drive loop.
    fn wall_now(&mut self) -> DateTime<Utc> {
        if let Some(w) = self.wall {
            return w;
        }
        let w = self.shared.config.clock.now_utc();
        self.wall = Some(w);
        w
    }

    /// Queues an event for the subscriber; a full stream waits (back-pressure), counted
    /// and logged once. Before anyone subscribed, only reports and MO messages are queued,
    /// and only while there is room: the client never blocks for want of a reader, and a
    /// DELIVER that finds no room stays unanswered for the gateway to send again.
    async fn emit(&self, ev: ClientEvent) {
        let is_deliver = matches!(
            ev,
            ClientEvent::Report { .. } | ClientEvent::UserMessage { .. }
        );
        if !self.shared.subscribed.load(Ordering::Acquire) {
            if !is_deliver {
                return;
            }
            if let Err(mpsc::error::TrySendError::Full(_)) = self.shared.events_tx.try_send(ev) {
                if self
                    .shared
                    .unsubscribed_delivers
                    .fetch_add(1, Ordering::Relaxed)
                    == 0
                {
                    tracing::warn!(
                        connection = self.idx,
                        "DELIVERs arrive but nobody subscribed to Client::events(); left unanswered for the gateway to send again"
                    );
                }
            }
            return;
        }
        match self.shared.events_tx.try_send(ev) {
            Ok(()) => {}
            // A dropped receiver means the application does not want events.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(ev)) => {
                if self.shared.stalls.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!(
                        connection = self.idx,
                        capacity = self.shared.config.event_capacity,
                        "event stream full: the subscriber is not reading; links stop reading from the gateway until it does (counted in Client::event_stalls)"
                    );
                }
                let _ = self.shared.events_tx.send(ev).await;
            }
        }
    }

    fn wants_lifecycle(&self) -> bool {
        self.shared.config.lifecycle_events && self.shared.subscribed.load(Ordering::Acquire)
    }

    async fn lifecycle(
        &mut self,
        local_id: Option<Arc<str>>,
        sequence_id: u32,
        kind: LifecycleKind,
    ) {
        if self.wants_lifecycle() {
            let at = self.wall_now();
            self.emit(ClientEvent::Lifecycle(LifecycleEvent {
                at,
                local_id,
                sequence_id,
                kind,
            }))
            .await;
        }
    }

    async fn fail(&mut self, p: Pending, seq: u32, err: SubmitError) {
        if !p.reply.is_control() {
            self.lifecycle(
                Some(p.cmd_meta.local_id.clone()),
                seq,
                LifecycleKind::Failed {
                    reason: err.to_string(),
                    maybe_accepted: err.maybe_accepted(),
                },
            )
            .await;
        }
        p.reply.fail(err);
    }

    async fn drive(&mut self, stream: TcpStream, mut reader: FrameReader) -> LinkEnd {
        let cfg = self.shared.config.clone();
        let (mut rd, mut wr) = stream.into_split();
        let mut now = Instant::now();
        let mut session = ClientSession::new(
            cfg.session_config(),
            CmppSp::new(cfg.version, self.next_seq),
            now,
        );
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
        let mut next_expire = now + Duration::from_secs(1);
        let mut closing = false;
        // A private receiver so that its `changed()` future can live across iterations.
        let mut close_rx = self.close_rx.clone();
        // One timer for the link's life: re-armed only when the next deadline moves earlier
        // (or after it fired). Waking before anything is due is harmless.
        let mut armed = now + Duration::from_secs(3600);
        let sleep = tokio::time::sleep_until(armed);
        tokio::pin!(sleep);
        // Packets that arrived together with CONNECT_RESP are already buffered.
        if let Err(reason) = self.read_frames(&mut reader, &mut session, cfg.version, now) {
            self.process_events(&mut session, now).await;
            return self.end_link(session, closing, LinkEnd::Lost(reason)).await;
        }
        let mut yielded = false;
        let end = loop {
            self.wall = None;
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
                // (and the gateway's next packets arrive) so they share one write.
                yielded = true;
                tokio::task::yield_now().await;
                now = Instant::now();
                match reader.try_fill(&rd) {
                    Ok(true) => {
                        if let Err(reason) =
                            self.read_frames(&mut reader, &mut session, cfg.version, now)
                        {
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
            wake = wake.min(next_expire);
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
                    if let Err(reason) =
                        self.read_frames(&mut reader, &mut session, cfg.version, now)
                    {
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
                // Every `Client` handle is gone: drain and close.
                Woke::Cmd(None) => {
                    session.close(now + cfg.response_timeout, now);
                    closing = true;
                }
                Woke::Timer => {
                    session.handle_timeout(now);
                    if now >= next_expire {
                        next_expire = now + Duration::from_secs(1);
                        self.expire_reassembly(now).await;
                    }
                }
                Woke::Ack(Some(ack)) => {
                    self.apply_ack(&mut session, ack);
                    while let Ok(ack) = self.ack_rx.try_recv() {
                        self.apply_ack(&mut session, ack);
                    }
                }
                // The client is gone; the close signal ends the link.
                Woke::Ack(None) => {}
                Woke::Close => {}
            }
        };
        self.end_link(session, closing, end).await
    }

    fn apply_ack(&self, session: &mut ClientSession, ack: AckMsg) {
        if ack.link == self.link {
            session.answer(ack.sequence_id, ack.result);
        }
    }

    /// Feeds every complete buffered frame to the session; `Err` when the stream cannot be
    /// read any further.
    fn read_frames(
        &self,
        reader: &mut FrameReader,
        session: &mut ClientSession,
        version: cmpp_codec::Version,
        now: Instant,
    ) -> Result<(), LinkLoss> {
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => match decode(frame, version) {
                    Ok(p) => session.handle_packet(p, now),
                    Err(e) => {
                        tracing::warn!(connection = self.idx, cause = %e, "skipping malformed packet from gateway")
                    }
                },
                Ok(None) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Takes queued commands without waiting while the window and the rate allow.
    fn take_ready(&mut self, session: &mut ClientSession, bucket: &mut TokenBucket, now: Instant) {
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
        mut session: ClientSession,
        closing: bool,
        end: LinkEnd,
    ) -> LinkEnd {
        let cfg = self.shared.config.clone();
        // Before any caller hears of the loss: new requests must not pick this link.
        self.shared.up[self.idx].store(false, Ordering::Release);
        self.wall = None;
        self.next_seq = session.protocol().next_sequence_id();
        let now = Instant::now();
        self.process_events(&mut session, now).await;
        for lost in session.link_lost() {
            let Some(mut p) = self.pending.remove(&lost.id) else {
                continue;
            };
            p.cmd_meta.tries_before += lost.tries;
            let requeue = !closing && (!lost.maybe_accepted || cfg.resend_unanswered_on_reconnect);
            if requeue {
                p.cmd_meta.reconnect_resend |= lost.maybe_accepted || lost.tries > 0;
                self.requeue.push_back((BytesMut::from(&lost.frame[..]), p));
            } else {
                let seq = sequence_of(&lost.frame);
                self.fail(
                    p,
                    seq,
                    SubmitError::LinkLost {
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
        session: &mut ClientSession,
        bucket: &mut TokenBucket,
        cmd: Cmd,
        now: Instant,
    ) {
        let p = Pending {
            cmd_meta: Meta {
                local_id: cmd.local_id,
                dests: cmd.dests,
                first_dest: cmd.first_dest,
                segment: cmd.segment,
                written_at: None,
                tries_before: 0,
                reconnect_resend: false,
            },
            reply: cmd.reply,
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

    async fn process_events(&mut self, session: &mut ClientSession, now: Instant) {
        while let Some(ev) = session.poll_event() {
            match ev {
                SessionEvent::Transmitted {
                    id,
                    seq: sequence_id,
                    attempt,
                    reason,
                } => {
                    let wall = self.wall_now();
                    let wants_lifecycle = self.wants_lifecycle();
                    let Some(p) = self.pending.get_mut(&id) else {
                        continue;
                    };
                    let m = &mut p.cmd_meta;
                    let first = m.written_at.is_none();
                    if first {
                        m.written_at = Some(wall);
                    }
                    if !wants_lifecycle || p.reply.is_control() {
                        continue;
                    }
                    let local_id = m.local_id.clone();
                    let kind = if first {
                        LifecycleKind::Submitted {
                            dests: m.dests,
                            segment: m.segment.0,
                            segments: m.segment.1,
                        }
                    } else {
                        let reason = if attempt == 1 {
                            ResendReason::Reconnect
                        } else {
                            reason.unwrap_or(ResendReason::Reconnect)
                        };
                        LifecycleKind::Resent {
                            attempt: attempt + m.tries_before,
                            reason,
                        }
                    };
                    self.lifecycle(Some(local_id), sequence_id, kind).await;
                }
                SessionEvent::Completed {
                    id,
                    seq: sequence_id,
                    outcome,
                } => {
                    let Some(p) = self.pending.remove(&id) else {
                        continue;
                    };
                    self.complete(p, sequence_id, outcome, now).await;
                }
                SessionEvent::Inbound {
                    seq: sequence_id,
                    inbound: deliver,
                } => self.on_deliver(session, sequence_id, deliver, now).await,
                SessionEvent::UnmatchedResponse {
                    seq: sequence_id,
                    command,
                } => {
                    tracing::debug!(
                        connection = self.idx,
                        sequence_id,
                        command,
                        "unmatched response"
                    )
                }
                SessionEvent::ProtocolViolation { reason } => {
                    tracing::warn!(connection = self.idx, %reason, "protocol violation by gateway")
                }
                SessionEvent::LinkDead => {
                    tracing::warn!(connection = self.idx, "heartbeat unanswered; link dead")
                }
                SessionEvent::Terminated { by_peer } => {
                    tracing::debug!(connection = self.idx, by_peer, "session terminated")
                }
                other => tracing::debug!(connection = self.idx, event = ?other, "session event"),
            }
        }
    }

    async fn complete(&mut self, p: Pending, seq: u32, outcome: RequestOutcome, now: Instant) {
        let tries_before = p.cmd_meta.tries_before;
        match outcome {
            RequestOutcome::Response {
                resp: Response::Query(resp),
                ..
            } => {
                if let Reply::Control(tx) = p.reply {
                    let _ = tx.send(Ok(ControlReply::Query(resp)));
                }
            }
            RequestOutcome::Response {
                resp: Response::Cancel(resp),
                ..
            } => {
                if let Reply::Control(tx) = p.reply {
                    let _ = tx.send(Ok(ControlReply::Cancel(resp)));
                }
            }
            RequestOutcome::Response {
                resp: Response::Submit(resp),
                tries,
            } => {
                let Reply::Submit(reply) = p.reply else {
                    return;
                };
                let responded_at = self.wall_now();
                let local_id = p.cmd_meta.local_id.clone();
                if resp.result.is_ok() {
                    let repeated = lock(&self.shared.index).insert(
                        resp.msg_id,
                        p.cmd_meta.dests,
                        &local_id,
                        &p.cmd_meta.first_dest,
                        now,
                    );
                    if repeated && self.shared.repeated_msg_ids.fetch_add(1, Ordering::Relaxed) == 0
                    {
                        tracing::warn!(
                            connection = self.idx,
                            msg_id = %resp.msg_id,
                            "the gateway gave one Msg_Id to several SUBMITs; their reports are matched by Msg_Id and destination (counted in Client::repeated_msg_ids)"
                        );
                    }
                }
                self.lifecycle(
                    Some(local_id.clone()),
                    seq,
                    LifecycleKind::Responded {
                        msg_id: resp.msg_id,
                        result: resp.result,
                    },
                )
                .await;
                let _ = reply.send(Ok(SubmitOutcome {
                    local_id,
                    msg_id: resp.msg_id,
                    result: resp.result,
                    sequence_id: seq,
                    tries: tries + tries_before,
                    written_at: p.cmd_meta.written_at.unwrap_or(responded_at),
                    responded_at,
                    connection: self.idx,
                }));
            }
            RequestOutcome::FlowControl { tries } => {
                self.fail(
                    p,
                    seq,
                    SubmitError::FlowControl {
                        tries: tries + tries_before,
                    },
                )
                .await
            }
            RequestOutcome::NoResponse { tries } => {
                self.fail(
                    p,
                    seq,
                    SubmitError::NoResponse {
                        maybe_accepted: true,
                        tries: tries + tries_before,
                    },
                )
                .await
            }
            RequestOutcome::Abandoned { maybe_accepted, .. } => {
                self.fail(p, seq, SubmitError::LinkLost { maybe_accepted })
                    .await
            }
            // An outcome this client does not know: treated as possibly accepted.
            _ => {
                self.fail(
                    p,
                    seq,
                    SubmitError::LinkLost {
                        maybe_accepted: true,
                    },
                )
                .await
            }
        }
    }
}

fn sequence_of(frame: &[u8]) -> u32 {
    frame
        .get(8..12)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

async fn wait_close(rx: &mut watch::Receiver<Option<Instant>>) {
    if rx.wait_for(|c| c.is_some()).await.is_err() {
        std::future::pending::<()>().await;
    }
}
