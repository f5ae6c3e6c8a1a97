//! Code tables: CONNECT_RESP Status, SUBMIT_RESP/DELIVER_RESP Result, status-report Stat,
//! and the protocol-neutral [`CauseClass`] each failure maps to.

use std::fmt;

/// Who a delivery outcome is attributed to, independent of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
#[non_exhaustive]
pub enum CauseClass {
    /// Delivered (or accepted) successfully.
    Delivered,
    /// The operator's network or gateway (SMSC, SCP, DSMP, ISMG) failed or refused.
    Carrier,
    /// The subscriber side: handset off, number empty/suspended, in arrears, memory full.
    User,
    /// The SP's own request or policy (bad fields, flow control, limits, blacklist).
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

/// Declares a u32 code enum with an `Other(u32)` fallback, round-tripping every value.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize))]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value outside the table, kept verbatim.
            Other(u32),
        }

        impl $name {
            /// The value for a wire number; never fails.
            pub const fn from_u32(v: u32) -> Self {
                match v {
                    $($value => $name::$variant,)*
                    other => $name::Other(other),
                }
            }

            /// The wire number.
            pub const fn to_u32(self) -> u32 {
                match self {
                    $($name::$variant => $value,)*
                    $name::Other(v) => v,
                }
            }

            /// Meaning from the spec table.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(_) => "other error",
                }
            }
        }

        impl From<u32> for $name {
            fn from(v: u32) -> Self {
                $name::from_u32(v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} ({})", self.to_u32(), self.meaning())
            }
        }
    };
}

code_enum! {
    /// CONNECT_RESP Status (spec §6.1); ≥ 5 is "other", commonly too many connections.
    ConnectStatus {
        /// 0: correct.
        Ok = 0 => "correct",
        /// 1: message structure error.
        BadStructure = 1 => "message structure error",
        /// 2: illegal source address (SP_Id, or source IP).
        IllegalSourceAddr = 2 => "illegal source address",
        /// 3: authentication error.
        AuthFailed = 3 => "authentication error",
        /// 4: version too high.
        VersionTooHigh = 4 => "version too high",
    }
}

impl ConnectStatus {
    /// True for Status 0.
    pub const fn is_ok(self) -> bool {
        matches!(self, ConnectStatus::Ok)
    }
}

code_enum! {
    /// SUBMIT_RESP Result (spec §6.2, 2.1/3.0 table; 2.0 calls 9+ "other").
    SubmitResult {
        /// 0: correct.
        Ok = 0 => "correct",
        /// 1: message structure error.
        BadStructure = 1 => "message structure error",
        /// 2: command word error.
        BadCommand = 2 => "command word error",
        /// 3: duplicate message sequence.
        DuplicateSequence = 3 => "duplicate message sequence",
        /// 4: message length error.
        BadLength = 4 => "message length error",
        /// 5: fee code error.
        BadFeeCode = 5 => "fee code error",
        /// 6: exceeds maximum message length.
        TooLong = 6 => "exceeds maximum message length",
        /// 7: service code (Service_Id) error.
        BadServiceId = 7 => "service code error",
        /// 8: flow control error (throttled); retry after a back-off.
        FlowControl = 8 => "flow control error",
        /// 9: gateway does not serve this charged number (2.0: other error).
        NumberNotServed = 9 => "gateway does not serve this charged number",
        /// 10: Src_Id error.
        BadSrcId = 10 => "Src_Id error",
        /// 11: Msg_src error.
        BadMsgSrc = 11 => "Msg_src error",
        /// 12: Fee_terminal_Id error.
        BadFeeTerminalId = 12 => "Fee_terminal_Id error",
        /// 13: Dest_terminal_Id error.
        BadDestTerminalId = 13 => "Dest_terminal_Id error",
    }
}

impl SubmitResult {
    /// True for Result 0.
    pub const fn is_ok(self) -> bool {
        matches!(self, SubmitResult::Ok)
    }

    /// True only for 8 (flow control): the same request may be re-sent after a back-off.
    pub const fn is_retryable(self) -> bool {
        matches!(self, SubmitResult::FlowControl)
    }

