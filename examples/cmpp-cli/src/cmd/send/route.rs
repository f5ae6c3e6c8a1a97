//! `cmpp send --route`: one run over every carrier the SP has a contract with, each
//! destination through its carrier's gateway.
//!
//! China Mobile's gateway comes from `[gateway]` and the options, as without `--route`; China
//! Unicom's and China Telecom's from their `[carriers.*]` tables. Each table must give the
//! gateway's `address`, the carrier's calling number `src_id` and the `secret_env` holding its
//! password: a routed run never falls back to China Mobile's settings for another carrier
//! (its secret must not reach another gateway, its calling number is not theirs).
//!
//! Each carrier's sender has its own copy of the policy: the route check allows exactly the
//! carriers of the run, the calling-number check expects that carrier's `src_id`. A number
//! no configured carrier serves goes to China Mobile's sender, whose route check refuses it
//! (and journals the refusal); with `--no-policy` nothing refuses it and it goes out over
//! China Mobile's gateway, as every number does without `--route`.
//!
//! A carrier whose gateway cannot be logged in to ends the run before anything is sent
//! (exit 4 unreachable, 5 refused), naming the carrier. Serving the other carriers instead
//! would leave part of a batch unsent with no way to re-run it but by hand-picking numbers;
//! refusing the whole run keeps `cmpp send` re-runnable as it is (nothing was sent, nothing
//! is sent twice). A platform that must keep serving the other carriers links
//! `sms_sender::Router` and decides per carrier.

use sms_records::Carrier;

use super::gateway::{plan, Plan};
use super::Args;
use crate::config::{FileConfig, Protocol};
use crate::error::{CliError, Exit};

/// The table a carrier's contract is read from.
fn table_name(carrier: Carrier) -> String {
    format!("[carriers.{}]", carrier.as_str())
}

/// Refuses what a routed run cannot honour, before anything is opened.
pub(super) fn check(args: &Args, file: &FileConfig) -> Result<(), CliError> {
    if file.carrier(Carrier::ChinaUnicom).is_none() {
        for (given, flag) in [
            (args.listen.is_some(), "--listen"),
            (args.corp_id.is_some(), "--corp-id"),
            (args.area_code.is_some(), "--area-code"),
        ] {
            if given {
                return Err(CliError::input(format!(
                    "{flag} is China Unicom's (SGIP) with --route, but the config has no \
                     [carriers.unicom] table"
                )));
            }
        }
    }
    Ok(())
}

/// Every configured carrier's client settings: China Mobile first (the router's default,
/// whose policy refuses a number no configured carrier serves), then Unicom and Telecom
/// where their tables are.
pub(super) fn plans(args: &Args, file: &FileConfig) -> Result<Vec<(Carrier, Plan)>, CliError> {
    let mobile = plan(&for_carrier(args, Protocol::Cmpp), file)
        .map_err(|e| name_carrier(e, Carrier::ChinaMobile))?;
    let mut plans = vec![(Carrier::ChinaMobile, mobile)];
    for carrier in [Carrier::ChinaUnicom, Carrier::ChinaTelecom] {
        let Some(table) = file.carrier(carrier) else {
            continue;
        };
        let name = table_name(carrier);
        let missing = |key: &str, why: &str| {
            CliError::new(
                Exit::Config,
                format!(
                    "{name} has no {key}: --route sends {}'s numbers {why}; give it or remove \
                     the table",
                    carrier.full_name()
                ),
            )
        };
        if table.address.is_none() {
            return Err(missing("address", "to its own gateway"));
        }
        if table.src_id.is_none() {
            return Err(missing(
                "src_id",
                "from the calling number its contract gives the SP",
            ));
        }
        let own = Protocol::of(carrier);
        let protocol = table.protocol_for(carrier);
        if protocol != own {
            return Err(CliError::new(
                Exit::Config,
                format!(
                    "{name} protocol = \"{}\": --route speaks each carrier's own protocol \
                     ({} for {})",
                    protocol.as_str(),
                    own.as_str(),
                    carrier.full_name()
                ),
            ));
        }
        let secret_set = table
            .secret_env
            .as_deref()
            .and_then(|v| std::env::var(v).ok())
            .is_some_and(|s| !s.is_empty());
        if !secret_set {
            return Err(CliError::input(format!(
                "no password for {}: set the environment variable that {name} secret_env \
                 names (China Mobile's --secret and CMPP_SECRET are never sent to another \
                 carrier)",
                carrier.full_name()
            )));
        }
        plans.push((carrier, plan(&for_carrier(args, own), file)?));
    }
    Ok(plans)
}

