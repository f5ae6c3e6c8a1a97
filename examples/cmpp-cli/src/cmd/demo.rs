//! `cmpp demo`: the whole chain on one machine, on built-in defaults.
//!
//! A gateway simulator starts in-process on a free loopback port; the 12123 platform's traffic
//! goes out through the policy and the SP client; every event lands in a fresh journal; after
//! the status reports are in, the month's SLA report and the quarter's settlement statement
//! are written next to it. Time is a simulated clock that starts at `--start`, so that the
//! run falls inside the contract's term whatever today's date is.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use cmpp_codec::Version;
use cmpp_session::{
    Account, Backoff, Client, ClientConfig, Clock, InMemoryAccounts, Server, ServerConfig,
    TokioClock,
};
use cmpp_sim::{SimProfile, Simulator};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sms_billing::render::{render as render_statement, Format};
use sms_billing::{IncidentLog, Ledger, Period, Settlement, Terms};
use sms_records::{beijing, Carrier, Record};
use sms_sla::{Aggregator, SlaSettings};

use super::demo_traffic;
use crate::error::{CliError, Exit};
use crate::wiring;

const SP_ID: &str = "900001";
/// The demo SP's SGIP corporation id (part of its node id).
const SGIP_CORP_ID: u32 = 12123;
/// The demo SP's SMGP ClientID.
const SMGP_CLIENT_ID: &str = "90000001";
const SECRET: &str = "demo-secret";
const DEFAULT_PROFILE: &str = include_str!("../../demo/sim-profile.toml");
const DEFAULT_INCIDENTS: &str = include_str!("../../demo/incidents.toml");

/// Options of `cmpp demo`; every one has a default.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Messages the platform hands over (each may become several records).
    #[arg(long, default_value_t = 2000)]
    pub messages: usize,
    /// Protocol version: 2.0 or 3.0.
    #[arg(long, default_value = "3.0", value_parser = wiring::parse_version)]
    pub version: Version,
    /// Simulator profile (TOML); default: the built-in realistic profile.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Output folder; must not exist or be empty. Default: a fresh `cmpp-demo-N` here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed of the traffic and of the simulator.
    #[arg(long, default_value_t = 12123)]
    pub seed: u64,
    /// Simulated start time (Beijing), inside the contract term.
    #[arg(long, default_value = "2026-03-16T09:00:00+08:00")]
    pub start: DateTime<FixedOffset>,
    /// Seconds to wait for the last status reports.
    #[arg(long, default_value_t = 30)]
    pub wait_reports: u64,
    /// The carriers' gateways to run, by protocol: cmpp (China Mobile), sgip (China Unicom),
    /// smgp (China Telecom). Each destination goes to its carrier's gateway by number.
    #[arg(long, value_delimiter = ',', default_value = "cmpp,sgip,smgp", value_parser = parse_carrier)]
    pub carriers: Vec<Carrier>,
}

/// `cmpp`, `sgip`, `smgp` (or the carriers' names).
fn parse_carrier(s: &str) -> Result<Carrier, String> {
    match s {
        "cmpp" => Ok(Carrier::ChinaMobile),
        "sgip" => Ok(Carrier::ChinaUnicom),
        "smgp" => Ok(Carrier::ChinaTelecom),
        other => other
            .parse::<Carrier>()
            .map_err(|_| format!("unknown carrier '{other}': use cmpp, sgip or smgp")),
    }
}

/// The protocol a carrier's gateway speaks in the demo.
fn protocol_name(c: Carrier) -> &'static str {
    match c {
        Carrier::ChinaUnicom => "SGIP 1.2",
        Carrier::ChinaTelecom => "SMGP 3.0",
        _ => "CMPP",
    }
}