    /// Spec §6.2: 0 delivered to the gateway; 1–8 and 10–13 are faults in the SP's request or
    /// rate (Sp); 9 — the number is outside what this gateway serves, a network/routing matter
    /// the message content cannot fix (Carrier); anything else Unknown.
    pub const fn cause_class(self) -> CauseClass {
        match self {
            SubmitResult::Ok => CauseClass::Delivered,
            SubmitResult::NumberNotServed => CauseClass::Carrier,
            SubmitResult::Other(_) => CauseClass::Unknown,
            _ => CauseClass::Sp,
        }
    }
}

code_enum! {
    /// DELIVER_RESP Result (spec §6.3), sent by the SP.
    DeliverResult {
        /// 0: correct.
        Ok = 0 => "correct",
        /// 1: message structure error.
        BadStructure = 1 => "message structure error",
        /// 2: command word error.
        BadCommand = 2 => "command word error",
        /// 3: duplicate message sequence.
        DuplicateSequence = 3 => "duplicate message sequence",
        /// 4: message length error.
        BadLength = 4 => "message length error",
        /// 5: fee code error.
        BadFeeCode = 5 => "fee code error",
        /// 6: exceeds maximum message length.
        TooLong = 6 => "exceeds maximum message length",
        /// 7: service code error.
        BadServiceId = 7 => "service code error",
        /// 8: flow control error.
        FlowControl = 8 => "flow control error",
    }
}

impl DeliverResult {
    /// True for Result 0.
    pub const fn is_ok(self) -> bool {
        matches!(self, DeliverResult::Ok)
    }

    /// 0 Delivered; 1–8 are refusals by the SP (Sp); other values Unknown.
    pub const fn cause_class(self) -> CauseClass {
        match self {
            DeliverResult::Ok => CauseClass::Delivered,
            DeliverResult::Other(_) => CauseClass::Unknown,
            _ => CauseClass::Sp,
        }
    }
}

/// Status-report Stat: 7 bytes, always kept raw so the report re-encodes byte for byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stat {
    raw: [u8; 7],
}

/// The interpreted form of a [`Stat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum StatKind {
    /// DELIVRD: delivered to the handset.
    Delivered,
    /// EXPIRED: validity period expired.
    Expired,
    /// DELETED: message deleted.
    Deleted,
    /// UNDELIV: undeliverable.
    Undeliverable,
    /// ACCEPTD: accepted (intermediate state).
    Accepted,
    /// UNKNOWN: invalid state.
    Unknown,
    /// REJECTD: rejected.
    Rejected,
    /// `XX:nnnn`: two-letter network-element prefix and 4-digit code (e.g. MK:0005).
    Coded {
        /// Prefix letters, e.g. `*b"MK"`.
        prefix: [u8; 2],
        /// Code digits, e.g. `*b"0005"`.
        code: [u8; 4],
    },
    /// Anything else (e.g. vendor text "AF:4"); see [`Stat::raw`].
    Other,
}

impl Stat {
    /// DELIVRD.
    pub const DELIVRD: Stat = Stat { raw: *b"DELIVRD" };
    /// EXPIRED.
    pub const EXPIRED: Stat = Stat { raw: *b"EXPIRED" };
    /// DELETED.
    pub const DELETED: Stat = Stat { raw: *b"DELETED" };
    /// UNDELIV.
    pub const UNDELIV: Stat = Stat { raw: *b"UNDELIV" };
    /// ACCEPTD.
    pub const ACCEPTD: Stat = Stat { raw: *b"ACCEPTD" };
    /// UNKNOWN.
    pub const UNKNOWN: Stat = Stat { raw: *b"UNKNOWN" };
    /// REJECTD.
    pub const REJECTD: Stat = Stat { raw: *b"REJECTD" };

    /// The Stat with exactly these 7 wire bytes.
    pub const fn from_raw(raw: [u8; 7]) -> Self {
        Stat { raw }
    }

