//! Gateway-side session after login (clock-free): SUBMIT checks and answers (window,
//! delayed answers), DELIVER tracking with T/N re-sends, heartbeats, idle and write
//! deadlines, and the TERMINATE drain.
//!
//! The async shell in [`crate::server`] feeds frames and time in, calls the business
//! handler for [`ServerEvent::Submit`], and writes what [`ServerSession::poll_transmit`]
//! returns.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cmpp_codec::frame::CommandId;
use cmpp_codec::{
    decode, encode, ActiveTestResp, Cancel, Deliver, Header, MsgId, Packet, Pdu, Query, Submit,
    SubmitResp, SubmitResult, Version,
};
use tokio::time::Instant;

use super::keepalive::{Keepalive, KeepaliveAction};
use super::submit_check::{check_submit, SubmitChecks, SubmitFault};

/// Result 8: flow control (window full or rate exceeded).
pub const RESULT_FLOW_CONTROL: u32 = 8;

/// Settings of a [`ServerSession`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerSessionConfig {
    /// Wire layout of the session.
    pub version: Version,
    /// T: response timeout for DELIVER and ACTIVE_TEST.
    pub response_timeout: Duration,
    /// N: total transmissions of a DELIVER / ACTIVE_TEST.
    pub max_tries: u32,
    /// C: ACTIVE_TEST after this long without receiving anything.
    pub heartbeat: Duration,
    /// The link is closed after this long without receiving anything.
    pub idle_timeout: Duration,
    /// W: most SUBMITs held for a delayed answer; more are answered with Result 8.
    pub submit_window: usize,
    /// Most DELIVERs awaiting DELIVER_RESP.
    pub deliver_window: usize,
    /// A write that makes no progress for this long closes the link.
    pub write_deadline: Duration,
    /// How strictly SUBMITs are judged.
    pub checks: SubmitChecks,
}

impl Default for ServerSessionConfig {
    fn default() -> Self {
        ServerSessionConfig {
            version: Version::V30,
            response_timeout: Duration::from_secs(60),
            max_tries: 3,
            heartbeat: Duration::from_secs(180),
            idle_timeout: Duration::from_secs(600),
            submit_window: 16,
            deliver_window: 16,
            write_deadline: Duration::from_secs(30),
            checks: SubmitChecks::default(),
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The SP sent TERMINATE.
    PeerTerminated,
    /// The gateway sent TERMINATE; `answered` when TERMINATE_RESP came before the deadline.
    Drained {
        /// TERMINATE_RESP arrived.
        answered: bool,
    },
    /// Nothing received for the idle timeout.
    Idle(Duration),
    /// N heartbeats unanswered.
    LinkDead {
        /// Probes sent.
        tries: u32,
    },
    /// The peer did not read what was written within the write deadline.
    WriteStalled(Duration),
    /// The peer sent something that cannot be handled (malformed or unexpected).
    Protocol(String),
    /// Closed by the caller ([`ServerSession::close`]).
    Local(String),
}

impl CloseReason {
    /// True when the peer broke the protocol.
    pub fn is_protocol_error(&self) -> bool {
        matches!(self, CloseReason::Protocol(_))
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::PeerTerminated => write!(f, "SP sent TERMINATE"),
            CloseReason::Drained { answered: true } => {
                write!(f, "server shutdown (TERMINATE answered)")
            }
            CloseReason::Drained { answered: false } => {
                write!(f, "server shutdown (TERMINATE unanswered)")
            }
            CloseReason::Idle(d) => write!(f, "idle for {d:?}"),
            CloseReason::LinkDead { tries } => write!(f, "{tries} ACTIVE_TEST unanswered"),
            CloseReason::WriteStalled(d) => {
                write!(f, "peer did not read for {d:?} (write deadline)")
            }
            CloseReason::Protocol(r) | CloseReason::Local(r) => f.write_str(r),
        }
    }
}

/// Something the gateway session reports to its shell.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A valid SUBMIT within the window: answer it with [`ServerSession::respond_submit`],
    /// [`ServerSession::respond_after`], or not at all.
    Submit {
        /// Its Sequence_Id.
        sequence_id: u32,
        /// The message.
        submit: Box<Submit>,
    },
    /// A SUBMIT answered by the session itself with a non-zero Result (malformed,
    /// invalid, or window full).
    SubmitRefused {
        /// Its Sequence_Id.
        sequence_id: u32,
        /// The Result sent.
        result: u32,
        /// Why.
        reason: String,
    },
    /// A SUBMIT_RESP was queued for transmission (every answer, for statistics).
    SubmitAnswered {
        /// The Result.
        result: u32,
    },
    /// A QUERY: answer with [`ServerSession::respond`].
    Query {
        /// Its Sequence_Id.
        sequence_id: u32,
        /// The query.
        query: Query,
    },
    /// A CANCEL: answer with [`ServerSession::respond`].
    Cancel {
        /// Its Sequence_Id.
        sequence_id: u32,
        /// The request.
        cancel: Cancel,
    },
    /// The SP acknowledged a DELIVER.
    DeliverAcked {
        /// Sequence_Id of the DELIVER.
        sequence_id: u32,
        /// Msg_Id in the DELIVER_RESP.
        msg_id: MsgId,
        /// Result in the DELIVER_RESP.
        result: u32,
    },
    /// A DELIVER was written again (same Sequence_Id) after T without DELIVER_RESP.
    DeliverResent {
        /// Its Sequence_Id.
        sequence_id: u32,
        /// Transmission number on this link, from 2.
        attempt: u32,
    },
    /// A DELIVER went unanswered after N transmissions on this link.
    DeliverLost {
        /// Sequence_Id used.
        sequence_id: u32,
        /// The DELIVER.
        deliver: Box<Deliver>,
        /// Transmissions on this link.
        tries: u32,
    },
    /// Something odd that did not end the session (logged by the shell).
    Warning(String),
    /// The session ended; write what is left in [`ServerSession::poll_transmit`] and close.
    Closed(CloseReason),
}

