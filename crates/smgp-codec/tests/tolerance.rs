//! The digest's quirks (§8) and malformed input: tolerated where the digest says so,
//! otherwise a typed error naming the command, field (or TLV) and offset — never a panic.

mod vectors;

use bytes::{Bytes, BytesMut};
use chrono::{TimeZone, Utc};
use smgp_codec::auth::AuthForm;
use smgp_codec::tlv::tag;
use smgp_codec::{
    decode, decode_body, decode_lenient, encode, parse, split_frame, CommandId, DecodeProblem,
    Deliver, EncodeError, FrameError, Header, Login, LoginResp, MsgId, Packet, Pdu, Status,
    StatusReport, Submit, SubmitResp, Text, Tlv, Tlvs, Version,
};
use vectors::*;

fn frame(command: u32, body: &[u8]) -> Bytes {
    let mut b = Vec::with_capacity(12 + body.len());
    b.extend_from_slice(&(12 + body.len() as u32).to_be_bytes());
    b.extend_from_slice(&command.to_be_bytes());
    b.extend_from_slice(&9u32.to_be_bytes());
    b.extend_from_slice(body);
    Bytes::from(b)
}

fn submit() -> Submit {
    Submit {
        dest_term_ids: vec![Text::new(b"17600000000").unwrap()],
        msg_content: Bytes::from_static(b"hi"),
        ..Submit::default()
    }
}

#[test]
fn truncated_submit_names_field_and_offset() {
    let raw = bytes(TV3_C_SUBMIT);
    let e = decode(frame(2, &raw[12..100]), Version::V30).unwrap_err();
    assert_eq!(e.command, "SUBMIT");
    assert_eq!(e.field, "ChargeTermID");
    assert_eq!(e.offset, 95);
    assert_eq!(
        e.to_string(),
        "SUBMIT: field ChargeTermID at offset 95: needs 21 bytes but only 5 remain"
    );
}

#[test]
fn declared_counts_beyond_the_packet_are_refused() {
    let mut raw = bytes(TV3_C_SUBMIT);
    raw[116] = 100; // DestTermIDCount
    let e = decode(Bytes::from(raw), Version::V20).unwrap_err();
    assert_eq!((e.field, e.offset), ("DestTermIDCount", 116));
    let mut raw = bytes(TV3_S_DELIVER_MO);
    raw[80] = 200; // MsgLength
    let e = decode(Bytes::from(raw), Version::V30).unwrap_err();
    assert_eq!((e.field, e.offset), ("MsgLength", 80));
    assert_eq!(
        e.problem,
        DecodeProblem::DeclaredTooLong {
            declared: 200,
            remaining: 22
        }
    );
}

#[test]
fn frame_guard() {
    assert_eq!(
        split_frame(&[0, 0, 0x10, 1], smgp_codec::DEFAULT_MAX_FRAME_LEN),
        Err(FrameError::TooLong {
            length: 4097,
            max_len: 4096
        })
    );
    assert_eq!(
        split_frame(&[0, 0, 0, 3], 4096),
        Err(FrameError::TooShort { length: 3 })
    );
}

#[test]
fn quirk1_msg_id_is_raw_hex_and_exact() {
    let mut raw = bytes(TV3_S_SUBMIT_RESP);
    raw[12..22].copy_from_slice(&"6495c36ac4ea6b00000b".parse::<MsgId>().unwrap().0);
    let p = decode(Bytes::from(raw), Version::V30).unwrap();
    let Pdu::SubmitResp(r) = p.pdu else { panic!() };
    assert_eq!(r.msg_id.to_string(), "6495c36ac4ea6b00000b");
    assert_ne!(r.msg_id, "6495c36ac4ea6b00000a".parse().unwrap());
}

