//! [`Sender`]: policy first, then the session, with every step journaled.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cmpp_codec::long::{split_text, Segment, UdhRef};
use cmpp_codec::text::TextEncoding;
use serde::Serialize;
use sms_journal::{JournalError, JournalWriter};
use sms_policy::{OutgoingMessage, Policy};
use sms_records::{Carrier, Category, Event, EventKind, MessageInfo};
use sms_session::Clock;
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;

use crate::link::{IntoLink, Link, LinkError, LinkOutcome, SubmitPlan};
use crate::mapping::SubmitMeta;
use crate::pump;
use crate::registry::Registry;
use crate::stats::{Counters, SenderStats};
use crate::{lock, SendError};

/// Settings of the send path that are not the session's.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SenderConfig {
    /// Service_Id of every SUBMIT.
    pub service_id: String,
    /// Msg_src of every SUBMIT: the SP id.
    pub msg_src: String,
    /// Registered_Delivery: 1 asks for a status report (needed for the 7-second rule).
    pub registered_delivery: u8,
    /// Text encoding preference.
    pub encoding: TextEncoding,
    /// Concatenation header kind for long messages.
    pub udh: UdhRef,
    /// Prefix of generated local ids; make it unique per run (the default uses the start time).
    pub id_prefix: String,
    /// SUBMITs tracked for status-report resolution before the oldest are evicted.
    pub track_capacity: usize,
    /// Journal events in flight before the event pump waits for commits.
    pub journal_in_flight: usize,
    /// Where unsubscribe changes are appended as JSON lines (besides the policy's opt-out file).
    pub opt_out_log: Option<PathBuf>,
    /// Fault injection for crash tests: called when a status report has been received and
    /// before its journal write (e.g. to end the process there). `None` in production.
    pub before_report_commit: Option<fn()>,
    /// Fault injection for crash tests: called when an MO message has been received (and
    /// its opt-out applied) and before its journal write. `None` in production.
    pub before_inbound_commit: Option<fn()>,
    /// The carrier whose gateway this sender's client speaks to (stamped on every record).
    pub carrier: Carrier,
}

impl Default for SenderConfig {
    fn default() -> Self {
        SenderConfig {
            service_id: String::new(),
            msg_src: String::new(),
            registered_delivery: 1,
            encoding: TextEncoding::Auto,
            udh: UdhRef::Bits8,
            id_prefix: format!("{:x}-", Utc::now().timestamp_millis()),
            track_capacity: 1_000_000,
            journal_in_flight: 8192,
            opt_out_log: None,
            before_report_commit: None,
            before_inbound_commit: None,
            carrier: Carrier::ChinaMobile,
        }
    }
}

/// One message as the application hands it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OutgoingSms {
    /// Calling number (Src_Id), under the access number (clause 2.6).
    pub src: String,
    /// Destination numbers.
    pub dests: Vec<String>,
    /// Message text; long text is split into segments.
    pub text: String,
    /// Kind of message.
    #[serde(default)]
    pub category: Category,
    /// Send to all destinations in one SUBMIT (group send, at most 99) instead of one each.
    #[serde(default)]
    pub group_send: bool,
}

/// What became of one record (one destination, one segment) when `send` returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordStatus {
    /// The gateway accepted it (result 0); a status report may follow.
    Accepted {
        /// Gateway Msg_Id (22-digit text).
        msg_id: String,
    },
    /// The gateway answered with a non-zero result.
    Rejected {
        /// The result code.
        result: u32,
    },
    /// No definite answer: the session gave up.
    Failed {
        /// Why.
        reason: String,
        /// The gateway may have accepted it.
        maybe_accepted: bool,
    },
    /// Refused by the sending policy; never reached the gateway.
    Refused {
        /// Name of the check.
        check: String,
        /// Why.
        reason: String,
    },
    /// Never written to the link (client closed, or the request could not be encoded).
    NotSent {
        /// Why.
        reason: String,
    },
}

/// One record's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RecordOutcome {
    /// Journal local id of the record.
    pub local_id: String,
    /// Destination.
    pub dest: String,
    /// Segment number, from 1.
    pub segment: u8,
    /// Number of segments.
    pub segments: u8,
    /// What became of it.
    #[serde(flatten)]
    pub status: RecordStatus,
}

