//! The interchange columns shared by the CSV and JSON Lines formats.

use crate::carrier::Carrier;
use crate::classify::{class_of_report_stat, class_of_submit_result};
use crate::error::RecordsError;
use crate::model::{Category, CauseClass, FinalState, Record};
use crate::rfc3339::{parse_time, write_beijing};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::str::FromStr;

/// Interchange column names, in file order (other tools are written against them).
///
/// `carrier` came last and may be missing from files written before it: such a file's
/// records are China Mobile's (see [`OPTIONAL_COLUMNS`]).
pub const COLUMNS: [&str; 19] = [
    "local_id",
    "msg_id",
    "src",
    "dest",
    "category",
    "segment",
    "segments",
    "group_id",
    "submitted_at",
    "responded_at",
    "resp_result",
    "resp_class",
    "reported_at",
    "report_stat",
    "report_class",
    "resends",
    "final_state",
    "exempt",
    "carrier",
];

/// Columns a reader does without (their default is taken): `carrier`, which files written
/// before records carried a carrier lack.
pub const OPTIONAL_COLUMNS: [&str; 1] = ["carrier"];

/// Cell index of the `carrier` column.
const CARRIER: usize = 18;

/// Optional extra field (`detail`), after the interchange columns.
pub(crate) const DETAIL: &str = "detail";
/// Number of cells a row is read into: the columns plus `detail`.
pub(crate) const CELLS: usize = COLUMNS.len() + 1;

/// Position of a column name among the cells.
pub(crate) fn cell_index(name: &str) -> Option<usize> {
    if name == DETAIL {
        return Some(COLUMNS.len());
    }
    COLUMNS.iter().position(|c| *c == name)
}

/// One cell of a row as read from a file.
#[derive(Debug, Clone, Default)]
pub(crate) enum Cell<'a> {
    /// Empty or absent: "none".
    #[default]
    Empty,
    /// Text.
    Text(Cow<'a, str>),
    /// A non-negative integer (JSON number).
    Num(u64),
    /// A JSON value of a kind no column takes (the name of its kind).
    Other(&'static str),
}

struct Row<'r, 'a> {
    cells: &'r [Cell<'a>; CELLS],
    line: u64,
}

impl<'a> Row<'_, 'a> {
    fn err(&self, i: usize, message: String) -> RecordsError {
        RecordsError::Field {
            line: self.line,
            field: if i < COLUMNS.len() {
                COLUMNS[i]
            } else {
                DETAIL
            },
            message,
        }
    }

    fn text(&self, i: usize) -> Result<Option<Cow<'_, str>>, RecordsError> {
        match &self.cells[i] {
            Cell::Empty => Ok(None),
            Cell::Text(s) if s.is_empty() => Ok(None),
            Cell::Text(s) => Ok(Some(Cow::Borrowed(s.as_ref()))),
            Cell::Num(n) => Ok(Some(Cow::Owned(n.to_string()))),
            Cell::Other(kind) => Err(self.err(i, format!("expected text, found {kind}"))),
        }
    }

    fn string(&self, i: usize) -> Result<Option<String>, RecordsError> {
        Ok(self.text(i)?.map(Cow::into_owned))
    }

    fn uint(&self, i: usize, max: u64) -> Result<Option<u64>, RecordsError> {
        let v = match &self.cells[i] {
            Cell::Empty => return Ok(None),
            Cell::Text(s) if s.is_empty() => return Ok(None),
            Cell::Text(s) => s
                .trim()
                .parse::<u64>()
                .map_err(|_| self.err(i, format!("invalid number `{s}`")))?,
            Cell::Num(n) => *n,
            Cell::Other(kind) => {
                return Err(self.err(i, format!("expected a number, found {kind}")))
            }
        };
        if v > max {
            return Err(self.err(i, format!("{v} is out of range (at most {max})")));
        }
        Ok(Some(v))
    }

    fn time(&self, i: usize) -> Result<Option<DateTime<Utc>>, RecordsError> {
        match self.text(i)? {
            None => Ok(None),
            Some(s) => parse_time(&s)
                .map(Some)
                .ok_or_else(|| self.err(i, format!("invalid time `{s}`"))),
        }
    }

    fn name<T: FromStr<Err = crate::model::UnknownName>>(
        &self,
        i: usize,
    ) -> Result<Option<T>, RecordsError> {
        match self.text(i)? {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|e: crate::model::UnknownName| self.err(i, e.to_string())),
        }
    }
}

