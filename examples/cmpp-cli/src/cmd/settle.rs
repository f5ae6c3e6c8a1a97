//! `cmpp settle`: the settlement statement of one period (clauses 4.1–4.2, 6.4–6.12, 2.4).
//!
//! One pass over the records feeds both the SLA aggregator (6.9/6.10) and the
//! billable counter (4.1.3); nothing is held in memory per record.

use crate::error::{CliError, Exit};
use crate::wiring;
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use sms_billing::render::{render, Format};
use sms_billing::{BillingError, IncidentLog, Ledger, Period, Settlement, Terms};
use sms_records::beijing;
use sms_sla::SlaSettings;
use std::path::PathBuf;
use std::str::FromStr;

/// Options of `cmpp settle`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["journal", "records"])))]
pub struct Args {
    /// Journal folder to read the period's records from.
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// Records file (CSV or JSON Lines, by extension).
    #[arg(long, value_name = "FILE")]
    pub records: Option<PathBuf>,
    /// Period: `2026Q1`, `P1`, or `2025-10-16..2026-01-15` (inclusive dates).
    #[arg(long)]
    pub period: String,
    /// Contract terms (TOML); default: agreement 2025-TX17-056.
    #[arg(long, value_name = "FILE")]
    pub terms: Option<PathBuf>,
    /// Incident log (TOML); default: no incidents.
    #[arg(long, value_name = "FILE")]
    pub incidents: Option<PathBuf>,
    /// SLA settings (TOML); default: the contract's reading, window from the terms.
    #[arg(long, value_name = "FILE")]
    pub sla_settings: Option<PathBuf>,
    /// Party B's billable count for the period (4.1.3); billed when given.
    #[arg(long, value_name = "N")]
    pub carrier_count: Option<u64>,
    /// Gross within budget billed in earlier periods of the term (4.1.5).
    #[arg(long, value_name = "CNY", default_value = "0")]
    pub billed_before: String,
    /// Penalties carried in from the previous period.
    #[arg(long, value_name = "CNY", default_value = "0")]
    pub carried_in: String,
    /// Date (Beijing) up to which unsubmitted documents and unpaid amounts are
    /// late, and SLA reports pending; default today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Output: md, json or csv.
    #[arg(long, default_value = "md")]
    pub format: String,
}

fn billing_error(e: BillingError) -> CliError {
    let exit = match &e {
        BillingError::Parse { .. }
        | BillingError::Terms(_)
        | BillingError::MissingMonthFee { .. } => Exit::Config,
        _ => Exit::Input,
    };
    CliError::new(exit, e.to_string())
}

fn amount(name: &str, s: &str) -> Result<Decimal, CliError> {
    match Decimal::from_str(s.trim()) {
        Ok(d) if !d.is_sign_negative() => Ok(d),
        _ => Err(CliError::input(format!(
            "--{name}: `{s}` is not a non-negative amount"
        ))),
    }
}

/// Runs `cmpp settle`.
pub fn run(args: Args) -> Result<(), CliError> {
    let format =
        Format::from_str(&args.format).map_err(|e| CliError::input(format!("--format: {e}")))?;
    let terms = match &args.terms {
        Some(p) => Terms::load(p).map_err(billing_error)?,
        None => Terms::default(),
    };
    let period = Period::parse(&args.period, &terms).map_err(billing_error)?;
    let log = match &args.incidents {
        Some(p) => IncidentLog::load(p).map_err(billing_error)?,
        None => IncidentLog::default(),
    };
    let sla_settings = match &args.sla_settings {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| CliError::input(format!("cannot read {}: {e}", p.display())))?;
            SlaSettings::from_toml(&text)
                .map_err(|e| CliError::new(Exit::Config, format!("{}: {e}", p.display())))?
        }
        None => Settlement::sla_settings(&terms),
    };
    let as_of_date = match &args.as_of {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| CliError::input(format!("--as-of: `{s}` is not a date YYYY-MM-DD")))?,
        None => Utc::now().with_timezone(&beijing()).date_naive(),
    };
    // SLA "as of": the end of that Beijing day, or now when it is today.
    let as_of_instant = match args.as_of {
        Some(_) => beijing()
            .from_local_datetime(
                &as_of_date
                    .succ_opt()
                    .unwrap_or(as_of_date)
                    .and_hms_opt(0, 0, 0)
                    .unwrap_or_default(),
            )
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now),
        None => Utc::now(),
    };
    let ledger = Ledger {
        billed_within_budget: amount("billed-before", &args.billed_before)?,
        carried_penalty: amount("carried-in", &args.carried_in)?,
        paid: Decimal::ZERO,
    };

    let mut settlement = Settlement::new(period.clone(), &sla_settings, as_of_date, as_of_instant)
        .map_err(|e| CliError::new(Exit::Config, e.to_string()))?;
    wiring::feed_records(
        args.records.as_deref(),
        args.journal.as_deref(),
        period.start().with_timezone(&Utc),
        period.end().with_timezone(&Utc),
        |r| settlement.add(r),
    )?;
    let (statement, _) = settlement
        .finish(&terms, &log, &ledger, args.carrier_count)
        .map_err(billing_error)?;
    print!("{}", render(&statement, format));
    Ok(())
}
