//! Decodes arbitrary Msg_Content in every Msg_Fmt, parses its UDH, and splits it.
//!
//! Input: byte 0 is a Msg_Fmt (tried along with 0, 3, 4, 8 and 15), byte 1 holds flags
//! (bit 0: TP_udhi, bit 1: 16-bit UDH reference), the rest is the content. Invariants: no
//! panic; strict and lossy decoding agree whenever strict decoding succeeds; UCS2 text
//! re-encodes to the same bytes; ISO-8859-1 keeps one character per byte; the UDH split
//! stays inside the content; splitting into segments keeps every byte in order.
#![no_main]

use cmpp_codec::long::{split_encoded, UdhRef};
use cmpp_codec::text::{self, Charset, Content};
use cmpp_codec::MsgFmt;
use libfuzzer_sys::fuzz_target;

fn check_decode(fmt: MsgFmt, content: &[u8]) {
    let lossy = text::decode_lossy(fmt, content);
    match text::decode(fmt, content) {
        Ok(strict) => {
            assert_eq!(
                strict, lossy,
                "strict and lossy decode disagree for {fmt:?}"
            );
            match (&strict, text::charset(fmt)) {
                (Content::Text(s), Charset::Latin1) => {
                    assert_eq!(s.chars().count(), content.len());
                }
                (Content::Text(s), Charset::Ucs2) => {
                    assert_eq!(text::encode_ucs2(s), content, "UCS2 does not round-trip");
                }
                (Content::Binary(b), Charset::Binary) => assert_eq!(b, content),
                (Content::Text(_), Charset::Gb18030) => {}
                (c, cs) => panic!("{cs:?} decoded to unexpected {c:?}"),
            }
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(
                matches!(text::charset(fmt), Charset::Ucs2 | Charset::Gb18030),
                "{fmt:?} cannot fail but did: {e}"
            );
        }
    }
}

fn check_segments(fmt: MsgFmt, content: &[u8], udh: UdhRef, reference: u16) {
    let Ok(segments) = split_encoded(fmt, content, udh, reference) else {
        return;
    };
    let total = segments.len();
    let mut joined = Vec::with_capacity(content.len());
    for (i, seg) in segments.iter().enumerate() {
        assert!(seg.content.len() <= fmt.max_submit_len().max(140));
        assert_eq!(usize::from(seg.pk_total), total);
        assert_eq!(usize::from(seg.pk_number), i + 1);
        joined.extend_from_slice(seg.payload());
    }
    assert_eq!(joined, content, "segments do not join back to the content");
}

fuzz_target!(|data: &[u8]| {
    let [fmt_byte, flags, content @ ..] = data else {
        return;
    };
    for fmt in [0u8, 3, 4, 8, 15, *fmt_byte].map(MsgFmt::from_byte) {
        check_decode(fmt, content);
    }
    let udhi = flags & 1 == 1;
    if let Ok((ud, _concat)) = text::parse_user_data(content, udhi) {
        assert!(ud.payload.len() <= content.len());
        assert!(content.ends_with(ud.payload));
        check_decode(MsgFmt::from_byte(*fmt_byte), ud.payload);
    }
    let mut rest = content;
    while !rest.is_empty() {
        let n = text::gb_char_len(rest);
        assert!(
            n >= 1 && n <= rest.len(),
            "gb_char_len {n} of {}",
            rest.len()
        );
        rest = &rest[n..];
    }
    let udh = if flags & 2 != 0 {
        UdhRef::Bits16
    } else {
        UdhRef::Bits8
    };
    check_segments(
        MsgFmt::from_byte(*fmt_byte),
        content,
        udh,
        u16::from(*fmt_byte),
    );
});
