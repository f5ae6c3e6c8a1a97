//! SGIP 1.2 codec benchmarks: decode and encode of a SUBMIT (one recipient, 140 bytes of
//! UCS-2) and of a REPORT.
//!
//! Run: `cargo bench -p cmpp-benches --bench sgip -- --warm-up-time 1 --measurement-time 3`.
//! Targets: SUBMIT decode ≤ 100 ns and encode ≤ 100 ns.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_main, Criterion};
use sgip_codec::{
    decode, encode, Packet, Pdu, Report, ReportState, ResultCode, SequenceNumber, Submit, Text,
};

fn text<const N: usize>(value: &str) -> Text<N> {
    // The sample values are short ASCII literals that always fit.
    Text::new(value.as_bytes()).unwrap_or(Text::EMPTY)
}

fn submit() -> Packet {
    // 70 Chinese characters in UCS-2: the largest single-part message.
    let content: Vec<u8> = "联通短信网关测试一二"
        .repeat(7)
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    Packet::new(
        SequenceNumber::new(3_010_012_345, 1_204_062_621, 17),
        Pdu::Submit(Submit {
            sp_number: text("10655012345"),
            charge_number: text("000000000000000000000"),
            user_numbers: vec![text("8613012345678")],
            corp_id: text("12345"),
            service_type: text("TEST"),
            fee_type: 2,
            fee_value: text("10"),
            given_value: text("0"),
            message_coding: 8,
            message_content: Bytes::from(content),
            ..Submit::default()
        }),
    )
}

fn report() -> Packet {
    Packet::new(
        SequenceNumber::new(101_001, 1_204_062_700, 1),
        Pdu::Report(Report {
            submit_sequence: SequenceNumber::new(3_010_012_345, 1_204_062_621, 17),
            report_type: 0,
            user_number: text("8613012345678"),
            state: ReportState::Failed,
            error_code: ResultCode(26),
            reserve: Text::EMPTY,
        }),
    )
}

fn codec_pair(c: &mut Criterion, name: &str, packet: &Packet) {
    let bytes = match packet.to_bytes() {
        Ok(b) => b,
        Err(e) => panic!("sample {name} does not encode: {e}"),
    };
    c.bench_function(&format!("sgip/decode/{name}"), |b| {
        b.iter(|| decode(black_box(bytes.clone())))
    });
    let mut buf = BytesMut::with_capacity(4096);
    c.bench_function(&format!("sgip/encode/{name}"), |b| {
        b.iter(|| {
            buf.clear();
            encode(black_box(packet), &mut buf)
        })
    });
}

fn pdus(c: &mut Criterion) {
    codec_pair(c, "submit_ucs2_140", &submit());
    codec_pair(c, "report", &report());
}

/// The generated group function cannot carry a doc comment.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::pdus);
}
criterion_main!(group::benches);
