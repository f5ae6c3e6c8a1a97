//! Framing: finding packet boundaries in a byte stream, and the 12-byte header.
//!
//! Two-step API: [`split_frame`] says how many bytes the next packet uses (checking
//! Total_Length before anything is allocated), [`Header::parse`] reads the header, and
//! [`crate::decode_body`] decodes the body.

use std::fmt;

use crate::error::{DecodeError, DecodeProblem, FrameError};

/// Header size in bytes: Total_Length, Command_Id, Sequence_Id.
pub const HEADER_LEN: usize = 12;

/// Default upper bound for Total_Length. The largest legal packet (3.0 SUBMIT with 99
/// recipients and 160 content bytes) is 3491 bytes; 4096 leaves headroom.
pub const DEFAULT_MAX_FRAME_LEN: u32 = 4096;

/// Command_Id: request type; responses are the request id with bit 31 set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CommandId(pub u32);

impl CommandId {
    /// CMPP_CONNECT.
    pub const CONNECT: Self = CommandId(0x0000_0001);
    /// CMPP_CONNECT_RESP.
    pub const CONNECT_RESP: Self = CommandId(0x8000_0001);
    /// CMPP_TERMINATE.
    pub const TERMINATE: Self = CommandId(0x0000_0002);
    /// CMPP_TERMINATE_RESP.
    pub const TERMINATE_RESP: Self = CommandId(0x8000_0002);
    /// CMPP_SUBMIT.
    pub const SUBMIT: Self = CommandId(0x0000_0004);
    /// CMPP_SUBMIT_RESP.
    pub const SUBMIT_RESP: Self = CommandId(0x8000_0004);
    /// CMPP_DELIVER.
    pub const DELIVER: Self = CommandId(0x0000_0005);
    /// CMPP_DELIVER_RESP.
    pub const DELIVER_RESP: Self = CommandId(0x8000_0005);
    /// CMPP_QUERY.
    pub const QUERY: Self = CommandId(0x0000_0006);
    /// CMPP_QUERY_RESP.
    pub const QUERY_RESP: Self = CommandId(0x8000_0006);
    /// CMPP_CANCEL.
    pub const CANCEL: Self = CommandId(0x0000_0007);
    /// CMPP_CANCEL_RESP.
    pub const CANCEL_RESP: Self = CommandId(0x8000_0007);
    /// CMPP_ACTIVE_TEST.
    pub const ACTIVE_TEST: Self = CommandId(0x0000_0008);
    /// CMPP_ACTIVE_TEST_RESP.
    pub const ACTIVE_TEST_RESP: Self = CommandId(0x8000_0008);

    /// True for response ids (bit 31 set).
    pub const fn is_response(self) -> bool {
        self.0 & 0x8000_0000 != 0
    }

    /// Short command name ("SUBMIT", "SUBMIT_RESP", …) or "UNKNOWN".
    pub const fn name(self) -> &'static str {
        match self.0 {
            0x0000_0001 => "CONNECT",
            0x8000_0001 => "CONNECT_RESP",
            0x0000_0002 => "TERMINATE",
            0x8000_0002 => "TERMINATE_RESP",
            0x0000_0004 => "SUBMIT",
            0x8000_0004 => "SUBMIT_RESP",
            0x0000_0005 => "DELIVER",
            0x8000_0005 => "DELIVER_RESP",
            0x0000_0006 => "QUERY",
            0x8000_0006 => "QUERY_RESP",
            0x0000_0007 => "CANCEL",
            0x8000_0007 => "CANCEL_RESP",
            0x0000_0008 => "ACTIVE_TEST",
            0x8000_0008 => "ACTIVE_TEST_RESP",
            _ => "UNKNOWN",
        }
    }

    /// True when this crate has a typed PDU for the id.
    pub const fn is_known(self) -> bool {
        !matches!(self.name().as_bytes(), b"UNKNOWN")
    }
}

impl fmt::Debug for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(0x{:08x})", self.name(), self.0)
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CMPP_{} (0x{:08x})", self.name(), self.0)
    }
}

/// The 12-byte message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Header {
    /// Total_Length: length of the whole packet including the header.
    pub total_length: u32,
    /// Command_Id.
    pub command_id: CommandId,
    /// Sequence_Id: echoed by the response.
    pub sequence_id: u32,
}

