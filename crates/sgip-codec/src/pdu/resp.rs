//! The generic response body shared by Bind_Resp, Submit_Resp, Deliver_Resp, Report_Resp
//! and UserRpt_Resp.

use bytes::{BufMut, BytesMut};

use crate::codes::ResultCode;
use crate::parse::{end, text, u8_field, PResult};
use crate::text::Text;

/// Result plus Reserve. Submit_Resp carries no message id: a Submit is identified by its
/// sequence number only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resp {
    /// Result: 0 OK, else an error code.
    pub result: ResultCode,
    /// Reserve.
    pub reserve: Text<8>,
}

impl Resp {
    pub(crate) const BODY_LEN: usize = 9;

    /// A response with this result and an empty Reserve.
    pub const fn new(result: ResultCode) -> Self {
        Resp {
            result,
            reserve: Text::EMPTY,
        }
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_u8(self.result.0);
        self.reserve.put(dst);
    }
}

/// Parses a generic response body (9 bytes).
pub fn resp(i: &[u8]) -> PResult<'_, Resp> {
    let (i, result) = u8_field(i, "Result")?;
    let (i, reserve) = text(i, "Reserve")?;
    let (i, ()) = end(i)?;
    Ok((
        i,
        Resp {
            result: ResultCode(result),
            reserve,
        },
    ))
}
