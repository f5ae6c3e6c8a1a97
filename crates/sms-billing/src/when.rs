//! Beijing-time instants, dates and months as written in terms and incident files.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use sms_records::beijing;
use std::fmt;

/// Parses an instant: `2026-02-03 10:00`, `2026-02-03T10:00:00`, a bare date
/// (midnight), all read as Beijing time, or RFC 3339 with an explicit offset.
pub fn parse_instant(s: &str) -> Result<DateTime<FixedOffset>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return local(n, s);
        }
    }
    if let Ok(d) = parse_date(s) {
        return local(d.and_hms_opt(0, 0, 0).unwrap_or_default(), s);
    }
    Err(format!(
        "`{s}` is not a time; write \"YYYY-MM-DD HH:MM\" (Beijing time) or RFC 3339"
    ))
}

fn local(n: NaiveDateTime, s: &str) -> Result<DateTime<FixedOffset>, String> {
    beijing()
        .from_local_datetime(&n)
        .single()
        .ok_or_else(|| format!("`{s}` is not a valid Beijing time"))
}

/// Parses a date `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{}` is not a date; write \"YYYY-MM-DD\"", s.trim()))
}

/// A calendar month of Beijing time, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month 1..=12.
    pub month: u32,
}

impl Month {
    /// The month containing a date.
    pub fn of(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Month, String> {
        let bad = || format!("`{}` is not a month; write \"YYYY-MM\"", s.trim());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Month { year, month })
    }
    /// First day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }
    /// The following month.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s).map_err(de::Error::custom)
    }
}

/// Midnight (Beijing) at the start of a date.
pub fn start_of(d: NaiveDate) -> DateTime<FixedOffset> {
    let n = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    beijing().from_utc_datetime(&(n - chrono::Duration::hours(8)))
}

/// Formats an instant as `YYYY-MM-DD HH:MM` in Beijing time.
pub fn show(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Serde for instants in incident files.
pub mod instant {
    use super::*;
    struct V;
    impl Visitor<'_> for V {
        type Value = DateTime<FixedOffset>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a quoted time \"YYYY-MM-DD HH:MM\" (Beijing time)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_instant(v).map_err(E::custom)
        }
    }
    /// Reads an instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        d.deserialize_str(V)
    }
    /// Writes an instant in Beijing time.
    pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&show(*t))
    }
    /// Optional instants.
    pub mod option {
        use super::*;
        /// Reads an optional instant.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
            super::deserialize(d).map(Some)
        }
        /// Writes an optional instant.
        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<FixedOffset>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }
    }
}

/// Serde for dates in terms and incident files.
pub mod date {
    use super::*;
    struct V;
    impl Visitor<'_> for V {
        type Value = NaiveDate;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a quoted date \"YYYY-MM-DD\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse_date(v).map_err(E::custom)
        }
    }
    /// Reads a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        d.deserialize_str(V)
    }
    /// Writes a date.
    pub fn serialize<S: Serializer>(t: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&t.format("%Y-%m-%d"))
    }
    /// Optional dates.
    pub mod option {
        use super::*;
        /// Reads an optional date.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
            super::deserialize(d).map(Some)
        }
        /// Writes an optional date.
        pub fn serialize<S: Serializer>(t: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_beijing_unless_offset_given() {
        let a = parse_instant("2026-02-03 10:00").unwrap();
        assert_eq!(a.to_rfc3339(), "2026-02-03T10:00:00+08:00");
        let b = parse_instant("2026-02-03T02:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_instant("3 Feb").is_err());
        assert_eq!(
            Month::parse("2026-12").unwrap().next().to_string(),
            "2027-01"
        );
        assert!(Month::parse("2026-13").is_err());
        assert_eq!(
            start_of(parse_date("2026-01-01").unwrap()).to_rfc3339(),
            "2026-01-01T00:00:00+08:00"
        );
    }
}
