//! The ISMG (gateway) role: accepts SP logins, answers SUBMIT through a [`GatewayHandler`],
//! pushes DELIVERs with T/N tracking. The simulator is built on this.

mod conn;
mod stats;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Datelike, Timelike, Utc};
use cmpp_codec::{
    Cancel, CancelResp, Deliver, MsgId, Query, QueryResp, Submit, Version, DEFAULT_MAX_FRAME_LEN,
};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;

use crate::clock::{Clock, SystemClock};
use crate::proto::login::{LoginGuard, LoginPolicy};
use crate::proto::submit_check::SubmitChecks;
use crate::proto::TokenBucket;

pub use stats::ServerStats;
use stats::StatsCounters;

/// An SP account known to the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// SP_Id (Source_Addr), 6 characters.
    pub sp_id: String,
    /// Shared secret.
    pub secret: Vec<u8>,
    /// Most simultaneous connections (CONNECT_RESP status 5 above it).
    pub max_connections: usize,
    /// W: most unanswered SUBMITs per connection; more are answered with result 8.
    pub window: usize,
    /// Submits per second for the whole account, 0 = unlimited; above it result 8.
    pub rate_limit: u32,
}

impl Account {
    /// An account with 5 connections, window 16 and no rate limit.
    pub fn new(sp_id: impl Into<String>, secret: impl Into<Vec<u8>>) -> Self {
        Account {
            sp_id: sp_id.into(),
            secret: secret.into(),
            max_connections: 5,
            window: 16,
            rate_limit: 0,
        }
    }
}

/// Where the server looks up accounts at login.
pub trait AccountStore: Send + Sync + 'static {
    /// The account for an SP_Id.
    fn lookup(&self, sp_id: &str) -> Option<Account>;

    /// Whether the account exists (checked for every DELIVER; override it when
    /// [`lookup`](Self::lookup) is costly).
    fn contains(&self, sp_id: &str) -> bool {
        self.lookup(sp_id).is_some()
    }
}

/// A fixed set of accounts held in memory.
#[derive(Debug, Default)]
pub struct InMemoryAccounts {
    accounts: Mutex<HashMap<String, Account>>,
}

impl InMemoryAccounts {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an account.
    pub fn insert(&self, account: Account) {
        lock(&self.accounts).insert(account.sp_id.clone(), account);
    }
}

impl AccountStore for InMemoryAccounts {
    fn lookup(&self, sp_id: &str) -> Option<Account> {
        lock(&self.accounts).get(sp_id).cloned()
    }

    fn contains(&self, sp_id: &str) -> bool {
        lock(&self.accounts).contains_key(sp_id)
    }
}

/// Gateway settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Highest version the gateway speaks (0x20/0x21 are both 2.0). A client above it gets
    /// status 4; a 2.0 client on a 3.0 gateway is served in 2.0.
    pub version: Version,
    /// T: response timeout for DELIVER and ACTIVE_TEST.
    pub response_timeout: Duration,
    /// N: total transmissions of a DELIVER / ACTIVE_TEST.
    pub max_tries: u32,
    /// C: ACTIVE_TEST after this long without receiving anything.
    pub heartbeat: Duration,
    /// Unauthenticated connections are closed after this long.
    pub login_timeout: Duration,
    /// Connections silent this long are closed.
    pub idle_timeout: Duration,
    /// Largest accepted Total_Length.
    pub max_frame_len: u32,
    /// Gateway code in generated Msg_Ids (see [`ServerHandle::next_msg_id`]).
    pub gateway_code: u32,
    /// Most unacknowledged DELIVERs per connection.
    pub deliver_window: usize,
    /// Most DELIVERs queued per account (waiting for a connection or window room); above
    /// it [`ServerHandle::deliver`] refuses with [`DeliverError::QueueFull`]. The default
    /// (100,000) keeps a full queue of status reports near 20 MB (201 bytes each, measured
    /// by the ignored test `memory_of_a_full_default_queue`).
    pub deliver_queue_capacity: usize,
    /// A peer that takes no byte of what is written for this long is dropped; its
    /// unacknowledged DELIVERs go back to the account's queue.
    pub write_deadline: Duration,
    /// On shutdown, links get this long to answer TERMINATE before they are closed.
    pub drain_timeout: Duration,
    /// How strictly SUBMITs are judged (the simulator can relax it for quirk tests).
    pub submit_checks: SubmitChecks,
    /// Timestamp window, replay cache and throttling of failed logins.
    pub login: LoginPolicy,
    /// Listen backlog.
    pub backlog: u32,
    /// Most connections that have not logged in yet, in total.
    pub max_unauthenticated: usize,
    /// Most connections that have not logged in yet, per source address.
    pub max_unauthenticated_per_addr: usize,
    /// After a failed accept (out of descriptors), accepting pauses this long; failures
    /// are logged once per [`Self::accept_error_log_interval`].
    pub accept_pause: Duration,
    /// Interval between log lines about failed accepts.
    pub accept_error_log_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            version: Version::V30,
            response_timeout: Duration::from_secs(60),
            max_tries: 3,
            heartbeat: Duration::from_secs(180),
            login_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(600),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            gateway_code: 1,
            deliver_window: 16,
            deliver_queue_capacity: 100_000,
            write_deadline: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(5),
            submit_checks: SubmitChecks::default(),
            login: LoginPolicy::default(),
            backlog: 1024,
            max_unauthenticated: 1024,
            max_unauthenticated_per_addr: 64,
            accept_pause: Duration::from_millis(100),
            accept_error_log_interval: Duration::from_secs(10),
        }
    }
}

