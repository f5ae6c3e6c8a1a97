//! Splitting content into SUBMIT-sized segments.

use crate::msg_fmt::MsgFmt;
use crate::text::{self, Charset, ConcatInfo, TextEncoding, TextError, UdhRef};
use thiserror::Error;

/// Most segments a long message can have (TT is one byte).
pub const MAX_SEGMENTS: usize = 255;

/// Every segment's Msg_Content (UDH included) fits in this many bytes.
const MAX_CONTENT: usize = 140;

/// One SUBMIT's worth of a (possibly long) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Full Msg_Content: UDH (when `tp_udhi`) followed by the payload.
    pub content: Vec<u8>,
    /// Pk_total: number of segments.
    pub pk_total: u8,
    /// Pk_number: this segment, 1-based.
    pub pk_number: u8,
    /// Msg_Fmt of the payload.
    pub msg_fmt: MsgFmt,
    /// Whether `content` starts with a UDH (send TP_udhi = 1, or 0x40 for gateways that want it).
    pub tp_udhi: bool,
}

impl Segment {
    /// TP_udhi wire value using the spec's value 1.
    pub fn tp_udhi_byte(&self) -> u8 {
        u8::from(self.tp_udhi)
    }

    /// The payload without the UDH.
    pub fn payload(&self) -> &[u8] {
        match text::split_udh(&self.content, self.tp_udhi) {
            Ok(ud) => ud.payload,
            // Segments built here always carry a well-formed UDH; fall back to the whole content.
            Err(_) => &self.content,
        }
    }
}

/// Errors from splitting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SplitError {
    /// The text could not be encoded as requested.
    #[error(transparent)]
    Encode(#[from] TextError),
    /// The message would need more than 255 segments.
    #[error("message needs more than {max} segments ({len} content bytes)")]
    TooManySegments {
        /// The limit (255).
        max: usize,
        /// Encoded content length in bytes.
        len: usize,
    },
    /// The reference does not fit the chosen UDH kind (8-bit references are 0–255).
    #[error("reference {reference} does not fit a {kind:?} UDH")]
    ReferenceTooLarge {
        /// The reference.
        reference: u16,
        /// The UDH kind.
        kind: UdhRef,
    },
}

/// Encodes `text` (see [`text::encode`]) and splits it; one segment without
/// UDH when it fits a single SUBMIT (ASCII ≤ 159 bytes, others ≤ 140).
pub fn split_text(
    text: &str,
    pref: TextEncoding,
    udh: UdhRef,
    reference: u16,
) -> Result<Vec<Segment>, SplitError> {
    let enc = text::encode(text, pref)?;
    split_encoded(enc.fmt, &enc.bytes, udh, reference)
}

/// Splits raw bytes as Msg_Fmt 4 (binary), cutting at any byte.
pub fn split_binary(data: &[u8], udh: UdhRef, reference: u16) -> Result<Vec<Segment>, SplitError> {
    split_encoded(MsgFmt::Binary, data, udh, reference)
}

/// Splits already-encoded content of format `fmt`. UCS2 is cut between code
/// units and never inside a surrogate pair; GB content is cut on character
/// boundaries; everything else at any byte.
pub fn split_encoded(
    fmt: MsgFmt,
    bytes: &[u8],
    udh: UdhRef,
    reference: u16,
) -> Result<Vec<Segment>, SplitError> {
    if reference > udh.max_reference() {
        return Err(SplitError::ReferenceTooLarge {
            reference,
            kind: udh,
        });
    }
    if bytes.len() <= fmt.max_submit_len() {
        return Ok(vec![Segment {
            content: bytes.to_vec(),
            pk_total: 1,
            pk_number: 1,
            msg_fmt: fmt,
            tp_udhi: false,
        }]);
    }
    let cap = MAX_CONTENT - udh.udh_len();
    let ends = chunk_ends(text::charset(fmt), bytes, cap)?;
    // `chunk_ends` guarantees 2..=255 chunks here, so the count fits a u8.
    let total = u8::try_from(ends.len()).map_err(|_| SplitError::TooManySegments {
        max: MAX_SEGMENTS,
        len: bytes.len(),
    })?;
    let mut start = 0;
    let mut out = Vec::with_capacity(ends.len());
    for (number, end) in (1..=total).zip(ends) {
        let info = ConcatInfo {
            kind: udh,
            reference,
            total,
            number,
        };
        let mut content = info.to_udh();
        content.extend_from_slice(&bytes[start..end]);
        out.push(Segment {
            content,
            pk_total: total,
            pk_number: number,
            msg_fmt: fmt,
            tp_udhi: true,
        });
        start = end;
    }
    Ok(out)
}

