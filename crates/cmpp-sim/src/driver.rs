//! The simulator glue the three protocols share: the decision core ([`SimCore`]) and the
//! report queue ([`ReportQueue`]) behind one lock, the report loop (wakes at the next due
//! report or simulated restart, pushes due reports, re-queues refused ones until they expire,
//! loses the waiting ones on a restart that says so) and the MO loop.
//!
//! What really differs between CMPP, SGIP and SMGP is the [`Wire`] each simulator
//! implements: how a planned report or MO segment becomes that protocol's push, how a push
//! is handed to its server handle, how links are dropped on a simulated restart, and the
//! protocol's own books (ids, the maps from planned reports to the ids they name, counts).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use cmpp_codec::Deliver;
use cmpp_session::Clock;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::core::{PlannedReport, SimCore, SimStats};
use crate::ids::beijing;
use crate::profile::{ProfileError, SimProfile};
use crate::schedule::{ReportJob, ReportQueue};

/// How long a report refused for now (full outbox, SP not answering) waits before the next
/// try.
const REQUEUE_DELAY: Duration = Duration::from_millis(100);

/// What one protocol's simulator adds to the shared [`Driver`].
pub(crate) trait Wire: Sized + Send + Sync + 'static {
    /// The server handle pushes go through.
    type Handle: Clone + Send + Sync + 'static;
    /// The protocol's own books, kept under the driver's lock beside the core and queue.
    type Books: Send;
    /// One message ready for the wire, addressed.
    type Push: Send + 'static;
    /// Why a push failed.
    type Error: std::fmt::Display + Send;

    /// Whether a push waits for the SP's answer. Such pushes run in tasks of their own so
    /// that a slow SP holds up neither the scheduler nor the MO ticks; the others are handed
    /// over in the scheduler's own turn, in due order.
    const AWAITS_ANSWER: bool;
    /// What a simulated restart drops, for the log.
    const LINKS: &'static str;

    /// The shared driver inside the simulator.
    fn driver(&self) -> &Driver<Self>;

    /// The push for a due report; `None` when it has no form in this protocol (it is then
    /// counted lost).
    fn report_push(
        books: &mut Self::Books,
        job: &ReportJob,
        wall: DateTime<FixedOffset>,
    ) -> Option<Self::Push>;

    /// The push for one MO segment the core built, to `to`.
    fn mo_push(
        books: &mut Self::Books,
        to: &Arc<str>,
        segment: &Deliver,
        wall: DateTime<FixedOffset>,
    ) -> Option<Self::Push>;

    /// Hands a push to the server; done when it is queued (or answered, see
    /// [`Wire::AWAITS_ANSWER`]).
    fn push(
        handle: &Self::Handle,
        push: Self::Push,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Whether a refused push may go through later (a full outbox, an SP not answering yet).
    fn may_retry(error: &Self::Error) -> bool;

    /// Drops every link (a simulated restart).
    fn drop_links(handle: &Self::Handle);

    /// A report leaves the queue for good: `sent` to the SP, or lost (queue full, expired,
    /// restart, cancelled).
    fn settle(books: &mut Self::Books, job: &ReportJob, sent: bool);

    /// One MO message to `to`: `sent` segments handed over, `failed` not.
    fn mo_settle(
        _books: &mut Self::Books,
        _to: &Arc<str>,
        _wall: DateTime<FixedOffset>,
        _sent: u64,
        _failed: u64,
    ) {
    }

    /// Where the next MO message goes; `None` skips this tick. By default the logged-in
    /// connections that take pushes, in turn.
    fn mo_target(driver: &Driver<Self>) -> Option<Arc<str>> {
        driver.next_receiver()
    }
}

/// What the driver's lock guards.
pub(crate) struct State<W: Wire> {
    /// The decisions.
    pub(crate) core: SimCore,
    /// Reports waiting for their time.
    pub(crate) queue: ReportQueue,
    /// The protocol's own books.
    pub(crate) books: W::Books,
}

impl<W: Wire> State<W> {
    /// A report leaves the queue for good (see [`Wire::settle`]).
    pub(crate) fn settle(&mut self, job: &ReportJob, sent: bool) {
        W::settle(&mut self.books, job, sent);
    }

