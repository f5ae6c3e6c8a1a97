//! Split → (shuffle, duplicate) → reassemble is the identity.

use cmpp_codec::long::{
    split_text, AllocatorConfig, MessageKey, PushOutcome, Reassembler, ReassemblerConfig,
    ReferenceAllocator, Segment, UdhRef,
};
use cmpp_codec::text::{self, Charset, Content, TextEncoding};
use cmpp_codec::MsgFmt;
use proptest::prelude::*;
use std::time::{Duration, Instant};

fn key() -> MessageKey {
    MessageKey::new("13800138000", "1065800001")
}

fn check_segments(segs: &[Segment]) {
    for s in segs {
        assert!(s.content.len() <= 140, "content {} bytes", s.content.len());
        // Each segment decodes alone: no character is cut.
        match text::charset(s.msg_fmt) {
            Charset::Ucs2 => {
                text::decode_ucs2(s.payload()).unwrap();
            }
            Charset::Gb18030 => {
                text::decode_gb(s.payload()).unwrap();
            }
            _ => {}
        }
        assert_eq!(s.pk_total as usize, segs.len());
        assert_eq!(s.tp_udhi, segs.len() > 1);
    }
}

/// Pushes segments in `order` (indices into `segs`) and returns the decoded text.
fn reassemble(segs: &[Segment], order: &[usize]) -> String {
    if segs.len() == 1 {
        return text::decode(segs[0].msg_fmt, &segs[0].content)
            .unwrap()
            .as_text()
            .unwrap()
            .to_owned();
    }
    let t0 = Instant::now();
    let mut r = Reassembler::new(ReassemblerConfig::default());
    let mut seen = vec![false; segs.len()];
    let mut result = None;
    for (step, &i) in order.iter().enumerate() {
        let s = &segs[i];
        let out = r
            .push_content(
                key(),
                &s.content,
                s.tp_udhi,
                s.msg_fmt,
                t0 + Duration::from_millis(step as u64),
            )
            .unwrap()
            .expect("segment has a concatenation UDH");
        assert!(out.evicted.is_empty());
        let was_seen = std::mem::replace(&mut seen[i], true);
        match out.outcome {
            PushOutcome::Duplicate => assert!(was_seen),
            // A copy arriving after completion starts a new (later expiring) set,
            // because completed messages are forgotten.
            PushOutcome::Pending => assert!(result.is_some() || !was_seen),
            PushOutcome::Complete(m) => {
                assert!(seen.iter().all(|s| *s));
                assert!(m.complete && m.missing().is_empty());
                let Content::Text(t) = m.decode().unwrap() else {
                    panic!("binary");
                };
                // Late copies of every part can complete the message a second
                // time; it must be the same message.
                match &result {
                    None => result = Some(t),
                    Some(first) => assert_eq!(first, &t),
                }
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    result.expect("message completed")
}

#[test]
fn five_hundred_chinese_chars_make_eight_segments() {
    let text: String = "中文短信测试".chars().cycle().take(500).collect();
    let segs = split_text(&text, TextEncoding::Auto, UdhRef::Bits8, 0x2E).unwrap();
    assert_eq!(segs.len(), 8);
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(&s.content[..6], &[0x05, 0x00, 0x03, 0x2E, 8, i as u8 + 1]);
        assert_eq!(s.msg_fmt, MsgFmt::Ucs2);
        assert_eq!((s.pk_total, s.pk_number), (8, i as u8 + 1));
        let expect = if i < 7 { 134 } else { (500 - 7 * 67) * 2 };
        assert_eq!(s.payload().len(), expect);
    }
    check_segments(&segs);
    let order: Vec<usize> = (0..8).rev().collect();
    assert_eq!(reassemble(&segs, &order), text);
}

#[test]
fn allocator_feeds_splitter() {
    let t0 = Instant::now();
    let mut alloc = ReferenceAllocator::new(AllocatorConfig::default().with_kind(UdhRef::Bits16));
    let text = "长".repeat(200);
    let r1 = alloc.allocate("13800138000", t0).unwrap();
    let r2 = alloc.allocate("13800138000", t0).unwrap();
    assert_ne!(r1, r2);
    let segs = split_text(&text, TextEncoding::Auto, UdhRef::Bits16, r2).unwrap();
    assert_eq!(segs.len(), 4); // ceil(200 / 66)
    assert_eq!(&segs[0].content[3..5], &r2.to_be_bytes());
    assert_eq!(reassemble(&segs, &[3, 1, 0, 2]), text);
}

fn mixed_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::char::range(' ', '~'),
        3 => proptest::char::range('\u{4E00}', '\u{9FA5}'),
        1 => proptest::char::range('\u{1F300}', '\u{1F64F}'),
    ]
}

fn pref() -> impl Strategy<Value = TextEncoding> {
    prop_oneof![
        Just(TextEncoding::Auto),
        Just(TextEncoding::Ucs2),
        Just(TextEncoding::Gbk),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn split_then_reassemble_is_identity(
        chars in proptest::collection::vec(mixed_char(), 0..1000),
        pref in pref(),
        sixteen in any::<bool>(),
        reference in any::<u8>(),
        order_keys in proptest::collection::vec(any::<u32>(), 64),
        dups in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let text: String = chars.into_iter().collect();
        let kind = if sixteen { UdhRef::Bits16 } else { UdhRef::Bits8 };
        let reference = if sixteen { u16::from(reference) << 8 | 0x5A } else { u16::from(reference) };
        let segs = split_text(&text, pref, kind, reference).unwrap();
        check_segments(&segs);
        let n = segs.len();
        prop_assert!(n <= 64);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| order_keys[i]);
        // Insert duplicates at pseudo-random positions.
        for d in dups {
            let pos = d % (order.len() + 1);
            order.insert(pos, d % n);
        }
        prop_assert_eq!(reassemble(&segs, &order), text);
    }

    #[test]
    fn pure_text_kinds_use_expected_capacity(count in 71usize..400, sixteen in any::<bool>()) {
        let kind = if sixteen { UdhRef::Bits16 } else { UdhRef::Bits8 };
        let per = if sixteen { 66 } else { 67 };
        let segs = split_text(&"字".repeat(count), TextEncoding::Auto, kind, 1).unwrap();
        prop_assert_eq!(segs.len(), count.div_ceil(per));
        prop_assert_eq!(segs[0].payload().len(), per * 2);
    }
}
