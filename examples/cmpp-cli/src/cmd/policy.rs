//! `cmpp policy` (being written).

use crate::error::CliError;

/// Subcommands of `cmpp policy`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

/// Runs `cmpp policy`.
pub fn run(command: Command) -> Result<(), CliError> {
    match command {}
}