/// What the demo prints and writes as `summary.json`.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Messages handed over.
    pub messages: usize,
    /// Records (destinations × segments) handed over.
    pub records: u64,
    /// Records refused by the policy.
    pub refused: u64,
    /// Records the gateway accepted.
    pub accepted: u64,
    /// Records the gateway rejected.
    pub rejected: u64,
    /// Records without a definite outcome.
    pub failed: u64,
    /// Status reports received.
    pub reports: u64,
    /// Records in the journal.
    pub journal_records: u64,
    /// Journal records by final state.
    pub final_states: std::collections::BTreeMap<String, u64>,
    /// Records the simulator accepted (result 0).
    pub simulator_accepted: u64,
    /// Times the link was dropped and came back.
    pub links_dropped: u64,
    /// User replies received, and opt-outs they caused.
    pub user_messages: u64,
    /// Numbers that opted out.
    pub opt_outs: u64,
    /// The SLA month.
    pub month: String,
    /// Success rate of the month.
    pub success_rate: Option<String>,
    /// Timeliness rate of the month.
    pub timeliness_rate: Option<String>,
    /// Messages counted by the SLA in the month.
    pub sla_counted: u64,
    /// Breaches (clause and window).
    pub breaches: Vec<String>,
    /// The settlement period.
    pub period: String,
    /// Billable messages of the period.
    pub billable: u64,
    /// Gross fee.
    pub gross: String,
    /// Penalties.
    pub penalties: String,
    /// Net payable.
    pub net_payable: String,
    /// The same figures for each carrier (its gateway, records, SLA and statement).
    pub carriers: std::collections::BTreeMap<String, CarrierSummary>,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// One carrier's part of the demo.
#[derive(Debug, Clone, Serialize)]
pub struct CarrierSummary {
    /// The protocol its gateway speaks.
    pub protocol: &'static str,
    /// Records handed to its sender.
    pub records: u64,
    /// Of them refused by the policy.
    pub refused: u64,
    /// Accepted by its gateway.
    pub accepted: u64,
    /// Status reports received from it.
    pub reports: u64,
    /// Records its simulator accepted.
    pub simulator_accepted: u64,
    /// Its records in the journal.
    pub journal_records: u64,
    /// Success rate of the month under its contract.
    pub success_rate: Option<String>,
    /// Timeliness rate of the month under its contract.
    pub timeliness_rate: Option<String>,
    /// Billable messages of the period.
    pub billable: u64,
    /// Net payable.
    pub net_payable: String,
}

/// Runs `cmpp demo`.
pub fn run(args: Args) -> Result<(), CliError> {
    wiring::init_logging("error");
    let out = fresh_out(args.out.as_deref())?;
    let profile = match &args.profile {
        Some(path) => {
            SimProfile::load(path).map_err(|e| CliError::new(Exit::Config, e.to_string()))?
        }
        None => {
            let mut p = SimProfile::from_toml(DEFAULT_PROFILE)
                .map_err(|e| CliError::failure(format!("built-in profile: {e}")))?;
            p.seed = args.seed;
            p
        }
    };
    let rt = wiring::runtime()?;
    let summary = rt.block_on(demo(&args, &out, profile))?;
    print_summary(&summary, &out);
    Ok(())
}

