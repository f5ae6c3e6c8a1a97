//! `cmpp.toml`: the settings for real use, with options overriding the file and secrets
//! from the environment.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sms_records::Carrier;

use crate::error::{CliError, Exit};

/// The whole file; every section and key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    /// The gateway account.
    pub gateway: Gateway,
    /// Session limits.
    pub limits: Limits,
    /// The message journal.
    pub journal: Journal,
    /// The sending policy.
    pub policy: Policy,
    /// Contract terms and SLA settings (China Mobile's contract).
    pub contract: Contract,
    /// The contracts with the other carriers.
    pub carriers: Carriers,
}

/// `[gateway]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gateway {
    /// `host:port` of the ISMG.
    pub address: Option<String>,
    /// SP id (Source_Addr, 6 characters).
    pub sp_id: Option<String>,
    /// Shared secret; better left out and given through `secret_env`.
    pub secret: Option<String>,
    /// Environment variable holding the secret (default `CMPP_SECRET`).
    pub secret_env: Option<String>,
    /// `2.0` or `3.0`.
    pub version: Option<String>,
    /// Calling number (Src_Id) under the access number.
    pub src_id: Option<String>,
    /// Service_Id.
    pub service_id: Option<String>,
    /// Accept a gateway that answers the login with an all-zero AuthenticatorISMG.
    pub accept_zero_authenticator: Option<bool>,
    /// `false` talks to a gateway whose AuthenticatorISMG is wrong (non-conforming; a
    /// warning is logged at every login). Default true.
    pub verify_authenticator: Option<bool>,
}

/// `[limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Unanswered requests per connection (W).
    pub window: Option<usize>,
    /// Connections in the pool, one login each.
    pub connections: Option<usize>,
    /// Messages per second across the pool (0 = no limit).
    pub rate: Option<u32>,
    /// Response timeout T in seconds.
    pub response_timeout_secs: Option<u64>,
    /// Transmissions N per request.
    pub tries: Option<u32>,
    /// Idle seconds before ACTIVE_TEST (C).
    pub heartbeat_secs: Option<u64>,
    /// Seconds allowed for a login.
    pub login_timeout_secs: Option<u64>,
}

/// `[journal]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Journal {
    /// Folder of the month files.
    pub dir: Option<PathBuf>,
    /// Months kept besides the current one (clause 2.7: at least 6).
    pub keep_months: Option<u32>,
}

/// `[policy]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Policy file (see `crates/sms-policy/policy.example.toml`).
    pub file: Option<PathBuf>,
}

/// `[contract]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Contract {
    /// Contract terms (see `crates/sms-billing/examples/terms.toml`); default: this contract.
    pub terms: Option<PathBuf>,
    /// SLA settings; default: this contract's.
    pub sla: Option<PathBuf>,
    /// Incident log for settlements.
    pub incidents: Option<PathBuf>,
}

/// `[carriers.unicom]`, `[carriers.telecom]`: the SP's contract with each other carrier.
///
/// China Mobile's contract is the top-level `[gateway]` and `[contract]`, as before
/// carriers; a `[carriers.mobile]` table is refused so that it cannot contradict them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Carriers {
    /// China Unicom (SGIP).
    pub unicom: Option<CarrierContract>,
    /// China Telecom (SMGP).
    pub telecom: Option<CarrierContract>,
}

/// A gateway protocol: how the SP talks to a carrier's gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// CMPP (China Mobile).
    Cmpp,
    /// SGIP 1.2 (China Unicom).
    Sgip,
    /// SMGP 3.0 (China Telecom).
    Smgp,
}

impl Protocol {
    /// The protocol a carrier speaks unless its table says otherwise.
    pub fn of(carrier: Carrier) -> Protocol {
        match carrier {
            Carrier::ChinaUnicom => Protocol::Sgip,
            Carrier::ChinaTelecom => Protocol::Smgp,
            _ => Protocol::Cmpp,
        }
    }

    /// The carrier whose gateway speaks this protocol (the inverse of [`Protocol::of`]).
    pub fn carrier(self) -> Carrier {
        match self {
            Protocol::Cmpp => Carrier::ChinaMobile,
            Protocol::Sgip => Carrier::ChinaUnicom,
            Protocol::Smgp => Carrier::ChinaTelecom,
        }
    }

    /// The name as `--protocol` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Cmpp => "cmpp",
            Protocol::Sgip => "sgip",
            Protocol::Smgp => "smgp",
        }
    }
}

