//! SP-side session after login: window, Sequence_Id matching, T/N resends, result-8
//! back-off, heartbeats and graceful drain.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cmpp_codec::frame::CommandId;
use cmpp_codec::{
    encode, ActiveTestResp, CancelResp, Deliver, DeliverResp, DeliverResult, MsgId, Packet, Pdu,
    QueryResp, SubmitResp, SubmitResult, Version,
};
use tokio::time::Instant;

use super::{command_id_of, set_sequence_id};

/// Settings of a [`ClientSession`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Wire layout of the session.
    pub version: Version,
    /// W: most unanswered requests.
    pub window: usize,
    /// T: response timeout for requests and ACTIVE_TEST.
    pub response_timeout: Duration,
    /// N: total transmissions of a request (and of a heartbeat) before giving up.
    pub max_tries: u32,
    /// C: send ACTIVE_TEST after this long without receiving anything.
    pub heartbeat: Duration,
    /// Most re-sends of one request after SUBMIT_RESP result 8 before failing it.
    pub flow_control_max_resends: u32,
    /// First pause after a result 8; doubles per further result 8 on the same request.
    pub flow_control_backoff: Duration,
    /// Largest pause after a result 8.
    pub flow_control_backoff_max: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            version: Version::V30,
            window: 16,
            response_timeout: Duration::from_secs(60),
            max_tries: 3,
            heartbeat: Duration::from_secs(180),
            flow_control_max_resends: 5,
            flow_control_backoff: Duration::from_millis(100),
            flow_control_backoff_max: Duration::from_secs(5),
        }
    }
}

/// Identifies a request for the lifetime of a session (unique, never reused).
pub type RequestId = u64;

/// Why a request was transmitted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResendReason {
    /// No response within T.
    Timeout,
    /// The gateway answered result 8 (flow control).
    FlowControl,
    /// The link was lost and the request is sent on a new one.
    Reconnect,
}

/// Final outcome of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestOutcome {
    /// The QUERY_RESP of a QUERY.
    Queried {
        /// The response.
        resp: QueryResp,
        /// Transmissions made.
        tries: u32,
    },
    /// The CANCEL_RESP of a CANCEL.
    Cancelled {
        /// The response.
        resp: CancelResp,
        /// Transmissions made.
        tries: u32,
    },
    /// A SUBMIT_RESP other than a retryable result 8 arrived.
    Response {
        /// The response.
        resp: SubmitResp,
        /// Transmissions made.
        tries: u32,
    },
    /// Result 8 kept coming after the allowed number of re-sends; not accepted.
    FlowControl {
        /// Transmissions made.
        tries: u32,
    },
    /// No response after N transmissions; the gateway may have accepted it.
    NoResponse {
        /// Transmissions made.
        tries: u32,
    },
    /// The session was closed (drain deadline passed) while the request was unanswered.
    Abandoned {
        /// Whether the gateway may have accepted it (it was written and not refused).
        maybe_accepted: bool,
        /// Transmissions made.
        tries: u32,
    },
}

/// Something the session wants the caller to know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A request was handed to [`ClientSession::poll_transmit`] (written).
    Transmitted {
        /// The request.
        id: RequestId,
        /// Its Sequence_Id.
        sequence_id: u32,
        /// Transmission number, from 1.
        attempt: u32,
        /// `None` for the first transmission.
        reason: Option<ResendReason>,
    },
    /// A request is finished; it will not be mentioned again.
    Completed {
        /// The request.
        id: RequestId,
        /// Its Sequence_Id.
        sequence_id: u32,
        /// The outcome.
        outcome: RequestOutcome,
    },
    /// The gateway pushed a DELIVER. It is not answered until the caller accepts it with
    /// [`ClientSession::ack_deliver`] (at-least-once: a DELIVER lost before it is held
    /// somewhere durable is sent again by the gateway).
    Deliver {
        /// Sequence_Id of the DELIVER.
        sequence_id: u32,
        /// The message or status report.
        deliver: Deliver,
    },
    /// A response matched no outstanding request (late, duplicate or bogus).
    UnmatchedResponse {
        /// Its Sequence_Id.
        sequence_id: u32,
        /// Command name.
        command: &'static str,
    },
    /// The peer sent something the SP side never expects; it was ignored.
    ProtocolViolation {
        /// What happened.
        reason: String,
    },
    /// N heartbeats went unanswered: the link must be closed.
    LinkDead,
    /// The session ended with TERMINATE (sent by us and answered or timed out, or by the peer).
    Terminated {
        /// True when the peer sent TERMINATE.
        by_peer: bool,
    },
}

