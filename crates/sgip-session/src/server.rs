//! The gateway (SMG) role: accepts the SPs' MT links (Bind type 1), hands each Submit to a
//! [`SubmitHandler`] and answers with its decision, and pushes Deliver / Report / UserRpt to
//! the SP's listener over the MO link it opens (Bind type 2), with the core's window and
//! re-sends until the SP answers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use sgip_codec::pdu::bind::{LOGIN_SMG_TO_SP, LOGIN_SP_TO_SMG};
use sgip_codec::{encode, EncodeError, Packet, Pdu, Resp, ResultCode, SequenceNumber, Submit};
use sms_session::link::{
    Connected, Failure, Hooks, LinkCtx, LinkLoss, Pending, Pool, PoolConfig, Settled,
};
use sms_session::{Backoff, Clock, RequestOutcome, SessionConfig, SystemClock};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::JoinHandle;

use crate::login::{accept_bind, bind, Accounts, Credentials, LoginError};
use crate::proto::{Numbering, SmgMo, SmgMt};
use crate::wire::frame_reader;

/// An SP logged in on an MT link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// Link id (unique for the server's life).
    pub id: u64,
    /// The SP's LoginName.
    pub login_name: String,
    /// Its address.
    pub addr: SocketAddr,
    /// The node id of its Bind's sequence number.
    pub node_id: u32,
}

/// What to do with one Submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubmitDecision {
    /// Answer now with this Result.
    Respond(ResultCode),
    /// Answer after `delay`.
    RespondAfter {
        /// The delay.
        delay: Duration,
        /// The Result.
        result: ResultCode,
    },
    /// Never answer (the SP re-sends after T).
    Ignore,
    /// Close this link without answering.
    DropLink,
}

/// The gateway's business logic.
pub trait SubmitHandler: Send + Sync + 'static {
    /// Decides a Submit received from `peer` with sequence number `seq`.
    fn on_submit(&self, peer: &PeerInfo, seq: SequenceNumber, submit: &Submit) -> SubmitDecision;

    /// An SP logged in.
    fn on_connect(&self, _peer: &PeerInfo) {}

    /// An SP's MT link ended.
    fn on_disconnect(&self, _peer: &PeerInfo) {}
}

/// Where the gateway pushes MO messages and reports: the SP's listener.
#[derive(Debug, Clone)]
pub struct PushTarget {
    /// The SP's registered listener address.
    pub addr: SocketAddr,
    /// The login the SP gave the operator for it.
    pub credentials: Credentials,
}

