//! `cmpp send`: the SP client against any gateway, through the policy and into the journal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::Version;
use futures::StreamExt;
use serde::Serialize;
use sms_records::{Carrier, Category};
use sms_sender::{
    Link, OutgoingSms, RecordStatus, Router, SendError, SendReport, Sender, SenderConfig,
    SenderStats,
};

use crate::config::{FileConfig, Protocol};
use crate::error::{CliError, Exit};
use crate::wiring;

mod gateway;
mod route;
use gateway::{check, plan, Plan};

/// Options of `cmpp send`; each overrides `--config`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Config file (cmpp.toml); options given here override it. CMPP reads `[gateway]`, SGIP
    /// `[carriers.unicom]`, SMGP `[carriers.telecom]`.
    #[arg(long, env = "CMPP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Gateway protocol: cmpp (China Mobile), sgip (China Unicom), smgp (China Telecom). The
    /// records carry that carrier, and the policy routes only its numbers to this gateway.
    #[arg(long, value_enum, default_value_t = Protocol::Cmpp)]
    pub protocol: Protocol,
    /// Route by number across every configured carrier: log in to China Mobile's gateway
    /// (`[gateway]` and the options, as without it) and to the gateway of every
    /// `[carriers.*]` table (each needs `address`, `src_id` and `secret_env`), and send each
    /// destination through its carrier's gateway, from that carrier's calling number, into
    /// one journal. `--listen`, `--corp-id` and `--area-code` are then China Unicom's; the
    /// other gateway options China Mobile's. Any carrier that cannot be logged in to ends
    /// the run before anything is sent (exit 4 or 5, naming the carrier).
    #[arg(long, conflicts_with = "protocol")]
    pub route: bool,
    /// Gateway `host:port`.
    #[arg(long)]
    pub gateway: Option<String>,
    /// Account: CMPP SP id (Source_Addr, 6 characters), SGIP login name, SMGP ClientID.
    #[arg(long)]
    pub sp_id: Option<String>,
    /// Shared secret (SGIP: the login password); prefer the CMPP_SECRET environment variable
    /// (SGIP, SMGP: the `secret_env` of their `[carriers.*]` table comes first). Never echoed.
    #[arg(long, env = "CMPP_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// Protocol version: 2.0 or 3.0 (CMPP, SMGP; SGIP has only 1.2).
    #[arg(long, value_parser = wiring::parse_version)]
    pub version: Option<Version>,
    /// Calling number (CMPP Src_Id, SGIP SPNumber, SMGP SrcTermID).
    #[arg(long)]
    pub src_id: Option<String>,
    /// Service_Id (SGIP ServiceType, SMGP ServiceID).
    #[arg(long)]
    pub service_id: Option<String>,
    /// SGIP: the SP's own `host:port` the gateway connects back to (Bind type 2) with status
    /// reports and MO messages.
    #[arg(long)]
    pub listen: Option<String>,
    /// SGIP: the SP's CorpId (5 digits), in every Submit and in the node id of the sequence
    /// numbers.
    #[arg(long)]
    pub corp_id: Option<String>,
    /// SGIP: the SP's telephone area code (3 or 4 digits) in its node id `3AAAAQQQQQ`
    /// [default: 010].
    #[arg(long)]
    pub area_code: Option<String>,
    /// Destination numbers.
    #[arg(long = "to", num_args = 1.., conflicts_with = "file")]
    pub to: Vec<String>,
    /// Message text (long text is split into segments).
    #[arg(long, conflicts_with = "file", requires = "to")]
    pub text: Option<String>,
    /// Messages from a CSV (header `to,text[,category][,src]`) or JSON Lines file.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Kind of message for --text: verification, notice, prompt, other.
    #[arg(long, default_value = "other")]
    pub category: Category,
    /// Send to all --to numbers in one SUBMIT (group send).
    #[arg(long)]
    pub group_send: bool,
    /// Repeat the messages this many times (load).
    #[arg(long, default_value_t = 1)]
    pub count: u64,
    /// Wait this many seconds for the status reports of this run's records after the last
    /// response (reports of other runs do not count).
    #[arg(long, default_value_t = 0)]
    pub wait_reports: u64,
    /// On SIGINT/SIGTERM (or --deadline): stop taking new messages and give the messages in
    /// flight this many seconds to be answered before closing.
    #[arg(long, default_value_t = 10)]
    pub drain: u64,
    /// Stop the whole run after this many seconds (then drain as on SIGINT).
    #[arg(long)]
    pub deadline: Option<u64>,
    /// End the run when no connection to the gateway has been up for this many seconds.
    #[arg(long, default_value_t = 60)]
    pub give_up_after: u64,
    /// Journal folder: record everything sent (nothing is stored without it).
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Policy file: check every message before it leaves. Without it (and without
    /// `[policy] file`), this contract's policy: calling number under 121231100, China Mobile
    /// numbers only, opt-outs honoured.
    #[arg(long, conflicts_with = "no_policy")]
    pub policy: Option<PathBuf>,
    /// Send without any policy check (testing against a gateway only).
    #[arg(long)]
    pub no_policy: bool,
    /// Window per connection.
    #[arg(long)]
    pub window: Option<usize>,
    /// Connections in the pool.
    #[arg(long)]
    pub connections: Option<usize>,
    /// Messages per second (0 = no limit; not for SGIP).
    #[arg(long)]
    pub rate: Option<u32>,
    /// Accept an all-zero AuthenticatorISMG from the gateway (CMPP only).
    #[arg(long)]
    pub accept_zero_authenticator: bool,
    /// Test-only fault hook: exit at once (code 86) when a status report has been received
    /// and before it is journaled, as a crash between receipt and commit would.
    #[arg(long, hide = true)]
    pub fault_exit_before_report_commit: bool,
    /// Test-only fault hook: exit at once (code 86) when an MO message has been received
    /// and before it is journaled.
    #[arg(long, hide = true)]
    pub fault_exit_before_inbound_commit: bool,
    /// Talk to a gateway whose AuthenticatorISMG is wrong (non-conforming; CMPP only). Also
    /// `[gateway] verify_authenticator = false`. A warning is logged at every login.
    #[arg(long)]
    pub no_verify_authenticator: bool,
}