    /// A report given up: settled and counted lost.
    fn lose(&mut self, job: &ReportJob) {
        self.settle(job, false);
        self.core.stats_mut().reports_lost += 1;
    }

    /// Drops every waiting report (a simulated restart) and counts them lost.
    fn lose_all(&mut self) {
        for job in self.queue.take_all() {
            self.lose(&job);
        }
    }
}

/// The part of a simulator every protocol shares: state, clocks, the scheduler's wake-ups,
/// the connections MO traffic goes to.
pub(crate) struct Driver<W: Wire> {
    state: Mutex<State<W>>,
    start: Instant,
    clock: Arc<dyn Clock>,
    retention: Duration,
    wake: Notify,
    restart_pending: AtomicBool,
    started: AtomicBool,
    /// Logged-in connections that take pushes (id, account), for MO traffic.
    receivers: Mutex<Vec<(u64, Arc<str>)>>,
    mo_turn: AtomicUsize,
    stop: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking task must not wedge the gateway.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<W: Wire> Driver<W> {
    /// A driver for `profile` with the protocol's fresh `books`, reading wall time from
    /// `clock`. Call inside a tokio runtime (it notes the start time).
    pub(crate) fn new(
        profile: &SimProfile,
        clock: Arc<dyn Clock>,
        books: W::Books,
    ) -> Result<Self, ProfileError> {
        Ok(Driver {
            state: Mutex::new(State {
                core: SimCore::new(profile)?,
                queue: ReportQueue::new(profile.report.max_pending),
                books,
            }),
            start: Instant::now(),
            clock,
            retention: profile.retention(),
            wake: Notify::new(),
            restart_pending: AtomicBool::new(false),
            started: AtomicBool::new(false),
            receivers: Mutex::new(Vec::new()),
            mo_turn: AtomicUsize::new(0),
            stop: watch::channel(false).0,
        })
    }

    /// The state, for one decision.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State<W>> {
        lock(&self.state)
    }

    /// Counters so far.
    pub(crate) fn stats(&self) -> SimStats {
        self.lock().core.stats().clone()
    }

    /// Reports waiting for their time.
    pub(crate) fn pending_reports(&self) -> usize {
        self.lock().queue.len()
    }

    /// Time since start (the queue's and the core's clock).
    pub(crate) fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.start)
    }

    /// Beijing wall time.
    pub(crate) fn wall(&self) -> DateTime<FixedOffset> {
        self.clock.now_utc().with_timezone(&beijing())
    }

    /// Queues the reports planned for one answered submit, the first `after` (the answer's
    /// own time) plus its delay, for `sp`. Reports the full queue refuses are settled and
    /// counted lost; the scheduler is woken when one is due before all it waited for.
    pub(crate) fn queue_reports(
        &self,
        st: &mut State<W>,
        sp: &Arc<str>,
        day: u32,
        after: Duration,
        reports: Vec<PlannedReport>,
    ) {
        let before = st.queue.next_due();
        let mut lost = 0;
        for r in reports {
            let due = after + r.delay;
            let job = ReportJob {
                sp_id: sp.clone(),
                deliver: r.deliver,
                expires: due + self.retention,
                day,
            };
            if let Err(job) = st.queue.push(due, job) {
                lost += 1;
                st.lose(&job);
            }
        }
        if lost > 0 {
            tracing::warn!(lost, "report queue full: status reports dropped");
        }
        self.wake_if_sooner(before, st.queue.next_due());
    }

    /// A submit asked for a simulated restart: the waiting reports are lost when
    /// `lose_reports`, and the scheduler task drops every link (the server may hold its own
    /// locks while it calls the handler).
    pub(crate) fn restart(&self, mut st: MutexGuard<'_, State<W>>, lose_reports: bool) {
        if lose_reports {
            st.lose_all();
        }
        drop(st);
        self.restart_pending.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// A connection that takes pushes logged in.
    pub(crate) fn connected(&self, id: u64, account: Arc<str>) {
        lock(&self.receivers).push((id, account));
    }

    /// A connection closed.
    pub(crate) fn disconnected(&self, id: u64) {
        lock(&self.receivers).retain(|(c, _)| *c != id);
    }

    /// The next logged-in connection's account, in turn; `None` when none is.
    pub(crate) fn next_receiver(&self) -> Option<Arc<str>> {
        let r = lock(&self.receivers);
        if r.is_empty() {
            return None;
        }
        let i = self.mo_turn.fetch_add(1, Ordering::Relaxed) % r.len();
        Some(r[i].1.clone())
    }

    /// Stops the background tasks.
    pub(crate) fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Stops the background tasks and waits for them.
    pub(crate) async fn halt(&self, tasks: Vec<JoinHandle<()>>) {
        self.stop();
        for t in tasks {
            let _ = t.await;
        }
    }

    fn wake_if_sooner(&self, before: Option<Duration>, now_first: Option<Duration>) {
        if now_first.is_some() && (before.is_none() || now_first < before) {
            self.wake.notify_one();
        }
    }
}

