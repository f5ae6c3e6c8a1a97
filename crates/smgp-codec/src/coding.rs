//! MsgFormat and turning message content into text (§6).

pub use sms_wire::coding::{Decoded, ASCII, BINARY, GB18030, SIM, UCS2};

/// MsgFormat 246: (U)SIM-related message.
pub const USIM: u8 = 246;

/// Decodes `content` per `format`: the formats SMGP shares with CMPP and SGIP; 246 and the
/// reserved values are binary (raw, flagged by the caller). UDH bytes, if any, must be
/// stripped by the caller.
pub fn decode_text(format: u8, content: &[u8]) -> Decoded<'_> {
    sms_wire::coding::decode_common(format, content).unwrap_or(Decoded::Binary)
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
