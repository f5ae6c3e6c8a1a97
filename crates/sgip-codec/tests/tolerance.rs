//! The digest's quirks (§7) and malformed input: tolerated where the digest says so,
//! otherwise a typed error naming the command, field and offset — never a panic.

mod vectors;

use bytes::{Bytes, BytesMut};
use sgip_codec::{
    decode, decode_body, encode, parse, split_frame, with_86, without_86, CommandId, DecodeProblem,
    EncodeError, FrameError, FrameStatus, Header, Packet, Pdu, Report, ReportState, Resp,
    ResultCode, SequenceNumber, Submit, Text, TraceHop, TraceResp, DEFAULT_MAX_FRAME_LEN,
};
use vectors::*;

fn frame(command: u32, body: &[u8]) -> Bytes {
    let mut b = Vec::with_capacity(20 + body.len());
    b.extend_from_slice(&(20 + body.len() as u32).to_be_bytes());
    b.extend_from_slice(&command.to_be_bytes());
    b.extend_from_slice(&[0; 12]);
    b.extend_from_slice(body);
    Bytes::from(b)
}

#[test]
fn truncated_submit_names_the_field_and_offset() {
    let raw = bytes(TV2);
    // Cut inside CorpId (offset 84..89) and fix up the length.
    let body = &raw[20..86];
    let e = decode(frame(3, body)).unwrap_err();
    assert_eq!(e.command, "SUBMIT");
    assert_eq!(e.field, "CorpId");
    assert_eq!(e.offset, 84);
    assert_eq!(
        e.problem,
        DecodeProblem::Truncated {
            needed: 5,
            remaining: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "SUBMIT: field CorpId at offset 84: needs 5 bytes but only 2 remain"
    );
}

#[test]
fn user_count_beyond_the_packet_is_refused_without_allocating() {
    let mut raw = bytes(TV2);
    raw[62] = 200; // UserCount: 200 × 21 bytes cannot be present
    let e = decode(Bytes::from(raw)).unwrap_err();
    assert_eq!((e.field, e.offset), ("UserCount", 62));
    assert!(matches!(
        e.problem,
        DecodeProblem::DeclaredTooLong { declared: 4200, .. }
    ));
}

#[test]
fn huge_message_length_is_refused() {
    let mut raw = bytes(TV2);
    raw[152..156].copy_from_slice(&u32::MAX.to_be_bytes());
    let e = decode(Bytes::from(raw)).unwrap_err();
    assert_eq!((e.field, e.offset), ("MessageLength", 152));
}

#[test]
fn trailing_bytes_and_length_mismatch_are_errors() {
    let mut body = bytes(TV1)[20..].to_vec();
    body.push(0);
    let e = decode(frame(1, &body)).unwrap_err();
    assert_eq!(e.problem, DecodeProblem::TrailingBytes { extra: 1 });
    assert_eq!(e.offset, 61);
    let mut raw = bytes(TV1);
    raw.push(0);
    let e = decode(Bytes::from(raw)).unwrap_err();
    assert_eq!(e.field, "Message Length");
    assert_eq!(
        e.problem,
        DecodeProblem::LengthMismatch {
            declared: 61,
            actual: 62
        }
    );
}

#[test]
fn frame_guard_rejects_oversized_packets() {
    assert_eq!(
        split_frame(&[0, 0, 0x10, 0, 0, 0, 0, 3], DEFAULT_MAX_FRAME_LEN),
        Err(FrameError::TooLong {
            length: 4096,
            max_len: 2048
        })
    );
    assert_eq!(
        split_frame(&[0, 0, 0, 5], DEFAULT_MAX_FRAME_LEN),
        Err(FrameError::TooShort { length: 5 })
    );
}

#[test]
fn quirk2_report_matching_uses_all_twelve_bytes() {
    // Same node and counter, different time part: a different Submit (J and H would
    // collide here).
    let a = SequenceNumber::new(3_010_012_345, 1_204_062_621, 7);
    let b = SequenceNumber::new(3_010_012_345, 1_205_062_621, 7);
    assert_ne!(a, b);
    let mut pending = std::collections::HashMap::new();
    pending.insert(a, "first");
    assert_eq!(pending.get(&b), None);
    assert_eq!(pending.get(&a), Some(&"first"));
}

#[test]
fn quirk3_default_submit_asks_for_every_report() {
    assert_eq!(
        Submit::default().report_flag,
        sgip_codec::pdu::submit::REPORT_ALWAYS
    );
}

#[test]
fn quirk4_node_ids_above_i32_max_and_zero() {
    let raw = bytes(TV7_C_BIND);
    let p = decode(Bytes::from(raw)).unwrap();
    assert_eq!(p.sequence.node_id, 0xB369_24B9);
    assert!(p.sequence.node_id > i32::MAX as u32);
    assert_eq!(
        decode(Bytes::from(bytes(TV8_C_BIND_TYPE2)))
            .unwrap()
            .sequence
            .node_id,
        0
    );
}

#[test]
fn quirk5_bodiless_pdus_accept_trailing_bytes() {
    for command in [2u32, 0x8000_0002] {
        for extra in [0usize, 1, 9, 30] {
            let p = decode(frame(command, &vec![7; extra])).unwrap();
            match p.pdu {
                Pdu::Unbind(u) | Pdu::UnbindResp(u) => assert_eq!(u.extra.len(), extra),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn quirk7_empty_and_junk_fee_values() {
    let mut s = Submit::default();
    assert_eq!(s.fee_value_fen(), Some(0));
    s.fee_value = Text::new(b"150").unwrap();
    assert_eq!(s.fee_value_fen(), Some(150));
    s.given_value = Text::new(b"1x").unwrap();
    assert_eq!(s.given_value_fen(), None);
}

#[test]
fn quirk8_link_id_travels_in_reserve() {
    let mut raw = bytes(TV5);
    let n = raw.len();
    raw[n - 8..].copy_from_slice(b"LNK12345");
    let Pdu::Deliver(d) = decode(Bytes::from(raw)).unwrap().pdu else {
        panic!()
    };
    assert_eq!(d.link_id(), b"LNK12345");
    let submit = Submit {
        reserve: d.reserve,
        ..Submit::default()
    };
    assert_eq!(submit.link_id(), b"LNK12345");
}

#[test]
fn quirk9_zysms_report_without_submit_sequence_is_rejected_by_name() {
    let body = &bytes(TV9)[32..]; // drop the 12-byte SubmitSequenceNumber: 32 bytes
    assert_eq!(body.len(), 32);
    let e = decode(frame(5, body)).unwrap_err();
    assert_eq!(e.command, "REPORT");
    assert_eq!(e.field, "SubmitSequenceNumber");
    assert!(matches!(
        e.problem,
        DecodeProblem::BadBodyLength { actual: 32, .. }
    ));
}

#[test]
fn quirk10_throttle_codes() {
    assert!(ResultCode(33).is_throttle());
    assert!(ResultCode(88).is_throttle());
    assert!(ResultCode(11).is_throttle());
    assert!(!ResultCode(1).is_throttle());
}

#[test]
fn quirk11_trace_resp_uses_16_byte_time_fields() {
    let hop = TraceHop {
        result: 0,
        node_id: Text::new(b"100001").unwrap(),
        receive_time: Text::new(b"261204062621").unwrap(),
        send_time: Text::new(b"261204062622").unwrap(),
        reserve: Text::EMPTY,
    };
    let p = Packet::new(
        SequenceNumber::default(),
        TraceResp { hops: vec![hop; 2] }.into(),
    );
    let raw = p.to_bytes().unwrap();
    assert_eq!(raw.len(), 21 + 47 * 2);
    assert_eq!(decode(raw).unwrap(), p);
    // Count promising more entries than present.
    let e = decode(frame(0x8000_1000, &[3; 48])).unwrap_err();
    assert_eq!((e.field, e.offset), ("Count", 20));
}

#[test]
fn quirk11_modify_smg_resp_is_kept_raw_with_its_real_id() {
    let p = decode(frame(0x8000_000E, &[0; 9])).unwrap();
    let Pdu::Unknown { command_id, body } = &p.pdu else {
        panic!()
    };
    assert_eq!(command_id.gns_name(), Some("MODIFYSMG"));
    assert_eq!(body.len(), 9);
    assert_eq!(p.to_bytes().unwrap().len(), 29);
}

#[test]
fn quirk12_86_prefix_helpers() {
    assert_eq!(with_86("13800138000"), "8613800138000");
    assert_eq!(with_86("8613800138000"), "8613800138000");
    assert_eq!(without_86("8613800138000"), "13800138000");
    assert_eq!(without_86("13800138000"), "13800138000");
}

#[test]
fn encode_refuses_what_the_wire_cannot_carry() {
    let mut dst = BytesMut::new();
    let empty = Packet::new(SequenceNumber::default(), Submit::default().into());
    assert_eq!(
        encode(&empty, &mut dst),
        Err(EncodeError::UserCount { count: 0 })
    );
    let many = Submit {
        user_numbers: vec![Text::new(b"8613800138000").unwrap(); 101],
        ..Submit::default()
    };
    assert_eq!(
        encode(
            &Packet::new(SequenceNumber::default(), many.into()),
            &mut dst
        ),
        Err(EncodeError::UserCount { count: 101 })
    );
    let big = Submit {
        user_numbers: vec![Text::EMPTY],
        message_content: Bytes::from(vec![b'a'; 2000]),
        ..Submit::default()
    };
    assert!(matches!(
        encode(
            &Packet::new(SequenceNumber::default(), big.into()),
            &mut dst
        ),
        Err(EncodeError::PacketTooLong {
            len: 2164,
            max: 2048
        })
    ));
    let known = Pdu::Unknown {
        command_id: CommandId::SUBMIT,
        body: Bytes::new(),
    };
    assert!(encode(&Packet::new(SequenceNumber::default(), known), &mut dst).is_err());
    assert!(dst.is_empty(), "nothing written on error");
}

#[test]
fn two_step_api_agrees_with_decode() {
    let raw = Bytes::from(bytes(TV2));
    let header = Header::parse(&raw).unwrap();
    let pdu = decode_body(&header, raw.slice(20..)).unwrap();
    assert_eq!(pdu, decode(raw).unwrap().pdu);
}

#[test]
fn body_parsers_are_public_and_borrowing() {
    let raw = bytes(TV9);
    let (rest, r): (&[u8], Report) = parse::report(&raw[20..]).unwrap();
    assert!(rest.is_empty());
    assert_eq!(r.state, ReportState::Delivered);
    let (_, resp): (&[u8], Resp) = parse::resp(&bytes(TV1_BIND_RESP)[20..]).unwrap();
    assert!(resp.result.is_ok());
}

#[test]
fn every_prefix_of_every_vector_fails_cleanly() {
    for v in [TV1, TV2, TV3, TV5, TV7_C_SUBMIT, TV8_C_DELIVER, TV9] {
        let raw = bytes(v);
        for cut in 20..raw.len() {
            let mut b = raw[..cut].to_vec();
            b[..4].copy_from_slice(&(cut as u32).to_be_bytes());
            assert!(decode(Bytes::from(b)).is_err(), "cut {cut} of {v}");
        }
    }
    assert_eq!(
        split_frame(&bytes(TV1)[..30], 2048),
        Ok(FrameStatus::NeedMore)
    );
}
