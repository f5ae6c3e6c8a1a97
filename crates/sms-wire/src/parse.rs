//! nom 8 field parsers whose errors name the field.
//!
//! Every parser borrows its input (`&[u8] -> IResult`) and fails with a [`FieldError`] that
//! keeps the field's spec name and the input at the field's start, so a codec can turn it
//! into an error with the command, the field and the byte offset. What went wrong is the
//! codec's own type `P`, built through [`FieldProblem`]; this module never decides how a
//! codec words its errors.
//!
//! A codec gets concrete, non-generic copies of these parsers for its own problem type with
//! [`field_parsers!`](crate::field_parsers), so its public `parse` module reads as before.
//!
//! ```
//! use sms_wire::parse::{self, FieldProblem, PResult};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, Eq)]
//! enum Problem {
//!     Truncated { needed: usize, remaining: usize },
//!     Trailing { extra: usize },
//! }
//!
//! impl FieldProblem for Problem {
//!     fn truncated(needed: usize, remaining: usize) -> Self {
//!         Problem::Truncated { needed, remaining }
//!     }
//!     fn trailing_bytes(extra: usize) -> Self {
//!         Problem::Trailing { extra }
//!     }
//! }
//!
//! fn version_and_id(i: &[u8]) -> PResult<'_, (u8, u32), Problem> {
//!     let (i, version) = parse::u8_field(i, "Version")?;
//!     let (i, id) = parse::u32_field(i, "ID")?;
//!     let (i, ()) = parse::end(i)?;
//!     Ok((i, (version, id)))
//! }
//!
//! assert_eq!(version_and_id(&[0x30, 0, 0, 0, 7]).unwrap().1, (0x30, 7));
//! let nom::Err::Error(e) = version_and_id(&[0x30, 0, 0]).unwrap_err() else { unreachable!() };
//! assert_eq!(e.field, "ID");
//! assert_eq!(e.problem, Problem::Truncated { needed: 4, remaining: 2 });
//! ```

use bytes::Bytes;
use nom::IResult;

use crate::text::Text;

/// The problems every field parser can report, built in the codec's own error type.
pub trait FieldProblem: Sized {
    /// The field needs `needed` bytes but only `remaining` are left.
    fn truncated(needed: usize, remaining: usize) -> Self;
    /// `extra` bytes are left after the last field.
    fn trailing_bytes(extra: usize) -> Self;
}

/// A parse failure inside a body: the field, where it starts (as the remaining input), why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError<'a, P> {
    /// The input at the start of the failing field.
    pub rest: &'a [u8],
    /// Spec field name.
    pub field: &'static str,
    /// What was wrong.
    pub problem: P,
}

impl<'a, P: FieldProblem> nom::error::ParseError<&'a [u8]> for FieldError<'a, P> {
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        FieldError {
            rest: input,
            field: "body",
            problem: P::truncated(input.len() + 1, input.len()),
        }
    }

    fn append(_input: &'a [u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Result of every parser in this module, with the codec's problem type `P`.
pub type PResult<'a, O, P> = IResult<&'a [u8], O, FieldError<'a, P>>;

/// A failure of `field` at `at` for `problem`.
#[cold]
pub fn fail<'a, T, P>(at: &'a [u8], field: &'static str, problem: P) -> PResult<'a, T, P> {
    Err(nom::Err::Error(FieldError {
        rest: at,
        field,
        problem,
    }))
}

/// `field` needs `needed` bytes at `at`, which holds fewer.
#[cold]
pub fn truncated<'a, P: FieldProblem>(
    at: &'a [u8],
    field: &'static str,
    needed: usize,
) -> nom::Err<FieldError<'a, P>> {
    nom::Err::Error(FieldError {
        rest: at,
        field,
        problem: P::truncated(needed, at.len()),
    })
}

/// A one-byte unsigned field.
#[inline(always)]
pub fn u8_field<'a, P: FieldProblem>(i: &'a [u8], field: &'static str) -> PResult<'a, u8, P> {
    match i.split_first() {
        Some((&b, rest)) => Ok((rest, b)),
        None => Err(truncated(i, field, 1)),
    }
}

