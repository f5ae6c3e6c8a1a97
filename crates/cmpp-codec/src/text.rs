//! Text encodings for Msg_Content, and the user-data-header (UDH) helpers used
//! when decoding concatenated messages.
//!
//! Encoding picks a Msg_Fmt for a Rust string ([`encode`]); decoding turns
//! content of any Msg_Fmt back into text or raw bytes ([`decode`] is lossless
//! and reports malformed input, [`decode_lossy`] substitutes U+FFFD).

use crate::msg_fmt::MsgFmt;
use thiserror::Error;

/// Which encoding the caller wants for outgoing text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TextEncoding {
    /// ASCII (Msg_Fmt 0) when every character is ASCII, otherwise UCS2 (Msg_Fmt 8).
    #[default]
    Auto,
    /// ASCII only; non-ASCII text is an error.
    Ascii,
    /// UCS2 (UTF-16BE, no byte-order mark), Msg_Fmt 8.
    Ucs2,
    /// GBK (Msg_Fmt 15), falling back to UCS2 when a character is not in GBK.
    Gbk,
}

/// Encoded content together with the Msg_Fmt that was actually used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedText {
    /// The format of `bytes` (may differ from the preference after a GBK fallback).
    pub fmt: MsgFmt,
    /// Msg_Content bytes (no UDH).
    pub bytes: Vec<u8>,
}

/// The character set a Msg_Fmt byte is decoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Charset {
    /// One byte per character, ISO-8859-1 (a superset of ASCII).
    Latin1,
    /// UTF-16BE without a byte-order mark.
    Ucs2,
    /// GB18030 (accepts all GBK and GB2312 data).
    Gb18030,
    /// Not text: kept as raw bytes.
    Binary,
}

/// Decoded Msg_Content.
#[derive(Debug, Clone, PartialEq, Eq)]
// Closed: a payload is text or it is not. Not #[non_exhaustive].
pub enum Content {
    /// Text content.
    Text(String),
    /// Binary content (Msg_Fmt 3, 4, or an unknown value whose DCS bits say 8-bit data).
    Binary(Vec<u8>),
}

impl Content {
    /// The text, if this is text content.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text(s) => Some(s),
            Content::Binary(_) => None,
        }
    }
}

/// Errors from encoding or decoding text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TextError {
    /// ASCII was requested but the text contains a non-ASCII character.
    #[error("character {ch:?} at char index {index} is not ASCII")]
    NotAscii {
        /// Char index of the first offending character.
        index: usize,
        /// The offending character.
        ch: char,
    },
    /// UCS2 content with an odd number of bytes.
    #[error("UCS2 content has odd length {len}")]
    OddUcs2Length {
        /// Content length in bytes.
        len: usize,
    },
    /// UCS2 content with a surrogate half that is not part of a pair.
    #[error("unpaired UTF-16 surrogate 0x{unit:04X} at byte offset {offset}")]
    UnpairedSurrogate {
        /// Byte offset of the code unit.
        offset: usize,
        /// The code unit.
        unit: u16,
    },
    /// GB content with a byte sequence that is not valid GB18030.
    #[error("malformed GB18030 sequence at byte offset {offset}")]
    MalformedGb {
        /// Byte offset where the malformed sequence starts.
        offset: usize,
    },
}

/// Which charset decodes a Msg_Fmt; unknown values follow GSM DCS bits 3..2
/// (00 ASCII, 01 binary, 10 UCS2, 11 GB), as gateways that copy a DCS through expect.
pub fn charset(fmt: MsgFmt) -> Charset {
    match fmt {
        MsgFmt::Ascii => Charset::Latin1,
        MsgFmt::SimCard | MsgFmt::Binary => Charset::Binary,
        MsgFmt::Ucs2 => Charset::Ucs2,
        MsgFmt::Gb => Charset::Gb18030,
        MsgFmt::Other(b) => match (b >> 2) & 0b11 {
            0b00 => Charset::Latin1,
            0b01 => Charset::Binary,
            0b10 => Charset::Ucs2,
            _ => Charset::Gb18030,
        },
    }
}

