//! Digest §9: every vector decodes to the listed fields and re-encodes byte for byte.

mod vectors;

use bytes::Bytes;
use sgip_codec::coding::Decoded;
use sgip_codec::{
    decode, split_frame, CauseClass, FrameStatus, Packet, Pdu, ReportState, ResultCode,
    SequenceNumber, DEFAULT_MAX_FRAME_LEN,
};
use vectors::*;

/// Frames, decodes and re-encodes a vector; returns the packet.
fn round_trip(hex_text: &str) -> Packet {
    let raw = bytes(hex_text);
    assert_eq!(
        split_frame(&raw, DEFAULT_MAX_FRAME_LEN),
        Ok(FrameStatus::Complete(raw.len()))
    );
    let packet = decode(Bytes::from(raw.clone())).expect("vector decodes");
    let encoded = packet.to_bytes().expect("decoded vector re-encodes");
    assert_eq!(
        hex::encode(&encoded),
        hex::encode(&raw),
        "re-encoding differs"
    );
    packet
}

fn ok_resp(p: &Packet) -> ResultCode {
    match &p.pdu {
        Pdu::BindResp(r) | Pdu::SubmitResp(r) | Pdu::DeliverResp(r) => r.result,
        other => panic!("not a generic response: {other:?}"),
    }
}

#[test]
fn tv1_bind_and_bind_resp() {
    let p = round_trip(TV1);
    assert_eq!(p.sequence, SequenceNumber::default());
    let Pdu::Bind(b) = p.pdu else {
        panic!("{:?}", p.pdu)
    };
    assert_eq!(b.login_type, 1);
    assert_eq!(b.login_name, "testusername");
    assert_eq!(b.login_password, "testpwd");
    assert!(b.reserve.is_empty());
    assert_eq!(ok_resp(&round_trip(TV1_BIND_RESP)), ResultCode::OK);
}

#[test]
fn tv2_submit_ascii_with_empty_fee_fields() {
    let p = round_trip(TV2);
    assert_eq!(
        p.sequence,
        SequenceNumber::new(0, 301_151_218, 1_857_753_309)
    );
    assert_eq!(p.sequence.time_parts(), Some((3, 1, 15, 12, 18)));
    let Pdu::Submit(s) = p.pdu else {
        panic!("{:?}", p.pdu)
    };
    assert_eq!(s.sp_number, "106559125028");
    assert!(s.charge_number.is_empty());
    assert_eq!(s.user_numbers.len(), 1);
    assert_eq!(s.user_numbers[0], "8618657118636");
    assert_eq!(s.corp_id, "61118");
    assert!(s.service_type.is_empty());
    assert_eq!(s.fee_type, 2);
    // Quirk 7: all-NUL numeric fields read as 0.
    assert_eq!(s.fee_value_fen(), Some(0));
    assert_eq!(s.given_value_fen(), Some(0));
    assert_eq!((s.agent_flag, s.morelateto_mt_flag, s.priority), (0, 0, 9));
    assert!(s.expire_time.is_empty() && s.schedule_time.is_empty());
    assert_eq!(s.report_flag, 1);
    assert_eq!(
        (s.tp_pid, s.tp_udhi, s.message_coding, s.message_type),
        (0, 0, 0, 0)
    );
    assert_eq!(&s.message_content[..], b"233a");
    assert!(s.reserve.is_empty());
}

#[test]
fn tv3_submit_two_recipients_full_time_fields() {
    let p = round_trip(TV3);
    let Pdu::Submit(s) = p.pdu else {
        panic!("{:?}", p.pdu)
    };
    assert_eq!(s.sp_number, "10690090");
    assert_eq!(s.charge_number, "17600537300");
    assert_eq!(s.user_numbers.len(), 2);
    assert_eq!(s.user_numbers[0], "17600000000");
    assert_eq!(s.user_numbers[1], "17611111111");
    assert_eq!(s.corp_id, "12345");
    assert_eq!(s.expire_time, "yymmddhhmmsstnnp");
    assert_eq!(s.schedule_time, "yymmddhhmmsstnnp");
    assert_eq!(s.report_flag, 0);
    assert_eq!(&s.message_content[..], b"test msg");
}

#[test]
fn tv5_deliver() {
    let p = round_trip(TV5);
    let Pdu::Deliver(d) = p.pdu else {
        panic!("{:?}", p.pdu)
    };
    assert_eq!(d.user_number, "17600111111");
    assert_eq!(d.sp_number, "1069999999999");
    assert_eq!((d.tp_pid, d.tp_udhi, d.message_coding), (0, 0, 0));
    assert_eq!(d.text(), Decoded::Text("hello deliver test msg".into()));
}

