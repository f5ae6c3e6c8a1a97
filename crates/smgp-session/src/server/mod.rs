//! [`Server`]: the gateway (SMGW) role of SMGP on the session core's async driver — accept,
//! the Login check against [`Accounts`], a [`Handler`] that decides each Submit, and pushes
//! of status reports and MO messages ([`ServerHandle::deliver`]) with the core's window and
//! re-sends until the SP answers them. A push whose link is lost before it was answered
//! goes back to the account's outbox and is pushed again on the next link (at least once).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use smgp_codec::{Deliver, MsgId, Query, QueryResp, Status, Submit, Version};
use sms_session::link::{Connected, Pool, PoolConfig};
use sms_session::{Clock, SessionConfig, SystemClock};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::{JoinHandle, JoinSet};

use crate::login::{accept_login, Accounts, GatewayLoginConfig, LoginMode};
use crate::proto::SmgpGateway;

mod hooks;

use hooks::GatewayHooks;

/// One logged-in SP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnInfo {
    /// Unique per server.
    pub id: u64,
    /// The account (ClientID).
    pub client_id: Arc<str>,
    /// The SP's address.
    pub peer: SocketAddr,
    /// What the link carries.
    pub mode: LoginMode,
    /// The account's layout.
    pub version: Version,
}

impl ConnInfo {
    /// A connection's description (for handlers tested without a socket).
    pub fn new(
        id: u64,
        client_id: impl Into<Arc<str>>,
        peer: SocketAddr,
        mode: LoginMode,
        version: Version,
    ) -> Self {
        ConnInfo {
            id,
            client_id: client_id.into(),
            peer,
            mode,
            version,
        }
    }
}

/// How to answer one Submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubmitDecision {
    /// Submit_Resp now with this MsgID and Status.
    Respond {
        /// MsgID given to the message (zero when refused).
        msg_id: MsgId,
        /// Status: 0 accepted; 1 asks the SP to send it again later.
        status: Status,
    },
    /// Submit_Resp after `delay` (a slow gateway).
    RespondAfter {
        /// The delay.
        delay: Duration,
        /// MsgID.
        msg_id: MsgId,
        /// Status.
        status: Status,
    },
    /// No answer (the SP sends it again after T).
    Ignore,
    /// No answer, and the link is closed (Exit at once).
    Close,
}

/// The gateway's business logic, called on the link's task (must not block).
pub trait Handler: Send + Sync + 'static {
    /// Decides a Submit (a copy the SP sent again is asked again).
    fn on_submit(&self, conn: &ConnInfo, submit: &Submit) -> SubmitDecision;

    /// Answers a Query; by default all counters zero.
    fn on_query(&self, _conn: &ConnInfo, query: &Query) -> QueryResp {
        QueryResp {
            query_time: query.query_time,
            query_type: query.query_type,
            query_code: query.query_code,
            ..QueryResp::default()
        }
    }

    /// The SP answered a pushed Deliver with `status` (0: it holds it).
    fn on_push_answered(&self, _conn: &ConnInfo, _deliver: &Deliver, _status: Status) {}

    /// A connection logged in.
    fn on_connect(&self, _conn: &ConnInfo) {}

    /// A connection ended.
    fn on_disconnect(&self, _conn: &ConnInfo, _reason: &str) {}
}

/// Settings of a [`Server`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Login timeout, announced version, authenticator forms.
    pub login: GatewayLoginConfig,
    /// Window, T, N, heartbeat of each link (for the pushes).
    pub session: SessionConfig,
    /// Pushes queued per link before the pusher waits.
    pub queue: usize,
    /// Deliver pushes waiting per account before [`ServerHandle::deliver`] refuses more.
    pub outbox_capacity: usize,
    /// How long [`Server::shutdown`] lets links drain before Exit.
    pub drain: Duration,
    /// The wall clock; injectable for tests.
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("login", &self.login)
            .field("session", &self.session)
            .field("queue", &self.queue)
            .field("outbox_capacity", &self.outbox_capacity)
            .field("drain", &self.drain)
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            login: GatewayLoginConfig::default(),
            session: SessionConfig::default(),
            queue: 16,
            outbox_capacity: 100_000,
            drain: Duration::from_secs(5),
            clock: Arc::new(SystemClock),
        }
    }
}