/// End offsets of each chunk of at most `cap` bytes; errors once more than
/// [`MAX_SEGMENTS`] chunks would be needed (before allocating more).
fn chunk_ends(cs: Charset, bytes: &[u8], cap: usize) -> Result<Vec<usize>, SplitError> {
    let mut ends = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        if ends.len() == MAX_SEGMENTS {
            return Err(SplitError::TooManySegments {
                max: MAX_SEGMENTS,
                len: bytes.len(),
            });
        }
        let limit = (start + cap).min(bytes.len());
        let end = match cs {
            Charset::Ucs2 => {
                // Whole code units only; `cap` is at least 4 so a pair always fits.
                let mut end = start + (limit - start) / 2 * 2;
                if end < bytes.len() && end - start >= 2 && (0xD8..=0xDB).contains(&bytes[end - 2])
                {
                    end -= 2;
                }
                if end == start {
                    // Only a trailing odd byte is left.
                    bytes.len()
                } else {
                    end
                }
            }
            Charset::Gb18030 => {
                let mut end = start;
                loop {
                    let n = text::gb_char_len(&bytes[end..]);
                    if n == 0 || end + n > limit {
                        break;
                    }
                    end += n;
                }
                end
            }
            Charset::Latin1 | Charset::Binary => limit,
        };
        ends.push(end);
        start = end;
    }
    Ok(ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_segment_without_udh() {
        let s = split_text(&"a".repeat(159), TextEncoding::Auto, UdhRef::Bits8, 1).unwrap();
        assert_eq!(s.len(), 1);
        assert!(!s[0].tp_udhi);
        assert_eq!(s[0].tp_udhi_byte(), 0);
        assert_eq!(s[0].content.len(), 159);
        assert_eq!((s[0].pk_total, s[0].pk_number), (1, 1));
        let s = split_text(&"你".repeat(70), TextEncoding::Auto, UdhRef::Bits8, 1).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].content.len(), 140);
    }

    #[test]
    fn ascii_160_needs_two_segments() {
        let s = split_text(&"a".repeat(160), TextEncoding::Auto, UdhRef::Bits8, 9).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(&s[0].content[..6], &[0x05, 0x00, 0x03, 9, 2, 1]);
        assert_eq!(s[0].payload().len(), 134);
        assert_eq!(s[1].payload().len(), 26);
        assert_eq!(s[1].tp_udhi_byte(), 1);
    }

    #[test]
    fn ucs2_capacity_per_udh_kind() {
        let text = "你".repeat(71);
        let s8 = split_text(&text, TextEncoding::Auto, UdhRef::Bits8, 1).unwrap();
        assert_eq!(s8[0].payload().len(), 134);
        let s16 = split_text(&text, TextEncoding::Auto, UdhRef::Bits16, 0x1234).unwrap();
        assert_eq!(s16[0].payload().len(), 132);
        assert_eq!(s16[0].content.len(), 139);
        assert_eq!(&s16[0].content[..7], &[0x06, 0x08, 0x04, 0x12, 0x34, 2, 1]);
    }

    #[test]
    fn surrogate_pair_is_not_cut() {
        // 66 BMP chars then an emoji: the pair would straddle byte 134.
        let text = format!("{}😀{}", "你".repeat(66), "好".repeat(10));
        let s = split_text(&text, TextEncoding::Auto, UdhRef::Bits8, 1).unwrap();
        assert_eq!(s[0].payload().len(), 132);
        for seg in &s {
            text::decode_ucs2(seg.payload()).unwrap();
        }
    }

    #[test]
    fn gb_cut_on_char_boundary() {
        // One ASCII byte shifts every two-byte char to an odd offset.
        let text = format!("a{}", "你".repeat(80));
        let s = split_text(&text, TextEncoding::Gbk, UdhRef::Bits8, 1).unwrap();
        assert_eq!(s[0].msg_fmt, MsgFmt::Gb);
        assert_eq!(s[0].payload().len(), 133);
        for seg in &s {
            text::decode_gb(seg.payload()).unwrap();
        }
        // Four-byte GB18030 sequences are kept whole too.
        let emoji = "😀".repeat(40);
        let (four, _, _) = encoding_rs::GB18030.encode(&emoji);
        let s = split_encoded(MsgFmt::Gb, &four, UdhRef::Bits8, 1).unwrap();
        assert_eq!(s[0].payload().len(), 132);
        for seg in &s {
            text::decode_gb(seg.payload()).unwrap();
        }
    }

    #[test]
    fn binary_split_and_limits() {
        let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
        let s = split_binary(&data, UdhRef::Bits16, 700).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].msg_fmt, MsgFmt::Binary);
        let joined: Vec<u8> = s.iter().flat_map(|x| x.payload().to_vec()).collect();
        assert_eq!(joined, data);

        assert_eq!(
            split_binary(&data, UdhRef::Bits8, 256),
            Err(SplitError::ReferenceTooLarge {
                reference: 256,
                kind: UdhRef::Bits8
            })
        );
        let ok = vec![0u8; 134 * 255];
        assert_eq!(split_binary(&ok, UdhRef::Bits8, 1).unwrap().len(), 255);
        let too_big = vec![0u8; 134 * 255 + 1];
        assert_eq!(
            split_binary(&too_big, UdhRef::Bits8, 1),
            Err(SplitError::TooManySegments {
                max: 255,
                len: too_big.len()
            })
        );
    }

    #[test]
    fn encode_errors_propagate() {
        assert!(matches!(
            split_text("é", TextEncoding::Ascii, UdhRef::Bits8, 0),
            Err(SplitError::Encode(TextError::NotAscii { .. }))
        ));
    }
}
