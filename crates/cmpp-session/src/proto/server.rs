//! Gateway-side session after login (clock-free) on the session core.
//!
//! The DELIVER push window, T/N re-sends, DELIVER_RESP matching (with the result-8
//! back-off), heartbeats (ACTIVE_TEST) and the TERMINATE handshake are the core's: an
//! embedded [`sms_session::Session`] over [`CmppGateway`]. Every answer to the SP goes out
//! through the core's inbound path, once per request. [`ServerSession`] adds what only a
//! gateway does: judging SUBMITs (checks, Result 8 when the SP exceeds its window), delayed
//! answers, the idle and write deadlines, and a hard deadline on the drain.
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
    decode, Cancel, Deliver, Header, MsgId, Pdu, Query, Submit, SubmitResp, SubmitResult, Version,
};
use sms_session::{RequestOutcome, SessionConfig, SessionEvent};
use tokio::time::Instant;

use super::gateway::{CmppGateway, GatewayAnswer, GatewayCore, GatewayInbound, GatewayPacket};
use super::submit_check::{check_submit, SubmitChecks, SubmitFault};

/// Result 8: flow control (window full or rate exceeded).
pub const RESULT_FLOW_CONTROL: u32 = 8;

/// Settings of a [`ServerSession`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerSessionConfig {
    /// Wire layout of the session.
    pub version: Version,
    /// T: response timeout for DELIVER, ACTIVE_TEST and TERMINATE.
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
    /// The SP acknowledged a DELIVER (Result 8 here: it kept asking for a back-off until
    /// the core gave up re-sending).
    DeliverAcked {
        /// Sequence_Id of the DELIVER.
        sequence_id: u32,
        /// Msg_Id in the DELIVER_RESP.
        msg_id: MsgId,
        /// Result in the DELIVER_RESP.
        result: u32,
    },
    /// A DELIVER was written again (same Sequence_Id): after T without DELIVER_RESP, or
    /// after the back-off the SP asked for with Result 8.
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
    /// No room in the DELIVER window, a result-8 back-off is running, or the session is
    /// draining or closed.
    NoRoom(Deliver),
    /// The DELIVER cannot be encoded at this session's version.
    Unencodable(Deliver, String),
}

/// A DELIVER handed to the core, kept whole to be handed back if the link goes.
#[derive(Debug)]
struct OutDeliver {
    deliver: Deliver,
    links: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Terminating { deadline: Instant },
    Closed,
}

/// What made the core report: it decides what a core event means for the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A packet from the SP.
    Received,
    /// A timer (a TERMINATE that ends now went unanswered).
    Timer,
    /// Something the gateway did (a write, an answer, the drain).
    Local,
}

/// The gateway-side state of one logged-in link.
///
/// Feed received frames to [`handle_frame`](Self::handle_frame), call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout), write
/// [`poll_transmit`](Self::poll_transmit), drain [`poll_event`](Self::poll_event).
#[derive(Debug)]
pub struct ServerSession {
    config: ServerSessionConfig,
    core: GatewayCore,
    out: BytesMut,
    events: VecDeque<ServerEvent>,
    /// DELIVERs handed to the core and neither acknowledged nor lost, by Sequence_Id
    /// (those the drain gave up on stay here to be handed back).
    delivers: HashMap<u32, OutDeliver>,
    delayed: BTreeMap<(Instant, u64), (u32, SubmitResp)>,
    delayed_ctr: u64,
    /// When the SP last sent anything (for the idle timeout).
    last_rx: Instant,
    /// The latest time passed in; what the core is given when a call brings none (an
    /// answer needs no clock, so nothing time-dependent happens then).
    now: Instant,
    write_blocked_since: Option<Instant>,
    state: State,
}