/// Encodes `text` following the preference; the result says which Msg_Fmt was used.
pub fn encode(text: &str, pref: TextEncoding) -> Result<EncodedText, TextError> {
    match pref {
        TextEncoding::Auto => {
            if text.is_ascii() {
                Ok(ascii(text))
            } else {
                Ok(ucs2(text))
            }
        }
        TextEncoding::Ascii => {
            if let Some((index, ch)) = text.chars().enumerate().find(|(_, c)| !c.is_ascii()) {
                return Err(TextError::NotAscii { index, ch });
            }
            Ok(ascii(text))
        }
        TextEncoding::Ucs2 => Ok(ucs2(text)),
        TextEncoding::Gbk => {
            let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
            if unmappable {
                // Spec §9.9: fall back to UCS2 rather than emit numeric references.
                Ok(ucs2(text))
            } else {
                Ok(EncodedText {
                    fmt: MsgFmt::Gb,
                    bytes: bytes.into_owned(),
                })
            }
        }
    }
}

fn ascii(text: &str) -> EncodedText {
    EncodedText {
        fmt: MsgFmt::Ascii,
        bytes: text.as_bytes().to_vec(),
    }
}

fn ucs2(text: &str) -> EncodedText {
    EncodedText {
        fmt: MsgFmt::Ucs2,
        bytes: encode_ucs2(text),
    }
}

/// UTF-16BE bytes of `text`, without a byte-order mark.
pub fn encode_ucs2(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Decodes content losslessly; malformed UCS2 or GB data is an error.
pub fn decode(fmt: MsgFmt, bytes: &[u8]) -> Result<Content, TextError> {
    Ok(match charset(fmt) {
        Charset::Latin1 => Content::Text(decode_latin1(bytes)),
        Charset::Binary => Content::Binary(bytes.to_vec()),
        Charset::Ucs2 => Content::Text(decode_ucs2(bytes)?),
        Charset::Gb18030 => Content::Text(decode_gb(bytes)?),
    })
}

/// Decodes content, replacing malformed sequences (unpaired surrogates, a
/// trailing odd byte, bad GB sequences) with U+FFFD. Never fails.
pub fn decode_lossy(fmt: MsgFmt, bytes: &[u8]) -> Content {
    match charset(fmt) {
        Charset::Latin1 => Content::Text(decode_latin1(bytes)),
        Charset::Binary => Content::Binary(bytes.to_vec()),
        Charset::Ucs2 => {
            let units = bytes
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]));
            let mut s: String = char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            if bytes.len() % 2 == 1 {
                s.push(char::REPLACEMENT_CHARACTER);
            }
            Content::Text(s)
        }
        Charset::Gb18030 => {
            let (s, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            Content::Text(s.into_owned())
        }
    }
}

/// ISO-8859-1: every byte is the code point of the same value, so this cannot fail.
pub fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Strict UTF-16BE decode.
pub fn decode_ucs2(bytes: &[u8]) -> Result<String, TextError> {
    if bytes.len() % 2 == 1 {
        return Err(TextError::OddUcs2Length { len: bytes.len() });
    }
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let unit = u16::from_be_bytes([bytes[i], bytes[i + 1]]);
        match unit {
            0xD800..=0xDBFF => {
                let low = bytes
                    .get(i + 2..i + 4)
                    .map(|p| u16::from_be_bytes([p[0], p[1]]))
                    .filter(|l| (0xDC00..=0xDFFF).contains(l));
                let Some(low) = low else {
                    return Err(TextError::UnpairedSurrogate { offset: i, unit });
                };
                let cp = 0x10000 + (((u32::from(unit) - 0xD800) << 10) | (u32::from(low) - 0xDC00));
                // Always a valid scalar value: the range is 0x10000..=0x10FFFF.
                out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
                i += 4;
            }
            0xDC00..=0xDFFF => return Err(TextError::UnpairedSurrogate { offset: i, unit }),
            _ => {
                out.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
                i += 2;
            }
        }
    }
    Ok(out)
}