/// The JSON summary printed at the end.
#[derive(Debug, Serialize)]
struct Summary {
    messages: u64,
    /// Messages never taken because the run was stopped (signal, deadline, gateway gone).
    not_taken: u64,
    /// Why the run stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    #[serde(flatten)]
    counts: Counts,
    /// The sender's figures (one gateway; with `--route` they are per carrier).
    #[serde(skip_serializing_if = "Option::is_none")]
    stats: Option<SenderStats>,
    /// With `--route`: each carrier's counts and figures, by carrier name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    carriers: BTreeMap<&'static str, CarrierSummary>,
}

/// What became of the records: the whole run's, or one carrier's.
#[derive(Debug, Default, Serialize)]
struct Counts {
    records: u64,
    sent: u64,
    accepted: u64,
    rejected: u64,
    refused: u64,
    not_sent: u64,
    without_outcome: u64,
    reports_outstanding: u64,
}

/// One carrier's part of a routed run.
#[derive(Debug, Serialize)]
struct CarrierSummary {
    #[serde(flatten)]
    counts: Counts,
    stats: SenderStats,
}

/// Runs `cmpp send`.
pub fn run(args: Args) -> Result<(), CliError> {
    wiring::init_logging("warn");
    let file = match &args.config {
        Some(p) => FileConfig::load(p)?,
        None => FileConfig::default(),
    };
    if args.route {
        route::check(&args, &file)?;
    } else {
        check(&args)?;
    }
    let messages = messages(&args, &file)?;
    let rt = wiring::runtime()?;
    let (summary, refusals) = rt.block_on(send(&args, &file, messages))?;
    print_summary(&summary)?;
    // Refusals are the operator's business: one line per check, with its count.
    for (check, (count, example)) in &refusals {
        eprintln!("cmpp: {count} record(s) refused by '{check}': {example}");
    }
    let counts = &summary.counts;
    if counts.without_outcome > 0 || summary.not_taken > 0 {
        return Err(CliError::new(
            Exit::Incomplete,
            format!(
                "{} of {} records ended without a definite outcome; {} message(s) not taken{}",
                counts.without_outcome,
                counts.records,
                summary.not_taken,
                summary
                    .stopped
                    .as_ref()
                    .map_or(String::new(), |w| format!(" ({w})"))
            ),
        ));
    }
    if counts.sent == 0 && counts.records + summary.not_taken > 0 {
        return Err(CliError::new(
            Exit::NothingSent,
            match &summary.stopped {
                Some(why) => format!("nothing was sent: {why}"),
                None => "nothing was sent: every record was refused".to_string(),
            },
        ));
    }
    Ok(())
}

