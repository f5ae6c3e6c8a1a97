//! `cmpp serve`: a gateway simulator (cmpp-sim) on a TCP port: CMPP (China Mobile's ISMG),
//! SGIP (China Unicom's SMG) or SMGP (China Telecom's gateway).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::Version;
use cmpp_session::{Account, InMemoryAccounts, ServerConfig};
use cmpp_sim::{RunError, SimProfile, SimStats};

use crate::config::Protocol;
use crate::error::{CliError, Exit};

/// Options of `cmpp serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Gateway protocol: cmpp (China Mobile ISMG), sgip (China Unicom SMG: the SP opens the MT
    /// link, the simulator connects back to --deliver-to for reports and MO), smgp (China
    /// Telecom).
    #[arg(long, value_enum, default_value_t = Protocol::Cmpp)]
    pub protocol: Protocol,
    /// Address to listen on [default: 127.0.0.1:7890 (cmpp), 127.0.0.1:8801 (sgip),
    /// 127.0.0.1:8890 (smgp)].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Highest protocol version served: 2.0 or 3.0 [default: 3.0]. CMPP: 2.x clients are
    /// served in 2.0 either way; SMGP: the layout of every account. Not for SGIP (1.2 only).
    #[arg(long, value_parser = parse_version)]
    pub version: Option<Version>,
    /// An account as NAME:SECRET (repeatable): CMPP SP id (6 characters), SGIP login name
    /// (16), SMGP ClientID (8). SGIP pushes to --deliver-to with the first one.
    #[arg(long = "account", value_parser = parse_account, required = true)]
    pub accounts: Vec<(String, String)>,
    /// SGIP only (required there): the SP's listener `host:port` the simulator connects to
    /// (Bind type 2) to push status reports and MO messages.
    #[arg(long)]
    pub deliver_to: Option<String>,
    /// Simulator profile (TOML); defaults answer everything with 0 and DELIVRD.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Seconds without traffic before the gateway sends ACTIVE_TEST [default: 180]. Not for
    /// SGIP (it has no heartbeat).
    #[arg(long)]
    pub heartbeat: Option<u64>,
    /// Window per connection: CMPP unanswered SUBMITs (more get Result 8); SGIP and SMGP
    /// unanswered pushes (reports, MO) per link.
    #[arg(long, default_value_t = 64)]
    pub window: usize,
    /// Seconds links get to answer TERMINATE (SGIP Unbind, SMGP Exit) on SIGTERM before they
    /// are closed.
    #[arg(long, default_value_t = 5)]
    pub drain_timeout: u64,
    /// Seconds between the running-count lines on stderr (0 = none).
    #[arg(long, default_value_t = 5)]
    pub stats_every: u64,
}

fn parse_version(s: &str) -> Result<Version, String> {
    match s {
        "2.0" | "2" | "2.1" => Ok(Version::V20),
        "3.0" | "3" => Ok(Version::V30),
        _ => Err(format!("unknown version '{s}': use 2.0 or 3.0")),
    }
}

/// `NAME:SECRET`; the name's length is checked against the protocol in [`check`].
fn parse_account(s: &str) -> Result<(String, String), String> {
    let (id, secret) = s
        .split_once(':')
        .ok_or_else(|| format!("account '{s}' is not NAME:SECRET"))?;
    if id.is_empty() || id.len() > 16 || !id.is_ascii() {
        return Err(format!(
            "account name '{id}' must be 1 to 16 ASCII characters"
        ));
    }
    Ok((id.to_owned(), secret.to_owned()))
}

/// Refuses the flags that do not apply to `args.protocol` and account names too long for it.
fn check(args: &Args) -> Result<(), CliError> {
    let p = args.protocol;
    let not_for = |flag: &str, why: &str| {
        CliError::input(format!(
            "{flag} does not apply to --protocol {}: {why}",
            p.as_str()
        ))
    };
    match p {
        Protocol::Sgip => {
            if args.version.is_some() {
                return Err(not_for("--version", "SGIP has one version, 1.2"));
            }
            if args.heartbeat.is_some() {
                return Err(not_for("--heartbeat", "SGIP has no heartbeat"));
            }
            if args.deliver_to.is_none() {
                return Err(CliError::input(
                    "--protocol sgip needs --deliver-to HOST:PORT: the SP's listener the \
                     simulator connects to for status reports and MO messages",
                ));
            }
        }
        Protocol::Cmpp | Protocol::Smgp => {
            if args.deliver_to.is_some() {
                return Err(not_for(
                    "--deliver-to",
                    "only SGIP pushes to the SP's own listener (use --protocol sgip)",
                ));
            }
        }
    }
    let (max, what) = match p {
        Protocol::Cmpp => (6, "SP id"),
        Protocol::Sgip => (16, "SGIP login name"),
        Protocol::Smgp => (8, "SMGP ClientID"),
    };
    if let Some((id, _)) = args.accounts.iter().find(|(id, _)| id.len() > max) {
        return Err(CliError::input(format!(
            "{what} '{id}' must be 1 to {max} ASCII characters"
        )));
    }
    Ok(())
}

