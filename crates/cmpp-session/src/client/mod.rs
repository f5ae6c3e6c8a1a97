//! The SP client: login, connection pool, windowed submits, reconnects, and status
//! reports / MO messages as a stream of [`ClientEvent`]s.

mod ack;
mod config;
mod dedupe;
mod error;
mod events;
mod hooks;
mod index;
mod login;
mod request;

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use cmpp_codec::long::{
    AllocatorConfig, MessageKey, Reassembler, ReassemblerConfig, SharedReferences,
};
use cmpp_codec::{encode, Cancel, MsgId, OctetString, Packet, Pdu, Query, Submit};
use futures::Stream;
use sms_session::link::{Events, Pool, PoolConfig};
use tokio::sync::oneshot;

pub use ack::DeliverAck;
pub use config::{ClientConfig, ClientConfigBuilder};
pub use error::{LoginError, QueryError, SubmitError};
pub use events::{ClientEvent, LifecycleEvent, LifecycleKind, LinkLoss};
pub use request::{SubmitOutcome, SubmitRequest, TextOptions};

use ack::AckTarget;
use dedupe::DeliverKey;
use dedupe::RecentDelivers;
use hooks::{CmppHooks, Meta, Reply};
use index::ReportIndex;

/// The DELIVERs (key and answer target) behind each long MO message, by sender/receiver and
/// concatenation reference.
type MoParts = std::collections::HashMap<(MessageKey, u16), Vec<(DeliverKey, AckTarget)>>;

/// The client's state shared by its links (behind the session core's hooks).
pub(crate) struct Shared {
    config: ClientConfig,
    index: Mutex<ReportIndex>,
    /// Shared by the pool: a re-sent DELIVER may arrive on another connection.
    recent: Mutex<RecentDelivers>,
    reassembler: Mutex<Reassembler>,
    /// DELIVERs behind each long MO message being reassembled, answered when it is accepted.
    mo_parts: Mutex<MoParts>,
    /// SUBMIT_RESPs whose Msg_Id the gateway had already given to another request.
    repeated_msg_ids: AtomicU64,
    /// The last CONNECT timestamp of this client's pool (see [`login::LoginClock`]).
    pub(crate) login_clock: login::LoginClock,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A connected SP client (a pool of `connections` logged-in links).
///
/// Dropping every clone of the client drains and closes the links; prefer
/// [`close`](Client::close) for a bounded graceful shutdown.
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
/// let config = ClientConfig::builder(server.local_addr(), "900001", b"secret".to_vec())
///     .window(16) // W: unanswered SUBMITs at most
///     .build();
/// let client = Client::connect(config).await?;
///
/// // Status reports and MO messages come on the event stream, each with an ack handle:
/// // store the event, then `ack.accept()`; only then is its DELIVER answered.
/// let _events = client.events().expect("the first subscriber");
///
/// let request = SubmitRequest::message("m-1", &["13800138000"], "您好", MsgFmt::Ucs2)?
///     .registered_delivery(1);
/// let outcome = client.submit(request).await?;
/// assert!(outcome.result.is_ok());
/// println!("accepted as {}", outcome.msg_id.to_digits());
///
/// client.close(Duration::from_secs(1)).await;
/// server.shutdown().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool<CmppHooks>,
    references: SharedReferences,
}

