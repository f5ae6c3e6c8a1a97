//! Status report: the Msg_Content of a DELIVER with Registered_Delivery = 1.

use bytes::{BufMut, BytesMut};

use crate::codes::Stat;
use crate::error::{DecodeProblem, EncodeError};
use nom::Parser;

use crate::fields::{first_nul, OctetString};
use crate::msg_id::MsgId;
use crate::parse::{array, be_u32, fail, msg_id, octets, IResult};
use crate::Version;

/// Bytes before Dest_terminal_Id: Msg_Id 8, Stat 7, Submit_time 10, Done_time 10.
const PREFIX_LEN: usize = 35;
/// Shortest report we accept: the prefix plus SMSC_sequence.
pub const MIN_REPORT_LEN: usize = PREFIX_LEN + 4;

/// Status report carried in a DELIVER (Registered_Delivery = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct StatusReport {
    /// Msg_Id: the id returned in SUBMIT_RESP; the correlation key.
    pub msg_id: MsgId,
    /// Stat: final state (DELIVRD, UNDELIV, MK:0005, …), raw 7 bytes kept.
    pub stat: Stat,
    /// Submit_time: YYMMDDHHMM (kept as text; gateways send dummy values).
    pub submit_time: OctetString<10>,
    /// Done_time: YYMMDDHHMM.
    pub done_time: OctetString<10>,
    /// Dest_terminal_Id: the number the SP submitted to (21 bytes on 2.0, 32 on 3.0).
    pub dest_terminal_id: OctetString<32>,
    /// SMSC_sequence: id from the SMSC's report.
    pub smsc_sequence: u32,
}

impl StatusReport {
    /// Decodes by length: 71 → 32-byte Dest_terminal_Id, 60 → 21-byte, any other length ≥ 39 →
    /// the bytes between the 35-byte prefix and the last 4 (SMSC_sequence).
    pub(crate) fn parse(content: &[u8]) -> IResult<'_, Self> {
        if content.len() < MIN_REPORT_LEN {
            return fail(
                content,
                "Msg_Content",
                DecodeProblem::ReportTooShort {
                    actual: content.len(),
                    min: MIN_REPORT_LEN,
                },
            );
        }
        let (i, msg_id) = msg_id("Msg_Id").parse_complete(content)?;
        let (i, stat) = array::<7>("Stat").parse_complete(i)?;
        let (i, submit_time) = octets("Submit_time", 10).parse_complete(i)?;
        let (i, done_time) = octets("Done_time", 10).parse_complete(i)?;
        // Dest_terminal_Id is whatever lies between the prefix and SMSC_sequence.
        let dest_len = i.len().saturating_sub(4);
        // A value wider than the 32 bytes we store is refused rather than cut; only a field
        // wider than 32 bytes can hold one.
        let value_len = match i.get(..dest_len) {
            Some(dest) if dest_len > 32 => first_nul(dest).unwrap_or(dest_len),
            _ => 0,
        };
        if value_len > 32 {
            return fail(
                i,
                "Dest_terminal_Id",
                DecodeProblem::ValueTooLong {
                    len: value_len,
                    max: 32,
                },
            );
        }
        let (i, dest_terminal_id) = octets("Dest_terminal_Id", dest_len).parse_complete(i)?;
        let (rest, smsc_sequence) = be_u32("SMSC_sequence").parse_complete(i)?;
        Ok((
            rest,
            StatusReport {
                msg_id,
                stat: Stat::from_raw(stat),
                submit_time,
                done_time,
                dest_terminal_id,
                smsc_sequence,
            },
        ))
    }

    /// Encoded size: 60 bytes on 2.0, 71 on 3.0.
    pub fn encoded_len(version: Version) -> usize {
        PREFIX_LEN + version.terminal_id_width() + 4
    }

    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        self.dest_terminal_id
            .check_width("Dest_terminal_Id", version.terminal_id_width(), version)
    }

    pub(crate) fn write(&self, version: Version, dst: &mut BytesMut) {
        dst.put_u64(self.msg_id.as_u64());
        dst.put_slice(&self.stat.raw());
        self.submit_time.put(dst, 10);
        self.done_time.put(dst, 10);
        self.dest_terminal_id.put(dst, version.terminal_id_width());
        dst.put_u32(self.smsc_sequence);
    }
}
