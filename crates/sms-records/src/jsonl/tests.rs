//! Tests of the JSON Lines reader and writer.

use super::fast::{key_index, special_byte, WRITTEN_KEYS};
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
    assert!(
        first.ends_with(r#""exempt":null,"carrier":"mobile"}"#),
        "{first}"
    );
    assert!(text
        .lines()
        .nth(1)
        .unwrap()
        .contains(r#""carrier":"unicom","detail":"#));
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
    assert_eq!(
        r.carrier,
        crate::Carrier::ChinaMobile,
        "no carrier key: China Mobile's"
    );
    for (line, fast) in [
        (
            r#"{"local_id":"a","final_state":"pending","carrier":"telecom"}"#,
            true,
        ),
        (
            r#"{"local_id":"a","final_state":"pending","carrier":"tele\u0063om"}"#,
            false,
        ),
    ] {
        let r = JsonlReader::new(line.as_bytes(), ReaderOptions::default())
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(r.carrier, crate::Carrier::ChinaTelecom, "{line}");
        let mut cells: [crate::columns::Cell<'_>; CELLS] = Default::default();
        assert_eq!(fast_cells(line, &mut cells), fast, "{line}");
    }
    let err = JsonlReader::new(
        r#"{"local_id":"a","final_state":"pending","carrier":"mars"}"#.as_bytes(),
        ReaderOptions::default(),
    )
    .next()
    .unwrap()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1, field carrier: unknown carrier `mars`"
    );
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

/// Tricky lines and what the reader made of them before the fast path
/// (serde_json alone): the output must not change.
#[test]
fn tricky_lines_read_as_before() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"local\u005fid":"a\"b","final_state":"pend\u0069ng","src":"\u4e2d"}"#,
            "Record { local_id: \"a\\\"b\", msg_id: None, src: \"中\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"a","local_id":"b","final_state":"pending"}"#,
            "Record { local_id: \"b\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"[1,2]"#,
            "ERR line 1: invalid JSON: invalid type: sequence, expected a JSON object with record fields at line 1 column 0",
        ),
        (
            r#""str""#,
            "ERR line 1: invalid JSON: invalid type: string \"str\", expected a JSON object with record fields at line 1 column 5",
        ),
        (
            r#"null"#,
            "ERR line 1: invalid JSON: invalid type: null, expected a JSON object with record fields at line 1 column 4",
        ),
        (
            r#"{"local_id":"a","final_state":"pending"} x"#,
            "ERR line 1: invalid JSON: trailing characters at line 1 column 42",
        ),
        (
            r#"{"local_id":"a","final_state":"pending"}}"#,
            "ERR line 1: invalid JSON: trailing characters at line 1 column 41",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":18446744073709551616}"#,
            "ERR line 1, field segment: expected a number, found a fractional number",
        ),
        (
            r#"{"local_id":18446744073709551616,"final_state":"pending"}"#,
            "ERR line 1, field local_id: expected text, found a fractional number",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":-1}"#,
            "ERR line 1, field segment: expected a number, found a negative number",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":-0}"#,
            "ERR line 1, field segment: expected a number, found a fractional number",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":1.0}"#,
            "ERR line 1, field segment: expected a number, found a fractional number",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":1e0}"#,
            "ERR line 1, field segment: expected a number, found a fractional number",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":0123}"#,
            "ERR line 1: invalid JSON: invalid number at line 1 column 52",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":" 7 "}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 7, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":256}"#,
            "ERR line 1, field segment: 256 is out of range (at most 255)",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","segment":{}}"#,
            "ERR line 1, field segment: expected a number, found an object",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","msg_id":[]}"#,
            "ERR line 1, field msg_id: expected text, found an array",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","msg_id":null,"group_id":""}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"","final_state":"pending"}"#,
            "ERR line 1, field local_id: missing (every record needs its local id)",
        ),
        (
            r#"{"final_state":"pending"}"#,
            "ERR line 1, field local_id: missing (every record needs its local id)",
        ),
        (
            r#"{"local_id":"a"}"#,
            "ERR line 1, field final_state: missing",
        ),
        (
            r#"{"local_id":"a","final_state":" pending "}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            "{\"local_id\":\"a\tb\",\"final_state\":\"pending\"}",
            "ERR line 1: invalid JSON: control character (\\u0000-\\u001F) found while parsing a string at line 1 column 15",
        ),
        (
            " \t{ \"local_id\" : \"a\" , \"final_state\" : \"pending\" } \r",
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            "\u{a0}{\"local_id\":\"a\",\"final_state\":\"pending\"}\u{3000}",
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","resp_result":"8","report_stat":"DELIVRD"}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: Some(8), resp_class: Some(Sp), reported_at: None, report_stat: Some(\"DELIVRD\"), report_class: Some(Delivered), resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","resp_result":4294967296}"#,
            "ERR line 1, field resp_result: 4294967296 is out of range (at most 4294967295)",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","submitted_at":" 2026-03-01T00:00:00Z "}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: Some(2026-03-01T00:00:00Z), responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","submitted_at":"2026-03-01T00:00:00.123456789+05:30"}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: Some(2026-02-28T18:30:00.123456789Z), responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","submitted_at":12}"#,
            "ERR line 1, field submitted_at: invalid time `12`",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","category":"notice","resp_class":"sp","report_class":"bogus"}"#,
            "ERR line 1, field report_class: unknown cause class `bogus`",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","detail":"x","exempt":"7.1","extra":{"a":[1,{"b":null}]}}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: Some(\"7.1\"), carrier: ChinaMobile, detail: Some(\"x\") }",
        ),
        (
            r#"{"local_id":"a","final_state":"pending",}"#,
            "ERR line 1: invalid JSON: trailing comma at line 1 column 41",
        ),
        (
            r#"{"local_id":"a" "final_state":"pending"}"#,
            "ERR line 1: invalid JSON: expected `,` or `}` at line 1 column 17",
        ),
        (
            r#"{"local_id":"a","final_state":"pending""#,
            "ERR line 1: invalid JSON: EOF while parsing an object at line 1 column 39",
        ),
        (
            r#"{"local_id":"\ud800","final_state":"pending"}"#,
            "ERR line 1: invalid JSON: unexpected end of hex escape at line 1 column 20",
        ),
        (
            r#"{"local_id":"\x","final_state":"pending"}"#,
            "ERR line 1: invalid JSON: invalid escape at line 1 column 15",
        ),
        (
            r#"{"local_id":true,"final_state":"pending"}"#,
            "ERR line 1, field local_id: expected text, found a boolean",
        ),
        (
            r#"{}"#,
            "ERR line 1, field local_id: missing (every record needs its local id)",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","resends":00}"#,
            "ERR line 1: invalid JSON: invalid number at line 1 column 52",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","resends":0}"#,
            "Record { local_id: \"a\", msg_id: None, src: \"\", dest: \"\", category: Other, segment: 1, segments: 1, group_id: None, submitted_at: None, responded_at: None, resp_result: None, resp_class: None, reported_at: None, report_stat: None, report_class: None, resends: 0, final_state: Pending, exempt: None, carrier: ChinaMobile, detail: None }",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","resends":-}"#,
            "ERR line 1: invalid JSON: invalid number at line 1 column 52",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","resends":nul}"#,
            "ERR line 1: invalid JSON: expected ident at line 1 column 54",
        ),
        (
            r#"{"local_id":"a","final_state":"pending","resends":NaN}"#,
            "ERR line 1: invalid JSON: expected value at line 1 column 51",
        ),
    ];
    for (line, want) in cases {
        let got: Vec<String> = JsonlReader::new(line.as_bytes(), ReaderOptions::default())
            .map(|r| match r {
                Ok(r) => format!("{r:?}"),
                Err(e) => format!("ERR {e}"),
            })
            .collect();
        assert_eq!(got, [*want], "{line}");
    }
}