#[test]
fn quirk2_3_report_id_holding_separator_bytes_is_cut_by_position() {
    // An id whose BCD bytes read as ' ' and 's' in ASCII.
    let id: MsgId = "2073207320732073a073".parse().unwrap();
    let mut c = b"id:".to_vec();
    c.extend_from_slice(&id.0);
    c.extend_from_slice(b"sSub:001sDlvrd:001sSubmit_Date:2401161242sDone_Date:2401161242sStat:UNDELIVsErr:004sText:");
    let r = StatusReport::parse(&c).unwrap();
    assert_eq!(r.id, id);
    assert_eq!(r.stat.0, "UNDELIV");
    assert_eq!(r.err_code(), Some(4));
    assert_eq!(r.cause_class(), smgp_codec::CauseClass::User);
}

#[test]
fn quirk4_unknown_tags_odd_lengths_and_tlvs_after_submit_resp() {
    // Submit_Resp with PkTotal/PkNumber appended, as some SMGWs send.
    let mut body = bytes(TV3_S_SUBMIT_RESP)[12..].to_vec();
    body.extend_from_slice(&[0, 9, 0, 1, 2, 0, 10, 0, 1, 1, 0x7f, 0x7f, 0, 0]);
    let p = decode(frame(0x8000_0002, &body), Version::V30).unwrap();
    let Pdu::SubmitResp(r) = &p.pdu else { panic!() };
    assert_eq!((r.tlvs.pk_total(), r.tlvs.pk_number()), (Some(2), Some(1)));
    assert_eq!(r.tlvs.get(0x7f7f), Some(&[][..]), "unknown, empty TLV kept");
    assert_eq!(p.to_bytes(Version::V30).unwrap(), frame(0x8000_0002, &body));
}

#[test]
fn quirk4_truncated_tlv_is_an_error_naming_it_and_lenient_keeps_the_fixed_part() {
    // J's field packet: the tail ends with two stray bytes 00 01.
    let mut raw = bytes(TV3_C_SUBMIT);
    raw.extend_from_slice(&[0, 1]);
    let n = raw.len() as u32;
    raw[..4].copy_from_slice(&n.to_be_bytes());
    let raw = Bytes::from(raw);
    let e = decode(raw.clone(), Version::V30).unwrap_err();
    assert_eq!(e.command, "SUBMIT");
    assert_eq!(e.field, "TLV TP_pid");
    assert_eq!(e.offset, 209);
    assert_eq!(
        e.problem,
        DecodeProblem::Truncated {
            needed: 4,
            remaining: 2
        }
    );
    let d = decode_lenient(raw, Version::V30).unwrap();
    let t = d.tlv_error.unwrap();
    assert_eq!((t.tag, t.name, t.offset), (Some(1), "TLV TP_pid", 209));
    assert_eq!(
        t.to_string(),
        "SUBMIT: TLV TP_pid at offset 209: needs 4 bytes but only 2 remain"
    );
    let Pdu::Submit(s) = d.packet.pdu else {
        panic!()
    };
    assert_eq!(&s.msg_content[..], b"hello smgp");
    assert_eq!(s.tlvs.len(), 5, "the TLVs before the break are kept");
}

#[test]
fn quirk4_tlv_value_past_the_end_on_deliver() {
    let mut raw = bytes(TV3_S_DELIVER_MO);
    raw.extend_from_slice(&[0, 3, 0, 20, b'L', b'K']); // LinkID claims 20 bytes, has 2
    let n = raw.len() as u32;
    raw[..4].copy_from_slice(&n.to_be_bytes());
    let d = decode_lenient(Bytes::from(raw), Version::V30).unwrap();
    let t = d.tlv_error.unwrap();
    assert_eq!((t.tag, t.name, t.offset), (Some(3), "TLV LinkID", 103));
    assert_eq!(
        t.problem,
        DecodeProblem::DeclaredTooLong {
            declared: 20,
            remaining: 2
        }
    );
    assert!(matches!(d.packet.pdu, Pdu::Deliver(ref m) if m.tlvs.is_empty()));
}

#[test]
fn quirk5_13_layout_found_from_a_30_decode() {
    let p = decode(Bytes::from(bytes(TV5)), Version::V30).unwrap();
    let Pdu::Submit(s) = p.pdu else { panic!() };
    assert_eq!(s.fixed_fee, None);
    // And a 1.3 Submit cannot be written with FixedFee.
    let mut with_fee = s.clone();
    with_fee.fixed_fee = Some(Text::EMPTY);
    assert_eq!(
        Packet::new(1, with_fee).to_bytes(Version::V13),
        Err(EncodeError::FixedFeeNotInVersion {
            version: Version::V13
        })
    );
}