    /// Builds from text of at most 7 bytes, NUL-padded (e.g. "MK:0005", "AF:4").
    pub fn from_text(text: &str) -> Result<Self, crate::error::StringError> {
        let s = crate::fields::OctetString::<7>::try_from(text)?;
        let mut raw = [0u8; 7];
        raw[..s.len()].copy_from_slice(s.as_bytes());
        Ok(Stat { raw })
    }

    /// The 7 wire bytes as received.
    pub const fn raw(&self) -> [u8; 7] {
        self.raw
    }

    /// The text: bytes before the first NUL, trailing spaces removed, lossy UTF-8.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.trimmed())
    }

    fn trimmed(&self) -> &[u8] {
        let end = crate::fields::first_nul(&self.raw).unwrap_or(7);
        let mut s = &self.raw[..end];
        while let [rest @ .., b' '] = s {
            s = rest;
        }
        s
    }

    /// Interprets the text.
    pub fn kind(&self) -> StatKind {
        match self.trimmed() {
            b"DELIVRD" => StatKind::Delivered,
            b"EXPIRED" => StatKind::Expired,
            b"DELETED" => StatKind::Deleted,
            b"UNDELIV" => StatKind::Undeliverable,
            b"ACCEPTD" => StatKind::Accepted,
            b"UNKNOWN" => StatKind::Unknown,
            b"REJECTD" => StatKind::Rejected,
            [a, b, b':', c @ ..]
                if a.is_ascii_uppercase()
                    && b.is_ascii_uppercase()
                    && c.len() == 4
                    && c.iter().all(u8::is_ascii_digit) =>
            {
                StatKind::Coded {
                    prefix: [*a, *b],
                    code: [c[0], c[1], c[2], c[3]],
                }
            }
            _ => StatKind::Other,
        }
    }

    /// True for DELIVRD.
    pub fn is_delivered(&self) -> bool {
        self.kind() == StatKind::Delivered
    }

    /// Cause class (spec §6.5 and field tables):
    /// DELIVRD → Delivered; EXPIRED, UNDELIV → User; REJECTD → Carrier;
    /// MK/MI/MN:nnnn → User except MK:0000 (ambiguous) → Unknown;
    /// DB:0100/0102/0103 and CB:0001/0007/0053 → User; DB:0141–0143 (blacklist, MT limits) → Sp;
    /// MA/MB/MC/CA/DA/IA/IB/IC/ID → Carrier; SA/SB → Sp;
    /// DELETED, UNKNOWN, ACCEPTD, other DB/CB codes and anything else → Unknown.
    pub fn cause_class(&self) -> CauseClass {
        match self.kind() {
            StatKind::Delivered => CauseClass::Delivered,
            StatKind::Expired | StatKind::Undeliverable => CauseClass::User,
            StatKind::Rejected => CauseClass::Carrier,
            StatKind::Deleted | StatKind::Unknown | StatKind::Accepted | StatKind::Other => {
                CauseClass::Unknown
            }
            StatKind::Coded { prefix, code } => match (&prefix, &code) {
                (b"MK", b"0000") => CauseClass::Unknown,
                (b"MK" | b"MI" | b"MN", _) => CauseClass::User,
                (b"DB", b"0100" | b"0102" | b"0103") => CauseClass::User,
                (b"DB", b"0141" | b"0142" | b"0143") => CauseClass::Sp,
                (b"CB", b"0001" | b"0007" | b"0053") => CauseClass::User,
                (b"MA" | b"MB" | b"MC" | b"CA" | b"DA" | b"IA" | b"IB" | b"IC" | b"ID", _) => {
                    CauseClass::Carrier
                }
                (b"SA" | b"SB", _) => CauseClass::Sp,
                _ => CauseClass::Unknown,
            },
        }
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Stat({:?})", self.text())
    }
}

