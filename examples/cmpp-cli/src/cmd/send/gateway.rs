//! The gateway side of `cmpp send`: which flags each protocol takes, its client's settings
//! from the options and `cmpp.toml`, and the logged-in client as the send path's `Link`.

use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::Version;
use cmpp_session::{Client, ClientConfig};
use sms_policy::{Check, Policy};
use sms_records::Carrier;
use sms_sender::link::sgip::SgipLink;
use sms_sender::link::smgp::SmgpLink;
use sms_sender::{IntoLink, Link};

/// The calling number's field width (CMPP Src_Id, SGIP SPNumber, SMGP SrcTermID: 21 bytes).
const SRC_ID_LEN: usize = 21;

use super::Args;
use crate::config::{FileConfig, Protocol};
use crate::error::{CliError, Exit};
use crate::wiring;

/// Refuses the flags that do not apply to `args.protocol`, before anything is opened.
pub(super) fn check(args: &Args) -> Result<(), CliError> {
    let p = args.protocol;
    let refuse = |flag: &str, why: &str| {
        Err(CliError::input(format!(
            "{flag} does not apply to --protocol {}: {why}",
            p.as_str()
        )))
    };
    if p != Protocol::Sgip {
        for (given, flag) in [
            (args.listen.is_some(), "--listen"),
            (args.corp_id.is_some(), "--corp-id"),
            (args.area_code.is_some(), "--area-code"),
        ] {
            if given {
                return refuse(flag, "it is SGIP's (use --protocol sgip)");
            }
        }
    }
    if p != Protocol::Cmpp {
        if args.accept_zero_authenticator {
            return refuse(
                "--accept-zero-authenticator",
                "it is CMPP's AuthenticatorISMG",
            );
        }
        if args.no_verify_authenticator {
            return refuse(
                "--no-verify-authenticator",
                "it is CMPP's AuthenticatorISMG",
            );
        }
    }
    if p == Protocol::Sgip {
        if args.version.is_some() {
            return refuse("--version", "SGIP has one version, 1.2");
        }
        if args.rate.is_some() {
            return refuse("--rate", "the SGIP client has no rate limit");
        }
    }
    Ok(())
}

/// A protocol client's settings, resolved but not yet connected.
pub(super) struct Plan {
    /// The login account (CMPP Msg_src).
    pub account: String,
    /// The service code of every message.
    pub service_id: String,
    /// Unanswered submits across the pool.
    pub window: usize,
    protocol: Protocol,
    /// The calling number the carrier's contract gives the SP (its table's `src_id`).
    contract_calling: Option<String>,
    gateway: std::net::SocketAddr,
    client: ClientPlan,
}

enum ClientPlan {
    Cmpp(ClientConfig),
    Sgip {
        config: sgip_session::ClientConfig,
        corp_id: String,
    },
    Smgp(smgp_session::ClientConfig),
}

