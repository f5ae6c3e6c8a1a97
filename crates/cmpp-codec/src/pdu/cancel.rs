//! CMPP_CANCEL and CMPP_CANCEL_RESP (delete a submitted message).

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeProblem, EncodeError};
use crate::fields::{check_status, put_status};
use crate::msg_id::MsgId;
use crate::parse::{fail, msg_id, status, IResult};
use crate::Version;
use nom::Parser;

/// CMPP_CANCEL: delete the message with this Msg_Id (8-byte body, both versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Cancel {
    /// Msg_Id from SUBMIT_RESP of the message to delete.
    pub msg_id: MsgId,
}

impl Cancel {
    pub(crate) const BODY_LEN: usize = 8;

    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        msg_id("Msg_Id")
            .map(|msg_id| Cancel { msg_id })
            .parse_complete(i)
    }

    pub(crate) fn write(&self, dst: &mut BytesMut) {
        dst.put_u64(self.msg_id.as_u64());
    }
}

/// CMPP_CANCEL_RESP. Success_Id is 1 byte on 2.0 (spec S2) and 4 on 3.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CancelResp {
    /// Success_Id: 0 success, 1 failure.
    pub success_id: u32,
}

impl CancelResp {
    /// True for Success_Id 0.
    pub fn is_success(&self) -> bool {
        self.success_id == 0
    }

    /// Width from the body length (1 or 4), since some stacks send 4 bytes on 2.0.
    pub(crate) fn parse(i: &[u8]) -> IResult<'_, Self> {
        let width = match i.len() {
            1 => 1,
            4 => 4,
            actual => {
                return fail(
                    i,
                    "Success_Id",
                    DecodeProblem::BadBodyLength {
                        actual,
                        expected: "1 (2.0) or 4 (3.0)",
                    },
                )
            }
        };
        status("Success_Id", width)
            .map(|success_id| CancelResp { success_id })
            .parse_complete(i)
    }

    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        check_status("Success_Id", self.success_id, version)
    }

    pub(crate) fn write(&self, version: Version, dst: &mut BytesMut) {
        put_status(dst, self.success_id, version);
    }
}
