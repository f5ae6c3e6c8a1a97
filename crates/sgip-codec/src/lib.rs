//! SGIP 1.2 codec (China Unicom, SP ⇄ SMG): every SP-side message, byte-exact, without I/O.
//!
//! SGIP is a binary request/response protocol over TCP with no bidirectional session: the
//! SP binds to the SMG (LoginType 1) to send Submit, and the SMG binds to the SP's own
//! listener (LoginType 2) to push Deliver, Report and UserRpt. This crate turns bytes into
//! typed messages ([`Packet`], [`Pdu`]) and back; it never touches a socket or a clock.
//!
//! * Framing: [`split_frame`] finds one packet and rejects an impossible Message Length (the
//!   spec caps packets at 2048 bytes) before anything is allocated ([`FrameError`]: close
//!   the connection).
//! * Decoding: [`decode`] (or [`Header::parse`] + [`decode_body`]); the nom parsers are in
//!   [`parse`]. A malformed body gives a [`DecodeError`] naming the command, the field and its
//!   byte offset. Real-world deviations (node id 0, Unbind_Resp with a body, all-NUL fee
//!   fields) are accepted; see `docs/sgip.md`.
//! * Encoding: [`encode`] / [`Packet::to_bytes`] compute Message Length. Values the wire
//!   cannot carry give an [`EncodeError`] (caller misuse), never silent truncation.
//! * Also: [`SequenceNumber`] (the 12-byte, three-part sequence number, Beijing time),
//!   [`codes`] (Result/ErrorCode tables and [`CauseClass`]), [`coding`] (content to text).
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use sgip_codec::{decode, split_frame, FrameStatus, Pdu, DEFAULT_MAX_FRAME_LEN};
//!
//! // Unbind_Resp from a test SMG with a 9-byte body the spec does not define, then the
//! // first bytes of the next packet.
//! let mut buf = BytesMut::from(&[
//!     0, 0, 0, 0x1d, 0x80, 0, 0, 2, // Message Length 29, UNBIND_RESP
//!     0xb3, 0x69, 0x24, 0xb9, 0x47, 0xc4, 0x89, 0x9d, 0, 0, 0, 3, // sequence
//!     0, 0, 0, 0, 0, 0, 0, 0, 0, // Result + Reserve
//!     0, 0, 0,
//! ][..]);
//! let FrameStatus::Complete(n) = split_frame(&buf, DEFAULT_MAX_FRAME_LEN)? else {
//!     unreachable!("the first packet is complete")
//! };
//! let packet = decode(buf.split_to(n).freeze())?;
//! assert_eq!(packet.sequence.node_id, 3_010_012_345); // area 010, corp 12345
//! assert_eq!(packet.sequence.to_string(), "3010012345-1204062621-3");
//! assert!(matches!(packet.pdu, Pdu::UnbindResp(_)));
//! // Re-encoding gives the same bytes back.
//! assert_eq!(packet.to_bytes()?.len(), 29);
//! assert_eq!(buf.len(), 3); // the partial packet stays buffered
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod codes;
pub mod coding;
pub mod error;
pub mod frame;
pub mod parse;
pub mod pdu;
pub mod seq;
pub mod text;

pub use codes::{report_cause_class, CauseClass, ReportState, ResultCode};
pub use error::{DecodeError, DecodeProblem, EncodeError, FrameError, TextError};
pub use frame::{split_frame, CommandId, FrameStatus, Header, DEFAULT_MAX_FRAME_LEN, HEADER_LEN};
pub use pdu::{
    decode, decode_body, encode, Bind, Deliver, Packet, Pdu, Report, Resp, Submit, Trace, TraceHop,
    TraceResp, Unbind, UserRpt,
};
pub use seq::{sp_node_id, SequenceNumber};
pub use text::Text;

/// Adds the "86" country prefix SGIP requires on handset numbers, unless already there.
pub fn with_86(number: &str) -> String {
    if number.starts_with("86") && number.len() > 11 {
        number.to_owned()
    } else {
        format!("86{number}")
    }
}

/// Strips the "86" country prefix from a handset number received over SGIP.
pub fn without_86(number: &str) -> &str {
    match number.strip_prefix("86") {
        Some(rest) if rest.len() >= 11 => rest,
        _ => number,
    }
}
