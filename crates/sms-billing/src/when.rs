//! Beijing-time instants, dates and months as written in terms and incident files.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;
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

/// A calendar month of Beijing time, `YYYY-MM`: the one definition, in `sms-time`.
pub use sms_time::Month;

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
            "2026-12".parse::<Month>().unwrap().next().to_string(),
            "2027-01"
        );
        assert!("2026-13".parse::<Month>().is_err());
        assert_eq!(
            start_of(parse_date("2026-01-01").unwrap()).to_rfc3339(),
            "2026-01-01T00:00:00+08:00"
        );
    }
}