/// Starts the report scheduler and MO traffic of `sim` on `handle`; a second call starts
/// nothing. Call inside the runtime.
pub(crate) fn start<W: Wire>(sim: &Arc<W>, handle: W::Handle) -> Vec<JoinHandle<()>> {
    let d = sim.driver();
    if d.started.swap(true, Ordering::AcqRel) {
        return Vec::new();
    }
    let mut tasks = vec![tokio::spawn(report_loop(sim.clone(), handle.clone()))];
    let interval = d.lock().core.mo_interval();
    if let Some(every) = interval {
        tasks.push(tokio::spawn(mo_loop(sim.clone(), handle, every)));
    }
    tasks
}

/// A protocol's bound server, as the simulators' `Running` use it.
pub(crate) trait Serve {
    /// Its handle (pushes, link control).
    type Handle;
    /// The bound address.
    fn local_addr(&self) -> SocketAddr;
    /// A handle on it.
    fn handle(&self) -> Self::Handle;
    /// Closes every link and stops it.
    fn shutdown(self) -> impl Future<Output = ()> + Send;
}

macro_rules! serve {
    ($server:ty, $handle:ty) => {
        impl Serve for $server {
            type Handle = $handle;
            fn local_addr(&self) -> SocketAddr {
                <$server>::local_addr(self)
            }
            fn handle(&self) -> $handle {
                <$server>::handle(self)
            }
            fn shutdown(self) -> impl Future<Output = ()> + Send {
                <$server>::shutdown(self)
            }
        }
    };
}
serve!(cmpp_session::Server, cmpp_session::ServerHandle);
serve!(sgip_session::Server, sgip_session::ServerHandle);
serve!(smgp_session::Server, smgp_session::ServerHandle);

/// A bound server with a simulator's background tasks: what each protocol's `Running`
/// holds beside its simulator.
pub(crate) struct Serving<S> {
    server: S,
    tasks: Vec<JoinHandle<()>>,
}

impl<S: Serve> Serving<S> {
    /// Starts `sim`'s tasks on `server`.
    pub(crate) fn start<W: Wire<Handle = S::Handle>>(sim: &Arc<W>, server: S) -> Self {
        let tasks = start(sim, server.handle());
        Serving { server, tasks }
    }

    /// The bound address.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// The server handle.
    pub(crate) fn handle(&self) -> S::Handle {
        self.server.handle()
    }

    /// Stops `sim`'s tasks, then the server.
    pub(crate) async fn shutdown<W: Wire>(self, sim: &W) {
        sim.driver().halt(self.tasks).await;
        self.server.shutdown().await;
    }
}

