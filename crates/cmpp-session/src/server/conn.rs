//! One task per gateway-side connection: login, then a single driver loop that owns the
//! socket halves and all per-connection state.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use cmpp_codec::auth::verify_connect;
use cmpp_codec::frame::CommandId;
use cmpp_codec::{
    decode, encode, ActiveTestResp, Connect, ConnectResp, ConnectStatus, Deliver, Header, MsgId,
    Packet, Pdu, SubmitResp, SubmitResult, Version,
};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::stats::inc;
use super::{lock, Account, ConnEntry, ConnectionInfo, QueuedDeliver, Shared, SubmitDecision};
use crate::io::{FrameReader, StreamError};
use crate::proto::TokenBucket;

pub(super) async fn run(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let (mut rd, mut wr) = stream.into_split();
    let mut reader = FrameReader::new(shared.config.max_frame_len);
    let first = tokio::time::timeout(shared.config.login_timeout, async {
        loop {
            if let Some(frame) = reader.next_frame()? {
                return Ok::<Bytes, StreamError>(frame);
            }
            reader.fill(&mut rd).await?;
        }
    })
    .await;
    let frame = match first {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            if matches!(e, StreamError::Frame(_) | StreamError::Desync(_)) {
                inc(&shared.stats.protocol_errors);
            }
            login_failed(&shared, peer, &format!("before login: {e}"));
            return;
        }
        Err(_) => {
            login_failed(&shared, peer, "no CONNECT within the login timeout");
            return;
        }
    };
    let Some(login) = login(&shared, peer, frame, &mut wr).await else {
        return;
    };
    let (info, account, wake, kill) = login;
    inc(&shared.stats.logins_ok);
    inc(&shared.stats.connections);
    shared.handler.on_connect(&info);
    let mut conn = Conn {
        shared: shared.clone(),
        version: info.version,
        info,
        account,
        wbuf: BytesMut::with_capacity(16 * 1024),
        next_seq: 1,
        last_rx: Instant::now(),
        delayed: BTreeMap::new(),
        delayed_ctr: 0,
        delivers: HashMap::new(),
        batch: Vec::new(),
        heartbeat: None,
        terminating: None,
        close: None,
    };
    let reason = conn
        .drive(&mut reader, &mut rd, &mut wr, &wake, &kill)
        .await;
    conn.finish(&reason);
}

fn login_failed(shared: &Shared, peer: SocketAddr, reason: &str) {
    inc(&shared.stats.logins_failed);
    tracing::warn!(%peer, reason, "login failed; closing connection");
}

type LoginOk = (ConnectionInfo, Account, Arc<Notify>, Arc<Notify>);