/// `--out` when given (it must be empty or absent), else the first free `cmpp-demo-N`.
fn fresh_out(out: Option<&Path>) -> Result<PathBuf, CliError> {
    let dir = match out {
        Some(d) => d.to_path_buf(),
        None => (1..)
            .map(|n| {
                PathBuf::from(if n == 1 {
                    "cmpp-demo".to_string()
                } else {
                    format!("cmpp-demo-{n}")
                })
            })
            .find(|p| !p.exists())
            .expect("some folder name is free"),
    };
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(CliError::new(
            Exit::Journal,
            format!(
                "output folder {} is not empty; give a new --out",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::new(
            Exit::Journal,
            format!("cannot create output folder {}: {e}", dir.display()),
        )
    })?;
    Ok(dir)
}

/// Progress on a terminal as a bar, otherwise as plain lines.
struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    last_line: u64,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg:<28} [{bar:30}] {pos}/{len}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b
        });
        Progress {
            bar,
            total,
            last_line: 0,
        }
    }

    fn stage(&mut self, msg: &str, total: u64) {
        self.total = total;
        self.last_line = 0;
        match &self.bar {
            Some(b) => {
                b.set_length(total);
                b.set_position(0);
                b.set_message(msg.to_string());
            }
            None => eprintln!("cmpp demo: {msg}"),
        }
    }

    fn set(&mut self, pos: u64) {
        match &self.bar {
            Some(b) => b.set_position(pos),
            None => {
                // A line every 25 %.
                let step = (self.total / 4).max(1);
                if pos >= self.last_line + step || (pos == self.total && pos != self.last_line) {
                    self.last_line = pos;
                    eprintln!("cmpp demo:   {pos}/{}", self.total);
                }
            }
        }
    }

    fn note(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("cmpp demo: {line}"),
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// A carrier's gateway simulator, running.
enum Gateway {
    Cmpp {
        server: Server,
        sim: Arc<Simulator>,
        tasks: Vec<tokio::task::JoinHandle<()>>,
    },
    Sgip(cmpp_sim::sgip::Running),
    Smgp(cmpp_sim::smgp::Running),
}

impl Gateway {
    fn reports_scheduled(&self) -> u64 {
        match self {
            Gateway::Cmpp { sim, .. } => sim.stats().reports_scheduled,
            Gateway::Sgip(r) => r.stats().reports_scheduled,
            Gateway::Smgp(r) => r.stats().reports_scheduled,
        }
    }

    async fn shutdown(self) {
        match self {
            Gateway::Cmpp { server, sim, tasks } => {
                sim.stop();
                for t in tasks {
                    let _ = t.await;
                }
                server.shutdown().await;
            }
            Gateway::Sgip(r) => r.shutdown().await,
            Gateway::Smgp(r) => r.shutdown().await,
        }
    }
}

fn sender_config(args: &Args, carrier: Carrier, journal_dir: &Path) -> sms_sender::SenderConfig {
    let mut v = sms_sender::SenderConfig::default();
    v.service_id = "12123".into();
    v.msg_src = SP_ID.into();
    // Distinct per carrier: each sender numbers its own groups.
    v.id_prefix = match carrier {
        Carrier::ChinaMobile => format!("demo{}-", args.seed),
        other => format!("demo{}{}-", args.seed, &other.as_str()[..1]),
    };
    v.opt_out_log = Some(journal_dir.join("opt-out.jsonl"));
    v.carrier = carrier;
    v
}

fn policy(carriers: &[Carrier]) -> sms_policy::Policy {
    sms_policy::Policy::new().with_contracts(carriers.iter().copied())
}

/// China Mobile's gateway (CMPP) and its client, as the demo has always run them.
async fn start_cmpp(
    args: &Args,
    profile: &SimProfile,
    clock: &Arc<dyn Clock>,
) -> Result<(Gateway, Client), CliError> {
    let sim = Simulator::with_clock(profile, clock.clone())
        .map_err(|e| CliError::new(Exit::Config, e.to_string()))?;
    let accounts = InMemoryAccounts::new();
    let mut account = Account::new(SP_ID, SECRET.as_bytes().to_vec());
    account.window = 64;
    accounts.insert(account);
    let server_config = {
        let mut v = ServerConfig::default();
        v.version = args.version;
        v.gateway_code = profile.gateway_code;
        v
    };
    let server = Server::bind_with_clock(
        "127.0.0.1:0".parse().expect("a loopback address"),
        server_config,
        Arc::new(accounts),
        sim.clone(),
        clock.clone(),
    )
    .await
    .map_err(|e| CliError::failure(format!("cannot start the simulator: {e}")))?;
    let gateway = server.local_addr();
    let tasks = sim.start(server.handle());
    let config = ClientConfig::builder(gateway, SP_ID, SECRET.as_bytes().to_vec())
        .version(args.version)
        .window(16)
        .connections(2)
        .flow_control_max_resends(100)
        .reconnect(Backoff {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(2),
            ..Backoff::default()
        })
        .event_capacity(65_536)
        .clock(clock.clone())
        .build();
    let client = Client::connect(config)
        .await
        .map_err(|e| wiring::login_error(e, gateway))?;
    Ok((Gateway::Cmpp { server, sim, tasks }, client))
}

/// China Unicom's gateway (SGIP 1.2): the SMG simulator, and the SP's client with the
/// listener the SMG connects back to for reports and MO messages.
async fn start_sgip(
    profile: &SimProfile,
    clock: &Arc<dyn Clock>,
) -> Result<(Gateway, sgip_session::Client), CliError> {
    let listen = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .and_then(|l| l.local_addr())
        .map_err(|e| CliError::failure(format!("no free port for the SGIP listener: {e}")))?;
    let creds = sgip_session::Credentials::new(SP_ID, SECRET);
    let config = sgip_session::ServerConfig::new(sgip_session::Accounts::new().with(SP_ID, SECRET))
        .with_push(listen, creds);
    let running = cmpp_sim::sgip::Running::bind_with_clock(
        "127.0.0.1:0".parse().expect("a loopback address"),
        config,
        profile,
        clock.clone(),
    )
    .await
    .map_err(|e| CliError::failure(format!("cannot start the SGIP simulator: {e}")))?;
    let client_config =
        sgip_session::ClientConfig::new(running.local_addr(), SP_ID, SECRET, listen)
            .with_node_id(sgip_codec::sp_node_id("10", SGIP_CORP_ID).unwrap_or(0))
            .with_window(16)
            .with_clock(clock.clone());
    let client = sgip_session::Client::connect(client_config)
        .await
        .map_err(|e| CliError::failure(format!("SGIP login failed: {e}")))?;
    Ok((Gateway::Sgip(running), client))
}

/// China Telecom's gateway (SMGP 3.0) and its client.
async fn start_smgp(
    profile: &SimProfile,
    clock: &Arc<dyn Clock>,
) -> Result<(Gateway, smgp_session::Client), CliError> {
    let accounts: smgp_session::Accounts = [smgp_session::Account::new(SMGP_CLIENT_ID, SECRET)]
        .into_iter()
        .collect();
    let running = cmpp_sim::smgp::Running::bind(
        "127.0.0.1:0".parse().expect("a loopback address"),
        smgp_session::ServerConfig::default().with_clock(clock.clone()),
        accounts,
        profile,
    )
    .await
    .map_err(|e| CliError::failure(format!("cannot start the SMGP simulator: {e}")))?;
    let client = smgp_session::Client::connect(
        smgp_session::ClientConfig::new(running.local_addr(), SMGP_CLIENT_ID, SECRET)
            .with_clock(clock.clone()),
    )
    .await
    .map_err(|e| CliError::failure(format!("SMGP login failed: {e}")))?;
    Ok((Gateway::Smgp(running), client))
}

async fn demo(args: &Args, out: &Path, profile: SimProfile) -> Result<Summary, CliError> {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(args.start.with_timezone(&Utc)));
    let mut carriers: Vec<Carrier> = Vec::new();
    for c in &args.carriers {
        if !carriers.contains(c) {
            carriers.push(*c);
        }
    }
    if carriers.is_empty() {
        return Err(CliError::new(Exit::Config, "--carriers names no carrier"));
    }
    let traffic = demo_traffic::generate(args.seed, args.messages, &carriers);
    let mut progress = Progress::new(traffic.len() as u64);

    // The SP side: one journal for every carrier; each carrier's gateway and client.
    let journal_dir = out.join("journal");
    let (writer, mut journal) = wiring::open_journal(&journal_dir)?;
    let routing = policy(&carriers);
    let mut router = sms_sender::Router::new(routing.routes().clone(), routing.number_format());
    let mut gateways: Vec<(Carrier, Gateway)> = Vec::new();
    for &carrier in &carriers {
        let (gateway, link): (Gateway, Arc<dyn sms_sender::Link>) = match carrier {
            Carrier::ChinaUnicom => {
                let (g, client) = start_sgip(&profile, &clock).await?;
                (
                    g,
                    Arc::new(sms_sender::link::sgip::SgipLink::new(
                        client,
                        format!("{SGIP_CORP_ID:05}"),
                    )),
                )
            }
            Carrier::ChinaTelecom => {
                let (g, client) = start_smgp(&profile, &clock).await?;
                (g, Arc::new(sms_sender::link::smgp::SmgpLink::new(client)))
            }
            _ => {
                let (g, client) = start_cmpp(args, &profile, &clock).await?;
                (g, sms_sender::IntoLink::into_link(client))
            }
        };
        let sender = sms_sender::Sender::builder(link)
            .policy(policy(&carriers))
            .journal(writer.clone())
            .config(sender_config(args, carrier, &journal_dir))
            .build()
            .map_err(|e| CliError::failure(e.to_string()))?;
        progress.note(&format!(
            "{} gateway simulator ({}) running",
            carrier.full_name(),
            match (&gateway, carrier) {
                (Gateway::Cmpp { .. }, _) => format!("CMPP {}", version_text(args.version)),
                (_, c) => protocol_name(c).to_string(),
            }
        ));
        router = router.with(carrier, sender);
        gateways.push((carrier, gateway));
    }
    drop(writer);

    // Two bursts with every CMPP link dropped between them.
    let half = traffic.len() / 2;
    let mut traffic = traffic.into_iter();
    let mut done = 0u64;
    progress.stage("sending (burst 1 of 2)", half as u64);
    send_all(
        &router,
        traffic.by_ref().take(half),
        &mut progress,
        &mut done,
    )
    .await?;
    let mut links_dropped = 0;
    if let Some((_, Gateway::Cmpp { server, .. })) =
        gateways.iter().find(|(c, _)| *c == Carrier::ChinaMobile)
    {
        let handle = server.handle();
        handle.drop_connections(None);
        links_dropped = 1;
        progress.note("dropped every CMPP link to the gateway; the client reconnects");
        // Back when the gateway has seen both links go and two fresh logins come, and the
        // client counts both as up (a client notices a dead link asynchronously, so its own
        // count alone could still include a link that is about to fail).
        wait_until(Duration::from_secs(5), || {
            handle.connection_count(SP_ID) == 0
        })
        .await;
        let mobile = router.sender(Carrier::ChinaMobile);
        wait_until(Duration::from_secs(15), || {
            handle.connection_count(SP_ID) == 2
                && mobile.is_some_and(|s| s.link().live_connections() == 2)
        })
        .await;
    }
    let rest: Vec<_> = traffic.collect();
    progress.stage("sending (burst 2 of 2)", rest.len() as u64);
    done = 0;
    send_all(&router, rest.into_iter(), &mut progress, &mut done).await?;

    // Status reports.
    let expected = router.reports_outstanding();
    progress.stage("waiting for status reports", expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_reports);
    loop {
        let left = router.wait_for_reports(Duration::from_millis(250)).await;
        progress.set(expected.saturating_sub(left));
        if left == 0 || tokio::time::Instant::now() >= deadline {
            break;
        }
    }
    let end_of_run = clock.now_utc();
    router
        .close(Duration::from_secs(5))
        .await
        .map_err(|e| CliError::failure(e.to_string()))?;
    let mut scheduled = std::collections::BTreeMap::new();
    for (carrier, gateway) in gateways {
        // Every demo SUBMIT asks for a report, so a simulator schedules one per accepted
        // record.
        scheduled.insert(carrier, gateway.reports_scheduled());
        gateway.shutdown().await;
    }
    progress.finish();

    // Reports from the journal: China Mobile's contract at the top (as this repository's
    // contract is China Mobile's), every other carrier's in its own folder.
    let mut files = Vec::new();
    let records = export(&mut journal, &out.join("records.csv"), &mut files)?;
    let month = month_of(args.start);
    let primary = if carriers.contains(&Carrier::ChinaMobile) {
        Carrier::ChinaMobile
    } else {
        carriers[0]
    };
    let mut per_carrier = std::collections::BTreeMap::new();
    let mut primary_figures = None;
    for &carrier in &carriers {
        let mine: Vec<Record> = records
            .iter()
            .filter(|r| r.carrier == carrier)
            .cloned()
            .collect();
        let dir = if carrier == primary {
            out.to_path_buf()
        } else {
            let d = out.join(carrier.as_str());
            std::fs::create_dir_all(&d).map_err(|e| {
                CliError::new(Exit::Journal, format!("cannot create {}: {e}", d.display()))
            })?;
            d
        };
        let sla = sla_report(&mine, month, end_of_run, &dir, &mut files)?;
        let statement = settlement(&mine, args.start, &dir, &mut files)?;
        let Some(stats) = router.sender(carrier).map(|s| s.stats()) else {
            continue;
        };
        let m = sla.windows.first();
        per_carrier.insert(
            carrier.as_str().to_string(),
            CarrierSummary {
                protocol: protocol_name(carrier),
                records: stats.records,
                refused: stats.refused,
                accepted: stats.accepted,
                reports: stats.reports,
                simulator_accepted: scheduled.get(&carrier).copied().unwrap_or(0),
                journal_records: mine.len() as u64,
                success_rate: m.and_then(|w| w.success_rate.map(|r| r.to_string())),
                timeliness_rate: m.and_then(|w| w.timeliness_rate.map(|r| r.to_string())),
                billable: statement.billable,
                net_payable: sms_billing::money::fen_text(statement.net_payable),
            },
        );
        if carrier == primary {
            primary_figures = Some((sla, statement));
        }
    }
    let (sla, statement) = primary_figures.expect("the primary carrier is among the carriers");

    let mut final_states = std::collections::BTreeMap::new();
    for r in &records {
        *final_states
            .entry(r.final_state.as_str().to_string())
            .or_insert(0) += 1;
    }
    let total = |f: fn(&sms_sender::SenderStats) -> u64| -> u64 {
        carriers
            .iter()
            .filter_map(|c| router.sender(*c))
            .map(|s| f(&s.stats()))
            .sum()
    };
    let m = sla.windows.first();
    let summary = Summary {
        messages: args.messages,
        records: total(|s| s.records),
        refused: total(|s| s.refused),
        accepted: total(|s| s.accepted),
        rejected: total(|s| s.rejected),
        failed: total(|s| s.failed),
        reports: total(|s| s.reports),
        journal_records: records.len() as u64,
        final_states,
        simulator_accepted: scheduled.values().sum(),
        links_dropped,
        user_messages: total(|s| s.user_messages),
        opt_outs: total(|s| s.opt_outs),
        month: m.map(|w| w.label.clone()).unwrap_or_default(),
        success_rate: m.and_then(|w| w.success_rate.map(|r| r.to_string())),
        timeliness_rate: m.and_then(|w| w.timeliness_rate.map(|r| r.to_string())),
        sla_counted: m.map_or(0, |w| w.counted),
        breaches: sla
            .breaches
            .iter()
            .map(|b| format!("{} in {}", b.clause, b.window))
            .collect(),
        period: statement.period.label.clone(),
        billable: statement.billable,
        gross: sms_billing::money::fen_text(statement.gross),
        penalties: sms_billing::money::fen_text(statement.penalties_total),
        net_payable: sms_billing::money::fen_text(statement.net_payable),
        carriers: per_carrier,
        files,
    };
    let path = out.join("summary.json");
    write(
        &path,
        &serde_json::to_string_pretty(&summary).expect("the summary serialises"),
    )?;
    Ok(Summary {
        files: {
            let mut f = summary.files.clone();
            f.push(path);
            f
        },
        ..summary
    })
}