/// The protocol's client settings from the options, then `cmpp.toml` (CMPP: `[gateway]`,
/// the others: their carrier's `[carriers.*]` table), then the defaults.
pub(super) fn plan(args: &Args, file: &FileConfig) -> Result<Plan, CliError> {
    if args.protocol == Protocol::Cmpp {
        return cmpp_plan(args, file);
    }
    let carrier = args.protocol.carrier();
    let table_name = match args.protocol {
        Protocol::Sgip => "[carriers.unicom]",
        _ => "[carriers.telecom]",
    };
    let table = file.carrier(carrier).cloned().unwrap_or_default();
    let address = args.gateway.clone().or(table.address).ok_or_else(|| {
        CliError::input(format!(
            "no gateway: give --gateway HOST:PORT or {table_name} address"
        ))
    })?;
    let gateway = wiring::resolve(&address)?;
    let account = args.sp_id.clone().or(table.account).ok_or_else(|| {
        CliError::input(format!("no account: give --sp-id or {table_name} account"))
    })?;
    // The carrier's own variable first: China Mobile's secret (CMPP_SECRET) must not reach
    // another carrier's gateway when both are set. A --secret typed on the command line
    // (not read from CMPP_SECRET) still wins.
    let from_cmpp_env = std::env::var("CMPP_SECRET").ok();
    let typed = args
        .secret
        .clone()
        .filter(|s| from_cmpp_env.as_deref() != Some(s.as_str()));
    let table_secret = table
        .secret_env
        .as_deref()
        .and_then(|v| std::env::var(v).ok())
        .filter(|s| !s.is_empty());
    let secret = typed
        .or(table_secret)
        .or_else(|| args.secret.clone())
        .ok_or_else(|| {
            CliError::input(format!(
                "no shared secret: set CMPP_SECRET, --secret or {table_name} secret_env"
            ))
        })?;
    let service_id = args
        .service_id
        .clone()
        .or(table.service_id)
        .unwrap_or_default();
    let contract_calling = table.src_id;
    let l = &file.limits;
    let window = args.window.or(l.window).unwrap_or(16).max(1);
    let connections = args.connections.or(l.connections).unwrap_or(1).max(1);
    let response_timeout = Duration::from_secs(l.response_timeout_secs.unwrap_or(60));
    let tries = l.tries.unwrap_or(3);
    let login_timeout = Duration::from_secs(l.login_timeout_secs.unwrap_or(10));
    let client = match args.protocol {
        Protocol::Sgip => {
            let listen = args.listen.clone().or(table.listen).ok_or_else(|| {
                CliError::input(format!(
                    "SGIP needs the SP's listener for reports and MO: give --listen HOST:PORT \
                     or {table_name} listen"
                ))
            })?;
            let listen = wiring::resolve(&listen).map_err(|_| {
                CliError::input(format!(
                    "--listen '{listen}' cannot be resolved (use host:port)"
                ))
            })?;
            let corp_id = args.corp_id.clone().or(table.corp_id).ok_or_else(|| {
                CliError::input(format!(
                    "SGIP needs the SP's CorpId: give --corp-id NNNNN or {table_name} corp_id"
                ))
            })?;
            let node_id = node_id(args.area_code.as_deref().unwrap_or("010"), &corp_id)?;
            if args.rate.or(l.rate).is_some_and(|r| r > 0) {
                tracing::warn!("the rate limit is not applied over SGIP (no rate limit there)");
            }
            let mut config =
                sgip_session::ClientConfig::new(gateway, account.clone(), secret, listen)
                    .with_node_id(node_id)
                    .with_window(window)
                    .with_connections(connections)
                    .with_response_timeout(response_timeout, tries);
            config.login_timeout = login_timeout;
            config.event_capacity = 65_536;
            ClientPlan::Sgip { config, corp_id }
        }
        _ => {
            let version = match resolve_version(args.version, None)? {
                Version::V20 => smgp_codec::Version::V20,
                _ => smgp_codec::Version::V30,
            };
            let login = smgp_session::SpLoginConfig::new(account.clone(), secret.into_bytes())
                .with_version(version)
                .with_timeout(login_timeout);
            let session = sms_session::SessionConfig::default()
                .with_window(window)
                .with_response_timeout(response_timeout)
                .with_max_tries(tries)
                .with_heartbeat(Duration::from_secs(l.heartbeat_secs.unwrap_or(180)));
            let pool = sms_session::link::PoolConfig::default()
                .with_connections(connections)
                .with_rate_limit(args.rate.or(l.rate).unwrap_or(0))
                .with_event_capacity(65_536);
            ClientPlan::Smgp(
                smgp_session::ClientConfig::new(gateway, account.clone(), Vec::new())
                    .with_login(login)
                    .with_session(session)
                    .with_pool(pool),
            )
        }
    };
    Ok(Plan {
        account,
        service_id,
        window: window * connections,
        protocol: args.protocol,
        contract_calling,
        gateway,
        client,
    })
}

/// CMPP's settings from the options and `[gateway]`, as before other protocols.
fn cmpp_plan(args: &Args, file: &FileConfig) -> Result<Plan, CliError> {
    let g = &file.gateway;
    let address = args
        .gateway
        .clone()
        .or_else(|| g.address.clone())
        .ok_or_else(|| {
            CliError::input("no gateway: give --gateway HOST:PORT or [gateway] address")
        })?;
    let gateway = wiring::resolve(&address)?;
    let sp_id = args
        .sp_id
        .clone()
        .or_else(|| g.sp_id.clone())
        .ok_or_else(|| CliError::input("no SP id: give --sp-id or [gateway] sp_id"))?;
    let secret = args
        .secret
        .clone()
        .or_else(|| g.secret.clone())
        .or_else(|| file.secret_from_env())
        .ok_or_else(|| CliError::input("no shared secret: set CMPP_SECRET (or --secret)"))?;
    let version = resolve_version(args.version, g.version.as_deref())?;
    let l = &file.limits;
    let config = ClientConfig::builder(gateway, sp_id.clone(), secret.into_bytes())
        .version(version)
        .window(args.window.or(l.window).unwrap_or(16))
        .connections(args.connections.or(l.connections).unwrap_or(1))
        .rate_limit(args.rate.or(l.rate).unwrap_or(0))
        .response_timeout(Duration::from_secs(l.response_timeout_secs.unwrap_or(60)))
        .max_tries(l.tries.unwrap_or(3))
        .heartbeat(Duration::from_secs(l.heartbeat_secs.unwrap_or(180)))
        .login_timeout(Duration::from_secs(l.login_timeout_secs.unwrap_or(10)))
        .accept_zero_ismg_authenticator(
            args.accept_zero_authenticator || g.accept_zero_authenticator.unwrap_or(false),
        )
        .verify_ismg_authenticator(
            !args.no_verify_authenticator && g.verify_authenticator.unwrap_or(true),
        )
        .event_capacity(65_536)
        .build();
    Ok(Plan {
        account: sp_id,
        service_id: args
            .service_id
            .clone()
            .or_else(|| g.service_id.clone())
            .unwrap_or_default(),
        window: config.window * config.connections,
        protocol: Protocol::Cmpp,
        contract_calling: None,
        gateway,
        client: ClientPlan::Cmpp(config),
    })
}