async fn login(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    frame: Bytes,
    wr: &mut OwnedWriteHalf,
) -> Option<LoginOk> {
    let server_version = shared.config.version;
    let header = Header::parse(&frame).ok()?;
    if header.command_id != CommandId::CONNECT {
        inc(&shared.stats.protocol_errors);
        login_failed(
            shared,
            peer,
            &format!("first packet was {}, not CONNECT", header.command_id.name()),
        );
        return None;
    }
    let seq = header.sequence_id;
    let connect: Connect = match decode(frame, server_version) {
        Ok(Packet {
            pdu: Pdu::Connect(c),
            ..
        }) => c,
        other => {
            let why = match other {
                Err(e) => e.to_string(),
                Ok(_) => "not a CONNECT".to_owned(),
            };
            // Status 1: structure error, AuthenticatorISMG all zero.
            let resp = ConnectResp {
                status: ConnectStatus::BadStructure,
                authenticator_ismg: [0; 16],
                version: server_version.to_byte(),
            };
            send_once(wr, Packet::new(seq, resp), server_version).await;
            login_failed(shared, peer, &format!("malformed CONNECT: {why}"));
            return None;
        }
    };
    let sp_id = connect.source_addr.to_str_lossy().into_owned();
    let client_byte = connect.version;
    let too_high = client_byte > server_version.to_byte()
        && !(server_version == Version::V20 && client_byte == 0x21);
    // Unknown low values (0x00, 0x01 seen in the field) are served as 2.0.
    let session_version = Version::from_byte(client_byte).unwrap_or(Version::V20);
    let account = shared.accounts.lookup(&sp_id);
    let mut status = match &account {
        None => ConnectStatus::IllegalSourceAddr,
        Some(a) => match verify_connect(&connect, &a.sp_id, &a.secret) {
            Err(_) => ConnectStatus::AuthFailed,
            Ok(_) if too_high => ConnectStatus::VersionTooHigh,
            Ok(_) => ConnectStatus::Ok,
        },
    };
    let id = shared
        .next_conn_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let wake = Arc::new(Notify::new());
    let kill = Arc::new(Notify::new());
    if let (ConnectStatus::Ok, Some(a)) = (status, &account) {
        let mut map = lock(&shared.state);
        let st = Shared::account_state(&mut map, &sp_id);
        if st.conns.len() >= a.max_connections {
            status = ConnectStatus::Other(5);
        } else {
            st.conns.push(ConnEntry {
                id,
                wake: wake.clone(),
                kill: kill.clone(),
            });
            // Pick up anything queued while the account was offline.
            wake.notify_one();
        }
    }
    let resp_version = if status == ConnectStatus::VersionTooHigh {
        server_version
    } else {
        session_version
    };
    let secret = account.as_ref().map_or(&[][..], |a| &a.secret[..]);
    let resp =
        ConnectResp::for_connect(status, &connect, secret, resp_version).unwrap_or(ConnectResp {
            status,
            authenticator_ismg: [0; 16],
            version: resp_version.to_byte(),
        });
    let written = send_once(wr, Packet::new(seq, resp), resp_version).await;
    let Some(account) = account.filter(|_| status.is_ok()) else {
        login_failed(
            shared,
            peer,
            &format!("CONNECT from SP '{sp_id}' refused with status {status}"),
        );
        return None;
    };
    let info = ConnectionInfo {
        id,
        sp_id,
        peer,
        version: session_version,
    };
    if !written {
        unregister(shared, &info);
        login_failed(shared, peer, "could not write CONNECT_RESP");
        return None;
    }
    tracing::debug!(%peer, sp_id = %info.sp_id, conn = id, "SP logged in");
    Some((info, account, wake, kill))
}

async fn send_once(wr: &mut OwnedWriteHalf, packet: Packet, version: Version) -> bool {
    let mut buf = BytesMut::new();
    if encode(&packet, version, &mut buf).is_err() {
        return false;
    }
    wr.write_all(&buf).await.is_ok()
}

fn unregister(shared: &Shared, info: &ConnectionInfo) {
    let mut map = lock(&shared.state);
    if let Some(st) = map.get_mut(&info.sp_id) {
        st.conns.retain(|c| c.id != info.id);
    }
}

struct OutDeliver {
    deliver: Deliver,
    /// Transmissions on this connection.
    tries: u32,
    /// Earlier connections it was written on without an answer.
    links: u32,
    deadline: Instant,
}

/// What woke the connection task.
enum Wake {
    Kill,
    Read(Result<(), StreamError>),
    Timer,
    Notified,
    Shutdown,
}

struct Conn {
    shared: Arc<Shared>,
    info: ConnectionInfo,
    account: Account,
    version: Version,
    wbuf: BytesMut,
    next_seq: u32,
    last_rx: Instant,
    /// Responses held back by `RespondAfter`, by due time.
    delayed: BTreeMap<(Instant, u64), Packet>,
    delayed_ctr: u64,
    /// DELIVERs awaiting DELIVER_RESP, by Sequence_Id.
    delivers: HashMap<u32, OutDeliver>,
    /// Reused buffer for DELIVERs taken from the account queue.
    batch: Vec<QueuedDeliver>,
    /// (Sequence_Id, transmissions, deadline) of an unanswered ACTIVE_TEST.
    heartbeat: Option<(u32, u32, Instant)>,
    terminating: Option<Instant>,
    close: Option<String>,
}