/// Prints the summary; a reader gone (`cmpp send … | head`) is no error: the run is over and
/// journaled, and the exit code still says how it went.
fn print_summary(summary: &Summary) -> Result<(), CliError> {
    use std::io::Write as _;
    let json = serde_json::to_string_pretty(summary).expect("the summary serialises");
    match writeln!(std::io::stdout().lock(), "{json}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::failure(format!("cannot write the summary: {e}")))
        }
        _ => Ok(()),
    }
}

/// What an earlier run left open is settled before this one starts: records a crash left
/// unanswered are matched to their orphan reports or closed, accepted records past the report
/// deadline are closed as expired (the last 10 days of the journal; `cmpp journal reconcile`
/// does the whole of it). One stderr line says what changed.
fn reconcile_on_open(journal: &mut sms_journal::Journal) -> Result<(), CliError> {
    let now = chrono::Utc::now();
    let mut settings = sms_sender::ReconcileSettings::default();
    settings.since = Some(now - chrono::Duration::days(10));
    let out = sms_sender::reconcile(journal, now, &settings, false)
        .map_err(|e| CliError::new(Exit::Journal, format!("journal reconciliation failed: {e}")))?;
    if out.changed_anything() {
        eprintln!(
            "cmpp: journal reconciled: {} record(s) matched to their reports, {} closed as \
             unknown (maybe sent, no response), {} expired",
            out.matched.len(),
            out.closed.len(),
            out.expired.len()
        );
    }
    Ok(())
}

/// The `--fault-exit-before-report-commit` hook: dies like a crash would (no cleanup).
fn fault_exit() {
    std::process::exit(86);
}

/// Resolves when the run must stop taking messages: SIGINT, SIGTERM or the deadline. The
/// signal handlers are installed by this call (not at the first poll), so a signal arriving
/// while the first messages are prepared already drains instead of killing the process.
fn stop_requested(
    deadline: Option<Duration>,
) -> impl std::future::Future<Output = String> + Send + 'static {
    let deadline = async move {
        match deadline {
            Some(d) => {
                tokio::time::sleep(d).await;
                format!("deadline of {} s reached", d.as_secs())
            }
            None => std::future::pending().await,
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let handlers = signal(SignalKind::interrupt())
            .and_then(|i| signal(SignalKind::terminate()).map(|t| (i, t)));
        async move {
            let Ok((mut int, mut term)) = handlers else {
                return deadline.await;
            };
            tokio::select! {
                _ = int.recv() => "interrupted (SIGINT)".to_string(),
                _ = term.recv() => "terminated (SIGTERM)".to_string(),
                why = deadline => why,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => "interrupted".to_string(),
                why = deadline => why,
            }
        }
    }
}

/// Resolves once no connection has been up for `limit`.
async fn gateway_gone(client: &dyn sms_sender::Link, limit: Duration) -> String {
    let tick = Duration::from_millis(100).min(limit.max(Duration::from_millis(1)));
    let mut down_since: Option<tokio::time::Instant> = None;
    loop {
        tokio::time::sleep(tick).await;
        if client.live_connections() > 0 {
            down_since = None;
            continue;
        }
        let since = *down_since.get_or_insert_with(tokio::time::Instant::now);
        if since.elapsed() >= limit {
            return format!("gateway unreachable for {} s; gave up", limit.as_secs());
        }
    }
}

