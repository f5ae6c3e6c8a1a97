//! The SP client: the MT link pool to the SMG (Submit) and the MO listener the SMG binds to
//! (Deliver, Report, UserRpt), both on the session core's link task.
//!
//! Reports and MO messages come on one event stream, each with an [`Ack`]: its response
//! (Result 0) is written only when the application calls [`Ack::accept`], so a message lost
//! before the application holds it is sent again by the SMG. A Report names its Submit by all
//! 12 bytes of the Submit's sequence number ([`SubmitOutcome::sequence`]); the client also
//! looks up the caller's `local_id` for it.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use sgip_codec::pdu::bind::{LOGIN_SMG_TO_SP, LOGIN_SP_TO_SMG};
use sgip_codec::pdu::submit::MAX_USERS;
use sgip_codec::{
    encode, Deliver, EncodeError, Packet, Pdu, Report, ResultCode, SequenceNumber, Submit, UserRpt,
};
use sms_session::link::{
    AckTarget, Connected, Failure, Hooks, InboundAck, LinkCtx, LinkLoss, Pending, Pool, PoolConfig,
    Settled,
};
use sms_session::{Backoff, Clock, RequestOutcome, ResendReason, SessionConfig, SystemClock};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::login::{accept_bind, bind, Accounts, Credentials, LoginError};
use crate::proto::{Numbering, SpInbound, SpMo, SpMt, SpResponse};
use crate::wire::frame_reader;

/// The answer handle of a status report, MO message or user report.
pub type Ack = InboundAck<SpMo>;

/// Settings of a [`Client`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The SMG's address (its MT port, 8801 by convention).
    pub gateway: SocketAddr,
    /// LoginName / LoginPassword of the MT link (Bind type 1).
    pub credentials: Credentials,
    /// Where the SP listens for the SMG's MO link (the address registered with the operator).
    pub listen: SocketAddr,
    /// The logins the SMG may bind to the listener with (Bind type 2); default: the MT
    /// credentials, as most operators configure.
    pub smg_accounts: Accounts,
    /// The SP's node id (`3AAAAQQQQQ`, see [`sgip_codec::sp_node_id`]), part 1 of every
    /// sequence number.
    pub node_id: u32,
    /// MT links in the pool.
    pub connections: usize,
    /// W: unanswered Submits per link.
    pub window: usize,
    /// T: Submit_Resp timeout (the spec's default is 30 s).
    pub response_timeout: Duration,
    /// N: transmissions of a Submit before it fails.
    pub max_tries: u32,
    /// Login (Bind) timeout.
    pub login_timeout: Duration,
    /// Reconnect policy of the MT links.
    pub reconnect: Backoff,
    /// Capacity of the event stream.
    pub event_capacity: usize,
    /// Submits remembered for matching their reports to `local_id`s.
    pub report_index_capacity: usize,
    /// Wall clock (sequence-number time part, outcome times).
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("gateway", &self.gateway)
            .field("credentials", &self.credentials)
            .field("listen", &self.listen)
            .field("node_id", &self.node_id)
            .field("connections", &self.connections)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Defaults for an SP logging in to `gateway` as `login_name`/`password` and listening
    /// on `listen` for the SMG (which binds with the same pair).
    pub fn new(
        gateway: SocketAddr,
        login_name: impl Into<String>,
        password: impl Into<String>,
        listen: SocketAddr,
    ) -> Self {
        let credentials = Credentials::new(login_name, password);
        ClientConfig {
            gateway,
            smg_accounts: Accounts::new()
                .with(&credentials.login_name, &credentials.login_password),
            credentials,
            listen,
            node_id: 0,
            connections: 1,
            window: 16,
            response_timeout: Duration::from_secs(30),
            max_tries: 3,
            login_timeout: Duration::from_secs(10),
            reconnect: Backoff::default(),
            event_capacity: 1024,
            report_index_capacity: 100_000,
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the node id.
    pub fn with_node_id(mut self, node_id: u32) -> Self {
        self.node_id = node_id;
        self
    }

    /// Sets the logins accepted on the MO listener.
    pub fn with_smg_accounts(mut self, accounts: Accounts) -> Self {
        self.smg_accounts = accounts;
        self
    }

    /// Sets the number of MT links.
    pub fn with_connections(mut self, n: usize) -> Self {
        self.connections = n.max(1);
        self
    }

    /// Sets W.
    pub fn with_window(mut self, w: usize) -> Self {
        self.window = w.max(1);
        self
    }

    /// Sets T and N.
    pub fn with_response_timeout(mut self, t: Duration, max_tries: u32) -> Self {
        self.response_timeout = t;
        self.max_tries = max_tries.max(1);
        self
    }

    /// Sets the reconnect policy.
    pub fn with_reconnect(mut self, policy: Backoff) -> Self {
        self.reconnect = policy;
        self
    }

    /// Sets the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn session_config(&self) -> SessionConfig {
        SessionConfig::default()
            .with_window(self.window)
            .with_response_timeout(self.response_timeout)
            .with_max_tries(self.max_tries)
    }
}

