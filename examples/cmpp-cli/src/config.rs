//! `cmpp.toml`: the settings for real use, with options overriding the file and secrets
//! from the environment.

use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    /// Contract terms and SLA settings.
    pub contract: Contract,
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

impl FileConfig {
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
    fn relative_paths_follow_the_file() {
        let mut c = FileConfig::parse("[journal]\ndir = \"j\"\n", "x").unwrap();
        c.resolve_paths(Path::new("/etc/cmpp"));
        assert_eq!(c.journal.dir.as_deref(), Some(Path::new("/etc/cmpp/j")));
    }
}
