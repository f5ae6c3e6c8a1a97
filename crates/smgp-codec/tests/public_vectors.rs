//! Digest §9: every vector decodes to the listed fields and re-encodes byte for byte; every
//! report content of TV-9 parses.

mod vectors;

use bytes::Bytes;
use smgp_codec::auth::AuthForm;
use smgp_codec::coding::Decoded;
use smgp_codec::{
    decode, split_frame, CauseClass, FrameStatus, MsgId, Packet, Pdu, StatKind, Status,
    StatusReport, Version, DEFAULT_MAX_FRAME_LEN,
};
use vectors::*;

/// Frames, decodes and re-encodes a vector at `version`; returns the packet.
fn round_trip_at(hex_text: &str, version: Version) -> Packet {
    let raw = bytes(hex_text);
    assert_eq!(
        split_frame(&raw, DEFAULT_MAX_FRAME_LEN),
        Ok(FrameStatus::Complete(raw.len()))
    );
    let packet = decode(Bytes::from(raw.clone()), version).expect("vector decodes");
    let encoded = packet.to_bytes(version).expect("decoded vector re-encodes");
    assert_eq!(
        hex::encode(&encoded),
        hex::encode(&raw),
        "re-encoding differs"
    );
    packet
}

fn round_trip(hex_text: &str) -> Packet {
    round_trip_at(hex_text, Version::V30)
}

#[test]
fn tv1_login_with_spec_md5() {
    let p = round_trip(TV1);
    assert_eq!(p.sequence_id, 1);
    let Pdu::Login(l) = p.pdu else {
        panic!("{:?}", p.pdu)
    };
    assert_eq!(l.client_id, "testid");
    assert_eq!(
        hex::encode(l.authenticator),
        "ca0eff036f70aa1116b8e5df1d55cf48"
    );
    assert_eq!(l.login_mode, 0);
    assert_eq!(l.timestamp, 1_021_080_510);
    assert_eq!(Version::from_byte(l.client_version), Some(Version::V30));
    assert_eq!(l.verify(b"testauth"), Some(AuthForm::Spec));
    assert_eq!(l.verify(b"wrong"), None);
}

#[test]
fn tv2_login_resp_with_placeholder_authenticator() {
    let p = round_trip(TV2);
    let login = decode(Bytes::from(bytes(TV1)), Version::V30).unwrap();
    let (Pdu::LoginResp(r), Pdu::Login(l)) = (p.pdu, login.pdu) else {
        panic!()
    };
    assert_eq!(r.status, Status::OK);
    assert_eq!(&r.authenticator[..10], b"AuthServer");
    assert_eq!(r.server_version, 0x30);
    // Quirk 12: a text authenticator is not the spec's MD5; callers warn, not fail.
    assert!(!r.verify(&l, b"testauth"));
}

