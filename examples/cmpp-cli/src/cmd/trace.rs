//! `cmpp trace` (being written).

use crate::error::CliError;

/// Options of `cmpp trace`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cmpp trace`.
pub fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::failure(
        "`cmpp trace` is not available in this build yet",
    ))
}
