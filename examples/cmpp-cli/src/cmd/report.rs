//! `cmpp report`: the monthly SLA report (clause 3.10) from a journal or a record file.

use crate::config::{ContractFiles, FileConfig};
use crate::error::{CliError, Exit};
use crate::wiring;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use sms_records::Carrier;
use sms_sla::{Aggregator, SlaSettings};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown.
    Md,
    /// JSON (stable schema, `schema_version`).
    Json,
    /// Self-contained HTML page with charts.
    Html,
}

/// Options of `cmpp report`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["journal", "records"])))]
pub struct Args {
    /// Journal folder to read the month's records from.
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// Record file: CSV (`.csv`) or JSON Lines (`.jsonl`, `.ndjson`, `.json`).
    #[arg(long, value_name = "FILE")]
    pub records: Option<PathBuf>,
    /// The month to report, e.g. 2026-03 (calendar month in the settings' zone, Beijing time by default).
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    /// SLA settings (TOML); defaults are the contract's readings.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The time the data was taken (RFC 3339); decides which messages are still pending. Default: now.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// Incident log (TOML), as for `cmpp settle`: the windows of its honoured
    /// exemption claims (7.1–7.4) exclude their messages from both rates.
    #[arg(long, value_name = "FILE")]
    pub incidents: Option<PathBuf>,
    /// Contract terms (TOML) deciding which claims are honoured (7.3 notice); default:
    /// agreement 2025-TX17-056.
    #[arg(long, value_name = "FILE")]
    pub terms: Option<PathBuf>,
    /// Skip rows of the records file that cannot be read, listing each one
    /// (file, line, field, reason) after the report; default: stop at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Only this carrier's records (mobile, unicom or telecom), read with its contract's
    /// settings, terms and incidents from --config; default: every carrier's records under
    /// the top-level (China Mobile's) contract, with a count per carrier.
    #[arg(long, value_name = "CARRIER", value_parser = parse_carrier)]
    pub carrier: Option<Carrier>,
    /// Config file (`cmpp.toml`): the contract of the carrier reported on (`[contract]` for
    /// China Mobile, `[carriers.NAME]` for the others) gives the defaults of --settings,
    /// --terms and --incidents.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `--carrier`: an interchange name.
pub fn parse_carrier(s: &str) -> Result<Carrier, String> {
    s.parse()
        .map_err(|e| format!("{e} (use mobile, unicom or telecom)"))
}

/// The contract files of the carrier a command works on: `--config`'s table for it (China
/// Mobile's `[contract]` without `--carrier`); none without `--config`. A carrier without a
/// table in the config has no contract: an error.
pub fn contract_files(
    config: Option<&PathBuf>,
    carrier: Option<Carrier>,
) -> Result<ContractFiles, CliError> {
    let Some(path) = config else {
        return Ok(ContractFiles::default());
    };
    let file = FileConfig::load(path)?;
    let carrier = carrier.unwrap_or(Carrier::ChinaMobile);
    file.contract_files(carrier).ok_or_else(|| {
        CliError::new(
            Exit::Config,
            format!(
                "config {}: no [carriers.{carrier}] table: no {} contract is configured",
                path.display(),
                carrier.full_name()
            ),
        )
    })
}

/// Records per carrier, in the carriers' fixed order, every carrier listed.
#[derive(Debug, Default)]
pub struct CarrierCounts(BTreeMap<Carrier, u64>);

impl CarrierCounts {
    /// Counts one record.
    pub fn add(&mut self, carrier: Carrier) {
        *self.0.entry(carrier).or_default() += 1;
    }

    /// `{"mobile": N, "unicom": N, "telecom": N}`.
    pub fn json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for c in Carrier::ALL {
            m.insert(c.to_string(), self.0.get(&c).copied().unwrap_or(0).into());
        }
        serde_json::Value::Object(m)
    }

    /// Tells on stderr how many records of carriers other than `settled` were left out.
    pub fn note(&self, settled: Carrier) {
        let total: u64 = self.0.values().sum();
        if total == 0 {
            return;
        }
        let each: Vec<String> = self.0.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        eprintln!(
            "note: {total} record(s) of other carriers ({}) are not in the {} settlement; settle them with --carrier",
            each.join(", "),
            settled.full_name()
        );
    }