#[test]
fn version_20_has_fixed_fee_but_no_tlvs() {
    let plain = Packet::new(5, submit());
    let raw20 = plain.to_bytes(Version::V20).unwrap();
    assert_eq!(decode(raw20.clone(), Version::V20).unwrap(), plain);
    assert_eq!(raw20.len(), 12 + 114 + 21 + 2);
    let mut tlv = submit();
    tlv.tlvs.set(tag::TP_UDHI, vec![1]);
    assert_eq!(
        Packet::new(5, tlv.clone()).to_bytes(Version::V20),
        Err(EncodeError::TlvsNotInVersion {
            version: Version::V20,
            count: 1
        })
    );
    assert_eq!(
        Packet::new(5, tlv).to_bytes(Version::V30).unwrap().len(),
        raw20.len() + 5
    );
    // 1.3: six bytes shorter.
    let v13 = Submit {
        fixed_fee: None,
        ..submit()
    };
    assert_eq!(
        Packet::new(5, v13).to_bytes(Version::V13).unwrap().len(),
        raw20.len() - 6
    );
}

#[test]
fn quirk6_active_test_resp_of_12_or_13_bytes() {
    for extra in [0usize, 1] {
        let p = decode(frame(0x8000_0004, &vec![0; extra]), Version::V30).unwrap();
        assert!(matches!(p.pdu, Pdu::ActiveTestResp(ref b) if b.extra.len() == extra));
    }
}

#[test]
fn quirk7_md5_variants_are_recognised() {
    let at = Utc.with_ymd_and_hms(2026, 12, 3, 22, 26, 53).unwrap(); // 06:26:53 Beijing
    let id = Text::new(b"testid").unwrap();
    let login = Login::new(id, b"testauth", 2, at, Version::V30);
    assert_eq!(login.timestamp, 1_204_062_653);
    assert_eq!(login.verify(b"testauth"), Some(AuthForm::Spec));
    let padded = Login {
        authenticator: smgp_codec::auth::client_authenticator_padded(
            b"testid",
            b"testauth",
            login.timestamp,
        ),
        ..login
    };
    assert_eq!(padded.verify(b"testauth"), Some(AuthForm::NulPadded));
}

#[test]
fn quirk8_login_failure_codes_and_zero_authenticator() {
    let login = Login::new(
        Text::new(b"sp").unwrap(),
        b"pw",
        0,
        Utc::now(),
        Version::V30,
    );
    let ok = LoginResp::new(Status::OK, &login, b"pw", Version::V30);
    assert!(ok.verify(&login, b"pw"));
    let refused = LoginResp::new(Status(21), &login, b"pw", Version::V30);
    assert_eq!(refused.authenticator, [0; 16]);
    // A CMPP-minded server's 3 is still a failure.
    assert!(!Status(3).is_ok());
}

#[test]
fn quirk9_only_status_1_asks_for_a_resend() {
    let retry: Vec<u32> = (0..300).filter(|&s| Status(s).is_retry_later()).collect();
    assert_eq!(retry, vec![1]);
}

#[test]
fn quirk10_tp_udhi_0x40_means_udh() {
    let mut s = submit();
    assert!(!s.has_udh());
    s.tlvs.set(tag::TP_UDHI, vec![0x40]);
    assert!(s.has_udh());
    let mut d = Deliver::default();
    d.tlvs.set(tag::TP_UDHI, vec![1]);
    assert!(d.has_udh());
}

#[test]
fn quirk14_group_send_ids() {
    let first: MsgId = "01006101161700012345".parse().unwrap();
    let ids: Vec<String> = (0..3)
        .map(|k| first.nth_recipient(k).unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "01006101161700012345",
            "01006101161700012346",
            "01006101161700012347"
        ]
    );
}

