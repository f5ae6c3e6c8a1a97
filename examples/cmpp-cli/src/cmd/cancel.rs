//! `cmpp cancel`: one CANCEL to a gateway, its CANCEL_RESP printed as JSON.

use std::time::Duration;

use cmpp_codec::MsgId;
use serde::Serialize;

use crate::cmd::query::Login;
use crate::error::{CliError, Exit};
use crate::wiring;

/// Options of `cmpp cancel`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    login: Login,
    /// Msg_Id of the message to cancel: 22 digits, a decimal u64 or 16 hex digits.
    #[arg(long)]
    msg_id: String,
}

/// A CANCEL_RESP with the spec's field name.
#[derive(Debug, Serialize)]
struct CancelJson {
    #[serde(rename = "Msg_Id")]
    msg_id: String,
    #[serde(rename = "Success_Id")]
    success_id: u32,
    /// Success_Id 0.
    cancelled: bool,
}

/// Runs `cmpp cancel`. Exits 0 when the gateway cancelled the message, 1 when it refused.
pub fn run(args: Args) -> Result<(), CliError> {
    wiring::init_logging("warn");
    let msg_id: MsgId = args
        .msg_id
        .parse()
        .map_err(|e| CliError::input(format!("--msg-id: {e}")))?;
    let rt = wiring::runtime()?;
    let resp = rt.block_on(async {
        let client = args.login.connect().await?;
        let r = client.cancel(msg_id).await;
        client.close(Duration::from_secs(2)).await;
        r.map_err(|e| CliError::new(Exit::Unreachable, format!("CANCEL not answered: {e}")))
    })?;
    println!(
        "{}",
        serde_json::to_string_pretty(&CancelJson {
            msg_id: msg_id.to_digits(),
            success_id: resp.success_id,
            cancelled: resp.is_success(),
        })
        .expect("the response serialises")
    );
    if !resp.is_success() {
        return Err(CliError::failure(format!(
            "the gateway did not cancel {msg_id} (Success_Id {})",
            resp.success_id
        )));
    }
    Ok(())
}