/// The outcome of [`Sender::send`]: one entry per record, by destination then segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SendReport {
    /// Links the records of this message.
    pub group_id: String,
    /// Every record the message became.
    pub records: Vec<RecordOutcome>,
}

pub(crate) type Waiters = Mutex<HashMap<Arc<str>, oneshot::Sender<bool>>>;

/// What the send path and its event pump share.
pub(crate) struct State {
    pub(crate) config: SenderConfig,
    pub(crate) policy: Option<Mutex<Policy>>,
    pub(crate) journal: Option<JournalWriter>,
    pub(crate) registry: Mutex<Registry>,
    pub(crate) waiters: Waiters,
    pub(crate) counters: Counters,
    pub(crate) report_signal: Notify,
    pub(crate) opt_out_log: Option<Mutex<std::fs::File>>,
}

impl State {
    pub(crate) async fn journal(&self, events: Vec<Event>) -> Result<(), JournalError> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        let results = futures::future::join_all(events.into_iter().map(|e| j.append(e))).await;
        let mut first_err = None;
        for r in results {
            if let Err(e) = r {
                Counters::bump(&self.counters.journal_errors, 1);
                tracing::error!(error = %e, "journal write failed");
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

/// The send path: checks each message against the policy, splits it, submits it through the
/// CMPP client and journals every lifecycle event; a message is reported accepted only once
/// its submit event is durable.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cmpp_session::{Account, Client, ClientConfig, InMemoryAccounts, ServerConfig};
/// use cmpp_sim::{Running, SimProfile};
/// use sms_journal::{Journal, JournalOptions, JournalWriter};
/// use sms_policy::Policy;
/// use sms_records::Category;
/// use sms_sender::{OutgoingSms, RecordStatus, Sender};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// // A gateway simulator stands in for China Mobile's ISMG.
/// let accounts = InMemoryAccounts::new();
/// accounts.insert(Account::new("900001", b"secret".to_vec()));
/// let gateway = Running::bind("127.0.0.1:0".parse()?, ServerConfig::default(),
///                             Arc::new(accounts), &SimProfile::default()).await?;
/// let client = Client::connect(
///     ClientConfig::builder(gateway.local_addr(), "900001", b"secret".to_vec()).build(),
/// ).await?;
///
/// let dir = tempfile::tempdir()?;
/// let journal = JournalWriter::spawn(Journal::open(dir.path(), JournalOptions::default())?, 1024)?;
/// let sender = Sender::builder(client).policy(Policy::new()).journal(journal).build()?;
///
/// let report = sender.send(OutgoingSms {
///     src: "121231100".into(),
///     // The second number is another carrier's: the policy refuses it, and the refusal
///     // is journaled like every other outcome.
///     dests: vec!["13800138000".into(), "13300000000".into()],
///     text: "您的验证码是123456".into(),
///     category: Category::Verification,
///     group_send: false,
/// }).await?;
/// assert!(matches!(report.records[0].status, RecordStatus::Accepted { .. }));
/// assert!(matches!(report.records[1].status, RecordStatus::Refused { .. }));
///
/// sender.close(Duration::from_secs(5)).await?;
/// gateway.shutdown().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sender {
    link: Arc<dyn Link>,
    clock: Arc<dyn Clock>,
    state: Arc<State>,
    next_group: AtomicU64,
    shutdown: watch::Sender<bool>,
    sync: mpsc::Sender<pump::Sync>,
    pump: Mutex<Option<JoinHandle<()>>>,
}

/// Builds a [`Sender`] around a connected client.
pub struct SenderBuilder {
    link: Arc<dyn Link>,
    config: SenderConfig,
    policy: Option<Policy>,
    journal: Option<JournalWriter>,
}

impl SenderBuilder {
    /// Checks every message against this policy first.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Journals every event here.
    pub fn journal(mut self, journal: JournalWriter) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Replaces the settings.
    pub fn config(mut self, config: SenderConfig) -> Self {
        self.config = config;
        self
    }

    /// Starts the event pump. Fails if the client's event stream was already taken or the
    /// opt-out log cannot be opened.
    pub fn build(self) -> Result<Sender, SendError> {
        let events = self.link.take_events().ok_or(SendError::EventsTaken)?;
        let opt_out_log = match &self.config.opt_out_log {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| SendError::OptOutLog {
                        path: path.clone(),
                        source,
                    })?,
            )),
            None => None,
        };
        let state = Arc::new(State {
            registry: Mutex::new(Registry::new(self.config.track_capacity)),
            config: self.config,
            policy: self.policy.map(Mutex::new),
            journal: self.journal,
            waiters: Mutex::new(HashMap::new()),
            counters: Counters::new(),
            report_signal: Notify::new(),
            opt_out_log,
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (sync, sync_rx) = mpsc::channel(1024);
        let pump = tokio::spawn(pump::run(state.clone(), events, sync_rx, shutdown_rx));
        Ok(Sender {
            clock: self.link.clock(),
            link: self.link,
            state,
            next_group: AtomicU64::new(1),
            shutdown,
            sync,
            pump: Mutex::new(Some(pump)),
        })
    }
}

/// One SUBMIT to make: its request and the records it stands for.
struct Planned {
    request: SubmitPlan,
    meta: Arc<SubmitMeta>,
}

impl Sender {
    /// A builder around a connected client (whose event stream the sender takes over): a
    /// `cmpp_session::Client`, or any protocol's client wrapped as a [`Link`].
    pub fn builder(client: impl IntoLink) -> SenderBuilder {
        SenderBuilder {
            link: client.into_link(),
            config: SenderConfig::default(),
            policy: None,
            journal: None,
        }
    }

