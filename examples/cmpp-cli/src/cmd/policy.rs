//! `cmpp policy`: dry-run a file of messages against a sending policy.

use crate::error::{CliError, Exit};
use chrono::Utc;
use sms_policy::dryrun::{dry_run, read_messages};
use sms_policy::{Policy, PolicyError};
use std::path::PathBuf;

/// Subcommands of `cmpp policy`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Evaluate messages (CSV `src,dest,category,text` or JSON Lines) and print what would be
    /// refused and why; rate state is read but never written.
    Check(CheckArgs),
}

/// Arguments of `cmpp policy check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Policy file (TOML; see crates/sms-policy/policy.example.toml).
    #[arg(long)]
    policy: PathBuf,
    /// Messages: CSV with a header, or JSON Lines.
    #[arg(long)]
    messages: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Output format of `cmpp policy check`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// One line per message, then a summary line.
    Text,
    /// One JSON object per message, then `{"summary": …}`.
    Json,
}

/// Runs `cmpp policy`.
pub fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> Result<(), CliError> {
    let mut policy = Policy::from_toml_file(&args.policy).map_err(|e| match e {
        // The policy file itself cannot be read: a bad argument, not a bad configuration.
        PolicyError::Io { ref path, .. } if *path == args.policy => CliError::input(e.to_string()),
        other => CliError::new(Exit::Config, other.to_string()),
    })?;
    let messages = read_messages(&args.messages).map_err(|e| CliError::input(e.to_string()))?;
    let (verdicts, summary) = dry_run(&mut policy, &messages, Utc::now());
    match args.format {
        Format::Text => {
            for v in &verdicts {
                match &v.refusal {
                    None => println!(
                        "line {}: accepted {} ({})",
                        v.line,
                        v.normalized_dest.as_deref().unwrap_or(&v.dest),
                        v.category
                    ),
                    Some(r) => println!("line {}: refused by {}: {}", v.line, r.check, r.reason),
                }
            }
            let refused: usize = summary.refused.values().sum();
            let per_check: Vec<String> = summary
                .refused
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            println!(
                "summary: {} message(s), {} accepted, {} refused{}",
                summary.messages,
                summary.accepted,
                refused,
                if per_check.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", per_check.join(", "))
                }
            );
        }
        Format::Json => {
            let encode = |v: serde_json::Result<String>| {
                v.map_err(|e| CliError::failure(format!("cannot encode output: {e}")))
            };
            for v in &verdicts {
                println!("{}", encode(serde_json::to_string(v))?);
            }
            let summary = serde_json::json!({ "summary": summary });
            println!("{}", encode(serde_json::to_string(&summary))?);
        }
    }
    Ok(())
}
