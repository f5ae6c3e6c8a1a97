//! Streaming JSON Lines reader and writer for [`Record`]s.
//!
//! One object per line with the interchange field names of [`COLUMNS`] (plus an
//! optional `detail`); times are the same RFC 3339 strings as in CSV, absent
//! values are `null` or left out, numbers are JSON numbers (digit strings are
//! accepted too).

use crate::columns::{cell_index, record_from_cells, Cell, Scratch, CELLS, COLUMNS};
use crate::csv_io::ReaderOptions;
use crate::error::RecordsError;
use crate::model::Record;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};

/// Longest accepted line; a longer one is a bad row, not an allocation without bound.
pub const MAX_LINE: usize = 1 << 20;

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or null")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Cell<'de>, E> {
        Ok(Cell::Text(Cow::Owned(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Cell<'de>, E> {
        Ok(Cell::Num(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Cell<'de>, E> {
        Ok(u64::try_from(v).map_or(Cell::Other("a negative number"), Cell::Num))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Cell<'de>, E> {
        Ok(Cell::Other("a fractional number"))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Cell<'de>, E> {
        Ok(Cell::Other("a boolean"))
    }
    fn visit_unit<E>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Empty)
    }
    fn visit_none<E>(self) -> Result<Cell<'de>, E> {
        Ok(Cell::Empty)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Cell<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Cell::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Cell::Other("an object"))
    }
}

struct CellSeed;

impl<'de> de::DeserializeSeed<'de> for CellSeed {
    type Value = Cell<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cell<'de>, D::Error> {
        d.deserialize_any(CellVisitor)
    }
}

struct Cells<'de>([Cell<'de>; CELLS]);

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Cells<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with record fields")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cells<'de>, A::Error> {
        let mut cells: [Cell<'de>; CELLS] = Default::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match cell_index(&key) {
                Some(i) => cells[i] = map.next_value_seed(CellSeed)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Cells(cells))
    }
}

impl<'de> de::Deserialize<'de> for Cells<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RowVisitor)
    }
}

/// Parses one JSON Lines row.
fn parse_line(line: &str, number: u64) -> Result<Record, RecordsError> {
    let cells: Cells<'_> = serde_json::from_str(line).map_err(|e| RecordsError::Row {
        line: number,
        message: format!("invalid JSON: {e}"),
    })?;
    record_from_cells(&cells.0, number)
}

/// Reads records from JSON Lines, one line at a time (constant memory); blank lines are skipped.
pub struct JsonlReader<R: Read> {
    inner: BufReader<R>,
    buf: String,
    line: u64,
    options: ReaderOptions,
    skipped: u64,
    done: bool,
}

impl<R: Read> JsonlReader<R> {
    /// A reader over `reader`.
    pub fn new(reader: R, options: ReaderOptions) -> Self {
        JsonlReader {
            inner: BufReader::with_capacity(1 << 16, reader),
            buf: String::new(),
            line: 0,
            options,
            skipped: 0,
            done: false,
        }
    }

    /// Number of bad rows skipped so far (with [`ReaderOptions::skip_bad_rows`]).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    fn next_row(&mut self) -> Option<Result<Record, RecordsError>> {
        loop {
            self.buf.clear();
            self.line += 1;
            let limit = (MAX_LINE + 1) as u64;
            let n = match (&mut self.inner).take(limit).read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(n) => n,
                Err(e) => {
                    self.done = true;
                    return Some(Err(RecordsError::io(format!("line {}", self.line), e)));
                }
            };
            if n > MAX_LINE && !self.buf.ends_with('\n') {
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
            let text = self.buf.trim();
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
        loop {
            if self.done {
                return None;
            }
            match self.next_row()? {
                Err(_) if self.options.skip_bad_rows && !self.done => self.skipped += 1,
                other => return Some(other),
            }
        }
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
                    (0 | 2 | 3 | 4 | 16, s) => m.serialize_entry(name, s)?,
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
mod tests {
    use super::*;
    use crate::model::{CauseClass, FinalState};

    fn sample() -> Vec<Record> {
        let mut v = crate::csv_io::tests_support::sample();
        v[1].detail = Some("policy: opt-out".into());
        v
    }

    #[test]
    fn round_trip() {
        let recs = sample();
        let mut w = JsonlWriter::new(Vec::new());
        for r in &recs {
            w.write(r).unwrap();
        }
        let bytes = w.finish().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(r#"{"local_id":"L1","msg_id":"0301080000123456789012""#),
            "{first}"
        );
        assert!(first.contains(r#""submitted_at":"2026-03-01T08:00:00.123+08:00""#));
        assert!(first.contains(r#""resends":1"#));
        assert!(!first.contains("detail"));
        let back: Vec<Record> = JsonlReader::new(&bytes[..], ReaderOptions::default())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, recs);
    }

    #[test]
    fn lenient_values_and_default_classes() {
        let line = r#"{"local_id":7,"dest":"138","resp_result":"9","report_stat":"UNDELIV","final_state":"failed","extra":[1,2]}"#;
        let r = JsonlReader::new(line.as_bytes(), ReaderOptions::default())
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(r.local_id, "7");
        assert_eq!(r.resp_result, Some(9));
        assert_eq!(r.resp_class, Some(CauseClass::Carrier));
        assert_eq!(r.report_class, Some(CauseClass::User));
        assert_eq!(r.final_state, FinalState::Failed);
        assert_eq!(r.segments, 1);
    }

    #[test]
    fn bad_rows_name_line_and_field_or_are_skipped() {
        let data = concat!(
            r#"{"local_id":"a","final_state":"pending"}"#,
            "\n\n",
            r#"{"local_id":"b","final_state":"pending","submitted_at":"2026-13-01"}"#,
            "\n",
            r#"{"local_id":"c","final_state":"pending","segment":true}"#,
            "\n",
            r#"{"local_id":"d","#,
            "\n",
            r#"{"local_id":"e","final_state":"gone"}"#,
            "\n",
        );
        let errs: Vec<String> = JsonlReader::new(data.as_bytes(), ReaderOptions::default())
            .filter_map(|r| r.err().map(|e| e.to_string()))
            .collect();
        assert_eq!(errs.len(), 4);
        assert_eq!(
            errs[0],
            "line 3, field submitted_at: invalid time `2026-13-01`"
        );
        assert_eq!(
            errs[1],
            "line 4, field segment: expected a number, found a boolean"
        );
        assert!(errs[2].starts_with("line 5: invalid JSON"), "{}", errs[2]);
        assert_eq!(
            errs[3],
            "line 6, field final_state: unknown final state `gone`"
        );
        let mut rd = JsonlReader::new(
            data.as_bytes(),
            ReaderOptions {
                skip_bad_rows: true,
            },
        );
        assert_eq!(rd.by_ref().count(), 1);
        assert_eq!(rd.skipped(), 4);
    }

    #[test]
    fn over_long_line_is_a_bad_row() {
        let mut data = String::from(r#"{"local_id":""#);
        data.push_str(&"x".repeat(MAX_LINE + 10));
        data.push_str("\"}\n{\"local_id\":\"ok\",\"final_state\":\"pending\"}\n");
        let out: Vec<_> = JsonlReader::new(data.as_bytes(), ReaderOptions::default()).collect();
        assert_eq!(out.len(), 2);
        assert!(out[0]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("longer than"));
        assert_eq!(out[1].as_ref().unwrap().local_id, "ok");
    }
}