/// Settings of a [`Server`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Logins accepted on MT links.
    pub accounts: Accounts,
    /// The SMG's node id (`1AAAAX`).
    pub node_id: u32,
    /// W for pushes.
    pub window: usize,
    /// T: the SP's answer timeout for a push.
    pub response_timeout: Duration,
    /// N: transmissions of a push on one link.
    pub max_tries: u32,
    /// Bind timeout (both directions).
    pub login_timeout: Duration,
    /// Reconnect policy of the push link.
    pub reconnect: Backoff,
    /// The SP's listener, if pushes are wanted.
    pub push: Option<PushTarget>,
    /// Wall clock (sequence-number time part).
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("accounts", &self.accounts)
            .field("node_id", &self.node_id)
            .field("push", &self.push)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// Defaults accepting `accounts`, node id 100001, no pushes.
    pub fn new(accounts: Accounts) -> Self {
        ServerConfig {
            accounts,
            node_id: 100_001,
            window: 16,
            response_timeout: Duration::from_secs(30),
            max_tries: 3,
            login_timeout: Duration::from_secs(10),
            reconnect: Backoff::default(),
            push: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Pushes to `addr`, binding with `credentials`.
    pub fn with_push(mut self, addr: SocketAddr, credentials: Credentials) -> Self {
        self.push = Some(PushTarget { addr, credentials });
        self
    }

    /// Sets the node id.
    pub fn with_node_id(mut self, node_id: u32) -> Self {
        self.node_id = node_id;
        self
    }

    /// Sets T and N of pushes.
    pub fn with_response_timeout(mut self, t: Duration, max_tries: u32) -> Self {
        self.response_timeout = t;
        self.max_tries = max_tries.max(1);
        self
    }

    /// Sets the push link's reconnect policy.
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

/// Why a push got no answer from the SP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// No push target is configured.
    #[error("no SP listener configured for pushes")]
    NoTarget,
    /// The SP's listener cannot be reached or refused the Bind.
    #[error("SP listener unreachable: {0}")]
    Unreachable(#[source] Arc<LoginError>),
    /// No answer after N transmissions on one link.
    #[error("no answer after {tries} transmissions")]
    NoResponse {
        /// Transmissions made.
        tries: u32,
    },
    /// The SP kept throttling.
    #[error("throttled after {tries} transmissions")]
    FlowControl {
        /// Transmissions made.
        tries: u32,
    },
    /// The link was lost before an answer.
    #[error("push link lost (maybe accepted: {maybe_accepted})")]
    LinkLost {
        /// Whether the SP may hold it.
        maybe_accepted: bool,
    },
    /// The server is shut down.
    #[error("server closed")]
    Closed,
    /// The packet cannot be encoded.
    #[error("cannot encode push: {0}")]
    Encode(#[from] EncodeError),
    /// Only Deliver, Report and UserRpt are pushed.
    #[error("{0} is not pushed to an SP")]
    NotAPush(&'static str),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct ServerShared {
    config: ServerConfig,
    numbering: Numbering,
    handler: Arc<dyn SubmitHandler>,
    links: Mutex<HashMap<u64, MtLink>>,
    push: tokio::sync::Mutex<Option<Pool<PushHooks>>>,
    next_id: AtomicU64,
    closed: watch::Sender<bool>,
}

/// A served MT link and the signal that drops it.
type MtLink = (Pool<MtHooks>, Arc<Notify>);

/// Nothing the gateway's links report goes on an event stream.
#[derive(Debug)]
enum NoEvent {}

/// One MT link's hooks.
struct MtHooks {
    shared: Arc<ServerShared>,
    peer: PeerInfo,
    drop_link: Arc<Notify>,
}

impl Hooks for MtHooks {
    type Proto = SmgMt;
    type Meta = ();
    type Event = NoEvent;
    type LoginError = LoginError;

    fn session_config(&self) -> SessionConfig {
        self.shared.config.session_config()
    }

    /// Never called: MT links are accepted and served.
    async fn login(
        &self,
        _connection: usize,
        _previous: Option<SmgMt>,
    ) -> Result<Connected<SmgMt>, LoginError> {
        Err(LoginError::Closed)
    }

    fn now_utc(&self) -> DateTime<Utc> {
        self.shared.config.clock.now_utc()
    }

    fn completed(
        &self,
        _ctx: &LinkCtx<'_, SmgMt>,
        _p: Pending<()>,
        _seq: SequenceNumber,
        _outcome: RequestOutcome<std::convert::Infallible>,
    ) -> Settled<NoEvent> {
        // The gateway sends no requests on an MT link.
        Settled::nothing()
    }

    fn failed(
        &self,
        _ctx: &LinkCtx<'_, SmgMt>,
        _p: Pending<()>,
        _seq: Option<SequenceNumber>,
        _failure: Failure,
    ) -> Settled<NoEvent> {
        Settled::nothing()
    }

    fn inbound(
        &self,
        ctx: &LinkCtx<'_, SmgMt>,
        answer_now: &mut dyn FnMut(ResultCode),
        seq: SequenceNumber,
        submit: Submit,
    ) -> Vec<NoEvent> {
        match self.shared.handler.on_submit(&self.peer, seq, &submit) {
            SubmitDecision::Respond(result) => answer_now(result),
            SubmitDecision::RespondAfter { delay, result } => {
                let acks = ctx.acks().clone();
                let target = ctx.ack_target(seq);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    acks.send(target, result);
                });
            }
            SubmitDecision::Ignore => {}
            SubmitDecision::DropLink => self.drop_link.notify_one(),
        }
        Vec::new()
    }

    fn link_down(&self, _connection: usize, loss: &LinkLoss) -> Option<NoEvent> {
        tracing::info!(sp = %self.peer.login_name, %loss, "SGIP MT link ended");
        None
    }

    fn is_inbound_event(event: &NoEvent) -> bool {
        match *event {}
    }
}

/// The push link's hooks.
struct PushHooks(Arc<ServerShared>, PushTarget);

impl Hooks for PushHooks {
    type Proto = SmgMo;
    type Meta = oneshot::Sender<Result<ResultCode, PushError>>;
    type Event = NoEvent;
    type LoginError = LoginError;

    fn session_config(&self) -> SessionConfig {
        self.0.config.session_config()
    }

    async fn login(
        &self,
        _connection: usize,
        _previous: Option<SmgMo>,
    ) -> Result<Connected<SmgMo>, LoginError> {
        let cfg = &self.0.config;
        let mut stream = tokio::time::timeout(cfg.login_timeout, TcpStream::connect(self.1.addr))
            .await
            .map_err(|_| LoginError::Timeout(cfg.login_timeout))?
            .map_err(LoginError::Io)?;
        let _ = stream.set_nodelay(true);
        let seq = self.0.numbering.next();
        bind(
            &mut stream,
            LOGIN_SMG_TO_SP,
            &self.1.credentials,
            seq,
            cfg.login_timeout,
        )
        .await?;
        Ok(Connected {
            stream,
            reader: frame_reader(),
            proto: SmgMo::new(self.0.numbering.clone()),
        })
    }

    fn now_utc(&self) -> DateTime<Utc> {
        self.0.config.clock.now_utc()
    }

    fn completed(
        &self,
        _ctx: &LinkCtx<'_, SmgMo>,
        p: Pending<Self::Meta>,
        _seq: SequenceNumber,
        outcome: RequestOutcome<Resp>,
    ) -> Settled<NoEvent> {
        let tries = |t: u32| t + p.tries_before;
        let result = match outcome {
            RequestOutcome::Response { resp, .. } => Ok(resp.result),
            RequestOutcome::FlowControl { tries: t } => {
                Err(PushError::FlowControl { tries: tries(t) })
            }
            RequestOutcome::NoResponse { tries: t } => {
                Err(PushError::NoResponse { tries: tries(t) })
            }
            RequestOutcome::Abandoned { maybe_accepted, .. } => {
                Err(PushError::LinkLost { maybe_accepted })
            }
            _ => Err(PushError::LinkLost {
                maybe_accepted: true,
            }),
        };
        let reply = p.meta;
        Settled::new(None, move || {
            let _ = reply.send(result);
        })
    }

    fn failed(
        &self,
        _ctx: &LinkCtx<'_, SmgMo>,
        p: Pending<Self::Meta>,
        _seq: Option<SequenceNumber>,
        failure: Failure,
    ) -> Settled<NoEvent> {
        let err = match failure {
            Failure::LinkLost { maybe_accepted } => PushError::LinkLost { maybe_accepted },
            _ => PushError::Closed,
        };
        let reply = p.meta;
        Settled::new(None, move || {
            let _ = reply.send(Err(err));
        })
    }

    fn inbound(
        &self,
        _ctx: &LinkCtx<'_, SmgMo>,
        _answer_now: &mut dyn FnMut(ResultCode),
        _seq: SequenceNumber,
        inbound: std::convert::Infallible,
    ) -> Vec<NoEvent> {
        match inbound {}
    }

    fn link_up(&self, _connection: usize) -> Option<NoEvent> {
        tracing::info!(sp = %self.1.addr, "SGIP push (MO) link up");
        None
    }

    fn link_down(&self, _connection: usize, loss: &LinkLoss) -> Option<NoEvent> {
        tracing::info!(sp = %self.1.addr, %loss, "SGIP push (MO) link down");
        None
    }

    fn is_inbound_event(event: &NoEvent) -> bool {
        match *event {}
    }
}

/// A cheap handle on a running [`Server`]: pushes and link control.
#[derive(Clone)]
pub struct ServerHandle(Arc<ServerShared>);

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("links", &self.links())
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// SPs logged in on MT links right now.
    pub fn links(&self) -> usize {
        lock(&self.0.links).len()
    }

    /// Closes every MT link (each SP reconnects).
    pub fn drop_links(&self) {
        for (_, drop_link) in lock(&self.0.links).values() {
            drop_link.notify_one();
        }
    }

    /// Pushes a Deliver, Report or UserRpt to the SP's listener (opening the MO link when
    /// needed) and waits for the SP's answer. Re-sent after T, and after a reconnect when the
    /// link is lost, until answered or N transmissions on one link went unanswered.
    pub async fn push(&self, pdu: Pdu) -> Result<ResultCode, PushError> {
        if !matches!(pdu, Pdu::Deliver(_) | Pdu::Report(_) | Pdu::UserRpt(_)) {
            return Err(PushError::NotAPush(pdu.name()));
        }
        if *self.0.closed.borrow() {
            return Err(PushError::Closed);
        }
        let mut frame = BytesMut::new();
        encode(&Packet::new(SequenceNumber::default(), pdu), &mut frame)?;
        let pool = self.push_pool().await?;
        let (reply, rx) = oneshot::channel();
        if pool.dispatch(frame, reply).await.is_err() {
            // The push link gave up (its reconnects were refused for good): forget it, so
            // that the next push opens a new one.
            self.forget_push_pool(&pool).await;
            return Err(PushError::Closed);
        }
        let result = rx.await.unwrap_or(Err(PushError::LinkLost {
            maybe_accepted: true,
        }));
        let gone = matches!(result, Err(PushError::Closed | PushError::LinkLost { .. }))
            && pool.live_connections() == 0;
        if gone && !*self.0.closed.borrow() {
            self.forget_push_pool(&pool).await;
        }
        result
    }

    /// Closes `pool` and clears the slot if it still holds it: the next push opens a new
    /// link instead of queueing behind one that gave up (or keeps failing to log in).
    async fn forget_push_pool(&self, pool: &Pool<PushHooks>) {
        {
            let mut slot = self.0.push.lock().await;
            if slot
                .as_ref()
                .is_some_and(|p| Arc::ptr_eq(p.hooks(), pool.hooks()))
            {
                *slot = None;
            }
        }
        pool.close(Duration::ZERO).await;
    }

    async fn push_pool(&self) -> Result<Pool<PushHooks>, PushError> {
        let target = self.0.config.push.clone().ok_or(PushError::NoTarget)?;
        let mut slot = self.0.push.lock().await;
        if let Some(p) = slot.as_ref().filter(|p| !p.is_closed()) {
            return Ok(p.clone());
        }
        let cfg = &self.0.config;
        let pool_config = PoolConfig::default()
            .with_queue(cfg.window)
            .with_reconnect(Some(cfg.reconnect))
            // At least once: a push possibly accepted on a lost link is sent again.
            .with_resend_unanswered_on_reconnect(true);
        let pool = Pool::connect(Arc::new(PushHooks(self.0.clone(), target)), pool_config)
            .await
            .map_err(|e| PushError::Unreachable(Arc::new(e)))?;
        *slot = Some(pool.clone());
        Ok(pool)
    }
}

/// The SGIP gateway role on a bound listener.
pub struct Server {
    handle: ServerHandle,
    local_addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `addr` and accepts MT links, deciding Submits with `handler`.
    pub async fn bind(
        addr: SocketAddr,
        config: ServerConfig,
        handler: Arc<dyn SubmitHandler>,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(ServerShared {
            numbering: Numbering::new(config.node_id, config.clock.clone()),
            config,
            handler,
            links: Mutex::new(HashMap::new()),
            push: tokio::sync::Mutex::new(None),
            next_id: AtomicU64::new(1),
            closed: watch::channel(false).0,
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Server {
            handle: ServerHandle(shared),
            local_addr,
            accept,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle for pushes and link control.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Stops accepting, unbinds every MT link and the push link (waiting up to T for the
    /// answers of pushes in flight).
    pub async fn shutdown(self) {
        let shared = &self.handle.0;
        shared.closed.send_replace(true);
        self.accept.abort();
        let _ = self.accept.await;
        let links: Vec<Pool<MtHooks>> = lock(&shared.links)
            .values()
            .map(|(p, _)| p.clone())
            .collect();
        for l in links {
            l.close(Duration::ZERO).await;
        }
        let push = shared.push.lock().await.take();
        if let Some(p) = push {
            p.close(shared.config.response_timeout).await;
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<ServerShared>) {
    loop {
        match listener.accept().await {
            Ok((stream, addr)) => {
                tokio::spawn(serve_mt(stream, addr, shared.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "SGIP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn serve_mt(mut stream: TcpStream, addr: SocketAddr, shared: Arc<ServerShared>) {
    let _ = stream.set_nodelay(true);
    let cfg = &shared.config;
    let bound = match accept_bind(
        &mut stream,
        &cfg.accounts,
        LOGIN_SP_TO_SMG,
        cfg.login_timeout,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(%addr, error = %e, "SGIP login refused");
            return;
        }
    };
    let peer = PeerInfo {
        id: shared.next_id.fetch_add(1, Ordering::Relaxed),
        login_name: bound.login_name,
        addr,
        node_id: bound.sequence.node_id,
    };
    let drop_link = Arc::new(Notify::new());
    let hooks = MtHooks {
        shared: shared.clone(),
        peer: peer.clone(),
        drop_link: drop_link.clone(),
    };
    let connected = Connected {
        stream,
        reader: frame_reader(),
        proto: SmgMt::new(shared.numbering.clone()),
    };
    let pool = Pool::serve(Arc::new(hooks), connected, PoolConfig::default());
    lock(&shared.links).insert(peer.id, (pool.clone(), drop_link.clone()));
    shared.handler.on_connect(&peer);
    let finished = pool.finished();
    tokio::pin!(finished);
    tokio::select! {
        _ = &mut finished => {}
        _ = drop_link.notified() => {
            pool.close(Duration::ZERO).await;
        }
    }
    lock(&shared.links).remove(&peer.id);
    shared.handler.on_disconnect(&peer);
}
