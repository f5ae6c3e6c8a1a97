//! CMPP 2.0 / 3.0 codec: every SP⇄ISMG message, byte-exact, without I/O.
//!
//! China Mobile's CMPP is a binary request/response protocol over TCP. This crate turns bytes
//! into typed messages ([`Packet`], [`Pdu`]) and back; it never touches a socket or a clock.
//! The wire layout ([`Version::V20`] or [`Version::V30`]) is chosen by the caller per message.
//!
//! * Framing: [`split_frame`] finds one packet and rejects an impossible Total_Length before
//!   anything is allocated ([`FrameError`]: close the connection). Reassembling reads is the
//!   caller's job (see the example below); this is the crate's one framing path.
//! * Decoding: [`decode`] (or [`Header::parse`] + [`decode_body`]). Msg_Content is a zero-copy
//!   slice of the frame. Malformed bodies give a [`DecodeError`] naming the command, field and
//!   byte offset. Known real-world deviations (full-width strings, 60-byte reports in 3.0,
//!   status widths not matching the version, missing trailing bytes) are accepted; see
//!   `docs/protocol.md`.
//! * Parsing borrowed bytes: [`parse`] has the nom parsers `decode` is built from, over
//!   `&[u8]`, for capture analyzers and other nom grammars (`parse::submit(input, version)`).
//! * Encoding: [`encode`] / [`Packet::to_bytes`] compute Total_Length. Values the wire cannot
//!   carry give an [`EncodeError`] (caller misuse), never silent truncation.
//! * Also: [`MsgId`] (64-bit id), [`auth`] (MD5 authenticators), [`codes`] (result tables and
//!   [`CauseClass`]), [`text`] (Msg_Fmt charsets), [`long`] (long-message split and
//!   reassembly).
//!
//! Features: `serde` (Serialize for every message, for JSON output) and `arbitrary`
//! (`arbitrary::VersionedPacket`, any packet valid at a version, for structure-aware
//! fuzzing).
//!
//! The crate aims to be panic-free on any input: no `unsafe`, no indexing past checked
//! lengths, every allocation bounded by the frame.
//!
//! ```
//! use bytes::BytesMut;
//! use cmpp_codec::{decode, split_frame, FrameStatus, Pdu, Version, DEFAULT_MAX_FRAME_LEN};
//!
//! // Bytes as read from the socket: one ACTIVE_TEST and the start of another packet.
//! let mut buf = BytesMut::from(&[0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 0x17, 0, 0][..]);
//! let mut seen = Vec::new();
//! loop {
//!     match split_frame(&buf, DEFAULT_MAX_FRAME_LEN) {
//!         Ok(FrameStatus::NeedMore) => break, // read more bytes, then call again
//!         Ok(FrameStatus::Complete(n)) => {
//!             let frame = buf.split_to(n).freeze();
//!             match decode(frame, Version::V30) {
//!                 Ok(packet) => seen.push(packet),
//!                 // The frame is consumed; log "SUBMIT: field Msg_Length at offset 174: …"
//!                 // and carry on with the next packet.
//!                 Err(e) => eprintln!("skipping bad packet: {e}"),
//!             }
//!         }
//!         Err(e) => {
//!             // Total_Length < 12 or too large: the stream cannot be resynchronised.
//!             eprintln!("closing connection: {e}");
//!             break;
//!         }
//!     }
//! }
//! assert_eq!(seen.len(), 1);
//! assert_eq!(seen[0].sequence_id, 0x17);
//! assert_eq!(seen[0].pdu, Pdu::ActiveTest);
//! assert_eq!(buf.len(), 2); // the partial packet stays buffered
//! ```
#![forbid(unsafe_code)]

pub mod long;
pub mod msg_fmt;
pub mod text;

pub use msg_fmt::MsgFmt;

pub mod auth;
pub mod codes;
pub mod error;
pub mod fields;
pub mod frame;
pub mod msg_id;
pub mod parse;
pub mod pdu;
pub mod version;

#[cfg(any(test, feature = "arbitrary"))]
pub mod arbitrary;
#[cfg(feature = "serde")]
mod serde_hex;

pub use codes::{CauseClass, ConnectStatus, DeliverResult, Stat, StatKind, SubmitResult};
pub use error::{DecodeError, DecodeProblem, EncodeError, FrameError, StringError};
pub use fields::OctetString;
pub use frame::{split_frame, CommandId, FrameStatus, Header, DEFAULT_MAX_FRAME_LEN, HEADER_LEN};
pub use msg_id::{MsgId, MsgIdError};
pub use pdu::{
    decode, decode_body, encode, ActiveTestResp, Cancel, CancelResp, Connect, ConnectResp, Deliver,
    DeliverContent, DeliverResp, Packet, Pdu, Query, QueryResp, StatusReport, Submit, SubmitResp,
};
pub use version::Version;