/// Serialised as its text.
#[cfg(feature = "serde")]
impl serde::Serialize for Stat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> CauseClass {
        Stat::from_text(text).unwrap().cause_class()
    }

    #[test]
    fn stat_kinds() {
        assert_eq!(Stat::DELIVRD.kind(), StatKind::Delivered);
        assert_eq!(
            Stat::from_text("UNDELIV").unwrap().kind(),
            StatKind::Undeliverable
        );
        assert_eq!(
            Stat::from_text("MK:0005").unwrap().kind(),
            StatKind::Coded {
                prefix: *b"MK",
                code: *b"0005"
            }
        );
        let af = Stat::from_text("AF:4").unwrap();
        assert_eq!(af.kind(), StatKind::Other);
        assert_eq!(af.raw(), *b"AF:4\0\0\0");
        assert_eq!(af.to_string(), "AF:4");
        assert_eq!(Stat::from_raw(*b"ID:0076").text(), "ID:0076");
        assert!(Stat::from_text("TOOLONG8").is_err());
    }

    #[test]
    fn stat_cause_classes() {
        assert_eq!(class("DELIVRD"), CauseClass::Delivered);
        assert_eq!(class("EXPIRED"), CauseClass::User);
        assert_eq!(class("UNDELIV"), CauseClass::User);
        assert_eq!(class("REJECTD"), CauseClass::Carrier);
        assert_eq!(class("DELETED"), CauseClass::Unknown);
        assert_eq!(class("UNKNOWN"), CauseClass::Unknown);
        assert_eq!(class("MK:0000"), CauseClass::Unknown);
        assert_eq!(class("MK:0001"), CauseClass::User);
        assert_eq!(class("MI:0024"), CauseClass::User);
        assert_eq!(class("MN:0001"), CauseClass::User);
        assert_eq!(class("DB:0100"), CauseClass::User);
        assert_eq!(class("DB:0103"), CauseClass::User);
        assert_eq!(class("DB:0142"), CauseClass::Sp);
        assert_eq!(class("DB:0999"), CauseClass::Unknown);
        assert_eq!(class("CB:0007"), CauseClass::User);
        assert_eq!(class("CB:0002"), CauseClass::Unknown);
        for p in ["MA", "MB", "MC", "CA", "DA", "IA", "IB", "IC", "ID"] {
            assert_eq!(class(&format!("{p}:0001")), CauseClass::Carrier, "{p}");
        }
        assert_eq!(class("SA:0001"), CauseClass::Sp);
        assert_eq!(class("SB:0001"), CauseClass::Sp);
        assert_eq!(class("AF:4"), CauseClass::Unknown);
    }

    #[test]
    fn submit_results() {
        for v in 0..20u32 {
            assert_eq!(SubmitResult::from_u32(v).to_u32(), v);
        }
        assert!(SubmitResult::from_u32(8).is_retryable());
        assert!(!SubmitResult::from_u32(3).is_retryable());
        assert_eq!(
            SubmitResult::from_u32(0).cause_class(),
            CauseClass::Delivered
        );
        assert_eq!(SubmitResult::from_u32(1).cause_class(), CauseClass::Sp);
        assert_eq!(SubmitResult::from_u32(8).cause_class(), CauseClass::Sp);
        assert_eq!(SubmitResult::from_u32(9).cause_class(), CauseClass::Carrier);
        assert_eq!(SubmitResult::from_u32(13).cause_class(), CauseClass::Sp);
        assert_eq!(
            SubmitResult::from_u32(14).cause_class(),
            CauseClass::Unknown
        );
        assert_eq!(
            SubmitResult::FlowControl.to_string(),
            "8 (flow control error)"
        );
    }

    #[test]
    fn deliver_and_connect_codes() {
        assert_eq!(DeliverResult::from_u32(9), DeliverResult::Other(9));
        assert_eq!(DeliverResult::from_u32(8).cause_class(), CauseClass::Sp);
        assert_eq!(ConnectStatus::from_u32(3), ConnectStatus::AuthFailed);
        assert_eq!(ConnectStatus::from_u32(5), ConnectStatus::Other(5));
        assert!(ConnectStatus::from_u32(0).is_ok());
        assert_eq!(CauseClass::Carrier.as_str(), "carrier");
    }
}
