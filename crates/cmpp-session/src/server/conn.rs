//! One task per gateway-side connection: the login, then a driver loop that moves bytes
//! and time in and out of a [`ServerSession`] and calls the [`GatewayHandler`].
//!
//! [`GatewayHandler`]: super::GatewayHandler

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use cmpp_codec::auth::verify_connect;
use cmpp_codec::frame::CommandId;
use cmpp_codec::{
    decode, encode, Connect, ConnectResp, ConnectStatus, Header, MsgId, Packet, Pdu, Version,
};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::stats::inc;
use super::{
    lock, wait_shutdown, Account, ConnEntry, ConnectionInfo, PreLoginSlot, QueuedDeliver, Shared,
    SubmitDecision,
};
use crate::io::{FrameReader, StreamError};
use crate::proto::server::{
    CloseReason, SendDeliver, ServerEvent, ServerSession, ServerSessionConfig, RESULT_FLOW_CONTROL,
};
use crate::proto::TokenBucket;

/// Above this many unwritten bytes the connection stops reading: a peer that sends but
/// never reads cannot make the gateway buffer without bound.
const MAX_UNWRITTEN: usize = 256 * 1024;

/// How long the answer to a TERMINATE may take to write before the socket is closed.
const FINAL_FLUSH: Duration = Duration::from_secs(1);

pub(super) async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    slot: PreLoginSlot,
) {
    let (mut rd, mut wr) = stream.into_split();
    let mut reader = crate::io::reader(shared.config.max_frame_len);
    let mut shutdown = shared.shutdown.subscribe();
    let first = tokio::select! {
        r = tokio::time::timeout(shared.config.login_timeout, first_frame(&mut reader, &mut rd)) => r,
        _ = wait_shutdown(&mut shutdown) => return,
    };
    let frame = match first {
        Ok(Ok(f)) => f,
        Ok(Err(StreamError::Eof)) if reader.buffered() == 0 => {
            // A port probe or a health check: nothing worth a warning.
            tracing::debug!(%peer, "connection closed before any byte");
            return;
        }
        Ok(Err(e)) => {
            if matches!(e, StreamError::Frame(_) | StreamError::Desync(_)) {
                inc(&shared.stats.protocol_errors);
            }
            login_failed(&shared, peer, None, &format!("before login: {e}"));
            return;
        }
        Err(_) => {
            login_failed(&shared, peer, None, "no CONNECT within the login timeout");
            return;
        }
    };
    let Some((info, account, wake, kill)) = login(&shared, peer, frame, &mut wr).await else {
        return;
    };
    drop(shutdown);
    drop(slot);
    inc(&shared.stats.logins_ok);
    inc(&shared.stats.connections);
    shared.handler.on_connect(&info);
    let now = Instant::now();
    let cfg = &shared.config;
    let session = ServerSession::new(
        ServerSessionConfig {
            version: info.version,
            response_timeout: cfg.response_timeout,
            max_tries: cfg.max_tries,
            heartbeat: cfg.heartbeat,
            idle_timeout: cfg.idle_timeout,
            submit_window: account.window,
            deliver_window: cfg.deliver_window,
            write_deadline: cfg.write_deadline,
            checks: cfg.submit_checks,
        },
        now,
    );
    let mut conn = Conn {
        shared: shared.clone(),
        info,
        account,
        session,
        wbuf: BytesMut::with_capacity(16 * 1024),
        batch: Vec::new(),
        reason: None,
    };
    conn.drive(&mut reader, &mut rd, &mut wr, &wake, &kill)
        .await;
    conn.finish();
}

async fn first_frame(
    reader: &mut FrameReader,
    rd: &mut OwnedReadHalf,
) -> Result<Bytes, StreamError> {
    loop {
        if let Some(frame) = reader.next_frame()? {
            return Ok(frame);
        }
        reader.fill(rd).await?;
    }
}

