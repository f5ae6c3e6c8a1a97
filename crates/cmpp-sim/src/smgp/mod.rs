//! The simulator as an SMGP 3.0 gateway: the same decisions ([`SimCore`]: result mix,
//! report delays and Stat mix, faults, MO traffic; [`ReportQueue`]) served by
//! `smgp-session`'s gateway role, with CMPP's codes mapped to SMGP's by the one table in
//! [`map`].
//!
//! MsgIDs are SMGP's own (BCD: gateway code, receive time, a 6-digit sequence; recipient k of
//! a group send is the first id's sequence + k), so reports name them as SMGP clients expect.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use cmpp_session::Clock;
use smgp_codec::{MsgId, Submit};
use smgp_session::{
    Accounts, ConnInfo, DeliverError, Handler, Server, ServerConfig, ServerHandle, SubmitDecision,
};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::core::{Answer, SimCore, SimStats};
use crate::ids::beijing;
use crate::profile::{ProfileError, SimProfile};
use crate::schedule::{ReportJob, ReportQueue};
use crate::sim::RunError;

pub mod map;

/// How long a report refused by a full outbox waits before the next try.
const REQUEUE_DELAY: Duration = Duration::from_millis(100);

/// SMGP MsgIDs: `from_parts(gateway code, Beijing receive time, sequence)`, the sequence
/// +1 per id (+n for a group send of n) modulo 1,000,000.
#[derive(Debug)]
struct SmgpIds {
    smgw_code: u32,
    seq: u32,
}

impl SmgpIds {
    fn next(&mut self, wall: DateTime<FixedOffset>, n: u32) -> MsgId {
        let id = MsgId::from_parts(self.smgw_code, wall, self.seq).unwrap_or_default();
        self.seq = (self.seq + n.max(1)) % 1_000_000;
        id
    }
}

struct State {
    core: SimCore,
    queue: ReportQueue,
    ids: SmgpIds,
    /// The SMGP id each planned report names, by the CMPP id the core gave it.
    reported: HashMap<cmpp_codec::MsgId, MsgId>,
}

impl State {
    fn lose_all(&mut self) -> u64 {
        let lost = self.queue.take_all().len() as u64;
        self.reported.clear();
        lost
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking task must not wedge the gateway.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The simulated SMGP gateway's behaviour, shared by every connection.
pub struct SmgpSimulator {
    state: Mutex<State>,
    start: Instant,
    clock: Arc<dyn Clock>,
    retention: Duration,
    wake: Notify,
    handle: OnceLock<ServerHandle>,
    /// Logged-in connections that take pushes (id, account), for MO traffic.
    receivers: Mutex<Vec<(u64, Arc<str>)>>,
    mo_turn: AtomicUsize,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for SmgpSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmgpSimulator")
            .field("stats", &self.stats())
            .finish()
    }
}

impl SmgpSimulator {
    /// A simulator reading wall time (MsgIDs, report times) from `clock`. Call inside a
    /// tokio runtime (it notes the start time).
    pub fn new(profile: &SimProfile, clock: Arc<dyn Clock>) -> Result<Arc<Self>, ProfileError> {
        let core = SimCore::new(profile)?;
        Ok(Arc::new(SmgpSimulator {
            state: Mutex::new(State {
                core,
                queue: ReportQueue::new(profile.report.max_pending),
                ids: SmgpIds {
                    smgw_code: profile.gateway_code % 1_000_000,
                    seq: 0,
                },
                reported: HashMap::new(),
            }),
            start: Instant::now(),
            clock,
            retention: profile.retention(),
            wake: Notify::new(),
            handle: OnceLock::new(),
            receivers: Mutex::new(Vec::new()),
            mo_turn: AtomicUsize::new(0),
            stop: watch::channel(false).0,
        }))
    }

    /// Counters so far (Result codes as CMPP's, before the mapping).
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

    /// Starts the report scheduler and MO traffic on `handle`. Call once.
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

