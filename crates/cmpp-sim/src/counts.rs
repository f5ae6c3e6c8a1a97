//! [`DayCounts`]: what the gateway did for each SP per Beijing day and Service_Id, the
//! figures QUERY_RESP reports (MT_TLMsg, MT_Tlusr, MT_Scs, MT_WT, MT_FL, MO_Scs, MO_WT,
//! MO_FL).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, FixedOffset};

/// One row of counters (the QUERY_RESP fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// MT_TLMsg: SUBMITs received from the SP.
    pub mt_tl_msg: u32,
    /// MT_Tlusr: recipients of those SUBMITs.
    pub mt_tl_usr: u32,
    /// MT_Scs: messages delivered (report DELIVRD, or accepted without a report asked).
    pub mt_scs: u32,
    /// MT_WT: accepted messages whose report has not been sent yet.
    pub mt_wt: u32,
    /// MT_FL: messages refused or whose report says they failed (or were cancelled).
    pub mt_fl: u32,
    /// MO_Scs: MO messages handed to the SP's links.
    pub mo_scs: u32,
    /// MO_WT: MO messages waiting (always 0: they are queued at once).
    pub mo_wt: u32,
    /// MO_FL: MO messages that could not be queued.
    pub mo_fl: u32,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        self.mt_tl_msg = self.mt_tl_msg.saturating_add(o.mt_tl_msg);
        self.mt_tl_usr = self.mt_tl_usr.saturating_add(o.mt_tl_usr);
        self.mt_scs = self.mt_scs.saturating_add(o.mt_scs);
        self.mt_wt = self.mt_wt.saturating_add(o.mt_wt);
        self.mt_fl = self.mt_fl.saturating_add(o.mt_fl);
        self.mo_scs = self.mo_scs.saturating_add(o.mo_scs);
        self.mo_wt = self.mo_wt.saturating_add(o.mo_wt);
        self.mo_fl = self.mo_fl.saturating_add(o.mo_fl);
    }
}

/// Key of a row: SP_Id, Beijing date as YYYYMMDD, Service_Id.
pub type DayKey = (String, u32, String);

/// Most rows kept; further Service_Ids of a day are counted under "" (the totals stay
/// right; only the per-service split is lost) so a peer cannot grow memory without bound.
const MAX_ROWS: usize = 100_000;

/// Counters per SP, Beijing day and Service_Id.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct DayCounts {
    rows: HashMap<DayKey, Counters>,
}

impl DayCounts {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The row for this SP, day and service, created if need be.
    pub fn row(&mut self, sp_id: &str, day: u32, service_id: &str) -> &mut Counters {
        let mut key = (sp_id.to_owned(), day, service_id.to_owned());
        if !self.rows.contains_key(&key) && self.rows.len() >= MAX_ROWS {
            key.2 = String::new();
        }
        self.rows.entry(key).or_default()
    }

    /// The day's counters for an SP: all services when `service_id` is `None`.
    pub fn query(&self, sp_id: &str, day: u32, service_id: Option<&str>) -> Counters {
        let mut total = Counters::default();
        for ((sp, d, svc), c) in &self.rows {
            if sp == sp_id && *d == day && service_id.map_or(true, |s| s == svc) {
                total.add(c);
            }
        }
        total
    }
}

/// YYYYMMDD as a number, from the 8 ASCII digits of a QUERY Time field.
pub fn parse_day(text: &[u8]) -> Option<u32> {
    if text.len() != 8 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// YYYYMMDD as a number, of a (Beijing) time: the day a SUBMIT or MO message is counted on.
pub(crate) fn day_of(t: DateTime<FixedOffset>) -> u32 {
    let y = u32::try_from(t.year()).unwrap_or(0);
    y * 10_000 + t.month() * 100 + t.day()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_per_service() {
        let mut t = DayCounts::new();
        t.row("900001", 20261204, "A").mt_tl_msg += 2;
        t.row("900001", 20261204, "B").mt_tl_msg += 3;
        t.row("900001", 20261203, "A").mt_tl_msg += 7;
        t.row("900002", 20261204, "A").mt_tl_msg += 11;
        assert_eq!(t.query("900001", 20261204, None).mt_tl_msg, 5);
        assert_eq!(t.query("900001", 20261204, Some("B")).mt_tl_msg, 3);
        assert_eq!(t.query("900001", 20261205, None), Counters::default());
    }

    #[test]
    fn days_parse() {
        assert_eq!(parse_day(b"20261204"), Some(20261204));
        assert_eq!(parse_day(b"2026120"), None);
        assert_eq!(parse_day(b"2026-12-"), None);
    }

    #[test]
    fn day_of_a_time_is_its_own_calendar_day() {
        let bj = crate::ids::beijing();
        let t = chrono::TimeZone::with_ymd_and_hms(&bj, 2026, 12, 4, 23, 59, 59).unwrap();
        assert_eq!(day_of(t), 20261204);
        assert_eq!(parse_day(day_of(t).to_string().as_bytes()), Some(20261204));
    }
}