/// `--version`, else the file's, else 3.0.
fn resolve_version(arg: Option<Version>, file: Option<&str>) -> Result<Version, CliError> {
    Ok(match (arg, file) {
        (Some(v), _) => v,
        (None, Some(v)) => wiring::parse_version(v).map_err(|e| CliError::new(Exit::Config, e))?,
        (None, None) => Version::V30,
    })
}

/// The SP's SGIP node id `3AAAAQQQQQ` from its area code and 5-digit CorpId.
fn node_id(area_code: &str, corp_id: &str) -> Result<u32, CliError> {
    if corp_id.len() != 5 || !corp_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CliError::input(format!(
            "CorpId '{corp_id}' must be 5 digits"
        )));
    }
    let corp: u32 = corp_id
        .parse()
        .map_err(|_| CliError::input(format!("CorpId '{corp_id}' must be 5 digits")))?;
    sgip_codec::sp_node_id(area_code, corp).ok_or_else(|| {
        CliError::input(format!(
            "area code '{area_code}' must be 3 or 4 digits (the SP's node id is 3AAAAQQQQQ)"
        ))
    })
}

impl Plan {
    /// The policy for this gateway. Alone, it reaches its own carrier's subscribers only,
    /// so the route check lets no other carrier's number through; routed (`contracts`: the
    /// carriers of the run), the route check allows exactly the carriers logged in to. The
    /// calling-number check expects the calling number of this carrier's contract
    /// (`[carriers.*] src_id`) when there is one. CMPP alone keeps the policy as given
    /// (China Mobile's contract).
    pub(super) fn policy(&self, policy: Policy, contracts: Option<&[Carrier]>) -> Policy {
        let mut policy = policy;
        if policy.is_enabled(Check::Carrier) {
            match contracts {
                Some(all) => policy = policy.with_contracts(all.iter().copied()),
                None if self.protocol != Protocol::Cmpp => {
                    policy = policy.with_contracts([self.protocol.carrier()])
                }
                None => {}
            }
        }
        if let Some(src) = &self.contract_calling {
            if policy.is_enabled(Check::CallingNumber) {
                policy = policy.with_calling_number(src.clone(), SRC_ID_LEN);
            }
        }
        policy
    }

    /// The calling number this carrier's contract gives the SP, if its table has one.
    pub(super) fn calling_number(&self) -> Option<&str> {
        self.contract_calling.as_deref()
    }

    /// Logs in (SGIP: and listens for the gateway's link) and wraps the client for the
    /// send path.
    pub(super) async fn connect(&self) -> Result<Arc<dyn Link>, CliError> {
        let gateway = self.gateway;
        Ok(match &self.client {
            ClientPlan::Cmpp(config) => Client::connect(config.clone())
                .await
                .map_err(|e| wiring::login_error(e, gateway))?
                .into_link(),
            ClientPlan::Sgip { config, corp_id } => {
                let client = sgip_session::Client::connect(config.clone())
                    .await
                    .map_err(|e| sgip_login_error(e, gateway))?;
                Arc::new(SgipLink::new(client, corp_id.clone()))
            }
            ClientPlan::Smgp(config) => {
                let client = smgp_session::Client::connect(config.clone())
                    .await
                    .map_err(|e| smgp_login_error(e, gateway))?;
                Arc::new(SmgpLink::new(client))
            }
        })
    }
}

/// A failed SGIP Bind: unreachable (4), refused (5), or our listener not bound (1).
fn sgip_login_error(e: sgip_session::LoginError, gateway: std::net::SocketAddr) -> CliError {
    use sgip_session::LoginError as E;
    match e {
        E::Io(_) | E::Timeout(_) | E::ClosedByPeer => CliError::new(
            Exit::Unreachable,
            format!("gateway {gateway} is unreachable: {e}"),
        ),
        e @ E::Listen { .. } => CliError::failure(e.to_string()),
        e @ E::BadCredentials(_) => CliError::input(e.to_string()),
        other => CliError::new(
            Exit::LoginRefused,
            format!("gateway {gateway} refused the login: {other}"),
        ),
    }
}

/// A failed SMGP Login: unreachable (4), refused (5), or a bad account (3).
fn smgp_login_error(e: smgp_session::LoginError, gateway: std::net::SocketAddr) -> CliError {
    use smgp_session::LoginError as E;
    match e {
        E::Unreachable(_) | E::Timeout | E::Stream(_) => CliError::new(
            Exit::Unreachable,
            format!("gateway {gateway} is unreachable: {e}"),
        ),
        e @ E::BadClientId { .. } => CliError::input(e.to_string()),
        other => CliError::new(
            Exit::LoginRefused,
            format!("gateway {gateway} refused the login: {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_come_from_area_code_and_corp_id() {
        assert_eq!(node_id("010", "12345").unwrap(), 3_010_012_345);
        assert_eq!(node_id("0755", "00001").unwrap(), 3_075_500_001);
        for (area, corp) in [
            ("010", "1234"),
            ("010", "123456"),
            ("010", "1234x"),
            ("1", "12345"),
        ] {
            let e = node_id(area, corp).unwrap_err();
            assert_eq!(e.exit(), Exit::Input, "{area} {corp}: {e}");
        }
    }
}