/// Why [`ClientSession::submit`] refused a request; the frame is handed back.
#[derive(Debug)]
pub struct SubmitRejected {
    /// Why.
    pub reason: RejectReason,
    /// The frame that was not taken.
    pub frame: BytesMut,
}

/// Reason for a [`SubmitRejected`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectReason {
    /// W requests are unanswered; wait for a response.
    WindowFull,
    /// New sends are paused after a result 8 until [`ClientSession::poll_timeout`].
    Paused,
    /// The session is draining or closed.
    Closing,
    /// The frame is not an encoded SUBMIT, QUERY or CANCEL.
    NotASubmit,
}

/// A request still open when the link was lost (see [`ClientSession::link_lost`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostRequest {
    /// The request.
    pub id: RequestId,
    /// The encoded SUBMIT (Sequence_Id of this session).
    pub frame: Bytes,
    /// True when it was written and not refused: the gateway may have accepted it.
    pub maybe_accepted: bool,
    /// Transmissions made.
    pub tries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReqState {
    Queued(Option<ResendReason>),
    Awaiting { deadline: Instant },
    Backoff { resend_at: Instant },
}

#[derive(Debug)]
struct Request {
    id: RequestId,
    /// Command_Id of the request (SUBMIT, QUERY or CANCEL).
    command: u32,
    frame: Bytes,
    tries: u32,
    flow_control: u32,
    state: ReqState,
}

#[derive(Debug, Clone, Copy)]
enum Tx {
    Request(u32),
    Heartbeat,
    Control(Packet32),
}

/// A small control packet without heap data.
#[derive(Debug, Clone, Copy)]
enum Packet32 {
    DeliverResp(u32, DeliverResp),
    ActiveTestResp(u32),
    Terminate(u32),
    TerminateResp(u32),
}

#[derive(Debug, Clone, Copy)]
struct Heartbeat {
    sequence_id: u32,
    tries: u32,
    deadline: Instant,
    queued: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Draining { deadline: Instant },
    Terminating { deadline: Instant },
    Closed,
}

/// The SP-side session state machine (after a successful login).
///
/// Call [`handle_packet`](Self::handle_packet) for every received packet,
/// [`handle_timeout`](Self::handle_timeout) when [`poll_timeout`](Self::poll_timeout) passes,
/// then drain [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event).
#[derive(Debug)]
pub struct ClientSession {
    config: SessionConfig,
    next_seq: u32,
    next_id: RequestId,
    requests: HashMap<u32, Request>,
    transmit: VecDeque<Tx>,
    events: VecDeque<SessionEvent>,
    last_rx: Instant,
    heartbeat: Option<Heartbeat>,
    paused_until: Option<Instant>,
    state: State,
    /// DELIVERs received and not yet answered: Sequence_Id -> Msg_Id.
    unanswered: HashMap<u32, MsgId>,
}

