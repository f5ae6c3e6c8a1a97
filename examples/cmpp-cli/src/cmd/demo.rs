//! `cmpp demo` (being written).

use crate::error::CliError;

/// Options of `cmpp demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cmpp demo`.
pub fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError::failure(
        "`cmpp demo` is not available in this build yet",
    ))
}
