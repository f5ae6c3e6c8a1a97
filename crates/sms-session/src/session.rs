//! One logged-in link as a clock-free state machine: window, response matching, T/N
//! re-sends, flow-control back-off, heartbeats, the at-least-once answer of inbound requests
//! and the closing handshake — for any [`Protocol`].

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use crate::protocol::{Control, Incoming, Protocol};

/// Settings of a [`Session`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// W: most unanswered requests.
    pub window: usize,
    /// T: response timeout for requests and heartbeats.
    pub response_timeout: Duration,
    /// N: total transmissions of a request (and of a heartbeat) before giving up.
    pub max_tries: u32,
    /// C: send a heartbeat after this long without receiving anything.
    pub heartbeat: Duration,
    /// Most re-sends of one request after a flow-control answer before failing it.
    pub flow_control_max_resends: u32,
    /// First pause after a flow-control answer; doubles per further one on the same request.
    pub flow_control_backoff: Duration,
    /// Largest pause after a flow-control answer.
    pub flow_control_backoff_max: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
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

impl SessionConfig {
    /// Sets W.
    pub fn with_window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// Sets T.
    pub fn with_response_timeout(mut self, t: Duration) -> Self {
        self.response_timeout = t;
        self
    }

    /// Sets N.
    pub fn with_max_tries(mut self, n: u32) -> Self {
        self.max_tries = n;
        self
    }

    /// Sets C.
    pub fn with_heartbeat(mut self, c: Duration) -> Self {
        self.heartbeat = c;
        self
    }

    /// Sets the flow-control re-send limit and back-off.
    pub fn with_flow_control(mut self, max_resends: u32, backoff: Duration, max: Duration) -> Self {
        self.flow_control_max_resends = max_resends;
        self.flow_control_backoff = backoff;
        self.flow_control_backoff_max = max;
        self
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
    /// The peer answered with flow control.
    FlowControl,
    /// The link was lost and the request is sent on a new one.
    Reconnect,
}

/// Final outcome of a request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RequestOutcome<R> {
    /// A response other than a retryable flow-control answer arrived.
    Response {
        /// The response.
        resp: R,
        /// Transmissions made.
        tries: u32,
    },
    /// Flow control kept coming after the allowed number of re-sends; not accepted.
    FlowControl {
        /// Transmissions made.
        tries: u32,
    },
    /// No response after N transmissions; the peer may have accepted it.
    NoResponse {
        /// Transmissions made.
        tries: u32,
    },
    /// The session was closed (drain deadline passed) while the request was unanswered.
    Abandoned {
        /// Whether the peer may have accepted it (it was written and not refused).
        maybe_accepted: bool,
        /// Transmissions made.
        tries: u32,
    },
}

impl<R: PartialEq> PartialEq for RequestOutcome<R> {
    fn eq(&self, other: &Self) -> bool {
        use RequestOutcome::*;
        match (self, other) {
            (Response { resp: a, tries: x }, Response { resp: b, tries: y }) => a == b && x == y,
            (FlowControl { tries: x }, FlowControl { tries: y }) => x == y,
            (NoResponse { tries: x }, NoResponse { tries: y }) => x == y,
            (
                Abandoned {
                    maybe_accepted: a,
                    tries: x,
                },
                Abandoned {
                    maybe_accepted: b,
                    tries: y,
                },
            ) => a == b && x == y,
            _ => false,
        }
    }
}

/// Something the session wants the caller to know.
#[non_exhaustive]
pub enum SessionEvent<P: Protocol> {
    /// A request was handed to [`Session::poll_transmit`] (written).
    Transmitted {
        /// The request.
        id: RequestId,
        /// Its sequence number.
        seq: P::Seq,
        /// Transmission number, from 1.
        attempt: u32,
        /// `None` for the first transmission.
        reason: Option<ResendReason>,
    },
    /// A request is finished; it will not be mentioned again.
    Completed {
        /// The request.
        id: RequestId,
        /// Its sequence number.
        seq: P::Seq,
        /// The outcome.
        outcome: RequestOutcome<P::Response>,
    },
    /// The peer sent a request for the application. It is not answered until the caller
    /// answers it with [`Session::answer`] (at-least-once: a request lost before it is held
    /// somewhere durable is sent again by the peer).
    Inbound {
        /// Its sequence number.
        seq: P::Seq,
        /// The request.
        inbound: P::Inbound,
    },
    /// A response matched no outstanding request (late, duplicate or bogus).
    UnmatchedResponse {
        /// Its sequence number.
        seq: P::Seq,
        /// Command name.
        command: &'static str,
    },
    /// The peer sent something this side never expects; it was ignored.
    ProtocolViolation {
        /// What happened.
        reason: String,
    },
    /// N heartbeats went unanswered: the link must be closed.
    LinkDead,
    /// The session ended with the closing handshake (ours, answered or timed out, or the peer's).
    Terminated {
        /// True when the peer closed.
        by_peer: bool,
    },
}

