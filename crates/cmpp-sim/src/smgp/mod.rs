//! The simulator as an SMGP 3.0 gateway: the same decisions ([`SimCore`]: result mix,
//! report delays and Stat mix, faults, MO traffic; [`ReportQueue`]) served by
//! `smgp-session`'s gateway role, with CMPP's codes mapped to SMGP's by the one table in
//! [`map`].
//!
//! MsgIDs are SMGP's own (BCD: gateway code, receive time, a 6-digit sequence; recipient k of
//! a group send is the first id's sequence + k), so reports name them as SMGP clients expect.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use cmpp_session::Clock;
use smgp_codec::{Deliver, MsgId, Submit};
use smgp_session::{
    Accounts, ConnInfo, DeliverError, Handler, Server, ServerConfig, ServerHandle, SubmitDecision,
};
use tokio::task::JoinHandle;

use crate::core::{Answer, SimStats};
use crate::counts::day_of;
use crate::driver::{self, Driver, Serving, Wire};
use crate::profile::{ProfileError, SimProfile};
use crate::schedule::ReportJob;
use crate::sim::RunError;

pub mod map;

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

/// The SMGP simulator's own books, under the driver's lock.
pub(crate) struct Books {
    ids: SmgpIds,
    /// The SMGP id each planned report names, by the CMPP id the core gave it.
    reported: HashMap<cmpp_codec::MsgId, MsgId>,
}

/// The simulated SMGP gateway's behaviour, shared by every connection.
pub struct SmgpSimulator {
    driver: Driver<SmgpSimulator>,
}

/// SMGP: reports and MO messages are Delivers with MsgIDs of their own, queued on the
/// connections that take pushes.
impl Wire for SmgpSimulator {
    type Handle = ServerHandle;
    type Books = Books;
    type Push = (Arc<str>, Deliver);
    type Error = DeliverError;

    const AWAITS_ANSWER: bool = false;
    const LINKS: &'static str = "SMGP connection";

    fn driver(&self) -> &Driver<Self> {
        &self.driver
    }

    fn report_push(
        books: &mut Books,
        job: &ReportJob,
        wall: DateTime<FixedOffset>,
    ) -> Option<Self::Push> {
        let planned = job.deliver.report()?;
        let reported = *books.reported.get(&planned.msg_id)?;
        let own = books.ids.next(wall, 1);
        let deliver = map::report_deliver(&job.deliver, reported, own, wall)?;
        Some((job.sp_id.clone(), deliver))
    }

    fn mo_push(
        books: &mut Books,
        to: &Arc<str>,
        segment: &cmpp_codec::Deliver,
        wall: DateTime<FixedOffset>,
    ) -> Option<Self::Push> {
        let own = books.ids.next(wall, 1);
        Some((to.clone(), map::mo_deliver(segment, own, wall)?))
    }

    fn push(
        handle: &ServerHandle,
        (client_id, deliver): Self::Push,
    ) -> impl Future<Output = Result<(), DeliverError>> + Send {
        std::future::ready(handle.deliver(&client_id, deliver))
    }

    fn may_retry(error: &DeliverError) -> bool {
        matches!(error, DeliverError::QueueFull { .. })
    }

    fn drop_links(handle: &ServerHandle) {
        handle.drop_connections(None);
    }

    fn settle(books: &mut Books, job: &ReportJob, _sent: bool) {
        if let Some(planned) = job.deliver.report() {
            books.reported.remove(&planned.msg_id);
        }
    }
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
        let books = Books {
            ids: SmgpIds {
                smgw_code: profile.gateway_code % 1_000_000,
                seq: 0,
            },
            reported: HashMap::new(),
        };
        Ok(Arc::new(SmgpSimulator {
            driver: Driver::new(profile, clock, books)?,
        }))
    }

    /// Counters so far (Result codes as CMPP's, before the mapping).
    pub fn stats(&self) -> SimStats {
        self.driver.stats()
    }

    /// Reports waiting for their time.
    pub fn pending_reports(&self) -> usize {
        self.driver.pending_reports()
    }

    /// Starts the report scheduler and MO traffic on `handle`. Call once.
    pub fn start(self: &Arc<Self>, handle: ServerHandle) -> Vec<JoinHandle<()>> {
        driver::start(self, handle)
    }

    /// Stops the background tasks.
    pub fn stop(&self) {
        self.driver.stop();
    }
}

impl Handler for SmgpSimulator {
    fn on_submit(&self, conn: &ConnInfo, submit: &Submit) -> SubmitDecision {
        let d = &self.driver;
        let now = d.elapsed();
        let wall = d.wall();
        let cmpp = map::to_cmpp_submit(submit);
        let mut st = d.lock();
        let decision = st.core.on_submit(now, wall, &cmpp);
        match decision.answer {
            Answer::Respond { result, delay, .. } => {
                let recipients = submit.dest_term_ids.len() as u32;
                let msg_id = st.books.ids.next(wall, recipients);
                let status = map::status_of(result);
                for (k, r) in decision.reports.iter().enumerate() {
                    if let Some(planned) = r.deliver.report() {
                        let id = msg_id.nth_recipient(k as u32).unwrap_or(msg_id);
                        st.books.reported.insert(planned.msg_id, id);
                    }
                }
                // A late answer comes first; its reports follow it.
                d.queue_reports(
                    &mut st,
                    &conn.client_id,
                    day_of(wall),
                    now + delay,
                    decision.reports,
                );
                drop(st);
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
                d.restart(st, lose_reports);
                SubmitDecision::Close
            }
        }
    }

    fn on_connect(&self, conn: &ConnInfo) {
        tracing::info!(id = conn.id, client_id = %conn.client_id, peer = %conn.peer, mode = ?conn.mode, "SP logged in (SMGP)");
        if conn.mode.receives() {
            self.driver.connected(conn.id, conn.client_id.clone());
        }
    }

    fn on_disconnect(&self, conn: &ConnInfo, reason: &str) {
        tracing::info!(id = conn.id, client_id = %conn.client_id, reason, "SP connection closed (SMGP)");
        self.driver.disconnected(conn.id);
    }
}

/// A bound SMGP gateway with its simulator and background tasks.
pub struct Running {
    /// The simulator (stats, pending reports).
    pub sim: Arc<SmgpSimulator>,
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
        let serving = Serving::start(&sim, server);
        Ok(Running { sim, serving })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.serving.local_addr()
    }

    /// The server handle (pushes, connections, counters).
    pub fn handle(&self) -> ServerHandle {
        self.serving.handle()
    }

    /// Counters of the simulator.
    pub fn stats(&self) -> SimStats {
        self.sim.stats()
    }

    /// Stops the simulator tasks and shuts the server down (Exit on every link).
    pub async fn shutdown(self) {
        self.serving.shutdown(&*self.sim).await;
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
    use std::time::Duration;

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
        let st = sim.driver.lock();
        let mut named: Vec<String> = st.books.reported.values().map(|m| m.to_string()).collect();
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
