//! `cmpp settle` (being written).

use crate::error::CliError;

/// Options of `cmpp settle`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cmpp settle`.
pub fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::failure(
        "`cmpp settle` is not available in this build yet",
    ))
}