/// A logged-in SP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// Unique id (per server).
    pub id: u64,
    /// The account.
    pub sp_id: String,
    /// Remote address.
    pub peer: SocketAddr,
    /// Wire version of the session.
    pub version: Version,
}

/// What to do with a SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubmitDecision {
    /// Answer now.
    Respond {
        /// Msg_Id to return.
        msg_id: MsgId,
        /// Result code (0 ok, 8 flow control, …).
        result: u32,
    },
    /// Answer after a delay (the request counts against the window meanwhile).
    RespondAfter {
        /// How long to wait.
        delay: Duration,
        /// Msg_Id to return.
        msg_id: MsgId,
        /// Result code.
        result: u32,
    },
    /// Never answer.
    Ignore,
    /// Close the TCP connection without answering.
    DropLink,
}

/// The gateway's business logic.
pub trait GatewayHandler: Send + Sync + 'static {
    /// A SUBMIT arrived (after window and rate checks passed).
    fn on_submit(&self, conn: &ConnectionInfo, sequence_id: u32, submit: &Submit)
        -> SubmitDecision;
    /// A QUERY arrived; default: all counters zero.
    fn on_query(&self, _conn: &ConnectionInfo, query: &Query) -> QueryResp {
        QueryResp {
            time: query.time,
            query_type: query.query_type,
            query_code: query.query_code,
            mt_tl_msg: 0,
            mt_tl_usr: 0,
            mt_scs: 0,
            mt_wt: 0,
            mt_fl: 0,
            mo_scs: 0,
            mo_wt: 0,
            mo_fl: 0,
        }
    }
    /// A CANCEL arrived; default: failure.
    fn on_cancel(&self, _conn: &ConnectionInfo, _cancel: &Cancel) -> CancelResp {
        CancelResp { success_id: 1 }
    }
    /// A login succeeded.
    fn on_connect(&self, _conn: &ConnectionInfo) {}
    /// A logged-in connection ended.
    fn on_disconnect(&self, _conn: &ConnectionInfo, _reason: &str) {}
    /// The SP acknowledged a DELIVER.
    fn on_deliver_resp(&self, _conn: &ConnectionInfo, _msg_id: MsgId, _result: u32) {}
}

/// Why [`ServerHandle::deliver`] refused a DELIVER.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliverError {
    /// No such account.
    #[error("unknown SP account '{0}'")]
    UnknownAccount(String),
    /// The account's queue is at capacity.
    #[error("deliver queue for '{sp_id}' is full ({capacity} messages)")]
    QueueFull {
        /// The account.
        sp_id: String,
        /// Queue capacity.
        capacity: usize,
    },
    /// The server is shutting down.
    #[error("server is shutting down")]
    ShuttingDown,
}

#[derive(Debug)]
struct ConnEntry {
    id: u64,
    wake: Arc<Notify>,
    kill: Arc<Notify>,
}

/// A DELIVER waiting in an account's queue.
struct QueuedDeliver {
    deliver: Deliver,
    /// Links it was already written on without a DELIVER_RESP (0 for a fresh one).
    links: u32,
}

struct AccountState {
    conns: Vec<ConnEntry>,
    queue: VecDeque<QueuedDeliver>,
    bucket: Option<TokenBucket>,
}

