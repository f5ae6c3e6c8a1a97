//! MsgFormat and turning message content into text (§6).

use std::borrow::Cow;

/// How a content was decoded into text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// Text, exactly as the coding says.
    Text(Cow<'a, str>),
    /// Text, but the bytes did not fit the declared coding (ASCII with high bytes read as
    /// GB18030, malformed UCS-2 or GB18030 repaired with U+FFFD).
    Lossy(String),
    /// Binary or SIM data (format 3, 4, 246, reserved values): no text.
    Binary,
}

/// MsgFormat 0: ASCII.
pub const ASCII: u8 = 0;
/// MsgFormat 3: SIM write-card operation.
pub const SIM: u8 = 3;
/// MsgFormat 4: binary.
pub const BINARY: u8 = 4;
/// MsgFormat 8: UCS-2 (read as UTF-16BE).
pub const UCS2: u8 = 8;
/// MsgFormat 15: GB18030 (the spec's required format for text).
pub const GB18030: u8 = 15;
/// MsgFormat 246: (U)SIM-related message.
pub const USIM: u8 = 246;

/// Decodes `content` per `format`. UDH bytes, if any, must be stripped by the caller.
pub fn decode_text(format: u8, content: &[u8]) -> Decoded<'_> {
    match format {
        ASCII => match std::str::from_utf8(content) {
            Ok(s) if content.is_ascii() => Decoded::Text(Cow::Borrowed(s)),
            _ => Decoded::Lossy(gbk(content).0.into_owned()),
        },
        UCS2 => ucs2(content),
        GB18030 => match gbk(content) {
            (s, false) => Decoded::Text(Cow::Owned(s.into_owned())),
            (s, true) => Decoded::Lossy(s.into_owned()),
        },
        SIM | BINARY | USIM => Decoded::Binary,
        // Reserved values: raw, flagged by the caller.
        _ => Decoded::Binary,
    }
}

fn gbk(content: &[u8]) -> (Cow<'_, str>, bool) {
    let (s, _, had_errors) = encoding_rs::GB18030.decode(content);
    (s, had_errors)
}

fn ucs2(content: &[u8]) -> Decoded<'static> {
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
    fn each_coding_decodes() {
        assert_eq!(decode_text(0, b"233a"), Decoded::Text("233a".into()));
        assert_eq!(
            decode_text(15, &[0xc4, 0xe3, 0xba, 0xc3, 0x20, 0x4d, 0x4f]),
            Decoded::Text("你好 MO".into())
        );
        assert_eq!(
            decode_text(8, &[0x4f, 0x60, 0x59, 0x7d]),
            Decoded::Text("你好".into())
        );
        assert_eq!(decode_text(246, &[1]), Decoded::Binary);
        assert_eq!(decode_text(99, &[1]), Decoded::Binary);
        assert_eq!(decode_text(4, &[1, 2]), Decoded::Binary);
        assert_eq!(decode_text(3, &[1, 2]), Decoded::Binary);
    }

    #[test]
    fn mislabelled_content_is_flagged_not_dropped() {
        // ASCII declared, GB text sent.
        assert_eq!(
            decode_text(0, &[0xc4, 0xe3, 0xba, 0xc3]),
            Decoded::Lossy("你好".into())
        );
        assert!(matches!(decode_text(8, &[0x4f]), Decoded::Lossy(_)));
    }
}
