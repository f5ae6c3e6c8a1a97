//! Dry run: evaluate a file of messages against a policy and say what would be refused.
//!
//! Input is CSV with a header naming the columns `src,dest,category,text` (any order), or
//! JSON Lines with the same fields; a file whose first non-blank character is `{` is read as
//! JSON Lines.

use crate::error::PolicyError;
use crate::policy::{Check, OutgoingMessage, Policy, Refusal};
use crate::MobileNumber;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

/// One message of the input and its line (1-based; the header is line 1 for CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberedMessage {
    /// Line of the message in the file.
    pub line: usize,
    /// The message.
    pub message: OutgoingMessage,
}

/// Reads a message file (CSV or JSON Lines).
pub fn read_messages(path: &Path) -> Result<Vec<NumberedMessage>, PolicyError> {
    let file = std::fs::File::open(path).map_err(|e| PolicyError::io(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    let name = path.display().to_string();
    let json = {
        let buf = reader.fill_buf().map_err(|e| PolicyError::io(path, e))?;
        let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
        buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
    };
    if json {
        read_jsonl(reader, &name)
    } else {
        read_csv(reader, &name)
    }
}

fn read_jsonl(mut reader: impl BufRead, file: &str) -> Result<Vec<NumberedMessage>, PolicyError> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut no = 0usize;
    loop {
        line.clear();
        // A cap per line keeps a file without newlines from being read as one huge line.
        let n = (&mut reader)
            .take(1 << 20)
            .read_line(&mut line)
            .map_err(|e| PolicyError::io(file, e))?;
        if n == 0 {
            break;
        }
        no += 1;
        let text = line.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let message: OutgoingMessage =
            serde_json::from_str(text).map_err(|e| PolicyError::Data {
                file: file.to_string(),
                line: no,
                message: e.to_string(),
            })?;
        out.push(NumberedMessage { line: no, message });
    }
    Ok(out)
}

fn read_csv(reader: impl Read, file: &str) -> Result<Vec<NumberedMessage>, PolicyError> {
    let data_err = |e: csv::Error| {
        let line = e.position().map_or(0, |p| p.line() as usize);
        let message = match e.kind() {
            csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
            _ => e.to_string(),
        };
        PolicyError::Data {
            file: file.to_string(),
            line,
            message,
        }
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = csv.headers().map_err(data_err)?.clone();
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while csv.read_record(&mut record).map_err(data_err)? {
        let line = record.position().map_or(0, |p| p.line() as usize);
        let message: OutgoingMessage = record.deserialize(Some(&headers)).map_err(|e| {
            let mut err = data_err(e);
            if let PolicyError::Data { line: l, .. } = &mut err {
                *l = line;
            }
            err
        })?;
        out.push(NumberedMessage { line, message });
    }
    Ok(out)
}

/// The outcome for one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Verdict {
    /// Line of the message in the input.
    pub line: usize,
    /// Destination as given.
    pub dest: String,
    /// Category.
    pub category: sms_records::Category,
    /// Whether it would be sent.
    pub accepted: bool,
    /// The normalised destination, when accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized_dest: Option<String>,
    /// The carrier it would be sent through, when accepted and routed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier: Option<sms_records::Carrier>,
    /// The refusal, when refused.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

/// Counts over a dry run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Messages evaluated.
    pub messages: usize,
    /// Messages that would be sent.
    pub accepted: usize,
    /// Refusals per check name.
    pub refused: BTreeMap<Check, usize>,
    /// Accepted messages per carrier they would be sent through.
    pub accepted_by_carrier: BTreeMap<sms_records::Carrier, usize>,
}

/// Evaluates messages in order as if each accepted one were sent at `now` (so rate limits
/// apply within the file). The policy's rate counts change in memory; the caller decides
/// whether to save them (a dry run should not).
pub fn dry_run(
    policy: &mut Policy,
    messages: &[NumberedMessage],
    now: DateTime<Utc>,
) -> (Vec<Verdict>, Summary) {
    let mut summary = Summary::default();
    let verdicts = messages
        .iter()
        .map(|m| {
            summary.messages += 1;
            let outcome = policy.admit(&m.message, now);
            let (accepted, normalized_dest, carrier, refusal) = match outcome {
                Ok(a) => {
                    summary.accepted += 1;
                    if let Some(c) = a.carrier {
                        *summary.accepted_by_carrier.entry(c).or_default() += 1;
                    }
                    (
                        true,
                        Some(MobileNumber::to_string(&a.normalized_dest)),
                        a.carrier,
                        None,
                    )
                }
                Err(r) => {
                    *summary.refused.entry(r.check).or_default() += 1;
                    (false, None, None, Some(r))
                }
            };
            Verdict {
                line: m.line,
                dest: m.message.dest.clone(),
                category: m.message.category,
                accepted,
                normalized_dest,
                carrier,
                refusal,
            }
        })
        .collect();
    (verdicts, summary)
}
