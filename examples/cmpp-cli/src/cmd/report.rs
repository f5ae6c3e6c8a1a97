//! `cmpp report` (being written).

use crate::error::CliError;

/// Options of `cmpp report`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cmpp report`.
pub fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::failure(
        "`cmpp report` is not available in this build yet",
    ))
}