/// Strict GB18030 decode (accepts GBK and GB2312).
pub fn decode_gb(bytes: &[u8]) -> Result<String, TextError> {
    use encoding_rs::DecoderResult;
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    // GB18030 never expands beyond 3 UTF-8 bytes per input byte, so this bound holds.
    let cap = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3).saturating_add(4));
    let mut out = String::with_capacity(cap);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok(out),
        DecoderResult::Malformed(bad, extra) => Err(TextError::MalformedGb {
            offset: read.saturating_sub(usize::from(bad) + usize::from(extra)),
        }),
        // Unreachable with the buffer sized above; report as malformed rather than panic.
        DecoderResult::OutputFull => Err(TextError::MalformedGb { offset: read }),
    }
}

/// Length in bytes of the GB character starting at `bytes[0]` (GBK: lead byte
/// 0x81–0xFE takes 2 bytes; GB18030 four-byte sequences have a 0x30–0x39
/// second byte). Never more than `bytes.len()`; 0 only for empty input.
pub fn gb_char_len(bytes: &[u8]) -> usize {
    let n = match bytes {
        [] => 0,
        [0x81..=0xFE, 0x30..=0x39, ..] => 4,
        [0x81..=0xFE, ..] => 2,
        _ => 1,
    };
    n.min(bytes.len())
}

// ---------------------------------------------------------------------------
// User data header

/// Which concatenation information element a UDH uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum UdhRef {
    /// IEI 0x00, 8-bit reference: `05 00 03 RR TT NN` (6 bytes).
    Bits8,
    /// IEI 0x08, 16-bit big-endian reference: `06 08 04 RR RR TT NN` (7 bytes).
    Bits16,
}

impl UdhRef {
    /// Size of the whole UDH including the UDHL byte.
    pub const fn udh_len(self) -> usize {
        match self {
            UdhRef::Bits8 => 6,
            UdhRef::Bits16 => 7,
        }
    }

    /// Largest reference value this kind can carry.
    pub const fn max_reference(self) -> u16 {
        match self {
            UdhRef::Bits8 => 0xFF,
            UdhRef::Bits16 => 0xFFFF,
        }
    }
}

/// A concatenation information element: which part of which long message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConcatInfo {
    /// 8-bit or 16-bit reference element.
    pub kind: UdhRef,
    /// Reference shared by all parts of one long message.
    pub reference: u16,
    /// Total number of parts (TT).
    pub total: u8,
    /// This part, 1-based (NN).
    pub number: u8,
}

impl ConcatInfo {
    /// Checks 1 ≤ number ≤ total and that the reference fits the kind.
    pub fn validate(&self) -> Result<(), UdhError> {
        if self.total == 0 || self.number == 0 || self.number > self.total {
            return Err(UdhError::BadPart {
                number: self.number,
                total: self.total,
            });
        }
        if self.reference > self.kind.max_reference() {
            return Err(UdhError::ReferenceTooLarge {
                reference: self.reference,
                kind: self.kind,
            });
        }
        Ok(())
    }

    /// The UDH bytes (UDHL included) for this part. An 8-bit element carries
    /// only the low byte of `reference`; [`ConcatInfo::validate`] rejects larger values.
    pub fn to_udh(&self) -> Vec<u8> {
        match self.kind {
            UdhRef::Bits8 => vec![
                0x05,
                0x00,
                0x03,
                self.reference as u8,
                self.total,
                self.number,
            ],
            UdhRef::Bits16 => {
                let [hi, lo] = self.reference.to_be_bytes();
                vec![0x06, 0x08, 0x04, hi, lo, self.total, self.number]
            }
        }
    }
}

