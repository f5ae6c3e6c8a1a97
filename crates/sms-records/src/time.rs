//! Beijing time (UTC+8), the zone the contract is written in: one definition, in `sms-time`.

pub use sms_time::{beijing, to_beijing, Month};