/// A four-byte big-endian unsigned field.
#[inline(always)]
pub fn u32_field<'a, P: FieldProblem>(i: &'a [u8], field: &'static str) -> PResult<'a, u32, P> {
    match i.split_first_chunk::<4>() {
        Some((b, rest)) => Ok((rest, u32::from_be_bytes(*b))),
        None => Err(truncated(i, field, 4)),
    }
}

/// `n` raw bytes.
#[inline(always)]
pub fn bytes_field<'a, P: FieldProblem>(
    i: &'a [u8],
    field: &'static str,
    n: usize,
) -> PResult<'a, &'a [u8], P> {
    match i.split_at_checked(n) {
        Some((b, rest)) => Ok((rest, b)),
        None => Err(truncated(i, field, n)),
    }
}

/// A fixed array of `K` raw bytes (authenticators, ids).
#[inline(always)]
pub fn array<'a, const K: usize, P: FieldProblem>(
    i: &'a [u8],
    field: &'static str,
) -> PResult<'a, [u8; K], P> {
    match i.split_first_chunk::<K>() {
        Some((a, rest)) => Ok((rest, *a)),
        None => Err(truncated(i, field, K)),
    }
}

/// A text field of `N` bytes. The width is a constant, so the copy and the NUL search
/// compile to straight-line code.
#[inline(always)]
pub fn text<'a, const N: usize, P: FieldProblem>(
    i: &'a [u8],
    field: &'static str,
) -> PResult<'a, Text<N>, P> {
    match i.split_first_chunk::<N>() {
        Some((raw, rest)) => Ok((rest, Text::from_array(raw))),
        None => Err(truncated(i, field, N)),
    }
}

/// Succeeds only at the end of the input.
#[inline]
pub fn end<P: FieldProblem>(i: &[u8]) -> PResult<'_, (), P> {
    if i.is_empty() {
        Ok((i, ()))
    } else {
        fail(i, "end of body", P::trailing_bytes(i.len()))
    }
}

/// Content bytes as [`Bytes`]: a shared slice of `frame` when `sub` lies inside it (zero
/// copy), else a copy.
#[inline]
pub fn share(frame: Option<&Bytes>, sub: &[u8]) -> Bytes {
    if let Some(frame) = frame {
        let start = (sub.as_ptr() as usize).wrapping_sub(frame.as_ptr() as usize);
        if start <= frame.len() && sub.len() <= frame.len() - start {
            return frame.slice(start..start + sub.len());
        }
    }
    Bytes::copy_from_slice(sub)
}

