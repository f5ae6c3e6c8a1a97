//! Checks on a received SUBMIT and the SUBMIT_RESP Result each failure answers with
//! (spec §6.2). Pure functions: the gateway answers with them, and an SP can run the same
//! checks before sending.

use cmpp_codec::{DecodeError, DecodeProblem, Submit};

/// Result 1: message structure error.
pub const RESULT_STRUCTURE: u32 = 1;
/// Result 4: message length error.
pub const RESULT_LENGTH: u32 = 4;
/// Result 6: content over the maximum message length.
pub const RESULT_TOO_LONG: u32 = 6;
/// Result 13: Dest_terminal_Id error (3.0 / 2.1; "other" on 2.0).
pub const RESULT_DEST: u32 = 13;

/// Most recipients of one SUBMIT (DestUsr_tl ≤ 100).
pub const MAX_DESTINATIONS: usize = 100;

/// How strictly a gateway judges a SUBMIT that decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubmitChecks {
    /// Apply the semantic checks (destinations, Pk_*, content length). Off only for
    /// quirk tests against the simulator.
    pub semantic: bool,
    /// Extra bytes after the SUBMIT body that are tolerated (real SPs append a LinkID
    /// or Reserve of another version, up to 32 bytes); more is Result 4.
    pub tolerated_tail: usize,
}

impl Default for SubmitChecks {
    fn default() -> Self {
        SubmitChecks {
            semantic: true,
            tolerated_tail: 32,
        }
    }
}

impl SubmitChecks {
    /// Accepts anything that decodes, whatever follows it.
    pub const fn lenient() -> Self {
        SubmitChecks {
            semantic: false,
            tolerated_tail: usize::MAX,
        }
    }
}

/// Why a SUBMIT is refused, with the Result code it is answered with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitFault {
    /// The body does not parse.
    #[error("malformed SUBMIT: {0}")]
    Malformed(DecodeError),
    /// DestUsr_tl is 0 or above 100.
    #[error("DestUsr_tl is {0}; must be 1 to 100")]
    DestinationCount(usize),
    /// Pk_number outside 1..=Pk_total.
    #[error("Pk_number {number} is outside 1..={total}")]
    PkNumber {
        /// Pk_number.
        number: u8,
        /// Pk_total.
        total: u8,
    },
    /// A Dest_terminal_Id that is not a phone number.
    #[error("Dest_terminal_Id '{0}' is not a phone number")]
    BadDestination(String),
    /// Msg_Length above the limit of the Msg_Fmt.
    #[error("Msg_Length {len} is above {max} for Msg_Fmt {fmt}")]
    ContentTooLong {
        /// Msg_Length.
        len: usize,
        /// Largest allowed.
        max: usize,
        /// The Msg_Fmt byte.
        fmt: u8,
    },
    /// More trailing bytes than tolerated.
    #[error("{extra} bytes after the SUBMIT body (at most {tolerated} tolerated)")]
    TrailingBytes {
        /// Bytes after the body.
        extra: usize,
        /// The tolerance.
        tolerated: usize,
    },
}

impl SubmitFault {
    /// The SUBMIT_RESP Result that answers this fault.
    pub fn result(&self) -> u32 {
        match self {
            SubmitFault::Malformed(e) => malformed_result(e),
            SubmitFault::DestinationCount(_) | SubmitFault::PkNumber { .. } => RESULT_STRUCTURE,
            SubmitFault::BadDestination(_) => RESULT_DEST,
            SubmitFault::ContentTooLong { .. } => RESULT_TOO_LONG,
            SubmitFault::TrailingBytes { .. } => RESULT_LENGTH,
        }
    }
}

/// Result for a SUBMIT whose body does not parse: 4 (message length error) when a length
/// is wrong (the body ends early, Msg_Length runs past it), 1 (structure error) otherwise
/// (DestUsr_tl declaring recipients that are not there, a field value out of range).
pub fn malformed_result(e: &DecodeError) -> u32 {
    match e.problem {
        DecodeProblem::Truncated { .. }
        | DecodeProblem::LengthMismatch { .. }
        | DecodeProblem::BadBodyLength { .. } => RESULT_LENGTH,
        DecodeProblem::DeclaredTooLong { .. } if e.field == "Msg_Length" => RESULT_LENGTH,
        _ => RESULT_STRUCTURE,
    }
}

