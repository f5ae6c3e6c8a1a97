//! SMGP 3.0 codec benchmarks: decode and encode of a SUBMIT (one recipient, 140 bytes of
//! UCS-2, TP_udhi and MsgSrc TLVs) and of a DELIVER carrying a status report, plus the
//! status-report content parser.
//!
//! Run: `cargo bench -p cmpp-benches --bench smgp -- --warm-up-time 1 --measurement-time 3`.
//! Targets: SUBMIT decode ≤ 100 ns and encode ≤ 100 ns.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_main, Criterion};
use smgp_codec::tlv::tag;
use smgp_codec::{decode, encode, Deliver, Packet, Pdu, Stat, StatusReport, Submit, Text, Version};

fn text<const N: usize>(value: &str) -> Text<N> {
    // The sample values are short ASCII literals that always fit.
    Text::new(value.as_bytes()).unwrap_or(Text::EMPTY)
}

fn submit(with_tlvs: bool) -> Packet {
    // 70 Chinese characters in UCS-2: the largest single-part message.
    let content: Vec<u8> = "电信短信网关测试一二"
        .repeat(7)
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let mut m = Submit {
        service_id: text("TEST"),
        fee_type: text("01"),
        fee_code: text("10"),
        fixed_fee: Some(text("0")),
        msg_format: 8,
        src_term_id: text("1069000"),
        dest_term_ids: vec![text("13312345678")],
        msg_content: Bytes::from(content),
        ..Submit::default()
    };
    if with_tlvs {
        m.tlvs.set(tag::TP_UDHI, vec![0]);
        m.tlvs.set(tag::MSG_SRC, &b"12345\0\0\0"[..]);
    }
    Packet::new(17, Pdu::Submit(m))
}

fn report_content() -> StatusReport {
    StatusReport {
        id: "00006308222132427973".parse().unwrap_or_default(),
        sub: text("001"),
        dlvrd: text("001"),
        submit_date: text("2508222132"),
        done_date: text("2508222132"),
        stat: Stat(text("DELIVRD")),
        err: text("000"),
        text: Vec::new(),
    }
}

fn report_deliver() -> Packet {
    Packet::new(
        7,
        Pdu::Deliver(Deliver {
            msg_id: "00006308222132427980".parse().unwrap_or_default(),
            is_report: 1,
            recv_time: text("20250822213200"),
            src_term_id: text("13312345678"),
            dest_term_id: text("1069000"),
            msg_content: Bytes::from(report_content().to_content()),
            ..Deliver::default()
        }),
    )
}

fn codec_pair(c: &mut Criterion, name: &str, packet: &Packet) {
    let bytes = match packet.to_bytes(Version::V30) {
        Ok(b) => b,
        Err(e) => panic!("sample {name} does not encode: {e}"),
    };
    c.bench_function(&format!("smgp/decode/{name}"), |b| {
        b.iter(|| decode(black_box(bytes.clone()), Version::V30))
    });
    let mut buf = BytesMut::with_capacity(4096);
    c.bench_function(&format!("smgp/encode/{name}"), |b| {
        b.iter(|| {
            buf.clear();
            encode(black_box(packet), Version::V30, &mut buf)
        })
    });
}

fn pdus(c: &mut Criterion) {
    codec_pair(c, "submit_v30_ucs2_140", &submit(false));
    codec_pair(c, "submit_v30_ucs2_140_2tlvs", &submit(true));
    codec_pair(c, "deliver_report_v30", &report_deliver());
    let content = report_content().to_content();
    c.bench_function("smgp/parse/status_report_122", |b| {
        b.iter(|| StatusReport::parse(black_box(&content)))
    });
}

/// The generated group function cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::pdus);
}
criterion_main!(group::benches);
