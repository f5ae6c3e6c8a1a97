//! `tokio_util::codec` adapter for `Framed` users (feature `tokio-codec`).

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::error::{DecodeError, EncodeError, FrameError};
use crate::frame::{split_frame, FrameStatus, DEFAULT_MAX_FRAME_LEN};
use crate::pdu::{decode, encode, Packet};
use crate::Version;

/// Errors of [`CmppCodec`]: I/O, framing (fatal for the stream), decode, encode.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The underlying transport failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Total_Length is impossible; the stream cannot be resynchronised.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A correctly framed packet has a malformed body (the frame was consumed).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The caller tried to send something the wire format cannot carry.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Frames and decodes CMPP packets of one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmppCodec {
    /// Wire layout used for both directions.
    pub version: Version,
    /// Largest accepted Total_Length.
    pub max_frame_len: u32,
}

impl CmppCodec {
    /// A codec for `version` with [`DEFAULT_MAX_FRAME_LEN`].
    pub fn new(version: Version) -> Self {
        CmppCodec {
            version,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

impl Decoder for CmppCodec {
    type Item = Packet;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet>, CodecError> {
        match split_frame(src, self.max_frame_len)? {
            FrameStatus::NeedMore => {
                // Reserve for the rest of the announced frame (bounded by max_frame_len).
                if src.len() >= 4 {
                    let total = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
                    src.reserve(total.saturating_sub(src.len()));
                }
                Ok(None)
            }
            FrameStatus::Complete(n) => {
                let frame = src.split_to(n).freeze();
                Ok(Some(decode(frame, self.version)?))
            }
        }
    }
}

impl Encoder<Packet> for CmppCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Packet, dst: &mut BytesMut) -> Result<(), CodecError> {
        encode(&item, self.version, dst)?;
        Ok(())
    }
}

impl Encoder<&Packet> for CmppCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Packet, dst: &mut BytesMut) -> Result<(), CodecError> {
        encode(item, self.version, dst)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::Pdu;

    #[test]
    fn decodes_packets_split_across_reads() {
        let mut codec = CmppCodec::new(Version::V30);
        let mut wire = BytesMut::new();
        Encoder::<Packet>::encode(&mut codec, Packet::new(1, Pdu::ActiveTest), &mut wire).unwrap();
        Encoder::<&Packet>::encode(&mut codec, &Packet::new(2, Pdu::Terminate), &mut wire).unwrap();
        let mut src = BytesMut::new();
        let mut got = Vec::new();
        for b in wire.iter() {
            src.extend_from_slice(&[*b]);
            while let Some(p) = codec.decode(&mut src).unwrap() {
                got.push(p);
            }
        }
        assert_eq!(
            got,
            vec![
                Packet::new(1, Pdu::ActiveTest),
                Packet::new(2, Pdu::Terminate)
            ]
        );
        assert!(src.is_empty());
    }

    #[test]
    fn oversized_frame_is_a_frame_error() {
        let mut codec = CmppCodec {
            version: Version::V20,
            max_frame_len: 100,
        };
        let mut src = BytesMut::from(&[0u8, 0, 0, 101][..]);
        assert!(matches!(
            codec.decode(&mut src),
            Err(CodecError::Frame(FrameError::TooLong {
                total_length: 101,
                max_len: 100
            }))
        ));
    }

    #[test]
    fn malformed_body_consumes_frame_and_reports_decode_error() {
        let mut codec = CmppCodec::new(Version::V30);
        // SUBMIT_RESP with a 3-byte body.
        let mut src = BytesMut::from(&[0u8, 0, 0, 15, 0x80, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0][..]);
        assert!(matches!(codec.decode(&mut src), Err(CodecError::Decode(_))));
        assert!(src.is_empty());
    }
}