impl ClientSession {
    /// A session whose link came up at `now`; Sequence_Ids start at `first_sequence_id`.
    pub fn new(config: SessionConfig, first_sequence_id: u32, now: Instant) -> Self {
        ClientSession {
            requests: HashMap::with_capacity(config.window.max(1)),
            config,
            next_seq: first_sequence_id,
            next_id: 1,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            last_rx: now,
            heartbeat: None,
            paused_until: None,
            state: State::Active,
            unanswered: HashMap::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The Sequence_Id the next request will get.
    pub fn next_sequence_id(&self) -> u32 {
        self.next_seq
    }

    /// Unanswered requests (including those waiting for a flow-control re-send).
    pub fn in_flight(&self) -> usize {
        self.requests.len()
    }

    /// True when [`submit`](Self::submit) would accept a request at `now`.
    pub fn can_submit(&self, now: Instant) -> bool {
        self.state == State::Active
            && self.requests.len() < self.config.window
            && self.paused_until.map_or(true, |p| now >= p)
    }

    /// True once the session has ended (link dead, terminated); close the socket after
    /// writing what [`poll_transmit`](Self::poll_transmit) still returns.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// True while draining or terminating.
    pub fn is_closing(&self) -> bool {
        matches!(
            self.state,
            State::Draining { .. } | State::Terminating { .. }
        )
    }

    fn alloc_seq(&mut self) -> u32 {
        let s = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        s
    }

    /// DELIVERs received and not answered yet.
    pub fn unanswered_delivers(&self) -> usize {
        self.unanswered.len()
    }

    /// Answers the DELIVER received with `sequence_id` once the caller holds it (or refuses
    /// it with a non-zero `result`). Returns false, sending nothing, when no DELIVER with that
    /// Sequence_Id awaits an answer (already answered, or the link was lost since).
    pub fn ack_deliver(&mut self, sequence_id: u32, result: DeliverResult) -> bool {
        if self.state == State::Closed && self.transmit.is_empty() {
            return false;
        }
        let Some(msg_id) = self.unanswered.remove(&sequence_id) else {
            return false;
        };
        let resp = DeliverResp { msg_id, result };
        self.transmit
            .push_back(Tx::Control(Packet32::DeliverResp(sequence_id, resp)));
        true
    }

    /// Queues an encoded SUBMIT, QUERY or CANCEL (any Sequence_Id; the session assigns its
    /// own). QUERY and CANCEL share the window and T/N with SUBMITs.
    ///
    /// Returns the request id and the Sequence_Id used.
    pub fn submit(
        &mut self,
        mut frame: BytesMut,
        now: Instant,
    ) -> Result<(RequestId, u32), SubmitRejected> {
        let command = command_id_of(&frame);
        let reason = if !matches!(
            command,
            Some(c) if c == CommandId::SUBMIT.0 || c == CommandId::QUERY.0 || c == CommandId::CANCEL.0
        ) {
            Some(RejectReason::NotASubmit)
        } else if self.state != State::Active {
            Some(RejectReason::Closing)
        } else if self.requests.len() >= self.config.window {
            Some(RejectReason::WindowFull)
        } else if self.paused_until.is_some_and(|p| now < p) {
            Some(RejectReason::Paused)
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(SubmitRejected { reason, frame });
        }
        let mut seq = self.alloc_seq();
        // Never collide with an outstanding request after a wrap-around.
        while self.requests.contains_key(&seq) {
            seq = self.alloc_seq();
        }
        set_sequence_id(&mut frame, seq);
        let id = self.next_id;
        self.next_id += 1;
        self.requests.insert(
            seq,
            Request {
                id,
                command: command.unwrap_or_default(),
                frame: frame.freeze(),
                tries: 0,
                flow_control: 0,
                state: ReqState::Queued(None),
            },
        );
        self.transmit.push_back(Tx::Request(seq));
        Ok((id, seq))
    }

    /// Starts a graceful close: no new requests; once in-flight requests are answered (or at
    /// `deadline`, whichever is first) TERMINATE is sent and answered within T.
    pub fn close(&mut self, deadline: Instant, now: Instant) {
        if self.state == State::Active {
            self.state = State::Draining { deadline };
            self.check_drain(now);
        }
    }

    /// Feeds one received packet.
    pub fn handle_packet(&mut self, packet: Packet, now: Instant) {
        self.last_rx = now;
        // Any traffic proves the link is alive.
        self.heartbeat = None;
        let seq = packet.sequence_id;
        match packet.pdu {
            Pdu::SubmitResp(resp) => self.on_submit_resp(seq, resp, now),
            Pdu::Deliver(deliver) => {
                // Answered by `ack_deliver` once the caller holds it. A copy re-sent with the
                // same Sequence_Id while the first is unanswered needs one answer only.
                self.unanswered.insert(seq, deliver.msg_id);
                self.events.push_back(SessionEvent::Deliver {
                    sequence_id: seq,
                    deliver,
                });
            }
            Pdu::ActiveTest => self
                .transmit
                .push_back(Tx::Control(Packet32::ActiveTestResp(seq))),
            Pdu::ActiveTestResp(_) => {}
            Pdu::Terminate => {
                self.transmit
                    .push_back(Tx::Control(Packet32::TerminateResp(seq)));
                if self.state != State::Closed {
                    self.state = State::Closed;
                    self.events
                        .push_back(SessionEvent::Terminated { by_peer: true });
                }
            }
            Pdu::TerminateResp => {
                if matches!(self.state, State::Terminating { .. }) {
                    self.state = State::Closed;
                    self.events
                        .push_back(SessionEvent::Terminated { by_peer: false });
                } else {
                    self.unmatched(seq, "TERMINATE_RESP");
                }
            }
            Pdu::QueryResp(resp) => {
                self.on_control_resp(seq, CommandId::QUERY.0, "QUERY_RESP", |tries| {
                    RequestOutcome::Queried { resp, tries }
                })
            }
            Pdu::CancelResp(resp) => {
                self.on_control_resp(seq, CommandId::CANCEL.0, "CANCEL_RESP", |tries| {
                    RequestOutcome::Cancelled { resp, tries }
                })
            }
            other => self.events.push_back(SessionEvent::ProtocolViolation {
                reason: format!(
                    "unexpected {} (Sequence_Id {seq}) from the gateway",
                    other.name()
                ),
            }),
        }
        self.check_drain(now);
    }

    fn unmatched(&mut self, sequence_id: u32, command: &'static str) {
        self.events.push_back(SessionEvent::UnmatchedResponse {
            sequence_id,
            command,
        });
    }

    /// A QUERY_RESP or CANCEL_RESP: completes the request of that kind with that Sequence_Id.
    fn on_control_resp(
        &mut self,
        seq: u32,
        command: u32,
        name: &'static str,
        outcome: impl FnOnce(u32) -> RequestOutcome,
    ) {
        match self.requests.get(&seq) {
            Some(req) if req.command == command && req.tries > 0 => {
                let tries = req.tries;
                self.complete(seq, outcome(tries));
            }
            _ => self.unmatched(seq, name),
        }
    }

    fn on_submit_resp(&mut self, seq: u32, resp: SubmitResp, now: Instant) {
        let Some(req) = self.requests.get_mut(&seq) else {
            return self.unmatched(seq, "SUBMIT_RESP");
        };
        if req.command != CommandId::SUBMIT.0 {
            return self.unmatched(seq, "SUBMIT_RESP");
        }
        // A response to an earlier transmission is valid while a timeout re-send is pending;
        // while backing off after result 8 the previous transmission was already answered.
        let live = matches!(
            req.state,
            ReqState::Awaiting { .. } | ReqState::Queued(Some(ResendReason::Timeout))
        );
        if !live || req.tries == 0 {
            return self.unmatched(seq, "SUBMIT_RESP");
        }
        if resp.result == SubmitResult::FlowControl {
            if req.flow_control < self.config.flow_control_max_resends {
                req.flow_control += 1;
                let shift = (req.flow_control - 1).min(16);
                let delay = self
                    .config
                    .flow_control_backoff
                    .saturating_mul(1 << shift)
                    .min(self.config.flow_control_backoff_max);
                let resend_at = now + delay;
                req.state = ReqState::Backoff { resend_at };
                // Pause all new sends too: the gateway is telling us we are too fast.
                self.paused_until = Some(self.paused_until.map_or(resend_at, |p| p.max(resend_at)));
                return;
            }
            let tries = req.tries;
            self.complete(seq, RequestOutcome::FlowControl { tries });
            return;
        }
        let tries = req.tries;
        self.complete(seq, RequestOutcome::Response { resp, tries });
    }

    fn complete(&mut self, seq: u32, outcome: RequestOutcome) {
        if let Some(req) = self.requests.remove(&seq) {
            self.events.push_back(SessionEvent::Completed {
                id: req.id,
                sequence_id: seq,
                outcome,
            });
        }
    }

    fn check_drain(&mut self, now: Instant) {
        if let State::Draining { deadline } = self.state {
            if self.requests.is_empty() || now >= deadline {
                let open: Vec<u32> = self.requests.keys().copied().collect();
                for seq in open {
                    let (maybe_accepted, tries) = self
                        .requests
                        .get(&seq)
                        .map_or((false, 0), |r| (r.maybe_accepted(), r.tries));
                    self.complete(
                        seq,
                        RequestOutcome::Abandoned {
                            maybe_accepted,
                            tries,
                        },
                    );
                }
                let seq = self.alloc_seq();
                self.transmit
                    .push_back(Tx::Control(Packet32::Terminate(seq)));
                self.state = State::Terminating {
                    deadline: now + self.config.response_timeout,
                };
            }
        }
    }

    /// Advances timers; call when `now` reaches [`poll_timeout`](Self::poll_timeout).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        if self.paused_until.is_some_and(|p| now >= p) {
            self.paused_until = None;
        }
        let mut expired = Vec::new();
        for (&seq, req) in self.requests.iter_mut() {
            match req.state {
                ReqState::Awaiting { deadline } if now >= deadline => {
                    if req.tries < self.config.max_tries {
                        req.state = ReqState::Queued(Some(ResendReason::Timeout));
                        self.transmit.push_back(Tx::Request(seq));
                    } else {
                        expired.push(seq);
                    }
                }
                ReqState::Backoff { resend_at } if now >= resend_at => {
                    req.state = ReqState::Queued(Some(ResendReason::FlowControl));
                    self.transmit.push_back(Tx::Request(seq));
                }
                _ => {}
            }
        }
        // Deterministic event order regardless of hash order.
        expired.sort_unstable();
        for seq in expired {
            let tries = self.requests.get(&seq).map_or(0, |r| r.tries);
            self.complete(seq, RequestOutcome::NoResponse { tries });
        }
        match self.heartbeat {
            Some(hb) if now >= hb.deadline && !hb.queued => {
                if hb.tries < self.config.max_tries {
                    self.heartbeat = Some(Heartbeat { queued: true, ..hb });
                    self.transmit.push_back(Tx::Heartbeat);
                } else {
                    self.state = State::Closed;
                    self.events.push_back(SessionEvent::LinkDead);
                    return;
                }
            }
            None if now >= self.last_rx + self.config.heartbeat => {
                let sequence_id = self.alloc_seq();
                self.heartbeat = Some(Heartbeat {
                    sequence_id,
                    tries: 0,
                    deadline: now,
                    queued: true,
                });
                self.transmit.push_back(Tx::Heartbeat);
            }
            _ => {}
        }
        self.check_drain(now);
        if let State::Terminating { deadline } = self.state {
            if now >= deadline {
                self.state = State::Closed;
                self.events
                    .push_back(SessionEvent::Terminated { by_peer: false });
            }
        }
    }