/// The SMG's final answer to a Submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// The caller's id for the message.
    pub local_id: Arc<str>,
    /// The sequence number the answered transmission carried: the key its Reports name.
    pub sequence: SequenceNumber,
    /// The Result (0 = accepted; see [`ResultCode::cause_class`]).
    pub result: ResultCode,
    /// Transmissions made, over all links.
    pub tries: u32,
    /// The MT link that got the answer.
    pub connection: usize,
}

/// Why a Submit got no final answer. Each says whether the SMG may have accepted it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// No Submit_Resp after N transmissions; the SMG may have accepted it.
    #[error("no Submit_Resp after {tries} transmissions (may have been accepted)")]
    NoResponse {
        /// Transmissions made.
        tries: u32,
    },
    /// Throttle Results (11, 33, 88) kept coming after the allowed re-sends; not accepted.
    #[error("flow control after {tries} transmissions; not accepted")]
    FlowControl {
        /// Transmissions made.
        tries: u32,
    },
    /// The link was lost (or closed) before an answer.
    #[error("link lost before Submit_Resp (maybe accepted: {maybe_accepted})")]
    LinkLost {
        /// True when it was written and not refused.
        maybe_accepted: bool,
    },
    /// The client is closed; not sent.
    #[error("client closed; not sent")]
    Closed,
    /// The Submit cannot be encoded; not sent.
    #[error("cannot encode Submit: {0}")]
    Encode(#[from] EncodeError),
    /// The Submit is invalid; not sent.
    #[error("invalid Submit: {0}")]
    Invalid(String),
}

impl SubmitError {
    /// Whether the SMG may have accepted the message despite the error.
    pub fn maybe_accepted(&self) -> bool {
        match self {
            SubmitError::NoResponse { .. } => true,
            SubmitError::LinkLost { maybe_accepted } => *maybe_accepted,
            _ => false,
        }
    }
}

/// What the client hands to the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A status report. Answered (Report_Resp) only on `ack.accept()`.
    Report {
        /// The report; `report.submit_sequence` is its Submit's [`SubmitOutcome::sequence`].
        report: Report,
        /// The `local_id` of the Submit with that sequence number, when this client sent it.
        local_id: Option<Arc<str>>,
        /// The answer handle.
        ack: Ack,
    },
    /// An MO message. Answered (Deliver_Resp) only on `ack.accept()`.
    Message {
        /// The message.
        deliver: Deliver,
        /// The answer handle.
        ack: Ack,
    },
    /// A subscriber's state changed. Answered (UserRpt_Resp) only on `ack.accept()`.
    UserReport {
        /// The report.
        user_rpt: UserRpt,
        /// The answer handle.
        ack: Ack,
    },
}