#[test]
fn encode_refuses_what_the_wire_cannot_carry() {
    let mut dst = BytesMut::new();
    let none = Submit {
        dest_term_ids: vec![],
        ..submit()
    };
    assert_eq!(
        encode(&Packet::new(1, none), Version::V30, &mut dst),
        Err(EncodeError::DestinationCount { count: 0 })
    );
    let long = Submit {
        msg_content: Bytes::from(vec![0; 256]),
        ..submit()
    };
    assert_eq!(
        encode(&Packet::new(1, long), Version::V30, &mut dst),
        Err(EncodeError::ContentTooLong { len: 256 })
    );
    let big_tlv = SubmitResp {
        tlvs: Tlvs(vec![Tlv {
            tag: 6,
            value: Bytes::from(vec![0; 65_536]),
        }]),
        ..SubmitResp::default()
    };
    assert!(encode(
        &Packet::new(1, Pdu::SubmitResp(big_tlv)),
        Version::V30,
        &mut dst
    )
    .is_err());
    let known = Pdu::Unknown {
        command_id: CommandId::LOGIN,
        body: Bytes::new(),
    };
    assert!(encode(&Packet::new(1, known), Version::V30, &mut dst).is_err());
    assert!(dst.is_empty(), "nothing written on error");
}

#[test]
fn fixed_bodies_refuse_trailing_bytes() {
    let mut body = bytes(TV1)[12..].to_vec();
    body.push(0);
    let e = decode(frame(1, &body), Version::V30).unwrap_err();
    assert_eq!((e.field, e.offset), ("end of body", 42));
    let e = decode(frame(7, &[0; 18]), Version::V30).unwrap_err();
    assert_eq!((e.command, e.field), ("QUERY", "QueryCode"));
}

#[test]
fn two_step_api_agrees_with_decode() {
    let raw = Bytes::from(bytes(TV3_C_SUBMIT));
    let header = Header::parse(&raw).unwrap();
    let pdu = decode_body(&header, raw.slice(12..), Version::V30).unwrap();
    assert_eq!(pdu, decode(raw, Version::V30).unwrap().pdu);
}

#[test]
fn body_parsers_are_public_and_borrowing() {
    let raw = bytes(TV3_C_SUBMIT);
    let (rest, s) = parse::submit(&raw[12..], Version::V30).unwrap();
    assert!(rest.is_empty());
    assert_eq!(s.dest_term_ids.len(), 1);
    let (_, d) = parse::deliver(&bytes(TV8)[12..]).unwrap();
    assert!(d.is_report());
    let (_, l) = parse::login(&bytes(TV1)[12..]).unwrap();
    assert_eq!(l.client_id, "testid");
}

#[test]
fn every_prefix_of_every_vector_fails_cleanly() {
    // (vector, end of its fixed part): a cut before it must fail; a cut inside the TLV tail
    // may decode only when it falls between two TLVs, and then re-encodes to the same bytes.
    for (v, fixed_end) in [
        (TV1, 42),
        (TV2, 33),
        (TV3_C_SUBMIT, 157),
        (TV3_S_DELIVER_MO, 103),
        (TV5, 177),
        (TV8, 211),
    ] {
        let raw = bytes(v);
        for cut in 12..raw.len() {
            let mut b = raw[..cut].to_vec();
            b[..4].copy_from_slice(&(cut as u32).to_be_bytes());
            let b = Bytes::from(b);
            match decode(b.clone(), Version::V30) {
                Err(_) => {}
                Ok(p) => {
                    assert!(cut >= fixed_end, "cut {cut} of {v} decoded");
                    assert_eq!(p.to_bytes(Version::V30).unwrap(), b);
                }
            }
            if cut >= fixed_end {
                // The fixed part is whole: the lenient decoder always keeps it (TV-5 in its
                // own 1.3 layout; the 3.0 fallback needs the TLVs to recognise it).
                let version = if v == TV5 { Version::V13 } else { Version::V30 };
                assert!(decode_lenient(b, version).is_ok(), "cut {cut} of {v}");
            }
        }
    }
}
