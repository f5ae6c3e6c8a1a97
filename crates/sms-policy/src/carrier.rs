//! The carriers' number ranges and the routing table: which carrier serves a destination.
//!
//! The built-in ranges follow the MIIT number allocation (the Ministry of Industry and
//! Information Technology's public number-segment assignments to each carrier), in
//! `data/cmcc-prefixes.txt`, `data/unicom-prefixes.txt` and `data/telecom-prefixes.txt`.

use crate::error::PolicyError;
use crate::number::MobileNumber;
use crate::numberset::NumberSet;
use sms_records::Carrier;
use std::path::Path;

/// China Mobile's ranges as shipped with this crate (`data/cmcc-prefixes.txt`).
pub const DEFAULT_PREFIXES: &str = include_str!("../data/cmcc-prefixes.txt");
/// China Unicom's ranges as shipped with this crate (`data/unicom-prefixes.txt`).
pub const UNICOM_PREFIXES: &str = include_str!("../data/unicom-prefixes.txt");
/// China Telecom's ranges as shipped with this crate (`data/telecom-prefixes.txt`).
pub const TELECOM_PREFIXES: &str = include_str!("../data/telecom-prefixes.txt");

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
        Self::built_in(Carrier::ChinaMobile)
    }

    /// A carrier's ranges shipped with the crate (MIIT number allocation); empty for a
    /// carrier without a built-in list.
    pub fn built_in(carrier: Carrier) -> Self {
        let (text, file) = match carrier {
            Carrier::ChinaUnicom => (UNICOM_PREFIXES, "<built-in unicom-prefixes.txt>"),
            Carrier::ChinaTelecom => (TELECOM_PREFIXES, "<built-in telecom-prefixes.txt>"),
            Carrier::ChinaMobile => (DEFAULT_PREFIXES, "<built-in cmcc-prefixes.txt>"),
            // A carrier added to the enumeration before a list is shipped for it.
            _ => return PrefixTable::empty(),
        };
        Self::parse(text, file).expect("the built-in prefix lists are valid (tested)")
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

/// Where a destination's route came from (for the refusal message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// Listed as ported to this carrier.
    Ported(Carrier),
    /// In this carrier's number ranges.
    Range(Carrier),
    /// Ported out of China Mobile, to a carrier nobody listed.
    PortedOut,
    /// In no carrier's ranges.
    Nowhere,
}

/// The routing table: which carrier serves a destination number.
///
/// A number listed as ported (number → carrier) goes to that carrier, whatever its prefix;
/// a number listed as ported out of China Mobile (and not as ported elsewhere) has no
/// route; any other number goes to the first carrier, in [`Carrier::ALL`] order (Mobile,
/// Unicom, Telecom), whose ranges hold its prefix. [`Routes::new`] has the built-in ranges
/// of the three carriers (MIIT number allocation), which do not overlap.
///
/// ```
/// use sms_policy::{MobileNumber, Routes};
/// use sms_records::Carrier;
///
/// let n = |s| MobileNumber::parse(s).unwrap();
/// let routes = Routes::new().with_ported(n("13300000001"), Carrier::ChinaMobile);
/// assert_eq!(routes.route(n("13800138000")), Some(Carrier::ChinaMobile));
/// assert_eq!(routes.route(n("13012345678")), Some(Carrier::ChinaUnicom));
/// assert_eq!(routes.route(n("18912345678")), Some(Carrier::ChinaTelecom));
/// assert_eq!(routes.route(n("13300000001")), Some(Carrier::ChinaMobile), "ported");
/// assert_eq!(routes.route(n("19212345678")), None, "no listed carrier");
/// ```
#[derive(Debug, Clone)]
pub struct Routes {
    /// Each carrier's ranges, in look-up order.
    ranges: Vec<(Carrier, PrefixTable)>,
    /// Numbers ported to each carrier (a number is in one set at most).
    ported: Vec<(Carrier, NumberSet)>,
    /// Numbers that left China Mobile for a carrier not listed in `ported`.
    ported_out: NumberSet,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

impl Routes {
    /// The built-in ranges of every carrier, nothing ported.
    pub fn new() -> Self {
        let mut routes = Routes::empty();
        for c in Carrier::ALL {
            routes.set_prefixes(c, PrefixTable::built_in(c));
        }
        routes
    }

    /// No ranges at all: every number is without a route until ranges or ported numbers are added.
    pub fn empty() -> Self {
        Routes {
            ranges: Vec::new(),
            ported: Vec::new(),
            ported_out: NumberSet::new(),
        }
    }

    /// With `prefixes` as `carrier`'s ranges (replacing the ones it had).
    pub fn with_prefixes(mut self, carrier: Carrier, prefixes: PrefixTable) -> Self {
        self.set_prefixes(carrier, prefixes);
        self
    }

    /// Sets `carrier`'s ranges (replacing the ones it had).
    pub fn set_prefixes(&mut self, carrier: Carrier, prefixes: PrefixTable) {
        match self.ranges.iter_mut().find(|(c, _)| *c == carrier) {
            Some(slot) => slot.1 = prefixes,
            None => {
                self.ranges.push((carrier, prefixes));
                // Look-up order is the carriers' fixed order, whatever the order of the calls.
                self.ranges.sort_by_key(|(c, _)| *c);
            }
        }
    }

    /// With `number` ported to `carrier` (see [`Routes::port`]).
    pub fn with_ported(mut self, number: MobileNumber, carrier: Carrier) -> Self {
        self.port(number, carrier);
        self
    }