#[test]
fn invalid_utf8_ends_the_stream_as_before() {
    let data = b"{\"local_id\":\"a\",\"final_state\":\"pending\"}\n\xff\xfe\n{\"local_id\":\"b\",\"final_state\":\"pending\"}\n";
    for skip in [false, true] {
        let mut rd = JsonlReader::new(
            &data[..],
            ReaderOptions {
                skip_bad_rows: skip,
            },
        );
        let out: Vec<String> = rd
            .by_ref()
            .map(|r| match r {
                Ok(r) => r.local_id,
                Err(e) => format!("ERR {e}"),
            })
            .collect();
        assert_eq!(out, ["a", "ERR line 2: stream did not contain valid UTF-8"]);
        assert_eq!(rd.skipped(), 0);
    }
    let split = b"{\"local_id\":\"\xc3\",\"final_state\":\"pending\"}\n";
    let out: Vec<_> = JsonlReader::new(&split[..], ReaderOptions::default()).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].as_ref().unwrap_err().to_string(),
        "line 1: stream did not contain valid UTF-8"
    );
}

#[test]
fn key_index_agrees_with_the_column_table() {
    for (i, name) in COLUMNS.iter().enumerate() {
        assert_eq!(key_index(name), Some(i), "{name}");
        let written = format!("\"{name}\":");
        assert_eq!(WRITTEN_KEYS[i], written.as_bytes(), "{name}");
    }
    assert_eq!(key_index("detail"), Some(COLUMNS.len()));
    assert_eq!(WRITTEN_KEYS[COLUMNS.len()], b"\"detail\":");
    for other in ["", "Local_id", "local_id ", "segment_", "detai", "extra"] {
        assert_eq!(key_index(other), None, "{other}");
    }
}