/// Builds a record from the cells of one row (indexes as in [`COLUMNS`], then `detail`).
pub(crate) fn record_from_cells(
    cells: &[Cell<'_>; CELLS],
    line: u64,
) -> Result<Record, RecordsError> {
    let row = Row { cells, line };
    let local_id = row
        .string(0)?
        .ok_or_else(|| row.err(0, "missing (every record needs its local id)".into()))?;
    let mut r = Record::new(local_id);
    r.msg_id = row.string(1)?;
    r.src = row.string(2)?.unwrap_or_default();
    r.dest = row.string(3)?.unwrap_or_default();
    r.category = row.name::<Category>(4)?.unwrap_or_default();
    r.segment = row.uint(5, u64::from(u8::MAX))?.unwrap_or(1) as u8;
    r.segments = row.uint(6, u64::from(u8::MAX))?.unwrap_or(1) as u8;
    r.group_id = row.string(7)?;
    r.submitted_at = row.time(8)?;
    r.responded_at = row.time(9)?;
    r.resp_result = row.uint(10, u64::from(u32::MAX))?.map(|v| v as u32);
    r.resp_class = row
        .name::<CauseClass>(11)?
        .or_else(|| r.resp_result.map(class_of_submit_result));
    r.reported_at = row.time(12)?;
    r.report_stat = row.string(13)?;
    r.report_class = row
        .name::<CauseClass>(14)?
        .or_else(|| r.report_stat.as_deref().map(class_of_report_stat));
    r.resends = row.uint(15, u64::from(u32::MAX))?.unwrap_or(0) as u32;
    r.final_state = row
        .name::<FinalState>(16)?
        .ok_or_else(|| row.err(16, "missing".into()))?;
    r.exempt = row.string(17)?;
    r.carrier = row.name::<Carrier>(CARRIER)?.unwrap_or_default();
    r.detail = row.string(CARRIER + 1)?;
    Ok(r)
}

/// Reusable text of one record's columns (and `detail`), so writers do not allocate per row.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    pub(crate) cells: [String; CELLS],
}

impl Scratch {
    /// Fills the cells with the record's interchange text ("" for none).
    pub(crate) fn fill(&mut self, r: &Record) {
        for c in &mut self.cells {
            c.clear();
        }
        let c = &mut self.cells;
        c[0].push_str(&r.local_id);
        opt_str(&mut c[1], r.msg_id.as_deref());
        c[2].push_str(&r.src);
        c[3].push_str(&r.dest);
        c[4].push_str(r.category.as_str());
        let _ = write!(c[5], "{}", r.segment);
        let _ = write!(c[6], "{}", r.segments);
        opt_str(&mut c[7], r.group_id.as_deref());
        opt_time(&mut c[8], r.submitted_at);
        opt_time(&mut c[9], r.responded_at);
        if let Some(v) = r.resp_result {
            let _ = write!(c[10], "{v}");
        }
        opt_str(&mut c[11], r.resp_class.map(CauseClass::as_str));
        opt_time(&mut c[12], r.reported_at);
        opt_str(&mut c[13], r.report_stat.as_deref());
        opt_str(&mut c[14], r.report_class.map(CauseClass::as_str));
        let _ = write!(c[15], "{}", r.resends);
        c[16].push_str(r.final_state.as_str());
        opt_str(&mut c[17], r.exempt.as_deref());
        c[CARRIER].push_str(r.carrier.as_str());
        opt_str(&mut c[CARRIER + 1], r.detail.as_deref());
    }
}

fn opt_str(out: &mut String, v: Option<&str>) {
    if let Some(v) = v {
        out.push_str(v);
    }
}

fn opt_time(out: &mut String, v: Option<DateTime<Utc>>) {
    if let Some(t) = v {
        write_beijing(t, out);
    }
}
