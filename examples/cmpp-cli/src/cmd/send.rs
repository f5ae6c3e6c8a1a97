//! `cmpp send` (being written).

use crate::error::CliError;

/// Options of `cmpp send`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cmpp send`.
pub fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::failure(
        "`cmpp send` is not available in this build yet",
    ))
}
