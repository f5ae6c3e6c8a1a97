//! Wire primitives shared by the CMPP, SGIP and SMGP codecs: fixed-width text fields, nom
//! field parsers that name the failing field, length-prefixed framing and content decoding.
//!
//! The three operator protocols were designed alike: big-endian integers, NUL-padded text
//! fields of fixed width, a header that starts with the packet length, and the same
//! MessageCoding values for ASCII, UCS-2, GBK and binary content. This crate is that common
//! ground, once, without I/O or a clock. It knows no protocol: each codec keeps its own
//! commands, layouts and error types, and plugs its errors in through two small traits,
//! [`FieldProblem`] (what went wrong with a field) and [`LengthError`] (an impossible packet
//! length).
//!
//! * [`Text`]: a fixed-width text field of `N` bytes, stored inline, never truncated.
//! * [`parse`]: nom 8 field parsers (`u8_field`, `u32_field`, `text`, …) whose errors carry
//!   the field name and the input at the field, so a codec can report the byte offset.
//! * [`frame`]: [`frame::split_frame`] finds one packet in a byte stream and rejects an
//!   impossible length before anything is allocated.
//! * [`coding`]: message content in the shared codings turned into text ([`Decoded`]).
//!
//! ```
//! use sms_wire::frame::{split_frame, BadLength};
//! use sms_wire::{coding, Decoded, FrameStatus, Text};
//!
//! // A protocol with a 12-byte header and a 4096-byte limit: one 14-byte packet and the
//! // start of the next.
//! let buf = [0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0, 9, b'h', b'i', 0, 0];
//! assert_eq!(split_frame::<BadLength>(&buf, 12, 4096), Ok(FrameStatus::Complete(14)));
//! assert_eq!(
//!     split_frame::<BadLength>(&[0, 0, 0, 3], 12, 4096),
//!     Err(BadLength::TooShort { length: 3 })
//! );
//!
//! // A 6-byte text field holding "hi".
//! let field: Text<6> = Text::from_field(b"hi\0\0\0\0");
//! assert_eq!(field, "hi");
//! assert_eq!(Text::<2>::new(b"abc").unwrap_err().to_string(), "value is 3 bytes, field holds 2");
//!
//! // UCS-2 content.
//! assert_eq!(
//!     coding::decode_common(coding::UCS2, &[0x4f, 0x60, 0x59, 0x7d]),
//!     Some(Decoded::Text("你好".into()))
//! );
//! ```
#![forbid(unsafe_code)]

pub mod coding;
pub mod frame;
pub mod parse;
pub mod text;

pub use coding::Decoded;
pub use frame::{FrameStatus, LengthError};
pub use parse::{FieldError, FieldProblem};
pub use text::{Text, TextError};

// The README's example is compiled and run with the doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