#[test]
fn special_byte_finds_the_first_quote_backslash_or_control() {
    let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
    let mut cases: Vec<Vec<u8>> = vec![b"".to_vec(), b"abc".to_vec(), "中文!é".into()];
    for len in 0..20 {
        for at in 0..=len {
            for special in [b'"', b'\\', 0, 0x1f, b'!', b'#', b'[', b']', 0x7f, 0xff] {
                let mut v = vec![b'a'; len];
                if at < len {
                    v[at] = special;
                    // Bytes after the first special one must not confuse the answer.
                    if at + 1 < len {
                        v[at + 1] = b'"';
                    }
                }
                cases.push(v);
            }
        }
    }
    for b in &cases {
        assert_eq!(special_byte(b), naive(b), "{b:?}");
    }
}

/// Cells as the serde path reads them (the reference for the fast path).
fn serde_cells(line: &str) -> Option<String> {
    serde_json::from_str::<Cells<'_>>(line)
        .ok()
        .map(|c| format!("{:?}", c.0))
}

fn fast(line: &str) -> Option<String> {
    let mut cells: [Cell<'_>; CELLS] = Default::default();
    fast_cells(line, &mut cells).then(|| format!("{cells:?}"))
}

#[test]
fn written_lines_take_the_fast_path() {
    let mut recs = sample();
    recs[0].detail = Some("中文 detail".into());
    let mut w = JsonlWriter::new(Vec::new());
    for r in &recs {
        w.write(r).unwrap();
    }
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The first has no escapes; the second quotes its local id, so serde reads it.
    let cells = fast(lines[0]).expect("fast path");
    assert_eq!(Some(cells), serde_cells(lines[0]));
    assert!(cells_contain(lines[0], "0301080000123456789012"));
    assert_eq!(fast(lines[1]), None);
    assert!(serde_cells(lines[1]).is_some());
}

fn cells_contain(line: &str, text: &str) -> bool {
    fast(line).is_some_and(|c| c.contains(text))
}

#[test]
fn fast_path_declines_what_it_does_not_read() {
    for line in [
        r#"{"local_id":"a\"b"}"#,
        r#"{"local\u005fid":"a"}"#,
        r#"{"local_id":-1}"#,
        r#"{"local_id":1.5}"#,
        r#"{"local_id":1e3}"#,
        r#"{"local_id":0123}"#,
        r#"{"local_id":12345678901234567890}"#,
        r#"{"local_id":true}"#,
        r#"{"local_id":[]}"#,
        r#"{"local_id":"a",}"#,
        r#"{"local_id":"a"} x"#,
        r#"{"local_id":"a""#,
        r#"{"local_id" "a"}"#,
        r#"{"local_id":nul}"#,
        r#"{"local_id":nullx}"#,
        "{\"local_id\":\"a\tb\"}",
        r#"["local_id"]"#,
        "",
    ] {
        assert_eq!(fast(line), None, "{line}");
    }
    for line in [
        r#"{}"#,
        r#" { } "#,
        r#"{"local_id":"a","x":null,"segment":0,"resends":1234567890123456789}"#,
        "{ \"local_id\" :\t\"a\" ,\r\n\"src\" : 7 }",
        r#"{"detail":"d","local_id":"中","local_id":"b"}"#,
    ] {
        let got = fast(line);
        assert!(got.is_some(), "{line}");
        assert_eq!(got, serde_cells(line), "{line}");
    }
}

/// Hands out its data a few bytes per `read`, so lines straddle buffer fills,
/// and fails once at `fail_at` (if set).
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
    fail_at: Option<usize>,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.fail_at == Some(0) {
            self.fail_at = None;
            return Err(std::io::Error::other("disk on fire"));
        }
        let mut n = self.step.min(out.len()).min(self.data.len());
        if let Some(f) = &mut self.fail_at {
            n = n.min(*f);
            *f -= n;
        }
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn outcomes(rd: impl Iterator<Item = Result<Record, RecordsError>>) -> Vec<String> {
    rd.map(|r| match r {
        Ok(r) => format!("{r:?}"),
        Err(e) => format!("ERR {e}"),
    })
    .collect()
}

#[test]
fn lines_split_across_reads_read_the_same() {
    let mut data = Vec::new();
    let mut w = JsonlWriter::new(&mut data);
    for r in sample() {
        w.write(&r).unwrap();
    }
    w.finish().unwrap();
    data.extend_from_slice(
        concat!(
            " {\"local_id\":\"x\",\"final_state\":\"pending\"} \r\n",
            "\n  \n",
            "{\"local_id\":\"y\",\"final_state\":\"gone\"}\n",
            "{\"local_id\":\"z\",\n",
            "{\"local_id\":\"v\",\"final_state\":\n\"pending\"}\n",
            "{\"local_id\":\"w\",\"final_state\":\"failed\",\"resp_result\":9}",
        )
        .as_bytes(),
    );
    let whole = outcomes(JsonlReader::new(&data[..], ReaderOptions::default()));
    assert_eq!(whole.len(), 8);
    assert!(whole[2].contains("local_id: \"x\""), "{}", whole[2]);
    assert!(
        whole[3].starts_with("ERR line 6, field final_state"),
        "{}",
        whole[3]
    );
    // A line feed inside an object ends its line: two bad lines, not one record.
    for (i, line) in [(4, 7), (5, 8), (6, 9)] {
        let want = format!("ERR line {line}: invalid JSON");
        assert!(whole[i].starts_with(&want), "{}", whole[i]);
    }
    assert!(
        whole[7].contains("resp_class: Some(Carrier)"),
        "{}",
        whole[7]
    );
    for step in [1, 2, 3, 7, 64, 200] {
        let rd = Trickle {
            data: &data,
            step,
            fail_at: None,
        };
        assert_eq!(
            outcomes(JsonlReader::new(rd, ReaderOptions::default())),
            whole,
            "step {step}"
        );
    }
}

#[test]
fn a_read_error_ends_the_stream_with_its_line() {
    let line = "{\"local_id\":\"a\",\"final_state\":\"pending\"}\n";
    let data = line.repeat(3);
    // Fails at the start of line 3, and in the middle of line 2.
    for (fail_at, good) in [(2 * line.len(), 2), (line.len() + 5, 1)] {
        let rd = Trickle {
            data: data.as_bytes(),
            step: 1 << 20,
            fail_at: Some(fail_at),
        };
        let mut rd = JsonlReader::new(
            rd,
            ReaderOptions {
                skip_bad_rows: true,
            },
        );
        let out = outcomes(rd.by_ref());
        assert_eq!(out.len(), good + 1, "{out:?}");
        assert_eq!(
            out[good],
            format!("ERR line {}: disk on fire", good + 1),
            "{out:?}"
        );
        assert_eq!(rd.skipped(), 0);
    }
}

mod differential {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(COLUMNS.to_vec()).prop_map(|k| format!("\"{k}\"")),
            Just("\"detail\"".to_string()),
            Just("\"extra\"".to_string()),
            Just("\"local\\u005fid\"".to_string()),
            Just("\"\"".to_string()),
            Just("local_id".to_string()),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 :.+\\-]{0,30}".prop_map(|v| format!("\"{v}\"")),
            Just("\"2026-03-01T08:00:00.123+08:00\"".to_string()),
            Just("\"中文\"".to_string()),
            Just("\"a\\\"b\"".to_string()),
            Just("\"a\\u0041\"".to_string()),
            Just("\"a\tb\"".to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            (0u32..300).prop_map(|n| n.to_string()),
            proptest::sample::select(vec![
                "null",
                "true",
                "false",
                "-1",
                "-0",
                "0",
                "00",
                "01",
                "1.5",
                "1e2",
                "1E2",
                "18446744073709551615",
                "18446744073709551616",
                "99999999999999999999",
                "[]",
                "[1,\"a\"]",
                "{}",
                "{\"a\":1}",
                "nul",
                "nullx",
                "-",
                "\"",
                "",
            ])
            .prop_map(str::to_string),
        ]
    }

    fn ws() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => Just(String::new()),
            1 => "[ \t\r\n]{1,2}",
            1 => proptest::sample::select(vec!["x", ",", ":", "}", "\u{a0}"]).prop_map(str::to_string),
        ]
    }

    fn line() -> impl Strategy<Value = String> {
        (
            ws(),
            proptest::collection::vec((key(), ws(), ws(), value(), ws()), 0..8),
            ws(),
        )
            .prop_map(|(lead, members, tail)| {
                let body: Vec<String> = members
                    .into_iter()
                    .map(|(k, a, b, v, c)| format!("{k}{a}:{b}{v}{c}"))
                    .collect();
                format!("{lead}{{{}}}{tail}", body.join(","))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Whatever the fast path reads, serde_json reads to the same cells.
        #[test]
        fn fast_path_matches_serde(line in line()) {
            if let Some(cells) = fast(&line) {
                prop_assert_eq!(Some(cells), serde_cells(&line), "{}", line);
            }
        }
    }
}