/// Runs `cmpp serve`.
pub fn run(args: Args) -> Result<(), CliError> {
    check(&args)?;
    let profile = match &args.profile {
        Some(path) => {
            SimProfile::load(path).map_err(|e| CliError::new(Exit::Config, e.to_string()))?
        }
        None => SimProfile::default(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    rt.block_on(serve(args, profile))
}

/// One of the three simulators, bound.
enum Gateway {
    Cmpp(cmpp_sim::Running),
    Sgip(cmpp_sim::sgip::Running),
    Smgp(cmpp_sim::smgp::Running),
}

fn bind_error(e: RunError) -> CliError {
    match e {
        RunError::Profile(p) => CliError::new(Exit::Config, p.to_string()),
        _ => CliError::failure(e.to_string()),
    }
}

impl Gateway {
    async fn bind(args: &Args, profile: &SimProfile) -> Result<Gateway, CliError> {
        let heartbeat = Duration::from_secs(args.heartbeat.unwrap_or(180).max(1));
        let drain = Duration::from_secs(args.drain_timeout);
        let version = args.version.unwrap_or(Version::V30);
        let listen = |port: u16| {
            args.listen
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], port)))
        };
        Ok(match args.protocol {
            Protocol::Cmpp => {
                let accounts = InMemoryAccounts::new();
                for (id, secret) in &args.accounts {
                    let mut a = Account::new(id.clone(), secret.as_bytes().to_vec());
                    a.window = args.window.max(1);
                    a.max_connections = 64;
                    accounts.insert(a);
                }
                let config = {
                    let mut v = ServerConfig::default();
                    v.version = version;
                    v.heartbeat = heartbeat;
                    v.drain_timeout = drain;
                    v
                };
                Gateway::Cmpp(
                    cmpp_sim::Running::bind(listen(7890), config, Arc::new(accounts), profile)
                        .await
                        .map_err(bind_error)?,
                )
            }
            Protocol::Sgip => {
                let deliver_to = args.deliver_to.as_deref().unwrap_or_default();
                let deliver_to = crate::wiring::resolve(deliver_to).map_err(|_| {
                    CliError::input(format!(
                        "--deliver-to '{deliver_to}' cannot be resolved (use host:port)"
                    ))
                })?;
                let mut accounts = sgip_session::Accounts::new();
                for (name, password) in &args.accounts {
                    accounts.insert(name.clone(), password.clone());
                }
                let (name, password) = &args.accounts[0];
                let mut config = sgip_session::ServerConfig::new(accounts)
                    .with_push(deliver_to, sgip_session::Credentials::new(name, password));
                config.window = args.window.max(1);
                Gateway::Sgip(
                    cmpp_sim::sgip::Running::bind(listen(8801), config, profile)
                        .await
                        .map_err(bind_error)?,
                )
            }
            Protocol::Smgp => {
                let version = match version {
                    Version::V20 => smgp_codec::Version::V20,
                    _ => smgp_codec::Version::V30,
                };
                let accounts: smgp_session::Accounts = args
                    .accounts
                    .iter()
                    .map(|(id, secret)| {
                        smgp_session::Account::new(id.clone(), secret.as_bytes().to_vec())
                            .with_version(version)
                    })
                    .collect();
                let mut login = smgp_session::GatewayLoginConfig::default();
                login.server_version = version;
                let config = smgp_session::ServerConfig::default()
                    .with_login(login)
                    .with_session(
                        sms_session::SessionConfig::default()
                            .with_window(args.window.max(1))
                            .with_heartbeat(heartbeat),
                    )
                    .with_drain(drain);
                Gateway::Smgp(
                    cmpp_sim::smgp::Running::bind(listen(8890), config, accounts, profile)
                        .await
                        .map_err(bind_error)?,
                )
            }
        })
    }

    fn local_addr(&self) -> SocketAddr {
        match self {
            Gateway::Cmpp(r) => r.local_addr(),
            Gateway::Sgip(r) => r.local_addr(),
            Gateway::Smgp(r) => r.local_addr(),
        }
    }

    /// What the count lines read; it outlives the shutdown for the last line.
    fn watch(&self) -> Watch {
        match self {
            Gateway::Cmpp(r) => Watch::Cmpp(r.sim.clone(), r.handle()),
            Gateway::Sgip(r) => Watch::Sgip(r.sim.clone(), r.handle()),
            Gateway::Smgp(r) => Watch::Smgp(r.sim.clone(), r.handle()),
        }
    }

    /// Stops the simulator and closes every link, within the drain time.
    async fn shutdown(self, drain: Duration) {
        match self {
            Gateway::Cmpp(r) => r.shutdown().await,
            // SGIP's server waits up to T (30 s) for the answers to pushes in flight: the
            // drain time bounds it like the others.
            Gateway::Sgip(r) => {
                let limit = drain + Duration::from_secs(1);
                if tokio::time::timeout(limit, r.shutdown()).await.is_err() {
                    tracing::warn!("cmpp serve: links not closed within the drain time");
                }
            }
            Gateway::Smgp(r) => r.shutdown().await,
        }
    }
}