impl Conn {
    async fn drive(
        &mut self,
        reader: &mut FrameReader,
        rd: &mut OwnedReadHalf,
        wr: &mut OwnedWriteHalf,
        wake: &Notify,
        kill: &Notify,
    ) -> String {
        let mut shutdown = self.shared.shutdown.subscribe();
        let shutdown_fut = super::wait_shutdown(&mut shutdown);
        tokio::pin!(shutdown_fut);
        let kill_fut = kill.notified();
        tokio::pin!(kill_fut);
        let wake_fut = wake.notified();
        tokio::pin!(wake_fut);
        // One timer for the connection's life: re-armed only when the next deadline moves
        // earlier (or after it fired). A wake-up before anything is due is harmless.
        let mut armed = self.next_timeout();
        let sleep = tokio::time::sleep_until(armed);
        tokio::pin!(sleep);
        // Packets sent right behind the CONNECT are already buffered.
        let mut now = Instant::now();
        self.read_frames(reader, now);
        let mut yielded = false;
        loop {
            self.pull_delivers(now);
            if !self.wbuf.is_empty()
                && self.close.is_none()
                && !yielded
                && self.wbuf.len() < 64 * 1024
            {
                // Let the handler and the other tasks run once so that what they produce
                // for this link goes out in the same write.
                yielded = true;
                tokio::task::yield_now().await;
                now = Instant::now();
                if self.try_read(reader, rd, now) {
                    continue;
                }
                self.pull_delivers(now);
            }
            yielded = false;
            if !self.wbuf.is_empty() {
                if let Err(e) = wr.write_all(&self.wbuf).await {
                    return format!("write failed: {e}");
                }
                self.wbuf.clear();
            }
            if let Some(reason) = self.close.take() {
                let _ = wr.shutdown().await;
                return reason;
            }
            let deadline = self.next_timeout();
            if deadline < armed || sleep.is_elapsed() {
                armed = deadline;
                sleep.as_mut().reset(deadline);
            }
            let terminating = self.terminating.is_some();
            let woke = tokio::select! {
                biased;
                _ = &mut kill_fut => Wake::Kill,
                r = reader.fill(rd) => Wake::Read(r),
                _ = &mut sleep => Wake::Timer,
                _ = &mut wake_fut => Wake::Notified,
                _ = &mut shutdown_fut, if !terminating => Wake::Shutdown,
            };
            // One clock read per wake-up.
            now = Instant::now();
            match woke {
                Wake::Kill => return "dropped by fault injection".to_owned(),
                Wake::Read(Err(e)) => {
                    self.protocol_error_if(&e);
                    return e.to_string();
                }
                Wake::Read(Ok(())) => self.read_frames(reader, now),
                Wake::Timer => self.handle_timeout(now),
                Wake::Notified => wake_fut.set(wake.notified()),
                Wake::Shutdown => {
                    let seq = self.alloc_seq();
                    self.push(Packet::new(seq, Pdu::Terminate));
                    self.terminating = Some(now + self.shared.config.response_timeout);
                }
            }
        }
    }

    /// Reads whatever the socket has right now without waiting; true if it read anything
    /// (the frames are handled), false if nothing was there.
    fn try_read(&mut self, reader: &mut FrameReader, rd: &OwnedReadHalf, now: Instant) -> bool {
        match reader.try_fill(rd) {
            Ok(true) => {
                self.read_frames(reader, now);
                true
            }
            Ok(false) => false,
            // The error shows up again on the next blocking read.
            Err(_) => false,
        }
    }

    /// Handles every complete frame in the read buffer.
    fn read_frames(&mut self, reader: &mut FrameReader, now: Instant) {
        while self.close.is_none() {
            match reader.next_frame() {
                Ok(Some(frame)) => self.handle_frame(frame, now),
                Ok(None) => break,
                Err(e) => {
                    self.protocol_error_if(&e);
                    tracing::warn!(peer = %self.info.peer, cause = %e, "closing connection");
                    self.close = Some(e.to_string());
                }
            }
        }
    }

    fn protocol_error_if(&self, e: &StreamError) {
        if matches!(e, StreamError::Frame(_) | StreamError::Desync(_)) {
            inc(&self.shared.stats.protocol_errors);
            tracing::warn!(peer = %self.info.peer, cause = %e, "closing connection");
        }
    }

    fn finish(&mut self, reason: &str) {
        let shared = &self.shared;
        {
            let mut map = lock(&shared.state);
            let st = Shared::account_state(&mut map, &self.info.sp_id);
            st.conns.retain(|c| c.id != self.info.id);
            // At-least-once: DELIVERs written on this link and not acknowledged go back to
            // the front of the queue, in their original order, for the next live link.
            let mut open: Vec<(u32, OutDeliver)> = self.delivers.drain().collect();
            open.sort_unstable_by_key(|(s, _)| *s);
            if !open.is_empty() {
                tracing::debug!(peer = %self.info.peer, requeued = open.len(), "unacknowledged DELIVERs queued again");
            }
            for (_, d) in open.into_iter().rev() {
                st.queue.push_front(QueuedDeliver {
                    deliver: d.deliver,
                    links: d.links + 1,
                });
            }
            Shared::wake_all(st);
        }
        shared
            .stats
            .connections
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(peer = %self.info.peer, reason, "connection closed");
        shared.handler.on_disconnect(&self.info, reason);
    }

