//! Calendar months of Beijing time: the unit of journal files, SLA reports and settlement.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::{start_of_day, BEIJING};

/// A calendar month of Beijing time, shown and parsed as `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

/// A text that is not a month `YYYY-MM` (years 1–9999).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a month; write \"YYYY-MM\"")]
pub struct MonthParseError {
    /// The text as given (trimmed).
    pub text: String,
}

impl Month {
    /// The month, if `year` is 1–9999 and `month` 1–12.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year)).then_some(Month { year, month })
    }

    /// The year, e.g. 2026.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month of the year, 1–12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The Beijing-time month holding instant `t`.
    pub fn of<Tz: TimeZone>(t: DateTime<Tz>) -> Month {
        Month::of_date(t.with_timezone(&BEIJING).date_naive())
    }

    /// The month holding a calendar date.
    pub fn of_date(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    /// The month before.
    pub fn prev(self) -> Month {
        self.plus(-1)
    }

    /// The month after.
    pub fn next(self) -> Month {
        self.plus(1)
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        let idx = self.year * 12 + self.month as i32 - 1 + n;
        Month {
            year: idx.div_euclid(12),
            month: idx.rem_euclid(12) as u32 + 1,
        }
    }

    /// The 1st of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// First instant of the month: 00:00 Beijing time on the 1st.
    pub fn start(self) -> DateTime<Utc> {
        start_of_day(self.first_day())
    }

    /// First instant after the month (the next month's start).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// Whether instant `t` falls in this month of Beijing time.
    pub fn contains<Tz: TimeZone>(self, t: DateTime<Tz>) -> bool {
        Month::of(t) == self
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = MonthParseError;

    fn from_str(s: &str) -> Result<Month, MonthParseError> {
        let text = s.trim();
        let bad = || MonthParseError {
            text: text.to_string(),
        };
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let (year, month) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Month::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(y: i32, mo: u32) -> Month {
        Month::new(y, mo).unwrap()
    }

    #[test]
    fn month_of_uses_beijing_time() {
        // 2026-03-31T16:30Z is already April 1st, 00:30 in Beijing.
        let t = Utc.with_ymd_and_hms(2026, 3, 31, 16, 30, 0).unwrap();
        assert_eq!(Month::of(t), m(2026, 4));
        assert!(m(2026, 4).contains(t));
        assert!(!m(2026, 3).contains(t));
        assert_eq!(
            m(2026, 4).start(),
            Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(m(2026, 4).end(), m(2026, 5).start());
    }

    #[test]
    fn arithmetic_crosses_years() {
        assert_eq!(m(2026, 1).prev(), m(2025, 12));
        assert_eq!(m(2025, 12).next(), m(2026, 1));
        assert_eq!(m(2026, 3).plus(-14), m(2025, 1));
        assert_eq!(
            m(2024, 2).last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(
            m(2026, 12).last_day(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
    }

    #[test]
    fn parses_and_shows_yyyy_mm() {
        assert_eq!("2026-03".parse::<Month>().unwrap(), m(2026, 3));
        assert_eq!(" 2026-12 ".parse::<Month>().unwrap().to_string(), "2026-12");
        for bad in [
            "2026-13", "2026-00", "2026-3", "26-03", "2026/03", "", "2026-0a", "+026-03",
        ] {
            let err = bad.parse::<Month>().unwrap_err();
            assert_eq!(err.text, bad.trim(), "{bad}");
            assert!(err.to_string().contains("YYYY-MM"));
        }
        assert_eq!(Month::new(2026, 0), None);
        assert_eq!(Month::new(10_000, 1), None);
    }

    #[test]
    fn serde_is_the_text_form() {
        let json = serde_json::to_string(&m(2026, 2)).unwrap();
        assert_eq!(json, "\"2026-02\"");
        assert_eq!(serde_json::from_str::<Month>(&json).unwrap(), m(2026, 2));
        let err = serde_json::from_str::<Month>("\"2026-13\"").unwrap_err();
        assert!(err.to_string().contains("not a month"));
    }
}
