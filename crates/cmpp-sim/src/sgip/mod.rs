//! The SGIP 1.2 gateway (SMG) simulator: the CMPP simulator's decisions
//! ([`SimProfile`], [`SimCore`], [`ReportQueue`]) spoken in SGIP through `sgip-session`'s
//! gateway role. Submits arrive on the MT links SPs open; reports and MO messages are pushed
//! over the MO link the simulator opens to the SP's listener (`--deliver-to`), re-sent until
//! the SP answers. The CMPP → SGIP code translation is the table in [`map`].

pub mod map;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use cmpp_codec::{Deliver, MsgId};
use cmpp_session::{Clock, SystemClock};
use sgip_codec::{Pdu, SequenceNumber, Submit};
use sgip_session::{
    PeerInfo, PushError, Server, ServerConfig, ServerHandle, SubmitDecision, SubmitHandler,
};

use crate::core::{Answer, SimStats};
use crate::driver::{Driver, Serving, Wire};
use crate::profile::{ProfileError, SimProfile};
use crate::schedule::ReportJob;
use crate::RunError;

/// The simulated SMG's behaviour, shared by every link.
pub struct SgipSimulator {
    driver: Driver<SgipSimulator>,
}

/// What the MO loop names as the target of every MO message, for the log: they all go to
/// the SP's listener (`--deliver-to`), whether or not an SP has bound an MT link.
const LISTENER: &str = "deliver-to";

/// SGIP: reports and MO messages are pushed over the MO link to the SP's listener and
/// re-sent until the SP answers; the books hold the Submit each queued report names, by
/// the report's own (unique) DELIVER Msg_Id.
impl Wire for SgipSimulator {
    type Handle = ServerHandle;
    type Books = HashMap<MsgId, SequenceNumber>;
    type Push = Pdu;
    type Error = PushError;

    const AWAITS_ANSWER: bool = true;
    const LINKS: &'static str = "SGIP link";

    fn driver(&self) -> &Driver<Self> {
        &self.driver
    }

    fn report_push(
        submits: &mut Self::Books,
        job: &ReportJob,
        _: DateTime<FixedOffset>,
    ) -> Option<Pdu> {
        let seq = *submits.get(&job.deliver.msg_id)?;
        map::report(&job.deliver, seq).map(Pdu::Report)
    }

    fn mo_push(
        _: &mut Self::Books,
        _: &Arc<str>,
        segment: &Deliver,
        _: DateTime<FixedOffset>,
    ) -> Option<Pdu> {
        map::mo(segment).map(Pdu::Deliver)
    }

    fn push(handle: &ServerHandle, pdu: Pdu) -> impl Future<Output = Result<(), PushError>> + Send {
        let handle = handle.clone();
        async move { handle.push(pdu).await.map(drop) }
    }

    /// The push already re-sends and reconnects; while the report has not expired, the
    /// SP's listener may come back.
    fn may_retry(_: &PushError) -> bool {
        true
    }

    fn drop_links(handle: &ServerHandle) {
        handle.drop_links();
    }

    fn settle(submits: &mut Self::Books, job: &ReportJob, _sent: bool) {
        submits.remove(&job.deliver.msg_id);
    }

    fn mo_target(_: &Driver<Self>) -> Option<Arc<str>> {
        Some(Arc::from(LISTENER))
    }
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
            driver: Driver::new(profile, clock, HashMap::new())?,
        }))
    }

    /// Counters so far (`by_result` keyed by the profile's CMPP codes).
    pub fn stats(&self) -> SimStats {
        self.driver.stats()
    }

    /// Reports waiting for their time (or for the SP's listener).
    pub fn pending_reports(&self) -> usize {
        self.driver.pending_reports()
    }
}

impl SubmitHandler for SgipSimulator {
    fn on_submit(&self, peer: &PeerInfo, seq: SequenceNumber, submit: &Submit) -> SubmitDecision {
        let d = &self.driver;
        let now = d.elapsed();
        let wall = d.wall();
        let mut st = d.lock();
        let decision = st.core.on_submit(now, wall, &map::as_cmpp_submit(submit));
        match decision.answer {
            Answer::Respond { result, delay, .. } => {
                let mut reports = decision.reports;
                let planned = reports.len();
                // ReportFlag 0: only failures are reported (quirk 3).
                reports.retain(|r| {
                    r.deliver.report().is_some_and(|x| {
                        map::wants_report(submit.report_flag, map::report_state(x.stat).0)
                    })
                });
                let stats = st.core.stats_mut();
                stats.reports_scheduled = stats
                    .reports_scheduled
                    .saturating_sub((planned - reports.len()) as u64);
                for r in &reports {
                    st.books.insert(r.deliver.msg_id, seq);
                }
                let sp: Arc<str> = Arc::from(peer.login_name.as_str());
                // A late answer comes first; its reports follow it.
                d.queue_reports(&mut st, &sp, 0, now + delay, reports);
                drop(st);
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
                d.restart(st, lose_reports);
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
    serving: Serving<Server>,
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
        let serving = Serving::start(&sim, server);
        Ok(Running { sim, serving })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.serving.local_addr()
    }

    /// The server handle (pushes, link control).
    pub fn handle(&self) -> ServerHandle {
        self.serving.handle()
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        self.sim.stats()
    }

    /// Stops the simulator tasks and shuts the server down (Unbind on every link).
    pub async fn shutdown(self) {
        self.serving.shutdown(&*self.sim).await;
    }
}