impl ClientEvent {
    /// The answer handle.
    pub fn ack(&self) -> &Ack {
        match self {
            ClientEvent::Report { ack, .. }
            | ClientEvent::Message { ack, .. }
            | ClientEvent::UserReport { ack, .. } => ack,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Submits by sequence number, for naming the `local_id` of a report. Bounded: the oldest
/// entries go first. An entry outlives its first report on purpose: a report the
/// application did not acknowledge comes again and must be named again.
#[derive(Debug, Default)]
struct ReportIndex {
    by_seq: HashMap<SequenceNumber, Arc<str>>,
    order: VecDeque<SequenceNumber>,
    capacity: usize,
}

impl ReportIndex {
    fn insert(&mut self, seq: SequenceNumber, local_id: Arc<str>) {
        if self.by_seq.insert(seq, local_id).is_none() {
            self.order.push_back(seq);
        }
        while self.by_seq.len() > self.capacity {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            self.by_seq.remove(&old);
        }
        // Entries removed for refused Submits leave stale places in `order`: compact them
        // away so that the queue stays proportional to the live entries.
        if self.order.len() > 2 * self.capacity.max(self.by_seq.len()) {
            let live = &self.by_seq;
            self.order.retain(|s| live.contains_key(s));
        }
    }

    fn remove(&mut self, seq: &SequenceNumber) {
        self.by_seq.remove(seq);
    }

    /// The `local_id` of the Submit a report names (all 12 bytes).
    fn local_id(&self, report: &Report) -> Option<Arc<str>> {
        self.by_seq.get(&report.submit_sequence).cloned()
    }
}

struct Shared {
    config: ClientConfig,
    numbering: Numbering,
    index: Mutex<ReportIndex>,
    /// Reports handed over, so that copies the SMG sends again are not.
    recent: Arc<Mutex<Recent>>,
}

/// What became of an inbound message's first copy.
enum Seen {
    /// Handed over and not answered yet: copies arriving meanwhile, answered with it.
    Pending(Vec<AckTarget<SequenceNumber>>),
    /// Answered (with this Result): a copy is answered the same at once.
    Answered(ResultCode),
}

/// Reports seen lately, by what they say (a copy sent again on another link has another
/// sequence number, but the same Submit, user, state and error). Bounded: the oldest are forgotten first, and a forgotten message's copy
/// is simply handed over again.
#[derive(Default)]
struct Recent {
    map: HashMap<Vec<u8>, Seen>,
    order: VecDeque<Vec<u8>>,
}

impl Recent {
    const CAPACITY: usize = 100_000;

    /// What one inbound message is, for telling its copies apart from other messages.
    fn key(inbound: &SpInbound) -> Option<Vec<u8>> {
        let mut k = Vec::with_capacity(64);
        match inbound {
            SpInbound::Report(r) => {
                k.push(b'R');
                k.extend_from_slice(&r.submit_sequence.to_bytes());
                k.extend_from_slice(r.user_number.as_bytes());
                k.extend_from_slice(&[0, r.state.to_u8(), r.error_code.0, r.report_type]);
            }
            // An MO message has no id: a user who sends the same text twice sends two
            // messages, so its copies cannot be told from a second message and are handed
            // over each time (at least once).
            SpInbound::Deliver(_) => return None,
            // Nor does a subscriber's state report carry anything that would tell two apart.
            SpInbound::UserRpt(_) => return None,
        }
        Some(k)
    }

    fn insert(&mut self, key: Vec<u8>, seen: Seen) {
        if self.map.insert(key.clone(), seen).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > Self::CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

/// What a Submit carries through the pool.
struct Meta {
    local_id: Arc<str>,
    reply: oneshot::Sender<Result<SubmitOutcome, SubmitError>>,
}

/// The MT link's hooks.
struct MtHooks(Arc<Shared>);

/// The MO listener's hooks (one per accepted link).
struct MoHooks(Arc<Shared>);

/// Nothing the MT link reports goes on the event stream.
#[derive(Debug)]
enum NoEvent {}

impl MtHooks {
    fn fail(&self, meta: Meta, seq: Option<SequenceNumber>, err: SubmitError) -> Settled<NoEvent> {
        if let Some(seq) = seq {
            lock(&self.0.index).remove(&seq);
        }
        Settled::new(None, move || {
            let _ = meta.reply.send(Err(err));
        })
    }
}

impl Hooks for MtHooks {
    type Proto = SpMt;
    type Meta = Meta;
    type Event = NoEvent;
    type LoginError = LoginError;

    fn session_config(&self) -> SessionConfig {
        self.0.config.session_config()
    }

    async fn login(
        &self,
        _connection: usize,
        _previous: Option<SpMt>,
    ) -> Result<Connected<SpMt>, LoginError> {
        let cfg = &self.0.config;
        let mut stream = tokio::time::timeout(cfg.login_timeout, TcpStream::connect(cfg.gateway))
            .await
            .map_err(|_| LoginError::Timeout(cfg.login_timeout))?
            .map_err(LoginError::Io)?;
        let _ = stream.set_nodelay(true);
        let seq = self.0.numbering.next();
        bind(
            &mut stream,
            LOGIN_SP_TO_SMG,
            &cfg.credentials,
            seq,
            cfg.login_timeout,
        )
        .await?;
        // The numbering is shared: every link and reconnect continues one counter.
        Ok(Connected {
            stream,
            reader: frame_reader(),
            proto: SpMt::new(self.0.numbering.clone()),
        })
    }

    fn now_utc(&self) -> DateTime<Utc> {
        self.0.config.clock.now_utc()
    }

    fn transmitted(
        &self,
        _ctx: &LinkCtx<'_, SpMt>,
        pending: &mut Pending<Meta>,
        seq: SequenceNumber,
        _first: bool,
        _attempt: u32,
        _reason: ResendReason,
    ) -> Option<NoEvent> {
        // Indexed when written, not when answered: the SMG may report before the client
        // has read the Submit_Resp (they travel on different links).
        lock(&self.0.index).insert(seq, pending.meta.local_id.clone());
        None
    }

    fn completed(
        &self,
        ctx: &LinkCtx<'_, SpMt>,
        p: Pending<Meta>,
        seq: SequenceNumber,
        outcome: RequestOutcome<SpResponse>,
    ) -> Settled<NoEvent> {
        let before = p.tries_before;
        let meta = p.meta;
        match outcome {
            RequestOutcome::Response { resp, tries } => {
                let result = resp.result().unwrap_or(ResultCode::OK);
                if !result.is_ok() {
                    lock(&self.0.index).remove(&seq);
                }
                let outcome = SubmitOutcome {
                    local_id: meta.local_id,
                    sequence: seq,
                    result,
                    tries: tries + before,
                    connection: ctx.connection,
                };
                Settled::new(None, move || {
                    let _ = meta.reply.send(Ok(outcome));
                })
            }
            RequestOutcome::FlowControl { tries } => self.fail(
                meta,
                Some(seq),
                SubmitError::FlowControl {
                    tries: tries + before,
                },
            ),
            RequestOutcome::NoResponse { tries } => self.fail(
                meta,
                None,
                SubmitError::NoResponse {
                    tries: tries + before,
                },
            ),
            RequestOutcome::Abandoned { maybe_accepted, .. } => {
                let seq = (!maybe_accepted).then_some(seq);
                self.fail(meta, seq, SubmitError::LinkLost { maybe_accepted })
            }
            _ => self.fail(
                meta,
                None,
                SubmitError::LinkLost {
                    maybe_accepted: true,
                },
            ),
        }
    }

    fn failed(
        &self,
        _ctx: &LinkCtx<'_, SpMt>,
        p: Pending<Meta>,
        seq: Option<SequenceNumber>,
        failure: Failure,
    ) -> Settled<NoEvent> {
        match failure {
            Failure::LinkLost { maybe_accepted } => {
                // A possibly accepted Submit may still be reported: keep its index entry.
                let seq = seq.filter(|_| !maybe_accepted);
                self.fail(p.meta, seq, SubmitError::LinkLost { maybe_accepted })
            }
            _ => self.fail(p.meta, None, SubmitError::Closed),
        }
    }

    fn inbound(
        &self,
        _ctx: &LinkCtx<'_, SpMt>,
        _answer_now: &mut dyn FnMut(ResultCode),
        _seq: SequenceNumber,
        inbound: std::convert::Infallible,
    ) -> Vec<NoEvent> {
        match inbound {}
    }

    fn link_up(&self, connection: usize) -> Option<NoEvent> {
        tracing::info!(connection, "SGIP MT link up");
        None
    }

    fn link_down(&self, connection: usize, loss: &LinkLoss) -> Option<NoEvent> {
        tracing::info!(connection, %loss, "SGIP MT link down");
        None
    }

    fn is_inbound_event(event: &NoEvent) -> bool {
        match *event {}
    }
}

impl Hooks for MoHooks {
    type Proto = SpMo;
    type Meta = ();
    type Event = ClientEvent;
    type LoginError = LoginError;

    fn session_config(&self) -> SessionConfig {
        self.0.config.session_config()
    }

    /// Never called: MO links are accepted, logged in by [`accept_bind`], and served.
    async fn login(
        &self,
        _connection: usize,
        _previous: Option<SpMo>,
    ) -> Result<Connected<SpMo>, LoginError> {
        Err(LoginError::Closed)
    }

    fn now_utc(&self) -> DateTime<Utc> {
        self.0.config.clock.now_utc()
    }

    fn completed(
        &self,
        _ctx: &LinkCtx<'_, SpMo>,
        _p: Pending<()>,
        _seq: SequenceNumber,
        _outcome: RequestOutcome<std::convert::Infallible>,
    ) -> Settled<ClientEvent> {
        // The SP sends no requests on an MO link (only Unbind, which is not a request).
        Settled::nothing()
    }

    fn failed(
        &self,
        _ctx: &LinkCtx<'_, SpMo>,
        _p: Pending<()>,
        _seq: Option<SequenceNumber>,
        _failure: Failure,
    ) -> Settled<ClientEvent> {
        Settled::nothing()
    }

    fn inbound(
        &self,
        ctx: &LinkCtx<'_, SpMo>,
        answer_now: &mut dyn FnMut(ResultCode),
        seq: SequenceNumber,
        inbound: SpInbound,
    ) -> Vec<ClientEvent> {
        let target = ctx.ack_target(seq);
        let ack = match Recent::key(&inbound) {
            None => InboundAck::new(ctx.acks().clone(), vec![target], ResultCode::OK),
            Some(key) => {
                {
                    let mut recent = lock(&self.0.recent);
                    match recent.map.get_mut(&key) {
                        // A copy of a message already answered: the same answer, at once.
                        Some(Seen::Answered(result)) => {
                            answer_now(*result);
                            return Vec::new();
                        }
                        // A copy of a message the application holds but has not answered:
                        // answered with it.
                        Some(Seen::Pending(copies)) => {
                            copies.push(target);
                            return Vec::new();
                        }
                        None => recent.insert(key.clone(), Seen::Pending(Vec::new())),
                    }
                }
                let (recent, router) = (self.0.recent.clone(), ctx.acks().clone());
                InboundAck::with_release(
                    ctx.acks().clone(),
                    vec![target],
                    ResultCode::OK,
                    move |answer| {
                        let mut recent = lock(&recent);
                        match answer {
                            Some(result) => {
                                let copies = match recent.map.get_mut(&key) {
                                    Some(seen) => {
                                        match std::mem::replace(seen, Seen::Answered(result)) {
                                            Seen::Pending(copies) => copies,
                                            Seen::Answered(_) => Vec::new(),
                                        }
                                    }
                                    None => Vec::new(),
                                };
                                for t in copies {
                                    router.send(t, result);
                                }
                            }
                            // Dropped unanswered: the next copy is handed over again.
                            None => {
                                recent.map.remove(&key);
                            }
                        }
                    },
                )
            }
        };
        let event = match inbound {
            SpInbound::Report(report) => ClientEvent::Report {
                local_id: lock(&self.0.index).local_id(&report),
                report,
                ack,
            },
            SpInbound::Deliver(deliver) => ClientEvent::Message { deliver, ack },
            SpInbound::UserRpt(user_rpt) => ClientEvent::UserReport { user_rpt, ack },
        };
        vec![event]
    }

    fn link_down(&self, _connection: usize, loss: &LinkLoss) -> Option<ClientEvent> {
        tracing::info!(%loss, "SGIP MO link down");
        None
    }

    fn is_inbound_event(_event: &ClientEvent) -> bool {
        true
    }
}

/// The MO links being served, by id.
type MoLinks = Arc<Mutex<HashMap<u64, Pool<MoHooks>>>>;

/// An SGIP SP client: a pool of MT links to the SMG and the listener the SMG binds to.
///
/// Dropping the client without [`close`](Client::close) stops the listener and lets the
/// links drain on their own.
pub struct Client {
    mt: Pool<MtHooks>,
    listen_addr: SocketAddr,
    mo_links: MoLinks,
    events_rx: Mutex<Option<mpsc::Receiver<ClientEvent>>>,
    stop: watch::Sender<bool>,
    accept_task: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("mt", &self.mt)
            .field("listen_addr", &self.listen_addr)
            .field("mo_links", &self.mo_links())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Opens the MO listener, then connects and logs in the MT links. Fails when the
    /// listener cannot be opened or the first MT link cannot log in; other links keep
    /// retrying per the reconnect policy.
    pub async fn connect(config: ClientConfig) -> Result<Client, LoginError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| LoginError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let listen_addr = listener.local_addr().map_err(|source| LoginError::Listen {
            addr: config.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            numbering: Numbering::new(config.node_id, config.clock.clone()),
            index: Mutex::new(ReportIndex {
                capacity: config.report_index_capacity.max(1),
                ..ReportIndex::default()
            }),
            recent: Arc::default(),
            config,
        });
        let (events_tx, events_rx) = mpsc::channel(shared.config.event_capacity.max(1));
        let (stop, stop_rx) = watch::channel(false);
        let mo_links: MoLinks = Arc::default();
        let accept_task = tokio::spawn(accept_loop(
            listener,
            shared.clone(),
            mo_links.clone(),
            events_tx,
            stop_rx,
        ));
        let cfg = &shared.config;
        let pool_config = PoolConfig::default()
            .with_connections(cfg.connections)
            .with_queue(cfg.window)
            .with_reconnect(Some(cfg.reconnect));
        let mt = match Pool::connect(Arc::new(MtHooks(shared.clone())), pool_config).await {
            Ok(p) => p,
            Err(e) => {
                stop.send_replace(true);
                let _ = accept_task.await;
                return Err(e);
            }
        };
        Ok(Client {
            mt,
            listen_addr,
            mo_links,
            events_rx: Mutex::new(Some(events_rx)),
            stop,
            accept_task: Mutex::new(Some(accept_task)),
        })
    }

    /// The settings the client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.mt.hooks().0.config
    }

    /// The address the MO listener is bound to (useful with port 0).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen_addr
    }

    /// MT links logged in right now.
    pub fn live_connections(&self) -> usize {
        self.mt.live_connections()
    }

    /// MO links the SMG holds open to the listener right now.
    pub fn mo_links(&self) -> usize {
        lock(&self.mo_links).len()
    }

    /// The event stream of reports, MO messages and user reports; `None` after the first
    /// call. The stream is bounded: while the application does not read, the MO links stop
    /// reading (nothing is dropped; the SMG re-sends what it cannot deliver).
    pub fn events(&self) -> Option<mpsc::Receiver<ClientEvent>> {
        lock(&self.events_rx).take()
    }

    /// Sends one Submit (any sequence number: the link numbers it) and waits for its final
    /// Submit_Resp. Waits while every link's window is full.
    pub async fn submit(
        &self,
        local_id: &str,
        submit: Submit,
    ) -> Result<SubmitOutcome, SubmitError> {
        if self.mt.is_closed() {
            return Err(SubmitError::Closed);
        }
        let n = submit.user_numbers.len();
        if n == 0 || n > MAX_USERS {
            return Err(SubmitError::Invalid(format!(
                "{n} recipients given, must be 1 to {MAX_USERS}"
            )));
        }
        let packet = Packet::new(SequenceNumber::default(), Pdu::Submit(submit));
        let mut frame = BytesMut::with_capacity(packet.encoded_len());
        encode(&packet, &mut frame)?;
        let (reply, rx) = oneshot::channel();
        let meta = Meta {
            local_id: Arc::from(local_id),
            reply,
        };
        self.mt
            .dispatch(frame, meta)
            .await
            .map_err(|_| SubmitError::Closed)?;
        // The link task always answers; a vanished one is treated conservatively.
        rx.await.unwrap_or(Err(SubmitError::LinkLost {
            maybe_accepted: true,
        }))
    }

    /// Stops the listener, lets the MT links drain for up to `deadline` and unbinds every
    /// link. Reports still unacknowledged stay with the SMG, which sends them again.
    pub async fn close(&self, deadline: Duration) {
        self.stop.send_replace(true);
        let task = lock(&self.accept_task).take();
        if let Some(t) = task {
            let _ = t.await;
        }
        self.mt.close(deadline).await;
        let links: Vec<Pool<MoHooks>> = lock(&self.mo_links).values().cloned().collect();
        for l in links {
            l.close(deadline).await;
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    links: MoLinks,
    events: mpsc::Sender<ClientEvent>,
    mut stop: watch::Receiver<bool>,
) {
    let mut next_id = 0u64;
    let mut served = Vec::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "MO listener accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        next_id += 1;
        served.push(tokio::spawn(serve_mo(
            next_id,
            stream,
            peer,
            shared.clone(),
            links.clone(),
            events.clone(),
            stop.clone(),
        )));
        served.retain(|t: &JoinHandle<()>| !t.is_finished());
    }
    // Closing: forwarding stops. What the SMG pushed and the application has not accepted
    // stays unanswered and comes again on the SMG's next link; `Client::close` unbinds the
    // logged-in links.
    for t in served {
        t.abort();
    }
}

async fn serve_mo(
    id: u64,
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    links: MoLinks,
    events: mpsc::Sender<ClientEvent>,
    stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let cfg = &shared.config;
    let bound = match accept_bind(
        &mut stream,
        &cfg.smg_accounts,
        LOGIN_SMG_TO_SP,
        cfg.login_timeout,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(%peer, error = %e, "SMG login on the MO listener refused");
            return;
        }
    };
    if *stop.borrow() {
        return;
    }
    tracing::info!(%peer, login = %bound.login_name, node = bound.sequence.node_id, "SMG bound the MO link");
    let connected = Connected {
        stream,
        reader: frame_reader(),
        proto: SpMo::new(shared.numbering.clone()),
    };
    let pool_config = PoolConfig::default().with_event_capacity(cfg.event_capacity.max(1));
    let pool = Pool::serve(Arc::new(MoHooks(shared.clone())), connected, pool_config);
    let Some(mut rx) = pool.events() else {
        return;
    };
    lock(&links).insert(id, pool.clone());
    let finished = pool.finished();
    tokio::pin!(finished);
    loop {
        tokio::select! {
            biased;
            ev = rx.recv() => match ev {
                // A receiver that is gone (no one wants events) leaves requests unanswered.
                Some(ev) => { let _ = events.send(ev).await; }
                None => break,
            },
            _ = &mut finished => break,
        }
    }
    while let Some(ev) = rx.try_recv() {
        let _ = events.send(ev).await;
    }
    lock(&links).remove(&id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use sgip_codec::{ReportState, Text};

    fn report(seq: SequenceNumber, state: ReportState) -> Report {
        Report {
            submit_sequence: seq,
            report_type: 0,
            user_number: Text::EMPTY,
            state,
            error_code: ResultCode::OK,
            reserve: Text::EMPTY,
        }
    }

    #[test]
    fn report_index_matches_on_all_twelve_bytes() {
        let mut idx = ReportIndex {
            capacity: 10,
            ..ReportIndex::default()
        };
        let a = SequenceNumber::new(1, 1_204_062_621, 5);
        let b = SequenceNumber::new(1, 1_204_062_622, 5);
        idx.insert(a, Arc::from("a"));
        idx.insert(b, Arc::from("b"));
        assert_eq!(
            idx.local_id(&report(b, ReportState::Delivered)).as_deref(),
            Some("b")
        );
        assert_eq!(
            idx.local_id(&report(a, ReportState::Failed)).as_deref(),
            Some("a")
        );
        // A report again (not acknowledged the first time) is named again.
        assert_eq!(
            idx.local_id(&report(a, ReportState::Failed)).as_deref(),
            Some("a")
        );
        let other_node = SequenceNumber::new(2, 1_204_062_621, 5);
        assert_eq!(
            idx.local_id(&report(other_node, ReportState::Delivered)),
            None
        );
        idx.remove(&a);
        assert_eq!(idx.local_id(&report(a, ReportState::Failed)), None);
    }

    #[test]
    fn report_index_is_bounded_oldest_first() {
        let mut idx = ReportIndex {
            capacity: 2,
            ..ReportIndex::default()
        };
        for c in 0..3 {
            idx.insert(SequenceNumber::new(0, 0, c), Arc::from(c.to_string()));
        }
        assert_eq!(idx.by_seq.len(), 2);
        assert!(!idx.by_seq.contains_key(&SequenceNumber::new(0, 0, 0)));
        assert!(idx.by_seq.contains_key(&SequenceNumber::new(0, 0, 2)));
        // Removed entries do not pile up in the eviction order.
        for c in 3..100 {
            let s = SequenceNumber::new(0, 0, c);
            idx.insert(s, Arc::from("x"));
            idx.remove(&s);
        }
        assert!(idx.order.len() <= 4, "{}", idx.order.len());
    }

    #[test]
    fn submit_errors_say_whether_the_smg_may_have_the_message() {
        assert!(SubmitError::NoResponse { tries: 3 }.maybe_accepted());
        assert!(SubmitError::LinkLost {
            maybe_accepted: true
        }
        .maybe_accepted());
        assert!(!SubmitError::LinkLost {
            maybe_accepted: false
        }
        .maybe_accepted());
        assert!(!SubmitError::FlowControl { tries: 3 }.maybe_accepted());
        assert!(!SubmitError::Closed.maybe_accepted());
    }
}