    /// The next instant [`handle_timeout`](Self::handle_timeout) must be called, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        let mut next = match self.heartbeat {
            Some(hb) if !hb.queued => hb.deadline,
            Some(_) => self.last_rx + self.config.heartbeat,
            None => self.last_rx + self.config.heartbeat,
        };
        let mut consider = |t: Instant| next = next.min(t);
        for req in self.requests.values() {
            match req.state {
                ReqState::Awaiting { deadline } => consider(deadline),
                ReqState::Backoff { resend_at } => consider(resend_at),
                ReqState::Queued(_) => {}
            }
        }
        if let Some(p) = self.paused_until {
            consider(p);
        }
        match self.state {
            State::Draining { deadline } | State::Terminating { deadline } => consider(deadline),
            _ => {}
        }
        Some(next)
    }

    /// Appends the next packet to send to `buf`; returns false when nothing is queued.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut BytesMut) -> bool {
        while let Some(tx) = self.transmit.pop_front() {
            match tx {
                Tx::Request(seq) => {
                    let timeout = self.config.response_timeout;
                    let Some(req) = self.requests.get_mut(&seq) else {
                        continue; // answered while queued
                    };
                    let ReqState::Queued(reason) = req.state else {
                        continue;
                    };
                    buf.extend_from_slice(&req.frame);
                    req.tries += 1;
                    req.state = ReqState::Awaiting {
                        deadline: now + timeout,
                    };
                    self.events.push_back(SessionEvent::Transmitted {
                        id: req.id,
                        sequence_id: seq,
                        attempt: req.tries,
                        reason,
                    });
                    return true;
                }
                Tx::Heartbeat => {
                    let Some(hb) = self.heartbeat.as_mut() else {
                        continue;
                    };
                    if !hb.queued {
                        continue;
                    }
                    hb.queued = false;
                    hb.tries += 1;
                    hb.deadline = now + self.config.response_timeout;
                    let seq = hb.sequence_id;
                    self.encode(Packet::new(seq, Pdu::ActiveTest), buf);
                    return true;
                }
                Tx::Control(p) => {
                    let packet = match p {
                        Packet32::DeliverResp(s, r) => Packet::new(s, r),
                        Packet32::ActiveTestResp(s) => Packet::new(s, ActiveTestResp::default()),
                        Packet32::Terminate(s) => Packet::new(s, Pdu::Terminate),
                        Packet32::TerminateResp(s) => Packet::new(s, Pdu::TerminateResp),
                    };
                    self.encode(packet, buf);
                    return true;
                }
            }
        }
        false
    }

    fn encode(&mut self, packet: Packet, buf: &mut BytesMut) {
        // Control packets always fit their fields; a failure would be a bug in this crate,
        // reported as an event rather than a panic.
        if let Err(e) = encode(&packet, self.config.version, buf) {
            self.events.push_back(SessionEvent::ProtocolViolation {
                reason: format!("could not encode {}: {e}", packet.pdu.name()),
            });
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// The link is gone: returns every open request exactly once (ordered by Sequence_Id)
    /// and closes the session. Requests never written or refused with result 8 have
    /// `maybe_accepted == false` and can safely go to another link.
    pub fn link_lost(&mut self) -> Vec<LostRequest> {
        self.state = State::Closed;
        self.transmit.clear();
        self.heartbeat = None;
        // Unanswered DELIVERs are the gateway's to send again on another link.
        self.unanswered.clear();
        let mut out: Vec<(u32, LostRequest)> = self
            .requests
            .drain()
            .map(|(seq, r)| {
                (
                    seq,
                    LostRequest {
                        id: r.id,
                        maybe_accepted: r.maybe_accepted(),
                        tries: r.tries,
                        frame: r.frame,
                    },
                )
            })
            .collect();
        out.sort_unstable_by_key(|(seq, _)| *seq);
        out.into_iter().map(|(_, r)| r).collect()
    }
}

impl Request {
    /// Written and not refused: a transmission may have reached the gateway unanswered.
    fn maybe_accepted(&self) -> bool {
        match self.state {
            ReqState::Awaiting { .. } | ReqState::Queued(Some(ResendReason::Timeout)) => {
                self.tries > 0
            }
            // The last transmission was answered with result 8: not accepted.
            ReqState::Backoff { .. } | ReqState::Queued(Some(ResendReason::FlowControl)) => false,
            ReqState::Queued(_) => self.tries > 0,
        }
    }
}

#[cfg(test)]
mod tests;
