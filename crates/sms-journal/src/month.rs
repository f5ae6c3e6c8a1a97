//! Calendar months in Beijing time, the unit of journal files and retention.

pub use sms_time::Month;

/// File name of a month's journal: `journal-YYYY-MM.sqlite`.
pub fn file_name(month: Month) -> String {
    format!("journal-{month}.sqlite")
}

/// The month a journal file name stands for, if it is one.
pub fn from_file_name(name: &str) -> Option<Month> {
    name.strip_prefix("journal-")?
        .strip_suffix(".sqlite")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        let m = Month::new(2026, 3).unwrap();
        assert_eq!(file_name(m), "journal-2026-03.sqlite");
        assert_eq!(from_file_name("journal-2026-03.sqlite"), Some(m));
        assert_eq!(from_file_name("journal-2026-13.sqlite"), None);
        assert_eq!(from_file_name("journal-2026-03.sqlite-wal"), None);
        assert_eq!(from_file_name("notes.txt"), None);
    }
}
