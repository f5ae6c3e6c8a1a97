//! `cmpp`: the example binary that composes the workspace's crates.
//!
//! It is thin on purpose: argument parsing, wiring and presentation. Every rule
//! lives in a library crate.
#![forbid(unsafe_code)]

mod cmd;
mod config;
mod error;
mod logging;
mod wiring;

use clap::{Parser, Subcommand};
use error::CliError;
use std::process::ExitCode;

/// CMPP 2.0/3.0 toolkit: decode PDUs, run a gateway simulator, send, journal, report, settle.
#[derive(Debug, Parser)]
#[command(name = "cmpp", version, about)]
struct Cli {
    /// Log line format on stderr (colour codes only when stderr is a terminal).
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Text)]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode CMPP, SGIP or SMGP PDUs given as hex (argument or stdin) or as a raw binary file;
    /// prints JSON.
    Decode(cmd::decode::Args),
    /// Run a gateway simulator: CMPP (ISMG), SGIP (SMG) or SMGP.
    Serve(cmd::serve::Args),
    /// Send messages through a gateway as an SP client.
    Send(cmd::send::Args),
    /// Ask a gateway for one day's traffic counts (CMPP_QUERY); prints JSON.
    Query(cmd::query::Args),
    /// Ask a gateway to cancel a message not yet delivered (CMPP_CANCEL); prints JSON.
    Cancel(cmd::cancel::Args),
    /// Trace report (clause 3.11) for messages in a journal.
    Trace(cmd::trace::Args),
    /// Journal maintenance: prune, export, import.
    #[command(subcommand)]
    Journal(cmd::journal::Command),
    /// Monthly SLA report (clause 3.10).
    Report(cmd::report::Args),
    /// Settlement statement for a period (clauses 4.1–4.2, 6.4–6.12).
    Settle(cmd::settle::Args),
    /// Sending policy: dry-run a file of messages against a policy.
    #[command(subcommand)]
    Policy(cmd::policy::Command),
    /// End-to-end demo on built-in defaults.
    Demo(cmd::demo::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Installed once here; the commands' own defaults only pick the level.
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        Command::Demo(_) => "error",
        _ => "warn",
    };
    logging::init(cli.log_format, default_level);
    let result: Result<(), CliError> = match cli.command {
        Command::Decode(a) => cmd::decode::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Send(a) => cmd::send::run(a),
        Command::Query(a) => cmd::query::run(a),
        Command::Cancel(a) => cmd::cancel::run(a),
        Command::Trace(a) => cmd::trace::run(a),
        Command::Journal(c) => cmd::journal::run(c),
        Command::Report(a) => cmd::report::run(a),
        Command::Settle(a) => cmd::settle::run(a),
        Command::Policy(c) => cmd::policy::run(c),
        Command::Demo(a) => cmd::demo::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cmpp: {e}");
            ExitCode::from(e.code())
        }
    }
}
