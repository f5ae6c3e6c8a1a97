//! Decodes or encodes the codec benchmarks' SUBMIT sample COUNT times, for counting
//! instructions per operation under callgrind — a figure the load on a shared machine does
//! not move, unlike criterion's wall-clock times.
//!
//! ```text
//! cargo build --release -p cmpp-benches --example codec_ir
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/codec_ir cmpp|sgip|smgp decode|encode COUNT
//! ```
//!
//! Run it with two counts (say 20,000 and 40,000): the difference of the two totals
//! ("Collected" in callgrind's summary) divided by the difference of the counts is the cost
//! of one operation, start-up excluded. The samples are the ones of `benches/benches/codec.rs`
//! (3.0 SUBMIT), `sgip.rs` and `smgp.rs` (3.0 SUBMIT without TLVs): one recipient, 140 bytes
//! of UCS-2.

use std::hint::black_box;
use std::process::ExitCode;

use bytes::{Bytes, BytesMut};

/// The fixed-width text field; both operator codecs re-export the same `sms-wire` type.
fn text<const N: usize>(value: &str) -> sgip_codec::Text<N> {
    // The sample values are short ASCII literals that always fit.
    sgip_codec::Text::new(value.as_bytes()).unwrap_or(sgip_codec::Text::EMPTY)
}

/// 70 Chinese characters in UCS-2: the largest single-part message.
fn ucs2_140(phrase: &str) -> Bytes {
    phrase
        .repeat(7)
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect::<Vec<u8>>()
        .into()
}

fn sgip_submit() -> sgip_codec::Packet {
    use sgip_codec::{Packet, Pdu, SequenceNumber, Submit};
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
            message_content: ucs2_140("联通短信网关测试一二"),
            ..Submit::default()
        }),
    )
}

fn smgp_submit() -> smgp_codec::Packet {
    use smgp_codec::{Packet, Pdu, Submit};
    Packet::new(
        17,
        Pdu::Submit(Submit {
            service_id: text("TEST"),
            fee_type: text("01"),
            fee_code: text("10"),
            fixed_fee: Some(text("0")),
            msg_format: 8,
            src_term_id: text("1069000"),
            dest_term_ids: vec![text("13312345678")],
            msg_content: ucs2_140("电信短信网关测试一二"),
            ..Submit::default()
        }),
    )
}

/// Runs `op` `count` times; false when it failed.
fn repeat<E>(count: usize, mut op: impl FnMut() -> Result<(), E>) -> bool {
    (0..count).all(|_| op().is_ok())
}

fn run(protocol: &str, op: &str, count: usize) -> Result<bool, String> {
    let mut buf = BytesMut::with_capacity(4096);
    Ok(match (protocol, op) {
        ("cmpp", "decode") => {
            use cmpp_codec::Version;
            let frame = cmpp_benches::codec_samples::frame(
                &cmpp_benches::codec_samples::submit(),
                Version::V30,
            );
            repeat(count, || {
                cmpp_codec::decode(black_box(frame.clone()), Version::V30)
                    .map(|p| drop(black_box(p)))
            })
        }
        ("cmpp", "encode") => {
            let packet = cmpp_benches::codec_samples::submit();
            repeat(count, || {
                buf.clear();
                cmpp_codec::encode(black_box(&packet), cmpp_codec::Version::V30, &mut buf)
            })
        }
        ("sgip", "decode") => {
            let frame = sgip_submit().to_bytes().map_err(|e| e.to_string())?;
            repeat(count, || {
                sgip_codec::decode(black_box(frame.clone())).map(|p| drop(black_box(p)))
            })
        }
        ("sgip", "encode") => {
            let packet = sgip_submit();
            repeat(count, || {
                buf.clear();
                sgip_codec::encode(black_box(&packet), &mut buf)
            })
        }
        ("smgp", "decode") => {
            let v = smgp_codec::Version::V30;
            let frame = smgp_submit().to_bytes(v).map_err(|e| e.to_string())?;
            repeat(count, || {
                smgp_codec::decode(black_box(frame.clone()), v).map(|p| drop(black_box(p)))
            })
        }
        ("smgp", "encode") => {
            let packet = smgp_submit();
            repeat(count, || {
                buf.clear();
                smgp_codec::encode(black_box(&packet), smgp_codec::Version::V30, &mut buf)
            })
        }
        _ => return Err(format!("unknown protocol/operation {protocol} {op}")),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [protocol, op, count] = args.as_slice() else {
        eprintln!("usage: codec_ir cmpp|sgip|smgp decode|encode COUNT");
        return ExitCode::from(2);
    };
    let Ok(count) = count.parse::<usize>() else {
        eprintln!("codec_ir: COUNT '{count}' is not a number");
        return ExitCode::from(2);
    };
    match run(protocol, op, count) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("codec_ir: {protocol} {op} failed on the sample");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("codec_ir: {e}");
            ExitCode::from(2)
        }
    }
}
