//! `docs/causes.md` says exactly what the code does: each of its tables is read from the file
//! and checked against the codecs' mappings (and, for CMPP, the records' default table) —
//! every row, and every value a table's "other" row stands for.

use std::collections::BTreeMap;

const DOC: &str = include_str!("../../../docs/causes.md");

/// The rows of the table after `<!-- causes: NAME -->`, as trimmed cells with the backticks
/// removed (header and separator skipped).
fn table(name: &str) -> Vec<Vec<String>> {
    let marker = format!("<!-- causes: {name} -->");
    let start = DOC
        .find(&marker)
        .unwrap_or_else(|| panic!("docs/causes.md has no table {name}"));
    let rows: Vec<Vec<String>> = DOC[start + marker.len()..]
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('`', ""))
                .collect()
        })
        .collect();
    assert!(!rows.is_empty(), "table {name} is empty");
    rows
}

/// A numeric code column: "7", "128–255" or "other".
enum Codes {
    List(Vec<u32>),
    Other,
}

fn codes(cell: &str) -> Codes {
    if cell == "other" {
        return Codes::Other;
    }
    let mut out = Vec::new();
    for item in cell.split(',').map(str::trim) {
        match item.split_once('–') {
            Some((a, b)) => out.extend(a.parse::<u32>().unwrap()..=b.parse().unwrap()),
            None => out.push(
                item.parse()
                    .unwrap_or_else(|_| panic!("not a code: {item:?}")),
            ),
        }
    }
    Codes::List(out)
}

/// A numeric table: code → (meaning, class), and the meaning and class of "other" if the
/// table has that row.
struct CodeTable {
    listed: BTreeMap<u32, (String, String)>,
    other: Option<(String, String)>,
}

impl CodeTable {
    fn read(name: &str) -> Self {
        let mut listed = BTreeMap::new();
        let mut other = None;
        for row in table(name) {
            let entry = (row[1].clone(), row[2].clone());
            match codes(&row[0]) {
                Codes::List(list) => {
                    for c in list {
                        assert!(
                            listed.insert(c, entry.clone()).is_none(),
                            "{name}: {c} twice"
                        );
                    }
                }
                Codes::Other => other = Some(entry),
            }
        }
        CodeTable { listed, other }
    }

    /// The (meaning, class) the table gives `code`.
    fn get(&self, code: u32) -> &(String, String) {
        self.listed
            .get(&code)
            .or(self.other.as_ref())
            .unwrap_or_else(|| panic!("the table has no row for {code} and no 'other' row"))
    }
}

#[test]
fn cmpp_submit_results() {
    let t = CodeTable::read("cmpp-submit-result");
    assert_eq!(t.listed.len(), 14);
    for code in 0..=1000u32 {
        let r = cmpp_codec::SubmitResult::from_u32(code);
        let (meaning, class) = t.get(code);
        assert_eq!(r.meaning(), meaning, "meaning of result {code}");
        assert_eq!(r.cause_class().as_str(), class, "class of result {code}");
        assert_eq!(
            sms_records::class_of_submit_result(code).as_str(),
            class,
            "records' class of result {code}"
        );
    }
}

/// The CMPP Stat table: exact values, `XX:nnnn` prefixes, and the class of "other".
struct StatTable {
    exact: BTreeMap<String, String>,
    prefixes: BTreeMap<String, String>,
    other: String,
}

impl StatTable {
    fn read(name: &str) -> Self {
        let mut t = StatTable {
            exact: BTreeMap::new(),
            prefixes: BTreeMap::new(),
            other: String::new(),
        };
        for row in table(name) {
            let class = row[1].clone();
            if row[0] == "other" {
                t.other = class;
                continue;
            }
            for item in row[0].split(',').map(str::trim) {
                let slot = match item.strip_suffix(":nnnn") {
                    Some(prefix) => t.prefixes.insert(prefix.to_owned(), class.clone()),
                    None => t.exact.insert(item.to_owned(), class.clone()),
                };
                assert!(slot.is_none(), "{name}: {item} twice");
            }
        }
        assert!(!t.other.is_empty(), "{name} has no 'other' row");
        t
    }

    /// The class the table gives `stat`: an exact row, else its prefix's row when the code is
    /// four digits, else "other".
    fn class(&self, stat: &str) -> &str {
        if let Some(c) = self.exact.get(stat) {
            return c;
        }
        if let Some((prefix, code)) = stat.split_once(':') {
            if code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit()) {
                if let Some(c) = self.prefixes.get(prefix) {
                    return c;
                }
            }
        }
        &self.other
    }
}