impl Client {
    /// Connects and logs in every pool connection. Fails if the first connection's login
    /// fails; other connections that fail keep retrying per the reconnect policy.
    pub async fn connect(config: ClientConfig) -> Result<Client, LoginError> {
        let pool_config = PoolConfig::default()
            .with_connections(config.connections.max(1))
            .with_queue(config.window.max(1))
            .with_event_capacity(config.event_capacity.max(1))
            .with_rate_limit(config.rate_limit)
            .with_reconnect(Some(config.reconnect))
            .with_resend_unanswered_on_reconnect(config.resend_unanswered_on_reconnect);
        let shared = Arc::new(Shared {
            index: Mutex::new(ReportIndex::new(
                config.report_index_ttl,
                config.report_index_capacity,
            )),
            recent: Mutex::new(RecentDelivers::new(
                config.dedupe_ttl,
                config.dedupe_capacity,
            )),
            reassembler: Mutex::new(Reassembler::new(
                ReassemblerConfig::default().with_timeout(config.reassembly_timeout),
            )),
            mo_parts: Mutex::new(std::collections::HashMap::new()),
            repeated_msg_ids: AtomicU64::new(0),
            login_clock: login::LoginClock::default(),
            config,
        });
        let pool = Pool::connect(Arc::new(CmppHooks(shared)), pool_config).await?;
        Ok(Client {
            inner: Arc::new(Inner {
                pool,
                references: SharedReferences::new(AllocatorConfig::default()),
            }),
        })
    }

