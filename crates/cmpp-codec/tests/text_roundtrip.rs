//! Encode/decode round trips across Msg_Fmt values.

use cmpp_codec::text::{self, Content, TextEncoding, TextError};
use cmpp_codec::MsgFmt;
use proptest::prelude::*;

fn round_trip(s: &str, pref: TextEncoding) -> (MsgFmt, String) {
    let enc = text::encode(s, pref).unwrap();
    let Content::Text(back) = text::decode(enc.fmt, &enc.bytes).unwrap() else {
        panic!("text decoded as binary");
    };
    (enc.fmt, back)
}

#[test]
fn ascii_chinese_emoji_gbk_mixed() {
    let cases = [
        ("Hello, CMPP!", TextEncoding::Auto, MsgFmt::Ascii),
        ("你好，世界", TextEncoding::Auto, MsgFmt::Ucs2),
        ("😀👍🏽", TextEncoding::Auto, MsgFmt::Ucs2),
        ("验证码 123456，请勿泄露。", TextEncoding::Gbk, MsgFmt::Gb),
        ("mixed 中文 and 😀", TextEncoding::Gbk, MsgFmt::Ucs2),
        ("mixed 中文 and text", TextEncoding::Ucs2, MsgFmt::Ucs2),
        ("", TextEncoding::Auto, MsgFmt::Ascii),
    ];
    for (s, pref, fmt) in cases {
        assert_eq!(round_trip(s, pref), (fmt, s.to_string()), "{s:?}");
    }
}

#[test]
fn gbk_bytes_decode_via_gb18030() {
    let enc = text::encode("中国移动", TextEncoding::Gbk).unwrap();
    assert_eq!(enc.bytes, [0xD6, 0xD0, 0xB9, 0xFA, 0xD2, 0xC6, 0xB6, 0xAF]);
    assert_eq!(
        text::decode(MsgFmt::Gb, &enc.bytes).unwrap().as_text(),
        Some("中国移动")
    );
}

#[test]
fn lossless_decode_reports_bad_input_lossy_replaces() {
    let bad = [0x00, 0x41, 0xDC, 0x00];
    assert!(matches!(
        text::decode(MsgFmt::Ucs2, &bad),
        Err(TextError::UnpairedSurrogate { offset: 2, .. })
    ));
    assert_eq!(
        text::decode_lossy(MsgFmt::Ucs2, &bad),
        Content::Text("A\u{FFFD}".into())
    );
}

fn mixed_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range(' ', '~'),
        proptest::char::range('\u{4E00}', '\u{9FA5}'),
        proptest::char::range('\u{1F600}', '\u{1F64F}'),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_string_round_trips_ucs2_and_gbk(s in any::<String>()) {
        prop_assert_eq!(round_trip(&s, TextEncoding::Ucs2).1, s.clone());
        // GBK falls back to UCS2 for characters it lacks, so this always round-trips.
        prop_assert_eq!(round_trip(&s, TextEncoding::Gbk).1, s.clone());
        prop_assert_eq!(round_trip(&s, TextEncoding::Auto).1, s);
    }

    #[test]
    fn mixed_text_round_trips(chars in proptest::collection::vec(mixed_char(), 0..200)) {
        let s: String = chars.into_iter().collect();
        for pref in [TextEncoding::Auto, TextEncoding::Ucs2, TextEncoding::Gbk] {
            prop_assert_eq!(round_trip(&s, pref).1, s.clone());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(fmt in any::<u8>(), bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let fmt = MsgFmt::from_byte(fmt);
        let lossy = text::decode_lossy(fmt, &bytes);
        // When the strict decode succeeds the lossy one agrees with it.
        if let Ok(strict) = text::decode(fmt, &bytes) {
            prop_assert_eq!(strict, lossy);
        }
        let _ = text::parse_user_data(&bytes, true);
    }
}