impl<P: Protocol> std::fmt::Debug for SessionEvent<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionEvent::Transmitted {
                id,
                seq,
                attempt,
                reason,
            } => f
                .debug_struct("Transmitted")
                .field("id", id)
                .field("seq", seq)
                .field("attempt", attempt)
                .field("reason", reason)
                .finish(),
            SessionEvent::Completed { id, seq, outcome } => f
                .debug_struct("Completed")
                .field("id", id)
                .field("seq", seq)
                .field("outcome", outcome)
                .finish(),
            SessionEvent::Inbound { seq, inbound } => f
                .debug_struct("Inbound")
                .field("seq", seq)
                .field("inbound", inbound)
                .finish(),
            SessionEvent::UnmatchedResponse { seq, command } => f
                .debug_struct("UnmatchedResponse")
                .field("seq", seq)
                .field("command", command)
                .finish(),
            SessionEvent::ProtocolViolation { reason } => f
                .debug_struct("ProtocolViolation")
                .field("reason", reason)
                .finish(),
            SessionEvent::LinkDead => f.write_str("LinkDead"),
            SessionEvent::Terminated { by_peer } => f
                .debug_struct("Terminated")
                .field("by_peer", by_peer)
                .finish(),
        }
    }
}

impl<P: Protocol> PartialEq for SessionEvent<P>
where
    P::Response: PartialEq,
    P::Inbound: PartialEq,
{
    fn eq(&self, other: &Self) -> bool {
        use SessionEvent::*;
        match (self, other) {
            (
                Transmitted {
                    id: a,
                    seq: b,
                    attempt: c,
                    reason: d,
                },
                Transmitted {
                    id: w,
                    seq: x,
                    attempt: y,
                    reason: z,
                },
            ) => a == w && b == x && c == y && d == z,
            (
                Completed {
                    id: a,
                    seq: b,
                    outcome: c,
                },
                Completed {
                    id: x,
                    seq: y,
                    outcome: z,
                },
            ) => a == x && b == y && c == z,
            (Inbound { seq: a, inbound: b }, Inbound { seq: x, inbound: y }) => a == x && b == y,
            (
                UnmatchedResponse { seq: a, command: b },
                UnmatchedResponse { seq: x, command: y },
            ) => a == x && b == y,
            (ProtocolViolation { reason: a }, ProtocolViolation { reason: b }) => a == b,
            (LinkDead, LinkDead) => true,
            (Terminated { by_peer: a }, Terminated { by_peer: b }) => a == b,
            _ => false,
        }
    }
}

/// Why [`Session::submit`] refused a request; the frame is handed back.
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
    /// New sends are paused after flow control until [`Session::poll_timeout`].
    Paused,
    /// The session is draining or closed.
    Closing,
    /// The frame is not a request this side may send.
    NotASubmit,
}

/// A request still open when the link was lost (see [`Session::link_lost`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostRequest {
    /// The request.
    pub id: RequestId,
    /// The encoded request (with this session's sequence number).
    pub frame: Bytes,
    /// True when it was written and not refused: the peer may have accepted it.
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
    /// Command of the request (what its response must answer).
    command: u32,
    frame: Bytes,
    tries: u32,
    flow_control: u32,
    state: ReqState,
}

enum Tx<P: Protocol> {
    Request(P::Seq),
    Heartbeat,
    Control(Control<P>),
}