#[test]
fn cmpp_report_stats() {
    let t = StatTable::read("cmpp-report-stat");
    let mut samples: Vec<String> = t.exact.keys().cloned().collect();
    // Every two-letter prefix with a few codes, the listed exceptions among them.
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            for code in [
                "0000", "0001", "0007", "0053", "0100", "0141", "0143", "9999",
            ] {
                samples.push(format!("{}{}:{code}", a as char, b as char));
            }
        }
    }
    samples.extend(["AF:4", "DELIVR", "delivrd", "RT:0148"].map(String::from));
    for stat in &samples {
        let expected = t.class(stat);
        let codec = cmpp_codec::Stat::from_text(stat).unwrap().cause_class();
        assert_eq!(codec.as_str(), expected, "codec class of Stat {stat}");
        assert_eq!(
            sms_records::class_of_report_stat(stat).as_str(),
            expected,
            "records' class of Stat {stat}"
        );
    }
    // The one documented difference: malformed prefixed codes.
    let malformed = cmpp_codec::Stat::from_text("MK:24").unwrap().cause_class();
    assert_eq!(malformed.as_str(), "unknown");
    assert_eq!(sms_records::class_of_report_stat("MK:24").as_str(), "user");
}

#[test]
fn sgip_results() {
    let t = CodeTable::read("sgip-result");
    for code in 0..=255u8 {
        let r = sgip_codec::ResultCode(code);
        let (meaning, class) = t.get(code.into());
        assert_eq!(r.meaning(), meaning, "meaning of code {code}");
        assert_eq!(r.cause_class().as_str(), class, "class of code {code}");
    }
}

#[test]
fn sgip_reports() {
    let results = CodeTable::read("sgip-result");
    let rows = table("sgip-report");
    // State cell "2 (failed)" → Some(2), "other" → None; ErrorCode "any", "0" or "other".
    let state_of = |cell: &str| cell.split(' ').next().unwrap().parse::<u8>().ok();
    for state in 0..=255u8 {
        for error in 0..=255u8 {
            let row = rows
                .iter()
                .find(|r| {
                    let state_matches = match state_of(&r[0]) {
                        Some(s) => s == state,
                        None => !rows.iter().any(|o| state_of(&o[0]) == Some(state)),
                    };
                    let error_matches = match r[1].as_str() {
                        "any" | "other" => true,
                        n => n.parse::<u8>().unwrap() == error,
                    };
                    state_matches && error_matches
                })
                .unwrap_or_else(|| panic!("no row for State {state}, ErrorCode {error}"));
            let expected = match row[2].as_str() {
                "the ErrorCode's class in the table above" => results.get(error.into()).1.as_str(),
                class => class,
            };
            let got = sgip_codec::report_cause_class(
                sgip_codec::ReportState::from_u8(state),
                sgip_codec::ResultCode(error),
            );
            assert_eq!(got.as_str(), expected, "State {state}, ErrorCode {error}");
        }
    }
}

#[test]
fn smgp_statuses() {
    let t = CodeTable::read("smgp-status");
    for code in 0..=1000u32 {
        let s = smgp_codec::Status(code);
        let (meaning, class) = t.get(code);
        assert_eq!(s.meaning(), meaning, "meaning of Status {code}");
        assert_eq!(s.cause_class().as_str(), class, "class of Status {code}");
    }
}

#[test]
fn smgp_reports() {
    use smgp_codec::{Stat, StatusReport, Text};

    let errs = CodeTable::read("smgp-report-err");
    assert!(errs.other.is_none(), "an unlisted Err decides nothing");
    let stats = StatTable::read("smgp-report-stat");
    assert!(
        stats.prefixes.is_empty(),
        "SMGP interprets no XX:nnnn codes"
    );
    // The Err table is the codec's, meaning and class.
    for err in 0..=999u16 {
        let expected = errs.listed.get(&u32::from(err));
        let got = smgp_codec::codes::err_meaning(err).map(|(m, c)| (m, c.as_str()));
        assert_eq!(
            got,
            expected.map(|(m, c)| (m.as_str(), c.as_str())),
            "Err {err:03}"
        );
    }

    // The three rules, over every listed Stat and a few others, and every kind of Err text.
    let mut stat_samples: Vec<String> = stats.exact.keys().cloned().collect();
    stat_samples.extend(["RT:0148", "BWLISTS", "MK:0001", "delivrd"].map(String::from));
    let mut err_samples: Vec<String> = errs.listed.keys().map(|e| format!("{e:03}")).collect();
    err_samples.extend(["", "6", "06", "148", "163", "abc"].map(String::from));
    for stat in &stat_samples {
        for err in &err_samples {
            let report = StatusReport {
                stat: Stat(Text::new(stat.as_bytes()).unwrap()),
                err: Text::new(err.as_bytes()).unwrap(),
                ..StatusReport::default()
            };
            let three_digits = err.len() == 3 && err.bytes().all(|b| b.is_ascii_digit());
            let err_class = three_digits
                .then(|| errs.listed.get(&err.parse().unwrap()))
                .flatten()
                .map(|(_, class)| class.as_str());
            let expected = if stat == "DELIVRD" {
                "delivered"
            } else {
                match err_class {
                    Some(class) if class != "delivered" => class,
                    _ => stats.class(stat),
                }
            };
            assert_eq!(
                report.cause_class().as_str(),
                expected,
                "Stat {stat:?}, Err {err:?}"
            );
        }
    }
}