/// One carrier's contract: its gateway, calling number and contract terms.
///
/// The gateway keys are read by the send path; `terms`, `sla` and `incidents` by
/// `cmpp report --carrier` and `cmpp settle --carrier`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CarrierContract {
    /// Gateway protocol; default the carrier's own (unicom: `sgip`, telecom: `smgp`).
    pub protocol: Option<Protocol>,
    /// `host:port` of the carrier's gateway (SMG / ISMG).
    pub address: Option<String>,
    /// Login account at the gateway (SGIP Login_Name, SMGP ClientID).
    pub account: Option<String>,
    /// Environment variable holding the account's password (never written in the file).
    pub secret_env: Option<String>,
    /// SGIP: the SP's own `host:port` the gateway connects back to (Deliver, Report).
    pub listen: Option<String>,
    /// SGIP: the SP's corporation id (5 digits) in the sequence numbers.
    pub corp_id: Option<String>,
    /// Calling number (SP number / src id) shown on this carrier's handsets.
    pub src_id: Option<String>,
    /// Service id (service code) of every message.
    pub service_id: Option<String>,
    /// Contract terms with this carrier (see `crates/sms-billing/examples/terms.toml`).
    pub terms: Option<PathBuf>,
    /// SLA settings of this contract.
    pub sla: Option<PathBuf>,
    /// Incident log of this contract.
    pub incidents: Option<PathBuf>,
}

impl CarrierContract {
    /// The protocol to speak: the table's, else the carrier's own.
    pub fn protocol_for(&self, carrier: Carrier) -> Protocol {
        self.protocol.unwrap_or(Protocol::of(carrier))
    }
}

/// The contract files of one carrier (paths resolved against the config file's folder).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContractFiles {
    /// Contract terms.
    pub terms: Option<PathBuf>,
    /// SLA settings.
    pub sla: Option<PathBuf>,
    /// Incident log.
    pub incidents: Option<PathBuf>,
}

impl FileConfig {
    /// A carrier's contract table: `None` for China Mobile (its contract is the top-level
    /// `[gateway]` and `[contract]`) and for a carrier without a table.
    pub fn carrier(&self, carrier: Carrier) -> Option<&CarrierContract> {
        match carrier {
            Carrier::ChinaUnicom => self.carriers.unicom.as_ref(),
            Carrier::ChinaTelecom => self.carriers.telecom.as_ref(),
            _ => None,
        }
    }

    /// The carriers the SP has a contract with: China Mobile, and every carrier with a table
    /// (the send path gives them to the policy, `Policy::with_contracts`).
    #[allow(dead_code)] // for the send path
    pub fn contracted(&self) -> Vec<Carrier> {
        Carrier::ALL
            .into_iter()
            .filter(|c| *c == Carrier::ChinaMobile || self.carrier(*c).is_some())
            .collect()
    }

    /// A carrier's contract files: China Mobile's from `[contract]`, another carrier's from
    /// its `[carriers.NAME]` table; `None` when that carrier has no table.
    pub fn contract_files(&self, carrier: Carrier) -> Option<ContractFiles> {
        if carrier == Carrier::ChinaMobile {
            return Some(ContractFiles {
                terms: self.contract.terms.clone(),
                sla: self.contract.sla.clone(),
                incidents: self.contract.incidents.clone(),
            });
        }
        self.carrier(carrier).map(|c| ContractFiles {
            terms: c.terms.clone(),
            sla: c.sla.clone(),
            incidents: c.incidents.clone(),
        })
    }

    /// Reads and checks a config file; paths in it are relative to its folder.
    pub fn load(path: &Path) -> Result<FileConfig, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::new(
                Exit::Config,
                format!("cannot read config {}: {e}", path.display()),
            )
        })?;
        let mut config = Self::parse(&text, &path.display().to_string())?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        Ok(config)
    }

    /// Parses config text; errors name the file, line and field.
    pub fn parse(text: &str, origin: &str) -> Result<FileConfig, CliError> {
        toml::from_str(text).map_err(|e| {
            let place = e.span().map(|s| locate(text, s.start)).unwrap_or_default();
            CliError::new(
                Exit::Config,
                format!("malformed config {origin}{place}: {}", e.message()),
            )
        })
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut Option<PathBuf>| {
            if let Some(path) = p {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
        };
        fix(&mut self.journal.dir);
        fix(&mut self.policy.file);
        fix(&mut self.contract.terms);
        fix(&mut self.contract.sla);
        fix(&mut self.contract.incidents);
        for c in [&mut self.carriers.unicom, &mut self.carriers.telecom]
            .into_iter()
            .flatten()
        {
            fix(&mut c.terms);
            fix(&mut c.sla);
            fix(&mut c.incidents);
        }
    }

    /// The secret: the file's value, else its environment variable.
    pub fn secret_from_env(&self) -> Option<String> {
        let var = self.gateway.secret_env.as_deref().unwrap_or("CMPP_SECRET");
        std::env::var(var).ok().filter(|s| !s.is_empty())
    }
}

