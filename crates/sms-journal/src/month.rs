//! Calendar months in Beijing time, the unit of journal files and retention.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sms_records::beijing;
use std::fmt;

/// A calendar month of Beijing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl Month {
    /// The month, if valid.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year)).then_some(Month { year, month })
    }

    /// The Beijing-time month holding instant `t`.
    pub fn of(t: DateTime<Utc>) -> Month {
        let local = t.with_timezone(&beijing());
        Month {
            year: local.year(),
            month: local.month(),
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

    /// First instant of the month (00:00 Beijing time on the 1st).
    pub fn start(self) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN);
        beijing()
            .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .single()
            .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
    }

    /// File name of the month's journal: `journal-YYYY-MM.sqlite`.
    pub fn file_name(self) -> String {
        format!("journal-{:04}-{:02}.sqlite", self.year, self.month)
    }

    /// The month a journal file name stands for, if it is one.
    pub fn from_file_name(name: &str) -> Option<Month> {
        let core = name.strip_prefix("journal-")?.strip_suffix(".sqlite")?;
        let (y, m) = core.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_of_uses_beijing_time() {
        // 2026-03-31T16:30Z is already April 1st, 00:30 in Beijing.
        let t = Utc.with_ymd_and_hms(2026, 3, 31, 16, 30, 0).unwrap();
        assert_eq!(Month::of(t), Month::new(2026, 4).unwrap());
        assert_eq!(
            Month::new(2026, 4).unwrap().start(),
            Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(
            Month::new(2026, 1).unwrap().prev(),
            Month::new(2025, 12).unwrap()
        );
        assert_eq!(
            Month::new(2025, 12).unwrap().next(),
            Month::new(2026, 1).unwrap()
        );
        assert_eq!(
            Month::new(2026, 3).unwrap().plus(-14),
            Month::new(2025, 1).unwrap()
        );
    }

    #[test]
    fn file_names() {
        let m = Month::new(2026, 3).unwrap();
        assert_eq!(m.file_name(), "journal-2026-03.sqlite");
        assert_eq!(Month::from_file_name("journal-2026-03.sqlite"), Some(m));
        assert_eq!(Month::from_file_name("journal-2026-13.sqlite"), None);
        assert_eq!(Month::from_file_name("journal-2026-03.sqlite-wal"), None);
        assert_eq!(Month::from_file_name("notes.txt"), None);
    }
}