/// Outcome of [`ServerSession::send_deliver`].
#[derive(Debug)]
#[non_exhaustive]
pub enum SendDeliver {
    /// Written with this Sequence_Id.
    Sent(u32),
    /// No room in the DELIVER window, or the session is draining or closed.
    NoRoom(Deliver),
    /// The DELIVER cannot be encoded at this session's version.
    Unencodable(Deliver, String),
}

#[derive(Debug)]
struct OutDeliver {
    deliver: Deliver,
    tries: u32,
    links: u32,
    deadline: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Terminating { deadline: Instant },
    Closed,
}

/// The gateway-side state of one logged-in link.
///
/// Feed received frames to [`handle_frame`](Self::handle_frame), call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout), write
/// [`poll_transmit`](Self::poll_transmit), drain [`poll_event`](Self::poll_event).
#[derive(Debug)]
pub struct ServerSession {
    config: ServerSessionConfig,
    out: BytesMut,
    events: VecDeque<ServerEvent>,
    next_seq: u32,
    keepalive: Keepalive,
    heartbeat_seq: u32,
    delayed: BTreeMap<(Instant, u64), (u32, SubmitResp)>,
    delayed_ctr: u64,
    delivers: HashMap<u32, OutDeliver>,
    write_blocked_since: Option<Instant>,
    state: State,
}

