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

use bytes::Bytes;
use nom::IResult;

use crate::error::DecodeProblem;
use crate::seq::SequenceNumber;
use crate::text::Text;

pub use crate::pdu::bind::bind;
pub use crate::pdu::deliver::deliver;
pub use crate::pdu::report::report;
pub use crate::pdu::resp::resp;
pub use crate::pdu::submit::submit;
pub use crate::pdu::trace::{trace, trace_resp};
pub use crate::pdu::user_rpt::user_rpt;

/// A parse failure inside a body: the field, where it starts (as the remaining input), why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError<'a> {
    /// The input at the start of the failing field.
    pub rest: &'a [u8],
    /// Spec field name.
    pub field: &'static str,
    /// What was wrong.
    pub problem: DecodeProblem,
}

impl<'a> nom::error::ParseError<&'a [u8]> for FieldError<'a> {
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        FieldError {
            rest: input,
            field: "body",
            problem: DecodeProblem::Truncated {
                needed: input.len() + 1,
                remaining: input.len(),
            },
        }
    }

    fn append(_input: &'a [u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Result of every parser in this module.
pub type PResult<'a, O> = IResult<&'a [u8], O, FieldError<'a>>;

/// A failure of `field` at `at` for `problem`.
#[cold]
pub(crate) fn fail<'a, T>(
    at: &'a [u8],
    field: &'static str,
    problem: DecodeProblem,
) -> PResult<'a, T> {
    Err(nom::Err::Error(FieldError {
        rest: at,
        field,
        problem,
    }))
}

#[cold]
fn truncated<'a>(at: &'a [u8], field: &'static str, needed: usize) -> nom::Err<FieldError<'a>> {
    nom::Err::Error(FieldError {
        rest: at,
        field,
        problem: DecodeProblem::Truncated {
            needed,
            remaining: at.len(),
        },
    })
}

/// A one-byte unsigned field.
#[inline(always)]
pub fn u8_field<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u8> {
    match i.split_first() {
        Some((&b, rest)) => Ok((rest, b)),
        None => Err(truncated(i, field, 1)),
    }
}

/// A four-byte big-endian unsigned field.
#[inline(always)]
pub fn u32_field<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u32> {
    match i.split_first_chunk::<4>() {
        Some((b, rest)) => Ok((rest, u32::from_be_bytes(*b))),
        None => Err(truncated(i, field, 4)),
    }
}

/// `n` raw bytes.
#[inline(always)]
pub fn bytes_field<'a>(i: &'a [u8], field: &'static str, n: usize) -> PResult<'a, &'a [u8]> {
    match i.split_at_checked(n) {
        Some((b, rest)) => Ok((rest, b)),
        None => Err(truncated(i, field, n)),
    }
}

/// A ``text[N]`` field of `N` bytes. The width is a constant, so the copy and the NUL search
/// compile to straight-line code.
#[inline(always)]
pub fn text<'a, const N: usize>(i: &'a [u8], field: &'static str) -> PResult<'a, Text<N>> {
    match i.split_first_chunk::<N>() {
        Some((raw, rest)) => Ok((rest, Text::from_array(raw))),
        None => Err(truncated(i, field, N)),
    }
}

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

/// Succeeds only at the end of the input.
#[inline]
pub fn end(i: &[u8]) -> PResult<'_, ()> {
    if i.is_empty() {
        Ok((i, ()))
    } else {
        fail(
            i,
            "end of body",
            DecodeProblem::TrailingBytes { extra: i.len() },
        )
    }
}

/// Content bytes as [`Bytes`]: a shared slice of `frame` when `sub` lies inside it, else a
/// copy.
#[inline]
pub(crate) fn share(frame: Option<&Bytes>, sub: &[u8]) -> Bytes {
    if let Some(frame) = frame {
        let start = (sub.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
        if start <= frame.len() && sub.len() <= frame.len() - start {
            return frame.slice(start..start + sub.len());
        }
    }
    Bytes::copy_from_slice(sub)
}

#[cfg(test)]
mod tests {
    use super::*;

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