/// Counts a failed login and logs it: the first of a burst from an address as a warning,
/// the rest summed up once the burst ends (see `report_login_bursts`).
fn login_failed(shared: &Shared, peer: SocketAddr, sp_id: Option<&str>, reason: &str) {
    inc(&shared.stats.logins_failed);
    let first = lock(&shared.login_guard).record_failure(peer.ip(), sp_id, Instant::now());
    if first {
        tracing::warn!(%peer, reason, "login failed; closing connection (further failures from this address are counted, not logged, until they stop)");
    } else {
        tracing::debug!(%peer, reason, "login failed; closing connection");
    }
}

type LoginOk = (ConnectionInfo, Account, Arc<Notify>, Arc<Notify>);

async fn login(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    frame: Bytes,
    wr: &mut OwnedWriteHalf,
) -> Option<LoginOk> {
    let server_version = shared.config.version;
    let Ok(header) = Header::parse(&frame) else {
        login_failed(shared, peer, None, "frame shorter than a header");
        return None;
    };
    if header.command_id != CommandId::CONNECT {
        inc(&shared.stats.protocol_errors);
        login_failed(
            shared,
            peer,
            None,
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
            login_failed(shared, peer, None, &format!("malformed CONNECT: {why}"));
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
    let now = Instant::now();
    let wall = shared.clock.now_utc();
    // Only a wrong authenticator (a password guess) counts against the SP id; the other
    // refusals count against the address alone, so that replaying a captured CONNECT or
    // hammering while throttled cannot lock the SP out.
    let mut guess = false;
    let (mut status, mut refusal) = {
        let guard = lock(&shared.login_guard);
        match guard.check_throttle(peer.ip(), &sp_id, now) {
            Err(r) => (ConnectStatus::AuthFailed, Some(r.to_string())),
            Ok(()) => match &account {
                None => (ConnectStatus::IllegalSourceAddr, None),
                Some(a) => match verify_connect(&connect, &a.sp_id, &a.secret) {
                    Err(e) => {
                        guess = true;
                        (ConnectStatus::AuthFailed, Some(e.to_string()))
                    }
                    Ok(_) => match guard.check_timestamp(connect.timestamp, wall) {
                        Err(r) => (ConnectStatus::AuthFailed, Some(r.to_string())),
                        Ok(()) if too_high => (ConnectStatus::VersionTooHigh, None),
                        Ok(()) => (ConnectStatus::Ok, None),
                    },
                },
            },
        }
    };
    let id = shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
    let wake = Arc::new(Notify::new());
    let kill = Arc::new(Notify::new());
    if let (ConnectStatus::Ok, Some(a)) = (status, &account) {
        let mut map = lock(&shared.state);
        let st = Shared::account_state(&mut map, &sp_id);
        if st.conns.len() >= a.max_connections {
            status = ConnectStatus::Other(5);
            refusal = Some(format!("{} connections already open", st.conns.len()));
        } else if let Err(r) =
            lock(&shared.login_guard).check_replay(&connect.authenticator_source, now)
        {
            // Only a login about to be accepted burns its authenticator, so a refused
            // attempt (too many connections, version) can be retried with the same one.
            status = ConnectStatus::AuthFailed;
            refusal = Some(r.to_string());
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
        let why = refusal.map(|r| format!(": {r}")).unwrap_or_default();
        login_failed(
            shared,
            peer,
            guess.then_some(sp_id.as_str()),
            &format!("CONNECT from SP '{sp_id}' refused with status {status}{why}"),
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
        login_failed(shared, peer, None, "could not write CONNECT_RESP");
        return None;
    }
    lock(&shared.login_guard).record_success(peer.ip(), &info.sp_id);
    tracing::debug!(%peer, sp_id = %info.sp_id, conn = id, "SP logged in");
    Some((info, account, wake, kill))
}

async fn send_once(wr: &mut OwnedWriteHalf, packet: Packet, version: Version) -> bool {
    let mut buf = BytesMut::new();
    if encode(&packet, version, &mut buf).is_err() {
        return false;
    }
    // A peer that does not read its CONNECT_RESP is not waited for.
    matches!(
        tokio::time::timeout(FINAL_FLUSH, wr.write_all(&buf)).await,
        Ok(Ok(()))
    )
}

fn unregister(shared: &Shared, info: &ConnectionInfo) {
    let mut map = lock(&shared.state);
    if let Some(st) = map.get_mut(&info.sp_id) {
        st.conns.retain(|c| c.id != info.id);
    }
}

/// What woke the connection task.
enum Wake {
    Kill,
    Wrote(std::io::Result<usize>),
    Read(Result<(), StreamError>),
    Timer,
    Notified,
    Shutdown,
}

struct Conn {
    shared: Arc<Shared>,
    info: ConnectionInfo,
    account: Account,
    session: ServerSession,
    /// Bytes handed out by the session and not yet written.
    wbuf: BytesMut,
    /// Reused buffer for DELIVERs taken from the account queue.
    batch: Vec<QueuedDeliver>,
    reason: Option<CloseReason>,
}

impl Conn {
    async fn drive(
        &mut self,
        reader: &mut FrameReader,
        rd: &mut OwnedReadHalf,
        wr: &mut OwnedWriteHalf,
        wake: &Notify,
        kill: &Notify,
    ) {
        let mut shutdown = self.shared.shutdown.subscribe();
        let shutdown_fut = wait_shutdown(&mut shutdown);
        tokio::pin!(shutdown_fut);
        let kill_fut = kill.notified();
        tokio::pin!(kill_fut);
        let wake_fut = wake.notified();
        tokio::pin!(wake_fut);
        let sleep = tokio::time::sleep_until(Instant::now());
        tokio::pin!(sleep);
        let mut now = Instant::now();
        // Packets sent right behind the CONNECT are already buffered.
        self.read_frames(reader, now);
        let mut yielded = false;
        loop {
            self.pull_delivers(now);
            self.process_events(now);
            self.session.poll_transmit(&mut self.wbuf);
            if let Some(reason) = self.reason.clone() {
                self.final_flush(wr, &reason).await;
                return;
            }
            if !self.wbuf.is_empty() && !yielded && self.wbuf.len() < 64 * 1024 {
                // Let the handler and the other tasks run once so that what they produce
                // for this link goes out in the same write.
                yielded = true;
                tokio::task::yield_now().await;
                now = Instant::now();
                self.try_read(reader, rd, now);
                continue;
            }
            yielded = false;
            let writing = !self.wbuf.is_empty();
            if writing {
                self.session.write_blocked(now);
            }
            let reading = self.wbuf.len() < MAX_UNWRITTEN;
            let terminating = self.session.is_terminating();
            if let Some(t) = self.session.poll_timeout() {
                if sleep.deadline() != t {
                    sleep.as_mut().reset(t);
                }
            }
            let woke = {
                let wbuf = &self.wbuf;
                tokio::select! {
                    biased;
                    _ = &mut kill_fut => Wake::Kill,
                    r = wr.write(wbuf), if writing => Wake::Wrote(r),
                    r = reader.fill(rd), if reading => Wake::Read(r),
                    _ = &mut sleep => Wake::Timer,
                    _ = &mut wake_fut => Wake::Notified,
                    _ = &mut shutdown_fut, if !terminating => Wake::Shutdown,
                }
            };
            // One clock read per wake-up.
            now = Instant::now();
            match woke {
                Wake::Kill => {
                    self.reason = Some(CloseReason::Local("dropped by fault injection".into()));
                    return;
                }
                Wake::Wrote(Ok(n)) if n > 0 => {
                    self.wbuf.advance(n);
                    // The deadline is for a peer that takes nothing; a slow reader that
                    // makes progress is bounded by MAX_UNWRITTEN instead.
                    self.session.write_flushed();
                }
                Wake::Wrote(r) => {
                    let why = r.err().map_or("peer closed".to_owned(), |e| e.to_string());
                    self.reason = Some(CloseReason::Local(format!("write failed: {why}")));
                    return;
                }
                Wake::Read(Err(e)) => {
                    self.stream_failed(e);
                    return;
                }
                Wake::Read(Ok(())) => self.read_frames(reader, now),
                Wake::Timer => self.session.handle_timeout(now),
                Wake::Notified => wake_fut.set(wake.notified()),
                Wake::Shutdown => self
                    .session
                    .terminate(now + self.shared.config.drain_timeout, now),
            }
        }
    }

    /// Writes what is left (a TERMINATE_RESP, the last answers) unless the peer is the
    /// reason the link is closing, then shuts the socket down.
    async fn final_flush(&mut self, wr: &mut OwnedWriteHalf, reason: &CloseReason) {
        let stuck = matches!(
            reason,
            CloseReason::WriteStalled(_) | CloseReason::Drained { answered: false }
        );
        if !stuck && !self.wbuf.is_empty() {
            let _ = tokio::time::timeout(FINAL_FLUSH, wr.write_all(&self.wbuf)).await;
        }
        let _ = tokio::time::timeout(FINAL_FLUSH, wr.shutdown()).await;
    }

    /// Reads whatever the socket has right now without waiting; true if it read anything.
    fn try_read(&mut self, reader: &mut FrameReader, rd: &OwnedReadHalf, now: Instant) -> bool {
        if self.wbuf.len() >= MAX_UNWRITTEN {
            return false;
        }
        match reader.try_fill(rd) {
            Ok(true) => {
                self.read_frames(reader, now);
                true
            }
            // An error shows up again on the next blocking read.
            Ok(false) | Err(_) => false,
        }
    }

    /// Feeds every complete frame in the read buffer to the session.
    fn read_frames(&mut self, reader: &mut FrameReader, now: Instant) {
        while !self.session.is_closed() {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    self.session.handle_frame(frame, now);
                    // Answer as we go so the window and rate checks see earlier SUBMITs.
                    self.process_events(now);
                }
                Ok(None) => break,
                Err(e) => {
                    self.stream_failed(e);
                    break;
                }
            }
        }
    }

    /// The byte stream cannot be read any further.
    fn stream_failed(&mut self, e: StreamError) {
        if matches!(e, StreamError::Frame(_) | StreamError::Desync(_)) {
            inc(&self.shared.stats.protocol_errors);
            tracing::warn!(peer = %self.info.peer, cause = %e, "closing connection");
            self.reason = Some(CloseReason::Protocol(e.to_string()));
        } else {
            self.reason = Some(CloseReason::Local(e.to_string()));
        }
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

    fn process_events(&mut self, now: Instant) {
        let shared = self.shared.clone();
        let stats = &shared.stats;
        while let Some(ev) = self.session.poll_event() {
            match ev {
                ServerEvent::Submit {
                    sequence_id,
                    submit,
                } => {
                    inc(&stats.submits);
                    if !self.rate_ok(now) {
                        self.session.respond_submit(
                            sequence_id,
                            MsgId::from_u64(0),
                            RESULT_FLOW_CONTROL,
                        );
                        continue;
                    }
                    match shared.handler.on_submit(&self.info, sequence_id, &submit) {
                        SubmitDecision::Respond { msg_id, result } => {
                            self.session.respond_submit(sequence_id, msg_id, result)
                        }
                        SubmitDecision::RespondAfter {
                            delay,
                            msg_id,
                            result,
                        } => self
                            .session
                            .respond_after(sequence_id, msg_id, result, now + delay),
                        SubmitDecision::Ignore => {}
                        SubmitDecision::DropLink => self.session.close("handler dropped the link"),
                    }
                }
                ServerEvent::SubmitRefused {
                    sequence_id,
                    result,
                    reason,
                } => {
                    inc(&stats.submits);
                    if result != RESULT_FLOW_CONTROL {
                        inc(&stats.submits_invalid);
                        tracing::debug!(peer = %self.info.peer, sp_id = %self.info.sp_id, sequence_id, result, reason, "SUBMIT refused");
                    }
                }
                ServerEvent::SubmitAnswered { result } => stats.count_result(result),
                ServerEvent::Query { sequence_id, query } => {
                    let resp = shared.handler.on_query(&self.info, &query);
                    self.session.respond(sequence_id, resp);
                }
                ServerEvent::Cancel {
                    sequence_id,
                    cancel,
                } => {
                    let resp = shared.handler.on_cancel(&self.info, &cancel);
                    self.session.respond(sequence_id, resp);
                }
                ServerEvent::DeliverAcked { msg_id, result, .. } => {
                    inc(&stats.delivers_acked);
                    stats.delivers_in_flight.fetch_sub(1, Ordering::Relaxed);
                    shared.handler.on_deliver_resp(&self.info, msg_id, result);
                }
                ServerEvent::DeliverResent { .. } => inc(&stats.delivers_resent),
                ServerEvent::DeliverLost {
                    sequence_id, tries, ..
                } => {
                    inc(&stats.delivers_failed);
                    stats.delivers_in_flight.fetch_sub(1, Ordering::Relaxed);
                    tracing::warn!(peer = %self.info.peer, sp_id = %self.info.sp_id, sequence_id, tries, "DELIVER unanswered on a live link; counted lost");
                }
                ServerEvent::Warning(w) => {
                    tracing::debug!(peer = %self.info.peer, warning = %w, "peer oddity")
                }
                ServerEvent::Closed(reason) => {
                    if reason.is_protocol_error() {
                        inc(&stats.protocol_errors);
                        tracing::warn!(peer = %self.info.peer, cause = %reason, "closing connection");
                    }
                    self.reason = Some(reason);
                }
            }
        }
    }

    fn pull_delivers(&mut self, now: Instant) {
        let room = self.session.deliver_room();
        if room == 0 || self.reason.is_some() {
            return;
        }
        let mut batch = std::mem::take(&mut self.batch);
        {
            let mut map = lock(&self.shared.state);
            let Some(st) = map.get_mut(&self.info.sp_id) else {
                self.batch = batch;
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
        let stats = &self.shared.stats;
        for q in batch.drain(..) {
            match self.session.send_deliver(q.deliver, q.links, now) {
                SendDeliver::Sent(_) => {
                    stats.delivers_in_flight.fetch_add(1, Ordering::Relaxed);
                    if q.links == 0 {
                        inc(&stats.delivers_sent);
                    } else {
                        inc(&stats.delivers_resent);
                    }
                }
                SendDeliver::Unencodable(_, e) => {
                    inc(&stats.delivers_failed);
                    tracing::warn!(peer = %self.info.peer, error = %e, "DELIVER cannot be encoded; dropped");
                }
                SendDeliver::NoRoom(d) => {
                    // Cannot happen (room was checked); keep the message all the same.
                    let mut map = lock(&self.shared.state);
                    Shared::account_state(&mut map, &self.info.sp_id)
                        .queue
                        .push_front(QueuedDeliver {
                            deliver: d,
                            links: q.links,
                        });
                }
            }
        }
        self.batch = batch;
    }

    fn finish(&mut self) {
        let reason = self
            .reason
            .take()
            .map_or_else(|| "closed".to_owned(), |r| r.to_string());
        let shared = &self.shared;
        let open = self.session.take_unacked();
        {
            let mut map = lock(&shared.state);
            let st = Shared::account_state(&mut map, &self.info.sp_id);
            st.conns.retain(|c| c.id != self.info.id);
            // At-least-once: DELIVERs written on this link and not acknowledged go back to
            // the front of the queue, in their original order, for the next live link.
            if !open.is_empty() {
                tracing::debug!(peer = %self.info.peer, requeued = open.len(), "unacknowledged DELIVERs queued again");
            }
            shared
                .stats
                .delivers_in_flight
                .fetch_sub(open.len() as u64, Ordering::Relaxed);
            for (deliver, links) in open.into_iter().rev() {
                st.queue.push_front(QueuedDeliver { deliver, links });
            }
            Shared::wake_all(st);
        }
        shared.stats.connections.fetch_sub(1, Ordering::Relaxed);
        tracing::debug!(peer = %self.info.peer, reason, "connection closed");
        shared.handler.on_disconnect(&self.info, &reason);
    }
}