/// Resolves once any of the gateways has had no connection up for `limit`; a routed run
/// names the carrier (its other carriers' messages would otherwise wait behind the dead
/// one's, and a run is all carriers or none, as at login).
async fn any_gateway_gone(links: Vec<(Option<Carrier>, Arc<dyn Link>)>, limit: Duration) -> String {
    let watches = links.into_iter().map(|(carrier, link)| {
        Box::pin(async move {
            let why = gateway_gone(link.as_ref(), limit).await;
            match carrier {
                Some(c) => format!("{}'s {why}", c.full_name()),
                None => why,
            }
        })
    });
    futures::future::select_all(watches).await.0
}

fn messages(args: &Args, file: &FileConfig) -> Result<Vec<OutgoingSms>, CliError> {
    let from_file = match args.protocol {
        Protocol::Cmpp => file.gateway.src_id.clone(),
        p => file.carrier(p.carrier()).and_then(|c| c.src_id.clone()),
    };
    let src = args.src_id.clone().or(from_file).unwrap_or_default();
    let one = match (&args.file, &args.text) {
        (Some(path), _) => read_messages(path, &src)?,
        (None, Some(text)) => vec![OutgoingSms {
            src: src.clone(),
            dests: args.to.clone(),
            text: text.clone(),
            category: args.category,
            group_send: args.group_send,
        }],
        (None, None) => {
            return Err(CliError::input(
                "give --to NUMBER… --text TEXT, or --file FILE",
            ))
        }
    };
    let count = args.count.max(1) as usize;
    Ok(one
        .iter()
        .cycle()
        .take(one.len() * count)
        .cloned()
        .collect())
}

/// One message of a `--file`.
#[derive(Debug, serde::Deserialize)]
struct FileMessage {
    #[serde(alias = "dest")]
    to: String,
    text: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    src: Option<String>,
}

fn read_messages(path: &Path, default_src: &str) -> Result<Vec<OutgoingSms>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let rows: Vec<(usize, FileMessage)> = if is_csv {
        let mut rd = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        rd.deserialize()
            .enumerate()
            .map(|(i, r)| {
                r.map(|m| (i + 2, m))
                    .map_err(|e| CliError::input(format!("{} line {}: {e}", path.display(), i + 2)))
            })
            .collect::<Result<_, _>>()?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map(|m| (i + 1, m))
                    .map_err(|e| CliError::input(format!("{} line {}: {e}", path.display(), i + 1)))
            })
            .collect::<Result<_, _>>()?
    };
    rows.into_iter()
        .map(|(line, m)| {
            let category = match m.category.as_deref().map(str::trim) {
                None | Some("") => Category::Other,
                Some(c) => c.parse().map_err(|e| {
                    CliError::input(format!(
                        "{} line {line}, field category: {e}",
                        path.display()
                    ))
                })?,
            };
            Ok(OutgoingSms {
                src: m.src.unwrap_or_else(|| default_src.to_string()),
                dests: m
                    .to
                    .split([' ', ';'])
                    .filter(|d| !d.is_empty())
                    .map(str::to_string)
                    .collect(),
                text: m.text,
                category,
                group_send: false,
            })
        })
        .collect()
}

/// Refusals by check: (count, one example reason).
type Refusals = std::collections::BTreeMap<String, (u64, String)>;

/// The send path of a run: one gateway's sender, or one per carrier behind a [`Router`].
/// Everything after the senders are built (feeding, draining, waiting for reports, closing,
/// counting) goes through this one type, so a routed run keeps every promise of a plain one.
enum SendPath {
    /// One gateway, whose records carry its carrier.
    One(Carrier, Sender),
    /// Every configured carrier's gateway, each destination through its carrier's.
    Routed(Router),
}

