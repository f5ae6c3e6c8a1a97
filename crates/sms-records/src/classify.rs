//! The default table from raw result codes and report states to cause classes.
//!
//! It mirrors the codec's CMPP table (spec digest §6.2 and §6.5) as plain data so
//! that records read from files can be classified without a protocol dependency.

use crate::model::CauseClass;

/// Cause class of a submit-response result code.
///
/// 0 accepted; 9 (number not served by this gateway) is the carrier's; 1–8 and 10–13 are
/// errors in what the SP sent or its rate (8: above the licensed rate); anything else is unknown.
pub fn class_of_submit_result(result: u32) -> CauseClass {
    match result {
        0 => CauseClass::Delivered,
        9 => CauseClass::Carrier,
        1..=8 | 10..=13 => CauseClass::Sp,
        _ => CauseClass::Unknown,
    }
}

/// Cause class of a status-report state (`Stat`), e.g. `DELIVRD`, `MK:0001`.
pub fn class_of_report_stat(stat: &str) -> CauseClass {
    let stat = stat.trim_end_matches(['\0', ' ']);
    match stat {
        "DELIVRD" => return CauseClass::Delivered,
        "EXPIRED" | "UNDELIV" => return CauseClass::User,
        "REJECTD" => return CauseClass::Carrier,
        "DELETED" | "UNKNOWN" | "ACCEPTD" => return CauseClass::Unknown,
        _ => {}
    }
    let Some((prefix, code)) = stat.split_once(':') else {
        return CauseClass::Unknown;
    };
    match (prefix, code) {
        ("MK", "0000") => CauseClass::Unknown,
        ("MK" | "MI" | "MN", _) => CauseClass::User,
        ("DB", "0100" | "0102" | "0103") => CauseClass::User,
        ("DB", "0141" | "0142" | "0143") => CauseClass::Sp,
        ("CB", "0001" | "0007" | "0053") => CauseClass::User,
        ("SA" | "SB", _) => CauseClass::Sp,
        ("MA" | "MB" | "MC" | "CA" | "DA" | "IA" | "IB" | "IC" | "ID", _) => CauseClass::Carrier,
        _ => CauseClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submit_results() {
        assert_eq!(class_of_submit_result(0), CauseClass::Delivered);
        assert_eq!(class_of_submit_result(8), CauseClass::Sp);
        assert_eq!(class_of_submit_result(9), CauseClass::Carrier);
        assert_eq!(class_of_submit_result(4), CauseClass::Sp);
        assert_eq!(class_of_submit_result(13), CauseClass::Sp);
        assert_eq!(class_of_submit_result(14), CauseClass::Unknown);
    }

    #[test]
    fn report_states() {
        assert_eq!(class_of_report_stat("DELIVRD"), CauseClass::Delivered);
        assert_eq!(class_of_report_stat("UNDELIV"), CauseClass::User);
        assert_eq!(class_of_report_stat("MK:0024"), CauseClass::User);
        assert_eq!(class_of_report_stat("MK:0000"), CauseClass::Unknown);
        assert_eq!(class_of_report_stat("MB:0008"), CauseClass::Carrier);
        assert_eq!(class_of_report_stat("DB:0141"), CauseClass::Sp);
        assert_eq!(class_of_report_stat("DB:0100"), CauseClass::User);
        assert_eq!(class_of_report_stat("CB:0007"), CauseClass::User);
        assert_eq!(class_of_report_stat("CB:0100"), CauseClass::Unknown);
        assert_eq!(class_of_report_stat("ID:0076"), CauseClass::Carrier);
        assert_eq!(class_of_report_stat("AF:4"), CauseClass::Unknown);
        assert_eq!(class_of_report_stat("REJECTD"), CauseClass::Carrier);
    }
}
