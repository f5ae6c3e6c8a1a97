//! [`Simulator`]: the gateway handler that applies a [`SimProfile`] to a running
//! `cmpp-session` server, with one scheduler task for every status report.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset};
use cmpp_codec::{Cancel, CancelResp, Deliver, DeliverContent, Query, QueryResp, Submit};
use cmpp_session::{
    AccountStore, Clock, ConnectionInfo, DeliverError, GatewayHandler, Server, ServerConfig,
    ServerHandle, SubmitDecision, SystemClock,
};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::core::{Answer, SimCore, SimStats};
use crate::counts::{parse_day, Counters, DayCounts};
use crate::ids::beijing;
use crate::profile::{ProfileError, SimProfile};
use crate::schedule::{ReportJob, ReportQueue};

/// How long a report refused by a full deliver queue waits before the next try.
const REQUEUE_DELAY: Duration = Duration::from_millis(100);

struct State {
    core: SimCore,
    queue: ReportQueue,
    counts: DayCounts,
}

impl State {
    /// Counts a report that leaves the queue: sent (`Some(delivered)`) or given up.
    fn settle(&mut self, job: &ReportJob, delivered: Option<bool>) {
        let svc = job.deliver.service_id.to_str_lossy();
        let row = self.counts.row(&job.sp_id, job.day, &svc);
        row.mt_wt = row.mt_wt.saturating_sub(1);
        if delivered == Some(true) {
            row.mt_scs += 1;
        } else {
            row.mt_fl += 1;
        }
    }

    /// Drops every waiting report (a simulated restart); returns how many.
    fn lose_all(&mut self) -> u64 {
        let jobs = self.queue.take_all();
        for j in &jobs {
            self.settle(j, None);
        }
        jobs.len() as u64
    }
}

/// YYYYMMDD of a Beijing time.
fn day_of(t: DateTime<FixedOffset>) -> u32 {
    let y = u32::try_from(t.year()).unwrap_or(0);
    y * 10_000 + t.month() * 100 + t.day()
}

/// The simulated gateway's behaviour, shared by every connection.
pub struct Simulator {
    state: Mutex<State>,
    start: Instant,
    clock: Arc<dyn Clock>,
    retention: Duration,
    wake: Notify,
    restart_pending: AtomicBool,
    handle: OnceLock<ServerHandle>,
    /// Logged-in connections (id, SP_Id), for MO traffic.
    conns: Mutex<Vec<(u64, Arc<str>)>>,
    mo_turn: AtomicUsize,
    stop: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking task must not wedge the gateway.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Simulator {
    /// A simulator on the system clock. Call inside a tokio runtime (it notes the start time).
    pub fn new(profile: &SimProfile) -> Result<Arc<Self>, ProfileError> {
        Self::with_clock(profile, Arc::new(SystemClock))
    }

    /// A simulator reading wall time (for Msg_Ids and report times) from `clock`.
    pub fn with_clock(
        profile: &SimProfile,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, ProfileError> {
        let core = SimCore::new(profile)?;
        Ok(Arc::new(Simulator {
            state: Mutex::new(State {
                core,
                queue: ReportQueue::new(profile.report.max_pending),
                counts: DayCounts::new(),
            }),
            start: Instant::now(),
            clock,
            retention: profile.retention(),
            wake: Notify::new(),
            restart_pending: AtomicBool::new(false),
            handle: OnceLock::new(),
            conns: Mutex::new(Vec::new()),
            mo_turn: AtomicUsize::new(0),
            stop: watch::channel(false).0,
        }))
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        lock(&self.state).core.stats().clone()
    }

    /// Reports waiting for their time.
    pub fn pending_reports(&self) -> usize {
        lock(&self.state).queue.len()
    }

    fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.start)
    }

    fn wall(&self) -> DateTime<FixedOffset> {
        self.clock.now_utc().with_timezone(&beijing())
    }