    /// The underlying client.
    pub fn link(&self) -> &Arc<dyn Link> {
        &self.link
    }

    /// Running counts.
    pub fn stats(&self) -> SenderStats {
        self.state.counters.snapshot()
    }

    /// Sends one message to its destinations and returns what became of every record.
    ///
    /// Every record ends in the journal (when one is configured) in exactly one of: refused,
    /// not sent, or submitted with its response or failure; the call returns only after the
    /// journal has acknowledged them.
    pub async fn send(&self, sms: OutgoingSms) -> Result<SendReport, SendError> {
        if sms.dests.is_empty() {
            return Err(SendError::NoDestination);
        }
        if sms.group_send && sms.dests.len() > self.link.max_destinations() {
            return Err(SendError::TooManyDestinations(sms.dests.len()));
        }
        // Split once up front so that text that cannot be sent fails before anything is
        // journaled or written.
        let probe = split_text(
            &sms.text,
            self.state.config.encoding,
            self.state.config.udh,
            0,
        )
        .map_err(|e| SendError::Text(e.to_string()))?;
        let segments = probe.len() as u8;
        let n = self.next_group.fetch_add(1, Ordering::Relaxed);
        let group_id = format!("{}{n:06}", self.state.config.id_prefix);
        let now = self.clock.now_utc();

        let mut records: Vec<Option<RecordOutcome>> = Vec::new();
        let mut accepted: Vec<(usize, String)> = Vec::new();
        let mut refusals = Vec::new();
        for (di, dest) in sms.dests.iter().enumerate() {
            let slot = di * segments as usize;
            records.resize(slot + segments as usize, None);
            match self.admit(&sms, dest, now) {
                Ok(normalized) => accepted.push((di, normalized)),
                Err(refusal) => {
                    let local_id = record_id(&group_id, di, 1);
                    refusals.push(Event {
                        at: now,
                        local_id: Some(local_id.clone()),
                        kind: EventKind::Refused {
                            info: info(&sms, dest, 1, 1, &group_id, self.carrier_of(dest)),
                            check: refusal.check.as_str().to_string(),
                            reason: refusal.reason.clone(),
                        },
                    });
                    records[slot] = Some(RecordOutcome {
                        local_id,
                        dest: dest.clone(),
                        segment: 1,
                        segments: 1,
                        status: RecordStatus::Refused {
                            check: refusal.check.as_str().to_string(),
                            reason: refusal.reason,
                        },
                    });
                }
            }
        }
        // Plan before journaling anything: a SUBMIT that cannot be built fails the whole call
        // before any record exists, rather than leaving refusals without their siblings.
        let plans = self.plan(&sms, &group_id, &accepted, segments)?;
        let counters = &self.state.counters;
        Counters::bump(&counters.refused, refusals.len() as u64);
        Counters::bump(&counters.records, refusals.len() as u64);
        let refused_durable = self.state.journal(refusals);
        let submits = futures::future::join_all(plans.into_iter().map(|p| self.submit(p)));
        let (refused_durable, outcomes) = tokio::join!(refused_durable, submits);
        refused_durable.map_err(SendError::Journal)?;
        for outcome in outcomes {
            for (slot, rec) in outcome? {
                records[slot] = Some(rec);
            }
        }
        Ok(SendReport {
            group_id,
            records: records.into_iter().flatten().collect(),
        })
    }

