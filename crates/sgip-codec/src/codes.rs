//! Code tables: Result / ErrorCode (spec S12 §5.2 with the S13 additions), Report State,
//! and the protocol-neutral [`CauseClass`] each code maps to.

use std::fmt;

/// Who a delivery outcome is attributed to, independent of the protocol (the same five
/// classes as the records crate's `CauseClass`; codecs do not depend on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CauseClass {
    /// Delivered, or the request was accepted.
    Delivered,
    /// The operator's network or gateway (SMG, SMSC, routing) failed.
    Carrier,
    /// The subscriber side: handset off or full, unknown number, device trouble.
    User,
    /// The SP's own request or policy: bad login or fields, rate limits, subscription rules.
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

/// Result of a response, or ErrorCode of a Report: one byte, 0 = OK.
///
/// The meanings are SGIP's own; a peer that copies CMPP habits (e.g. 8 for flow control) is
/// still read with the SGIP table (8 = message length error), because the wire value is all
/// this codec can know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResultCode(pub u8);

impl ResultCode {
    /// 0: OK.
    pub const OK: Self = ResultCode(0);

    /// True for 0.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// True for the codes that mean "slow down and resend": 33 (flow limit in this second,
    /// S13), 88 (vendor flow control) and 11 (node busy).
    pub const fn is_throttle(self) -> bool {
        matches!(self.0, 11 | 33 | 88)
    }

    /// Meaning from the spec tables (S12, with S13 and the vendor list where S12 is silent).
    pub const fn meaning(self) -> &'static str {
        match self.0 {
            0 => "OK",
            1 => "illegal login",
            2 => "repeated login on the same link",
            3 => "too many connections",
            4 => "wrong LoginType",
            5 => "parameter format error",
            6 => "illegal phone number",
            7 => "message id (command id) error",
            8 => "message length error",
            9 => "illegal sequence number",
            10 => "illegal GNS operation",
            11 => "node busy",
            13 => "service code not registered",
            14 => "wrong fee type or fee",
            17 => "LinkID mismatch",
            18 => "user not subscribed",
            19 => "group send not allowed",
            21 => "destination unreachable",
            22 => "routing error",
            23 => "route does not exist",
            24 => "charge number invalid",
            25 => "user cannot be reached",
            26 => "handset memory full",
            27 => "handset does not support SMS",
            28 => "handset error receiving SMS",
            29 => "unknown user",
            30 => "function not provided",
            31 => "illegal device",
            32 => "system failure / packet format error",
            33 => "flow limit exceeded (SMSC queue full)",
            34 => "logins too frequent",
            38 => "too many MTs for one LinkID",
            39 => "third-party charging not allowed",
            40 => "MorelatetoMTFlag 3 not allowed",
            43 => "unknown web keyword",
            44 => "notification intercepted",
            54 => "no response (check TP_udhi)",
            88 => "flow control",
            93 => "wrong SP node id",
            94 => "no account configured",
            95 => "monthly-fee MT not allowed now",
            _ => "other error",
        }
    }

    /// Neutral failure class; the table is in `docs/sgip.md`.
    pub const fn cause_class(self) -> CauseClass {
        match self.0 {
            0 => CauseClass::Delivered,
            1..=9 | 13 | 14 | 17..=19 | 24 | 33 | 34 | 38..=40 | 43 | 44 | 54 | 88 | 93..=95 => {
                CauseClass::Sp
            }
            10 | 11 | 21..=23 | 30 | 32 => CauseClass::Carrier,
            25..=29 | 31 => CauseClass::User,
            _ => CauseClass::Unknown,
        }
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.meaning())
    }
}

/// Report State (§3.6): 0 delivered, 1 waiting (not final), 2 failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportState {
    /// 0: delivered to the handset.
    Delivered,
    /// 1: waiting (ENROUTE/ACCEPTED); a final report follows.
    Waiting,
    /// 2: failed; ErrorCode says why.
    Failed,
    /// Any other value, kept verbatim.
    Other(u8),
}

