//! China Mobile's number ranges: which destinations Party B serves.

use crate::error::PolicyError;
use crate::number::MobileNumber;
use std::path::Path;

/// China Mobile's ranges as shipped with this crate (`data/cmcc-prefixes.txt`).
pub const DEFAULT_PREFIXES: &str = include_str!("../data/cmcc-prefixes.txt");

/// Shortest and longest prefix a range file may list.
const MIN_LEN: usize = 3;
const MAX_LEN: usize = 7;

/// A set of number prefixes, looked up in one step.
///
/// Every prefix is expanded to the 7-digit prefixes it covers, kept as a bitmap over
/// `1000000..2000000` (125 KB), so a look-up is one bit test whatever the prefix lengths.
#[derive(Clone)]
pub struct PrefixTable {
    bits: Vec<u64>,
    prefixes: usize,
}

impl std::fmt::Debug for PrefixTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrefixTable")
            .field("prefixes", &self.prefixes)
            .finish()
    }
}

impl PrefixTable {
    /// An empty table (matches nothing).
    pub fn empty() -> Self {
        PrefixTable {
            bits: vec![0; 1_000_000 / 64 + 1],
            prefixes: 0,
        }
    }

    /// China Mobile's ranges shipped with the crate.
    pub fn china_mobile() -> Self {
        Self::parse(DEFAULT_PREFIXES, "<built-in cmcc-prefixes.txt>")
            .expect("the built-in prefix list is valid (tested)")
    }

    /// Reads a prefix list: one prefix of 3–7 digits starting with `1` per line, `#` comments.
    pub fn parse(text: &str, file: &str) -> Result<Self, PolicyError> {
        let mut table = PrefixTable::empty();
        for (i, line) in text.lines().enumerate() {
            let body = line.split('#').next().unwrap_or("").trim();
            if body.is_empty() {
                continue;
            }
            table.add(body).map_err(|message| PolicyError::Data {
                file: file.to_string(),
                line: i + 1,
                message,
            })?;
        }
        Ok(table)
    }

    /// Reads a prefix list from a file (format of [`PrefixTable::parse`]).
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Adds one prefix, e.g. `"138"` or `"1703"`.
    pub fn add(&mut self, prefix: &str) -> Result<(), String> {
        let ok_len = (MIN_LEN..=MAX_LEN).contains(&prefix.len());
        if !ok_len || !prefix.bytes().all(|b| b.is_ascii_digit()) || !prefix.starts_with('1') {
            return Err(format!(
                "`{}` is not a prefix of {MIN_LEN}–{MAX_LEN} digits starting with 1",
                crate::error::clip(prefix)
            ));
        }
        let value: u32 = prefix
            .parse()
            .map_err(|_| format!("`{prefix}`: bad digits"))?;
        let span = 10u32.pow((MAX_LEN - prefix.len()) as u32);
        let start = value * span - 1_000_000;
        for i in start..start + span {
            self.bits[(i / 64) as usize] |= 1 << (i % 64);
        }
        self.prefixes += 1;
        Ok(())
    }

    /// Whether the number falls in one of the prefixes.
    #[inline]
    pub fn contains(&self, n: MobileNumber) -> bool {
        let i = n.prefix(MAX_LEN as u32) - 1_000_000;
        self.bits[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    /// Number of prefixes added.
    pub fn len(&self) -> usize {
        self.prefixes
    }

    /// Whether no prefix was added.
    pub fn is_empty(&self) -> bool {
        self.prefixes == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> MobileNumber {
        MobileNumber::parse(s).unwrap()
    }

    #[test]
    fn built_in_list_covers_cmcc_and_not_others() {
        let t = PrefixTable::china_mobile();
        for yes in [
            "13800138000",
            "13400000000",
            "13489999999",
            "14700000000",
            "17031234567",
            "19812345678",
            "19512345678",
            "15000000000",
        ] {
            assert!(t.contains(n(yes)), "{yes}");
        }
        for no in [
            "13490000000", // satellite, not CMCC
            "13012345678", // China Unicom
            "18912345678", // China Telecom
            "17001234567", // 1700 is a Telecom MVNO range
            "17091234567",
            "19912345678",
            "16612345678",
        ] {
            assert!(!t.contains(n(no)), "{no}");
        }
    }

    #[test]
    fn bad_prefix_lines_are_reported_with_line() {
        let err = PrefixTable::parse("# c\n138\n13a\n", "p.txt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.txt:3: `13a` is not a prefix of 3–7 digits starting with 1"
        );
        assert!(PrefixTable::parse("12", "p").is_err());
        assert!(PrefixTable::parse("12345678", "p").is_err());
        assert!(PrefixTable::parse("238", "p").is_err());
        let t = PrefixTable::parse("1380013 # one block of 10 000\n", "p").unwrap();
        assert!(t.contains(n("13800138000")));
        assert!(!t.contains(n("13800148000")));
        assert_eq!(t.len(), 1);
    }
}