impl Header {
    /// Reads the header from the first 12 bytes of `buf`.
    ///
    /// Does not check Total_Length against a maximum; [`split_frame`] does that.
    pub fn parse(buf: &[u8]) -> Result<Header, DecodeError> {
        match crate::parse::header(buf) {
            Ok((_, header)) => Ok(header),
            // Reported as one 12-byte unit: a header cut anywhere is a short header.
            Err(_) => Err(DecodeError {
                command: "HEADER",
                field: "Total_Length",
                offset: 0,
                problem: DecodeProblem::Truncated {
                    needed: HEADER_LEN,
                    remaining: buf.len(),
                },
            }),
        }
    }
}

/// Result of looking for one packet at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Closed by the wire (a frame is whole or not): not #[non_exhaustive].
pub enum FrameStatus {
    /// Not enough bytes yet; read more and call again.
    NeedMore,
    /// The first `n` bytes are one complete packet.
    Complete(usize),
}

/// Looks for one complete packet at the start of `buf`.
///
/// Checks Total_Length as soon as its 4 bytes are present: below 12 or above `max_len` is a
/// [`FrameError`] (close the connection). Never allocates.
pub fn split_frame(buf: &[u8], max_len: u32) -> Result<FrameStatus, FrameError> {
    let Some(len_bytes) = buf.get(..4) else {
        return Ok(FrameStatus::NeedMore);
    };
    let total_length = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
    if (total_length as usize) < HEADER_LEN {
        return Err(FrameError::TooShort { total_length });
    }
    if total_length > max_len {
        return Err(FrameError::TooLong {
            total_length,
            max_len,
        });
    }
    let n = total_length as usize;
    if buf.len() < n {
        Ok(FrameStatus::NeedMore)
    } else {
        Ok(FrameStatus::Complete(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_more_until_total_length_bytes_arrive() {
        let frame = [0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 0x17];
        for cut in 0..12 {
            assert_eq!(
                split_frame(&frame[..cut], 4096),
                Ok(FrameStatus::NeedMore),
                "cut {cut}"
            );
        }
        assert_eq!(split_frame(&frame, 4096), Ok(FrameStatus::Complete(12)));
    }

    #[test]
    fn complete_frame_leaves_following_bytes() {
        let mut two = vec![0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 1, 0];
        two.extend_from_slice(&[0, 0, 0, 12]);
        assert_eq!(split_frame(&two, 4096), Ok(FrameStatus::Complete(13)));
    }

    #[test]
    fn too_short_total_length_is_rejected() {
        assert_eq!(
            split_frame(&[0, 0, 0, 9], 4096),
            Err(FrameError::TooShort { total_length: 9 })
        );
    }

    #[test]
    fn too_long_total_length_is_rejected_before_body_arrives() {
        assert_eq!(
            split_frame(&[0xff, 0xff, 0xff, 0xff], 4096),
            Err(FrameError::TooLong {
                total_length: u32::MAX,
                max_len: 4096
            })
        );
        assert_eq!(
            split_frame(&[0, 0, 0x10, 0x01], 4096)
                .unwrap_err()
                .to_string(),
            "Total_Length 4097 exceeds the maximum frame length 4096"
        );
        assert_eq!(
            split_frame(&[0, 0, 0x10, 0x00], 4096),
            Ok(FrameStatus::NeedMore)
        );
    }

    #[test]
    fn header_parses_fields() {
        let h = Header::parse(&[0, 0, 0, 0x27, 0, 0, 0, 1, 0, 0, 0, 0x17]).unwrap();
        assert_eq!(h.total_length, 39);
        assert_eq!(h.command_id, CommandId::CONNECT);
        assert_eq!(h.sequence_id, 0x17);
        assert!(Header::parse(&[0; 11]).is_err());
    }

    #[test]
    fn command_names() {
        assert_eq!(CommandId::SUBMIT_RESP.name(), "SUBMIT_RESP");
        assert!(CommandId::SUBMIT_RESP.is_response());
        assert!(!CommandId(9).is_known());
        assert!(CommandId::ACTIVE_TEST.is_known());
        assert_eq!(CommandId(0x10).to_string(), "CMPP_UNKNOWN (0x00000010)");
    }
}
