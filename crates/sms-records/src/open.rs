//! Choosing the record format from a file name, for reading and writing.

use crate::csv_io::{CsvReader, CsvWriter, ReaderOptions};
use crate::error::RecordsError;
use crate::jsonl::{JsonlReader, JsonlWriter};
use crate::model::Record;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::str::FromStr;

/// A record file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// CSV with the interchange header.
    Csv,
    /// JSON Lines, one record object per line.
    Jsonl,
}

impl Format {
    /// The format a file name's extension names: `.csv`, or `.jsonl` / `.ndjson` / `.json`
    /// (a `.json` file is read as JSON Lines).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

impl FromStr for Format {
    type Err = RecordsError;
    fn from_str(s: &str) -> Result<Self, RecordsError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" | "json" => Ok(Format::Jsonl),
            other => Err(RecordsError::UnknownFormat(other.to_string())),
        }
    }
}

/// Records read from a file or stream of either format.
#[allow(clippy::large_enum_variant)] // one per file: the size does not matter
#[non_exhaustive]
pub enum RecordIter<R: Read = File> {
    /// CSV rows.
    Csv(CsvReader<R>),
    /// JSON Lines rows.
    Jsonl(JsonlReader<R>),
}

impl<R: Read> RecordIter<R> {
    /// Reads `reader` in the given format.
    pub fn new(reader: R, format: Format, options: ReaderOptions) -> Result<Self, RecordsError> {
        Ok(match format {
            Format::Csv => RecordIter::Csv(CsvReader::new(reader, options)?),
            Format::Jsonl => RecordIter::Jsonl(JsonlReader::new(reader, options)),
        })
    }

    /// Number of bad rows skipped so far.
    pub fn skipped(&self) -> u64 {
        match self {
            RecordIter::Csv(r) => r.skipped(),
            RecordIter::Jsonl(r) => r.skipped(),
        }
    }
}

impl<R: Read> Iterator for RecordIter<R> {
    type Item = Result<Record, RecordsError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RecordIter::Csv(r) => r.next(),
            RecordIter::Jsonl(r) => r.next(),
        }
    }
}

/// Opens a record file, its format chosen by extension; bad rows are errors.
pub fn open_records(path: impl AsRef<Path>) -> Result<RecordIter, RecordsError> {
    open_records_with(path, None, ReaderOptions::default())
}

/// Opens a record file in `format` (by extension when `None`) with reader options.
pub fn open_records_with(
    path: impl AsRef<Path>,
    format: Option<Format>,
    options: ReaderOptions,
) -> Result<RecordIter, RecordsError> {
    let path = path.as_ref();
    let format = match format {
        Some(f) => f,
        None => Format::from_path(path)
            .ok_or_else(|| RecordsError::UnknownFormat(path.display().to_string()))?,
    };
    let file = File::open(path).map_err(|e| RecordsError::io(path.display().to_string(), e))?;
    RecordIter::new(file, format, options)
}

/// A writer of records in either format.
#[allow(clippy::large_enum_variant)] // one per file: the size does not matter
#[non_exhaustive]
pub enum RecordSink<W: Write> {
    /// CSV with header.
    Csv(CsvWriter<W>),
    /// JSON Lines.
    Jsonl(JsonlWriter<W>),
}

impl<W: Write> RecordSink<W> {
    /// Starts writing `format` to `writer` (the CSV header is written now).
    pub fn new(writer: W, format: Format) -> Result<Self, RecordsError> {
        Ok(match format {
            Format::Csv => RecordSink::Csv(CsvWriter::new(writer)?),
            Format::Jsonl => RecordSink::Jsonl(JsonlWriter::new(writer)),
        })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> Result<(), RecordsError> {
        match self {
            RecordSink::Csv(w) => w.write(record),
            RecordSink::Jsonl(w) => w.write(record),
        }
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, RecordsError> {
        match self {
            RecordSink::Csv(w) => w.finish(),
            RecordSink::Jsonl(w) => w.finish(),
        }
    }
}

/// Creates (or truncates) a record file, its format chosen by extension unless given.
pub fn create_records(
    path: impl AsRef<Path>,
    format: Option<Format>,
) -> Result<RecordSink<BufWriter<File>>, RecordsError> {
    let path = path.as_ref();
    let format = match format {
        Some(f) => f,
        None => Format::from_path(path)
            .ok_or_else(|| RecordsError::UnknownFormat(path.display().to_string()))?,
    };
    let file = File::create(path).map_err(|e| RecordsError::io(path.display().to_string(), e))?;
    RecordSink::new(BufWriter::with_capacity(1 << 16, file), format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let recs = crate::csv_io::tests_support::sample();
        for name in ["a.csv", "a.jsonl", "a.ndjson"] {
            let path = dir.path().join(name);
            let mut w = create_records(&path, None).unwrap();
            for r in &recs {
                w.write(r).unwrap();
            }
            w.finish().unwrap();
            let back: Vec<Record> = open_records(&path)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(back, recs, "{name}");
        }
        let err = open_records(dir.path().join("a.txt")).err().unwrap();
        assert!(matches!(err, RecordsError::UnknownFormat(_)));
        let err = open_records(dir.path().join("missing.csv")).err().unwrap();
        assert!(err.to_string().contains("missing.csv"), "{err}");
    }
}
