//! [`Simulator`]: the gateway handler that applies a [`SimProfile`] to a running
//! `cmpp-session` server, on the shared [`driver`](crate::driver): one scheduler task for
//! every status report.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use cmpp_codec::{Cancel, CancelResp, Deliver, DeliverContent, Query, QueryResp, Submit};
use cmpp_session::{
    AccountStore, Clock, ConnectionInfo, DeliverError, GatewayHandler, Server, ServerConfig,
    ServerHandle, SubmitDecision, SystemClock,
};
use tokio::task::JoinHandle;

use crate::core::{Answer, SimStats};
use crate::counts::{day_of, parse_day, Counters, DayCounts};
use crate::driver::{self, Driver, Serving, Wire};
use crate::profile::{ProfileError, SimProfile};
use crate::schedule::ReportJob;

/// The simulated gateway's behaviour, shared by every connection.
pub struct Simulator {
    driver: Driver<Simulator>,
}

/// CMPP: reports and MO messages are DELIVERs queued on the SP's connections; the books
/// are the day's QUERY counts.
impl Wire for Simulator {
    type Handle = ServerHandle;
    type Books = DayCounts;
    type Push = (Arc<str>, Deliver);
    type Error = DeliverError;

    const AWAITS_ANSWER: bool = false;
    const LINKS: &'static str = "connection";

    fn driver(&self) -> &Driver<Self> {
        &self.driver
    }

    fn report_push(
        _: &mut DayCounts,
        job: &ReportJob,
        _: DateTime<FixedOffset>,
    ) -> Option<Self::Push> {
        Some((job.sp_id.clone(), job.deliver.clone()))
    }

    fn mo_push(
        _: &mut DayCounts,
        to: &Arc<str>,
        segment: &Deliver,
        _: DateTime<FixedOffset>,
    ) -> Option<Self::Push> {
        Some((to.clone(), segment.clone()))
    }

    fn push(
        handle: &ServerHandle,
        (sp_id, deliver): Self::Push,
    ) -> impl Future<Output = Result<(), DeliverError>> + Send {
        std::future::ready(handle.deliver(&sp_id, deliver))
    }

    fn may_retry(error: &DeliverError) -> bool {
        matches!(error, DeliverError::QueueFull { .. })
    }

    fn drop_links(handle: &ServerHandle) {
        handle.drop_connections(None);
    }

    /// The report's message leaves MT_WT for MT_Scs (sent DELIVRD) or MT_FL.
    fn settle(counts: &mut DayCounts, job: &ReportJob, sent: bool) {
        let svc = job.deliver.service_id.to_str_lossy();
        let row = counts.row(&job.sp_id, job.day, &svc);
        row.mt_wt = row.mt_wt.saturating_sub(1);
        let delivrd = job
            .deliver
            .report()
            .is_some_and(|r| &r.stat.raw() == b"DELIVRD");
        if sent && delivrd {
            row.mt_scs += 1;
        } else {
            row.mt_fl += 1;
        }
    }

    fn mo_settle(
        counts: &mut DayCounts,
        to: &Arc<str>,
        wall: DateTime<FixedOffset>,
        sent: u64,
        failed: u64,
    ) {
        let row = counts.row(to, day_of(wall), "");
        row.mo_scs = row
            .mo_scs
            .saturating_add(u32::try_from(sent).unwrap_or(u32::MAX));
        row.mo_fl = row
            .mo_fl
            .saturating_add(u32::try_from(failed).unwrap_or(u32::MAX));
    }
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
        Ok(Arc::new(Simulator {
            driver: Driver::new(profile, clock, DayCounts::new())?,
        }))
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.driver.stats()
    }

    /// Reports waiting for their time.
    pub fn pending_reports(&self) -> usize {
        self.driver.pending_reports()
    }

    /// Starts the report scheduler and MO traffic on `handle`. Call once, inside the runtime.
    pub fn start(self: &Arc<Self>, handle: ServerHandle) -> Vec<JoinHandle<()>> {
        driver::start(self, handle)
    }

    /// Stops the background tasks started by [`Simulator::start`].
    pub fn stop(&self) {
        self.driver.stop();
    }
}

impl GatewayHandler for Simulator {
    fn on_submit(
        &self,
        conn: &ConnectionInfo,
        _sequence_id: u32,
        submit: &Submit,
    ) -> SubmitDecision {
        let d = &self.driver;
        let now = d.elapsed();
        let wall = d.wall();
        let mut st = d.lock();
        let decision = st.core.on_submit(now, wall, submit);
        let day = day_of(wall);
        let users = submit.dest_terminal_ids.len() as u32;
        {
            let svc = submit.service_id.to_str_lossy();
            let row = st.books.row(&conn.sp_id, day, &svc);
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
                    let sp: Arc<str> = Arc::from(conn.sp_id.as_str());
                    // A late answer comes first; its reports follow it.
                    d.queue_reports(&mut st, &sp, day, now + delay, decision.reports);
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
                d.restart(st, lose_reports);
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
                self.driver.lock().books.query(&conn.sp_id, day, service)
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
        let mut st = self.driver.lock();
        let gone = st.queue.remove_where(|j| {
            &*j.sp_id == conn.sp_id.as_str()
                && matches!(&j.deliver.content, DeliverContent::Report(r) if r.msg_id == cancel.msg_id)
        });
        for job in &gone {
            st.settle(job, false);
        }
        CancelResp {
            success_id: u32::from(gone.is_empty()),
        }
    }

    fn on_connect(&self, conn: &ConnectionInfo) {
        tracing::info!(id = conn.id, sp_id = %conn.sp_id, peer = %conn.peer, version = %conn.version, "SP logged in");
        self.driver
            .connected(conn.id, Arc::from(conn.sp_id.as_str()));
    }

    fn on_disconnect(&self, conn: &ConnectionInfo, reason: &str) {
        tracing::info!(id = conn.id, sp_id = %conn.sp_id, reason, "SP connection closed");
        self.driver.disconnected(conn.id);
    }
}

/// A bound server with its simulator and background tasks.
pub struct Running {
    /// The simulator (stats, pending reports).
    pub sim: Arc<Simulator>,
    serving: Serving<Server>,
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
        let serving = Serving::start(&sim, server);
        Ok(Running { sim, serving })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.serving.local_addr()
    }

    /// The server handle.
    pub fn handle(&self) -> ServerHandle {
        self.serving.handle()
    }

    /// Stops the simulator tasks and shuts the server down (TERMINATE on every link).
    pub async fn shutdown(self) {
        self.serving.shutdown(&*self.sim).await;
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