#[test]
fn tv3_loopback_session() {
    let login = round_trip(TV3_C_LOGIN_MODE0);
    let Pdu::Login(l) = &login.pdu else { panic!() };
    assert_eq!(l.client_id, "12345678");
    assert_eq!(l.timestamp, 1_204_062_653);
    assert_eq!(l.verify(b"secret"), Some(AuthForm::Spec));
    let resp = round_trip(TV3_S_LOGIN_RESP);
    assert!(
        matches!(&resp.pdu, Pdu::LoginResp(r) if r.status.is_ok() && &r.authenticator[..10] == b"authserver")
    );

    let submit = round_trip(TV3_C_SUBMIT);
    assert_eq!(submit.sequence_id, 2);
    let Pdu::Submit(s) = &submit.pdu else {
        panic!()
    };
    assert_eq!((s.msg_type, s.need_report, s.priority), (6, 1, 1));
    assert!(s.service_id.is_empty());
    assert_eq!(s.fee_type, "00");
    assert_eq!(s.fee_code, "0");
    assert_eq!(s.fixed_fee, Some("0".parse().unwrap()));
    assert_eq!(s.msg_format, 15);
    assert_eq!(s.src_term_id, "1069000");
    assert!(s.charge_term_id.is_empty());
    assert_eq!(s.dest_term_ids.len(), 1);
    assert_eq!(s.dest_term_ids[0], "17600000000");
    assert_eq!(&s.msg_content[..], b"hello smgp");
    // Quirk 4: MsgSrc in 8 bytes, PkTotal/PkNumber 0, MServiceID all NUL — kept as sent.
    let tags: Vec<u16> = s.tlvs.iter().map(|t| t.tag).collect();
    assert_eq!(tags, vec![0x02, 0x10, 0x09, 0x0a, 0x12]);
    assert_eq!(s.tlvs.tp_udhi(), Some(0));
    assert!(!s.has_udh());
    assert_eq!(s.tlvs.msg_src(), Some(&b"12345"[..]));
    assert_eq!((s.tlvs.pk_total(), s.tlvs.pk_number()), (Some(0), Some(0)));
    assert_eq!(s.tlvs.m_service_id(), Some(&b""[..]));
    assert_eq!(s.tlvs.get(0x12).map(<[u8]>::len), Some(21));

    let submit_resp = round_trip(TV3_S_SUBMIT_RESP);
    let Pdu::SubmitResp(r) = &submit_resp.pdu else {
        panic!()
    };
    assert_eq!(r.msg_id.to_string(), "00010203040506070809");
    assert!(r.status.is_ok());

    assert!(matches!(round_trip(TV3_C_EXIT).pdu, Pdu::Exit(_)));
    assert!(matches!(round_trip(TV3_S_EXIT_RESP).pdu, Pdu::ExitResp(_)));

    let login1 = round_trip(TV3_C_LOGIN_MODE1);
    let Pdu::Login(l1) = &login1.pdu else {
        panic!()
    };
    assert_eq!(l1.login_mode, 1);
    assert_eq!(
        hex::encode(l1.authenticator),
        "ff473cdf0ae296fb62adde6730a374ed"
    );
    assert_eq!(l1.verify(b"secret"), Some(AuthForm::Spec));

    let deliver = round_trip(TV3_S_DELIVER_MO);
    assert_eq!(deliver.sequence_id, 123);
    let Pdu::Deliver(d) = &deliver.pdu else {
        panic!()
    };
    assert_eq!(d.msg_id.to_string(), "00010203040506070809");
    assert!(!d.is_report());
    assert!(d.report().is_none());
    assert!(d.recv_time.is_empty());
    assert_eq!(d.src_term_id, "1069000000");
    assert_eq!(d.dest_term_id, "17611111111");
    assert_eq!(d.text(), Decoded::Text("hello test msg".into()));
    assert!(d.tlvs.is_empty());

    let deliver_resp = round_trip(TV3_C_DELIVER_RESP);
    assert_eq!(deliver_resp.sequence_id, 123);
    assert!(matches!(&deliver_resp.pdu, Pdu::DeliverResp(r) if r.msg_id == d.msg_id));
}

#[test]
fn tv5_submit_in_13_layout_with_tlvs() {
    // Decoded at 1.3 (as J does) and, via the fallback, at 3.0: same message, same bytes.
    for version in [Version::V13, Version::V30] {
        let p = round_trip_at(TV5, version);
        assert_eq!(p.sequence_id, 457_601_868);
        let Pdu::Submit(s) = &p.pdu else { panic!() };
        assert_eq!(s.fixed_fee, None, "{version}");
        assert_eq!((s.msg_type, s.need_report, s.priority), (6, 1, 2));
        assert_eq!(s.fee_type, "00");
        assert_eq!(s.fee_code, "000000");
        assert_eq!(s.msg_format, 0);
        assert_eq!(s.src_term_id, "10086");
        assert_eq!(s.dest_term_ids[0], "13800138000");
        assert_eq!(&s.msg_content[..], b"dfa8eb6a-ad9f-4654-94fa-f114718ed05a");
        assert_eq!(s.tlvs.len(), 11);
        assert_eq!(s.tlvs.get(0x0014), Some(&[1u8][..]), "unknown tag kept");
        assert_eq!((s.tlvs.pk_total(), s.tlvs.pk_number()), (Some(1), Some(1)));
        assert_eq!(s.tlvs.get(0x12), Some(&b"ABC\0"[..]), "4-byte MServiceID");
    }
}

#[test]
fn tv7_heartbeat_and_exit() {
    assert_eq!(round_trip(TV7_ACTIVE_TEST).sequence_id, 1234);
    assert_eq!(round_trip(TV7_EXIT).sequence_id, 1234);
    // Quirk 6: the 13-byte Active_Test_Resp is accepted and re-encodes exactly.
    let p = round_trip(TV7_ACTIVE_TEST_RESP_13);
    assert!(matches!(&p.pdu, Pdu::ActiveTestResp(b) if b.extra.len() == 1));
}

#[test]
fn tv8_deliver_carrying_report_r1() {
    let p = round_trip(TV8);
    assert_eq!(p.sequence_id, 7);
    let Pdu::Deliver(d) = p.pdu else { panic!() };
    assert_eq!(d.msg_id.to_string(), "00006308222132427973");
    assert!(d.is_report());
    assert_eq!(d.recv_time, "20250822213200");
    assert_eq!(d.src_term_id, "8613800138000");
    assert_eq!(d.dest_term_id, "1069000");
    assert_eq!(d.msg_content.len(), 122);
    assert_eq!(&d.msg_content[..], &bytes(R1_CONTENT)[..]);
    let r = d.report().unwrap().unwrap();
    assert_eq!(r.id.to_string(), "00006308222132427973");
    assert_eq!(r.stat.kind(), StatKind::Delivered);
    assert_eq!(r.cause_class(), CauseClass::Delivered);
}