impl SendPath {
    /// Sends one message; the reports of the carriers it went through.
    async fn send(&self, sms: OutgoingSms) -> Result<Vec<(Carrier, SendReport)>, SendError> {
        match self {
            SendPath::One(carrier, sender) => sender.send(sms).await.map(|r| vec![(*carrier, r)]),
            SendPath::Routed(router) => router.send(sms).await.map(|r| r.reports),
        }
    }

    /// The senders, by carrier.
    fn senders(&self) -> Vec<(Carrier, &Sender)> {
        match self {
            SendPath::One(carrier, sender) => vec![(*carrier, sender)],
            SendPath::Routed(router) => router
                .carriers()
                .into_iter()
                .filter_map(|c| router.sender(c).map(|s| (c, s)))
                .collect(),
        }
    }

    /// The links to watch, named by carrier when there are several.
    fn links(&self) -> Vec<(Option<Carrier>, Arc<dyn Link>)> {
        let routed = matches!(self, SendPath::Routed(_));
        self.senders()
            .into_iter()
            .map(|(c, s)| (routed.then_some(c), s.link().clone()))
            .collect()
    }

    /// Closes every link at once: what is in flight fails with a definite outcome.
    async fn close_links(&self) {
        let links = self.links();
        futures::future::join_all(links.iter().map(|(_, l)| l.close(Duration::ZERO))).await;
    }

    async fn wait_for_reports(&self, timeout: Duration) -> u64 {
        match self {
            SendPath::One(_, sender) => sender.wait_for_reports(timeout).await,
            SendPath::Routed(router) => router.wait_for_reports(timeout).await,
        }
    }

    async fn close(&self, drain: Duration) -> Result<(), SendError> {
        match self {
            SendPath::One(_, sender) => sender.close(drain).await,
            SendPath::Routed(router) => router.close(drain).await,
        }
    }
}

impl Counts {
    /// Counts one record; a refusal also goes to `refusals`.
    fn add(&mut self, status: &RecordStatus, refusals: &mut Refusals) {
        self.records += 1;
        match status {
            RecordStatus::Accepted { .. } => {
                self.sent += 1;
                self.accepted += 1
            }
            RecordStatus::Rejected { .. } => {
                self.sent += 1;
                self.rejected += 1
            }
            RecordStatus::Failed { .. } => {
                self.sent += 1;
                self.without_outcome += 1
            }
            RecordStatus::Refused { check, reason } => {
                self.refused += 1;
                let e = refusals.entry(check.clone()).or_insert((0, reason.clone()));
                e.0 += 1;
            }
            RecordStatus::NotSent { .. } => {
                self.not_sent += 1;
                self.without_outcome += 1
            }
            // A status a later library adds: not counted as an outcome (exit 8).
            _ => self.without_outcome += 1,
        }
    }
}