    /// The settings the client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.shared().config
    }

    fn shared(&self) -> &Shared {
        &self.inner.pool.hooks().0
    }

    /// Connections currently logged in.
    pub fn live_connections(&self) -> usize {
        self.inner.pool.live_connections()
    }

    /// Subscribes to the event stream (reports, MO messages, lifecycle, link changes).
    /// Returns `None` after the first call.
    ///
    /// Before this call only status reports and MO messages are queued, and only while the
    /// stream has room, so a client whose application never subscribes never blocks;
    /// DELIVERs that find no room stay unanswered for the gateway to send again (counted in
    /// [`Client::unsubscribed_delivers`]). Lifecycle and link events start with the call.
    ///
    /// Each report and MO message carries a [`DeliverAck`]: its DELIVER_RESP is sent only
    /// when the application calls [`DeliverAck::accept`]. Each status report (Msg_Id, Stat)
    /// and each MO segment (DELIVER Msg_Id) is handed over once even when the gateway
    /// re-sends it, within the [`ClientConfig::dedupe_ttl`] / [`ClientConfig::dedupe_capacity`]
    /// memory. The stream is bounded ([`ClientConfig::event_capacity`]): while the
    /// application does not read, links stop reading from the gateway (nothing is dropped);
    /// each such wait is counted ([`Client::event_stalls`]) and the first is logged.
    pub fn events(&self) -> Option<ClientEvents> {
        let rx = self.inner.pool.events()?;
        Some(ClientEvents { rx })
    }

    /// Times an event had to wait for room on the stream because the subscriber was slow.
    pub fn event_stalls(&self) -> u64 {
        self.inner.pool.event_stalls()
    }

    /// DELIVERs that found the stream full before anyone subscribed (left unanswered, or
    /// dropped in [`ClientConfig::auto_ack`] mode).
    pub fn unsubscribed_delivers(&self) -> u64 {
        self.inner.pool.unsubscribed_inbound()
    }

    /// SUBMIT_RESPs that repeated a Msg_Id already given to another request (a known
    /// gateway bug; warned once). Their reports are matched by Msg_Id and destination.
    pub fn repeated_msg_ids(&self) -> u64 {
        self.shared().repeated_msg_ids.load(Ordering::Relaxed)
    }

    /// The concatenation reference allocator of this client, to share with other senders
    /// on the same account (one allocator never hands one destination a live reference
    /// twice).
    pub fn references(&self) -> &SharedReferences {
        &self.inner.references
    }

    /// Sends a QUERY for `date` (YYYYMMDD) and returns the gateway's QUERY_RESP: totals
    /// when `service_id` is `None`, else the counts of that Service_Id.
    pub async fn query(
        &self,
        date: &str,
        service_id: Option<&str>,
    ) -> Result<cmpp_codec::QueryResp, QueryError> {
        let valid_date = date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit())
            && chrono::NaiveDate::parse_from_str(date, "%Y%m%d").is_ok();
        if !valid_date {
            return Err(QueryError::Invalid(format!(
                "date '{date}' is not a calendar date YYYYMMDD"
            )));
        }
        let query = Query {
            time: OctetString::try_from(date)
                .map_err(|e| QueryError::Invalid(format!("date '{date}': {e}")))?,
            query_type: u8::from(service_id.is_some()),
            query_code: match service_id {
                Some(s) => OctetString::try_from(s)
                    .map_err(|e| QueryError::Invalid(format!("Service_Id '{s}': {e}")))?,
                None => OctetString::EMPTY,
            },
            reserve: OctetString::EMPTY,
        };
        match self.control(Pdu::Query(query), "query").await? {
            ControlReply::Query(r) => Ok(r),
            ControlReply::Cancel(_) => Err(QueryError::Unexpected),
        }
    }

    /// Sends a CANCEL for `msg_id` and returns the gateway's CANCEL_RESP.
    pub async fn cancel(&self, msg_id: MsgId) -> Result<cmpp_codec::CancelResp, QueryError> {
        match self
            .control(Pdu::Cancel(Cancel { msg_id }), "cancel")
            .await?
        {
            ControlReply::Cancel(r) => Ok(r),
            ControlReply::Query(_) => Err(QueryError::Unexpected),
        }
    }

    async fn control(&self, pdu: Pdu, local_id: &str) -> Result<ControlReply, QueryError> {
        if self.inner.pool.is_closed() {
            return Err(QueryError::Request(SubmitError::Closed));
        }
        let version = self.shared().config.version;
        let mut frame = BytesMut::new();
        encode(&Packet::new(0, pdu), version, &mut frame)
            .map_err(|e| QueryError::Request(SubmitError::Encode(e)))?;
        let (reply, rx) = oneshot::channel();
        let meta = Meta {
            local_id: Arc::from(local_id),
            dests: 0,
            first_dest: Arc::from(""),
            segment: (1, 1),
            reply: Reply::Control(reply),
        };
        self.dispatch(frame, meta)
            .await
            .map_err(QueryError::Request)?;
        rx.await
            .unwrap_or(Err(SubmitError::LinkLost {
                maybe_accepted: true,
            }))
            .map_err(QueryError::Request)
    }

    /// Sends one SUBMIT and waits for its final SUBMIT_RESP. Waits while every
    /// connection's window is full.
    pub async fn submit(&self, request: SubmitRequest) -> Result<SubmitOutcome, SubmitError> {
        self.submit_segment(request, (1, 1)).await
    }

    async fn submit_segment(
        &self,
        request: SubmitRequest,
        segment: (u8, u8),
    ) -> Result<SubmitOutcome, SubmitError> {
        if self.inner.pool.is_closed() {
            return Err(SubmitError::Closed);
        }
        let n = request.submit.dest_terminal_ids.len();
        if n == 0 || n > cmpp_codec::pdu::submit::MAX_DESTINATIONS {
            return Err(SubmitError::Invalid(format!(
                "{n} destinations given, must be 1 to 99"
            )));
        }
        let version = self.shared().config.version;
        let first_dest: Arc<str> = request
            .submit
            .dest_terminal_ids
            .first()
            .map_or_else(|| Arc::from(""), |d| Arc::from(&*d.to_str_lossy()));
        let packet = Packet::new(0, request.submit);
        let mut frame = BytesMut::with_capacity(packet.encoded_len(version));
        encode(&packet, version, &mut frame)?;
        let (reply, rx) = oneshot::channel();
        let meta = Meta {
            local_id: Arc::from(request.local_id),
            dests: n as u16,
            first_dest,
            segment,
            reply: Reply::Submit(reply),
        };
        self.dispatch(frame, meta).await?;
        // The driver always answers; a vanished driver is treated conservatively.
        rx.await.unwrap_or(Err(SubmitError::LinkLost {
            maybe_accepted: true,
        }))
    }

    async fn dispatch(&self, frame: BytesMut, meta: Meta) -> Result<(), SubmitError> {
        self.inner
            .pool
            .dispatch(frame, meta)
            .await
            .map_err(|_| SubmitError::Closed)
    }

    /// Encodes `text`, splits it into segments (one reference per destination) and submits
    /// every segment of every destination concurrently. Results are ordered by destination,
    /// then segment; local ids are `"{prefix}/{dest_index}/{segment}"`.
    pub async fn send_text(
        &self,
        local_id_prefix: &str,
        dests: &[&str],
        text: &str,
        options: &TextOptions,
    ) -> Vec<Result<SubmitOutcome, SubmitError>> {
        let mut futs = Vec::new();
        let mut early: Vec<(usize, SubmitError)> = Vec::new();
        for (di, dest) in dests.iter().enumerate() {
            let dest_field = match request::parse_dests(&[dest]) {
                Ok(d) => d,
                Err(e) => {
                    early.push((futs.len() + early.len(), e));
                    continue;
                }
            };
            // Only a long message needs a reference; draw it from the client's allocator.
            let long = cmpp_codec::long::split_text(text, options.encoding, options.udh, 0)
                .is_ok_and(|s| s.len() > 1);
            let reference = if long {
                match self
                    .inner
                    .references
                    .allocate(dest, tokio::time::Instant::now().into_std())
                {
                    Ok(r) => r,
                    Err(e) => {
                        early.push((futs.len() + early.len(), SubmitError::References(e)));
                        continue;
                    }
                }
            } else {
                0
            };
            let segments = match cmpp_codec::long::split_text(
                text,
                options.encoding,
                options.udh,
                reference,
            ) {
                Ok(s) => s,
                Err(e) => {
                    early.push((
                        futs.len() + early.len(),
                        SubmitError::Invalid(e.to_string()),
                    ));
                    continue;
                }
            };
            for seg in segments {
                let submit = Submit {
                    dest_terminal_ids: dest_field.clone(),
                    msg_content: seg.content.clone().into(),
                    msg_fmt: seg.msg_fmt,
                    tp_udhi: seg.tp_udhi_byte(),
                    pk_total: seg.pk_total,
                    pk_number: seg.pk_number,
                    ..options.template.clone()
                };
                let local_id = format!("{local_id_prefix}/{di}/{}", seg.pk_number);
                let req = SubmitRequest::new(local_id, submit);
                futs.push(self.submit_segment(req, (seg.pk_number, seg.pk_total)));
            }
        }
        let mut results: Vec<Result<SubmitOutcome, SubmitError>> =
            futures::future::join_all(futs).await;
        for (pos, e) in early {
            results.insert(pos.min(results.len()), Err(e));
        }
        results
    }

    /// Graceful close: stops accepting, lets in-flight requests finish until `deadline`
    /// from now, sends TERMINATE, and returns when every connection is closed. Requests
    /// still queued get [`SubmitError::Closed`]; unanswered ones
    /// [`SubmitError::LinkLost`].
    pub async fn close(&self, deadline: Duration) {
        self.inner.pool.close(deadline).await;
    }
}

/// A QUERY_RESP or CANCEL_RESP handed back to [`Client::query`] / [`Client::cancel`].
#[derive(Debug)]
pub(crate) enum ControlReply {
    Query(cmpp_codec::QueryResp),
    Cancel(cmpp_codec::CancelResp),
}

impl Clone for Client {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

/// Stream of [`ClientEvent`]s (see [`Client::events`]).
#[derive(Debug)]
pub struct ClientEvents {
    rx: Events<ClientEvent>,
}

impl ClientEvents {
    /// The next event; `None` when the client is gone.
    pub async fn recv(&mut self) -> Option<ClientEvent> {
        self.rx.recv().await
    }
}

impl Stream for ClientEvents {
    type Item = ClientEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ClientEvent>> {
        Pin::new(&mut self.rx).poll_next(cx)
    }
}
