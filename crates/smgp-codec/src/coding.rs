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

    // ASCII, UCS-2, GB18030, SIM and binary themselves are tested in sms-wire; these check
    // that SMGP passes them through and keeps (U)SIM and reserved formats raw.
    #[test]
    fn each_coding_decodes() {
        let ucs2 = [0x4f, 0x60, 0x59, 0x7d];
        assert_eq!(decode_text(UCS2, &ucs2), Decoded::Text("你好".into()));
        assert_eq!(decode_text(BINARY, &[1, 2]), Decoded::Binary);
        assert_eq!(decode_text(USIM, &[1]), Decoded::Binary);
        assert_eq!(decode_text(99, &[1]), Decoded::Binary);
        // 0x18 is a UCS-2 GSM scheme in SGIP, but only a reserved value here.
        assert_eq!(decode_text(0x18, &[0, 0x41]), Decoded::Binary);
    }

    #[test]
    fn mislabelled_content_is_flagged_not_dropped() {
        // GB text sent as ASCII, and UCS-2 with a byte missing.
        let lossy = |format, content| matches!(decode_text(format, content), Decoded::Lossy(_));
        assert!(lossy(ASCII, &[0xc4, 0xe3, 0xba, 0xc3]));
        assert!(lossy(UCS2, &[0x4f, 0x60, 0x59]));
        assert!(!lossy(GB18030, &[0xc4, 0xe3]));
    }
}