    /// The carrier a refused destination is recorded under: the one it routes to, else
    /// this sender's.
    fn carrier_of(&self, dest: &str) -> Carrier {
        self.state
            .policy
            .as_ref()
            .and_then(|p| lock(p).route_dest(dest))
            .unwrap_or(self.state.config.carrier)
    }

    /// Runs the policy for one destination; the normalised number when it may be sent.
    fn admit(
        &self,
        sms: &OutgoingSms,
        dest: &str,
        now: DateTime<Utc>,
    ) -> Result<String, sms_policy::Refusal> {
        let Some(policy) = &self.state.policy else {
            return Ok(dest.to_string());
        };
        let msg = OutgoingMessage {
            src: sms.src.clone(),
            dest: dest.to_string(),
            category: sms.category,
            text: sms.text.clone(),
        };
        lock(policy)
            .admit(&msg, now)
            .map(|a| a.normalized_dest.to_string())
    }

    /// The SUBMITs for the admitted destinations: one per segment for a group send, else one
    /// per destination and segment, each with its own concatenation reference.
    fn plan(
        &self,
        sms: &OutgoingSms,
        group_id: &str,
        admitted: &[(usize, String)],
        segments: u8,
    ) -> Result<Vec<Planned>, SendError> {
        let cfg = &self.state.config;
        let batches: Vec<Vec<&(usize, String)>> = if sms.group_send && admitted.len() > 1 {
            vec![admitted.iter().collect()]
        } else {
            admitted.iter().map(|a| vec![a]).collect()
        };
        let mut plans = Vec::new();
        for batch in batches {
            // One allocator with the client (`Client::send_text` draws from it too), and only
            // for long messages: a single SUBMIT carries no reference. A group send shares
            // one reference, so it must be free for every destination of the batch.
            let reference = if segments > 1 {
                let dests: Vec<&str> = batch.iter().map(|(_, d)| d.as_str()).collect();
                self.link
                    .references()
                    .allocate_common(&dests, std::time::Instant::now())
                    .map_err(SendError::References)?
            } else {
                0
            };
            let parts = split_text(&sms.text, cfg.encoding, cfg.udh, reference)
                .map_err(|e| SendError::Text(e.to_string()))?;
            for seg in &parts {
                let planned = self.planned(sms, group_id, &batch, seg, segments);
                self.link
                    .validate(&planned.request)
                    .map_err(SendError::Field)?;
                plans.push(planned);
            }
        }
        Ok(plans)
    }

    fn planned(
        &self,
        sms: &OutgoingSms,
        group_id: &str,
        batch: &[&(usize, String)],
        seg: &Segment,
        segments: u8,
    ) -> Planned {
        let record_ids: Vec<String> = batch
            .iter()
            .map(|(di, _)| record_id(group_id, *di, seg.pk_number))
            .collect();
        let infos = batch
            .iter()
            .map(|(_, d)| {
                let carrier = self.state.config.carrier;
                info(sms, d, seg.pk_number, segments, group_id, carrier)
            })
            .collect();
        let submit_id = if batch.len() == 1 {
            record_ids[0].clone()
        } else {
            format!("{group_id}.g.{}", seg.pk_number)
        };
        let cfg = &self.state.config;
        let request = SubmitPlan {
            local_id: submit_id,
            src: sms.src.clone(),
            dests: batch.iter().map(|(_, d)| d.clone()).collect(),
            service_id: cfg.service_id.clone(),
            msg_src: cfg.msg_src.clone(),
            registered_delivery: cfg.registered_delivery,
            segment: seg.clone(),
        };
        Planned {
            request,
            meta: Arc::new(SubmitMeta { record_ids, infos }),
        }
    }