async fn send(
    args: &Args,
    file: &FileConfig,
    messages: Vec<OutgoingSms>,
) -> Result<(Summary, Refusals), CliError> {
    let plans: Vec<(Carrier, Plan)> = if args.route {
        route::plans(args, file)?
    } else {
        vec![(args.protocol.carrier(), plan(args, file)?)]
    };
    let journal_dir = args.journal.clone().or_else(|| file.journal.dir.clone());
    let mut journal = journal_dir
        .as_deref()
        .map(wiring::open_journal)
        .transpose()?;
    if let Some((_, reader)) = &mut journal {
        reconcile_on_open(reader)?;
    }
    let policy_file = args.policy.clone().or_else(|| file.policy.file.clone());
    let policy = match (&policy_file, args.no_policy) {
        (_, true) => None,
        (Some(p), false) => Some(
            sms_policy::Policy::from_toml_file(p)
                .map_err(|e| CliError::new(Exit::Config, e.to_string()))?,
        ),
        (None, false) => Some(sms_policy::Policy::new()),
    };
    if let Some(state) = policy
        .as_ref()
        .filter(|_| args.route)
        .and_then(|p| p.rate())
        .and_then(|r| r.path())
    {
        // Each carrier's sender counts its own numbers and saves the counts when it closes:
        // the last save would drop the others' sends from the file, and the next run would
        // allow more messages than the limits do.
        return Err(CliError::new(
            Exit::Config,
            format!(
                "--route cannot keep the rate limit's state file {} (each carrier's sender \
                 would save its counts over the others'); run one carrier per --protocol, \
                 or drop state_file from the policy",
                state.display()
            ),
        ));
    }
    // A routed run serves exactly the carriers it logged in to.
    let contracts: Option<Vec<Carrier>> =
        args.route.then(|| plans.iter().map(|(c, _)| *c).collect());
    let window: usize = plans.iter().map(|(_, p)| p.window).sum();
    // Every gateway is logged in to before anything is sent: a run is all its carriers or
    // none (see `route`).
    let links = futures::future::join_all(plans.iter().map(|(carrier, plan)| async move {
        plan.connect().await.map_err(|e| {
            if args.route {
                route::name_carrier(e, *carrier)
            } else {
                e
            }
        })
    }))
    .await;
    let journaled = journal.is_some();
    let writer = journal.map(|(writer, _)| writer);
    let base_prefix = SenderConfig::default().id_prefix;
    let mut senders: Vec<(Carrier, Sender, Option<String>)> = Vec::new();
    for ((carrier, plan), link) in plans.into_iter().zip(links) {
        let link = link?;
        let mut sender_config = SenderConfig::default();
        sender_config.carrier = carrier;
        sender_config.service_id = plan.service_id.clone();
        sender_config.msg_src = plan.account.clone();
        if args.route {
            // Each sender numbers its own groups: distinct prefixes keep the local ids of
            // one journal unique across carriers.
            sender_config.id_prefix = format!("{base_prefix}{}-", &carrier.as_str()[..1]);
        }
        // Unsubscribe replies are journaled next to the journal's month files.
        sender_config.opt_out_log = journal_dir.as_ref().map(|d| d.join("opt-out.jsonl"));
        sender_config.before_report_commit = args
            .fault_exit_before_report_commit
            .then_some(fault_exit as fn());
        sender_config.before_inbound_commit = args
            .fault_exit_before_inbound_commit
            .then_some(fault_exit as fn());
        let mut builder = Sender::builder(link).config(sender_config);
        if let Some(writer) = &writer {
            builder = builder.journal(writer.clone());
        }
        if let Some(p) = &policy {
            builder = builder.policy(plan.policy(p.clone(), contracts.as_deref()));
        }
        let sender = builder
            .build()
            .map_err(|e| CliError::failure(e.to_string()))?;
        senders.push((carrier, sender, plan.calling_number().map(str::to_string)));
    }
    drop(writer);
    let path = if args.route {
        // Routes and number format are the policy's (its ported numbers included).
        let routing = policy.clone().unwrap_or_default();
        let mut router = Router::new(routing.routes().clone(), routing.number_format());
        for (carrier, sender, calling) in senders {
            router = router.with(carrier, sender);
            if let Some(src) = calling {
                router = router.with_calling_number(carrier, src);
            }
        }
        SendPath::Routed(router)
    } else {
        let (carrier, sender, _) = senders.pop().expect("one plan, one sender");
        SendPath::One(carrier, sender)
    };
    let total = messages.len() as u64;
    let drain = Duration::from_secs(args.drain);
    // Stop taking new messages on a signal, at the deadline, or when a gateway is gone;
    // the messages already taken are drained.
    let taking = std::sync::atomic::AtomicBool::new(true);
    let taken = std::sync::atomic::AtomicU64::new(0);
    let feed = messages.into_iter().take_while(|_| {
        let go = taking.load(std::sync::atomic::Ordering::Acquire);
        if go {
            taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        go
    });
    // With a journal each message waits for its commit (batched by the writer) after its
    // response, so the number of messages in progress, not the window, bounds the rate: keep
    // many more in progress than the window holds (the client queues them for the window).
    // Without one, twice the window keeps it full without idle futures.
    let in_progress = if journaled {
        (window.max(1) * 64).clamp(64, 4096)
    } else {
        window.max(1) * 2
    };
    let stop = stop_requested(args.deadline.map(Duration::from_secs));
    tokio::pin!(stop);
    let mut sends = futures::stream::iter(feed.map(|m| path.send(m))).buffer_unordered(in_progress);
    let gone = any_gateway_gone(path.links(), Duration::from_secs(args.give_up_after.max(1)));
    tokio::pin!(gone);
    let mut stopped: Option<String> = None;
    let mut reports: Vec<Result<Vec<(Carrier, SendReport)>, SendError>> = Vec::new();
    let mut drain_until: Option<tokio::time::Instant> = None;
    loop {
        let drain_timer = async {
            match drain_until {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = sends.next() => match r {
                Some(r) => reports.push(r),
                None => break,
            },
            why = &mut stop, if stopped.is_none() => {
                eprintln!("cmpp: {why}; draining for up to {} s", drain.as_secs());
                taking.store(false, std::sync::atomic::Ordering::Release);
                stopped = Some(why);
                drain_until = Some(tokio::time::Instant::now() + drain);
            }
            why = &mut gone, if stopped.is_none() => {
                eprintln!("cmpp: {why}");
                taking.store(false, std::sync::atomic::Ordering::Release);
                stopped = Some(why);
                // Nothing can be answered without a gateway: close now.
                drain_until = Some(tokio::time::Instant::now());
            }
            () = drain_timer => {
                // Close the links: what is still in flight fails with a definite
                // "maybe accepted" outcome and is journaled as such.
                let (rest, ()) = tokio::join!(
                    (&mut sends).collect::<Vec<_>>(),
                    path.close_links()
                );
                reports.extend(rest);
                break;
            }
        }
    }
    if args.wait_reports > 0 && stopped.is_none() {
        tokio::select! {
            _ = path.wait_for_reports(Duration::from_secs(args.wait_reports)) => {}
            why = &mut stop => {
                eprintln!("cmpp: {why}; no longer waiting for reports");
                stopped = Some(why);
            }
        }
    }
    let outstanding: Vec<(Carrier, u64)> = path
        .senders()
        .into_iter()
        .map(|(c, s)| (c, s.reports_outstanding()))
        .collect();
    path.close(drain)
        .await
        .map_err(|e| CliError::failure(e.to_string()))?;
    let taken = taken.load(std::sync::atomic::Ordering::Relaxed);
    let mut refusals = Refusals::new();
    let mut counts = Counts {
        reports_outstanding: outstanding.iter().map(|(_, n)| n).sum(),
        ..Counts::default()
    };
    let mut carriers: BTreeMap<&'static str, CarrierSummary> = BTreeMap::new();
    if let SendPath::Routed(_) = &path {
        for (carrier, sender) in path.senders() {
            let reports_outstanding = outstanding
                .iter()
                .find(|(c, _)| *c == carrier)
                .map_or(0, |(_, n)| *n);
            carriers.insert(
                carrier.as_str(),
                CarrierSummary {
                    counts: Counts {
                        reports_outstanding,
                        ..Counts::default()
                    },
                    stats: sender.stats(),
                },
            );
        }
    }
    for r in reports {
        let parts = r.map_err(|e| match e {
            SendError::Journal(_) | SendError::JournalStopped => {
                CliError::new(Exit::Journal, e.to_string())
            }
            other => CliError::input(other.to_string()),
        })?;
        for (carrier, report) in parts {
            for rec in &report.records {
                counts.add(&rec.status, &mut refusals);
                if let Some(c) = carriers.get_mut(carrier.as_str()) {
                    c.counts.add(&rec.status, &mut Refusals::new());
                }
            }
        }
    }
    let stats = match &path {
        SendPath::One(_, sender) => Some(sender.stats()),
        SendPath::Routed(_) => None,
    };
    let summary = Summary {
        messages: total,
        not_taken: total.saturating_sub(taken),
        stopped,
        counts,
        stats,
        carriers,
    };
    Ok((summary, refusals))
}