/// Builds a 122-byte content from a TV-9 row: "id:" + id + rest, NUL-padded.
fn row(id: &str, rest: &str) -> Vec<u8> {
    let mut c = b"id:".to_vec();
    c.extend_from_slice(&id.parse::<MsgId>().unwrap().0);
    c.extend_from_slice(rest.as_bytes());
    c.resize(122, 0);
    c
}

fn check(
    r: &StatusReport,
    id: &str,
    (sub, dlvrd, submit, done, stat, err): (&str, &str, &str, &str, &str, &str),
) {
    assert_eq!(r.id.to_string(), id);
    assert_eq!(r.sub, sub);
    assert_eq!(r.dlvrd, dlvrd);
    assert_eq!(r.submit_date, submit);
    assert_eq!(r.done_date, done);
    assert_eq!(r.stat.0, stat);
    assert_eq!(r.err, err);
}

#[test]
fn tv9_r1_canonical_report_parses_and_rebuilds() {
    let content = bytes(R1_CONTENT);
    let r = StatusReport::parse(&content).unwrap();
    check(
        &r,
        "00006308222132427973",
        ("001", "001", "2508222132", "2508222132", "DELIVRD", "000"),
    );
    assert!(r.text.is_empty());
    assert_eq!(
        r.to_content(),
        content,
        "canonical layout rebuilt byte for byte"
    );
    assert_eq!(
        r.submit_time().unwrap().to_rfc3339(),
        "2025-08-22T21:32:00+08:00"
    );
}

#[test]
fn tv9_r2_stat_with_a_colon() {
    let c = row(
        "01601712291424100007",
        " sub:001 dlvrd:001 Submit date:2312291424 done date:2312291424 stat:RT:0148 err:148 Text:",
    );
    let r = StatusReport::parse(&c).unwrap();
    check(
        &r,
        "01601712291424100007",
        ("001", "001", "2312291424", "2312291424", "RT:0148", "148"),
    );
    assert_eq!(r.stat.kind(), StatKind::Other);
    assert_eq!(r.err_code(), Some(148));
    assert_eq!(r.cause_class(), CauseClass::Unknown);
}

#[test]
fn tv9_r3_id_containing_a_space_byte() {
    let c = row(
        "01601301032038120568",
        " sub:001 dlvrd:001 Submit date:2401032038 done date:2401032038 stat:DELIVRD err:000 Text:",
    );
    assert!(c[3..13].contains(&0x20), "the id holds an ASCII space");
    let r = StatusReport::parse(&c).unwrap();
    check(
        &r,
        "01601301032038120568",
        ("001", "001", "2401032038", "2401032038", "DELIVRD", "000"),
    );
}

#[test]
fn tv9_r4_hndx_variant() {
    let c = bytes(R4_CONTENT);
    assert_eq!(c.len(), 122);
    let r = StatusReport::parse(&c).unwrap();
    check(
        &r,
        "04701501161242686134",
        ("001", "000", "2401161242", "2401161242", "BWLISTS", "163"),
    );
    assert_eq!(r.text, b"007BWLISTS");
}

#[test]
fn tv9_r5_r6_filled_text() {
    let r5 = StatusReport::parse(&row(
        "10100505301557926339",
        " sub:001 dlvrd:001 submit date:1805301557 done date:1805301557 stat:DELIVRD err:000 Text:fillfillfillfillfill",
    ))
    .unwrap();
    check(
        &r5,
        "10100505301557926339",
        ("001", "001", "1805301557", "1805301557", "DELIVRD", "000"),
    );
    assert_eq!(r5.text, b"fillfillfillfillfill");
    let r6 = StatusReport::parse(&row(
        "05701305301550567501",
        "sSub:001sDlvrd:000sSubmit_Date:1805301550sDone_Date:1805301550sStat:DELIVRDsErr:000sText:fillfillfillfillfill",
    ))
    .unwrap();
    check(
        &r6,
        "05701305301550567501",
        ("001", "000", "1805301550", "1805301550", "DELIVRD", "000"),
    );
}

#[test]
fn tv9_r7_short_report_with_non_bcd_id() {
    let c = bytes(R7_CONTENT);
    assert_eq!(c.len(), 110);
    let r = StatusReport::parse(&c).unwrap();
    check(
        &r,
        "6495c36ac4ea6b00000b",
        ("001", "001", "1807052207", "1807052207", "DELIVRD", "000"),
    );
    assert!(!r.id.is_bcd());
    assert_eq!(r.text, b"\xd6\xd0\xb9\xfa0a8ae5");
}
