//! Msg_Id + Result: the body shared by SUBMIT_RESP and DELIVER_RESP.
//!
//! Result is 1 byte on 2.0 and 4 on 3.0; a decoder takes the width from the body length (9 or
//! 12 bytes), not from the session's version, because real gateways mix them.

use bytes::{BufMut, BytesMut};
use nom::Parser;

use crate::error::{DecodeProblem, EncodeError};
use crate::fields::{check_status, put_status};
use crate::msg_id::MsgId;
use crate::parse::{msg_id, status, Error, IResult};
use crate::Version;

/// Reads Msg_Id and the raw Result.
pub(crate) fn parse(i: &[u8]) -> IResult<'_, (MsgId, u32)> {
    let width = status_width(i, "Result")?;
    (msg_id("Msg_Id"), status("Result", width)).parse_complete(i)
}

/// Checks that `result` fits the version's Result field.
pub(crate) fn check(result: u32, version: Version) -> Result<(), EncodeError> {
    check_status("Result", result, version)
}

/// Writes Msg_Id and Result.
pub(crate) fn write(msg_id: MsgId, result: u32, version: Version, dst: &mut BytesMut) {
    dst.put_u64(msg_id.as_u64());
    put_status(dst, result, version);
}

/// Width of the Result after an 8-byte Msg_Id: 9-byte body → 1, 12-byte body → 4.
pub(crate) fn status_width<'a>(
    i: &'a [u8],
    field: &'static str,
) -> Result<usize, nom::Err<Error<'a>>> {
    match i.len() {
        9 => Ok(1),
        12 => Ok(4),
        actual => Err(nom::Err::Error(Error::new(
            i,
            field,
            DecodeProblem::BadBodyLength {
                actual,
                expected: "9 (2.0) or 12 (3.0)",
            },
        ))),
    }
}
