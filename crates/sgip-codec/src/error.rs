//! Error types. Peer faults ([`FrameError`], [`DecodeError`]) are kept apart from caller
//! misuse ([`EncodeError`], [`TextError`]).

/// The byte stream cannot be framed: the Message Length in a header is impossible.
///
/// The stream cannot be resynchronised after this; close the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Message Length is below the 20-byte header size.
    #[error("Message Length {length} is shorter than the 20-byte header")]
    TooShort {
        /// The declared Message Length.
        length: u32,
    },
    /// Message Length exceeds the configured maximum frame length.
    #[error("Message Length {length} exceeds the maximum frame length {max_len}")]
    TooLong {
        /// The declared Message Length.
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
        declared: u64,
        /// Bytes left in the packet after the length/count field.
        remaining: usize,
    },
    /// The frame handed to the decoder is not as long as its header says.
    #[error("packet is {actual} bytes but the header says {declared}")]
    LengthMismatch {
        /// Message Length from the header.
        declared: usize,
        /// Actual frame length.
        actual: usize,
    },
    /// A fixed-size body has a length that matches no known layout.
    #[error("body is {actual} bytes; expected {expected}")]
    BadBodyLength {
        /// Actual body length.
        actual: usize,
        /// Human-readable description of the accepted lengths.
        expected: &'static str,
    },
    /// Bytes are left after the last field of a body with a computed length.
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

/// A packet from the peer could not be decoded. Names the command, the field and its byte
/// offset from the first byte of the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{command}: field {field} at offset {offset}: {problem}")]
pub struct DecodeError {
    /// Short command name, e.g. "SUBMIT".
    pub command: &'static str,
    /// Spec field name, e.g. "MessageLength".
    pub field: &'static str,
    /// Byte offset of the field from the first byte of the packet.
    pub offset: usize,
    /// What was wrong.
    pub problem: DecodeProblem,
}

pub use sms_wire::TextError;

/// The caller asked to encode something the wire format cannot carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// UserCount must be 1 to 100.
    #[error("UserCount: {count} recipients given, must be 1 to 100")]
    UserCount {
        /// Number of recipients given.
        count: usize,
    },
    /// Trace_Resp carries at most 255 node entries (Count is one byte).
    #[error("Count: {count} trace entries given, at most 255 fit")]
    TraceCount {
        /// Number of entries given.
        count: usize,
    },
    /// The packet would exceed the frame limit.
    #[error("packet would be {len} bytes, more than the {max}-byte limit")]
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
