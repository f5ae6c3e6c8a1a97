//! [`Client`]: the SP side of SMGP over a pool of links on the session core's async driver —
//! connect with Login, submit → outcome with the gateway's MsgID, an event stream of status
//! reports (matched to their submit) and MO messages each with an ack handle, close with
//! drain. Reconnects, window, re-sends, heartbeats and the event stream are the core's.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use smgp_codec::{
    Deliver, EncodeError, MsgId, Query, QueryResp, ReportError, Status, StatusReport, Submit,
};
use sms_session::link::{Events, LinkLoss, Pool, PoolConfig};
use sms_session::{Clock, ResendReason, SessionConfig, SystemClock};
use tokio::sync::oneshot;

use crate::login::{LoginError, SpLoginConfig};
use crate::proto::SmgpSp;

mod ack;
mod hooks;

pub use ack::DeliverAck;
use ack::Recent;
use hooks::{Meta, Reply, SmgpHooks};

/// Settings of a [`Client`].
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The gateway's address.
    pub gateway: SocketAddr,
    /// Account, secret, LoginMode, version, login timeout.
    pub login: SpLoginConfig,
    /// Window, T, N, heartbeat, flow-control back-off (SMGP's recommended W 16, T 60 s,
    /// N 3, C 3 min by default).
    pub session: SessionConfig,
    /// Links, queues, event capacity, rate limit, reconnect policy.
    pub pool: PoolConfig,
    /// Submits remembered for matching their status reports (oldest forgotten first).
    pub index_capacity: usize,
    /// Delivers remembered for recognising the copies a gateway sends again.
    pub recent_capacity: usize,
    /// Emit [`ClientEvent::Lifecycle`] for every submit (written, re-sent, answered,
    /// failed); off by default.
    pub lifecycle_events: bool,
    /// The wall clock (Login TimeStamps, outcome times); injectable for tests.
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("gateway", &self.gateway)
            .field("login", &self.login)
            .field("session", &self.session)
            .field("pool", &self.pool)
            .field("index_capacity", &self.index_capacity)
            .field("recent_capacity", &self.recent_capacity)
            .field("lifecycle_events", &self.lifecycle_events)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Settings for account `client_id` at `gateway`, with the defaults above.
    pub fn new(
        gateway: SocketAddr,
        client_id: impl Into<String>,
        secret: impl Into<Vec<u8>>,
    ) -> Self {
        ClientConfig {
            gateway,
            login: SpLoginConfig::new(client_id, secret),
            session: SessionConfig::default(),
            pool: PoolConfig::default(),
            index_capacity: 100_000,
            recent_capacity: 100_000,
            lifecycle_events: false,
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the login settings.
    pub fn with_login(mut self, login: SpLoginConfig) -> Self {
        self.login = login;
        self
    }

    /// Sets the session settings.
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.session = session;
        self
    }

    /// Sets the pool settings.
    pub fn with_pool(mut self, pool: PoolConfig) -> Self {
        self.pool = pool;
        self
    }

    /// Sets the wall clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Turns lifecycle events on or off.
    pub fn with_lifecycle_events(mut self, on: bool) -> Self {
        self.lifecycle_events = on;
        self
    }
}

/// The gateway's answer to a Submit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubmitOutcome {
    /// The caller's id for the message (reports name it too).
    pub local_id: Arc<str>,
    /// MsgID from Submit_Resp (for a group send, recipient k has
    /// [`MsgId::nth_recipient`]`(k)`).
    pub msg_id: MsgId,
    /// Status: 0 accepted; anything else is the gateway's refusal ([`Status::cause_class`]).
    pub status: Status,
    /// SequenceID of the last transmission.
    pub sequence_id: u32,
    /// Transmissions made, on every link.
    pub tries: u32,
    /// The pool connection that got the answer.
    pub connection: usize,
    /// When it was first written.
    pub written_at: DateTime<Utc>,
    /// When the answer arrived.
    pub responded_at: DateTime<Utc>,
}

