//! Error types. Peer faults ([`FrameError`], [`DecodeError`], [`TlvError`]) are kept apart
//! from caller misuse ([`EncodeError`], [`TextError`]).

use crate::Version;

/// The byte stream cannot be framed: the PacketLength in a header is impossible.
///
/// The stream cannot be resynchronised after this; close the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// PacketLength is below the 12-byte header size.
    #[error("PacketLength {length} is shorter than the 12-byte header")]
    TooShort {
        /// The declared PacketLength.
        length: u32,
    },
    /// PacketLength exceeds the configured maximum frame length.
    #[error("PacketLength {length} exceeds the maximum frame length {max_len}")]
    TooLong {
        /// The declared PacketLength.
        length: u32,
        /// The configured maximum.
        max_len: u32,
    },
}

/// What was wrong with a field sent by the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// The field runs past the end of the packet.
    #[error("needs {needed} bytes but only {remaining} remain")]
    Truncated {
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the packet at the field.
        remaining: usize,
    },
    /// A length or count field declares more data than the packet holds.
    #[error("declares {declared} bytes but only {remaining} remain")]
    DeclaredTooLong {
        /// Bytes implied by the length/count field.
        declared: usize,
        /// Bytes left in the packet after the length/count field.
        remaining: usize,
    },
    /// The frame handed to the decoder is not as long as its header says.
    #[error("packet is {actual} bytes but the header says {declared}")]
    LengthMismatch {
        /// PacketLength from the header.
        declared: usize,
        /// Actual frame length.
        actual: usize,
    },
    /// Bytes are left after the last field of a body that has no TLV tail.
    #[error("{extra} unexpected bytes after the last field")]
    TrailingBytes {
        /// Number of bytes left over.
        extra: usize,
    },
}

// The shared field parsers and framing report in this crate's words.
impl sms_wire::FieldProblem for DecodeProblem {
    fn truncated(needed: usize, remaining: usize) -> Self {
        DecodeProblem::Truncated { needed, remaining }
    }
    fn trailing_bytes(extra: usize) -> Self {
        DecodeProblem::TrailingBytes { extra }
    }
}

impl sms_wire::LengthError for FrameError {
    fn too_short(length: u32) -> Self {
        FrameError::TooShort { length }
    }
    fn too_long(length: u32, max_len: u32) -> Self {
        FrameError::TooLong { length, max_len }
    }
}

/// A packet from the peer could not be decoded. Names the command, the field (for a broken
/// TLV tail: the TLV, e.g. "TLV PkTotal") and its byte offset from the start of the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{command}: field {field} at offset {offset}: {problem}")]
pub struct DecodeError {
    /// Short command name, e.g. "SUBMIT".
    pub command: &'static str,
    /// Spec field name, e.g. "MsgLength", or "TLV LinkID".
    pub field: &'static str,
    /// Byte offset of the field from the first byte of the packet.
    pub offset: usize,
    /// What was wrong.
    pub problem: DecodeProblem,
}

/// The TLV tail after a correctly decoded fixed body is broken (a TLV header or value runs
/// past the end of the packet). The fixed part and the TLVs before the break are still
/// usable; see [`crate::decode_lenient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{command}: {name} at offset {offset}: {problem}")]
pub struct TlvError {
    /// Short command name, e.g. "SUBMIT".
    pub command: &'static str,
    /// The tag, when at least its two bytes were present.
    pub tag: Option<u16>,
    /// Readable name: "TLV PkTotal", "TLV 0x0014" is shown as "TLV (unknown tag)", and a
    /// header cut before its tag as "TLV header".
    pub name: &'static str,
    /// Byte offset of the TLV from the first byte of the packet.
    pub offset: usize,
    /// What was wrong.
    pub problem: DecodeProblem,
}

impl From<TlvError> for DecodeError {
    fn from(e: TlvError) -> Self {
        DecodeError {
            command: e.command,
            field: e.name,
            offset: e.offset,
            problem: e.problem,
        }
    }
}

pub use sms_wire::TextError;

/// The caller asked to encode something the wire format cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// DestTermIDCount must be 1 to 100.
    #[error("DestTermIDCount: {count} recipients given, must be 1 to 100")]
    DestinationCount {
        /// Number of recipients given.
        count: usize,
    },
    /// MsgContent is longer than its one-byte MsgLength can say.
    #[error("MsgContent is {len} bytes, at most 255 fit")]
    ContentTooLong {
        /// Content length.
        len: usize,
    },
    /// A TLV value is longer than its two-byte Length can say.
    #[error("TLV 0x{tag:04x} value is {len} bytes, at most 65535 fit")]
    TlvTooLong {
        /// The tag.
        tag: u16,
        /// Value length.
        len: usize,
    },
    /// TLVs were given for a version without a TLV section (2.0).
    #[error("SMGP {version} has no TLV section; {count} TLVs given")]
    TlvsNotInVersion {
        /// Version being encoded.
        version: Version,
        /// Number of TLVs given.
        count: usize,
    },
    /// FixedFee was given for the 1.3 layout, which has no such field.
    #[error("SMGP {version} has no FixedFee field")]
    FixedFeeNotInVersion {
        /// Version being encoded.
        version: Version,
    },
    /// The packet would not fit PacketLength or the frame limit.
    #[error("packet would be {len} bytes, more than {max}")]
    PacketTooLong {
        /// Resulting length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A command id that has a typed PDU was used in `Pdu::Unknown`.
    #[error("command id 0x{command_id:08x} has a typed PDU; use it instead of Unknown")]
    KnownCommandAsUnknown {
        /// The command id.
        command_id: u32,
    },
}
