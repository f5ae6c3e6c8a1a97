//! Framing: packet boundaries in a byte stream, command ids and the 20-byte header.

pub use sms_wire::FrameStatus;

use crate::error::{DecodeError, FrameError};
use crate::seq::SequenceNumber;

/// Header size: Message Length, Command ID and the 12-byte sequence number.
pub const HEADER_LEN: usize = 20;

/// Default upper bound for Message Length: the spec's 2048-byte packet limit (§4).
pub const DEFAULT_MAX_FRAME_LEN: u32 = 2048;

sms_wire::command_ids! {
    /// Command ID; responses are the request id with bit 31 set.
    pub struct CommandId, "SGIP" {
        BIND = 0x0000_0001, "BIND";
        BIND_RESP = 0x8000_0001, "BIND_RESP";
        UNBIND = 0x0000_0002, "UNBIND";
        UNBIND_RESP = 0x8000_0002, "UNBIND_RESP";
        SUBMIT = 0x0000_0003, "SUBMIT";
        SUBMIT_RESP = 0x8000_0003, "SUBMIT_RESP";
        DELIVER = 0x0000_0004, "DELIVER";
        DELIVER_RESP = 0x8000_0004, "DELIVER_RESP";
        REPORT = 0x0000_0005, "REPORT";
        REPORT_RESP = 0x8000_0005, "REPORT_RESP";
        USER_RPT = 0x0000_0011, "USERRPT";
        USER_RPT_RESP = 0x8000_0011, "USERRPT_RESP";
        TRACE = 0x0000_1000, "TRACE";
        TRACE_RESP = 0x8000_1000, "TRACE_RESP";
    }
}

impl CommandId {
    /// Name of an SMG⇄GNS or billing command this crate keeps raw (AddSP … CheckUser), for
    /// logs. ModifySMG_Resp is 0x8000000E although the spec table prints 0x0000000e (a typo).
    pub const fn gns_name(self) -> Option<&'static str> {
        Some(match self.0 & 0x7fff_ffff {
            0x06 => "ADDSP",
            0x07 => "MODIFYSP",
            0x08 => "DELETESP",
            0x09 => "QUERYROUTE",
            0x0A => "ADDTELESEG",
            0x0B => "MODIFYTELESEG",
            0x0C => "DELETETELESEG",
            0x0D => "ADDSMG",
            0x0E => "MODIFYSMG",
            0x0F => "DELETESMG",
            0x10 => "CHECKUSER",
            _ => return None,
        })
    }
}

/// The 20-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Message Length: the whole packet including the header.
    pub length: u32,
    /// Command ID.
    pub command_id: CommandId,
    /// Sequence number; a response copies its request's.
    pub sequence: SequenceNumber,
}

impl Header {
    /// Reads the header from the first 20 bytes of `buf`. Does not check the length against
    /// a maximum; [`split_frame`] does that.
    pub fn parse(buf: &[u8]) -> Result<Header, DecodeError> {
        let (length, command_id, h) =
            sms_wire::frame::header::<HEADER_LEN, _>(buf).map_err(|problem| DecodeError {
                command: "HEADER",
                field: "Message Length",
                offset: 0,
                problem,
            })?;
        let mut seq = [0u8; 12];
        seq.copy_from_slice(&h[8..]);
        Ok(Header {
            length,
            command_id: CommandId(command_id),
            sequence: SequenceNumber::from_bytes(seq),
        })
    }
}

/// Looks for one complete packet at the start of `buf`.
///
/// Checks Message Length as soon as its 4 bytes are present: below 20 or above `max_len` is a
/// [`FrameError`] (close the connection). Never allocates.
pub fn split_frame(buf: &[u8], max_len: u32) -> Result<FrameStatus, FrameError> {
    sms_wire::frame::split_frame(buf, HEADER_LEN, max_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_more_until_the_whole_packet_arrived() {
        let mut unbind = vec![0, 0, 0, 20, 0, 0, 0, 2];
        unbind.extend_from_slice(&[0; 12]);
        for cut in 0..20 {
            assert_eq!(split_frame(&unbind[..cut], 2048), Ok(FrameStatus::NeedMore));
        }
        unbind.extend_from_slice(&[0, 0]);
        assert_eq!(split_frame(&unbind, 2048), Ok(FrameStatus::Complete(20)));
    }

    #[test]
    fn impossible_lengths_are_rejected_before_the_body_arrives() {
        assert_eq!(
            split_frame(&[0, 0, 0, 19], 2048),
            Err(FrameError::TooShort { length: 19 })
        );
        assert_eq!(
            split_frame(&[0, 0, 8, 1], 2048),
            Err(FrameError::TooLong {
                length: 2049,
                max_len: 2048
            })
        );
        assert_eq!(
            split_frame(&[0xff, 0xff, 0xff, 0xff], 2048)
                .unwrap_err()
                .to_string(),
            "Message Length 4294967295 exceeds the maximum frame length 2048"
        );
        assert_eq!(split_frame(&[0, 0, 8, 0], 2048), Ok(FrameStatus::NeedMore));
    }

    #[test]
    fn header_reads_all_three_sequence_parts() {
        let mut b = vec![0, 0, 0, 0x1d, 0x80, 0, 0, 1];
        b.extend_from_slice(&[0xb3, 0x69, 0x24, 0xb9, 0x47, 0xc4, 0x89, 0x9d, 0, 0, 0, 1]);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.length, 29);
        assert_eq!(h.command_id, CommandId::BIND_RESP);
        assert_eq!(
            h.sequence,
            SequenceNumber::new(3_010_012_345, 1_204_062_621, 1)
        );
        assert!(Header::parse(&b[..19]).is_err());
    }

    #[test]
    fn command_names_and_the_modify_smg_typo() {
        assert_eq!(CommandId::USER_RPT_RESP.name(), "USERRPT_RESP");
        assert!(CommandId::TRACE_RESP.is_response());
        assert!(!CommandId(0x8000_000E).is_known());
        assert_eq!(CommandId(0x8000_000E).gns_name(), Some("MODIFYSMG"));
        assert_eq!(CommandId(0x99).gns_name(), None);
        assert_eq!(CommandId(0x6).to_string(), "SGIP_UNKNOWN (0x00000006)");
    }
}
