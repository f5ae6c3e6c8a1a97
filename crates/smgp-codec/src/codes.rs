//! Code tables: Status (§5.1), report Stat (§5.2) and Err (§5.3), and the protocol-neutral
//! [`CauseClass`] each maps to.

use std::fmt;

use crate::text::Text;

/// Who a delivery outcome is attributed to, independent of the protocol (the same five
/// classes as the records crate's `CauseClass`; codecs do not depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CauseClass {
    /// Delivered, or the request was accepted.
    Delivered,
    /// The operator's network or gateway failed.
    Carrier,
    /// The subscriber side: unreachable, busy, memory full, illegal user.
    User,
    /// The SP's own request or policy: bad fields, login, quotas, blacklist.
    Sp,
    /// Not attributable from the code.
    Unknown,
}

impl CauseClass {
    /// Lowercase name: `delivered|carrier|user|sp|unknown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CauseClass::Delivered => "delivered",
            CauseClass::Carrier => "carrier",
            CauseClass::User => "user",
            CauseClass::Sp => "sp",
            CauseClass::Unknown => "unknown",
        }
    }
}

impl fmt::Display for CauseClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of Login_Resp, Submit_Resp, Deliver_Resp (u32, 0 = success).
///
/// Any non-zero Login status is a failure, whatever table the gateway follows (some answer a
/// bad password with CMPP's 3 instead of 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Status(pub u32);

impl Status {
    /// 0: success.
    pub const OK: Self = Status(0);

    /// True for 0.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// True for 1 (system busy, retry later) — the only code that asks for a resend. SMGP has
    /// no throttle code; 74/75 (outside allowed hours, daily quota) must not be retried today.
    pub const fn is_retry_later(self) -> bool {
        self.0 == 1
    }

    /// Meaning from the spec table.
    pub const fn meaning(self) -> &'static str {
        match self.0 {
            0 => "success",
            1 => "system busy",
            2 => "max connections exceeded",
            10 => "message structure error",
            11 => "command (RequestID) error",
            12 => "duplicate sequence number",
            20 => "IP address error",
            21 => "authentication error",
            22 => "version too high",
            30 => "illegal MsgType",
            31 => "illegal Priority",
            32 => "illegal FeeType",
            33 => "illegal FeeCode",
            34 => "illegal MsgFormat",
            35 => "illegal time format",
            36 => "illegal MsgLength",
            37 => "validity period expired",
            38 => "illegal QueryType",
            39 => "routing error",
            40 => "illegal FixedFee",
            41 => "illegal UpdateType",
            42 => "illegal RouteId",
            43 => "illegal ServiceId",
            44 => "illegal ValidTime",
            45 => "illegal AtTime",
            46 => "illegal SrcTermId",
            47 => "illegal DestTermId",
            48 => "illegal ChargeTermId",
            49 => "illegal SP service code",
            56 => "illegal SrcGatewayID",
            57 => "illegal QueryTermID",
            58 => "no matching route",
            59 => "illegal SPType",
            60 => "illegal LastRouteID",
            61 => "illegal RouteType",
            62 => "illegal DestGatewayID",
            63 => "illegal DestGatewayIP",
            64 => "illegal DestGatewayPort",
            65 => "illegal TermRangeID",
            66 => "illegal ProvinceCode",
            67 => "illegal UserType",
            68 => "node does not support route update",
            69 => "illegal SPID",
            70 => "illegal SPAccessType",
            71 => "route update failed",
            72 => "illegal Time",
            73 => "illegal MServiceID",
            74 => "SP sending outside allowed hours",
            75 => "SP daily volume exceeded",
            76 => "SP account expired",
            128..=255 => "vendor-defined",
            _ => "other error",
        }
    }

    /// Neutral failure class; the table is in `docs/smgp.md`.
    pub const fn cause_class(self) -> CauseClass {
        match self.0 {
            0 => CauseClass::Delivered,
            1 | 39 | 58 | 68 | 71 => CauseClass::Carrier,
            2 | 10..=12 | 20..=22 | 30..=38 | 40..=49 | 56 | 57 | 59..=67 | 69 | 70 | 72..=76 => {
                CauseClass::Sp
            }
            _ => CauseClass::Unknown,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.meaning())
    }
}

/// The Stat of a status report, as its standard value or the raw text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatKind {
    /// DELIVRD.
    Delivered,
    /// EXPIRED.
    Expired,
    /// DELETED.
    Deleted,
    /// UNDELIV.
    Undeliverable,
    /// ACCEPTD.
    Accepted,
    /// UNKNOWN.
    Unknown,
    /// REJECTD.
    Rejected,
    /// Anything else (RT:0148, BWLISTS, …): a failure; the raw text says more.
    Other,
}

