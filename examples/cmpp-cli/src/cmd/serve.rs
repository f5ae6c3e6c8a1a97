//! `cmpp serve` (being written).

use crate::error::CliError;

/// Options of `cmpp serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cmpp serve`.
pub fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::failure(
        "`cmpp serve` is not available in this build yet",
    ))
}
