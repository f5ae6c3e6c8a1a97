//! nom 8 parsers for SGIP: the field combinators and one parser per message body.
//!
//! Every parser borrows its input (`&[u8] -> IResult`) and reports failures as a
//! [`FieldError`] that names the field and keeps the input at the field's start; the crate's
//! [`crate::decode`] turns that into a [`crate::DecodeError`] with the byte offset. Body
//! parsers expect exactly the bytes after the 20-byte header. Parsers that return message
//! content copy it; [`crate::decode`] instead shares the frame's buffer (zero-copy).
//!
//! ```
//! use sgip_codec::parse;
//!
//! let body = [0u8, 0, 0, 0, 0, 0, 0, 0, 0]; // Result 0, Reserve empty
//! let (rest, resp) = parse::resp(&body).unwrap();
//! assert!(rest.is_empty());
//! assert!(resp.result.is_ok());
//! ```

use crate::error::DecodeProblem;
use crate::seq::SequenceNumber;

pub use crate::pdu::bind::bind;
pub use crate::pdu::deliver::deliver;
pub use crate::pdu::report::report;
pub use crate::pdu::resp::resp;
pub use crate::pdu::submit::submit;
pub use crate::pdu::trace::{trace, trace_resp};
pub use crate::pdu::user_rpt::user_rpt;

// FieldError, PResult and the field parsers u8_field … end, for this crate's DecodeProblem.
sms_wire::field_parsers!(DecodeProblem);

/// A 12-byte sequence number (node id, time, counter).
#[inline(always)]
pub fn sequence<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, SequenceNumber> {
    match i.split_first_chunk::<12>() {
        Some((raw, rest)) => Ok((rest, SequenceNumber::from_bytes(*raw))),
        None => Err(truncated(i, field, 12)),
    }
}

/// A u32 length followed by that many bytes (MessageLength + MessageContent). The length is
/// checked against the bytes present before anything is sliced, so a huge value cannot
/// cause an allocation.
#[inline(always)]
pub fn length_prefixed<'a>(
    i: &'a [u8],
    length_field: &'static str,
    content_field: &'static str,
) -> PResult<'a, &'a [u8]> {
    let (rest, len) = u32_field(i, length_field)?;
    match usize::try_from(len).ok().filter(|&n| n <= rest.len()) {
        Some(n) => bytes_field(rest, content_field, n),
        None => fail(
            i,
            length_field,
            DecodeProblem::DeclaredTooLong {
                declared: u64::from(len),
                remaining: rest.len(),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn truncated_field_names_itself() {
        let e = u32_field(&[1, 2], "MessageLength").unwrap_err();
        let nom::Err::Error(e) = e else { panic!() };
        assert_eq!(e.field, "MessageLength");
        assert_eq!(
            e.problem,
            DecodeProblem::Truncated {
                needed: 4,
                remaining: 2
            }
        );
    }

    #[test]
    fn huge_declared_length_fails_without_allocating() {
        let e = length_prefixed(
            &[0xff, 0xff, 0xff, 0xff, 1],
            "MessageLength",
            "MessageContent",
        )
        .unwrap_err();
        let nom::Err::Error(e) = e else { panic!() };
        assert_eq!(
            e.problem,
            DecodeProblem::DeclaredTooLong {
                declared: u64::from(u32::MAX),
                remaining: 1
            }
        );
    }

    #[test]
    fn share_slices_inside_and_copies_outside() {
        let frame = Bytes::from_static(b"hello world");
        let inner = &frame[6..];
        assert_eq!(share(Some(&frame), inner), "world");
        assert_eq!(share(Some(&frame), b"elsewhere"), "elsewhere");
        assert_eq!(share(None, b"x"), "x");
    }
}
