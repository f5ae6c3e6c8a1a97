//! The SGIP 1.2 gateway (SMG) simulator: the CMPP simulator's decisions
//! ([`SimProfile`], [`SimCore`], [`ReportQueue`]) spoken in SGIP through `sgip-session`'s
//! gateway role. Submits arrive on the MT links SPs open; reports and MO messages are pushed
//! over the MO link the simulator opens to the SP's listener (`--deliver-to`), re-sent until
//! the SP answers. The CMPP → SGIP code translation is the table in [`map`].

pub mod map;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use cmpp_codec::MsgId;
use cmpp_session::{Clock, SystemClock};
use sgip_codec::{Pdu, SequenceNumber, Submit};
use sgip_session::{PeerInfo, Server, ServerConfig, ServerHandle, SubmitDecision, SubmitHandler};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::core::{Answer, SimCore, SimStats};
use crate::ids::beijing;
use crate::profile::{ProfileError, SimProfile};
use crate::schedule::{ReportJob, ReportQueue};
use crate::RunError;

/// How long a report whose push failed waits before the next try.
const REQUEUE_DELAY: Duration = Duration::from_millis(100);

struct State {
    core: SimCore,
    queue: ReportQueue,
    /// The Submit each queued report names, by the report's own (unique) DELIVER Msg_Id.
    submits: HashMap<MsgId, SequenceNumber>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The simulated SMG's behaviour, shared by every link.
pub struct SgipSimulator {
    state: Mutex<State>,
    start: Instant,
    clock: Arc<dyn Clock>,
    retention: Duration,
    wake: Notify,
    restart_pending: AtomicBool,
    handle: OnceLock<ServerHandle>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for SgipSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SgipSimulator")
            .field("stats", &self.stats())
            .finish()
    }
}

impl SgipSimulator {
    /// A simulator reading wall time from `clock`. Call inside a tokio runtime.
    pub fn new(profile: &SimProfile, clock: Arc<dyn Clock>) -> Result<Arc<Self>, ProfileError> {
        Ok(Arc::new(SgipSimulator {
            state: Mutex::new(State {
                core: SimCore::new(profile)?,
                queue: ReportQueue::new(profile.report.max_pending),
                submits: HashMap::new(),
            }),
            start: Instant::now(),
            clock,
            retention: profile.retention(),
            wake: Notify::new(),
            restart_pending: AtomicBool::new(false),
            handle: OnceLock::new(),
            stop: watch::channel(false).0,
        }))
    }

    /// Counters so far (`by_result` keyed by the profile's CMPP codes).
    pub fn stats(&self) -> SimStats {
        lock(&self.state).core.stats().clone()
    }

    /// Reports waiting for their time (or for the SP's listener).
    pub fn pending_reports(&self) -> usize {
        lock(&self.state).queue.len()
    }

    fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.start)
    }

    fn wall(&self) -> DateTime<FixedOffset> {
        self.clock.now_utc().with_timezone(&beijing())
    }

    /// Starts the report scheduler and MO traffic on `handle`.
    fn start(self: &Arc<Self>, handle: ServerHandle) -> Vec<JoinHandle<()>> {
        if self.handle.set(handle).is_err() {
            return Vec::new();
        }
        let mut tasks = vec![tokio::spawn(self.clone().report_loop())];
        let interval = lock(&self.state).core.mo_interval();
        if let Some(every) = interval {
            tasks.push(tokio::spawn(self.clone().mo_loop(every)));
        }
        tasks
    }

    async fn report_loop(self: Arc<Self>) {
        let Some(handle) = self.handle.get().cloned() else {
            return;
        };
        let mut stop = self.stop.subscribe();
        loop {
            let wake_at = {
                let st = lock(&self.state);
                match (st.queue.next_due(), st.core.next_restart_at()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            };
            let sleep = async {
                match wake_at {
                    Some(d) => tokio::time::sleep_until(self.start + d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => {}
                _ = self.wake.notified() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let now = self.elapsed();
            let (due, restart) = {
                let mut st = lock(&self.state);
                let timed = st.core.poll_restart(now);
                if timed == Some(true) {
                    let lost = st.queue.take_all().len() as u64;
                    st.submits.clear();
                    st.core.stats_mut().reports_lost += lost;
                }
                (st.queue.pop_due(now), timed.is_some())
            };
            if restart || self.restart_pending.swap(false, Ordering::AcqRel) {
                tracing::info!("simulated restart: dropping every SGIP link");
                handle.drop_links();
            }
            for job in due {
                tokio::spawn(self.clone().push_report(handle.clone(), job));
            }
        }
    }

    /// Pushes one report until the SP answers, re-queueing it while it may still be
    /// delivered (at least once).
    async fn push_report(self: Arc<Self>, handle: ServerHandle, job: ReportJob) {
        let seq = lock(&self.state).submits.get(&job.deliver.msg_id).copied();
        let (Some(seq), Some(report)) = (seq, seq.and_then(|s| map::report(&job.deliver, s)))
        else {
            return;
        };
        let result = handle.push(Pdu::Report(report)).await;
        let now = self.elapsed();
        let mut st = lock(&self.state);
        match result {
            Ok(_) => {
                st.submits.remove(&job.deliver.msg_id);
                if let Some(r) = job.deliver.report() {
                    let text = r.stat.text().into_owned();
                    *st.core.stats_mut().reports_by_stat.entry(text).or_default() += 1;
                }
            }
            Err(e) if now < job.expires => {
                tracing::debug!(error = %e, "report push failed; trying again");
                if let Err(job) = st.queue.push(now + REQUEUE_DELAY, job) {
                    st.submits.remove(&job.deliver.msg_id);
                    st.core.stats_mut().reports_lost += 1;
                } else {
                    drop(st);
                    self.wake.notify_one();
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, submit = %seq, "status report given up");
                st.submits.remove(&job.deliver.msg_id);
                st.core.stats_mut().reports_lost += 1;
            }
        }
    }

    async fn mo_loop(self: Arc<Self>, every: Duration) {
        let Some(handle) = self.handle.get().cloned() else {
            return;
        };
        let mut stop = self.stop.subscribe();
        let mut tick = tokio::time::interval_at(self.start + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            let wall = self.wall();
            let parts: Vec<_> = lock(&self.state)
                .core
                .next_mo(wall)
                .iter()
                .filter_map(map::mo)
                .collect();
            let sim = self.clone();
            let handle = handle.clone();
            // Segments in order, each until answered; the next tick does not wait.
            tokio::spawn(async move {
                let mut sent = 0;
                for d in parts {
                    match handle.push(Pdu::Deliver(d)).await {
                        Ok(_) => sent += 1,
                        Err(e) => {
                            tracing::warn!(error = %e, "MO message dropped");
                            break;
                        }
                    }
                }
                lock(&sim.state).core.stats_mut().mo_sent += sent;
            });
        }
    }
}

impl SubmitHandler for SgipSimulator {
    fn on_submit(&self, peer: &PeerInfo, seq: SequenceNumber, submit: &Submit) -> SubmitDecision {
        let now = self.elapsed();
        let wall = self.wall();
        let mut st = lock(&self.state);
        let decision = st.core.on_submit(now, wall, &map::as_cmpp_submit(submit));
        match decision.answer {
            Answer::Respond { result, delay, .. } => {
                let before = st.queue.next_due();
                let mut earliest = None::<Duration>;
                let sp: Arc<str> = Arc::from(peer.login_name.as_str());
                for r in decision.reports {
                    let Some(stat) = r.deliver.report().map(|x| x.stat) else {
                        continue;
                    };
                    // ReportFlag 0: only failures are reported (quirk 3).
                    if !map::wants_report(submit.report_flag, map::report_state(stat).0) {
                        let stats = st.core.stats_mut();
                        stats.reports_scheduled = stats.reports_scheduled.saturating_sub(1);
                        continue;
                    }
                    // A late answer comes first; its reports follow it.
                    let due = now + delay + r.delay;
                    earliest = Some(earliest.map_or(due, |e| e.min(due)));
                    let key = r.deliver.msg_id;
                    let job = ReportJob {
                        sp_id: sp.clone(),
                        deliver: r.deliver,
                        expires: due + self.retention,
                        day: 0,
                    };
                    if st.queue.push(due, job).is_err() {
                        st.core.stats_mut().reports_lost += 1;
                        tracing::warn!("report queue full: status report dropped");
                    } else {
                        st.submits.insert(key, seq);
                    }
                }
                drop(st);
                if earliest.is_some() && (before.is_none() || earliest < before) {
                    self.wake.notify_one();
                }
                let result = map::submit_result(result);
                if delay.is_zero() {
                    SubmitDecision::Respond(result)
                } else {
                    SubmitDecision::RespondAfter { delay, result }
                }
            }
            Answer::Ignore => SubmitDecision::Ignore,
            Answer::DropLink => SubmitDecision::DropLink,
            Answer::Restart { lose_reports } => {
                if lose_reports {
                    let lost = st.queue.take_all().len() as u64;
                    st.submits.clear();
                    st.core.stats_mut().reports_lost += lost;
                }
                drop(st);
                self.restart_pending.store(true, Ordering::Release);
                self.wake.notify_one();
                SubmitDecision::DropLink
            }
        }
    }

    fn on_connect(&self, peer: &PeerInfo) {
        tracing::info!(id = peer.id, sp = %peer.login_name, addr = %peer.addr, "SP bound the SGIP MT link");
    }

    fn on_disconnect(&self, peer: &PeerInfo) {
        tracing::info!(id = peer.id, sp = %peer.login_name, "SGIP MT link closed");
    }
}

/// A bound SGIP gateway with its simulator and background tasks.
pub struct Running {
    /// The simulator (stats, pending reports).
    pub sim: Arc<SgipSimulator>,
    server: Server,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.local_addr())
            .field("sim", &self.sim)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Binds `addr` and serves with `profile`: accounts and the SP listener to push to
    /// (`--deliver-to`) come from `config`.
    pub async fn bind(
        addr: SocketAddr,
        config: ServerConfig,
        profile: &SimProfile,
    ) -> Result<Running, RunError> {
        Self::bind_with_clock(addr, config, profile, Arc::new(SystemClock)).await
    }

    /// As [`Running::bind`], reading wall time (sequence numbers, MO timing) from `clock`.
    pub async fn bind_with_clock(
        addr: SocketAddr,
        mut config: ServerConfig,
        profile: &SimProfile,
        clock: Arc<dyn Clock>,
    ) -> Result<Running, RunError> {
        let sim = SgipSimulator::new(profile, clock.clone())?;
        config.clock = clock;
        let server = Server::bind(addr, config, sim.clone())
            .await
            .map_err(|source| RunError::Bind { addr, source })?;
        let tasks = sim.start(server.handle());
        Ok(Running { sim, server, tasks })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The server handle (pushes, link control).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.sim.stats()
    }

    /// Stops the simulator tasks and shuts the server down (Unbind on every link).
    pub async fn shutdown(self) {
        self.sim.stop.send_replace(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.server.shutdown().await;
    }
}
