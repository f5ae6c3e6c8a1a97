//! `cmpp settle`: the settlement statement of one period, or of the whole term
//! as one chain (clauses 4.1–4.2, 6.4–6.12, 7.1–7.4, 2.4).
//!
//! One pass over the records feeds both the SLA aggregator (6.9/6.10, with the
//! honoured exemption windows excluded) and the billable counter (4.1.3);
//! nothing is held in memory per record. What was settled goes to a ledger file
//! next to the output, so a later single-period run continues the chain.
//!
//! A settlement is per contract, so per carrier: `--carrier` (default `mobile`, China
//! Mobile's contract, the only one before carriers) selects that carrier's records and
//! its contract (`--config`'s `[carriers.NAME]`, or `[contract]` for China Mobile). Other
//! carriers' records are left out and counted in a note; each carrier keeps its own ledger.

use crate::cmd::report::{contract_files, parse_carrier, CarrierCounts};
use crate::error::{CliError, Exit};
use crate::wiring::{self, SkippedRows};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use sms_billing::render::{self, Format};
use sms_billing::{
    exempt, BillingError, IncidentLog, Ledger, Period, Settlement, Statement, TermLedger,
    TermSummary, Terms,
};
use sms_records::beijing;
use sms_records::Carrier;
use sms_sla::SlaSettings;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Name of the ledger file written next to `--out` (China Mobile's contract).
pub const LEDGER_FILE: &str = "settle-ledger.json";

/// Name of a carrier's ledger file: [`LEDGER_FILE`] for China Mobile, else
/// `settle-ledger-NAME.json`, so that two contracts never continue each other's chain.
pub fn ledger_file(carrier: Carrier) -> String {
    if carrier == Carrier::ChinaMobile {
        LEDGER_FILE.to_string()
    } else {
        format!("settle-ledger-{carrier}.json")
    }
}

/// Options of `cmpp settle`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["journal", "records"])))]
#[command(group(clap::ArgGroup::new("what").required(true).args(["period", "term"])))]
pub struct Args {
    /// Journal folder to read the period's records from.
    #[arg(long, value_name = "DIR")]
    pub journal: Option<PathBuf>,
    /// Records file (CSV or JSON Lines, by extension).
    #[arg(long, value_name = "FILE")]
    pub records: Option<PathBuf>,
    /// Period: `2026Q1`, `P1`, or `2025-10-16..2026-01-15` (inclusive dates).
    #[arg(long)]
    pub period: Option<String>,
    /// Settle every period of the term that has begun by --as-of, in order, as one
    /// chain (budget cap and carry-over), with a term summary.
    #[arg(long)]
    pub term: bool,
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
    #[arg(long, value_name = "N", conflicts_with = "term")]
    pub carrier_count: Option<u64>,
    /// Override: gross within budget billed in earlier periods of the term (4.1.5);
    /// default: from the ledger.
    #[arg(long, value_name = "CNY")]
    pub billed_before: Option<String>,
    /// Override: penalties carried in from the previous period; default: from the ledger.
    #[arg(long, value_name = "CNY")]
    pub carried_in: Option<String>,
    /// Date (Beijing) up to which unsubmitted documents and unpaid amounts are
    /// late, and SLA reports pending; default today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Output: md, json or csv.
    #[arg(long, default_value = "md")]
    pub format: String,
    /// Write the statement(s) here instead of standard output; the ledger
    /// (`settle-ledger.json`) is kept in the same folder.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The ledger file to continue and update (default: next to --out).
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Skip rows of the records file that cannot be read, listing each one
    /// (file, line, field, reason) in the output; default: stop at the first.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// The contract settled: mobile (default), unicom or telecom. Only that carrier's
    /// records are settled, under its terms, SLA settings and incidents (from --config
    /// unless given); the ledger is that carrier's (`settle-ledger-NAME.json`).
    #[arg(long, value_name = "CARRIER", value_parser = parse_carrier)]
    pub carrier: Option<Carrier>,
    /// Config file (`cmpp.toml`): the settled carrier's contract table gives the defaults of
    /// --terms, --sla-settings and --incidents.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
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

/// Everything both modes need, loaded and checked before any record is read.
struct Setup {
    carrier: Carrier,
    terms: Terms,
    log: IncidentLog,
    sla_settings: SlaSettings,
    claims: Vec<sms_sla::Exemption>,
    as_of_date: NaiveDate,
    as_of: DateTime<Utc>,
    format: Format,
    ledger_path: Option<PathBuf>,
}

fn setup(args: &Args) -> Result<Setup, CliError> {
    let format =
        Format::from_str(&args.format).map_err(|e| CliError::input(format!("--format: {e}")))?;
    let carrier = args.carrier.unwrap_or(Carrier::ChinaMobile);
    let contract = contract_files(args.config.as_ref(), Some(carrier))?;
    let terms = match args.terms.as_ref().or(contract.terms.as_ref()) {
        Some(p) => Terms::load(p).map_err(billing_error)?,
        None if carrier == Carrier::ChinaMobile => Terms::default(),
        None => {
            return Err(CliError::new(
                Exit::Config,
                format!(
                    "settling the {} contract needs its terms: give --terms, or --config with `terms` in [carriers.{carrier}] (the built-in terms are China Mobile's agreement)",
                    carrier.full_name()
                ),
            ))
        }
    };
    let log = match args.incidents.as_ref().or(contract.incidents.as_ref()) {
        Some(p) => IncidentLog::load(p).map_err(billing_error)?,
        None => IncidentLog::default(),
    };
    log.check_term(&terms).map_err(billing_error)?;
    let sla_settings = match args.sla_settings.as_ref().or(contract.sla.as_ref()) {
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
    let as_of = match args.as_of {
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
    let ledger_path = args.ledger.clone().or_else(|| {
        args.out.as_ref().map(|o| {
            o.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join(ledger_file(carrier))
        })
    });
    Ok(Setup {
        carrier,
        claims: exempt::sla_exemptions(&terms, &log),
        terms,
        log,
        sla_settings,
        as_of_date,
        as_of,
        format,
        ledger_path,
    })
}

fn settlement(s: &Setup, period: Period) -> Result<Settlement, CliError> {
    Settlement::with_exemptions(period, &s.sla_settings, &s.claims, s.as_of_date, s.as_of)
        .map_err(|e| CliError::new(Exit::Config, e.to_string()))
}

fn load_ledger(s: &Setup) -> Result<Option<TermLedger>, CliError> {
    match &s.ledger_path {
        Some(p) => TermLedger::load(p, &s.terms).map_err(billing_error),
        None => Ok(None),
    }
}

fn save_ledger(s: &Setup, ledger: &TermLedger) -> Result<(), CliError> {
    if let Some(p) = &s.ledger_path {
        ledger
            .save(p)
            .map_err(|e| CliError::failure(format!("cannot write the ledger: {e}")))?;
        eprintln!("ledger: {}", p.display());
    }
    Ok(())
}

/// The ledger a run starts from: the overrides where given, else the ledger file's entry.
fn start_ledger(
    args: &Args,
    s: &Setup,
    file: Option<&TermLedger>,
    period: &Period,
) -> Result<Ledger, CliError> {
    let from_file = match (file, &args.billed_before, &args.carried_in) {
        (_, Some(_), Some(_)) => Ledger::default(),
        (Some(l), _, _) => l.before(&s.terms, period).map_err(billing_error)?,
        (None, _, _) => {
            if period.first_day > s.terms.term_start {
                eprintln!(
                    "note: no ledger of earlier periods (give --out or --ledger, or settle with --term); \
                     billed-before and carried-in are taken as 0 unless given"
                );
            }
            Ledger::default()
        }
    };
    Ok(Ledger {
        billed_within_budget: match &args.billed_before {
            Some(v) => amount("billed-before", v)?,
            None => from_file.billed_within_budget,
        },
        carried_penalty: match &args.carried_in {
            Some(v) => amount("carried-in", v)?,
            None => from_file.carried_penalty,
        },
        paid: from_file.paid,
    })
}

fn emit(args: &Args, text: String) -> Result<(), CliError> {
    match &args.out {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", p.display()))),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Runs `cmpp settle`.
pub fn run(args: Args) -> Result<(), CliError> {
    let s = setup(&args)?;
    match (&args.period, args.term) {
        (Some(p), false) => one_period(&args, &s, p),
        _ => whole_term(&args, &s),
    }
}

fn one_period(args: &Args, s: &Setup, spec: &str) -> Result<(), CliError> {
    let period = Period::parse(spec, &s.terms).map_err(billing_error)?;
    let mut file = load_ledger(s)?;
    let start = start_ledger(args, s, file.as_ref(), &period)?;
    let mut settlement = settlement(s, period.clone())?;
    let mut skipped = SkippedRows::default();
    let mut others = CarrierCounts::default();
    wiring::feed_records(
        args.records.as_deref(),
        args.journal.as_deref(),
        period.start().with_timezone(&Utc),
        period.end().with_timezone(&Utc),
        args.skip_bad_rows.then_some(&mut skipped),
        |r| {
            if r.carrier == s.carrier {
                settlement.add(r)
            } else {
                others.add(r.carrier)
            }
        },
    )?;
    others.note(s.carrier);
    let (statement, _) = settlement
        .finish(&s.terms, &s.log, &start, args.carrier_count)
        .map_err(billing_error)?;
    if s.ledger_path.is_some() {
        let ledger = file.get_or_insert_with(|| TermLedger::new(&s.terms));
        let dropped = ledger.record(&statement, &start);
        if !dropped.is_empty() {
            eprintln!(
                "ledger: later periods dropped, settle them again: {}",
                dropped.join(", ")
            );
        }
        save_ledger(s, ledger)?;
    }
    let text = match s.format {
        Format::Json => {
            let mut v =
                serde_json::to_value(&statement).map_err(|e| CliError::failure(e.to_string()))?;
            v["carrier"] = s.carrier.to_string().into();
            if args.skip_bad_rows {
                v["skipped_rows"] = skipped.json();
            }
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failure(e.to_string()))? + "\n"
        }
        Format::Markdown => {
            render::markdown(&statement) + &carrier_line(s.carrier) + &skipped.markdown()
        }
        Format::Csv => render::csv(&statement) + &skipped.csv(),
        other => return Err(unsupported(other)),
    };
    emit(args, text)
}

fn whole_term(args: &Args, s: &Setup) -> Result<(), CliError> {
    let periods: Vec<Period> = s
        .terms
        .periods()
        .into_iter()
        .filter(|p| p.first_day <= s.as_of_date)
        .collect();
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Err(CliError::input(format!(
            "--as-of {} is before the term's first day {}: nothing to settle",
            s.as_of_date, s.terms.term_start
        )));
    };
    let (from, until) = (
        first.start().with_timezone(&Utc),
        last.end().with_timezone(&Utc),
    );
    let mut settlements = periods
        .iter()
        .map(|p| settlement(s, p.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let bounds: Vec<(DateTime<Utc>, DateTime<Utc>)> = periods
        .iter()
        .map(|p| (p.start().to_utc(), p.end().to_utc()))
        .collect();
    let mut skipped = SkippedRows::default();
    let mut outside_term = 0u64;
    let mut others = CarrierCounts::default();
    // One pass: each record goes to the period of its submit time (Beijing); a
    // record without one goes to every period, where the SLA report counts it
    // as not placed, as a single-period run would.
    wiring::feed_records(
        args.records.as_deref(),
        args.journal.as_deref(),
        from,
        until,
        args.skip_bad_rows.then_some(&mut skipped),
        |r| match r.submitted_at {
            _ if r.carrier != s.carrier => others.add(r.carrier),
            Some(t) => match bounds.iter().position(|(a, b)| t >= *a && t < *b) {
                Some(i) => settlements[i].add(r),
                None => outside_term += 1,
            },
            None => settlements.iter_mut().for_each(|x| x.add(r)),
        },
    )?;
    others.note(s.carrier);
    if outside_term > 0 {
        eprintln!(
            "note: {outside_term} record(s) submitted outside {}..{} are not settled",
            first.first_day,
            last.last_day()
        );
    }
    let mut ledger_file = TermLedger::new(&s.terms);
    let mut ledger = start_ledger(args, s, None, first)?;
    let mut statements: Vec<Statement> = Vec::with_capacity(periods.len());
    for settlement in settlements {
        let (st, _) = settlement
            .finish(&s.terms, &s.log, &ledger, None)
            .map_err(billing_error)?;
        ledger_file.record(&st, &ledger);
        ledger = ledger.after(&st);
        statements.push(st);
    }
    save_ledger(s, &ledger_file)?;
    let summary = TermSummary::of(&s.terms, &statements);
    let text = match s.format {
        Format::Json => {
            let mut v = serde_json::json!({
                "carrier": s.carrier.to_string(),
                "statements": statements,
                "summary": summary,
                "ledger": ledger_file,
            });
            if args.skip_bad_rows {
                v["skipped_rows"] = skipped.json();
            }
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failure(e.to_string()))? + "\n"
        }
        Format::Markdown => {
            let mut o = String::new();
            for st in &statements {
                o.push_str(&render::markdown(st));
                o.push_str("\n---\n\n");
            }
            o + &render::term_markdown(&summary) + &carrier_line(s.carrier) + &skipped.markdown()
        }
        Format::Csv => {
            let mut o = String::new();
            for (i, st) in statements.iter().enumerate() {
                let c = render::csv(st);
                // One header for the whole file: each statement starts with its `period` row.
                o.push_str(if i == 0 {
                    &c
                } else {
                    c.split_once('\n').map_or("", |(_, rest)| rest)
                });
            }
            o + &render::term_csv(&summary) + &skipped.csv()
        }
        other => return Err(unsupported(other)),
    };
    emit(args, text)
}

/// The Markdown line naming the contract settled.
fn carrier_line(carrier: Carrier) -> String {
    format!(
        "\nContract settled: {} (`--carrier {carrier}`); only its records are counted.\n",
        carrier.full_name()
    )
}

/// A statement format added to the library after this command was written.
fn unsupported(format: Format) -> CliError {
    CliError::failure(format!(
        "statement format {format:?} is not supported by `cmpp settle`"
    ))
}