    /// Starts the report scheduler and MO traffic on `handle`. Call once, inside the runtime.
    pub fn start(self: &Arc<Self>, handle: ServerHandle) -> Vec<JoinHandle<()>> {
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

    /// Stops the background tasks started by [`Simulator::start`].
    pub fn stop(&self) {
        self.stop.send_replace(true);
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
                    let lost = st.lose_all();
                    st.core.stats_mut().reports_lost += lost;
                }
                (st.queue.pop_due(now), timed.is_some())
            };
            if restart || self.restart_pending.swap(false, Ordering::AcqRel) {
                tracing::info!("simulated restart: dropping every connection");
                handle.drop_connections(None);
            }
            if !due.is_empty() {
                self.hand_over(&handle, due, now);
            }
        }
    }

    /// Gives due reports to the server; re-queues those refused by a full queue.
    fn hand_over(&self, handle: &ServerHandle, due: Vec<ReportJob>, now: Duration) {
        let mut delivered: Vec<[u8; 7]> = Vec::with_capacity(due.len());
        let mut settled: Vec<(ReportJob, Option<bool>)> = Vec::new();
        let mut retry = Vec::new();
        let mut lost = 0u64;
        for job in due {
            let stat = job.deliver.report().map(|r| r.stat.raw());
            match handle.deliver(&job.sp_id, job.deliver.clone()) {
                Ok(()) => {
                    let ok = stat.is_some_and(|s| &s == b"DELIVRD");
                    delivered.extend(stat);
                    settled.push((job, Some(ok)));
                }
                Err(DeliverError::QueueFull { .. }) if now < job.expires => retry.push(job),
                Err(e) => {
                    tracing::warn!(sp_id = %job.sp_id, error = %e, "status report dropped");
                    lost += 1;
                    settled.push((job, None));
                }
            }
        }
        let mut st = lock(&self.state);
        for (job, outcome) in &settled {
            st.settle(job, *outcome);
        }
        for job in retry {
            if let Err(job) = st.queue.push(now + REQUEUE_DELAY, job) {
                lost += 1;
                st.settle(&job, None);
            }
        }
        let stats = st.core.stats_mut();
        stats.reports_lost += lost;
        for raw in delivered {
            let text = cmpp_codec::Stat::from_raw(raw).text().into_owned();
            *stats.reports_by_stat.entry(text).or_default() += 1;
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
            let target = {
                let conns = lock(&self.conns);
                if conns.is_empty() {
                    continue;
                }
                let i = self.mo_turn.fetch_add(1, Ordering::Relaxed) % conns.len();
                conns[i].1.clone()
            };
            let wall = self.wall();
            let parts: Vec<Deliver> = lock(&self.state).core.next_mo(wall);
            let (mut sent, mut failed) = (0, 0);
            for d in parts {
                match handle.deliver(&target, d) {
                    Ok(()) => sent += 1,
                    Err(e) => {
                        failed += 1;
                        tracing::warn!(sp_id = %target, error = %e, "MO message dropped");
                    }
                }
            }
            let mut st = lock(&self.state);
            st.core.stats_mut().mo_sent += sent;
            let row = st.counts.row(&target, day_of(wall), "");
            row.mo_scs += sent as u32;
            row.mo_fl += failed;
        }
    }
}

impl GatewayHandler for Simulator {
    fn on_submit(
        &self,
        conn: &ConnectionInfo,
        _sequence_id: u32,
        submit: &Submit,
    ) -> SubmitDecision {
        let now = self.elapsed();
        let wall = self.wall();
        let mut st = lock(&self.state);
        let decision = st.core.on_submit(now, wall, submit);
        let day = day_of(wall);
        let users = submit.dest_terminal_ids.len() as u32;
        {
            let svc = submit.service_id.to_str_lossy();
            let row = st.counts.row(&conn.sp_id, day, &svc);
            row.mt_tl_msg += 1;
            row.mt_tl_usr += users;
            match decision.answer {
                Answer::Respond { result: 0, .. } if !decision.reports.is_empty() => {
                    row.mt_wt += decision.reports.len() as u32;
                }
                Answer::Respond { result: 0, .. } => row.mt_scs += users,
                Answer::Respond { .. } => row.mt_fl += users,
                _ => {}
            }
        }
        match decision.answer {
            Answer::Respond {
                msg_id,
                result,
                delay,
            } => {
                if !decision.reports.is_empty() {
                    let before = st.queue.next_due();
                    let sp: Arc<str> = Arc::from(conn.sp_id.as_str());
                    let mut earliest = None::<Duration>;
                    let mut lost = 0;
                    for r in decision.reports {
                        // A late answer comes first; its reports follow it.
                        let due = now + delay + r.delay;
                        earliest = Some(earliest.map_or(due, |e| e.min(due)));
                        let job = ReportJob {
                            sp_id: sp.clone(),
                            deliver: r.deliver,
                            expires: due + self.retention,
                            day,
                        };
                        if let Err(job) = st.queue.push(due, job) {
                            lost += 1;
                            st.settle(&job, None);
                        }
                    }
                    st.core.stats_mut().reports_lost += lost;
                    if lost > 0 {
                        tracing::warn!(lost, "report queue full: status reports dropped");
                    }
                    drop(st);
                    if before.is_none() || earliest < before {
                        self.wake.notify_one();
                    }
                }
                if delay.is_zero() {
                    SubmitDecision::Respond { msg_id, result }
                } else {
                    SubmitDecision::RespondAfter {
                        delay,
                        msg_id,
                        result,
                    }
                }
            }
            Answer::Ignore => SubmitDecision::Ignore,
            Answer::DropLink => SubmitDecision::DropLink,
            Answer::Restart { lose_reports } => {
                if lose_reports {
                    let lost = st.lose_all();
                    st.core.stats_mut().reports_lost += lost;
                }
                drop(st);
                // The server may hold its own locks while calling us: the scheduler task
                // drops the other connections.
                self.restart_pending.store(true, Ordering::Release);
                self.wake.notify_one();
                SubmitDecision::DropLink
            }
        }
    }

