//! Framing for protocols whose header starts with a four-byte big-endian packet length
//! (CMPP, SGIP, SMGP): find one packet in a byte stream, with a size guard, and read the
//! header's first two words.

use crate::parse::FieldProblem;

/// Result of looking for one packet at the start of a buffer.
///
/// Deliberately exhaustive: a buffer either holds a whole packet or does not, and callers
/// match both cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameStatus {
    /// Not enough bytes yet; read more and call again.
    NeedMore,
    /// The first `n` bytes are one complete packet.
    Complete(usize),
}

/// An impossible packet length, built in the codec's own framing error type.
pub trait LengthError {
    /// The declared `length` is below the header size.
    fn too_short(length: u32) -> Self;
    /// The declared `length` exceeds the configured maximum `max_len`.
    fn too_long(length: u32, max_len: u32) -> Self;
}

/// A ready-made [`LengthError`] for callers without their own framing error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadLength {
    /// The declared length is below the header size.
    #[error("packet length {length} is shorter than the header")]
    TooShort {
        /// The declared length.
        length: u32,
    },
    /// The declared length exceeds the configured maximum.
    #[error("packet length {length} exceeds the maximum frame length {max_len}")]
    TooLong {
        /// The declared length.
        length: u32,
        /// The configured maximum.
        max_len: u32,
    },
}

impl LengthError for BadLength {
    fn too_short(length: u32) -> Self {
        BadLength::TooShort { length }
    }
    fn too_long(length: u32, max_len: u32) -> Self {
        BadLength::TooLong { length, max_len }
    }
}

/// Looks for one complete packet at the start of `buf`, whose first four bytes are the
/// big-endian length of the whole packet.
///
/// Checks the length as soon as its 4 bytes are present: below `header_len` or above
/// `max_len` is an error (the stream cannot be resynchronised: close the connection). Never
/// allocates.
pub fn split_frame<E: LengthError>(
    buf: &[u8],
    header_len: usize,
    max_len: u32,
) -> Result<FrameStatus, E> {
    let Some(len_bytes) = buf.first_chunk::<4>() else {
        return Ok(FrameStatus::NeedMore);
    };
    let length = u32::from_be_bytes(*len_bytes);
    let n = usize::try_from(length).unwrap_or(usize::MAX);
    if n < header_len {
        return Err(E::too_short(length));
    }
    if length > max_len {
        return Err(E::too_long(length, max_len));
    }
    Ok(if buf.len() < n {
        FrameStatus::NeedMore
    } else {
        FrameStatus::Complete(n)
    })
}

/// The fixed header of `H` bytes at the start of `buf`: its packet length, its command id
/// (the two big-endian words every protocol here starts with) and the whole header for the
/// fields after them. A shorter `buf` is the codec's truncation problem for the header.
pub fn header<const H: usize, P: FieldProblem>(buf: &[u8]) -> Result<(u32, u32, &[u8; H]), P> {
    match buf.first_chunk::<H>() {
        Some(h) if H >= 8 => {
            let word = |at: usize| u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
            Ok((word(0), word(4), h))
        }
        _ => Err(P::truncated(H.max(8), buf.len())),
    }
}

/// Defines a protocol's command id type: a `u32` newtype with one constant per command, its
/// short name, whether it is a response (bit 31, in all three protocols) and whether the
/// codec knows it, and `Debug` / `Display` that show the name and the hex value.
///
/// ```
/// sms_wire::command_ids! {
///     /// Command id of a toy protocol.
///     pub struct CommandId, "TOY" {
///         PING = 0x0000_0001, "PING";
///         PING_RESP = 0x8000_0001, "PING_RESP";
///     }
/// }
///
/// assert_eq!(CommandId::PING_RESP.name(), "PING_RESP");
/// assert!(CommandId::PING_RESP.is_response());
/// assert!(!CommandId(7).is_known());
/// assert_eq!(CommandId::PING.to_string(), "TOY_PING (0x00000001)");
/// assert_eq!(format!("{:?}", CommandId(7)), "UNKNOWN(0x00000007)");
/// ```
#[macro_export]
macro_rules! command_ids {
    (
        $(#[$meta:meta])*
        pub struct $ty:ident, $protocol:literal {
            $($name:ident = $value:literal, $text:literal;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub u32);

        impl $ty {
            $(
                #[doc = concat!($protocol, " ", $text, ".")]
                pub const $name: Self = $ty($value);
            )*

            /// Short command name ("SUBMIT", "DELIVER_RESP", …) or "UNKNOWN".
            pub const fn name(self) -> &'static str {
                match self.0 {
                    $($value => $text,)*
                    _ => "UNKNOWN",
                }
            }

            /// True for response ids (bit 31 set).
            pub const fn is_response(self) -> bool {
                self.0 & 0x8000_0000 != 0
            }

            /// True when this crate has a typed PDU for the id.
            pub const fn is_known(self) -> bool {
                !matches!(self.name().as_bytes(), b"UNKNOWN")
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}(0x{:08x})", self.name(), self.0)
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, concat!($protocol, "_{} (0x{:08x})"), self.name(), self.0)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Short(usize, usize);

    impl FieldProblem for Short {
        fn truncated(needed: usize, remaining: usize) -> Self {
            Short(needed, remaining)
        }
        fn trailing_bytes(extra: usize) -> Self {
            Short(0, extra)
        }
    }

    #[test]
    fn header_reads_length_and_command_id_or_names_the_shortfall() {
        let raw = [0, 0, 0, 0x0d, 0x80, 0, 0, 4, 0, 0, 0, 0x17, 0xff];
        let (length, command_id, h) = header::<12, Short>(&raw).unwrap();
        assert_eq!((length, command_id), (13, 0x8000_0004));
        assert_eq!(h[11], 0x17);
        assert_eq!(header::<12, Short>(&raw[..11]), Err(Short(12, 11)));
        // A header narrower than its two words can never be read.
        assert_eq!(header::<4, Short>(&raw), Err(Short(8, 13)));
    }

    #[test]
    fn need_more_until_the_whole_packet_arrived() {
        let packet = [0, 0, 0, 12, 0, 0, 0, 6, 0, 0, 4, 0xd2];
        for cut in 0..12 {
            assert_eq!(
                split_frame::<BadLength>(&packet[..cut], 12, 4096),
                Ok(FrameStatus::NeedMore)
            );
        }
        assert_eq!(
            split_frame::<BadLength>(&packet, 12, 4096),
            Ok(FrameStatus::Complete(12))
        );
    }

    #[test]
    fn impossible_lengths_are_rejected_before_the_body_arrives() {
        assert_eq!(
            split_frame::<BadLength>(&[0, 0, 0, 19], 20, 2048),
            Err(BadLength::TooShort { length: 19 })
        );
        assert_eq!(
            split_frame::<BadLength>(&[0, 0, 8, 1], 20, 2048),
            Err(BadLength::TooLong {
                length: 2049,
                max_len: 2048
            })
        );
        assert_eq!(
            split_frame::<BadLength>(&[0xff, 0xff, 0xff, 0xff], 20, 2048)
                .unwrap_err()
                .to_string(),
            "packet length 4294967295 exceeds the maximum frame length 2048"
        );
        // Exactly the limit is allowed; only the body is missing.
        assert_eq!(
            split_frame::<BadLength>(&[0, 0, 8, 0], 20, 2048),
            Ok(FrameStatus::NeedMore)
        );
    }
}
