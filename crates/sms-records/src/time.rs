//! Beijing time (UTC+8), the zone the contract is written in.

use chrono::{DateTime, FixedOffset, Utc};

/// The contract's time zone: Beijing time, UTC+8, no daylight saving.
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The same instant rendered in Beijing time.
pub fn to_beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&beijing())
}
