//! `cmpp serve`: the ISMG gateway simulator (cmpp-sim) on a TCP port.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::Version;
use cmpp_session::{Account, InMemoryAccounts, ServerConfig};
use cmpp_sim::{RunError, Running, SimProfile};

use crate::error::{CliError, Exit};

/// Options of `cmpp serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7890")]
    pub listen: SocketAddr,
    /// Highest protocol version served: 2.0 or 3.0 (2.x clients are served in 2.0 either way).
    #[arg(long, default_value = "3.0", value_parser = parse_version)]
    pub version: Version,
    /// An SP account as SPID:SECRET (repeatable; SP ids are 6 characters).
    #[arg(long = "account", value_parser = parse_account, required = true)]
    pub accounts: Vec<(String, String)>,
    /// Simulator profile (TOML); defaults answer everything with 0 and DELIVRD.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Seconds without traffic before the gateway sends ACTIVE_TEST.
    #[arg(long, default_value_t = 180)]
    pub heartbeat: u64,
    /// Window per connection (unanswered SUBMITs; more get Result 8).
    #[arg(long, default_value_t = 64)]
    pub window: usize,
    /// Seconds links get to answer TERMINATE on SIGTERM before they are closed.
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

fn parse_account(s: &str) -> Result<(String, String), String> {
    let (id, secret) = s
        .split_once(':')
        .ok_or_else(|| format!("account '{s}' is not SPID:SECRET"))?;
    if id.is_empty() || id.len() > 6 || !id.is_ascii() {
        return Err(format!("SP id '{id}' must be 1 to 6 ASCII characters"));
    }
    Ok((id.to_owned(), secret.to_owned()))
}

/// Runs `cmpp serve`.
pub fn run(args: Args) -> Result<(), CliError> {
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

async fn serve(args: Args, profile: SimProfile) -> Result<(), CliError> {
    let accounts = InMemoryAccounts::new();
    for (id, secret) in &args.accounts {
        let mut a = Account::new(id.clone(), secret.as_bytes().to_vec());
        a.window = args.window.max(1);
        a.max_connections = 64;
        accounts.insert(a);
    }
    let config = {
        let mut v = ServerConfig::default();
        v.version = args.version;
        v.heartbeat = Duration::from_secs(args.heartbeat.max(1));
        v.drain_timeout = Duration::from_secs(args.drain_timeout);
        v
    };
    let running = Running::bind(args.listen, config, Arc::new(accounts), &profile)
        .await
        .map_err(|e| match e {
            RunError::Profile(p) => CliError::new(Exit::Config, p.to_string()),
            _ => CliError::failure(e.to_string()),
        })?;
    tracing::info!(
        listen = %running.local_addr(),
        version = %args.version,
        accounts = args.accounts.len(),
        seed = profile.seed,
        "cmpp serve: gateway simulator listening"
    );
    let sim = running.sim.clone();
    let handle = running.handle();
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
            let line = counts_line(&sim, &handle);
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
    running.shutdown().await;
    let s = sim.stats();
    eprintln!("cmpp serve: {}", counts_line(&sim, &handle));
    eprintln!(
        "cmpp serve: stopped after {} submits, {} reports sent",
        s.submits,
        s.reports_delivered()
    );
    Ok(())
}

/// The running counts. Reports are "sent" once handed to a connection, "acked" when the SP
/// answered DELIVER_RESP, "pending" while scheduled, queued or awaiting DELIVER_RESP, and
/// "lost" when given up (no answer after N tries, no connection in time, queue full).
fn counts_line(sim: &cmpp_sim::Simulator, handle: &cmpp_session::ServerHandle) -> String {
    let s = sim.stats();
    let g = handle.stats();
    format!(
        "submits {} accepted {} results {:?} ignored {} dropped-links {} reports sent {} acked {} pending {} lost {} mo {}",
        s.submits,
        s.accepted,
        s.by_result,
        s.ignored,
        s.links_dropped,
        s.reports_delivered(),
        g.delivers_acked,
        sim.pending_reports() as u64 + g.delivers_pending(),
        s.reports_lost + g.delivers_failed,
        s.mo_sent
    )
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