/// Why a Submit or Query got no answer. Each says whether the gateway may nevertheless
/// have accepted it ([`SubmitError::maybe_accepted`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// No response after N transmissions; the gateway may have accepted it.
    #[error("no SUBMIT_RESP after {tries} transmissions (may have been accepted)")]
    NoResponse {
        /// Transmissions made.
        tries: u32,
    },
    /// Status 1 (system busy) after the allowed re-sends; not accepted.
    #[error("gateway busy (status 1) after {tries} transmissions; not accepted")]
    FlowControl {
        /// Transmissions made.
        tries: u32,
    },
    /// The link was lost (or closed) before the answer.
    #[error("link lost before SUBMIT_RESP (maybe accepted: {maybe_accepted})")]
    LinkLost {
        /// True when it was written and not refused.
        maybe_accepted: bool,
    },
    /// The client is closed; not sent.
    #[error("client closed; not sent")]
    Closed,
    /// The links log in receive mode (LoginMode 1): they carry no Submit.
    #[error("the client logs in receive mode (LoginMode 1) and cannot submit")]
    ReceiveOnly,
    /// The message cannot be encoded (caller error); not sent.
    #[error("cannot encode: {0}")]
    Encode(#[from] EncodeError),
}

impl SubmitError {
    /// Whether the gateway may have accepted the message despite the error.
    pub fn maybe_accepted(&self) -> bool {
        match self {
            SubmitError::NoResponse { .. } => true,
            SubmitError::LinkLost { maybe_accepted } => *maybe_accepted,
            _ => false,
        }
    }
}

/// What happened to a submit on the link.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LifecycleKind {
    /// First written.
    Submitted {
        /// Its recipients.
        recipients: u32,
    },
    /// Written again.
    Resent {
        /// Transmission number, from 2, on every link.
        attempt: u32,
        /// Why.
        reason: ResendReason,
    },
    /// Its Submit_Resp arrived.
    Responded {
        /// The MsgID given.
        msg_id: MsgId,
        /// The Status.
        status: Status,
    },
    /// No answer: given up (the caller gets the same as a [`SubmitError`]).
    Failed {
        /// Why.
        reason: String,
        /// Whether the gateway may have accepted it.
        maybe_accepted: bool,
    },
}

/// What the client tells the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// A submit's progress (with [`ClientConfig::lifecycle_events`]); queued before the
    /// submit's caller hears of the same step.
    Lifecycle {
        /// When.
        at: DateTime<Utc>,
        /// The submit's `local_id`.
        local_id: Arc<str>,
        /// SequenceID of the transmission.
        sequence_id: u32,
        /// What happened.
        kind: LifecycleKind,
    },
    /// A status report, matched to its submit when the client still remembers it.
    Report {
        /// The report (its `id` is the Submit_Resp MsgID).
        report: StatusReport,
        /// The submit's `local_id`, when known.
        local_id: Option<Arc<str>>,
        /// The recipient's index in its submit (0 unless a group send).
        recipient: u32,
        /// The Deliver that carried it.
        deliver: Deliver,
        /// When it arrived.
        received_at: DateTime<Utc>,
        /// Answers the Deliver.
        ack: DeliverAck,
    },
    /// A status report whose content cannot be read; accept it once logged, or it comes again.
    UnreadableReport {
        /// The Deliver.
        deliver: Deliver,
        /// Why.
        error: ReportError,
        /// Answers the Deliver.
        ack: DeliverAck,
    },
    /// An MO message.
    Message {
        /// The Deliver (text: [`Deliver::text`]).
        deliver: Deliver,
        /// When it arrived.
        received_at: DateTime<Utc>,
        /// Answers the Deliver.
        ack: DeliverAck,
    },
    /// A link logged in.
    LinkUp {
        /// Its pool connection.
        connection: usize,
    },
    /// A link went down (the pool reconnects per its policy).
    LinkDown {
        /// Its pool connection.
        connection: usize,
        /// Why.
        reason: LinkLoss,
    },
}

/// Submits remembered for their reports: MsgID → (local id, recipient), oldest forgotten
/// first.
#[derive(Debug, Default)]
struct Index {
    map: HashMap<MsgId, (Arc<str>, u32)>,
    order: VecDeque<MsgId>,
}

impl Index {
    fn insert(&mut self, capacity: usize, id: MsgId, local: &Arc<str>, recipient: u32) {
        if self.map.insert(id, (local.clone(), recipient)).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }

    fn get(&self, id: &MsgId) -> Option<(Arc<str>, u32)> {
        self.map.get(id).cloned()
    }
}