#[derive(Debug, Clone, Copy)]
struct Heartbeat<S> {
    seq: S,
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

/// The session state machine of one logged-in link, for protocol `P`.
///
/// Call [`handle_packet`](Self::handle_packet) for every received packet,
/// [`handle_timeout`](Self::handle_timeout) when [`poll_timeout`](Self::poll_timeout) passes,
/// then drain [`poll_transmit`](Self::poll_transmit) and [`poll_event`](Self::poll_event).
pub struct Session<P: Protocol> {
    proto: P,
    config: SessionConfig,
    next_id: RequestId,
    requests: HashMap<P::Seq, Request>,
    transmit: VecDeque<Tx<P>>,
    events: VecDeque<SessionEvent<P>>,
    last_rx: Instant,
    heartbeat: Option<Heartbeat<P::Seq>>,
    paused_until: Option<Instant>,
    state: State,
    /// Inbound requests received and not yet answered.
    unanswered: HashMap<P::Seq, P::InboundKey>,
}

impl<P: Protocol> std::fmt::Debug for Session<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("proto", &self.proto)
            .field("in_flight", &self.requests.len())
            .field("unanswered", &self.unanswered.len())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<P: Protocol> Session<P> {
    /// A session whose link came up at `now`, numbering its packets with `proto`.
    pub fn new(config: SessionConfig, proto: P, now: Instant) -> Self {
        Session {
            requests: HashMap::with_capacity(config.window.max(1)),
            proto,
            config,
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

    /// The protocol (and its sequence counter).
    pub fn protocol(&self) -> &P {
        &self.proto
    }

    /// The protocol, mutably.
    pub fn protocol_mut(&mut self) -> &mut P {
        &mut self.proto
    }

    /// Ends the session and hands back the protocol (to number the next link's packets on).
    pub fn into_protocol(self) -> P {
        self.proto
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

    /// Inbound requests received and not answered yet.
    pub fn unanswered_inbound(&self) -> usize {
        self.unanswered.len()
    }

    /// Answers the inbound request received with `seq` once the caller holds it (or refuses
    /// it). Returns false, sending nothing, when no request with that sequence number awaits
    /// an answer (already answered, or the link was lost since).
    pub fn answer(&mut self, seq: P::Seq, answer: P::Answer) -> bool {
        if self.state == State::Closed && self.transmit.is_empty() {
            return false;
        }
        let Some(key) = self.unanswered.remove(&seq) else {
            return false;
        };
        self.transmit
            .push_back(Tx::Control(Control::Answer { seq, key, answer }));
        true
    }

    /// Queues an encoded request (any sequence number; the session assigns its own).
    ///
    /// Returns the request id and the sequence number used.
    pub fn submit(
        &mut self,
        mut frame: BytesMut,
        now: Instant,
    ) -> Result<(RequestId, P::Seq), SubmitRejected> {
        let command = P::request_command(&frame);
        let reason = if command.is_none() {
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
        let mut seq = self.proto.next_sequence();
        // Never collide with an outstanding request after a wrap-around.
        while self.requests.contains_key(&seq) {
            seq = self.proto.next_sequence();
        }
        P::set_sequence(&mut frame, seq);
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
    /// `deadline`, whichever is first) the closing request is sent and answered within T.
    pub fn close(&mut self, deadline: Instant, now: Instant) {
        if self.state == State::Active {
            self.state = State::Draining { deadline };
            self.check_drain(now);
        }
    }

    /// Feeds one received packet.
    pub fn handle_packet(&mut self, packet: P::Packet, now: Instant) {
        self.last_rx = now;
        // Any traffic proves the link is alive.
        self.heartbeat = None;
        match self.proto.classify(packet) {
            Incoming::Response {
                seq,
                answers,
                name,
                response,
            } => self.on_response(seq, answers, name, response, now),
            Incoming::Inbound { seq, key, inbound } => {
                // Answered by `answer` once the caller holds it. A copy re-sent with the
                // same sequence number while the first is unanswered needs one answer only.
                self.unanswered.insert(seq, key);
                self.events
                    .push_back(SessionEvent::Inbound { seq, inbound });
            }
            Incoming::Heartbeat { seq } => self
                .transmit
                .push_back(Tx::Control(Control::HeartbeatResp(seq))),
            Incoming::HeartbeatResp => {}
            Incoming::Terminate { seq } => {
                self.transmit
                    .push_back(Tx::Control(Control::TerminateResp(seq)));
                if self.state != State::Closed {
                    self.state = State::Closed;
                    self.events
                        .push_back(SessionEvent::Terminated { by_peer: true });
                }
            }
            Incoming::TerminateResp { seq } => {
                if matches!(self.state, State::Terminating { .. }) {
                    self.state = State::Closed;
                    self.events
                        .push_back(SessionEvent::Terminated { by_peer: false });
                } else {
                    self.unmatched(seq, "close response");
                }
            }
            Incoming::Unexpected { seq, name } => {
                self.events.push_back(SessionEvent::ProtocolViolation {
                    reason: format!("unexpected {name} (sequence {seq:?}) from the peer"),
                })
            }
        }
        self.check_drain(now);
    }

    fn unmatched(&mut self, seq: P::Seq, command: &'static str) {
        self.events
            .push_back(SessionEvent::UnmatchedResponse { seq, command });
    }

    fn on_response(
        &mut self,
        seq: P::Seq,
        answers: u32,
        name: &'static str,
        resp: P::Response,
        now: Instant,
    ) {
        let Some(req) = self.requests.get_mut(&seq) else {
            return self.unmatched(seq, name);
        };
        if req.command != answers {
            return self.unmatched(seq, name);
        }
        // A response to an earlier transmission is valid while a timeout re-send is pending;
        // while backing off after flow control the previous transmission was already answered.
        let live = matches!(
            req.state,
            ReqState::Awaiting { .. } | ReqState::Queued(Some(ResendReason::Timeout))
        );
        if !live || req.tries == 0 {
            return self.unmatched(seq, name);
        }
        if P::is_flow_control(&resp) {
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
                // Pause all new sends too: the peer is telling us we are too fast.
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

    fn complete(&mut self, seq: P::Seq, outcome: RequestOutcome<P::Response>) {
        if let Some(req) = self.requests.remove(&seq) {
            self.events.push_back(SessionEvent::Completed {
                id: req.id,
                seq,
                outcome,
            });
        }
    }

    fn check_drain(&mut self, now: Instant) {
        if let State::Draining { deadline } = self.state {
            if self.requests.is_empty() || now >= deadline {
                let mut open: Vec<P::Seq> = self.requests.keys().copied().collect();
                open.sort_unstable();
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
                let seq = self.proto.next_sequence();
                self.transmit
                    .push_back(Tx::Control(Control::Terminate(seq)));
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
        if P::HEARTBEAT {
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
                    let seq = self.proto.next_sequence();
                    self.heartbeat = Some(Heartbeat {
                        seq,
                        tries: 0,
                        deadline: now,
                        queued: true,
                    });
                    self.transmit.push_back(Tx::Heartbeat);
                }
                _ => {}
            }
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
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        if P::HEARTBEAT {
            match self.heartbeat {
                Some(hb) if !hb.queued => consider(hb.deadline),
                _ => consider(self.last_rx + self.config.heartbeat),
            }
        }
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
        next
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
                        seq,
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
                    let seq = hb.seq;
                    self.encode(Control::Heartbeat(seq), buf);
                    return true;
                }
                Tx::Control(c) => {
                    self.encode(c, buf);
                    return true;
                }
            }
        }
        false
    }

    fn encode(&mut self, control: Control<P>, buf: &mut BytesMut) {
        // Control packets always fit their fields; a failure would be a bug in the protocol
        // implementation, reported as an event rather than a panic.
        if let Err(e) = self.proto.encode_control(&control, buf) {
            self.events.push_back(SessionEvent::ProtocolViolation {
                reason: format!("could not encode {control:?}: {e}"),
            });
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<SessionEvent<P>> {
        self.events.pop_front()
    }

    /// The link is gone: returns every open request exactly once (ordered by sequence number)
    /// and closes the session. Requests never written or refused with flow control have
    /// `maybe_accepted == false` and can safely go to another link.
    pub fn link_lost(&mut self) -> Vec<LostRequest> {
        self.state = State::Closed;
        self.transmit.clear();
        self.heartbeat = None;
        // Unanswered inbound requests are the peer's to send again on another link.
        self.unanswered.clear();
        let mut out: Vec<(P::Seq, LostRequest)> = self
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
    /// Written and not refused: a transmission may have reached the peer unanswered.
    fn maybe_accepted(&self) -> bool {
        match self.state {
            ReqState::Awaiting { .. } | ReqState::Queued(Some(ResendReason::Timeout)) => {
                self.tries > 0
            }
            // The last transmission was answered with flow control: not accepted.
            ReqState::Backoff { .. } | ReqState::Queued(Some(ResendReason::FlowControl)) => false,
            ReqState::Queued(_) => self.tries > 0,
        }
    }
}