/// The options as one carrier's gateway sees them: China Mobile keeps the gateway options
/// (as without `--route`), China Unicom the SGIP ones; the others come from its table.
/// `--window`, `--connections` and `--rate` apply to every gateway, as `[limits]` does.
fn for_carrier(args: &Args, protocol: Protocol) -> Args {
    let mut a = args.clone();
    a.protocol = protocol;
    a.route = false;
    if protocol != Protocol::Sgip {
        a.listen = None;
        a.corp_id = None;
        a.area_code = None;
    }
    if protocol != Protocol::Cmpp {
        a.gateway = None;
        a.sp_id = None;
        a.secret = None;
        a.version = None;
        a.src_id = None;
        a.service_id = None;
        a.accept_zero_authenticator = false;
        a.no_verify_authenticator = false;
    }
    a
}

/// An error of one carrier's gateway, prefixed with the carrier (same exit code).
pub(super) fn name_carrier(e: CliError, carrier: Carrier) -> CliError {
    CliError::new(
        e.exit(),
        format!(
            "{} ({}): {e}",
            carrier.full_name(),
            Protocol::of(carrier).as_str().to_uppercase()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn args(extra: &[&str]) -> Args {
        let mut argv = vec!["send", "--route", "--to", "13800138000", "--text", "hi"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).unwrap().args
    }

    #[test]
    fn each_carrier_gets_only_its_own_options() {
        let a = args(&[
            "--gateway",
            "127.0.0.1:7890",
            "--sp-id",
            "900001",
            "--secret",
            "mobile",
            "--src-id",
            "121231100",
            "--listen",
            "127.0.0.1:8802",
            "--corp-id",
            "90001",
            "--window",
            "8",
            "--rate",
            "50",
        ]);
        let mobile = for_carrier(&a, Protocol::Cmpp);
        assert_eq!(mobile.gateway.as_deref(), Some("127.0.0.1:7890"));
        assert_eq!(mobile.secret.as_deref(), Some("mobile"));
        assert!(mobile.listen.is_none() && mobile.corp_id.is_none());
        let unicom = for_carrier(&a, Protocol::Sgip);
        assert!(unicom.gateway.is_none() && unicom.sp_id.is_none());
        assert!(
            unicom.secret.is_none(),
            "China Mobile's secret stays China Mobile's"
        );
        assert!(unicom.src_id.is_none());
        assert_eq!(unicom.listen.as_deref(), Some("127.0.0.1:8802"));
        assert_eq!(unicom.corp_id.as_deref(), Some("90001"));
        let telecom = for_carrier(&a, Protocol::Smgp);
        assert!(telecom.secret.is_none() && telecom.listen.is_none());
        for (a, p) in [
            (&mobile, Protocol::Cmpp),
            (&unicom, Protocol::Sgip),
            (&telecom, Protocol::Smgp),
        ] {
            assert_eq!(a.protocol, p);
            assert!(!a.route);
            assert_eq!(a.window, Some(8), "limits apply to every gateway");
            assert_eq!(a.rate, Some(50));
        }
    }

    #[test]
    fn a_carrier_table_must_name_its_gateway_calling_number_and_protocol() {
        let mobile = "[gateway]\naddress = \"127.0.0.1:1\"\nsp_id = \"900001\"\nsecret = \"x\"\n";
        for (table, needle) in [
            (
                "[carriers.telecom]\nsrc_id = \"1065901\"\n",
                "[carriers.telecom] has no address",
            ),
            (
                "[carriers.unicom]\naddress = \"127.0.0.1:2\"\n",
                "[carriers.unicom] has no src_id",
            ),
            (
                "[carriers.unicom]\naddress = \"127.0.0.1:2\"\nsrc_id = \"1\"\nprotocol = \"smgp\"\n",
                "[carriers.unicom] protocol = \"smgp\"",
            ),
        ] {
            let file = FileConfig::parse(&format!("{mobile}{table}"), "c.toml").unwrap();
            let e = plans(&args(&[]), &file).err().expect("refused");
            assert_eq!(e.exit(), Exit::Config, "{table}: {e}");
            assert!(e.to_string().contains(needle), "{table}: {e}");
        }
        // China Mobile's own gateway is required as without --route, and named.
        let file = FileConfig::parse("", "c.toml").unwrap();
        let e = plans(&args(&[]), &file).err().expect("refused");
        assert!(
            e.to_string().starts_with("China Mobile (CMPP): no gateway"),
            "{e}"
        );
        // SGIP's options need China Unicom's table.
        let e = check(&args(&["--corp-id", "90001"]), &file).unwrap_err();
        assert_eq!(e.exit(), Exit::Input);
        assert!(e.to_string().contains("no [carriers.unicom] table"), "{e}");
    }
}