impl ReportState {
    /// The value for a wire byte.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => ReportState::Delivered,
            1 => ReportState::Waiting,
            2 => ReportState::Failed,
            v => ReportState::Other(v),
        }
    }

    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            ReportState::Delivered => 0,
            ReportState::Waiting => 1,
            ReportState::Failed => 2,
            ReportState::Other(v) => v,
        }
    }

    /// True for final states (everything but Waiting).
    pub const fn is_final(self) -> bool {
        !matches!(self, ReportState::Waiting)
    }
}

/// Neutral class of a Report: Delivered for State 0, the ErrorCode's class for State 2,
/// Unknown otherwise (State 1 is not final; an unknown State cannot be attributed).
pub const fn report_cause_class(state: ReportState, error_code: ResultCode) -> CauseClass {
    match state {
        ReportState::Delivered => CauseClass::Delivered,
        ReportState::Failed => match error_code.cause_class() {
            // "Failed" with ErrorCode 0 says nothing about who failed.
            CauseClass::Delivered => CauseClass::Unknown,
            c => c,
        },
        ReportState::Waiting | ReportState::Other(_) => CauseClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_documented_table() {
        let class = |c| ResultCode(c).cause_class();
        assert_eq!(class(0), CauseClass::Delivered);
        assert_eq!(class(1), CauseClass::Sp);
        assert_eq!(class(6), CauseClass::Sp);
        assert_eq!(class(11), CauseClass::Carrier);
        assert_eq!(class(21), CauseClass::Carrier);
        assert_eq!(class(23), CauseClass::Carrier);
        assert_eq!(class(25), CauseClass::User);
        assert_eq!(class(29), CauseClass::User);
        assert_eq!(class(32), CauseClass::Carrier);
        assert_eq!(class(33), CauseClass::Sp);
        assert_eq!(class(88), CauseClass::Sp);
        assert_eq!(class(200), CauseClass::Unknown);
        // 41 and 42 lie between S13's policy codes but no table defines them.
        assert_eq!(class(40), CauseClass::Sp);
        assert_eq!(class(41), CauseClass::Unknown);
        assert_eq!(class(42), CauseClass::Unknown);
        assert_eq!(class(43), CauseClass::Sp);
    }

    #[test]
    fn only_codes_with_a_meaning_have_a_class() {
        for c in 1..=255u8 {
            let code = ResultCode(c);
            if code.meaning() == "other error" {
                assert_eq!(code.cause_class(), CauseClass::Unknown, "code {c}");
            } else {
                assert_ne!(code.cause_class(), CauseClass::Unknown, "code {c}");
            }
        }
    }

    #[test]
    fn throttle_codes_are_33_88_and_node_busy() {
        let throttles: Vec<u8> = (0..=255).filter(|&c| ResultCode(c).is_throttle()).collect();
        assert_eq!(throttles, vec![11, 33, 88]);
    }

    #[test]
    fn cmpp_meanings_do_not_leak_into_sgip() {
        // Quirk 15: a simulator answering flow control with 8 means "length error" in SGIP.
        assert_eq!(ResultCode(8).meaning(), "message length error");
        assert!(!ResultCode(8).is_throttle());
        assert_eq!(
            ResultCode(7).to_string(),
            "7 (message id (command id) error)"
        );
    }

    #[test]
    fn report_classes() {
        use ReportState::*;
        assert_eq!(
            report_cause_class(Delivered, ResultCode(0)),
            CauseClass::Delivered
        );
        assert_eq!(report_cause_class(Failed, ResultCode(26)), CauseClass::User);
        assert_eq!(
            report_cause_class(Failed, ResultCode(21)),
            CauseClass::Carrier
        );
        assert_eq!(
            report_cause_class(Failed, ResultCode(0)),
            CauseClass::Unknown
        );
        assert_eq!(
            report_cause_class(Waiting, ResultCode(0)),
            CauseClass::Unknown
        );
        assert!(!Waiting.is_final());
        for v in 0..=255 {
            assert_eq!(ReportState::from_u8(v).to_u8(), v);
        }
    }
}
