//! `cmpp decode` (being written).

use crate::error::CliError;

/// Options of `cmpp decode`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cmpp decode`.
pub fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::failure(
        "`cmpp decode` is not available in this build yet",
    ))
}