#[test]
fn tv7_loopback_mt_session() {
    let seq = |counter| SequenceNumber::new(3_010_012_345, 1_204_062_621, counter);
    let bind = round_trip(TV7_C_BIND);
    assert_eq!(bind.sequence, seq(1));
    let Pdu::Bind(b) = bind.pdu else { panic!() };
    assert_eq!(
        (b.login_type, b.login_name, b.login_password),
        (1, "fakename".parse().unwrap(), "1234".parse().unwrap())
    );

    let resp = round_trip(TV7_S_BIND_RESP);
    assert_eq!(resp.sequence, seq(1));
    assert!(ok_resp(&resp).is_ok());

    let submit = round_trip(TV7_C_SUBMIT);
    assert_eq!(submit.sequence, seq(2));
    let Pdu::Submit(s) = submit.pdu else { panic!() };
    assert_eq!(s.charge_number, "000000000000000000000");
    assert_eq!(s.user_numbers[0], "8617600000000");
    assert_eq!(s.corp_id, "12345");
    assert_eq!(s.service_type, "TEST");
    assert_eq!(s.fee_type, 1);
    assert_eq!(s.fee_value, "0");
    assert_eq!(s.given_value, "0");
    assert_eq!(s.morelateto_mt_flag, 2);
    assert_eq!(s.report_flag, 1);
    assert_eq!(s.message_coding, 15);
    assert_eq!(&s.message_content[..], b"hello sgip");

    let submit_resp = round_trip(TV7_S_SUBMIT_RESP);
    assert_eq!(submit_resp.sequence, seq(2));
    assert!(matches!(submit_resp.pdu, Pdu::SubmitResp(r) if r.result.is_ok()));

    let unbind = round_trip(TV7_C_UNBIND);
    assert_eq!(unbind.sequence, seq(3));
    assert!(matches!(&unbind.pdu, Pdu::Unbind(u) if u.extra.is_empty()));

    // Quirk 5: a 29-byte Unbind_Resp is accepted and re-encodes exactly.
    let unbind_resp = round_trip(TV7_S_UNBIND_RESP);
    assert_eq!(unbind_resp.sequence, seq(3));
    assert!(matches!(&unbind_resp.pdu, Pdu::UnbindResp(u) if u.extra.len() == 9));
}

#[test]
fn tv8_loopback_mo_session() {
    let bind = round_trip(TV8_C_BIND_TYPE2);
    // Quirk 4: node id 0 is accepted.
    assert_eq!(bind.sequence.node_id, 0);
    let Pdu::Bind(b) = bind.pdu else { panic!() };
    assert_eq!(b.login_type, sgip_codec::pdu::bind::LOGIN_SMG_TO_SP);
    assert!(ok_resp(&round_trip(TV8_S_BIND_RESP)).is_ok());

    let deliver = round_trip(TV8_C_DELIVER);
    let Pdu::Deliver(d) = &deliver.pdu else {
        panic!()
    };
    assert_eq!(d.user_number, "8617600000000");
    assert_eq!(d.sp_number, "10690090");
    assert_eq!(d.message_coding, 15);
    assert_eq!(d.text(), Decoded::Text("你好 MO".into()));
    let resp = round_trip(TV8_S_DELIVER_RESP);
    assert_eq!(resp.sequence, deliver.sequence);
    assert!(ok_resp(&resp).is_ok());

    let unbind = round_trip(TV8_C_UNBIND);
    let unbind_resp = round_trip(TV8_S_UNBIND_RESP);
    assert_eq!(unbind.sequence, unbind_resp.sequence);
    assert!(matches!(&unbind_resp.pdu, Pdu::UnbindResp(u) if u.extra.is_empty()));
}

#[test]
fn tv9_report_matches_tv2_on_all_twelve_bytes() {
    let report = round_trip(TV9);
    assert_eq!(
        report.sequence,
        SequenceNumber::new(101_001, 301_151_230, 1)
    );
    let Pdu::Report(r) = report.pdu else { panic!() };
    let submit = decode(Bytes::from(bytes(TV2))).unwrap();
    assert_eq!(r.submit_sequence, submit.sequence);
    assert_eq!(r.submit_sequence.to_bytes()[..], bytes(TV2)[8..20]);
    assert_eq!(r.report_type, 0);
    assert_eq!(r.user_number, "8618657118636");
    assert_eq!(r.state, ReportState::Delivered);
    assert_eq!(r.error_code, ResultCode::OK);
    assert_eq!(r.cause_class(), CauseClass::Delivered);
}