/// A report's 7-character Stat, kept raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stat(pub Text<7>);

impl Stat {
    /// The standard value, or [`StatKind::Other`].
    pub fn kind(&self) -> StatKind {
        match self.0.as_bytes() {
            b"DELIVRD" => StatKind::Delivered,
            b"EXPIRED" => StatKind::Expired,
            b"DELETED" => StatKind::Deleted,
            b"UNDELIV" => StatKind::Undeliverable,
            b"ACCEPTD" => StatKind::Accepted,
            b"UNKNOWN" => StatKind::Unknown,
            b"REJECTD" => StatKind::Rejected,
            _ => StatKind::Other,
        }
    }

    /// True for DELIVRD.
    pub fn is_delivered(&self) -> bool {
        self.kind() == StatKind::Delivered
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Meaning and class of a report Err code (§5.3); `None` outside the table.
pub const fn err_meaning(err: u16) -> Option<(&'static str, CauseClass)> {
    Some(match err {
        0 => ("success", CauseClass::Delivered),
        1 => ("user cannot be reached", CauseClass::User),
        2 => ("user busy", CauseClass::User),
        3 => ("terminal lacks this component", CauseClass::User),
        4 => ("illegal user", CauseClass::User),
        5 => ("user on blacklist", CauseClass::Sp),
        6 => ("system error", CauseClass::Carrier),
        7 => ("handset memory full", CauseClass::User),
        8 => ("not a messaging terminal", CauseClass::User),
        9 => ("data error", CauseClass::Carrier),
        10 => ("data lost", CauseClass::Carrier),
        999 => ("unknown error", CauseClass::Unknown),
        _ => return None,
    })
}

/// Neutral class of a report: DELIVRD is Delivered; otherwise the Err code's class when the
/// table knows it, else the Stat's (EXPIRED, UNDELIV → User; DELETED, REJECTD → Carrier;
/// anything else Unknown).
pub fn report_cause_class(stat: &Stat, err: Option<u16>) -> CauseClass {
    let kind = stat.kind();
    if kind == StatKind::Delivered {
        return CauseClass::Delivered;
    }
    if let Some((_, class)) = err.and_then(err_meaning) {
        if class != CauseClass::Delivered {
            return class;
        }
    }
    match kind {
        StatKind::Expired | StatKind::Undeliverable => CauseClass::User,
        StatKind::Deleted | StatKind::Rejected => CauseClass::Carrier,
        StatKind::Accepted => CauseClass::Delivered,
        _ => CauseClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(s: &str) -> Stat {
        Stat(Text::new(s.as_bytes()).unwrap())
    }

    #[test]
    fn status_classes_and_retry() {
        assert_eq!(Status(0).cause_class(), CauseClass::Delivered);
        assert_eq!(Status(1).cause_class(), CauseClass::Carrier);
        assert!(Status(1).is_retry_later());
        assert!(!Status(75).is_retry_later());
        assert_eq!(Status(75).cause_class(), CauseClass::Sp);
        assert_eq!(Status(21).cause_class(), CauseClass::Sp);
        assert_eq!(Status(58).cause_class(), CauseClass::Carrier);
        assert_eq!(Status(200).cause_class(), CauseClass::Unknown);
        assert_eq!(Status(200).meaning(), "vendor-defined");
        // Quirk 8: a CMPP-style 3 is still a failure.
        assert!(!Status(3).is_ok());
        assert_eq!(Status(22).to_string(), "22 (version too high)");
    }

    #[test]
    fn report_classes() {
        assert_eq!(
            report_cause_class(&stat("DELIVRD"), Some(0)),
            CauseClass::Delivered
        );
        assert_eq!(
            report_cause_class(&stat("EXPIRED"), Some(1)),
            CauseClass::User
        );
        assert_eq!(
            report_cause_class(&stat("UNDELIV"), Some(6)),
            CauseClass::Carrier
        );
        assert_eq!(
            report_cause_class(&stat("UNDELIV"), Some(5)),
            CauseClass::Sp
        );
        assert_eq!(report_cause_class(&stat("UNDELIV"), None), CauseClass::User);
        assert_eq!(
            report_cause_class(&stat("REJECTD"), Some(123)),
            CauseClass::Carrier
        );
        assert_eq!(
            report_cause_class(&stat("RT:0148"), Some(148)),
            CauseClass::Unknown
        );
        assert_eq!(
            report_cause_class(&stat("BWLISTS"), Some(163)),
            CauseClass::Unknown
        );
        assert_eq!(stat("RT:0148").kind(), StatKind::Other);
    }
}