    /// Submits one SUBMIT and waits until its first journal event is durable; returns the
    /// records' outcomes with their slots in the report.
    async fn submit(&self, plan: Planned) -> Result<Vec<(usize, RecordOutcome)>, SendError> {
        let key: Arc<str> = Arc::from(plan.request.local_id.as_str());
        let meta = plan.meta.clone();
        // The outbox: the intent is durable before the SUBMIT can leave, so a crash between
        // the write and the `Submitted` event still leaves a record to reconcile. Concurrent
        // sends share the journal writer's batches (no transaction of its own per message).
        if self.state.journal.is_some() {
            let at = self.clock.now_utc();
            let intents = meta
                .record_ids
                .iter()
                .zip(&meta.infos)
                .map(|(id, info)| Event {
                    at,
                    local_id: Some(id.clone()),
                    kind: EventKind::Sending { info: info.clone() },
                })
                .collect();
            self.state
                .journal(intents)
                .await
                .map_err(SendError::Journal)?;
        }
        let reports = if self.state.config.registered_delivery == 1 {
            meta.record_ids.len()
        } else {
            0
        };
        lock(&self.state.registry).insert(key.clone(), meta.clone(), reports);
        let durable = self.state.journal.as_ref().map(|_| {
            let (tx, rx) = oneshot::channel();
            lock(&self.state.waiters).insert(key.clone(), tx);
            rx
        });
        let result = self.link.submit(plan.request).await;
        let was_written = match durable {
            Some(rx) => self.await_first_event(&key, rx).await?,
            None => result.as_ref().map_or_else(|e| e.written, |_| true),
        };
        if !was_written {
            // Never on the link: record the hand-over as refused by the send step so that the
            // record is complete and final, and excluded from SLA counts and billing.
            let reason = match &result {
                Err(e) => e.to_string(),
                Ok(_) => "no submit event".to_string(),
            };
            let at = self.clock.now_utc();
            let events = meta
                .record_ids
                .iter()
                .zip(&meta.infos)
                .map(|(id, info)| Event {
                    at,
                    local_id: Some(id.clone()),
                    kind: EventKind::Refused {
                        info: info.clone(),
                        check: "send".into(),
                        reason: reason.clone(),
                    },
                })
                .collect();
            self.state
                .journal(events)
                .await
                .map_err(SendError::Journal)?;
        }
        let statuses = self.account(&key, &meta, &result, was_written);
        Ok(meta
            .record_ids
            .iter()
            .zip(&meta.infos)
            .zip(statuses)
            .map(|((id, info), status)| {
                let di = dest_index(id);
                (
                    di * info.segments as usize + (info.segment as usize - 1),
                    RecordOutcome {
                        local_id: id.clone(),
                        dest: info.dest.clone(),
                        segment: info.segment,
                        segments: info.segments,
                        status,
                    },
                )
            })
            .collect())
    }

    /// After the outcome: lets the pump catch up with every event emitted before it, then
    /// waits for the SUBMIT's first event to be durable. `true` when that event says the
    /// SUBMIT was written to the link.
    async fn await_first_event(
        &self,
        key: &Arc<str>,
        rx: oneshot::Receiver<bool>,
    ) -> Result<bool, SendError> {
        // The session emits a request's lifecycle events before it answers the request, so
        // once the pump has drained the event stream, a waiter still registered means the
        // request never produced an event: it never reached the link.
        let (tx, synced) = oneshot::channel();
        self.sync
            .send(pump::Sync::Events(tx))
            .await
            .map_err(|_| SendError::JournalStopped)?;
        synced.await.map_err(|_| SendError::JournalStopped)?;
        if lock(&self.state.waiters).remove(key).is_some() {
            return Ok(false);
        }
        rx.await.map_err(|_| SendError::JournalStopped)
    }