/// Defines, in the calling module, a codec's concrete field parsers for its problem type:
/// the aliases `FieldError<'a>` and `PResult<'a, O>`, the public parsers `u8_field`,
/// `u32_field`, `bytes_field`, `array`, `text` and `end`, and the crate-private helpers
/// `fail`, `truncated` and `share`.
///
/// Why a macro: the generic parsers cannot be re-exported for one problem type, and a caller
/// who writes `parse::u8_field(b, "Version")` outside a parser has nothing to infer it from.
/// The bodies stay here; the codec gets one-line forwarding functions with its own types.
#[macro_export]
macro_rules! field_parsers {
    ($problem:ty) => {
        /// A parse failure inside a body: the field, where it starts (as the remaining
        /// input), why.
        pub type FieldError<'a> = $crate::parse::FieldError<'a, $problem>;

        /// Result of every parser in this module.
        pub type PResult<'a, O> = $crate::parse::PResult<'a, O, $problem>;

        #[allow(unused_imports)]
        pub(crate) use $crate::parse::{fail, share, truncated};

        /// A one-byte unsigned field.
        #[inline(always)]
        pub fn u8_field<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u8> {
            $crate::parse::u8_field(i, field)
        }

        /// A four-byte big-endian unsigned field.
        #[inline(always)]
        pub fn u32_field<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u32> {
            $crate::parse::u32_field(i, field)
        }

        /// `n` raw bytes.
        #[inline(always)]
        pub fn bytes_field<'a>(
            i: &'a [u8],
            field: &'static str,
            n: usize,
        ) -> PResult<'a, &'a [u8]> {
            $crate::parse::bytes_field(i, field, n)
        }

        /// A fixed array of `K` raw bytes (authenticators, ids).
        #[inline(always)]
        pub fn array<'a, const K: usize>(i: &'a [u8], field: &'static str) -> PResult<'a, [u8; K]> {
            $crate::parse::array(i, field)
        }

        /// A text field of `N` bytes, read up to its first NUL.
        #[inline(always)]
        pub fn text<'a, const N: usize>(
            i: &'a [u8],
            field: &'static str,
        ) -> PResult<'a, $crate::Text<N>> {
            $crate::parse::text(i, field)
        }

        /// Succeeds only at the end of the input.
        #[inline]
        pub fn end(i: &[u8]) -> PResult<'_, ()> {
            $crate::parse::end(i)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Problem {
        Truncated { needed: usize, remaining: usize },
        Trailing { extra: usize },
    }

    impl FieldProblem for Problem {
        fn truncated(needed: usize, remaining: usize) -> Self {
            Problem::Truncated { needed, remaining }
        }
        fn trailing_bytes(extra: usize) -> Self {
            Problem::Trailing { extra }
        }
    }

    fn error<T: std::fmt::Debug>(r: PResult<'_, T, Problem>) -> FieldError<'_, Problem> {
        match r.unwrap_err() {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => panic!("incomplete"),
        }
    }

    #[test]
    fn every_parser_names_its_field_and_keeps_the_input_at_it() {
        let input = [1u8, 2, 3];
        let e = error(u32_field::<Problem>(&input, "ID"));
        assert_eq!((e.field, e.rest), ("ID", &input[..]));
        assert_eq!(
            e.problem,
            Problem::Truncated {
                needed: 4,
                remaining: 3
            }
        );
        let e = error(u8_field::<Problem>(&[], "Version"));
        assert_eq!(e.field, "Version");
        let e = error(bytes_field::<Problem>(&input, "Content", 5));
        assert_eq!(
            e.problem,
            Problem::Truncated {
                needed: 5,
                remaining: 3
            }
        );
        let e = error(array::<16, Problem>(&input, "Authenticator"));
        assert_eq!(e.field, "Authenticator");
        let e = error(text::<21, Problem>(&input, "DestTermID"));
        assert_eq!(
            e.problem,
            Problem::Truncated {
                needed: 21,
                remaining: 3
            }
        );
    }

    #[test]
    fn parsers_consume_exactly_their_width() {
        let input = [7u8, 0, 0, 1, 0, b'h', b'i', 0, 9];
        let (rest, v) = u8_field::<Problem>(&input, "a").unwrap();
        assert_eq!(v, 7);
        let (rest, v) = u32_field::<Problem>(rest, "b").unwrap();
        assert_eq!(v, 256);
        let (rest, t) = text::<3, Problem>(rest, "c").unwrap();
        assert_eq!(t, "hi");
        let (rest, a) = array::<1, Problem>(rest, "d").unwrap();
        assert_eq!(a, [9]);
        assert_eq!(end::<Problem>(rest), Ok((rest, ())));
    }

    #[test]
    fn end_reports_the_bytes_left_over() {
        let e = error(end::<Problem>(&[1, 2]));
        assert_eq!(e.field, "end of body");
        assert_eq!(e.problem, Problem::Trailing { extra: 2 });
    }

    #[test]
    fn nom_combinator_failures_become_truncation_of_the_body() {
        use nom::error::{ErrorKind, ParseError};
        let e = FieldError::<Problem>::from_error_kind(&[1, 2], ErrorKind::Eof);
        assert_eq!(e.field, "body");
        assert_eq!(
            e.problem,
            Problem::Truncated {
                needed: 3,
                remaining: 2
            }
        );
    }

    #[test]
    fn share_slices_inside_and_copies_outside() {
        let frame = Bytes::from_static(b"hello world");
        let inner = &frame[6..];
        let shared = share(Some(&frame), inner);
        assert_eq!(shared, "world");
        assert_eq!(shared.as_ptr(), inner.as_ptr());
        assert_eq!(share(Some(&frame), b"elsewhere"), "elsewhere");
        assert_eq!(share(None, b"x"), "x");
    }
}