impl ServerConfig {
    /// Sets the session settings.
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }

    /// Sets the login settings.
    pub fn with_login(mut self, login: GatewayLoginConfig) -> Self {
        self.login = login;
        self
    }

    /// Sets the drain time of [`Server::shutdown`].
    pub fn with_drain(mut self, drain: Duration) -> Self {
        self.drain = drain;
        self
    }

    /// Sets the per-account outbox capacity.
    pub fn with_outbox_capacity(mut self, n: usize) -> Self {
        self.outbox_capacity = n.max(1);
        self
    }

    /// Sets the wall clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// Why [`ServerHandle::deliver`] refused a push.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliverError {
    /// No such account.
    #[error("unknown account '{0}'")]
    UnknownAccount(String),
    /// The account's outbox is full (its SP does not take its pushes).
    #[error("outbox of '{client_id}' full ({capacity} pushes waiting)")]
    QueueFull {
        /// The account.
        client_id: String,
        /// The capacity.
        capacity: usize,
    },
    /// The server is shutting down.
    #[error("server shutting down")]
    ShuttingDown,
}

/// Counters of a [`Server`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Logins accepted.
    pub logins: u64,
    /// Logins refused.
    pub refused_logins: u64,
    /// Submits received (copies included).
    pub submits: u64,
    /// Pushes the SP answered.
    pub pushes_answered: u64,
    /// Pushes put back in the outbox (link lost, unanswered after N, SP busy).
    pub pushes_requeued: u64,
}

#[derive(Default)]
struct Counters {
    logins: AtomicU64,
    refused_logins: AtomicU64,
    submits: AtomicU64,
    pushes_answered: AtomicU64,
    pushes_requeued: AtomicU64,
}

/// The Deliver pushes waiting for one account's receiving links.
#[derive(Default)]
struct Outbox {
    queue: Mutex<VecDeque<Deliver>>,
    ready: Notify,
}

struct Conn {
    info: Arc<ConnInfo>,
    close: Arc<Notify>,
}

pub(crate) struct ServerShared {
    config: ServerConfig,
    accounts: Accounts,
    handler: Arc<dyn Handler>,
    outboxes: Mutex<HashMap<Arc<str>, Arc<Outbox>>>,
    conns: Mutex<HashMap<u64, Conn>>,
    next_id: AtomicU64,
    counters: Counters,
    shutdown: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking task must not wedge the gateway.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ServerShared {
    fn outbox(&self, client_id: &str) -> Arc<Outbox> {
        let mut boxes = lock(&self.outboxes);
        if let Some(b) = boxes.get(client_id) {
            return b.clone();
        }
        let b = Arc::new(Outbox::default());
        boxes.insert(Arc::from(client_id), b.clone());
        b
    }

    /// Puts a push whose link could not finish it back at the front of its outbox.
    pub(crate) fn requeue(&self, client_id: &str, deliver: Deliver) {
        self.counters
            .pushes_requeued
            .fetch_add(1, Ordering::Relaxed);
        let outbox = self.outbox(client_id);
        lock(&outbox.queue).push_front(deliver);
        outbox.ready.notify_one();
    }
}

/// A cloneable handle on a running [`Server`].
#[derive(Clone)]
pub struct ServerHandle(Arc<ServerShared>);

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("connections", &self.connections(None))
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// Queues a Deliver (status report or MO message) for account `client_id`; it is pushed
    /// on one of its receiving links (now, or when one logs in) until the SP answers it.
    pub fn deliver(&self, client_id: &str, deliver: Deliver) -> Result<(), DeliverError> {
        if *self.0.shutdown.borrow() {
            return Err(DeliverError::ShuttingDown);
        }
        if self.0.accounts.get(client_id).is_none() {
            return Err(DeliverError::UnknownAccount(client_id.to_owned()));
        }
        let outbox = self.0.outbox(client_id);
        {
            let mut q = lock(&outbox.queue);
            let capacity = self.0.config.outbox_capacity;
            if q.len() >= capacity {
                return Err(DeliverError::QueueFull {
                    client_id: client_id.to_owned(),
                    capacity,
                });
            }
            q.push_back(deliver);
        }
        outbox.ready.notify_one();
        Ok(())
    }