async fn send_all(
    router: &sms_sender::Router,
    messages: impl Iterator<Item = sms_sender::OutgoingSms>,
    progress: &mut Progress,
    done: &mut u64,
) -> Result<(), CliError> {
    let mut results = futures::stream::iter(messages.map(|m| router.send(m))).buffer_unordered(64);
    while let Some(r) = results.next().await {
        r.map_err(|e| CliError::new(Exit::Journal, e.to_string()))?;
        *done += 1;
        progress.set(*done);
    }
    Ok(())
}

async fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !ready() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn version_text(v: Version) -> &'static str {
    match v {
        Version::V20 => "2.0",
        Version::V30 => "3.0",
    }
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| {
        CliError::new(
            Exit::Journal,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// Every record of the journal, also written as the CSV interchange file.
fn export(
    journal: &mut sms_journal::Journal,
    path: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<Vec<Record>, CliError> {
    let jerr = |e: &dyn std::fmt::Display| CliError::new(Exit::Journal, e.to_string());
    let records: Vec<Record> = journal
        .export(None, None)
        .map_err(|e| jerr(&e))?
        .collect::<Result<_, _>>()
        .map_err(|e| jerr(&e))?;
    let file = std::fs::File::create(path).map_err(|e| jerr(&e))?;
    let mut w =
        sms_records::csv_io::CsvWriter::new(std::io::BufWriter::new(file)).map_err(|e| jerr(&e))?;
    for r in &records {
        w.write(r).map_err(|e| jerr(&e))?;
    }
    w.finish().map_err(|e| jerr(&e))?;
    files.push(path.to_path_buf());
    Ok(records)
}

/// First day of the Beijing month of `t`.
fn month_of(t: DateTime<FixedOffset>) -> NaiveDate {
    let b = t.with_timezone(&beijing());
    NaiveDate::from_ymd_opt(b.year(), b.month(), 1).expect("a valid month")
}

fn beijing_midnight(d: NaiveDate) -> DateTime<FixedOffset> {
    beijing()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("UTC+8 has no gaps")
}

/// The month's SLA report in Markdown, JSON and HTML, as of the end of the run plus the
/// report deadline (every record is then final).
fn sla_report(
    records: &[Record],
    month: NaiveDate,
    end_of_run: DateTime<Utc>,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<sms_sla::SlaReport, CliError> {
    let settings = SlaSettings::default();
    let from = beijing_midnight(month);
    let until = beijing_midnight(
        month
            .checked_add_months(chrono::Months::new(1))
            .expect("next month"),
    );
    let as_of = end_of_run + chrono::Duration::hours(i64::from(settings.report_deadline_hours));
    let mut agg = Aggregator::new(&settings, from, until, as_of)
        .map_err(|e| CliError::failure(e.to_string()))?;
    for r in records {
        agg.add(r);
    }
    let report = agg.report();
    let stem = format!("sla-{}", month.format("%Y-%m"));
    for (ext, text) in [
        ("md", sms_sla::render::markdown(&report)),
        ("json", sms_sla::render::json(&report)),
        ("html", sms_sla::render::html(&report)),
    ] {
        let path = out.join(format!("{stem}.{ext}"));
        write(&path, &text)?;
        files.push(path);
    }
    Ok(report)
}

/// The settlement statement of the quarter containing `start`, with the sample incidents.
fn settlement(
    records: &[Record],
    start: DateTime<FixedOffset>,
    out: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<sms_billing::Statement, CliError> {
    let terms = Terms::default();
    let b = start.with_timezone(&beijing());
    let label = format!("{}Q{}", b.year(), (b.month() - 1) / 3 + 1);
    let period = Period::parse(&label, &terms).map_err(|e| CliError::failure(e.to_string()))?;
    let incidents_path = out.join("incidents.toml");
    write(&incidents_path, DEFAULT_INCIDENTS)?;
    files.push(incidents_path.clone());
    let log = IncidentLog::load(&incidents_path).map_err(|e| CliError::failure(e.to_string()))?;
    // Settled after the period, once the fee documents are in: as of the 15th of the next month.
    let as_of_date = period.end_day + chrono::Days::new(14);
    let as_of = beijing_midnight(as_of_date).with_timezone(&Utc);
    // Honoured exemption claims (7.1–7.4) take their messages out of the rates,
    // as `cmpp settle --incidents` does.
    let mut settlement = Settlement::with_exemptions(
        period,
        &Settlement::sla_settings(&terms),
        &sms_billing::exempt::sla_exemptions(&terms, &log),
        as_of_date,
        as_of,
    )
    .map_err(|e| CliError::failure(e.to_string()))?;
    for r in records {
        settlement.add(r);
    }
    let (statement, _) = settlement
        .finish(&terms, &log, &Ledger::default(), None)
        .map_err(|e| CliError::failure(e.to_string()))?;
    let stem = format!("settlement-{label}");
    for (ext, format) in [
        ("md", Format::Markdown),
        ("json", Format::Json),
        ("csv", Format::Csv),
    ] {
        let path = out.join(format!("{stem}.{ext}"));
        write(&path, &render_statement(&statement, format))?;
        files.push(path);
    }
    Ok(statement)
}

fn print_summary(s: &Summary, out: &Path) {
    println!("cmpp demo: the whole chain ran on this machine");
    println!();
    println!(
        "  messages handed over   {:>8}  ({} records: destinations x segments)",
        s.messages, s.records
    );
    println!("  refused by the policy  {:>8}", s.refused);
    println!(
        "  accepted by the gateway{:>8}  (rejected {}, no outcome {})",
        s.accepted, s.rejected, s.failed
    );
    println!("  status reports         {:>8}", s.reports);
    println!(
        "  user replies           {:>8}  ({} opted out)",
        s.user_messages, s.opt_outs
    );
    println!(
        "  journal records        {:>8}  {:?}",
        s.journal_records, s.final_states
    );
    println!();
    println!(
        "  SLA {}: success {} / timeliness {} over {} counted messages; breaches: {}",
        s.month,
        s.success_rate.as_deref().unwrap_or("n/a"),
        s.timeliness_rate.as_deref().unwrap_or("n/a"),
        s.sla_counted,
        if s.breaches.is_empty() {
            "none".to_string()
        } else {
            s.breaches.join(", ")
        }
    );
    println!(
        "  settlement {}: billable {} x 0.041 = {} CNY; penalties {}; net payable {} CNY",
        s.period, s.billable, s.gross, s.penalties, s.net_payable
    );
    println!();
    println!("  written to {}:", out.display());
    for f in &s.files {
        println!("    {}", f.display());
    }
}
