//! Streaming CSV reader and writer for [`Record`]s (interchange columns, see [`COLUMNS`]).

use crate::columns::{
    cell_index, record_from_cells, Cell, Scratch, CELLS, COLUMNS, OPTIONAL_COLUMNS,
};
use crate::error::RecordsError;
use crate::model::Record;
use std::borrow::Cow;
use std::io::{Read, Write};

pub use crate::rows::ReaderOptions;
use crate::rows::{next_record, RowSource, RowState};

/// Reads records from CSV with a header row, one row at a time (constant memory).
///
/// Columns are found by header name, so their order does not matter when reading;
/// all [`COLUMNS`] but the [`OPTIONAL_COLUMNS`] (`carrier`) must be present, `detail`
/// is optional and other columns are ignored.
pub struct CsvReader<R: Read> {
    inner: csv::Reader<R>,
    row: csv::StringRecord,
    map: [Option<usize>; CELLS],
    rows: RowState,
}

impl<R: Read> CsvReader<R> {
    /// Reads and checks the header.
    pub fn new(reader: R, options: ReaderOptions) -> Result<Self, RecordsError> {
        let mut inner = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(reader);
        let headers = inner
            .headers()
            .map_err(|e| RecordsError::Header(e.to_string()))?
            .clone();
        let mut map = [None; CELLS];
        for (pos, name) in headers.iter().enumerate() {
            if let Some(i) = cell_index(name.trim()) {
                map[i] = Some(pos);
            }
        }
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(&map)
            .filter(|(c, m)| m.is_none() && !OPTIONAL_COLUMNS.contains(c))
            .map(|(c, _)| *c)
            .collect();
        if !missing.is_empty() {
            return Err(RecordsError::Header(format!(
                "missing column(s) {}",
                missing.join(", ")
            )));
        }
        Ok(CsvReader {
            inner,
            row: csv::StringRecord::new(),
            map,
            rows: RowState::new(options),
        })
    }

    /// Number of bad rows skipped so far (with [`ReaderOptions::skip_bad_rows`]).
    pub fn skipped(&self) -> u64 {
        self.rows.skipped
    }
}

impl<R: Read> RowSource for CsvReader<R> {
    fn state(&mut self) -> &mut RowState {
        &mut self.rows
    }

    fn next_row(&mut self) -> Option<Result<Record, RecordsError>> {
        match self.inner.read_record(&mut self.row) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.row.position().map_or(0, |p| p.line());
                let mut cells: [Cell<'_>; CELLS] = Default::default();
                for (cell, pos) in cells.iter_mut().zip(&self.map) {
                    if let Some(s) = pos.and_then(|p| self.row.get(p)) {
                        *cell = Cell::Text(Cow::Borrowed(s));
                    }
                }
                Some(record_from_cells(&cells, line))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                if fatal {
                    self.rows.done = true;
                }
                Some(Err(RecordsError::Row {
                    line,
                    message: e.to_string(),
                }))
            }
        }
    }
}

impl<R: Read> Iterator for CsvReader<R> {
    type Item = Result<Record, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        next_record(self)
    }
}