    /// Pushes waiting for `client_id` (not yet handed to a link).
    pub fn pending(&self, client_id: &str) -> usize {
        lock(&self.0.outbox(client_id).queue).len()
    }

    /// Logged-in connections, of one account or all.
    pub fn connections(&self, client_id: Option<&str>) -> usize {
        lock(&self.0.conns)
            .values()
            .filter(|c| client_id.map_or(true, |id| &*c.info.client_id == id))
            .count()
    }

    /// The logged-in connections, of one account or all.
    pub fn connection_infos(&self, client_id: Option<&str>) -> Vec<ConnInfo> {
        lock(&self.0.conns)
            .values()
            .filter(|c| client_id.map_or(true, |id| &*c.info.client_id == id))
            .map(|c| ConnInfo::clone(&c.info))
            .collect()
    }

    /// Closes the connections of one account (or all) at once with Exit; their unanswered
    /// pushes go back to the outbox.
    pub fn drop_connections(&self, client_id: Option<&str>) {
        for c in lock(&self.0.conns).values() {
            if client_id.map_or(true, |id| &*c.info.client_id == id) {
                c.close.notify_one();
            }
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> ServerStats {
        let c = &self.0.counters;
        ServerStats {
            logins: c.logins.load(Ordering::Relaxed),
            refused_logins: c.refused_logins.load(Ordering::Relaxed),
            submits: c.submits.load(Ordering::Relaxed),
            pushes_answered: c.pushes_answered.load(Ordering::Relaxed),
            pushes_requeued: c.pushes_requeued.load(Ordering::Relaxed),
        }
    }
}

/// A listening SMGP gateway.
pub struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    accept: Option<JoinHandle<()>>,
}

impl Drop for Server {
    /// A server dropped without [`Server::shutdown`] still stops accepting and closes its
    /// links (without waiting for them).
    fn drop(&mut self) {
        self.handle.0.shutdown.send_replace(true);
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `addr` and serves SPs of `accounts` with `handler`.
    pub async fn bind(
        addr: SocketAddr,
        config: ServerConfig,
        accounts: Accounts,
        handler: Arc<dyn Handler>,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(ServerShared {
            config,
            accounts,
            handler,
            outboxes: Mutex::new(HashMap::new()),
            conns: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            counters: Counters::default(),
            shutdown: watch::channel(false).0,
        });
        let accept = tokio::spawn(accept_loop(shared.clone(), listener));
        Ok(Server {
            addr,
            handle: ServerHandle(shared),
            accept: Some(accept),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle (pushes, connections, counters).
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Stops accepting, lets every link drain for the configured time, closes it with Exit
    /// and waits for the connections to end. Pushes still waiting stay unsent.
    pub async fn shutdown(mut self) {
        self.handle.0.shutdown.send_replace(true);
        if let Some(accept) = self.accept.take() {
            let _ = accept.await;
        }
    }
}

async fn accept_loop(shared: Arc<ServerShared>, listener: TcpListener) {
    let mut conns = JoinSet::new();
    let mut stop = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    conns.spawn(serve_conn(shared.clone(), stream, peer));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = signalled(&mut stop) => break,
        }
    }
    drop(listener);
    // The connections see the same signal and drain.
    while conns.join_next().await.is_some() {}
}

async fn serve_conn(shared: Arc<ServerShared>, mut stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let mut stop = shared.shutdown.subscribe();
    let login = tokio::select! {
        r = accept_login(&mut stream, &shared.accounts, &shared.config.login) => r,
        // Shutting down: a connection still logging in is simply closed.
        _ = signalled(&mut stop) => return,
    };
    let accepted = match login {
        Ok(a) => a,
        Err(refusal) => {
            shared
                .counters
                .refused_logins
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(%peer, %refusal, "login refused");
            return;
        }
    };
    shared.counters.logins.fetch_add(1, Ordering::Relaxed);
    let info = Arc::new(ConnInfo {
        id: shared.next_id.fetch_add(1, Ordering::Relaxed),
        client_id: Arc::from(accepted.account.client_id.as_str()),
        peer,
        mode: accepted.mode,
        version: accepted.account.version,
    });
    let hooks = Arc::new(GatewayHooks::new(shared.clone(), info.clone()));
    let connected = Connected {
        stream,
        reader: accepted.reader,
        proto: SmgpGateway::new(info.version, 1),
    };
    let pool = Pool::serve(
        hooks.clone(),
        connected,
        PoolConfig::default().with_queue(shared.config.queue),
    );
    let close = Arc::new(Notify::new());
    lock(&shared.conns).insert(
        info.id,
        Conn {
            info: info.clone(),
            close: close.clone(),
        },
    );
    shared.handler.on_connect(&info);
    let (ended_tx, ended) = watch::channel(false);
    let pusher = info
        .mode
        .receives()
        .then(|| tokio::spawn(push_loop(shared.clone(), info.clone(), pool.clone(), ended)));
    // Runs until the link ends; closes it on request (drop) or at shutdown (drain first).
    // `finished` is polled first, so it holds the link task and `close` only signals it.
    let finished = pool.finished();
    tokio::pin!(finished);
    let mut closing = false;
    loop {
        let deadline = tokio::select! {
            biased;
            _ = &mut finished => break,
            _ = close.notified(), if !closing => Duration::ZERO,
            _ = signalled(&mut stop), if !closing => shared.config.drain,
        };
        closing = true;
        pool.close(deadline).await;
    }
    let _ = ended_tx.send(true);
    if let Some(p) = pusher {
        let _ = p.await;
    }
    lock(&shared.conns).remove(&info.id);
    shared.handler.on_disconnect(&info, &hooks.down_reason());
}

/// Moves this account's waiting pushes onto the link while it lives.
async fn push_loop(
    shared: Arc<ServerShared>,
    info: Arc<ConnInfo>,
    pool: Pool<GatewayHooks>,
    mut ended: watch::Receiver<bool>,
) {
    let outbox = shared.outbox(&info.client_id);
    let proto = SmgpGateway::new(info.version, 0);
    loop {
        let ready = outbox.ready.notified();
        tokio::pin!(ready);
        ready.as_mut().enable();
        let next = lock(&outbox.queue).pop_front();
        let Some(deliver) = next else {
            tokio::select! {
                _ = &mut ready => continue,
                _ = signalled(&mut ended) => return,
            }
        };
        // Another link of the account may take the rest meanwhile.
        if !lock(&outbox.queue).is_empty() {
            outbox.ready.notify_one();
        }
        let frame = match proto.encode_deliver(deliver.clone()) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(client_id = %info.client_id, error = %e, "cannot encode a Deliver; dropped");
                continue;
            }
        };
        // The copy is kept: a refused dispatch hands nothing back.
        if pool.dispatch(frame, deliver.clone()).await.is_err() {
            lock(&outbox.queue).push_front(deliver);
            outbox.ready.notify_one();
            return;
        }
    }
}

/// Resolves once the flag is set (or its sender is gone).
async fn signalled(rx: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across an await.
    let _ = rx.wait_for(|s| *s).await.map(|_| ());
}