    /// A Markdown section with one row per carrier.
    pub fn markdown(&self, only: Option<Carrier>) -> String {
        let mut o = String::from("\n## Records per carrier\n\n");
        if let Some(c) = only {
            o.push_str(&format!(
                "Only {}'s records (`--carrier {c}`), under its contract.\n\n",
                c.full_name()
            ));
        }
        o.push_str("| carrier | records |\n|---|---:|\n");
        for c in Carrier::ALL {
            let n = self.0.get(&c).copied().unwrap_or(0);
            o.push_str(&format!("| {} (`{c}`) | {n} |\n", c.full_name()));
        }
        o
    }
}

/// Clauses 7.1–7.4: adds the windows of the incident log's honoured claims to the settings.
fn add_claims(
    args: &Args,
    contract: &ContractFiles,
    settings: &mut SlaSettings,
) -> Result<(), CliError> {
    let Some(path) = args.incidents.as_ref().or(contract.incidents.as_ref()) else {
        return Ok(());
    };
    let config = |e: sms_billing::BillingError| CliError::new(Exit::Config, e.to_string());
    let terms = match args.terms.as_ref().or(contract.terms.as_ref()) {
        Some(p) => sms_billing::Terms::load(p).map_err(config)?,
        None => sms_billing::Terms::default(),
    };
    let log = sms_billing::IncidentLog::load(path).map_err(config)?;
    log.check_term(&terms).map_err(config)?;
    settings
        .exemptions
        .extend(sms_billing::exempt::sla_exemptions(&terms, &log));
    Ok(())
}

fn load_settings(path: Option<&PathBuf>) -> Result<SlaSettings, CliError> {
    let Some(path) = path else {
        return Ok(SlaSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            Exit::Config,
            format!("cannot read settings {}: {e}", path.display()),
        )
    })?;
    SlaSettings::from_toml(&text)
        .map_err(|e| CliError::new(Exit::Config, format!("settings {}: {e}", path.display())))
}

/// The month `YYYY-MM` as `[first day 00:00, next month 00:00)` in `zone`.
fn month_range(
    month: &str,
    zone: FixedOffset,
) -> Result<(DateTime<FixedOffset>, DateTime<FixedOffset>), CliError> {
    let bad = || CliError::input(format!("--month `{month}` is not a month such as 2026-03"));
    let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
        .map_err(|_| bad())?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(bad)?;
    let at = |d: NaiveDate| {
        zone.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .single()
            .ok_or_else(bad)
    };
    Ok((at(first)?, at(next)?))
}

/// Runs `cmpp report`.
pub fn run(args: Args) -> Result<(), CliError> {
    let contract = contract_files(args.config.as_ref(), args.carrier)?;
    let settings_file = args.settings.as_ref().or(contract.sla.as_ref());
    if let (Some(c), None) = (args.carrier, settings_file) {
        if c != Carrier::ChinaMobile {
            eprintln!(
                "note: no SLA settings of a {} contract (--settings, or `sla` in [carriers.{c}] of --config): the default settings are used",
                c.full_name()
            );
        }
    }
    let mut settings = load_settings(settings_file)?;
    add_claims(&args, &contract, &mut settings)?;
    let (from, until) = month_range(&args.month, settings.utc_offset)?;
    let as_of = match &args.as_of {
        Some(t) => DateTime::parse_from_rfc3339(t.trim())
            .map_err(|e| CliError::input(format!("--as-of `{t}`: {e}")))?
            .to_utc(),
        None => Utc::now(),
    };
    let mut agg = Aggregator::new(&settings, from, until, as_of)
        .map_err(|e| CliError::new(Exit::Config, e.to_string()))?;

    let mut skipped = wiring::SkippedRows::default();
    let mut counts = CarrierCounts::default();
    wiring::feed_carrier_records(
        args.records.as_deref(),
        args.journal.as_deref(),
        from.to_utc(),
        until.to_utc(),
        args.carrier,
        args.skip_bad_rows.then_some(&mut skipped),
        |r| {
            counts.add(r.carrier);
            agg.add(r)
        },
    )?;

    let report = agg.report();
    let text = match args.format {
        Format::Md => {
            sms_sla::render::markdown(&report)
                + &counts.markdown(args.carrier)
                + &skipped.markdown()
        }
        Format::Json => {
            let mut v =
                serde_json::to_value(&report).map_err(|e| CliError::failure(e.to_string()))?;
            v["carrier"] = args.carrier.map(|c| c.to_string()).into();
            v["carriers"] = counts.json();
            if args.skip_bad_rows {
                v["skipped_rows"] = skipped.json();
            }
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failure(e.to_string()))? + "\n"
        }
        Format::Html => {
            if skipped.count > 0 {
                eprint!("{}", skipped.markdown());
            }
            sms_sla::render::html(&report)
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?,
        None => print!("{text}"),
    }
    Ok(())
}