struct Shared {
    config: ServerConfig,
    accounts: Arc<dyn AccountStore>,
    handler: Arc<dyn GatewayHandler>,
    state: Mutex<HashMap<String, AccountState>>,
    next_conn_id: AtomicU64,
    msg_seq: AtomicU32,
    stats: StatsCounters,
    shutdown: watch::Sender<bool>,
    clock: Arc<dyn Clock>,
    login_guard: Mutex<LoginGuard>,
    /// Connections not logged in yet, per source address.
    unauthenticated: Mutex<HashMap<IpAddr, usize>>,
}

/// Holds a slot among the connections that have not logged in yet.
struct PreLoginSlot {
    shared: Arc<Shared>,
    addr: IpAddr,
}

impl PreLoginSlot {
    fn take(shared: &Arc<Shared>, addr: IpAddr) -> Option<PreLoginSlot> {
        let mut map = lock(&shared.unauthenticated);
        let total: usize = map.values().sum();
        let mine = map.get(&addr).copied().unwrap_or(0);
        if total >= shared.config.max_unauthenticated
            || mine >= shared.config.max_unauthenticated_per_addr
        {
            return None;
        }
        *map.entry(addr).or_insert(0) += 1;
        Some(PreLoginSlot {
            shared: shared.clone(),
            addr,
        })
    }
}

impl Drop for PreLoginSlot {
    fn drop(&mut self) {
        let mut map = lock(&self.shared.unauthenticated);
        if let Some(n) = map.get_mut(&self.addr) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.addr);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the whole gateway down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn account_state<'a>(
        map: &'a mut HashMap<String, AccountState>,
        sp_id: &str,
    ) -> &'a mut AccountState {
        // No key allocation on the hot path (every DELIVER, every rate-limited SUBMIT).
        if !map.contains_key(sp_id) {
            map.insert(
                sp_id.to_owned(),
                AccountState {
                    conns: Vec::new(),
                    queue: VecDeque::new(),
                    bucket: None,
                },
            );
        }
        map.get_mut(sp_id).expect("inserted above")
    }

    fn wake_all(st: &AccountState) {
        for c in &st.conns {
            c.wake.notify_one();
        }
    }
}

/// A running gateway.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cmpp_codec::{MsgFmt, MsgId, Submit};
/// use cmpp_session::{
///     Account, Client, ClientConfig, ConnectionInfo, GatewayHandler, InMemoryAccounts, Server,
///     ServerConfig, SubmitDecision, SubmitRequest,
/// };
///
/// /// A gateway that accepts every SUBMIT.
/// struct AcceptAll;
///
/// impl GatewayHandler for AcceptAll {
///     fn on_submit(&self, _: &ConnectionInfo, seq: u32, _: &Submit) -> SubmitDecision {
///         let msg_id = MsgId::from_parts(12, 4, 9, 0, 0, 1, seq as u16).expect("valid parts");
///         SubmitDecision::Respond { msg_id, result: 0 }
///     }
/// }
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let accounts = InMemoryAccounts::new();
/// accounts.insert(Account::new("900001", b"secret".to_vec()));
/// let server = Server::bind(
///     "127.0.0.1:0".parse()?,
///     ServerConfig::default(),
///     Arc::new(accounts),
///     Arc::new(AcceptAll),
/// )
/// .await?;
///
/// // Any CMPP SP client can log in; here, this crate's own.
/// let config = ClientConfig::builder(server.local_addr(), "900001", b"secret".to_vec()).build();
/// let client = Client::connect(config).await?;
/// let request = SubmitRequest::message("m-1", &["13800138000"], "hello", MsgFmt::Ascii)?;
/// assert!(client.submit(request).await?.result.is_ok());
/// assert_eq!(server.handle().stats().submits, 1);
///
/// client.close(Duration::from_secs(1)).await;
/// server.shutdown().await; // TERMINATE to every link, bounded by the drain deadline
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Server {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
    done_rx: mpsc::Receiver<()>,
}