async fn report_loop<W: Wire>(sim: Arc<W>, handle: W::Handle) {
    let d = sim.driver();
    let mut stop = d.stop.subscribe();
    loop {
        let wake_at = {
            let st = d.lock();
            match (st.queue.next_due(), st.core.next_restart_at()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        let sleep = async {
            match wake_at {
                Some(t) => tokio::time::sleep_until(d.start + t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = sleep => {}
            _ = d.wake.notified() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now = d.elapsed();
        let (due, restart) = {
            let mut st = d.lock();
            let timed = st.core.poll_restart(now);
            if timed == Some(true) {
                st.lose_all();
            }
            (st.queue.pop_due(now), timed.is_some())
        };
        if restart || d.restart_pending.swap(false, Ordering::AcqRel) {
            tracing::info!("simulated restart: dropping every {}", W::LINKS);
            W::drop_links(&handle);
        }
        for job in due {
            let push = push_report(sim.clone(), handle.clone(), job);
            if W::AWAITS_ANSWER {
                tokio::spawn(push);
            } else {
                push.await;
            }
        }
    }
}

/// Pushes one due report; re-queues it while it may still be delivered, else counts it lost.
async fn push_report<W: Wire>(sim: Arc<W>, handle: W::Handle, job: ReportJob) {
    let d = sim.driver();
    let wall = d.wall();
    let push = W::report_push(&mut d.lock().books, &job, wall);
    let Some(push) = push else {
        tracing::warn!(sp_id = %job.sp_id, "status report has no form on this protocol: dropped");
        d.lock().lose(&job);
        return;
    };
    let result = W::push(&handle, push).await;
    let now = d.elapsed();
    let mut st = d.lock();
    match result {
        Ok(()) => {
            st.settle(&job, true);
            if let Some(r) = job.deliver.report() {
                let text = r.stat.text().into_owned();
                *st.core.stats_mut().reports_by_stat.entry(text).or_default() += 1;
            }
        }
        Err(e) if W::may_retry(&e) && now < job.expires => {
            tracing::debug!(sp_id = %job.sp_id, error = %e, "status report refused for now; trying again");
            let before = st.queue.next_due();
            match st.queue.push(now + REQUEUE_DELAY, job) {
                Ok(()) => d.wake_if_sooner(before, st.queue.next_due()),
                Err(job) => st.lose(&job),
            }
        }
        Err(e) => {
            tracing::warn!(sp_id = %job.sp_id, error = %e, "status report dropped");
            st.lose(&job);
        }
    }
}

async fn mo_loop<W: Wire>(sim: Arc<W>, handle: W::Handle, every: Duration) {
    let d = sim.driver();
    let mut stop = d.stop.subscribe();
    let mut tick = tokio::time::interval_at(d.start + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let Some(to) = W::mo_target(d) else {
            continue;
        };
        let wall = d.wall();
        let parts: Vec<W::Push> = {
            let mut st = d.lock();
            let st = &mut *st;
            let segments = st.core.next_mo(wall);
            segments
                .iter()
                .filter_map(|s| W::mo_push(&mut st.books, &to, s, wall))
                .collect()
        };
        let send = send_mo(sim.clone(), handle.clone(), to, wall, parts);
        if W::AWAITS_ANSWER {
            // The next tick does not wait for this message's answers.
            tokio::spawn(send);
        } else {
            send.await;
        }
    }
}

/// Sends the segments of one MO message in order; after a failure the rest would only
/// reach the SP as a broken message, so they count as failed unsent.
async fn send_mo<W: Wire>(
    sim: Arc<W>,
    handle: W::Handle,
    to: Arc<str>,
    wall: DateTime<FixedOffset>,
    parts: Vec<W::Push>,
) {
    let total = parts.len() as u64;
    let mut sent = 0;
    for p in parts {
        match W::push(&handle, p).await {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!(to = %to, error = %e, "MO message dropped");
                break;
            }
        }
    }
    let mut st = sim.driver().lock();
    st.core.stats_mut().mo_sent += sent;
    W::mo_settle(&mut st.books, &to, wall, sent, total - sent);
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::atomic::AtomicUsize;

    use bytes::Bytes;
    use cmpp_codec::{OctetString, Submit};
    use cmpp_session::SystemClock;

    use super::*;
    use crate::profile::MoText;

    /// How the fake server answers one push.
    #[derive(Debug, Clone, Copy)]
    enum Refusal {
        /// Worth another try (a full outbox).
        Busy,
        /// Final.
        Gone,
    }

    impl std::fmt::Display for Refusal {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    /// A server that answers pushes from a script (`None` takes it; an empty script takes
    /// everything) and records what it took and how often links were dropped.
    #[derive(Default)]
    struct Fake {
        script: Mutex<VecDeque<Option<Refusal>>>,
        taken: Mutex<Vec<(Arc<str>, Deliver)>>,
        drops: AtomicUsize,
    }

    #[derive(Default)]
    struct Books {
        /// `sent` of every settled report, in order.
        settled: Vec<bool>,
        /// (sent, failed) of every MO message.
        mo: Vec<(u64, u64)>,
    }

    struct FakeSim {
        driver: Driver<FakeSim>,
    }

    impl Wire for FakeSim {
        type Handle = Arc<Fake>;
        type Books = Books;
        type Push = (Arc<str>, Deliver);
        type Error = Refusal;

        const AWAITS_ANSWER: bool = false;
        const LINKS: &'static str = "fake link";

        fn driver(&self) -> &Driver<Self> {
            &self.driver
        }

        fn report_push(
            _: &mut Books,
            job: &ReportJob,
            _: DateTime<FixedOffset>,
        ) -> Option<Self::Push> {
            (&*job.sp_id != "formless").then(|| (job.sp_id.clone(), job.deliver.clone()))
        }

        fn mo_push(
            _: &mut Books,
            to: &Arc<str>,
            segment: &Deliver,
            _: DateTime<FixedOffset>,
        ) -> Option<Self::Push> {
            Some((to.clone(), segment.clone()))
        }

        fn push(
            handle: &Arc<Fake>,
            push: Self::Push,
        ) -> impl Future<Output = Result<(), Refusal>> + Send {
            let answer = lock(&handle.script).pop_front().flatten();
            if answer.is_none() {
                lock(&handle.taken).push(push);
            }
            std::future::ready(answer.map_or(Ok(()), Err))
        }

        fn may_retry(error: &Refusal) -> bool {
            matches!(error, Refusal::Busy)
        }

        fn drop_links(handle: &Arc<Fake>) {
            handle.drops.fetch_add(1, Ordering::Relaxed);
        }

        fn settle(books: &mut Books, _: &ReportJob, sent: bool) {
            books.settled.push(sent);
        }

        fn mo_settle(
            books: &mut Books,
            _: &Arc<str>,
            _: DateTime<FixedOffset>,
            sent: u64,
            failed: u64,
        ) {
            books.mo.push((sent, failed));
        }
    }

    /// A started simulator on `profile` whose server answers with `script`.
    fn started(
        profile: &SimProfile,
        script: &[Option<Refusal>],
    ) -> (Arc<FakeSim>, Arc<Fake>, Vec<JoinHandle<()>>) {
        let sim = Arc::new(FakeSim {
            driver: Driver::new(profile, Arc::new(SystemClock), Books::default()).unwrap(),
        });
        let fake = Arc::new(Fake::default());
        lock(&fake.script).extend(script.iter().copied());
        let tasks = start(&sim, fake.clone());
        (sim, fake, tasks)
    }

    /// One SUBMIT of `sp` asking for a report, its report queued as the simulators do.
    fn submit(sim: &FakeSim, sp: &str) {
        let d = &sim.driver;
        let (now, wall) = (d.elapsed(), d.wall());
        let mut st = d.lock();
        let submit = Submit {
            registered_delivery: 1,
            src_id: OctetString::new(b"1064899").unwrap(),
            dest_terminal_ids: vec![OctetString::new(b"13800138000").unwrap()],
            msg_content: Bytes::from_static(b"hi"),
            ..Submit::default()
        };
        let decision = st.core.on_submit(now, wall, &submit);
        assert_eq!(decision.reports.len(), 1);
        d.queue_reports(&mut st, &Arc::from(sp), 0, now, decision.reports);
    }

    async fn wait(ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_report_refused_for_now_is_requeued_until_taken() {
        let busy = Some(Refusal::Busy);
        let (sim, fake, tasks) = started(&SimProfile::default(), &[busy, busy]);
        submit(&sim, "sp");
        wait(2_000).await;
        assert_eq!(lock(&fake.taken).len(), 1);
        let s = sim.driver.stats();
        assert_eq!((s.reports_delivered(), s.reports_lost), (1, 0));
        assert_eq!(s.reports_by_stat.get("DELIVRD"), Some(&1));
        assert_eq!(sim.driver.lock().books.settled, [true]);
        assert_eq!(sim.driver.pending_reports(), 0);
        sim.driver.halt(tasks).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_report_refused_past_its_retention_or_for_good_is_lost_and_settled() {
        let mut p = SimProfile::default();
        p.report.retention_secs = 1;
        let (sim, fake, tasks) = started(&p, &[Some(Refusal::Busy); 100]);
        submit(&sim, "sp");
        wait(3_000).await;
        assert!(lock(&fake.taken).is_empty());
        // Tried every 100 ms for about a second, then given up.
        let tries = 100 - lock(&fake.script).len();
        assert!((9..=16).contains(&tries), "{tries} tries");
        assert_eq!(sim.driver.stats().reports_lost, 1);
        assert_eq!(sim.driver.lock().books.settled, [false]);
        assert_eq!(sim.driver.pending_reports(), 0);
        sim.driver.halt(tasks).await;

        let (sim, fake, tasks) = started(&SimProfile::default(), &[Some(Refusal::Gone)]);
        submit(&sim, "sp");
        wait(2_000).await;
        assert!(lock(&fake.taken).is_empty());
        assert!(lock(&fake.script).is_empty(), "one try only");
        assert_eq!(sim.driver.stats().reports_lost, 1);
        assert_eq!(sim.driver.lock().books.settled, [false]);
        sim.driver.halt(tasks).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_report_with_no_form_on_the_wire_is_counted_lost_not_dropped_silently() {
        let (sim, fake, tasks) = started(&SimProfile::default(), &[]);
        submit(&sim, "formless");
        submit(&sim, "sp");
        wait(2_000).await;
        assert_eq!(lock(&fake.taken).len(), 1);
        let s = sim.driver.stats();
        assert_eq!((s.reports_delivered(), s.reports_lost), (1, 1));
        let mut settled = sim.driver.lock().books.settled.clone();
        settled.sort();
        assert_eq!(settled, [false, true]);
        sim.driver.halt(tasks).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_restart_loses_the_waiting_reports_and_the_scheduler_drops_the_links() {
        let (sim, fake, tasks) = started(&SimProfile::default(), &[]);
        for _ in 0..3 {
            submit(&sim, "sp");
        }
        assert_eq!(sim.driver.pending_reports(), 3);
        sim.driver.restart(sim.driver.lock(), true);
        assert_eq!(sim.driver.pending_reports(), 0);
        assert_eq!(sim.driver.stats().reports_lost, 3);
        assert_eq!(sim.driver.lock().books.settled, [false; 3]);
        wait(10).await;
        assert_eq!(fake.drops.load(Ordering::Relaxed), 1);
        // A restart that keeps the reports still drops the links once more.
        submit(&sim, "sp");
        sim.driver.restart(sim.driver.lock(), false);
        wait(1_000).await;
        assert_eq!(fake.drops.load(Ordering::Relaxed), 2);
        assert_eq!(lock(&fake.taken).len(), 1);
        sim.driver.halt(tasks).await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_mo_message_goes_to_receivers_in_turn_and_stops_at_its_first_failed_segment() {
        let mut p = SimProfile::default();
        p.mo.interval_ms = 1_000;
        // 400 GSM characters: 3 segments.
        p.mo.texts = vec![MoText {
            text: "x".repeat(400),
            weight: 1.0,
        }];
        let (sim, fake, tasks) = started(&p, &[None, Some(Refusal::Gone)]);
        // No receiver yet: the tick passes.
        wait(1_500).await;
        assert!(sim.driver.lock().books.mo.is_empty());
        sim.driver.connected(1, Arc::from("a"));
        sim.driver.connected(2, Arc::from("b"));
        wait(1_000).await;
        // Segment 1 taken, 2 refused, 3 never tried.
        assert_eq!(sim.driver.lock().books.mo, [(1, 2)]);
        assert_eq!(sim.driver.stats().mo_sent, 1);
        wait(1_000).await;
        assert_eq!(sim.driver.lock().books.mo, [(1, 2), (3, 0)]);
        let to: Vec<String> = lock(&fake.taken)
            .iter()
            .map(|(to, _)| to.to_string())
            .collect();
        assert_eq!(to, ["a", "b", "b", "b"]);
        sim.driver.disconnected(1);
        sim.driver.disconnected(2);
        wait(1_000).await;
        assert_eq!(sim.driver.lock().books.mo.len(), 2);
        sim.driver.halt(tasks).await;
    }
}
