//! Framing: packet boundaries in a byte stream, RequestIDs and the 12-byte header.

pub use sms_wire::FrameStatus;

use crate::error::{DecodeError, FrameError};

/// Header size: PacketLength, RequestID, SequenceID.
pub const HEADER_LEN: usize = 12;

/// Default upper bound for PacketLength. 3.0.3 states none; the largest Submit (100
/// recipients, 255 content bytes) is 2,515 bytes before TLVs, so 4 KiB leaves room for a
/// generous TLV tail.
pub const DEFAULT_MAX_FRAME_LEN: u32 = 4096;

sms_wire::command_ids! {
    /// RequestID; responses are the request id with bit 31 set.
    pub struct CommandId, "SMGP" {
        LOGIN = 0x0000_0001, "LOGIN";
        LOGIN_RESP = 0x8000_0001, "LOGIN_RESP";
        SUBMIT = 0x0000_0002, "SUBMIT";
        SUBMIT_RESP = 0x8000_0002, "SUBMIT_RESP";
        DELIVER = 0x0000_0003, "DELIVER";
        DELIVER_RESP = 0x8000_0003, "DELIVER_RESP";
        ACTIVE_TEST = 0x0000_0004, "ACTIVE_TEST";
        ACTIVE_TEST_RESP = 0x8000_0004, "ACTIVE_TEST_RESP";
        EXIT = 0x0000_0006, "EXIT";
        EXIT_RESP = 0x8000_0006, "EXIT_RESP";
        QUERY = 0x0000_0007, "QUERY";
        QUERY_RESP = 0x8000_0007, "QUERY_RESP";
    }
}

/// The 12-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// PacketLength: the whole packet including the header and TLVs.
    pub length: u32,
    /// RequestID.
    pub command_id: CommandId,
    /// SequenceID: a response echoes its request's.
    pub sequence_id: u32,
}

impl Header {
    /// Reads the header from the first 12 bytes of `buf`. Does not check the length against
    /// a maximum; [`split_frame`] does that.
    pub fn parse(buf: &[u8]) -> Result<Header, DecodeError> {
        let header = sms_wire::frame::header::<HEADER_LEN, _>(buf);
        let (length, command_id, h) = header.map_err(|problem| DecodeError {
            command: "HEADER",
            field: "PacketLength",
            offset: 0,
            problem,
        })?;
        Ok(Header {
            length,
            command_id: CommandId(command_id),
            sequence_id: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        })
    }
}

/// Looks for one complete packet at the start of `buf`.
///
/// Checks PacketLength as soon as its 4 bytes are present: below 12 or above `max_len` is a
/// [`FrameError`] (close the connection). Never allocates.
pub fn split_frame(buf: &[u8], max_len: u32) -> Result<FrameStatus, FrameError> {
    sms_wire::frame::split_frame(buf, HEADER_LEN, max_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_more_until_the_whole_packet_arrived() {
        let exit = [0, 0, 0, 12, 0, 0, 0, 6, 0, 0, 4, 0xd2];
        for cut in 0..12 {
            assert_eq!(split_frame(&exit[..cut], 4096), Ok(FrameStatus::NeedMore));
        }
        assert_eq!(split_frame(&exit, 4096), Ok(FrameStatus::Complete(12)));
    }

    #[test]
    fn impossible_lengths_are_rejected_before_the_body_arrives() {
        assert_eq!(
            split_frame(&[0, 0, 0, 11], 4096),
            Err(FrameError::TooShort { length: 11 })
        );
        assert_eq!(
            split_frame(&[0xff, 0xff, 0xff, 0xff], 4096)
                .unwrap_err()
                .to_string(),
            "PacketLength 4294967295 exceeds the maximum frame length 4096"
        );
    }

    #[test]
    fn header_and_names() {
        let h = Header::parse(&[0, 0, 0, 0x0d, 0x80, 0, 0, 4, 0, 0, 0, 0x17]).unwrap();
        assert_eq!(h.length, 13);
        assert_eq!(h.command_id, CommandId::ACTIVE_TEST_RESP);
        assert_eq!(h.sequence_id, 0x17);
        assert!(Header::parse(&[0; 11]).is_err());
        assert!(!CommandId(5).is_known()); // Forward: SMGW ⇄ SMGW only
        assert_eq!(
            CommandId::QUERY_RESP.to_string(),
            "SMGP_QUERY_RESP (0x80000007)"
        );
    }
}
