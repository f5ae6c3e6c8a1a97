//! Message content to text for the codings CMPP, SGIP and SMGP share (MessageCoding /
//! MsgFmt / MsgFormat): 0 ASCII, 3 SIM, 4 binary, 8 UCS-2, 15 GBK/GB18030.
//!
//! Each codec decides what its other values mean (SGIP: GSM data coding schemes; SMGP:
//! 246 for (U)SIM) and falls back to [`decode_common`] for these.

use std::borrow::Cow;

/// How a content was decoded into text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decoded<'a> {
    /// Text, exactly as the coding says.
    Text(Cow<'a, str>),
    /// Text, but the bytes did not fit the declared coding (ASCII with high bytes read as
    /// GB18030, malformed UCS-2 or GB18030 repaired with U+FFFD).
    Lossy(String),
    /// Binary or SIM data: no text.
    Binary,
}

/// Coding 0: ASCII.
pub const ASCII: u8 = 0;
/// Coding 3: SIM write-card operation.
pub const SIM: u8 = 3;
/// Coding 4: binary.
pub const BINARY: u8 = 4;
/// Coding 8: UCS-2 (read as UTF-16BE).
pub const UCS2: u8 = 8;
/// Coding 15: GBK, read as GB18030 (its superset, and SMGP's required text format).
pub const GB18030: u8 = 15;

/// Decodes `content` per one of the shared codings; `None` for any other value, which the
/// codec interprets. UDH bytes, if any, must be stripped by the caller.
pub fn decode_common(coding: u8, content: &[u8]) -> Option<Decoded<'_>> {
    Some(match coding {
        ASCII => match std::str::from_utf8(content) {
            Ok(s) if content.is_ascii() => Decoded::Text(Cow::Borrowed(s)),
            // A gateway that declares ASCII and sends GB text (garbled Chinese MO).
            _ => Decoded::Lossy(gb18030(content).0.into_owned()),
        },
        UCS2 => ucs2(content),
        GB18030 => match gb18030(content) {
            (s, false) => Decoded::Text(Cow::Owned(s.into_owned())),
            (s, true) => Decoded::Lossy(s.into_owned()),
        },
        SIM | BINARY => Decoded::Binary,
        _ => return None,
    })
}

/// `content` read as GB18030, and whether anything had to be replaced.
pub fn gb18030(content: &[u8]) -> (Cow<'_, str>, bool) {
    let (s, _, had_errors) = encoding_rs::GB18030.decode(content);
    (s, had_errors)
}

/// `content` read as UCS-2 (UTF-16BE); lossy when malformed or of odd length.
pub fn ucs2(content: &[u8]) -> Decoded<'static> {
    let (s, _, had_errors) = encoding_rs::UTF_16BE.decode(content);
    if had_errors || content.len() % 2 != 0 {
        Decoded::Lossy(s.into_owned())
    } else {
        Decoded::Text(Cow::Owned(s.into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_codings_decode_and_others_are_left_to_the_codec() {
        assert_eq!(
            decode_common(ASCII, b"233a"),
            Some(Decoded::Text("233a".into()))
        );
        assert_eq!(
            decode_common(GB18030, &[0xc4, 0xe3, 0xba, 0xc3, 0x20, 0x4d, 0x4f]),
            Some(Decoded::Text("你好 MO".into()))
        );
        assert_eq!(
            decode_common(UCS2, &[0x4f, 0x60, 0x59, 0x7d]),
            Some(Decoded::Text("你好".into()))
        );
        assert_eq!(decode_common(BINARY, &[1]), Some(Decoded::Binary));
        assert_eq!(decode_common(SIM, &[1]), Some(Decoded::Binary));
        assert_eq!(decode_common(0x18, &[0, 0x41]), None);
        assert_eq!(decode_common(246, &[1]), None);
    }

    #[test]
    fn broken_content_is_lossy_not_lost() {
        assert_eq!(
            decode_common(ASCII, &[0xc4, 0xe3, 0xba, 0xc3]),
            Some(Decoded::Lossy("你好".into()))
        );
        assert!(matches!(ucs2(&[0x4f]), Decoded::Lossy(_)));
        assert!(matches!(ucs2(&[0xd8, 0x00]), Decoded::Lossy(_))); // lone surrogate
        let (s, replaced) = gb18030(&[0xff]);
        assert!(replaced);
        assert_eq!(s, "\u{fffd}");
    }
}