/// A simulator and its server handle, for the counts.
enum Watch {
    Cmpp(Arc<cmpp_sim::Simulator>, cmpp_session::ServerHandle),
    Sgip(
        Arc<cmpp_sim::sgip::SgipSimulator>,
        sgip_session::ServerHandle,
    ),
    Smgp(
        Arc<cmpp_sim::smgp::SmgpSimulator>,
        smgp_session::ServerHandle,
    ),
}

impl Watch {
    fn stats(&self) -> SimStats {
        match self {
            Watch::Cmpp(sim, _) => sim.stats(),
            Watch::Sgip(sim, _) => sim.stats(),
            Watch::Smgp(sim, _) => sim.stats(),
        }
    }

    /// The running counts. Reports are "sent" once handed to a connection (SGIP: once the
    /// SP answered the push), "acked" when the SP answered them, "pending" while scheduled,
    /// queued or awaiting the SP's answer, and "lost" when given up (no answer after N tries,
    /// no connection in time, queue full). SMGP's pushes count MO messages with the reports.
    fn counts_line(&self) -> String {
        let s = self.stats();
        let head = format!(
            "submits {} accepted {} results {:?} ignored {} dropped-links {} reports sent {}",
            s.submits,
            s.accepted,
            s.by_result,
            s.ignored,
            s.links_dropped,
            s.reports_delivered(),
        );
        match self {
            Watch::Cmpp(sim, handle) => {
                let g = handle.stats();
                format!(
                    "{head} acked {} pending {} lost {} mo {}",
                    g.delivers_acked,
                    sim.pending_reports() as u64 + g.delivers_pending(),
                    s.reports_lost + g.delivers_failed,
                    s.mo_sent
                )
            }
            Watch::Sgip(sim, handle) => format!(
                "{head} acked {} pending {} lost {} mo {} sp-links {}",
                s.reports_delivered(),
                sim.pending_reports(),
                s.reports_lost,
                s.mo_sent,
                handle.links()
            ),
            Watch::Smgp(sim, handle) => {
                let g = handle.stats();
                format!(
                    "{head} pending {} lost {} mo {} pushes answered {} requeued {}",
                    sim.pending_reports(),
                    s.reports_lost,
                    s.mo_sent,
                    g.pushes_answered,
                    g.pushes_requeued
                )
            }
        }
    }
}

async fn serve(args: Args, profile: SimProfile) -> Result<(), CliError> {
    let gateway = Gateway::bind(&args, &profile).await?;
    match args.protocol {
        Protocol::Cmpp => tracing::info!(
            listen = %gateway.local_addr(),
            version = %args.version.unwrap_or(Version::V30),
            accounts = args.accounts.len(),
            seed = profile.seed,
            "cmpp serve: gateway simulator listening"
        ),
        Protocol::Sgip => tracing::info!(
            listen = %gateway.local_addr(),
            protocol = "SGIP 1.2",
            deliver_to = args.deliver_to.as_deref().unwrap_or_default(),
            accounts = args.accounts.len(),
            seed = profile.seed,
            "cmpp serve: gateway simulator listening"
        ),
        Protocol::Smgp => tracing::info!(
            listen = %gateway.local_addr(),
            protocol = "SMGP",
            version = %args.version.unwrap_or(Version::V30),
            accounts = args.accounts.len(),
            seed = profile.seed,
            "cmpp serve: gateway simulator listening"
        ),
    }
    let watch = gateway.watch();
    let every = Duration::from_secs(args.stats_every);
    let counts = async {
        if every.is_zero() {
            return std::future::pending::<()>().await;
        }
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        let mut last = String::new();
        loop {
            tick.tick().await;
            let line = watch.counts_line();
            // One line per change keeps an idle gateway's log quiet.
            if line != last {
                eprintln!("cmpp serve: {line}");
                last = line;
            }
        }
    };
    tokio::select! {
        _ = counts => {}
        r = stop_signal() => r?,
    }
    tracing::info!("cmpp serve: stopping");
    gateway
        .shutdown(Duration::from_secs(args.drain_timeout))
        .await;
    let s = watch.stats();
    eprintln!("cmpp serve: {}", watch.counts_line());
    eprintln!(
        "cmpp serve: stopped after {} submits, {} reports sent",
        s.submits,
        s.reports_delivered()
    );
    Ok(())
}

async fn stop_signal() -> Result<(), CliError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| CliError::failure(format!("cannot watch SIGTERM: {e}")))?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map_err(|e| CliError::failure(format!("cannot watch Ctrl-C: {e}"))),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| CliError::failure(format!("cannot watch Ctrl-C: {e}")))
    }
}
