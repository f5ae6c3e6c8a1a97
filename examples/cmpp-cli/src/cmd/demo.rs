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
use sms_records::{beijing, Record};
use sms_sla::{Aggregator, SlaSettings};

use super::demo_traffic;
use crate::error::{CliError, Exit};
use crate::wiring;

const SP_ID: &str = "900001";
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
    /// Files written.
    pub files: Vec<PathBuf>,
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

async fn demo(args: &Args, out: &Path, profile: SimProfile) -> Result<Summary, CliError> {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(args.start.with_timezone(&Utc)));
    let traffic = demo_traffic::generate(args.seed, args.messages);
    let mut progress = Progress::new(traffic.len() as u64);

    // The gateway: the simulator on the server role, on a free loopback port.
    let sim = Simulator::with_clock(&profile, clock.clone())
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
    let sim_tasks = sim.start(server.handle());
    progress.note(&format!(
        "gateway simulator listening on {gateway} (CMPP {})",
        version_text(args.version)
    ));

    // The SP side: journal, policy, client.
    let journal_dir = out.join("journal");
    let (writer, mut journal) = wiring::open_journal(&journal_dir)?;
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
    let sender = sms_sender::Sender::builder(client)
        .policy(sms_policy::Policy::new())
        .journal(writer)
        .config({
            let mut v = sms_sender::SenderConfig::default();
            v.service_id = "12123".into();
            v.msg_src = SP_ID.into();
            v.id_prefix = format!("demo{}-", args.seed);
            v.opt_out_log = Some(journal_dir.join("opt-out.jsonl"));
            v
        })
        .build()
        .map_err(|e| CliError::failure(e.to_string()))?;

    // Two bursts with a dropped link between them.
    let half = traffic.len() / 2;
    let mut traffic = traffic.into_iter();
    let mut done = 0u64;
    progress.stage("sending (burst 1 of 2)", half as u64);
    send_all(
        &sender,
        traffic.by_ref().take(half),
        &mut progress,
        &mut done,
    )
    .await?;
    let handle = server.handle();
    handle.drop_connections(None);
    progress.note("dropped every link to the gateway; the client reconnects");
    // Back when the gateway has seen both links go and two fresh logins come, and the client
    // counts both as up (a client notices a dead link asynchronously, so its own count alone
    // could still include a link that is about to fail).
    wait_until(Duration::from_secs(5), || {
        handle.connection_count(SP_ID) == 0
    })
    .await;
    wait_until(Duration::from_secs(15), || {
        handle.connection_count(SP_ID) == 2 && sender.link().live_connections() == 2
    })
    .await;
    let rest: Vec<_> = traffic.collect();
    progress.stage("sending (burst 2 of 2)", rest.len() as u64);
    done = 0;
    send_all(&sender, rest.into_iter(), &mut progress, &mut done).await?;

    // Status reports.
    let expected = sender.reports_outstanding();
    progress.stage("waiting for status reports", expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.wait_reports);
    loop {
        let left = sender.wait_for_reports(Duration::from_millis(250)).await;
        progress.set(expected.saturating_sub(left));
        if left == 0 || tokio::time::Instant::now() >= deadline {
            break;
        }
    }
    let end_of_run = clock.now_utc();
    sender
        .close(Duration::from_secs(5))
        .await
        .map_err(|e| CliError::failure(e.to_string()))?;
    sim.stop();
    for t in sim_tasks {
        let _ = t.await;
    }
    server.shutdown().await;
    progress.finish();
    let stats = sender.stats();
    let sim_stats = sim.stats();

    // Reports from the journal.
    let mut files = Vec::new();
    let records = export(&mut journal, &out.join("records.csv"), &mut files)?;
    let month = month_of(args.start);
    let sla = sla_report(&records, month, end_of_run, out, &mut files)?;
    let statement = settlement(&records, args.start, out, &mut files)?;

    let mut final_states = std::collections::BTreeMap::new();
    for r in &records {
        *final_states
            .entry(r.final_state.as_str().to_string())
            .or_insert(0) += 1;
    }
    // Every demo SUBMIT asks for a report, so the simulator schedules one per accepted record.
    let accepted_by_sim = sim_stats.reports_scheduled;
    let m = sla.windows.first();
    let summary = Summary {
        messages: args.messages,
        records: stats.records,
        refused: stats.refused,
        accepted: stats.accepted,
        rejected: stats.rejected,
        failed: stats.failed,
        reports: stats.reports,
        journal_records: records.len() as u64,
        final_states,
        simulator_accepted: accepted_by_sim,
        links_dropped: 1,
        user_messages: stats.user_messages,
        opt_outs: stats.opt_outs,
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
    sender: &sms_sender::Sender,
    messages: impl Iterator<Item = sms_sender::OutgoingSms>,
    progress: &mut Progress,
    done: &mut u64,
) -> Result<(), CliError> {
    let mut results = futures::stream::iter(messages.map(|m| sender.send(m))).buffer_unordered(64);
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
