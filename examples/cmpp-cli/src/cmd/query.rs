//! `cmpp query`: one QUERY to a gateway, its QUERY_RESP printed as JSON with the spec's
//! field names.

use std::time::Duration;

use cmpp_codec::{QueryResp, Version};
use cmpp_session::{Client, ClientConfig};
use serde::Serialize;

use crate::error::{CliError, Exit};
use crate::wiring;

/// Where and as whom to log in (shared by `query` and `cancel`).
#[derive(Debug, clap::Args)]
pub struct Login {
    /// Gateway `host:port`.
    #[arg(long)]
    pub gateway: String,
    /// SP id (Source_Addr, 6 characters).
    #[arg(long)]
    pub sp_id: String,
    /// Shared secret; prefer the CMPP_SECRET environment variable. Never echoed.
    #[arg(long, env = "CMPP_SECRET", hide_env_values = true)]
    pub secret: String,
    /// Protocol version: 2.0 or 3.0.
    #[arg(long, value_parser = wiring::parse_version, default_value = "3.0")]
    pub version: Version,
    /// Talk to a gateway whose AuthenticatorISMG is wrong (non-conforming; warned at login).
    #[arg(long)]
    pub no_verify_authenticator: bool,
}

impl Login {
    /// Logs in with one connection.
    pub async fn connect(&self) -> Result<Client, CliError> {
        let gateway = wiring::resolve(&self.gateway)?;
        let config = ClientConfig::builder(gateway, self.sp_id.clone(), self.secret.clone())
            .version(self.version)
            .verify_ismg_authenticator(!self.no_verify_authenticator)
            .response_timeout(Duration::from_secs(10))
            .build();
        Client::connect(config)
            .await
            .map_err(|e| wiring::login_error(e, gateway))
    }
}

/// Options of `cmpp query`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    login: Login,
    /// The day to query, YYYYMMDD.
    #[arg(long)]
    date: String,
    /// Counts of this Service_Id only (Query_Type 1); totals otherwise.
    #[arg(long)]
    service_id: Option<String>,
}

/// A QUERY_RESP with the spec's field names.
#[derive(Debug, Serialize)]
pub struct QueryJson {
    #[serde(rename = "Time")]
    time: String,
    #[serde(rename = "Query_Type")]
    query_type: u8,
    #[serde(rename = "Query_Code")]
    query_code: String,
    #[serde(rename = "MT_TLMsg")]
    mt_tl_msg: u32,
    #[serde(rename = "MT_Tlusr")]
    mt_tl_usr: u32,
    #[serde(rename = "MT_Scs")]
    mt_scs: u32,
    #[serde(rename = "MT_WT")]
    mt_wt: u32,
    #[serde(rename = "MT_FL")]
    mt_fl: u32,
    #[serde(rename = "MO_Scs")]
    mo_scs: u32,
    #[serde(rename = "MO_WT")]
    mo_wt: u32,
    #[serde(rename = "MO_FL")]
    mo_fl: u32,
}

impl From<QueryResp> for QueryJson {
    fn from(r: QueryResp) -> Self {
        QueryJson {
            time: r.time.to_str_lossy().into_owned(),
            query_type: r.query_type,
            query_code: r.query_code.to_str_lossy().into_owned(),
            mt_tl_msg: r.mt_tl_msg,
            mt_tl_usr: r.mt_tl_usr,
            mt_scs: r.mt_scs,
            mt_wt: r.mt_wt,
            mt_fl: r.mt_fl,
            mo_scs: r.mo_scs,
            mo_wt: r.mo_wt,
            mo_fl: r.mo_fl,
        }
    }
}

/// Runs `cmpp query`.
pub fn run(args: Args) -> Result<(), CliError> {
    wiring::init_logging("warn");
    let rt = wiring::runtime()?;
    let resp = rt.block_on(async {
        let client = args.login.connect().await?;
        let r = client.query(&args.date, args.service_id.as_deref()).await;
        client.close(Duration::from_secs(2)).await;
        r.map_err(|e| match e {
            cmpp_session::QueryError::Invalid(m) => CliError::input(m),
            other => CliError::new(Exit::Unreachable, format!("QUERY not answered: {other}")),
        })
    })?;
    println!(
        "{}",
        serde_json::to_string_pretty(&QueryJson::from(resp)).expect("the response serialises")
    );
    Ok(())
}
