//! Beijing time (UTC+8) and calendar months of Beijing time.
//!
//! The contract and the CMPP protocol both count in Beijing time: CONNECT timestamps, Msg_Id
//! fields, journal month files, SLA months and settlement periods. This crate is that one time
//! base, at the bottom of the workspace, so no crate keeps its own copy.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use sms_time::{beijing, Month};
//!
//! let t = Utc.with_ymd_and_hms(2026, 3, 31, 16, 30, 0).unwrap();
//! let m = Month::of(t);
//! assert_eq!(m, Month::new(2026, 4).unwrap());
//! assert_eq!(m.start(), beijing().with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap());
//! assert_eq!("2026-04".parse::<Month>().unwrap(), m);
//! ```
#![forbid(unsafe_code)]

mod month;

pub use month::{Month, MonthParseError};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

/// Beijing time: UTC+8, no daylight saving.
// Evaluated at compile time: an invalid offset would fail the build, not a user.
pub const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Beijing time (UTC+8), as a value to pass to chrono.
pub fn beijing() -> FixedOffset {
    BEIJING
}

/// The same instant, shown in Beijing time.
pub fn to_beijing<Tz: TimeZone>(t: DateTime<Tz>) -> DateTime<FixedOffset> {
    t.with_timezone(&BEIJING)
}

/// The Beijing calendar date of an instant.
pub fn beijing_date<Tz: TimeZone>(t: DateTime<Tz>) -> NaiveDate {
    to_beijing(t).date_naive()
}

/// Midnight Beijing time at the start of a date, as an instant.
pub fn start_of_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_time(chrono::NaiveTime::MIN);
    // A fixed offset has exactly one mapping; the subtraction cannot leave chrono's range for
    // any date chrono can hold except its very first day, where the minimum instant stands in.
    (midnight - chrono::Duration::hours(8))
        .and_utc()
        .max(DateTime::<Utc>::MIN_UTC)
}

/// The current instant in Beijing time, from the system clock.
pub fn beijing_now() -> DateTime<FixedOffset> {
    to_beijing(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    #[test]
    fn offset_is_eight_hours_east() {
        assert_eq!(BEIJING.local_minus_utc(), 8 * 3600);
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
        let bj = to_beijing(t);
        assert_eq!(bj.hour(), 0);
        assert_eq!(
            beijing_date(t),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }

    #[test]
    fn start_of_day_is_beijing_midnight() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(
            start_of_day(d),
            Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap()
        );
        assert_eq!(beijing_date(start_of_day(d)), d);
        assert_eq!(
            beijing_date(start_of_day(d) - chrono::Duration::milliseconds(1)),
            d.pred_opt().unwrap()
        );
    }
}