    fn alloc_seq(&mut self) -> u32 {
        let s = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        s
    }

    fn push(&mut self, packet: Packet) {
        if let Err(e) = encode(&packet, self.version, &mut self.wbuf) {
            tracing::warn!(peer = %self.info.peer, error = %e, "could not encode {}", packet.pdu.name());
        }
    }

    fn respond_submit(&mut self, seq: u32, msg_id: MsgId, result: u32) {
        self.shared.stats.count_result(result);
        let resp = SubmitResp {
            msg_id,
            result: SubmitResult::from_u32(result),
        };
        self.push(Packet::new(seq, resp));
    }

    fn rate_ok(&self, now: Instant) -> bool {
        if self.account.rate_limit == 0 {
            return true;
        }
        let mut map = lock(&self.shared.state);
        let st = Shared::account_state(&mut map, &self.info.sp_id);
        let rate = self.account.rate_limit;
        st.bucket
            .get_or_insert_with(|| TokenBucket::new(rate, now))
            .try_take(now)
    }

    fn handle_frame(&mut self, frame: Bytes, now: Instant) {
        self.last_rx = now;
        self.heartbeat = None;
        let packet = match decode(frame, self.version) {
            Ok(p) => p,
            Err(e) => {
                inc(&self.shared.stats.protocol_errors);
                tracing::warn!(peer = %self.info.peer, cause = %e, "malformed packet; closing connection");
                self.close = Some(format!("malformed packet: {e}"));
                return;
            }
        };
        let seq = packet.sequence_id;
        match packet.pdu {
            Pdu::Submit(submit) => {
                inc(&self.shared.stats.submits);
                if self.delayed.len() >= self.account.window.max(1) || !self.rate_ok(now) {
                    return self.respond_submit(seq, MsgId::from_u64(0), 8);
                }
                match self.shared.handler.on_submit(&self.info, seq, &submit) {
                    SubmitDecision::Respond { msg_id, result } => {
                        self.respond_submit(seq, msg_id, result)
                    }
                    SubmitDecision::RespondAfter {
                        delay,
                        msg_id,
                        result,
                    } => {
                        self.delayed_ctr += 1;
                        let resp = SubmitResp {
                            msg_id,
                            result: SubmitResult::from_u32(result),
                        };
                        self.delayed
                            .insert((now + delay, self.delayed_ctr), Packet::new(seq, resp));
                    }
                    SubmitDecision::Ignore => {}
                    SubmitDecision::DropLink => {
                        self.close = Some("handler dropped the link".to_owned());
                    }
                }
            }
            Pdu::DeliverResp(r) => {
                if self.delivers.remove(&seq).is_some() {
                    inc(&self.shared.stats.delivers_acked);
                    self.shared
                        .handler
                        .on_deliver_resp(&self.info, r.msg_id, r.result.to_u32());
                }
            }
            Pdu::ActiveTest => self.push(Packet::new(seq, ActiveTestResp::default())),
            Pdu::ActiveTestResp(_) => {}
            Pdu::Query(q) => {
                let resp = self.shared.handler.on_query(&self.info, &q);
                self.push(Packet::new(seq, resp));
            }
            Pdu::Cancel(c) => {
                let resp = self.shared.handler.on_cancel(&self.info, &c);
                self.push(Packet::new(seq, resp));
            }
            Pdu::Terminate => {
                self.push(Packet::new(seq, Pdu::TerminateResp));
                self.close = Some("SP sent TERMINATE".to_owned());
            }
            Pdu::TerminateResp => {
                if self.terminating.is_some() {
                    self.close = Some("server shutdown (TERMINATE answered)".to_owned());
                }
            }
            other => {
                inc(&self.shared.stats.protocol_errors);
                let reason = format!("unexpected {} from the SP", other.name());
                tracing::warn!(peer = %self.info.peer, cause = %reason, "closing connection");
                self.close = Some(reason);
            }
        }
    }