    /// Routes `number` to `carrier` whatever its prefix (number portability); a later call
    /// for the same number replaces an earlier one.
    pub fn port(&mut self, number: MobileNumber, carrier: Carrier) {
        for (c, set) in &mut self.ported {
            if *c != carrier {
                set.remove(number);
            }
        }
        match self.ported.iter_mut().find(|(c, _)| *c == carrier) {
            Some((_, set)) => {
                set.insert(number);
            }
            None => self
                .ported
                .push((carrier, NumberSet::from_numbers([number]))),
        }
    }

    /// Routes every number of `numbers` to `carrier` (see [`Routes::port`]).
    pub fn port_all(&mut self, numbers: &NumberSet, carrier: Carrier) {
        for n in numbers.iter() {
            self.port(n, carrier);
        }
    }

    /// With numbers that left China Mobile for a carrier this table does not know: they have
    /// no route unless [`Routes::port`] names their carrier.
    pub fn with_ported_out(mut self, numbers: NumberSet) -> Self {
        self.ported_out = numbers;
        self
    }

    /// A carrier's ranges, if it has any.
    pub fn prefixes(&self, carrier: Carrier) -> Option<&PrefixTable> {
        self.ranges
            .iter()
            .find(|(c, _)| *c == carrier)
            .map(|(_, t)| t)
    }

    /// The carrier that serves `number`, if any.
    #[inline]
    pub fn route(&self, number: MobileNumber) -> Option<Carrier> {
        match self.find(number) {
            Found::Ported(c) | Found::Range(c) => Some(c),
            Found::PortedOut | Found::Nowhere => None,
        }
    }

    /// The route of `number` and where it came from.
    pub(crate) fn find(&self, number: MobileNumber) -> Found {
        if let Some((c, _)) = self.ported.iter().find(|(_, s)| s.contains(number)) {
            return Found::Ported(*c);
        }
        if self.ported_out.contains(number) {
            return Found::PortedOut;
        }
        match self.ranges.iter().find(|(_, t)| t.contains(number)) {
            Some((c, _)) => Found::Range(*c),
            None => Found::Nowhere,
        }
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
    fn built_in_lists_route_the_miit_segments_and_do_not_overlap() {
        let routes = Routes::new();
        let cases = [
            (
                Carrier::ChinaMobile,
                &[
                    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157",
                    "158", "159", "172", "178", "182", "183", "184", "187", "188", "195", "197",
                    "198",
                ][..],
            ),
            (
                Carrier::ChinaUnicom,
                &[
                    "130", "131", "132", "145", "155", "156", "166", "167", "171", "175", "176",
                    "185", "186", "196", "1704", "1709",
                ][..],
            ),
            (
                Carrier::ChinaTelecom,
                &[
                    "133", "149", "153", "162", "173", "177", "180", "181", "189", "190", "191",
                    "193", "199", "1700", "174005",
                ][..],
            ),
        ];
        for (carrier, prefixes) in cases {
            for p in prefixes {
                let number = format!("{p:0<11}");
                assert_eq!(routes.route(n(&number)), Some(carrier), "{number}");
            }
        }
        // Neither a carrier's: China Broadnet (192), MIIT emergency (17406), satellite 1349.
        for no in ["19212345678", "17406123456", "13490000000", "10012345678"] {
            if let Ok(number) = MobileNumber::parse(no) {
                assert_eq!(routes.route(number), None, "{no}");
            }
        }
        // No 7-digit prefix is in two built-in lists.
        let tables: Vec<PrefixTable> = Carrier::ALL
            .into_iter()
            .map(PrefixTable::built_in)
            .collect();
        for i in 0..tables[0].bits.len() {
            let (a, b, c) = (tables[0].bits[i], tables[1].bits[i], tables[2].bits[i]);
            assert_eq!((a & b) | (a & c) | (b & c), 0, "overlap in word {i}");
        }
    }

    #[test]
    fn ported_numbers_win_over_ranges_and_the_last_port_wins() {
        let mut routes = Routes::new().with_ported_out(NumberSet::from_numbers([
            n("13800000001"),
            n("13800000002"),
        ]));
        assert_eq!(routes.find(n("13800000001")), Found::PortedOut);
        assert_eq!(routes.route(n("13800000001")), None);
        routes.port(n("13800000001"), Carrier::ChinaTelecom);
        assert_eq!(
            routes.find(n("13800000001")),
            Found::Ported(Carrier::ChinaTelecom)
        );
        routes.port(n("13800000001"), Carrier::ChinaUnicom);
        assert_eq!(routes.route(n("13800000001")), Some(Carrier::ChinaUnicom));
        routes.port_all(
            &NumberSet::from_numbers([n("13300000000")]),
            Carrier::ChinaMobile,
        );
        assert_eq!(routes.route(n("13300000000")), Some(Carrier::ChinaMobile));
        assert_eq!(
            routes.find(n("13300000001")),
            Found::Range(Carrier::ChinaTelecom)
        );
        // Replacing a carrier's ranges; an empty table routes only ported numbers.
        let routes = Routes::empty()
            .with_prefixes(
                Carrier::ChinaTelecom,
                PrefixTable::parse("138", "p").unwrap(),
            )
            .with_prefixes(
                Carrier::ChinaMobile,
                PrefixTable::parse("138", "p").unwrap(),
            );
        assert_eq!(
            routes.route(n("13800138000")),
            Some(Carrier::ChinaMobile),
            "fixed order"
        );
        assert_eq!(routes.route(n("13300000000")), None);
        assert!(routes.prefixes(Carrier::ChinaUnicom).is_none());
        assert_eq!(
            routes.prefixes(Carrier::ChinaMobile).map(PrefixTable::len),
            Some(1)
        );
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
