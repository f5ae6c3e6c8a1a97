//! MessageCoding and turning message content into text (§6).

pub use sms_wire::coding::{Decoded, ASCII, BINARY, GB18030 as GBK, SIM, UCS2};

/// Decodes `content` per `coding`: the codings SGIP shares with CMPP and SMGP, and GSM 03.38
/// data coding schemes. UDH bytes, if any, must be stripped by the caller.
pub fn decode_text(coding: u8, content: &[u8]) -> Decoded<'_> {
    if let Some(decoded) = sms_wire::coding::decode_common(coding, content) {
        return decoded;
    }
    match coding {
        // A GSM 03.38 data coding scheme: bits 3..2 give the alphabet (00 GSM 7-bit,
        // 01 8-bit data, 10 UCS-2) for the general and message-class groups.
        dcs if dcs & 0xC0 == 0 || dcs & 0xF0 == 0xF0 => match (dcs >> 2) & 0x03 {
            2 if dcs & 0xF0 != 0xF0 => sms_wire::coding::ucs2(content),
            1 => Decoded::Binary,
            _ => Decoded::Lossy(String::from_utf8_lossy(content).into_owned()),
        },
        _ => Decoded::Binary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ASCII, UCS-2, GBK, SIM and binary themselves are tested in sms-wire; these check that
    // SGIP passes them through and reads GSM data coding schemes.
    #[test]
    fn each_coding_decodes() {
        let gbk = [0xc4, 0xe3, 0xba, 0xc3, 0x20, 0x4d, 0x4f];
        assert_eq!(decode_text(GBK, &gbk), Decoded::Text("你好 MO".into()));
        assert_eq!(decode_text(SIM, &[1, 2]), Decoded::Binary);
        // A UCS-2 flash message class 0 (DCS 0x18).
        assert_eq!(decode_text(0x18, &[0, 0x41]), Decoded::Text("A".into()));
        // Message class group with 8-bit data (0xF4), and with the GSM alphabet (0xF0).
        assert_eq!(decode_text(0xF4, &[0x41]), Decoded::Binary);
        assert_eq!(decode_text(0xF0, &[0x41]), Decoded::Lossy("A".into()));
        // Not a general or message-class group: nothing to read as text.
        assert_eq!(decode_text(0x40, &[0x41]), Decoded::Binary);
    }

    #[test]
    fn mislabelled_content_is_flagged_not_dropped() {
        // ASCII declared, GBK sent (quirk 14: garbled Chinese MO).
        let garbled = decode_text(ASCII, &[0xc4, 0xe3, 0xba, 0xc3]);
        assert_eq!(garbled, Decoded::Lossy("你好".into()));
        assert!(matches!(decode_text(UCS2, &[0x4f]), Decoded::Lossy(_)));
    }
}
