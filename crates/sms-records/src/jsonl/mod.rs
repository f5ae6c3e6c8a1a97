//! Streaming JSON Lines reader and writer for [`Record`]s.
//!
//! One object per line with the interchange field names of [`COLUMNS`] (plus an
//! optional `detail`); times are the same RFC 3339 strings as in CSV, absent
//! values are `null` or left out, numbers are JSON numbers (digit strings are
//! accepted too).

//!
//! Reading has two paths: [`fast`] for rows in the writer's own shape, and [`visit`]
//! (serde) for any other valid JSON; both fill the same cells.

mod fast;
mod visit;

use self::fast::fast_cells;
use self::visit::Cells;
use crate::columns::{record_from_cells, Cell, Scratch, CELLS, COLUMNS};
use crate::error::RecordsError;
use crate::model::Record;
use crate::rows::{next_record, ReaderOptions, RowSource, RowState};
use std::io::{BufRead, BufReader, Read, Write};

/// Longest accepted line; a longer one is a bad row, not an allocation without bound.
pub const MAX_LINE: usize = 1 << 20;

/// Parses one JSON Lines row: the fast path when it applies, else serde_json.
fn parse_line(line: &str, number: u64) -> Result<Record, RecordsError> {
    let mut cells: [Cell<'_>; CELLS] = Default::default();
    if !fast_cells(line, &mut cells) {
        cells = serde_json::from_str::<Cells<'_>>(line)
            .map_err(|e| RecordsError::Row {
                line: number,
                message: format!("invalid JSON: {e}"),
            })?
            .0;
    }
    record_from_cells(&cells, number)
}

/// The error `BufRead::read_line` gives for a line that is not UTF-8 (kept as it was).
fn not_utf8() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    )
}

/// Reads records from JSON Lines, one line at a time (constant memory); blank lines are skipped.
pub struct JsonlReader<R: Read> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    line: u64,
    rows: RowState,
}

impl<R: Read> JsonlReader<R> {
    /// A reader over `reader`.
    pub fn new(reader: R, options: ReaderOptions) -> Self {
        JsonlReader {
            inner: BufReader::with_capacity(1 << 16, reader),
            buf: Vec::new(),
            line: 0,
            rows: RowState::new(options),
        }
    }

    /// Number of bad rows skipped so far (with [`ReaderOptions::skip_bad_rows`]).
    pub fn skipped(&self) -> u64 {
        self.rows.skipped
    }
}

impl<R: Read> RowSource for JsonlReader<R> {
    fn state(&mut self) -> &mut RowState {
        &mut self.rows
    }

    fn next_row(&mut self) -> Option<Result<Record, RecordsError>> {
        loop {
            self.buf.clear();
            self.line += 1;
            let limit = (MAX_LINE + 1) as u64;
            let n = match (&mut self.inner)
                .take(limit)
                .read_until(b'\n', &mut self.buf)
            {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => {
                    self.rows.done = true;
                    return Some(Err(RecordsError::io(format!("line {}", self.line), e)));
                }
            };
            // Checked before the length, as `read_line` did: not UTF-8 ends the stream.
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                self.rows.done = true;
                return Some(Err(RecordsError::io(
                    format!("line {}", self.line),
                    not_utf8(),
                )));
            };
            if n > MAX_LINE && !text.ends_with('\n') {
                // Drop the rest of the over-long line so the next call starts on a fresh line.
                let mut sink = Vec::new();
                loop {
                    sink.clear();
                    match (&mut self.inner).take(1 << 16).read_until(b'\n', &mut sink) {
                        Ok(0) => break,
                        Ok(_) if sink.ends_with(b"\n") => break,
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                return Some(Err(RecordsError::Row {
                    line: self.line,
                    message: format!("line longer than {MAX_LINE} bytes"),
                }));
            }
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            return Some(parse_line(text, self.line));
        }
    }
}

impl<R: Read> Iterator for JsonlReader<R> {
    type Item = Result<Record, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        next_record(self)
    }
}

/// Writes records as JSON Lines; times in Beijing time, `detail` only when set.
pub struct JsonlWriter<W: Write> {
    inner: W,
    scratch: Scratch,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer over `writer` (wrap it in a `BufWriter` for files).
    pub fn new(writer: W) -> Self {
        JsonlWriter {
            inner: writer,
            scratch: Scratch::default(),
        }
    }

    /// Writes one record as one line.
    pub fn write(&mut self, record: &Record) -> Result<(), RecordsError> {
        self.scratch.fill(record);
        let c = &self.scratch.cells;
        let mut out = serde_json::Serializer::new(&mut self.inner);
        use serde::ser::{SerializeMap, Serializer};
        let map = (&mut out).serialize_map(None);
        let res = map.and_then(|mut m| {
            let num = |i: usize| c[i].parse::<u64>().ok();
            for (i, name) in COLUMNS.iter().enumerate() {
                match (i, c[i].as_str()) {
                    (0 | 2 | 3 | 4 | 16 | 18, s) => m.serialize_entry(name, s)?,
                    (5 | 6 | 10 | 15, _) => m.serialize_entry(name, &num(i))?,
                    (_, "") => m.serialize_entry(name, &())?,
                    (_, s) => m.serialize_entry(name, s)?,
                }
            }
            if let Some(d) = &record.detail {
                m.serialize_entry("detail", d)?;
            }
            m.end()
        });
        res.map_err(|e| RecordsError::io("writing JSON Lines", std::io::Error::other(e)))?;
        self.inner
            .write_all(b"\n")
            .map_err(|e| RecordsError::io("writing JSON Lines", e))
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, RecordsError> {
        self.inner
            .flush()
            .map_err(|e| RecordsError::io("writing JSON Lines", e))?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests;
