//! nom 8 parsers for SMGP: the field combinators, the TLV tail and one parser per body.
//!
//! Every parser borrows its input (`&[u8] -> IResult`) and reports failures as a
//! [`FieldError`] that names the field (for TLVs: "TLV LinkID") and keeps the input at the
//! field's start; [`crate::decode`] turns that into a [`crate::DecodeError`] with the byte
//! offset. Body parsers expect exactly the bytes after the 12-byte header and are strict
//! about the TLV tail; [`crate::decode_lenient`] keeps the fixed part of a packet whose TLV
//! tail is broken. Parsers that return message content copy it; [`crate::decode`] shares
//! the frame's buffer instead.
//!
//! ```
//! use smgp_codec::{parse, tlv};
//!
//! // TP_udhi = 1, then an unknown tag 0x0014 (kept), in wire order.
//! let tail = [0, 2, 0, 1, 1, 0, 0x14, 0, 1, 9];
//! let (rest, tlvs) = parse::tlvs(&tail).unwrap();
//! assert!(rest.is_empty());
//! assert_eq!(tlvs.tp_udhi(), Some(1));
//! assert_eq!(tlvs.get(0x0014), Some(&[9u8][..]));
//!
//! // A TLV whose value runs past the end is named in the error.
//! let err = parse::tlvs(&[0, 9, 0, 5, 1]).unwrap_err();
//! let nom::Err::Error(e) = err else { unreachable!() };
//! assert_eq!(e.field, "TLV PkTotal");
//! ```

use bytes::Bytes;
use nom::number::complete::be_u16;

use crate::error::DecodeProblem;
use crate::msg_id::MsgId;
use crate::tlv::{tag_field_name, Tlv, Tlvs};

pub use crate::pdu::deliver::{deliver, deliver_resp};
pub use crate::pdu::login::{login, login_resp};
pub use crate::pdu::query::{query, query_resp};
pub use crate::pdu::submit::{submit, submit_resp};

// FieldError, PResult and the field parsers u8_field … end, for this crate's DecodeProblem.
sms_wire::field_parsers!(DecodeProblem);

/// A 10-byte MsgID.
#[inline(always)]
pub fn msg_id<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, MsgId> {
    let (rest, raw) = array::<10>(i, field)?;
    Ok((rest, MsgId(raw)))
}

/// A one-byte MsgLength followed by that many content bytes; the length is checked against
/// the bytes present.
#[inline]
pub fn length_prefixed(i: &[u8]) -> PResult<'_, &[u8]> {
    let (rest, len) = u8_field(i, "MsgLength")?;
    let len = usize::from(len);
    if len > rest.len() {
        return fail(
            i,
            "MsgLength",
            DecodeProblem::DeclaredTooLong {
                declared: len,
                remaining: rest.len(),
            },
        );
    }
    bytes_field(rest, "MsgContent", len)
}

/// One TLV: Tag u16, Length u16, Value. Any length is accepted (gateways disagree with the
/// spec's sizes); a header or value that runs past the input fails, naming the TLV.
pub fn tlv(i: &[u8]) -> PResult<'_, (u16, &[u8])> {
    let Ok((after_tag, tag)) = be_u16::<_, ()>(i) else {
        return Err(truncated(i, "TLV header", 4));
    };
    let name = tag_field_name(tag);
    let Ok((value_start, len)) = be_u16::<_, ()>(after_tag) else {
        return Err(truncated(i, name, 4));
    };
    let len = usize::from(len);
    match value_start.split_at_checked(len) {
        Some((value, rest)) => Ok((rest, (tag, value))),
        None => fail(
            i,
            name,
            DecodeProblem::DeclaredTooLong {
                declared: len,
                remaining: value_start.len(),
            },
        ),
    }
}

/// The TLV tail: TLVs up to the end of the input, in wire order (values copied).
pub fn tlvs(i: &[u8]) -> PResult<'_, Tlvs> {
    match tlv_tail(i, None) {
        (tlvs, None) => Ok((&i[i.len()..], tlvs)),
        (_, Some(e)) => Err(nom::Err::Error(e)),
    }
}

/// The TLVs before the first broken one, and the break if any. Values share `frame` when
/// given. Allocation is bounded by the input: each TLV takes at least four bytes.
pub(crate) fn tlv_tail<'a>(
    mut i: &'a [u8],
    frame: Option<&Bytes>,
) -> (Tlvs, Option<FieldError<'a>>) {
    let mut out = Vec::new();
    while !i.is_empty() {
        match tlv(i) {
            Ok((rest, (tag, value))) => {
                out.push(Tlv {
                    tag,
                    value: share(frame, value),
                });
                i = rest;
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => return (Tlvs(out), Some(e)),
            Err(nom::Err::Incomplete(_)) => break,
        }
    }
    (Tlvs(out), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: PResult<'_, impl std::fmt::Debug>) -> FieldError<'_> {
        match r.unwrap_err() {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => panic!("incomplete"),
        }
    }

    #[test]
    fn tlv_errors_name_the_tlv() {
        // J's field packet: a tail that ends with two stray bytes.
        let e = err(tlvs(&[0, 1]));
        assert_eq!(e.field, "TLV TP_pid");
        assert_eq!(
            e.problem,
            DecodeProblem::Truncated {
                needed: 4,
                remaining: 2
            }
        );
        let e = err(tlvs(&[0]));
        assert_eq!(e.field, "TLV header");
        let e = err(tlvs(&[0, 3, 0, 20, b'x']));
        assert_eq!(e.field, "TLV LinkID");
        assert_eq!(
            e.problem,
            DecodeProblem::DeclaredTooLong {
                declared: 20,
                remaining: 1
            }
        );
    }

    #[test]
    fn tail_keeps_the_tlvs_before_the_break() {
        let tail = [0, 2, 0, 1, 1, 0, 9, 0, 9];
        let (tlvs, e) = tlv_tail(&tail, None);
        assert_eq!(tlvs.tp_udhi(), Some(1));
        assert_eq!(tlvs.len(), 1);
        let e = e.unwrap();
        assert_eq!(e.field, "TLV PkTotal");
        assert_eq!(e.rest.len(), 4);
    }

    #[test]
    fn length_prefixed_checks_the_declared_length() {
        let e = err(length_prefixed(&[5, 1, 2]));
        assert_eq!(e.field, "MsgLength");
        assert_eq!(
            length_prefixed(&[2, 1, 2, 3]).unwrap(),
            (&[3u8][..], &[1u8, 2][..])
        );
    }
}