/// Errors in a user data header.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UdhError {
    /// TP_udhi is set but the content is empty.
    #[error("UDH indicated but Msg_Content is empty")]
    Missing,
    /// UDHL points beyond the content.
    #[error("UDH length {udhl} does not fit in {available} remaining content bytes")]
    UdhTooLong {
        /// The UDHL byte.
        udhl: u8,
        /// Bytes after the UDHL byte.
        available: usize,
    },
    /// An information element's length points beyond the UDH.
    #[error("information element 0x{iei:02X} at UDH offset {offset} has length {iedl}, exceeding the UDH")]
    IeTruncated {
        /// Element identifier.
        iei: u8,
        /// Offset of the IEI within the UDH (after UDHL).
        offset: usize,
        /// Declared element length.
        iedl: u8,
    },
    /// A concatenation element with the wrong data length.
    #[error("concatenation element 0x{iei:02X} has length {iedl}, expected {expected}")]
    BadConcatLength {
        /// Element identifier.
        iei: u8,
        /// Declared length.
        iedl: u8,
        /// Length required for this IEI.
        expected: u8,
    },
    /// Part number 0, total 0, or part number above total.
    #[error("invalid concatenation part {number} of {total}")]
    BadPart {
        /// Part number (NN).
        number: u8,
        /// Total (TT).
        total: u8,
    },
    /// Reference does not fit in the element kind.
    #[error("reference {reference} does not fit a {kind:?} element")]
    ReferenceTooLarge {
        /// The reference.
        reference: u16,
        /// The element kind.
        kind: UdhRef,
    },
}

/// Msg_Content split into its UDH and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserData<'a> {
    /// Information elements of the UDH (the bytes after UDHL), if a UDH is present.
    pub udh: Option<&'a [u8]>,
    /// The payload after the UDH.
    pub payload: &'a [u8],
}

/// Whether a TP_udhi byte means "UDH present": any non-zero value, since
/// gateways often send 0x40 (the SMPP esm_class bit) instead of 1 (spec §9.7).
pub const fn udhi_set(tp_udhi: u8) -> bool {
    tp_udhi != 0
}

/// Splits off the UDH when `udhi` is set, checking that UDHL fits.
pub fn split_udh(content: &[u8], udhi: bool) -> Result<UserData<'_>, UdhError> {
    if !udhi {
        return Ok(UserData {
            udh: None,
            payload: content,
        });
    }
    let (&udhl, rest) = content.split_first().ok_or(UdhError::Missing)?;
    let n = usize::from(udhl);
    if n > rest.len() {
        return Err(UdhError::UdhTooLong {
            udhl,
            available: rest.len(),
        });
    }
    let (udh, payload) = rest.split_at(n);
    Ok(UserData {
        udh: Some(udh),
        payload,
    })
}

/// Finds the concatenation element in UDH information elements (the bytes
/// after UDHL); other elements are skipped. When several are present the last
/// one wins (as GSM 03.40 prescribes for repeated elements).
pub fn parse_concat(ies: &[u8]) -> Result<Option<ConcatInfo>, UdhError> {
    let mut found = None;
    let mut i = 0;
    while i < ies.len() {
        let iei = ies[i];
        let Some(&iedl) = ies.get(i + 1) else {
            return Err(UdhError::IeTruncated {
                iei,
                offset: i,
                iedl: 0,
            });
        };
        let start = i + 2;
        let end = start + usize::from(iedl);
        let Some(data) = ies.get(start..end) else {
            return Err(UdhError::IeTruncated {
                iei,
                offset: i,
                iedl,
            });
        };
        match iei {
            0x00 => {
                let [r, t, n] = data else {
                    return Err(UdhError::BadConcatLength {
                        iei,
                        iedl,
                        expected: 3,
                    });
                };
                found = Some(ConcatInfo {
                    kind: UdhRef::Bits8,
                    reference: u16::from(*r),
                    total: *t,
                    number: *n,
                });
            }
            0x08 => {
                let [hi, lo, t, n] = data else {
                    return Err(UdhError::BadConcatLength {
                        iei,
                        iedl,
                        expected: 4,
                    });
                };
                found = Some(ConcatInfo {
                    kind: UdhRef::Bits16,
                    // Big-endian: the high byte must be shifted (a known bug elsewhere ORs them).
                    reference: u16::from_be_bytes([*hi, *lo]),
                    total: *t,
                    number: *n,
                });
            }
            _ => {}
        }
        i = end;
    }
    if let Some(info) = &found {
        info.validate()?;
    }
    Ok(found)
}