/// Handle to a running gateway: push DELIVERs, inject faults, read statistics.
#[derive(Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl Server {
    /// Binds and starts accepting connections.
    pub async fn bind(
        addr: SocketAddr,
        config: ServerConfig,
        accounts: Arc<dyn AccountStore>,
        handler: Arc<dyn GatewayHandler>,
    ) -> io::Result<Server> {
        Self::bind_with_clock(addr, config, accounts, handler, Arc::new(SystemClock)).await
    }

    /// As [`bind`](Self::bind) with an injected wall clock (for Msg_Ids).
    pub async fn bind_with_clock(
        addr: SocketAddr,
        config: ServerConfig,
        accounts: Arc<dyn AccountStore>,
        handler: Arc<dyn GatewayHandler>,
        clock: Arc<dyn Clock>,
    ) -> io::Result<Server> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(config.backlog.max(1))?;
        let local_addr = listener.local_addr()?;
        let (shutdown, _) = watch::channel(false);
        let config_login = config.login.clone();
        let shared = Arc::new(Shared {
            config,
            accounts,
            handler,
            state: Mutex::new(HashMap::new()),
            next_conn_id: AtomicU64::new(1),
            msg_seq: AtomicU32::new(0),
            stats: StatsCounters::default(),
            shutdown,
            clock,
            login_guard: Mutex::new(LoginGuard::new(config_login)),
            unauthenticated: Mutex::new(HashMap::new()),
        });
        let (done_tx, done_rx) = mpsc::channel(1);
        tokio::spawn(report_login_bursts(shared.clone()));
        tokio::spawn(accept_loop(listener, shared.clone(), done_tx));
        Ok(Server {
            shared,
            local_addr,
            done_rx,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle for DELIVERs, fault injection and statistics.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            shared: self.shared.clone(),
        }
    }

    /// Stops accepting, sends TERMINATE on every connection and waits for the answers up
    /// to the drain deadline ([`ServerConfig::drain_timeout`]); links still open then are
    /// closed. Returns within the drain deadline plus a second, whatever the peers do.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.send_replace(true);
        let limit = self.shared.config.drain_timeout + Duration::from_secs(1);
        // Every task holds a sender clone; recv() yields None once all are gone.
        let all_closed = async { while self.done_rx.recv().await.is_some() {} };
        if tokio::time::timeout(limit, all_closed).await.is_err() {
            tracing::warn!("connections still open after the drain deadline; closing them");
            let map = lock(&self.shared.state);
            for st in map.values() {
                for c in &st.conns {
                    c.kill.notify_one();
                }
            }
        }
    }
}

/// Logs one line per ended burst of failed logins (the first failure of a burst from an
/// address was logged on its own).
async fn report_login_bursts(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        let next = lock(&shared.login_guard)
            .next_burst_end()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            _ = tokio::time::sleep_until(next.max(Instant::now() + Duration::from_millis(100))) => {}
            _ = wait_shutdown(&mut shutdown) => return,
        }
        let bursts = lock(&shared.login_guard).ended_bursts(Instant::now());
        for b in bursts {
            if b.unlogged > 0 {
                tracing::warn!(who = %b.who, failures = b.count, "burst of failed logins ended: {} failures ({} not logged one by one)", b.count, b.unlogged);
            }
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, done_tx: mpsc::Sender<()>) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut errors = AcceptErrors::default();
    loop {
        tokio::select! {
            res = listener.accept() => match res {
                Ok((stream, peer)) => {
                    let Some(slot) = PreLoginSlot::take(&shared, peer.ip()) else {
                        stats::inc(&shared.stats.unauthenticated_refused);
                        tracing::debug!(%peer, "too many connections waiting to log in; closed");
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    let done = done_tx.clone();
                    tokio::spawn(async move {
                        conn::run(stream, peer, shared, slot).await;
                        drop(done);
                    });
                }
                Err(e) => {
                    stats::inc(&shared.stats.accept_errors);
                    errors.record(&e, Instant::now(), shared.config.accept_error_log_interval);
                    // Out of descriptors: pause instead of spinning; logins already
                    // accepted keep going and idle pre-login sockets time out meanwhile.
                    tokio::select! {
                        _ = tokio::time::sleep(shared.config.accept_pause) => {}
                        _ = wait_shutdown(&mut shutdown) => break,
                    }
                }
            },
            _ = wait_shutdown(&mut shutdown) => break,
        }
    }
}

