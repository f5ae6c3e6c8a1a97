//! `cmpp journal` (being written).

use crate::error::CliError;

/// Subcommands of `cmpp journal`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `cmpp journal`.
pub fn run(command: Command) -> Result<(), CliError> {
    match command {}
}