/// True for a phone number: an optional leading '+', then 3 to 21 ASCII digits
/// (trailing spaces, which some SPs pad with, are ignored).
pub fn is_phone_number(raw: &[u8]) -> bool {
    let mut end = raw.len();
    while end > 0 && raw[end - 1] == b' ' {
        end -= 1;
    }
    let s = &raw[..end];
    let digits = s.strip_prefix(b"+").unwrap_or(s);
    (3..=21).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit)
}

/// Checks a decoded SUBMIT. `extra` is the number of bytes the frame carried after the
/// SUBMIT body.
pub fn check_submit(
    submit: &Submit,
    extra: usize,
    checks: &SubmitChecks,
) -> Result<(), SubmitFault> {
    if extra > checks.tolerated_tail {
        return Err(SubmitFault::TrailingBytes {
            extra,
            tolerated: checks.tolerated_tail,
        });
    }
    if !checks.semantic {
        return Ok(());
    }
    let count = submit.dest_terminal_ids.len();
    if count == 0 || count > MAX_DESTINATIONS {
        return Err(SubmitFault::DestinationCount(count));
    }
    if submit.pk_number == 0 || submit.pk_number > submit.pk_total {
        return Err(SubmitFault::PkNumber {
            number: submit.pk_number,
            total: submit.pk_total,
        });
    }
    if let Some(bad) = submit
        .dest_terminal_ids
        .iter()
        .find(|d| !is_phone_number(d.as_bytes()))
    {
        return Err(SubmitFault::BadDestination(bad.to_str_lossy().into_owned()));
    }
    let max = submit.msg_fmt.max_submit_len();
    if submit.msg_content.len() > max {
        return Err(SubmitFault::ContentTooLong {
            len: submit.msg_content.len(),
            max,
            fmt: submit.msg_fmt.to_byte(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use cmpp_codec::{MsgFmt, OctetString};

    fn valid() -> Submit {
        Submit {
            pk_total: 1,
            pk_number: 1,
            dest_terminal_ids: vec![OctetString::new(b"13800138000").unwrap()],
            msg_content: Bytes::from_static(b"hello"),
            ..Submit::default()
        }
    }

    #[test]
    fn valid_submit_passes() {
        assert_eq!(check_submit(&valid(), 0, &SubmitChecks::default()), Ok(()));
        assert_eq!(check_submit(&valid(), 20, &SubmitChecks::default()), Ok(()));
    }

    #[test]
    fn each_fault_has_its_result_code() {
        let c = SubmitChecks::default();
        let mut s = valid();
        s.dest_terminal_ids.clear();
        assert_eq!(check_submit(&s, 0, &c).unwrap_err().result(), 1);
        let mut s = valid();
        s.pk_number = 3;
        s.pk_total = 2;
        assert_eq!(check_submit(&s, 0, &c).unwrap_err().result(), 1);
        let mut s = valid();
        s.pk_number = 0;
        assert_eq!(check_submit(&s, 0, &c).unwrap_err().result(), 1);
        let mut s = valid();
        s.dest_terminal_ids = vec![OctetString::new(b"1380013800x").unwrap()];
        let e = check_submit(&s, 0, &c).unwrap_err();
        assert_eq!(e.result(), 13);
        assert!(e.to_string().contains("1380013800x"), "{e}");
        let mut s = valid();
        s.msg_content = Bytes::from(vec![b'a'; 255]);
        assert_eq!(check_submit(&s, 0, &c).unwrap_err().result(), 6);
        let mut s = valid();
        s.msg_fmt = MsgFmt::Ucs2;
        s.msg_content = Bytes::from(vec![0; 141]);
        assert_eq!(check_submit(&s, 0, &c).unwrap_err().result(), 6);
        let e = check_submit(&valid(), 3000, &c).unwrap_err();
        assert_eq!(e.result(), 4);
    }

    #[test]
    fn lenient_checks_accept_quirks() {
        let mut s = valid();
        s.dest_terminal_ids.clear();
        s.msg_content = Bytes::from(vec![b'a'; 255]);
        assert_eq!(check_submit(&s, 3000, &SubmitChecks::lenient()), Ok(()));
    }

    #[test]
    fn phone_numbers() {
        assert!(is_phone_number(b"13800138000"));
        assert!(is_phone_number(b"+8613800138000"));
        assert!(is_phone_number(b"8613800138000  "));
        assert!(!is_phone_number(b""));
        assert!(!is_phone_number(b"12"));
        assert!(!is_phone_number(b"abc13800138000"));
        assert!(!is_phone_number(b"+"));
        assert!(!is_phone_number(&[b'1'; 22]));
    }
}