/// Splits the UDH and parses its concatenation element in one step.
pub fn parse_user_data(
    content: &[u8],
    udhi: bool,
) -> Result<(UserData<'_>, Option<ConcatInfo>), UdhError> {
    let ud = split_udh(content, udhi)?;
    let concat = match ud.udh {
        Some(ies) => parse_concat(ies)?,
        None => None,
    };
    Ok((ud, concat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_ascii_or_ucs2() {
        let e = encode("hello", TextEncoding::Auto).unwrap();
        assert_eq!(e.fmt, MsgFmt::Ascii);
        assert_eq!(e.bytes, b"hello");
        let e = encode("你好", TextEncoding::Auto).unwrap();
        assert_eq!(e.fmt, MsgFmt::Ucs2);
        assert_eq!(e.bytes, [0x4F, 0x60, 0x59, 0x7D]);
    }

    #[test]
    fn ascii_rejects_non_ascii() {
        let err = encode("abé", TextEncoding::Ascii).unwrap_err();
        assert_eq!(err, TextError::NotAscii { index: 2, ch: 'é' });
        assert!(err.to_string().contains("not ASCII"));
    }

    #[test]
    fn gbk_and_fallback() {
        let e = encode("你好", TextEncoding::Gbk).unwrap();
        assert_eq!(e.fmt, MsgFmt::Gb);
        assert_eq!(e.bytes, [0xC4, 0xE3, 0xBA, 0xC3]);
        let e = encode("你好😀", TextEncoding::Gbk).unwrap();
        assert_eq!(e.fmt, MsgFmt::Ucs2);
        assert_eq!(decode_ucs2(&e.bytes).unwrap(), "你好😀");
    }

    #[test]
    fn emoji_is_surrogate_pair() {
        let e = encode("😀", TextEncoding::Ucs2).unwrap();
        assert_eq!(e.bytes, [0xD8, 0x3D, 0xDE, 0x00]);
        assert_eq!(
            decode(MsgFmt::Ucs2, &e.bytes).unwrap().as_text(),
            Some("😀")
        );
    }

    #[test]
    fn strict_ucs2_errors() {
        assert_eq!(
            decode_ucs2(&[0x00]),
            Err(TextError::OddUcs2Length { len: 1 })
        );
        assert_eq!(
            decode_ucs2(&[0x00, 0x41, 0xD8, 0x3D]),
            Err(TextError::UnpairedSurrogate {
                offset: 2,
                unit: 0xD83D
            })
        );
        assert_eq!(
            decode_ucs2(&[0xDE, 0x00, 0x00, 0x41]),
            Err(TextError::UnpairedSurrogate {
                offset: 0,
                unit: 0xDE00
            })
        );
        assert_eq!(
            decode_lossy(MsgFmt::Ucs2, &[0xD8, 0x3D, 0x00, 0x41, 0x00]),
            Content::Text("\u{FFFD}A\u{FFFD}".into())
        );
    }

    #[test]
    fn gb18030_four_byte_and_errors() {
        // Emoji are four-byte GB18030 sequences that GBK cannot express.
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode("😀");
        assert!(!unmappable);
        assert_eq!(bytes.len(), 4);
        assert!((0x30..=0x39).contains(&bytes[1]));
        assert_eq!(decode_gb(&bytes).unwrap(), "😀");
        assert_eq!(gb_char_len(&bytes), 4);
        assert_eq!(gb_char_len(&[0xC4, 0xE3]), 2);
        assert_eq!(gb_char_len(&[0x41, 0xC4]), 1);
        assert_eq!(gb_char_len(&[0xC4]), 1);
        assert_eq!(
            decode_gb(&[0x41, 0x42, 0xC4]),
            Err(TextError::MalformedGb { offset: 2 })
        );
        assert_eq!(
            decode_lossy(MsgFmt::Gb, &[0x41, 0xFF]),
            Content::Text("A\u{FFFD}".into())
        );
    }

    #[test]
    fn latin1_and_binary() {
        assert_eq!(
            decode(MsgFmt::Ascii, &[0x41, 0xE9]).unwrap(),
            Content::Text("Aé".into())
        );
        assert_eq!(
            decode(MsgFmt::Binary, &[1, 2]).unwrap(),
            Content::Binary(vec![1, 2])
        );
        assert_eq!(
            decode(MsgFmt::SimCard, &[9]).unwrap(),
            Content::Binary(vec![9])
        );
    }

    #[test]
    fn unknown_fmt_uses_dcs_bits() {
        assert_eq!(charset(MsgFmt::Other(0xA8)), Charset::Ucs2);
        assert_eq!(charset(MsgFmt::Other(9)), Charset::Ucs2);
        assert_eq!(charset(MsgFmt::Other(0xF4)), Charset::Binary);
        assert_eq!(charset(MsgFmt::Other(0x01)), Charset::Latin1);
        assert_eq!(charset(MsgFmt::Other(0x0C)), Charset::Gb18030);
        assert_eq!(
            decode(MsgFmt::Other(0xA8), &[0x4F, 0x60]).unwrap(),
            Content::Text("你".into())
        );
    }

    #[test]
    fn split_udh_checks_length() {
        let c = [0x05, 0x00, 0x03, 0x2E, 0x03, 0x01, b'h', b'i'];
        let (ud, info) = parse_user_data(&c, true).unwrap();
        assert_eq!(ud.payload, b"hi");
        assert_eq!(
            info,
            Some(ConcatInfo {
                kind: UdhRef::Bits8,
                reference: 0x2E,
                total: 3,
                number: 1
            })
        );
        assert_eq!(split_udh(&c, false).unwrap().payload, &c[..]);
        assert_eq!(split_udh(&[], true), Err(UdhError::Missing));
        assert_eq!(
            split_udh(&[0x05, 0x00, 0x03], true),
            Err(UdhError::UdhTooLong {
                udhl: 5,
                available: 2
            })
        );
    }

    #[test]
    fn sixteen_bit_reference_is_big_endian() {
        let c = [0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02, 0x00, 0x41];
        let (ud, info) = parse_user_data(&c, true).unwrap();
        let info = info.unwrap();
        assert_eq!(info.reference, 0x1234);
        assert_eq!(info.kind, UdhRef::Bits16);
        assert_eq!(ud.payload, [0x00, 0x41]);
        assert_eq!(info.to_udh(), c[..7]);
    }

    #[test]
    fn other_ies_are_skipped_and_bad_ies_rejected() {
        // A port-addressing IE (0x05, 4 bytes) before the concat IE.
        let ies = [
            0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x07, 0x02, 0x02,
        ];
        let info = parse_concat(&ies).unwrap().unwrap();
        assert_eq!((info.reference, info.total, info.number), (7, 2, 2));
        assert_eq!(
            parse_concat(&[0x05, 0x04, 0x0B]).unwrap_err(),
            UdhError::IeTruncated {
                iei: 5,
                offset: 0,
                iedl: 4
            }
        );
        assert_eq!(
            parse_concat(&[0x05]).unwrap_err(),
            UdhError::IeTruncated {
                iei: 5,
                offset: 0,
                iedl: 0
            }
        );
        assert!(matches!(
            parse_concat(&[0x00, 0x02, 0x01, 0x02]),
            Err(UdhError::BadConcatLength { expected: 3, .. })
        ));
        assert_eq!(
            parse_concat(&[0x00, 0x03, 0x01, 0x02, 0x03]),
            Err(UdhError::BadPart {
                number: 3,
                total: 2
            })
        );
        assert_eq!(
            parse_concat(&[0x00, 0x03, 0x01, 0x00, 0x00]),
            Err(UdhError::BadPart {
                number: 0,
                total: 0
            })
        );
        assert_eq!(parse_concat(&[0x05, 0x00]).unwrap(), None);
    }

    #[test]
    fn udhi_values() {
        assert!(udhi_set(1));
        assert!(udhi_set(0x40));
        assert!(!udhi_set(0));
    }
}
