//! SMGP 3.0 codec (China Telecom, SP ⇄ SMGW): every SP-side message, byte-exact, without
//! I/O; the 2.0 and 1.3 layouts as [`Version`]s.
//!
//! SMGP is CMPP's closest relative: a 12-byte header, an MD5 login, a heartbeat, and Deliver
//! carrying both MO messages and status reports — plus, in 3.0, an optional TLV tail. This
//! crate turns bytes into typed messages ([`Packet`], [`Pdu`]) and back; it never touches a
//! socket or a clock.
//!
//! * Framing: [`split_frame`] finds one packet and rejects an impossible PacketLength before
//!   anything is allocated ([`FrameError`]: close the connection).
//! * Decoding: [`decode`] (or [`Header::parse`] + [`decode_body`]); the nom parsers are in
//!   [`parse`]. A malformed body gives a [`DecodeError`] naming the command, the field and
//!   its byte offset. [`decode_lenient`] keeps the fixed part of a packet whose TLV tail is
//!   broken and names the TLV in a [`TlvError`]. Real-world deviations (unknown tags, odd TLV
//!   lengths, TLVs after Submit_Resp, 1.3 bodies with 3.0 TLVs, 13-byte Active_Test_Resp,
//!   report text variants) are accepted; see `docs/smgp.md`.
//! * Encoding: [`encode`] / [`Packet::to_bytes`] compute PacketLength. Values the wire cannot
//!   carry give an [`EncodeError`] (caller misuse), never silent truncation.
//! * Also: [`MsgId`] (10 raw bytes, shown as hex), [`auth`] (MD5 authenticators, Beijing
//!   TimeStamp), [`StatusReport`] (report content), [`codes`] (Status, Stat, Err and
//!   [`CauseClass`]), [`tlv`], [`coding`].
//!
//! ```
//! use bytes::Bytes;
//! use smgp_codec::{decode, decode_lenient, Pdu, Version};
//!
//! // A Submit_Resp with a TLV tail whose PkTotal claims 5 bytes but carries 1.
//! let raw = Bytes::from_static(&[
//!     0, 0, 0, 36, 0x80, 0, 0, 2, 0, 0, 0, 9, // header: 36 bytes, SUBMIT_RESP, seq 9
//!     0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, // MsgID, Status 0
//!     0, 2, 0, 1, 1, // TP_udhi = 1
//!     0, 9, 0, 5, 1, // PkTotal: broken
//! ]);
//! let err = decode(raw.clone(), Version::V30).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "SUBMIT_RESP: field TLV PkTotal at offset 31: declares 5 bytes but only 1 remain"
//! );
//! // The lenient decoder keeps the fixed part and the TLVs before the break.
//! let d = decode_lenient(raw, Version::V30)?;
//! let Pdu::SubmitResp(resp) = &d.packet.pdu else { unreachable!() };
//! assert_eq!(resp.msg_id.to_string(), "00010203040506070809");
//! assert_eq!(resp.tlvs.tp_udhi(), Some(1));
//! assert_eq!(d.tlv_error.unwrap().tag, Some(0x0009));
//! # Ok::<(), smgp_codec::DecodeError>(())
//! ```
#![forbid(unsafe_code)]

pub mod auth;
pub mod codes;
pub mod coding;
pub mod error;
pub mod frame;
pub mod msg_id;
pub mod parse;
pub mod pdu;
pub mod report;
pub mod text;
pub mod tlv;
pub mod version;

pub use codes::{report_cause_class, CauseClass, Stat, StatKind, Status};
pub use error::{DecodeError, DecodeProblem, EncodeError, FrameError, TextError, TlvError};
pub use frame::{split_frame, CommandId, FrameStatus, Header, DEFAULT_MAX_FRAME_LEN, HEADER_LEN};
pub use msg_id::{MsgId, MsgIdParseError};
pub use pdu::{
    decode, decode_body, decode_lenient, encode, Bodiless, Decoded, Deliver, DeliverResp, Login,
    LoginResp, Packet, Pdu, Query, QueryResp, Submit, SubmitResp,
};
pub use report::{ReportError, StatusReport};
pub use text::Text;
pub use tlv::{Tlv, Tlvs};
pub use version::Version;
