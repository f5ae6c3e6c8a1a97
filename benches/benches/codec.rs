//! Codec benchmarks: decode and encode of typical PDUs, and long-message split/reassembly.
//!
//! Run: `cargo bench -p cmpp-benches --bench codec -- --warm-up-time 1 --measurement-time 3`.
//! Targets: 3.0 SUBMIT decode ≤ 100 ns and encode ≤ 100 ns.

use std::hint::black_box;
use std::time::Instant;

use bytes::BytesMut;
use cmpp_benches::codec_samples::{chinese_text, connect, frame, status_report_deliver, submit};
use cmpp_codec::long::{split_text, MessageKey, PushOutcome, Reassembler, ReassemblerConfig};
use cmpp_codec::text::{udhi_set, TextEncoding};
use cmpp_codec::{decode, encode, long::UdhRef, Packet, Version};
use criterion::{criterion_main, Criterion};

fn codec_pair(c: &mut Criterion, name: &str, packet: &Packet, version: Version) {
    let bytes = frame(packet, version);
    c.bench_function(&format!("decode/{name}"), |b| {
        b.iter(|| decode(black_box(bytes.clone()), version))
    });
    let mut buf = BytesMut::with_capacity(4096);
    c.bench_function(&format!("encode/{name}"), |b| {
        b.iter(|| {
            buf.clear();
            encode(black_box(packet), version, &mut buf)
        })
    });
}

fn pdus(c: &mut Criterion) {
    codec_pair(c, "submit_v30_ucs2_140", &submit(), Version::V30);
    codec_pair(c, "submit_v20_ucs2_140", &submit(), Version::V20);
    codec_pair(
        c,
        "deliver_report_v30",
        &status_report_deliver(),
        Version::V30,
    );
    codec_pair(c, "connect", &connect(), Version::V30);
}

fn long_messages(c: &mut Criterion) {
    let text = chinese_text(500);
    c.bench_function("long/split_500_chinese_chars", |b| {
        b.iter(|| split_text(black_box(&text), TextEncoding::Ucs2, UdhRef::Bits8, 42))
    });
    let segments = match split_text(&text, TextEncoding::Ucs2, UdhRef::Bits8, 42) {
        Ok(s) => s,
        Err(e) => panic!("500 characters do not split: {e}"),
    };
    let now = Instant::now();
    c.bench_function("long/reassemble_500_chinese_chars", |b| {
        b.iter(|| {
            let mut r = Reassembler::new(ReassemblerConfig::default());
            let mut text = None;
            for seg in &segments {
                let key = MessageKey::new("13800138000", "10690001");
                let pushed = r.push_content(
                    key,
                    &seg.content,
                    udhi_set(seg.tp_udhi_byte()),
                    seg.msg_fmt,
                    now,
                );
                if let Ok(Some(result)) = pushed {
                    if let PushOutcome::Complete(m) = result.outcome {
                        text = m.decode().ok();
                    }
                }
            }
            text
        })
    });
}

/// The generated group function cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::pdus, super::long_messages);
}
criterion_main!(group::benches);