impl ServerSession {
    /// A session whose login completed at `now`.
    pub fn new(config: ServerSessionConfig, now: Instant) -> Self {
        ServerSession {
            keepalive: Keepalive::new(
                config.heartbeat,
                config.response_timeout,
                config.max_tries,
                now,
            ),
            config,
            out: BytesMut::new(),
            events: VecDeque::new(),
            next_seq: 1,
            heartbeat_seq: 0,
            delayed: BTreeMap::new(),
            delayed_ctr: 0,
            delivers: HashMap::new(),
            write_blocked_since: None,
            state: State::Active,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ServerSessionConfig {
        &self.config
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// True while waiting for TERMINATE_RESP.
    pub fn is_terminating(&self) -> bool {
        matches!(self.state, State::Terminating { .. })
    }

    /// DELIVERs awaiting DELIVER_RESP.
    pub fn delivers_in_flight(&self) -> usize {
        self.delivers.len()
    }

    /// How many more DELIVERs [`send_deliver`](Self::send_deliver) takes now.
    pub fn deliver_room(&self) -> usize {
        if self.state != State::Active {
            return 0;
        }
        self.config
            .deliver_window
            .saturating_sub(self.delivers.len())
    }

    /// SUBMITs waiting for a delayed answer.
    pub fn delayed_answers(&self) -> usize {
        self.delayed.len()
    }

    fn alloc_seq(&mut self) -> u32 {
        loop {
            let s = self.next_seq;
            self.next_seq = self.next_seq.wrapping_add(1);
            // Never reuse the Sequence_Id of an outstanding DELIVER after a wrap-around.
            if !self.delivers.contains_key(&s) {
                return s;
            }
        }
    }

    fn push(&mut self, packet: &Packet) {
        if let Err(e) = encode(packet, self.config.version, &mut self.out) {
            // Responses always fit their fields; a failure is a bug worth a log line.
            self.events.push_back(ServerEvent::Warning(format!(
                "could not encode {}: {e}",
                packet.pdu.name()
            )));
        }
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.state != State::Closed {
            self.state = State::Closed;
            self.events.push_back(ServerEvent::Closed(reason));
        }
    }

    /// Ends the session now (fault injection, handler decision).
    pub fn close(&mut self, reason: impl Into<String>) {
        self.close_with(CloseReason::Local(reason.into()));
    }

    /// Starts the drain: TERMINATE is sent, no new DELIVERs; the session closes when
    /// TERMINATE_RESP arrives or at `deadline`.
    pub fn terminate(&mut self, deadline: Instant) {
        if self.state == State::Active {
            let seq = self.alloc_seq();
            self.push(&Packet::new(seq, Pdu::Terminate));
            self.state = State::Terminating { deadline };
        }
    }

    /// Feeds one received frame (a whole packet as framed by its Total_Length).
    pub fn handle_frame(&mut self, frame: Bytes, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        self.keepalive.on_receive(now);
        let Ok(header) = Header::parse(&frame) else {
            return self.close_with(CloseReason::Protocol("frame shorter than a header".into()));
        };
        let seq = header.sequence_id;
        let frame_len = frame.len();
        let packet = match decode(frame, self.config.version) {
            Ok(p) => p,
            Err(e) if header.command_id == CommandId::SUBMIT => {
                // The frame boundary is intact: answer and keep the link.
                let fault = SubmitFault::Malformed(e);
                return self.refuse_submit(seq, fault.result(), fault.to_string());
            }
            Err(e) => {
                return self.close_with(CloseReason::Protocol(format!("malformed packet: {e}")))
            }
        };
        let expected = packet.encoded_len(self.config.version);
        match packet.pdu {
            Pdu::Submit(submit) => {
                let extra = frame_len.saturating_sub(expected);
                if let Err(fault) = check_submit(&submit, extra, &self.config.checks) {
                    return self.refuse_submit(seq, fault.result(), fault.to_string());
                }
                if self.delayed.len() >= self.config.submit_window.max(1) {
                    return self.refuse_submit(seq, RESULT_FLOW_CONTROL, "window full".to_owned());
                }
                self.events.push_back(ServerEvent::Submit {
                    sequence_id: seq,
                    submit: Box::new(submit),
                });
            }
            Pdu::DeliverResp(r) => {
                if self.delivers.remove(&seq).is_some() {
                    self.events.push_back(ServerEvent::DeliverAcked {
                        sequence_id: seq,
                        msg_id: r.msg_id,
                        result: r.result.to_u32(),
                    });
                } else {
                    self.events.push_back(ServerEvent::Warning(format!(
                        "DELIVER_RESP for Sequence_Id {seq} matches no outstanding DELIVER"
                    )));
                }
            }
            Pdu::ActiveTest => self.push(&Packet::new(seq, ActiveTestResp::default())),
            Pdu::ActiveTestResp(_) => {}
            Pdu::Query(query) => self.events.push_back(ServerEvent::Query {
                sequence_id: seq,
                query,
            }),
            Pdu::Cancel(cancel) => self.events.push_back(ServerEvent::Cancel {
                sequence_id: seq,
                cancel,
            }),
            Pdu::Terminate => {
                self.push(&Packet::new(seq, Pdu::TerminateResp));
                self.close_with(CloseReason::PeerTerminated);
            }
            Pdu::TerminateResp => {
                if self.is_terminating() {
                    self.close_with(CloseReason::Drained { answered: true });
                }
            }
            other => self.close_with(CloseReason::Protocol(format!(
                "unexpected {} from the SP",
                other.name()
            ))),
        }
    }

    fn refuse_submit(&mut self, seq: u32, result: u32, reason: String) {
        self.answer(seq, MsgId::from_u64(0), result);
        self.events.push_back(ServerEvent::SubmitRefused {
            sequence_id: seq,
            result,
            reason,
        });
    }

    fn answer(&mut self, seq: u32, msg_id: MsgId, result: u32) {
        let resp = SubmitResp {
            msg_id,
            result: SubmitResult::from_u32(result),
        };
        self.push(&Packet::new(seq, resp));
        self.events
            .push_back(ServerEvent::SubmitAnswered { result });
    }

    /// Answers a SUBMIT now.
    pub fn respond_submit(&mut self, sequence_id: u32, msg_id: MsgId, result: u32) {
        if self.state != State::Closed {
            self.answer(sequence_id, msg_id, result);
        }
    }

    /// Answers a SUBMIT at `at` (it counts against the window until then).
    pub fn respond_after(&mut self, sequence_id: u32, msg_id: MsgId, result: u32, at: Instant) {
        self.delayed_ctr += 1;
        let resp = SubmitResp {
            msg_id,
            result: SubmitResult::from_u32(result),
        };
        self.delayed
            .insert((at, self.delayed_ctr), (sequence_id, resp));
    }

    /// Sends a response packet (QUERY_RESP, CANCEL_RESP) with this Sequence_Id.
    pub fn respond(&mut self, sequence_id: u32, pdu: impl Into<Pdu>) {
        if self.state != State::Closed {
            self.push(&Packet::new(sequence_id, pdu));
        }
    }

    /// Writes a DELIVER and tracks its DELIVER_RESP. `links` counts earlier links it was
    /// written on without an answer (kept for the caller when it comes back).
    pub fn send_deliver(&mut self, deliver: Deliver, links: u32, now: Instant) -> SendDeliver {
        if self.deliver_room() == 0 {
            return SendDeliver::NoRoom(deliver);
        }
        let seq = self.alloc_seq();
        let packet = Packet::new(seq, deliver);
        let written = encode(&packet, self.config.version, &mut self.out);
        let Pdu::Deliver(deliver) = packet.pdu else {
            // Built from a Deliver just above; nothing else can come back out.
            return SendDeliver::Sent(seq);
        };
        if let Err(e) = written {
            return SendDeliver::Unencodable(deliver, e.to_string());
        }
        self.delivers.insert(
            seq,
            OutDeliver {
                deliver,
                tries: 1,
                links,
                deadline: now + self.config.response_timeout,
            },
        );
        SendDeliver::Sent(seq)
    }

    /// The shell has bytes the peer has not taken yet: the write deadline runs from the
    /// first such moment until [`Self::write_flushed`].
    pub fn write_blocked(&mut self, now: Instant) {
        self.write_blocked_since.get_or_insert(now);
    }

    /// The peer took bytes (or everything handed out was written).
    pub fn write_flushed(&mut self) {
        self.write_blocked_since = None;
    }

    /// Advances timers; call when `now` reaches [`poll_timeout`](Self::poll_timeout).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        if let Some(since) = self.write_blocked_since {
            if now >= since + self.config.write_deadline {
                return self.close_with(CloseReason::WriteStalled(self.config.write_deadline));
            }
        }
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (seq, resp) = entry.remove();
            self.answer(seq, resp.msg_id, resp.result.to_u32());
        }
        let mut resend = Vec::new();
        let mut lost = Vec::new();
        for (&seq, d) in self.delivers.iter_mut() {
            if now >= d.deadline {
                if d.tries < self.config.max_tries {
                    d.tries += 1;
                    d.deadline = now + self.config.response_timeout;
                    resend.push(seq);
                } else {
                    lost.push(seq);
                }
            }
        }
        // Deterministic order whatever the hash order.
        resend.sort_unstable();
        lost.sort_unstable();
        for seq in resend {
            if let Some(d) = self.delivers.get(&seq) {
                let attempt = d.tries;
                let packet = Packet::new(seq, d.deliver.clone());
                self.push(&packet);
                self.events.push_back(ServerEvent::DeliverResent {
                    sequence_id: seq,
                    attempt,
                });
            }
        }
        for seq in lost {
            if let Some(d) = self.delivers.remove(&seq) {
                self.events.push_back(ServerEvent::DeliverLost {
                    sequence_id: seq,
                    deliver: Box::new(d.deliver),
                    tries: d.tries,
                });
            }
        }
        match self.keepalive.handle_timeout(now) {
            KeepaliveAction::Idle => {}
            KeepaliveAction::Probe { attempt } => {
                if attempt == 1 {
                    self.heartbeat_seq = self.alloc_seq();
                }
                let seq = self.heartbeat_seq;
                self.push(&Packet::new(seq, Pdu::ActiveTest));
            }
            KeepaliveAction::Dead { tries } => {
                return self.close_with(CloseReason::LinkDead { tries })
            }
        }
        if now >= self.keepalive.last_rx() + self.config.idle_timeout {
            return self.close_with(CloseReason::Idle(self.config.idle_timeout));
        }
        if let State::Terminating { deadline } = self.state {
            if now >= deadline {
                self.close_with(CloseReason::Drained { answered: false });
            }
        }
    }