    /// Stops the background tasks.
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
            if restart {
                tracing::info!("simulated restart: dropping every SMGP connection");
                handle.drop_connections(None);
            }
            if !due.is_empty() {
                self.hand_over(&handle, due, now);
            }
        }
    }

    /// Gives due reports to the server as SMGP Delivers; re-queues those refused by a full
    /// outbox until they expire.
    fn hand_over(&self, handle: &ServerHandle, due: Vec<ReportJob>, now: Duration) {
        let wall = self.wall();
        let mut st = lock(&self.state);
        for job in due {
            let Some((key, stat)) = job
                .deliver
                .report()
                .map(|r| (r.msg_id, r.stat.text().into_owned()))
            else {
                continue;
            };
            let Some(&reported) = st.reported.get(&key) else {
                continue;
            };
            let own = st.ids.next(wall, 1);
            let Some(deliver) = map::report_deliver(&job.deliver, reported, own, wall) else {
                continue;
            };
            match handle.deliver(&job.sp_id, deliver) {
                Ok(()) => {
                    st.reported.remove(&key);
                    *st.core.stats_mut().reports_by_stat.entry(stat).or_default() += 1;
                }
                Err(DeliverError::QueueFull { .. }) if now < job.expires => {
                    if st.queue.push(now + REQUEUE_DELAY, job).is_err() {
                        st.reported.remove(&key);
                        st.core.stats_mut().reports_lost += 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(sp_id = %job.sp_id, error = %e, "status report dropped");
                    st.reported.remove(&key);
                    st.core.stats_mut().reports_lost += 1;
                }
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
            let target = {
                let r = lock(&self.receivers);
                if r.is_empty() {
                    continue;
                }
                r[self.mo_turn.fetch_add(1, Ordering::Relaxed) % r.len()]
                    .1
                    .clone()
            };
            let wall = self.wall();
            let mut st = lock(&self.state);
            let parts = st.core.next_mo(wall);
            for planned in parts {
                let own = st.ids.next(wall, 1);
                let Some(d) = map::mo_deliver(&planned, own, wall) else {
                    continue;
                };
                match handle.deliver(&target, d) {
                    Ok(()) => st.core.stats_mut().mo_sent += 1,
                    Err(e) => tracing::warn!(sp_id = %target, error = %e, "MO message dropped"),
                }
            }
        }
    }
}

impl Handler for SmgpSimulator {
    fn on_submit(&self, conn: &ConnInfo, submit: &Submit) -> SubmitDecision {
        let now = self.elapsed();
        let wall = self.wall();
        let cmpp = map::to_cmpp_submit(submit);
        let mut st = lock(&self.state);
        let decision = st.core.on_submit(now, wall, &cmpp);
        match decision.answer {
            Answer::Respond { result, delay, .. } => {
                let recipients = submit.dest_term_ids.len() as u32;
                let msg_id = st.ids.next(wall, recipients);
                let status = map::status_of(result);
                if !decision.reports.is_empty() {
                    let before = st.queue.next_due();
                    let day = wall.format("%Y%m%d").to_string().parse().unwrap_or(0);
                    let mut lost = 0;
                    for (k, r) in decision.reports.into_iter().enumerate() {
                        if let Some(planned) = r.deliver.report() {
                            let id = msg_id.nth_recipient(k as u32).unwrap_or(msg_id);
                            st.reported.insert(planned.msg_id, id);
                        }
                        // A late answer comes first; its reports follow it.
                        let due = now + delay + r.delay;
                        let job = ReportJob {
                            sp_id: conn.client_id.clone(),
                            deliver: r.deliver,
                            expires: due + self.retention,
                            day,
                        };
                        if let Err(job) = st.queue.push(due, job) {
                            if let Some(p) = job.deliver.report() {
                                st.reported.remove(&p.msg_id);
                            }
                            lost += 1;
                        }
                    }
                    st.core.stats_mut().reports_lost += lost;
                    if before.is_none() || st.queue.next_due() < before {
                        self.wake.notify_one();
                    }
                }
                let msg_id = if status.is_ok() {
                    msg_id
                } else {
                    MsgId::default()
                };
                if delay.is_zero() {
                    SubmitDecision::Respond { msg_id, status }
                } else {
                    SubmitDecision::RespondAfter {
                        delay,
                        msg_id,
                        status,
                    }
                }
            }
            Answer::Ignore => SubmitDecision::Ignore,
            Answer::DropLink => SubmitDecision::Close,
            Answer::Restart { lose_reports } => {
                if lose_reports {
                    let lost = st.lose_all();
                    st.core.stats_mut().reports_lost += lost;
                }
                drop(st);
                if let Some(h) = self.handle.get() {
                    h.drop_connections(None);
                }
                SubmitDecision::Close
            }
        }
    }

    fn on_connect(&self, conn: &ConnInfo) {
        tracing::info!(id = conn.id, client_id = %conn.client_id, peer = %conn.peer, mode = ?conn.mode, "SP logged in (SMGP)");
        if conn.mode.receives() {
            lock(&self.receivers).push((conn.id, conn.client_id.clone()));
        }
    }

    fn on_disconnect(&self, conn: &ConnInfo, reason: &str) {
        tracing::info!(id = conn.id, client_id = %conn.client_id, reason, "SP connection closed (SMGP)");
        lock(&self.receivers).retain(|(id, _)| *id != conn.id);
    }
}

/// A bound SMGP gateway with its simulator and background tasks.
pub struct Running {
    /// The simulator (stats, pending reports).
    pub sim: Arc<SmgpSimulator>,
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
    /// Binds `addr` and serves `accounts` over SMGP with `profile`'s behaviour.
    pub async fn bind(
        addr: SocketAddr,
        config: ServerConfig,
        accounts: Accounts,
        profile: &SimProfile,
    ) -> Result<Running, RunError> {
        let sim = SmgpSimulator::new(profile, config.clock.clone())?;
        let server = Server::bind(addr, config, accounts, sim.clone())
            .await
            .map_err(|source| RunError::Bind { addr, source })?;
        let tasks = sim.start(server.handle());
        Ok(Running { sim, server, tasks })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The server handle (pushes, connections, counters).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Counters of the simulator.
    pub fn stats(&self) -> SimStats {
        self.sim.stats()
    }

    /// Stops the simulator tasks and shuts the server down (Exit on every link).
    pub async fn shutdown(self) {
        self.sim.stop();
        for t in self.tasks {
            let _ = t.await;
        }
        self.server.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Late, ResultWeight};
    use bytes::Bytes;
    use chrono::{TimeZone, Utc};
    use smgp_codec::{Status, Text};
    use smgp_session::login::LoginMode;

    struct Fixed;

    impl Clock for Fixed {
        fn now_utc(&self) -> chrono::DateTime<Utc> {
            Utc.with_ymd_and_hms(2026, 12, 4, 10, 30, 5).unwrap()
        }
    }

    fn conn() -> ConnInfo {
        ConnInfo::new(
            1,
            "sp",
            "127.0.0.1:1".parse().unwrap(),
            LoginMode::Transmit,
            smgp_codec::Version::V30,
        )
    }

    fn submit(dests: usize) -> Submit {
        Submit {
            need_report: 1,
            dest_term_ids: (0..dests)
                .map(|k| Text::new(format!("1760000000{k}").as_bytes()).unwrap())
                .collect(),
            msg_content: Bytes::from_static(b"hi"),
            ..Submit::default()
        }
    }

    #[tokio::test]
    async fn decisions_become_smgp_answers_with_bcd_ids_and_mapped_reports() {
        let p = SimProfile {
            gateway_code: 10_061,
            ..SimProfile::default()
        };
        let sim = SmgpSimulator::new(&p, Arc::new(Fixed)).unwrap();
        let SubmitDecision::Respond { msg_id, status } = sim.on_submit(&conn(), &submit(3)) else {
            panic!("not answered");
        };
        assert_eq!(status, Status::OK);
        // Gateway 010061, 12-04 18:30 Beijing, sequence 0; the group send reserves 3 ids.
        assert_eq!(msg_id.to_string(), "01006112041830000000");
        let SubmitDecision::Respond { msg_id: next, .. } = sim.on_submit(&conn(), &submit(1))
        else {
            panic!("not answered");
        };
        assert_eq!(next.to_string(), "01006112041830000003");
        assert_eq!(sim.pending_reports(), 4);
        // Each planned report names its recipient's SMGP id.
        let st = lock(&sim.state);
        let mut named: Vec<String> = st.reported.values().map(|m| m.to_string()).collect();
        named.sort();
        assert_eq!(
            named,
            [
                "01006112041830000000",
                "01006112041830000001",
                "01006112041830000002",
                "01006112041830000003"
            ]
        );
    }

    #[tokio::test]
    async fn faults_and_flow_control_map_to_smgp() {
        let mut p = SimProfile::default();
        p.submit.results = vec![ResultWeight {
            code: 8,
            weight: 1.0,
        }];
        p.faults.late = Some(Late {
            every: 2,
            delay_ms: 700,
        });
        p.faults.drop_link_every = 3;
        let sim = SmgpSimulator::new(&p, Arc::new(Fixed)).unwrap();
        // CMPP Result 8 is SMGP Status 1 (retry later), with no MsgID and no report.
        assert_eq!(
            sim.on_submit(&conn(), &submit(1)),
            SubmitDecision::Respond {
                msg_id: MsgId::default(),
                status: Status(1)
            }
        );
        assert_eq!(
            sim.on_submit(&conn(), &submit(1)),
            SubmitDecision::RespondAfter {
                delay: Duration::from_millis(700),
                msg_id: MsgId::default(),
                status: Status(1)
            }
        );
        assert_eq!(sim.on_submit(&conn(), &submit(1)), SubmitDecision::Close);
        assert_eq!(sim.pending_reports(), 0);
        assert_eq!(sim.stats().links_dropped, 1);
    }
}