pub(crate) struct Shared {
    pub(crate) config: ClientConfig,
    pub(crate) login_clock: sms_session::clock::LoginClock,
    index: Mutex<Index>,
    recent: Mutex<Recent>,
    /// Copies of Delivers answered without being handed over again.
    pub(crate) duplicates: AtomicU64,
}

impl Shared {
    pub(crate) fn recent(&self) -> MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        // A panicking task must not wedge the client.
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An SMGP client (SP side): a pool of logged-in links to one gateway.
#[derive(Debug, Clone)]
pub struct Client {
    pool: Pool<SmgpHooks>,
}

impl Client {
    /// Connects and logs in every link; returns once the first is up, or with its login
    /// error (permanent ones are not retried).
    pub async fn connect(config: ClientConfig) -> Result<Client, LoginError> {
        let pool_config = config.pool.clone();
        let shared = Arc::new(Shared {
            recent: Mutex::new(Recent::new(config.recent_capacity)),
            config,
            login_clock: sms_session::clock::LoginClock::default(),
            index: Mutex::new(Index::default()),
            duplicates: AtomicU64::new(0),
        });
        let pool = Pool::connect(Arc::new(SmgpHooks(shared)), pool_config).await?;
        Ok(Client { pool })
    }

    fn shared(&self) -> &Shared {
        &self.pool.hooks().0
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.shared().config
    }

    /// Links logged in right now.
    pub fn live_connections(&self) -> usize {
        self.pool.live_connections()
    }

    /// Copies of Delivers the gateway sent again that were answered without being handed
    /// over twice (the first was held or already accepted).
    pub fn duplicates(&self) -> u64 {
        self.shared().duplicates.load(Ordering::Relaxed)
    }

    /// The event stream (reports, MO messages, link changes); `None` after the first call.
    /// Until it is taken, reports and MO messages wait (while there is room) and nothing
    /// else is queued.
    pub fn events(&self) -> Option<Events<ClientEvent>> {
        self.pool.events()
    }

    /// Sends `submit`; `local_id` is the caller's name for it (reports carry it back).
    /// Resolves with the gateway's Submit_Resp, or why there is none.
    pub async fn submit(
        &self,
        local_id: impl Into<Arc<str>>,
        submit: Submit,
    ) -> Result<SubmitOutcome, SubmitError> {
        if !self.config().login.mode.sends() {
            return Err(SubmitError::ReceiveOnly);
        }
        let recipients = submit.dest_term_ids.len() as u32;
        let frame = self.proto().encode_request(submit)?;
        let (tx, rx) = oneshot::channel();
        let meta = Meta {
            local_id: local_id.into(),
            recipients,
            reply: Reply::Submit(tx),
        };
        self.pool
            .dispatch(frame, meta)
            .await
            .map_err(|_| SubmitError::Closed)?;
        rx.await.unwrap_or(Err(SubmitError::Closed))
    }

    /// Sends a Query (traffic statistics of a day) and returns the Query_Resp.
    pub async fn query(&self, query: Query) -> Result<QueryResp, SubmitError> {
        let frame = self.proto().encode_request(query)?;
        let (tx, rx) = oneshot::channel();
        let meta = Meta {
            local_id: Arc::from("query"),
            recipients: 0,
            reply: Reply::Query(tx),
        };
        self.pool
            .dispatch(frame, meta)
            .await
            .map_err(|_| SubmitError::Closed)?;
        rx.await.unwrap_or(Err(SubmitError::Closed))
    }

    /// Stops taking requests, lets the links drain for up to `deadline` (unanswered
    /// requests then fail as "may have been accepted"), sends Exit on each link and waits.
    pub async fn close(&self, deadline: Duration) {
        self.pool.close(deadline).await;
    }

    fn proto(&self) -> SmgpSp {
        SmgpSp::new(self.config().login.version, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_forgets_the_oldest_first() {
        let mut index = Index::default();
        let a: Arc<str> = Arc::from("a");
        for n in 0..5u8 {
            index.insert(3, MsgId([n; 10]), &a, u32::from(n));
        }
        assert!(index.get(&MsgId([1; 10])).is_none());
        assert_eq!(index.get(&MsgId([4; 10])), Some((a.clone(), 4)));
        // Re-inserting an id does not count twice.
        index.insert(3, MsgId([4; 10]), &a, 9);
        assert_eq!(index.order.len(), 3);
        assert_eq!(index.get(&MsgId([2; 10])), Some((a, 2)));
    }
}
