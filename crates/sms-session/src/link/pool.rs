//! A pool of links to one peer: request dispatch, the event stream and its back-pressure,
//! and the graceful close.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use futures::Stream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::ack::AckRouter;
use super::driver::{Cmd, Driver};
use super::{Connected, Hooks, LoginFailure};
use crate::Backoff;

/// Settings of a [`Pool`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Links in the pool.
    pub connections: usize,
    /// Requests queued per link before a caller waits (typically W).
    pub queue: usize,
    /// Capacity of the event stream.
    pub event_capacity: usize,
    /// Requests per second over the whole pool; 0 = no limit.
    pub rate_limit: u32,
    /// Reconnect policy; `None` = a lost link is not replaced.
    pub reconnect: Option<Backoff>,
    /// Re-send requests that may have been accepted when their link was lost (duplicates
    /// possible) instead of failing them as "may have been accepted".
    pub resend_unanswered_on_reconnect: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            connections: 1,
            queue: 16,
            event_capacity: 1024,
            rate_limit: 0,
            reconnect: Some(Backoff::default()),
            resend_unanswered_on_reconnect: false,
        }
    }
}

impl PoolConfig {
    /// Sets the number of links.
    pub fn with_connections(mut self, n: usize) -> Self {
        self.connections = n.max(1);
        self
    }

    /// Sets the per-link request queue.
    pub fn with_queue(mut self, n: usize) -> Self {
        self.queue = n.max(1);
        self
    }

    /// Sets the event stream capacity.
    pub fn with_event_capacity(mut self, n: usize) -> Self {
        self.event_capacity = n.max(1);
        self
    }

    /// Sets the pool-wide send rate (0 = none).
    pub fn with_rate_limit(mut self, per_second: u32) -> Self {
        self.rate_limit = per_second;
        self
    }

    /// Sets the reconnect policy (`None`: never reconnect).
    pub fn with_reconnect(mut self, policy: Option<Backoff>) -> Self {
        self.reconnect = policy;
        self
    }

    /// Re-sends possibly accepted requests after a reconnect.
    pub fn with_resend_unanswered_on_reconnect(mut self, yes: bool) -> Self {
        self.resend_unanswered_on_reconnect = yes;
        self
    }
}

pub(crate) struct PoolShared<H: Hooks> {
    pub(crate) hooks: Arc<H>,
    pub(crate) config: PoolConfig,
    pub(crate) clock: Box<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    pub(crate) acks: Arc<AckRouter<H::Proto>>,
    events_tx: mpsc::Sender<H::Event>,
    pub(crate) up: Vec<AtomicBool>,
    /// Set by [`Pool::events`]: before that, only inbound requests are queued.
    pub(crate) subscribed: AtomicBool,
    /// Times an event waited for room on the stream (the subscriber is slow).
    stalls: AtomicU64,
    /// Inbound requests left unanswered because nobody subscribed to the event stream.
    unsubscribed_inbound: AtomicU64,
}

impl<H: Hooks> PoolShared<H> {
    /// Queues an event for the subscriber; a full stream waits (back-pressure), counted and
    /// logged once. Before anyone subscribed, only inbound requests are queued, and only while
    /// there is room: the link never blocks for want of a reader, and a request that finds no
    /// room stays unanswered for the peer to send again.
    pub(crate) async fn emit(&self, connection: usize, ev: H::Event) {
        if !self.subscribed.load(Ordering::Acquire) {
            if !H::is_inbound_event(&ev) {
                return;
            }
            if let Err(mpsc::error::TrySendError::Full(_)) = self.events_tx.try_send(ev) {
                if self.unsubscribed_inbound.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!(
                        connection,
                        "requests arrive but nobody subscribed to the event stream; left unanswered for the peer to send again"
                    );
                }
            }
            return;
        }
        match self.events_tx.try_send(ev) {
            Ok(()) => {}
            // A dropped receiver means the application does not want events.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(ev)) => {
                if self.stalls.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!(
                        connection,
                        capacity = self.config.event_capacity,
                        "event stream full: the subscriber is not reading; links stop reading from the peer until it does (counted in event_stalls)"
                    );
                }
                let _ = self.events_tx.send(ev).await;
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why [`Pool::dispatch`] could not take a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The pool is closed (or every link task has ended).
    #[error("the client is closed")]
    Closed,
}

