//! Error types. Peer misbehaviour ([`DecodeError`], [`FrameError`]) is kept apart from caller
//! misuse ([`EncodeError`], [`StringError`]).

use crate::Version;

/// The byte stream cannot be framed: the Total_Length in a header is impossible.
///
/// The stream cannot be resynchronised after this; close the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Total_Length is below the 12-byte header size.
    #[error("Total_Length {total_length} is shorter than the 12-byte header")]
    TooShort {
        /// The declared Total_Length.
        total_length: u32,
    },
    /// Total_Length exceeds the configured maximum frame length.
    #[error("Total_Length {total_length} exceeds the maximum frame length {max_len}")]
    TooLong {
        /// The declared Total_Length.
        total_length: u32,
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
        /// Bytes left in the packet after the length field.
        remaining: usize,
    },
    /// The packet length differs from what the field requires.
    #[error("packet is {actual} bytes but the header says {declared}")]
    LengthMismatch {
        /// Total_Length from the header.
        declared: usize,
        /// Actual frame length handed to the decoder.
        actual: usize,
    },
    /// A body has a length that matches no known layout.
    #[error("body is {actual} bytes; expected {expected}")]
    BadBodyLength {
        /// Actual body length.
        actual: usize,
        /// Human-readable list of accepted lengths.
        expected: &'static str,
    },
    /// A status report is shorter than its fixed part.
    #[error("status report is {actual} bytes, needs at least {min}")]
    ReportTooShort {
        /// Msg_Length of the DELIVER.
        actual: usize,
        /// The minimum (39).
        min: usize,
    },
    /// A string field's value is longer than this crate stores.
    #[error("value is {len} bytes, at most {max} supported")]
    ValueTooLong {
        /// Length of the value (up to the first NUL).
        len: usize,
        /// Capacity.
        max: usize,
    },
}

/// A packet from the peer could not be decoded. Names the command, the field and its byte
/// offset from the start of the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{command}: field {field} at offset {offset}: {problem}")]
pub struct DecodeError {
    /// Short command name, e.g. "SUBMIT".
    pub command: &'static str,
    /// Spec field name, e.g. "Msg_Length".
    pub field: &'static str,
    /// Byte offset of the field from the first byte of the packet.
    pub offset: usize,
    /// What was wrong.
    pub problem: DecodeProblem,
}

/// A value cannot be turned into a fixed-length Octet String.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StringError {
    /// The value is longer than the field.
    #[error("value is {len} bytes, field holds {max}")]
    TooLong {
        /// Length of the value.
        len: usize,
        /// Field width.
        max: usize,
    },
    /// The value contains a NUL byte, which the wire format uses as terminator.
    #[error("value contains a NUL byte at position {position}")]
    ContainsNul {
        /// Index of the NUL.
        position: usize,
    },
}

/// The caller asked to encode something the wire format cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A string is too long for the field at this version (e.g. 32-byte number on 2.0).
    #[error("{field} '{value}' is {len} bytes, field holds {max} on CMPP {version}")]
    FieldTooLong {
        /// Spec field name.
        field: &'static str,
        /// The value (lossy text) for the message.
        value: String,
        /// Its length.
        len: usize,
        /// Field width at this version.
        max: usize,
        /// Version being encoded.
        version: Version,
    },
    /// A numeric status does not fit its wire width (a u8 on 2.0).
    #[error("{field} value {value} does not fit in {width} byte(s) on CMPP {version}")]
    ValueTooWide {
        /// Spec field name.
        field: &'static str,
        /// The value.
        value: u32,
        /// Wire width in bytes.
        width: usize,
        /// Version being encoded.
        version: Version,
    },
    /// DestUsr_tl must be 1..=99.
    #[error("DestUsr_tl: {count} destinations given, must be 1 to 99")]
    DestinationCount {
        /// Number of destinations given.
        count: usize,
    },
    /// Msg_Content is longer than allowed.
    #[error("Msg_Content is {len} bytes, at most {max} allowed here")]
    ContentTooLong {
        /// Content length.
        len: usize,
        /// Limit (Msg_Fmt dependent for SUBMIT, 255 otherwise).
        max: usize,
    },
    /// The packet would exceed what Total_Length can express or the frame limit.
    #[error("packet would be {len} bytes, more than {max}")]
    PacketTooLong {
        /// Resulting length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// A command id reserved for a known PDU was used in `Pdu::Unknown`.
    #[error("command id 0x{command_id:08x} has a typed PDU; use it instead of Unknown")]
    KnownCommandAsUnknown {
        /// The command id.
        command_id: u32,
    },
}