    /// The next instant [`handle_timeout`](Self::handle_timeout) must be called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        let mut next = self
            .keepalive
            .poll_timeout()
            .min(self.keepalive.last_rx() + self.config.idle_timeout);
        if let Some(&(t, _)) = self.delayed.keys().next() {
            next = next.min(t);
        }
        for d in self.delivers.values() {
            next = next.min(d.deadline);
        }
        if let Some(since) = self.write_blocked_since {
            next = next.min(since + self.config.write_deadline);
        }
        if let State::Terminating { deadline } = self.state {
            next = next.min(deadline);
        }
        Some(next)
    }

    /// Moves every byte waiting to be written to `buf`; false when there was none.
    pub fn poll_transmit(&mut self, buf: &mut BytesMut) -> bool {
        if self.out.is_empty() {
            return false;
        }
        if buf.is_empty() {
            std::mem::swap(buf, &mut self.out);
        } else {
            buf.extend_from_slice(&self.out);
            self.out.clear();
        }
        true
    }

    /// Bytes waiting in the session (not yet handed out).
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Takes every unacknowledged DELIVER (ordered by Sequence_Id) with the number of
    /// links it was written on so far, this one included; for when the link is gone.
    pub fn take_unacked(&mut self) -> Vec<(Deliver, u32)> {
        let mut open: Vec<(u32, OutDeliver)> = self.delivers.drain().collect();
        open.sort_unstable_by_key(|(s, _)| *s);
        open.into_iter()
            .map(|(_, d)| (d.deliver, d.links + 1))
            .collect()
    }
}

#[cfg(test)]
mod tests;