/// A pool of links to one peer, driven by the shared link task and a protocol's [`Hooks`].
pub struct Pool<H: Hooks> {
    inner: Arc<Inner<H>>,
}

struct Inner<H: Hooks> {
    shared: Arc<PoolShared<H>>,
    senders: Vec<mpsc::Sender<Cmd<H::Meta>>>,
    rr: AtomicUsize,
    closed: AtomicBool,
    close_tx: watch::Sender<Option<Instant>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    events_rx: Mutex<Option<mpsc::Receiver<H::Event>>>,
}

impl<H: Hooks> Clone for Pool<H> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

impl<H: Hooks> std::fmt::Debug for Pool<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("connections", &self.inner.senders.len())
            .field("live", &self.live_connections())
            .finish_non_exhaustive()
    }
}

impl<H: Hooks> Pool<H> {
    /// Starts `config.connections` links; returns once the first has logged in (or failed).
    pub async fn connect(hooks: Arc<H>, config: PoolConfig) -> Result<Pool<H>, H::LoginError> {
        let k = config.connections.max(1);
        let (pool, logins) = Self::start(hooks, config, (0..k).map(|_| None).collect());
        let mut first_result = None;
        for (i, rx) in logins.into_iter().enumerate() {
            let r = rx.await.unwrap_or_else(|_| Err(H::LoginError::closed()));
            if i == 0 {
                let failed = r.is_err();
                first_result = Some(r);
                if failed {
                    break;
                }
            }
        }
        match first_result {
            Some(Err(e)) => {
                pool.close(Duration::ZERO).await;
                Err(e)
            }
            _ => Ok(pool),
        }
    }

    /// Drives one already logged-in connection (the accepting side of a link); the pool
    /// does not reconnect when it is lost.
    pub fn serve(hooks: Arc<H>, connected: Connected<H::Proto>, config: PoolConfig) -> Pool<H> {
        let config = config.with_connections(1).with_reconnect(None);
        let (pool, _logins) = Self::start(hooks, config, vec![Some(connected)]);
        pool
    }

    #[allow(clippy::type_complexity)]
    fn start(
        hooks: Arc<H>,
        config: PoolConfig,
        first_links: Vec<Option<Connected<H::Proto>>>,
    ) -> (Pool<H>, Vec<oneshot::Receiver<Result<(), H::LoginError>>>) {
        let k = first_links.len();
        let (events_tx, events_rx) = mpsc::channel(config.event_capacity.max(1));
        let (acks, mut ack_rx) = AckRouter::new(k);
        let clock_hooks = hooks.clone();
        let shared = Arc::new(PoolShared {
            hooks,
            clock: Box::new(move || clock_hooks.now_utc()),
            acks: Arc::new(acks),
            up: (0..k).map(|_| AtomicBool::new(false)).collect(),
            subscribed: AtomicBool::new(false),
            stalls: AtomicU64::new(0),
            unsubscribed_inbound: AtomicU64::new(0),
            events_tx,
            config,
        });
        let (close_tx, close_rx) = watch::channel(None);
        let mut senders = Vec::with_capacity(k);
        let mut tasks = Vec::with_capacity(k);
        let mut logins = Vec::with_capacity(k);
        for (idx, (acks_rx, first_link)) in ack_rx.drain(..).zip(first_links).enumerate() {
            let (tx, rx) = mpsc::channel(shared.config.queue.max(1));
            let (first_tx, first_rx) = oneshot::channel();
            let driver = Driver::new(idx, shared.clone(), rx, acks_rx, close_rx.clone());
            tasks.push(tokio::spawn(driver.run(first_link, first_tx)));
            senders.push(tx);
            logins.push(first_rx);
        }
        let pool = Pool {
            inner: Arc::new(Inner {
                shared,
                senders,
                rr: AtomicUsize::new(0),
                closed: AtomicBool::new(false),
                close_tx,
                tasks: Mutex::new(tasks),
                events_rx: Mutex::new(Some(events_rx)),
            }),
        };
        (pool, logins)
    }