    fn pull_delivers(&mut self, now: Instant) {
        if self.terminating.is_some() || self.close.is_some() {
            return;
        }
        let room = self
            .shared
            .config
            .deliver_window
            .saturating_sub(self.delivers.len());
        if room == 0 {
            return;
        }
        let mut batch = std::mem::take(&mut self.batch);
        {
            let mut map = lock(&self.shared.state);
            let Some(st) = map.get_mut(&self.info.sp_id) else {
                return;
            };
            let n = room.min(st.queue.len());
            batch.extend(st.queue.drain(..n));
            if !st.queue.is_empty() {
                // Left some behind: let the account's other links take their share.
                for c in st.conns.iter().filter(|c| c.id != self.info.id) {
                    c.wake.notify_one();
                }
            }
        }
        let deadline = now + self.shared.config.response_timeout;
        for q in batch.drain(..) {
            let seq = self.alloc_seq();
            let packet = Packet::new(seq, q.deliver);
            if let Err(e) = encode(&packet, self.version, &mut self.wbuf) {
                inc(&self.shared.stats.delivers_failed);
                tracing::warn!(peer = %self.info.peer, error = %e, "DELIVER cannot be encoded; dropped");
                continue;
            }
            if q.links == 0 {
                inc(&self.shared.stats.delivers_sent);
            } else {
                inc(&self.shared.stats.delivers_resent);
            }
            if let Pdu::Deliver(deliver) = packet.pdu {
                self.delivers.insert(
                    seq,
                    OutDeliver {
                        deliver,
                        tries: 1,
                        links: q.links,
                        deadline,
                    },
                );
            }
        }
        self.batch = batch;
    }

    fn next_timeout(&self) -> Instant {
        let cfg = &self.shared.config;
        let mut next = self.last_rx + cfg.idle_timeout;
        next = next.min(match self.heartbeat {
            Some((_, _, deadline)) => deadline,
            None => self.last_rx + cfg.heartbeat,
        });
        if let Some((&(t, _), _)) = self.delayed.first_key_value() {
            next = next.min(t);
        }
        for d in self.delivers.values() {
            next = next.min(d.deadline);
        }
        if let Some(t) = self.terminating {
            next = next.min(t);
        }
        next
    }

    fn handle_timeout(&mut self, now: Instant) {
        let shared = self.shared.clone();
        let cfg = &shared.config;
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let packet = entry.remove();
            if let Pdu::SubmitResp(r) = &packet.pdu {
                self.shared.stats.count_result(r.result.to_u32());
            }
            self.push(packet);
        }
        let mut resend = Vec::new();
        let mut failed = Vec::new();
        for (&seq, d) in self.delivers.iter_mut() {
            if now >= d.deadline {
                if d.tries < cfg.max_tries {
                    d.tries += 1;
                    d.deadline = now + cfg.response_timeout;
                    resend.push(seq);
                } else {
                    failed.push(seq);
                }
            }
        }
        resend.sort_unstable();
        for seq in resend {
            if let Some(d) = self.delivers.get(&seq) {
                let packet = Packet::new(seq, d.deliver.clone());
                inc(&self.shared.stats.delivers_resent);
                self.push(packet);
            }
        }
        for seq in failed {
            self.delivers.remove(&seq);
            inc(&self.shared.stats.delivers_failed);
            tracing::warn!(peer = %self.info.peer, sp_id = %self.info.sp_id, seq, "DELIVER unanswered after {} tries on a live link; given up", cfg.max_tries);
        }
        match self.heartbeat {
            Some((seq, tries, deadline)) if now >= deadline => {
                if tries < cfg.max_tries {
                    self.heartbeat = Some((seq, tries + 1, now + cfg.response_timeout));
                    self.push(Packet::new(seq, Pdu::ActiveTest));
                } else {
                    self.close = Some(format!("{tries} ACTIVE_TEST unanswered"));
                }
            }
            None if now >= self.last_rx + cfg.heartbeat => {
                let seq = self.alloc_seq();
                self.heartbeat = Some((seq, 1, now + cfg.response_timeout));
                self.push(Packet::new(seq, Pdu::ActiveTest));
            }
            _ => {}
        }
        if now >= self.last_rx + cfg.idle_timeout {
            self.close = Some(format!("idle for {:?}", cfg.idle_timeout));
        }
        if self.terminating.is_some_and(|t| now >= t) {
            self.close = Some("server shutdown (TERMINATE unanswered)".to_owned());
        }
    }
}