impl ServerSession {
    /// A session whose login completed at `now`.
    pub fn new(config: ServerSessionConfig, now: Instant) -> Self {
        let core_config = SessionConfig::default()
            .with_window(config.deliver_window)
            .with_response_timeout(config.response_timeout)
            .with_max_tries(config.max_tries.max(1))
            .with_heartbeat(config.heartbeat);
        ServerSession {
            core: GatewayCore::new(core_config, CmppGateway::new(config.version, 1), now),
            config,
            out: BytesMut::new(),
            events: VecDeque::new(),
            delivers: HashMap::new(),
            delayed: BTreeMap::new(),
            delayed_ctr: 0,
            last_rx: now,
            now,
            write_blocked_since: None,
            state: State::Active,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ServerSessionConfig {
        &self.config
    }

    /// The session core that carries the DELIVER window, re-sends, heartbeats and close.
    pub fn core(&self) -> &GatewayCore {
        &self.core
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// True while draining (from [`terminate`](Self::terminate) until closed).
    pub fn is_terminating(&self) -> bool {
        matches!(self.state, State::Terminating { .. })
    }

    /// DELIVERs awaiting DELIVER_RESP.
    pub fn delivers_in_flight(&self) -> usize {
        self.core.in_flight()
    }

    /// How many more DELIVERs [`send_deliver`](Self::send_deliver) takes now.
    pub fn deliver_room(&self) -> usize {
        if self.state != State::Active || !self.core.can_submit(self.now) {
            return 0;
        }
        self.config
            .deliver_window
            .saturating_sub(self.core.in_flight())
    }

    /// SUBMITs waiting for a delayed answer.
    pub fn delayed_answers(&self) -> usize {
        self.delayed.len()
    }

    fn tick(&mut self, now: Instant) {
        self.now = self.now.max(now);
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

    /// Starts the drain at `now`: no new DELIVERs; TERMINATE goes out once the DELIVERs in
    /// flight are answered (at once when there are none, at the latest halfway to
    /// `deadline`, so that the SP has time to answer it); the session closes when
    /// TERMINATE_RESP arrives, T after TERMINATE, or at `deadline`, whichever is first.
    pub fn terminate(&mut self, deadline: Instant, now: Instant) {
        self.tick(now);
        if self.state == State::Active {
            self.state = State::Terminating { deadline };
            let half = deadline.saturating_duration_since(now) / 2;
            self.core.close(now + half, now);
            self.pump(Origin::Local);
            self.flush();
        }
    }

    /// Feeds one received frame (a whole packet as framed by its Total_Length).
    pub fn handle_frame(&mut self, frame: Bytes, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        self.tick(now);
        self.last_rx = self.last_rx.max(now);
        let Ok(header) = Header::parse(&frame) else {
            return self.close_with(CloseReason::Protocol("frame shorter than a header".into()));
        };
        let frame_len = frame.len();
        let packet = match decode(frame, self.config.version) {
            Ok(packet) => GatewayPacket::Decoded { packet, frame_len },
            // The frame boundary is intact: answer and keep the link.
            Err(error) if header.command_id == CommandId::SUBMIT => {
                GatewayPacket::MalformedSubmit {
                    sequence_id: header.sequence_id,
                    error,
                }
            }
            Err(e) => {
                return self.close_with(CloseReason::Protocol(format!("malformed packet: {e}")))
            }
        };
        self.core.handle_packet(packet, now);
        self.pump(Origin::Received);
        self.flush();
    }

    /// Moves everything the core has to send into the output, then reports what that did.
    fn flush(&mut self) {
        while self.core.poll_transmit(self.now, &mut self.out) {}
        self.pump(Origin::Local);
    }

    /// Turns the core's events into the gateway's.
    fn pump(&mut self, origin: Origin) {
        while let Some(event) = self.core.poll_event() {
            match event {
                SessionEvent::Transmitted {
                    seq,
                    attempt,
                    reason: Some(_),
                    ..
                } => self.events.push_back(ServerEvent::DeliverResent {
                    sequence_id: seq,
                    attempt,
                }),
                SessionEvent::Transmitted { .. } => {}
                SessionEvent::Completed { seq, outcome, .. } => self.on_completed(seq, outcome),
                SessionEvent::Inbound { seq, inbound } => self.on_inbound(seq, inbound),
                SessionEvent::UnmatchedResponse { seq, command } => {
                    self.events.push_back(ServerEvent::Warning(format!(
                        "{command} for Sequence_Id {seq} matches no outstanding request"
                    )))
                }
                // A packet the gateway never expects from an SP ends the link; anything
                // else is the gateway's own problem, worth a log line.
                SessionEvent::ProtocolViolation { reason } if origin == Origin::Received => {
                    self.close_with(CloseReason::Protocol(reason))
                }
                SessionEvent::ProtocolViolation { reason } => {
                    self.events.push_back(ServerEvent::Warning(reason))
                }
                SessionEvent::LinkDead => self.close_with(CloseReason::LinkDead {
                    tries: self.core.config().max_tries,
                }),
                SessionEvent::Terminated { by_peer: true } => {
                    self.close_with(CloseReason::PeerTerminated)
                }
                // Ours ended: answered when a packet ended it, else T ran out.
                SessionEvent::Terminated { by_peer: false } => {
                    self.close_with(CloseReason::Drained {
                        answered: origin == Origin::Received,
                    })
                }
                _ => {}
            }
        }
    }

    fn on_completed(&mut self, seq: u32, outcome: RequestOutcome<cmpp_codec::DeliverResp>) {
        let event = match outcome {
            RequestOutcome::Response { resp, .. } => {
                self.delivers.remove(&seq);
                ServerEvent::DeliverAcked {
                    sequence_id: seq,
                    msg_id: resp.msg_id,
                    result: resp.result.to_u32(),
                }
            }
            // Result 8 after every allowed back-off: the SP's final word.
            RequestOutcome::FlowControl { .. } => {
                let msg_id = self
                    .delivers
                    .remove(&seq)
                    .map_or(MsgId::from_u64(0), |d| d.deliver.msg_id);
                ServerEvent::DeliverAcked {
                    sequence_id: seq,
                    msg_id,
                    result: RESULT_FLOW_CONTROL,
                }
            }
            RequestOutcome::NoResponse { tries } => {
                let Some(d) = self.delivers.remove(&seq) else {
                    return;
                };
                ServerEvent::DeliverLost {
                    sequence_id: seq,
                    deliver: Box::new(d.deliver),
                    tries,
                }
            }
            // Given up by the drain: kept for `take_unacked`, which hands it back.
            _ => return,
        };
        self.events.push_back(event);
    }

    fn on_inbound(&mut self, seq: u32, inbound: GatewayInbound) {
        let event = match inbound {
            GatewayInbound::Submit {
                submit,
                extra_octets,
            } => {
                if let Err(fault) = check_submit(&submit, extra_octets, &self.config.checks) {
                    return self.refuse_submit(seq, fault.result(), fault.to_string());
                }
                if self.delayed.len() >= self.config.submit_window.max(1) {
                    return self.refuse_submit(seq, RESULT_FLOW_CONTROL, "window full".to_owned());
                }
                ServerEvent::Submit {
                    sequence_id: seq,
                    submit,
                }
            }
            GatewayInbound::MalformedSubmit(e) => {
                let fault = SubmitFault::Malformed(e);
                return self.refuse_submit(seq, fault.result(), fault.to_string());
            }
            GatewayInbound::Query(query) => ServerEvent::Query {
                sequence_id: seq,
                query,
            },
            GatewayInbound::Cancel(cancel) => ServerEvent::Cancel {
                sequence_id: seq,
                cancel,
            },
        };
        self.events.push_back(event);
    }

    fn refuse_submit(&mut self, seq: u32, result: u32, reason: String) {
        self.answer_submit(seq, MsgId::from_u64(0), result);
        self.events.push_back(ServerEvent::SubmitRefused {
            sequence_id: seq,
            result,
            reason,
        });
    }

    /// Queues a SUBMIT_RESP in the core (sent by the next [`Self::flush`]).
    fn answer_submit(&mut self, seq: u32, msg_id: MsgId, result: u32) {
        let resp = SubmitResp {
            msg_id,
            result: SubmitResult::from_u32(result),
        };
        if self.core.answer(seq, GatewayAnswer::Submit(resp)) {
            self.events
                .push_back(ServerEvent::SubmitAnswered { result });
        } else {
            self.unanswerable("SUBMIT", seq);
        }
    }

    fn unanswerable(&mut self, what: &str, seq: u32) {
        self.events.push_back(ServerEvent::Warning(format!(
            "no {what} with Sequence_Id {seq} awaits an answer (answered already); nothing sent"
        )));
    }

    /// Answers a SUBMIT now (once: a second answer to the same Sequence_Id is not sent).
    pub fn respond_submit(&mut self, sequence_id: u32, msg_id: MsgId, result: u32) {
        if self.state != State::Closed {
            self.answer_submit(sequence_id, msg_id, result);
            self.flush();
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

    /// Answers a QUERY or CANCEL (or a SUBMIT) with its response packet, once. Any other
    /// packet answers nothing and is not sent.
    pub fn respond(&mut self, sequence_id: u32, pdu: impl Into<Pdu>) {
        if self.state == State::Closed {
            return;
        }
        let (what, answer) = match pdu.into() {
            Pdu::SubmitResp(r) => {
                return self.respond_submit(sequence_id, r.msg_id, r.result.to_u32());
            }
            Pdu::QueryResp(r) => ("QUERY", GatewayAnswer::Query(r)),
            Pdu::CancelResp(r) => ("CANCEL", GatewayAnswer::Cancel(r)),
            other => {
                self.events.push_back(ServerEvent::Warning(format!(
                    "{} answers no request from the SP; not sent",
                    other.name()
                )));
                return;
            }
        };
        if !self.core.answer(sequence_id, answer) {
            self.unanswerable(what, sequence_id);
        }
        self.flush();
    }

    /// Writes a DELIVER and tracks its DELIVER_RESP. `links` counts earlier links it was
    /// written on without an answer (kept for the caller when it comes back).
    pub fn send_deliver(&mut self, deliver: Deliver, links: u32, now: Instant) -> SendDeliver {
        self.tick(now);
        if self.deliver_room() == 0 {
            return SendDeliver::NoRoom(deliver);
        }
        let frame = match self.core.protocol().encode_deliver(deliver.clone()) {
            Ok(frame) => frame,
            Err(e) => return SendDeliver::Unencodable(deliver, e.to_string()),
        };
        match self.core.submit(frame, now) {
            Ok((_, seq)) => {
                self.delivers.insert(seq, OutDeliver { deliver, links });
                self.flush();
                SendDeliver::Sent(seq)
            }
            Err(_) => SendDeliver::NoRoom(deliver),
        }
    }

    /// The shell has bytes the peer has not taken yet: the write deadline runs from the
    /// first such moment until [`Self::write_flushed`].
    pub fn write_blocked(&mut self, now: Instant) {
        self.tick(now);
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
        self.tick(now);
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
            self.answer_submit(seq, resp.msg_id, resp.result.to_u32());
        }
        self.core.handle_timeout(now);
        self.pump(Origin::Timer);
        self.flush();
        if self.state == State::Closed {
            return;
        }
        if now >= self.last_rx + self.config.idle_timeout {
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
        let mut next = self.last_rx + self.config.idle_timeout;
        if let Some(t) = self.core.poll_timeout() {
            next = next.min(t);
        }
        if let Some(&(t, _)) = self.delayed.keys().next() {
            next = next.min(t);
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
    /// links it was written on so far, this one included; for when the link is gone (the
    /// session is closed, nothing more is sent).
    pub fn take_unacked(&mut self) -> Vec<(Deliver, u32)> {
        // The core forgets them; they are ours to hand back.
        let _ = self.core.link_lost();
        self.close_with(CloseReason::Local("link gone".into()));
        let mut open: Vec<(u32, OutDeliver)> = self.delivers.drain().collect();
        open.sort_unstable_by_key(|(s, _)| *s);
        open.into_iter()
            .map(|(_, d)| (d.deliver, d.links + 1))
            .collect()
    }
}

#[cfg(test)]
mod tests;