/// Rate-limits the log lines about failed accepts to one per interval.
#[derive(Debug, Default)]
struct AcceptErrors {
    last_log: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrors {
    /// Returns true when this failure was logged.
    fn record(&mut self, e: &io::Error, now: Instant, interval: Duration) -> bool {
        if self.last_log.is_some_and(|t| now < t + interval) {
            self.unlogged += 1;
            return false;
        }
        tracing::warn!(error = %e, since_last_line = self.unlogged, "accept failed; accepting paused briefly (logged once per {interval:?})");
        self.last_log = Some(now);
        self.unlogged = 0;
        true
    }
}

/// Resolves once shutdown is requested (never, if the sender is gone).
pub(crate) async fn wait_shutdown(rx: &mut watch::Receiver<bool>) {
    // The guard returned by wait_for is not Send; drop it here.
    let ok = rx.wait_for(|s| *s).await.is_ok();
    if !ok {
        std::future::pending::<()>().await;
    }
}

impl ServerHandle {
    /// Queues a DELIVER (status report or MO message) for the account. It is sent on one of
    /// its live connections, or kept (bounded) until one logs in; DELIVER_RESP is tracked
    /// with T/N re-sends (same Sequence_Id). DELIVERs still unacknowledged when their
    /// connection ends go back to the front of the queue, in their original order, and are
    /// sent again on the next live connection (at-least-once: the SP may see a duplicate
    /// when only its DELIVER_RESP was lost). A DELIVER unanswered after N transmissions on
    /// a live connection is counted in [`ServerStats::delivers_failed`] and logged.
    pub fn deliver(&self, sp_id: &str, deliver: Deliver) -> Result<(), DeliverError> {
        if *self.shared.shutdown.borrow() {
            return Err(DeliverError::ShuttingDown);
        }
        if !self.shared.accounts.contains(sp_id) {
            return Err(DeliverError::UnknownAccount(sp_id.to_owned()));
        }
        let cap = self.shared.config.deliver_queue_capacity;
        let mut map = lock(&self.shared.state);
        let st = Shared::account_state(&mut map, sp_id);
        if st.queue.len() >= cap {
            stats::inc(&self.shared.stats.delivers_refused);
            return Err(DeliverError::QueueFull {
                sp_id: sp_id.to_owned(),
                capacity: cap,
            });
        }
        let was_empty = st.queue.is_empty();
        st.queue.push_back(QueuedDeliver { deliver, links: 0 });
        // Connections pull the whole queue (up to their window) on every wake-up, and one
        // that leaves messages behind wakes the others: a wake-up per message is not needed.
        if was_empty {
            Shared::wake_all(st);
        }
        Ok(())
    }

    /// DELIVERs waiting in the account's queue (not yet sent).
    pub fn queued_delivers(&self, sp_id: &str) -> usize {
        lock(&self.shared.state)
            .get(sp_id)
            .map_or(0, |s| s.queue.len())
    }

    /// Fault injection: closes the account's connections (all accounts for `None`) abruptly.
    pub fn drop_connections(&self, sp_id: Option<&str>) {
        let map = lock(&self.shared.state);
        for (id, st) in map.iter() {
            if sp_id.map_or(true, |s| s == id) {
                for c in &st.conns {
                    c.kill.notify_one();
                }
            }
        }
    }

    /// Live logged-in connections of an account.
    pub fn connection_count(&self, sp_id: &str) -> usize {
        lock(&self.shared.state)
            .get(sp_id)
            .map_or(0, |s| s.conns.len())
    }

    /// Counters since start.
    pub fn stats(&self) -> ServerStats {
        let queued: usize = lock(&self.shared.state)
            .values()
            .map(|s| s.queue.len())
            .sum();
        self.shared.stats.snapshot(queued as u64)
    }

    /// A fresh Msg_Id: the wall-clock time in Beijing time, the configured gateway code and
    /// a wrapping 16-bit sequence. `count` ids are reserved (a group send to `count`
    /// recipients uses M … M+count−1).
    pub fn next_msg_id(&self, count: u16) -> MsgId {
        let seq = self
            .shared
            .msg_seq
            .fetch_add(u32::from(count.max(1)), Ordering::Relaxed);
        msg_id_at(
            self.shared.clock.now_utc(),
            self.shared.config.gateway_code,
            seq as u16,
        )
    }
}

fn msg_id_at(now: DateTime<Utc>, gateway: u32, seq: u16) -> MsgId {
    let t = now.with_timezone(&cmpp_codec::auth::BEIJING);
    MsgId::from_parts(
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second().min(59) as u8,
        gateway.min(cmpp_codec::msg_id::MAX_GATEWAY),
        seq,
    )
    // Every part is range-checked above, so this cannot fail; fall back to a plain value.
    .unwrap_or_else(|_| MsgId::from_u64(u64::from(seq)))
}