    /// The protocol hooks.
    pub fn hooks(&self) -> &Arc<H> {
        &self.inner.shared.hooks
    }

    /// The settings.
    pub fn config(&self) -> &PoolConfig {
        &self.inner.shared.config
    }

    /// The answer router, for ack handles.
    pub fn acks(&self) -> &Arc<AckRouter<H::Proto>> {
        &self.inner.shared.acks
    }

    /// Links logged in right now.
    pub fn live_connections(&self) -> usize {
        self.inner
            .shared
            .up
            .iter()
            .filter(|u| u.load(Ordering::Acquire))
            .count()
    }

    /// True once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// The event stream; `None` after the first call. Before it is called only inbound
    /// requests are queued (while there is room), so a client that never subscribes never
    /// blocks.
    pub fn events(&self) -> Option<Events<H::Event>> {
        let rx = lock(&self.inner.events_rx).take()?;
        self.inner.shared.subscribed.store(true, Ordering::Release);
        Some(Events { rx })
    }

    /// Times an event waited for room on the stream.
    pub fn event_stalls(&self) -> u64 {
        self.inner.shared.stalls.load(Ordering::Relaxed)
    }

    /// Inbound requests left unanswered because nobody subscribed.
    pub fn unsubscribed_inbound(&self) -> u64 {
        self.inner
            .shared
            .unsubscribed_inbound
            .load(Ordering::Relaxed)
    }

    /// Hands an encoded request to a link (a live one with room first, else the first to make
    /// room, else one that may reconnect). Its outcome reaches the hooks with `meta`.
    pub async fn dispatch(&self, frame: BytesMut, meta: H::Meta) -> Result<(), DispatchError> {
        if self.is_closed() {
            return Err(DispatchError::Closed);
        }
        let senders = &self.inner.senders;
        let k = senders.len();
        let start = self.inner.rr.fetch_add(1, Ordering::Relaxed) % k;
        let up = &self.inner.shared.up;
        let mut pending = Some(Cmd { frame, meta });
        for i in 0..k {
            let idx = (start + i) % k;
            let Some(c) = pending.take() else { break };
            if !up[idx].load(Ordering::Acquire) {
                pending = Some(c);
                continue;
            }
            match senders[idx].try_send(c) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(c) | mpsc::error::TrySendError::Closed(c)) => {
                    pending = Some(c)
                }
            }
        }
        let Some(mut cmd) = pending else {
            return Ok(());
        };
        // Wait for room, preferring live connections, then any that may reconnect.
        let order: Vec<usize> = (0..k)
            .map(|i| (start + i) % k)
            .filter(|&i| up[i].load(Ordering::Acquire))
            .chain((0..k).map(|i| (start + i) % k))
            .collect();
        for idx in order {
            match senders[idx].send(cmd).await {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(c)) => cmd = c,
            }
        }
        Err(DispatchError::Closed)
    }

    /// Stops taking requests, lets the links drain for up to `deadline` (unanswered requests
    /// then fail as "may have been accepted"), closes each session and waits for the tasks.
    pub async fn close(&self, deadline: Duration) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner
            .close_tx
            .send_replace(Some(Instant::now() + deadline));
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.inner.tasks));
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Waits until every link task has ended (a served connection was lost or closed).
    pub async fn finished(&self) {
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.inner.tasks));
        for t in tasks {
            let _ = t.await;
        }
    }
}

/// The event stream of a [`Pool`].
#[derive(Debug)]
pub struct Events<E> {
    rx: mpsc::Receiver<E>,
}

impl<E> Events<E> {
    /// The next event; `None` once the pool is gone.
    pub async fn recv(&mut self) -> Option<E> {
        self.rx.recv().await
    }

    /// The next event if one is queued.
    pub fn try_recv(&mut self) -> Option<E> {
        self.rx.try_recv().ok()
    }
}

impl<E> Stream for Events<E> {
    type Item = E;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.rx.poll_recv(cx)
    }
}