    /// Counts the outcome and turns it into one status per record.
    fn account(
        &self,
        key: &str,
        meta: &SubmitMeta,
        result: &Result<LinkOutcome, LinkError>,
        was_written: bool,
    ) -> Vec<RecordStatus> {
        let counters = &self.state.counters;
        let k = meta.record_ids.len();
        let n = k as u64;
        Counters::bump(&counters.records, n);
        Counters::bump(&counters.submits, 1);
        match result {
            Ok(o) => {
                *lock(&counters.results).entry(o.result).or_default() += n;
                lock(&counters.response_latency).add(o.responded_at - o.written_at);
                if o.accepted {
                    Counters::bump(&counters.accepted, n);
                    (0..k)
                        .map(|i| RecordStatus::Accepted {
                            msg_id: o.ids.nth(i),
                        })
                        .collect()
                } else {
                    Counters::bump(&counters.rejected, n);
                    lock(&self.state.registry).remove(key);
                    vec![RecordStatus::Rejected { result: o.result }; k]
                }
            }
            Err(e) => {
                lock(&self.state.registry).remove(key);
                if was_written {
                    Counters::bump(&counters.failed, n);
                    let status = RecordStatus::Failed {
                        reason: e.to_string(),
                        maybe_accepted: e.maybe_accepted,
                    };
                    vec![status; k]
                } else {
                    Counters::bump(&counters.refused, n);
                    vec![
                        RecordStatus::NotSent {
                            reason: e.to_string()
                        };
                        k
                    ]
                }
            }
        }
    }

    /// Records this sender submitted that still wait for a status report. Reports for
    /// other senders or earlier runs (orphans, late reports) do not count.
    pub fn reports_outstanding(&self) -> u64 {
        let s = &self.state.counters;
        let expected = if self.state.config.registered_delivery == 1 {
            s.accepted.load(Ordering::Relaxed)
        } else {
            0
        };
        expected.saturating_sub(s.own_reports.load(Ordering::Relaxed))
    }

    /// Waits until every record this sender had accepted has its status report, or
    /// `timeout` passes. Returns the number still outstanding.
    pub async fn wait_for_reports(&self, timeout: Duration) -> u64 {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.state.report_signal.notified();
            let left = self.reports_outstanding();
            if left == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.reports_outstanding();
            }
        }
    }

    /// Closes the client gracefully (in-flight requests get until `deadline`), journals what
    /// is left, and saves the policy's rate state.
    pub async fn close(&self, deadline: Duration) -> Result<(), SendError> {
        // Reports and MO messages already received are journaled and answered while the link
        // is still up: closing first would drop their answers, and the gateway would send
        // them again next time.
        let (tx, flushed) = oneshot::channel();
        if self.sync.send(pump::Sync::Flush(tx)).await.is_ok() {
            let _ = tokio::time::timeout(deadline.max(Duration::from_secs(1)), flushed).await;
        }
        self.link.close(deadline).await;
        let _ = self.shutdown.send(true);
        let pump = lock(&self.pump).take();
        if let Some(p) = pump {
            let _ = p.await;
        }
        if let Some(policy) = &self.state.policy {
            lock(policy).save_state().map_err(SendError::Policy)?;
        }
        Ok(())
    }
}

/// `{group}.{destination number from 1}.{segment}`.
fn record_id(group_id: &str, dest_index: usize, segment: u8) -> String {
    format!("{group_id}.{}.{segment}", dest_index + 1)
}

/// The destination index encoded in a record id.
fn dest_index(record_id: &str) -> usize {
    record_id
        .rsplit('.')
        .nth(1)
        .and_then(|d| d.parse::<usize>().ok())
        .map_or(0, |d| d.saturating_sub(1))
}

fn info(
    sms: &OutgoingSms,
    dest: &str,
    segment: u8,
    segments: u8,
    group_id: &str,
    carrier: Carrier,
) -> MessageInfo {
    MessageInfo {
        src: sms.src.clone(),
        dest: dest.to_string(),
        category: sms.category,
        segment,
        segments,
        group_id: Some(group_id.to_string()),
        carrier,
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Sender>();
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("stats", &self.stats())
            .finish()
    }
}

/// Appends an unsubscribe change to the opt-out log; false when it could not be made durable.
pub(crate) fn log_opt_out(state: &State, line: &str) -> bool {
    if let Some(file) = &state.opt_out_log {
        let mut f = lock(file);
        if let Err(e) = writeln!(f, "{line}").and_then(|_| f.sync_data()) {
            tracing::error!(error = %e, "cannot append to the opt-out log");
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_encode_destination_and_segment() {
        assert_eq!(record_id("abc-000001", 0, 1), "abc-000001.1.1");
        assert_eq!(dest_index("abc-000001.3.2"), 2);
        assert_eq!(dest_index("x.y.12.1"), 11);
    }
}