/// Writes records as CSV with the interchange header; times in Beijing time.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    scratch: Scratch,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header.
    pub fn new(writer: W) -> Result<Self, RecordsError> {
        let mut inner = csv::Writer::from_writer(writer);
        inner.write_record(COLUMNS).map_err(csv_write_err)?;
        Ok(CsvWriter {
            inner,
            scratch: Scratch::default(),
        })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> Result<(), RecordsError> {
        self.scratch.fill(record);
        self.inner
            .write_record(&self.scratch.cells[..COLUMNS.len()])
            .map_err(csv_write_err)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, RecordsError> {
        self.inner
            .into_inner()
            .map_err(|e| RecordsError::io("writing CSV", std::io::Error::other(e.to_string())))
    }
}

fn csv_write_err(e: csv::Error) -> RecordsError {
    RecordsError::io("writing CSV", std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CauseClass;

    fn sample() -> Vec<Record> {
        tests_support::sample()
    }

    #[test]
    fn round_trip() {
        let recs = sample();
        let mut w = CsvWriter::new(Vec::new()).unwrap();
        for r in &recs {
            w.write(r).unwrap();
        }
        let bytes = w.finish().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(&COLUMNS.join(",")));
        assert!(text.contains("2026-03-01T08:00:00.123+08:00"));
        let back: Vec<Record> = CsvReader::new(&bytes[..], ReaderOptions::default())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, recs);
    }

    const HEADER: &str = "local_id,msg_id,src,dest,category,segment,segments,group_id,submitted_at,responded_at,resp_result,resp_class,reported_at,report_stat,report_class,resends,final_state,exempt\n";

    #[test]
    fn empty_classes_come_from_the_default_table() {
        let data = format!("{HEADER}L9,M9,1065,138,notice,1,1,,2026-03-01T00:00:00Z,2026-03-01T00:00:01Z,8,,2026-03-01T00:00:05Z,MK:0001,,0,failed,\n");
        let r = CsvReader::new(data.as_bytes(), ReaderOptions::default())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(r.resp_class, Some(CauseClass::Sp));
        assert_eq!(r.report_class, Some(CauseClass::User));
        assert_eq!(r.group_id, None);
    }

    #[test]
    fn carrier_is_the_last_column_and_files_without_it_are_china_mobiles() {
        let recs = sample();
        let mut w = CsvWriter::new(Vec::new()).unwrap();
        for r in &recs {
            w.write(r).unwrap();
        }
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let mut lines = text.lines();
        assert!(lines.next().unwrap().ends_with(",exempt,carrier"));
        assert!(lines.next().unwrap().ends_with(",delivered,,mobile"));
        assert!(lines.next().unwrap().ends_with(",expired,7.2,unicom"));
        // A file of the earlier layout (no carrier column): China Mobile's records.
        let old = format!("{HEADER}L1,,1065,133,notice,1,1,,,,,,,,,0,pending,\n");
        let r = CsvReader::new(old.as_bytes(), ReaderOptions::default())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(r.carrier, crate::Carrier::ChinaMobile);
        // An empty cell is the default too; a wrong name is an error naming the field.
        let data = format!(
            "{}carrier\nL1,,1065,133,notice,1,1,,,,,,,,,0,pending,,\nL2,,1065,133,notice,1,1,,,,,,,,,0,pending,,TELECOM\nL3,,1065,133,notice,1,1,,,,,,,,,0,pending,,cmcc\n",
            HEADER.trim_end().to_string() + ","
        );
        let got: Vec<Result<Record, String>> =
            CsvReader::new(data.as_bytes(), ReaderOptions::default())
                .unwrap()
                .map(|r| r.map_err(|e| e.to_string()))
                .collect();
        assert_eq!(
            got[0].as_ref().unwrap().carrier,
            crate::Carrier::ChinaMobile
        );
        assert_eq!(
            got[1].as_ref().unwrap().carrier,
            crate::Carrier::ChinaTelecom
        );
        assert_eq!(
            got[2].as_ref().unwrap_err(),
            "line 4, field carrier: unknown carrier `cmcc`"
        );
    }

    #[test]
    fn bad_rows_name_line_and_field_or_are_skipped() {
        let good = "L1,,1065,138,notice,1,1,,2026-03-01T00:00:00Z,,,,,,,0,pending,\n";
        let data = format!(
            "{HEADER}{good}L2,,1065,138,notice,1,1,,2026-13-01,,,,,,,0,pending,\nL3,,1065,138,notice,1,1,,,,x,,,,,0,pending,\n{good}"
        );
        let errs: Vec<String> = CsvReader::new(data.as_bytes(), ReaderOptions::default())
            .unwrap()
            .filter_map(|r| r.err().map(|e| e.to_string()))
            .collect();
        assert_eq!(
            errs,
            [
                "line 3, field submitted_at: invalid time `2026-13-01`",
                "line 4, field resp_result: invalid number `x`"
            ]
        );
        let mut rd = CsvReader::new(
            data.as_bytes(),
            ReaderOptions {
                skip_bad_rows: true,
            },
        )
        .unwrap();
        let ok = rd.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(rd.skipped(), 2);
    }

    #[test]
    fn missing_columns_are_reported() {
        let err = CsvReader::new("local_id,msg_id\n".as_bytes(), ReaderOptions::default())
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("missing column(s) src, dest"),
            "{err}"
        );
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::model::{Category, CauseClass, FinalState};
    use chrono::{TimeZone, Utc};

    pub(crate) fn sample() -> Vec<Record> {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
            + chrono::Duration::milliseconds(123);
        let mut a = Record::new("L1");
        a.msg_id = Some("0301080000123456789012".into());
        a.src = "1065800".into();
        a.dest = "13800138000".into();
        a.category = Category::Verification;
        a.submitted_at = Some(t0);
        a.responded_at = Some(t0 + chrono::Duration::milliseconds(40));
        a.resp_result = Some(0);
        a.resp_class = Some(CauseClass::Delivered);
        a.reported_at = Some(t0 + chrono::Duration::seconds(3));
        a.report_stat = Some("DELIVRD".into());
        a.report_class = Some(CauseClass::Delivered);
        a.resends = 1;
        a.final_state = FinalState::Delivered;
        let mut b = Record::new("L2, with \"quotes\"");
        b.dest = "13900000000".into();
        b.segment = 2;
        b.segments = 3;
        b.group_id = Some("G7".into());
        b.submitted_at = Some(t0);
        b.final_state = FinalState::Expired;
        b.exempt = Some("7.2".into());
        b.carrier = crate::Carrier::ChinaUnicom;
        vec![a, b]
    }
}