    /// The day's real counts for the SP (Beijing date in Time; per Service_Id when
    /// Query_Type is 1). An unreadable Time gets all zeros.
    fn on_query(&self, conn: &ConnectionInfo, query: &Query) -> QueryResp {
        let c = match parse_day(query.time.as_bytes()) {
            Some(day) => {
                let svc = query.query_code.to_str_lossy();
                let service = (query.query_type == 1).then_some(svc.as_ref());
                lock(&self.state).counts.query(&conn.sp_id, day, service)
            }
            None => Counters::default(),
        };
        QueryResp {
            time: query.time,
            query_type: query.query_type,
            query_code: query.query_code,
            mt_tl_msg: c.mt_tl_msg,
            mt_tl_usr: c.mt_tl_usr,
            mt_scs: c.mt_scs,
            mt_wt: c.mt_wt,
            mt_fl: c.mt_fl,
            mo_scs: c.mo_scs,
            mo_wt: c.mo_wt,
            mo_fl: c.mo_fl,
        }
    }

    /// Cancels a message of this SP whose report has not been sent yet (Success_Id 0; the
    /// report is then never sent); anything else is Success_Id 1.
    fn on_cancel(&self, conn: &ConnectionInfo, cancel: &Cancel) -> CancelResp {
        let mut st = lock(&self.state);
        let gone = st.queue.remove_where(|j| {
            &*j.sp_id == conn.sp_id.as_str()
                && matches!(&j.deliver.content, DeliverContent::Report(r) if r.msg_id == cancel.msg_id)
        });
        for job in &gone {
            st.settle(job, None);
        }
        CancelResp {
            success_id: u32::from(gone.is_empty()),
        }
    }

    fn on_connect(&self, conn: &ConnectionInfo) {
        tracing::info!(id = conn.id, sp_id = %conn.sp_id, peer = %conn.peer, version = %conn.version, "SP logged in");
        lock(&self.conns).push((conn.id, Arc::from(conn.sp_id.as_str())));
    }

    fn on_disconnect(&self, conn: &ConnectionInfo, reason: &str) {
        tracing::info!(id = conn.id, sp_id = %conn.sp_id, reason, "SP connection closed");
        lock(&self.conns).retain(|(id, _)| *id != conn.id);
    }
}

/// A bound server with its simulator and background tasks.
pub struct Running {
    /// The simulator (stats, pending reports).
    pub sim: Arc<Simulator>,
    server: Server,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Binds `addr` and starts serving with `profile`; `config.gateway_code` is taken from
    /// the profile.
    pub async fn bind(
        addr: SocketAddr,
        config: ServerConfig,
        accounts: Arc<dyn AccountStore>,
        profile: &SimProfile,
    ) -> Result<Running, RunError> {
        Self::bind_with_clock(addr, config, accounts, profile, Arc::new(SystemClock)).await
    }

    /// As [`Running::bind`], reading wall time (Msg_Ids, report times, login timestamps,
    /// QUERY days) from `clock`. The profile's `submit.strict = false` relaxes the
    /// gateway's SUBMIT checks.
    pub async fn bind_with_clock(
        addr: SocketAddr,
        mut config: ServerConfig,
        accounts: Arc<dyn AccountStore>,
        profile: &SimProfile,
        clock: Arc<dyn Clock>,
    ) -> Result<Running, RunError> {
        let sim = Simulator::with_clock(profile, clock.clone())?;
        config.gateway_code = profile.gateway_code;
        if !profile.submit.strict {
            config.submit_checks = cmpp_session::proto::SubmitChecks::lenient();
        }
        let server = Server::bind_with_clock(addr, config, accounts, sim.clone(), clock)
            .await
            .map_err(|source| RunError::Bind { addr, source })?;
        let tasks = sim.start(server.handle());
        Ok(Running { sim, server, tasks })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The server handle.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Stops the simulator tasks and shuts the server down (TERMINATE on every link).
    pub async fn shutdown(self) {
        self.sim.stop();
        for t in self.tasks {
            let _ = t.await;
        }
        self.server.shutdown().await;
    }
}

/// Errors starting a simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The profile is invalid.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Requested address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}