/// `:LINE (field SECTION.KEY)` for a byte offset in the file.
fn locate(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_no = text[..offset].matches('\n').count() + 1;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let section = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match (section, key) {
        (Some(s), Some(k)) => format!(":{line_no} (field {s}.{k})"),
        (None, Some(k)) => format!(":{line_no} (field {k})"),
        _ => format!(":{line_no}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let text = include_str!("../cmpp.example.toml");
        let c = FileConfig::parse(text, "cmpp.example.toml").unwrap();
        assert_eq!(c.gateway.sp_id.as_deref(), Some("900001"));
        assert_eq!(c.limits.window, Some(16));
        assert_eq!(c.journal.keep_months, Some(6));
        assert!(
            c.gateway.secret.is_none(),
            "the example must not hold a secret"
        );
    }

    #[test]
    fn errors_name_line_and_field() {
        let e =
            FileConfig::parse("[gateway]\naddress = \"x\"\nwindow = 3\n", "c.toml").unwrap_err();
        assert_eq!(e.exit(), Exit::Config);
        let msg = e.to_string();
        assert!(msg.contains("c.toml:3"), "{msg}");
        assert!(msg.contains("window"), "{msg}");
        let e = FileConfig::parse("[limits]\nwindow = \"sixteen\"\n", "c.toml").unwrap_err();
        assert!(
            e.to_string().contains("c.toml:2 (field limits.window)"),
            "{e}"
        );
    }

    #[test]
    fn each_carrier_has_its_own_contract_table() {
        let text = r#"
[contract]
terms = "cmcc-terms.toml"
[carriers.unicom]
protocol = "sgip"
address = "10.0.0.1:8801"
account = "sp901"
secret_env = "SGIP_SECRET"
listen = "0.0.0.0:8802"
corp_id = "90001"
src_id = "1065502"
service_id = "12123"
terms = "unicom-terms.toml"
sla = "unicom-sla.toml"
incidents = "unicom-incidents.toml"
[carriers.telecom]
address = "10.0.0.2:8890"
src_id = "1065901"
"#;
        let mut c = FileConfig::parse(text, "c.toml").unwrap();
        c.resolve_paths(Path::new("/etc/cmpp"));
        assert_eq!(
            c.contracted(),
            [
                Carrier::ChinaMobile,
                Carrier::ChinaUnicom,
                Carrier::ChinaTelecom
            ]
        );
        let unicom = c.carrier(Carrier::ChinaUnicom).unwrap();
        assert_eq!(unicom.protocol_for(Carrier::ChinaUnicom), Protocol::Sgip);
        assert_eq!(unicom.src_id.as_deref(), Some("1065502"));
        assert_eq!(unicom.corp_id.as_deref(), Some("90001"));
        let telecom = c.carrier(Carrier::ChinaTelecom).unwrap();
        assert_eq!(telecom.protocol_for(Carrier::ChinaTelecom), Protocol::Smgp);
        assert!(
            c.carrier(Carrier::ChinaMobile).is_none(),
            "top-level tables"
        );
        assert_eq!(
            c.contract_files(Carrier::ChinaUnicom).unwrap(),
            ContractFiles {
                terms: Some("/etc/cmpp/unicom-terms.toml".into()),
                sla: Some("/etc/cmpp/unicom-sla.toml".into()),
                incidents: Some("/etc/cmpp/unicom-incidents.toml".into()),
            }
        );
        assert_eq!(
            c.contract_files(Carrier::ChinaMobile).unwrap().terms,
            Some(PathBuf::from("/etc/cmpp/cmcc-terms.toml"))
        );
        assert_eq!(c.contract_files(Carrier::ChinaTelecom).unwrap().terms, None);
        let none = FileConfig::parse("", "c.toml").unwrap();
        assert_eq!(none.contracted(), [Carrier::ChinaMobile]);
        assert!(none.contract_files(Carrier::ChinaUnicom).is_none());
    }

    #[test]
    fn typos_in_carrier_tables_are_refused_with_line_and_field() {
        for (text, needle) in [
            (
                "[carriers.unicon]
address = \"x\"\n",
                "c.toml:1",
            ),
            (
                "[carriers.unicon]
address = \"x\"\n",
                "unknown field `unicon`",
            ),
            (
                "[carriers.mobile]
address = \"x\"\n",
                "unknown field `mobile`",
            ),
            (
                "[carriers.unicom]
adress = \"x\"\n",
                "c.toml:2 (field carriers.unicom.adress)",
            ),
            (
                "[carriers.telecom]
protocol = \"smpp\"\n",
                "unknown variant `smpp`",
            ),
            (
                "[carriers.telecom]
terms = 3\n",
                "c.toml:2 (field carriers.telecom.terms)",
            ),
        ] {
            let e = FileConfig::parse(text, "c.toml").unwrap_err();
            assert_eq!(e.exit(), Exit::Config);
            assert!(e.to_string().contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let mut c = FileConfig::parse("[journal]\ndir = \"j\"\n", "x").unwrap();
        c.resolve_paths(Path::new("/etc/cmpp"));
        assert_eq!(c.journal.dir.as_deref(), Some(Path::new("/etc/cmpp/j")));
    }
}
