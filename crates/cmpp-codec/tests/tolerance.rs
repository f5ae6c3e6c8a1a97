//! Real-world tolerance (spec §9): one test per quirk listed in docs/protocol.md.

use bytes::{Bytes, BytesMut};
use cmpp_codec::{
    decode, encode, CancelResp, CauseClass, ConnectStatus, DecodeProblem, Deliver, DeliverContent,
    DeliverResult, EncodeError, MsgFmt, MsgId, OctetString, Packet, Pdu, Stat, StatKind,
    StatusReport, Submit, SubmitResult, Version,
};

/// A packet: header (Total_Length computed) + body.
fn frame(command_id: u32, sequence_id: u32, body: &[u8]) -> Bytes {
    let mut f = ((body.len() + 12) as u32).to_be_bytes().to_vec();
    f.extend_from_slice(&command_id.to_be_bytes());
    f.extend_from_slice(&sequence_id.to_be_bytes());
    f.extend_from_slice(body);
    Bytes::from(f)
}

fn padded(value: &[u8], width: usize) -> Vec<u8> {
    let mut v = value.to_vec();
    v.resize(width, 0);
    v
}

/// A 3.0 DELIVER body up to and including Registered_Delivery.
fn deliver_v30_head(dest_id: &[u8], service_id: &[u8], src: &[u8], tp_udhi: u8, rd: u8) -> Vec<u8> {
    let mut b = vec![0x52, 0x2a, 0x49, 0x80, 0x00, 0x2a, 0xa6, 0xce];
    b.extend(padded(dest_id, 21));
    b.extend(padded(service_id, 10));
    b.extend([0, tp_udhi, 8]);
    b.extend(padded(src, 32));
    b.push(0);
    b.push(rd);
    b
}

/// A report Msg_Content with a Dest_terminal_Id field of `dest_width` bytes.
fn report_content(stat: &[u8; 7], time: &[u8; 10], dest: &[u8], dest_width: usize) -> Vec<u8> {
    let mut c = vec![0xb2, 0xb9, 0xda, 0x80, 0x00, 0x01, 0x00, 0x00];
    c.extend_from_slice(stat);
    c.extend_from_slice(time);
    c.extend_from_slice(time);
    c.extend(padded(dest, dest_width));
    c.extend([0, 0, 0, 7]);
    c
}

fn deliver(p: Packet) -> Deliver {
    match p.pdu {
        Pdu::Deliver(d) => d,
        other => panic!("not a DELIVER: {other:?}"),
    }
}

#[test]
fn q9_1_full_width_strings_without_nul() {
    let dest_id = b"106575581234567890123"; // 21 digits, fills Dest_Id
    let src = b"86187756481411234567890123456789"; // 32 bytes, fills Src_terminal_Id
    let mut body = deliver_v30_head(dest_id, b"MCN2210101", src, 0, 0);
    body.push(2);
    body.extend_from_slice(b"hi");
    body.extend_from_slice(b"LINKID00000000000001"); // 20 bytes, full
    let f = frame(5, 1, &body);
    let d = deliver(decode(f.clone(), Version::V30).unwrap());
    assert_eq!(d.dest_id.as_bytes(), dest_id);
    assert_eq!(d.service_id, "MCN2210101");
    assert_eq!(d.src_terminal_id.as_bytes(), src);
    assert_eq!(d.link_id, "LINKID00000000000001");
    assert_eq!(Packet::new(1, d).to_bytes(Version::V30).unwrap(), f);
}

#[test]
fn q9_2_sixty_byte_report_in_v30_with_short_link_id() {
    // Aspire-style: the report is 60 bytes (21-byte Dest_terminal_Id) and the packet is simply
    // 11 bytes shorter; LinkID is whatever is left after Msg_Content.
    let report = report_content(b"DELIVRD", b"2405041036", b"13800138000", 21);
    let mut body = deliver_v30_head(b"10657558", b"cmcczx_sms", b"13800138000", 0, 1);
    body.push(60);
    body.extend_from_slice(&report);
    body.extend_from_slice(b"abc\0\0\0\0\0\0"); // 9 bytes left instead of 20
    let d = deliver(decode(frame(5, 2, &body), Version::V30).unwrap());
    let r = d.report().unwrap();
    assert_eq!(r.dest_terminal_id, "13800138000");
    assert_eq!(r.smsc_sequence, 7);
    assert_eq!(r.msg_id.as_u64(), 0xb2b9_da80_0001_0000);
    assert_eq!(d.link_id, "abc");
    assert_eq!(d.service_id, "cmcczx_sms");
    // Re-encoding on 3.0 produces the standard 71-byte report.
    let out = Packet::new(2, d.clone()).to_bytes(Version::V30).unwrap();
    assert_eq!(out[88], 71);
    assert_eq!(
        deliver(decode(out, Version::V30).unwrap()).report(),
        d.report()
    );
}

#[test]
fn q9_2_seventy_one_byte_report_in_v30() {
    let report = report_content(b"UNDELIV", b"2405041036", b"8613800138000", 32);
    let mut body = deliver_v30_head(b"10657558", b"", b"8613800138000", 0, 1);
    body.push(71);
    body.extend_from_slice(&report);
    body.extend([0; 20]);
    let f = frame(5, 3, &body);
    let d = deliver(decode(f.clone(), Version::V30).unwrap());
    assert_eq!(d.report().unwrap().dest_terminal_id, "8613800138000");
    assert_eq!(Packet::new(3, d).to_bytes(Version::V30).unwrap(), f);
}

#[test]
fn q9_2_other_report_length_uses_prefix_and_last_four_bytes() {
    // 66 bytes: 35 prefix + 27 bytes of number field + 4 SMSC_sequence.
    let report = report_content(b"DELIVRD", b"2405041036", b"13800138000", 27);
    assert_eq!(report.len(), 66);
    let mut body = deliver_v30_head(b"1065", b"", b"13800138000", 0, 1);
    body.push(66);
    body.extend_from_slice(&report);
    let d = deliver(decode(frame(5, 4, &body), Version::V30).unwrap());
    let r = d.report().unwrap();
    assert_eq!(r.dest_terminal_id, "13800138000");
    assert_eq!(r.smsc_sequence, 7);
    assert!(d.link_id.is_empty());
}

#[test]
fn q9_2_report_shorter_than_fixed_part_is_a_typed_error() {
    let mut body = deliver_v30_head(b"1065", b"", b"138", 0, 1);
    body.push(20);
    body.extend([b'x'; 20]);
    let err = decode(frame(5, 5, &body), Version::V30).unwrap_err();
    assert_eq!(err.field, "Msg_Content");
    assert_eq!(err.offset, 89);
    assert_eq!(
        err.problem,
        DecodeProblem::ReportTooShort {
            actual: 20,
            min: 39
        }
    );
}

#[test]
fn q9_3_connect_resp_status_width_from_body_length() {
    // A 3.0-layout (21-byte) CONNECT_RESP on a 2.0 session, and the reverse.
    let mut v30_body = vec![0, 0, 0, 3];
    v30_body.extend([0; 16]);
    v30_body.push(0x30);
    let p = decode(frame(0x8000_0001, 1, &v30_body), Version::V20).unwrap();
    assert!(matches!(p.pdu, Pdu::ConnectResp(r) if r.status == ConnectStatus::AuthFailed));
    let mut v20_body = vec![4];
    v20_body.extend([0; 16]);
    v20_body.push(0x20);
    let p = decode(frame(0x8000_0001, 1, &v20_body), Version::V30).unwrap();
    assert!(matches!(p.pdu, Pdu::ConnectResp(r) if r.status == ConnectStatus::VersionTooHigh));
    let err = decode(frame(0x8000_0001, 1, &[0; 19]), Version::V30).unwrap_err();
    assert_eq!(err.field, "Status");
    assert!(matches!(
        err.problem,
        DecodeProblem::BadBodyLength { actual: 19, .. }
    ));
}

#[test]
fn q9_3_submit_resp_result_width_from_body_length() {
    // 12-byte body on a 2.0 session: Result 8 must not be read as its high byte 0.
    let body = [0xb2, 0xb9, 0xda, 0x80, 0, 1, 0, 0, 0, 0, 0, 8];
    let p = decode(frame(0x8000_0004, 9, &body), Version::V20).unwrap();
    let Pdu::SubmitResp(r) = p.pdu else {
        panic!("not a SUBMIT_RESP")
    };
    assert_eq!(r.result, SubmitResult::FlowControl);
    assert!(r.result.is_retryable());
    let p = decode(frame(0x8000_0004, 9, &body[..9]), Version::V30).unwrap();
    assert!(matches!(p.pdu, Pdu::SubmitResp(r) if r.result == SubmitResult::Ok));
}

#[test]
fn q9_3_deliver_resp_result_width_from_body_length() {
    let body = [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9];
    let p = decode(frame(0x8000_0005, 9, &body), Version::V20).unwrap();
    assert!(matches!(p.pdu, Pdu::DeliverResp(r) if r.result == DeliverResult::Other(9)));
    let p = decode(frame(0x8000_0005, 9, &body[..9]), Version::V30).unwrap();
    assert!(matches!(p.pdu, Pdu::DeliverResp(r) if r.result == DeliverResult::Ok));
}

#[test]
fn q9_3_cancel_resp_four_bytes_on_v20_and_one_byte_sent() {
    let p = decode(frame(0x8000_0007, 1, &[0, 0, 0, 1]), Version::V20).unwrap();
    assert_eq!(p.pdu, Pdu::CancelResp(CancelResp { success_id: 1 }));
    // On encode 2.0 follows spec S2: one byte.
    let out = p.to_bytes(Version::V20).unwrap();
    assert_eq!(out.as_ref(), &[0, 0, 0, 13, 0x80, 0, 0, 7, 0, 0, 0, 1, 1]);
}

#[test]
fn q9_6_active_test_resp_without_reserved_byte() {
    let p = decode(frame(0x8000_0008, 0x17, &[]), Version::V30).unwrap();
    assert!(matches!(p.pdu, Pdu::ActiveTestResp(r) if r.reserved == 0));
    let out = p.to_bytes(Version::V30).unwrap();
    assert_eq!(out.len(), 13, "always sent with its Reserved byte");
}

#[test]
fn q9_7_tp_udhi_0x40_means_udh_present() {
    let mut body = deliver_v30_head(b"1065", b"", b"138", 0x40, 0);
    body.push(7);
    body.extend_from_slice(&[5, 0, 3, 0x2e, 2, 1, b'x']);
    body.extend([0; 20]);
    let d = deliver(decode(frame(5, 1, &body), Version::V30).unwrap());
    assert!(d.has_udh());
    assert_eq!(d.tp_udhi, 0x40, "kept verbatim");
    let plain = Deliver {
        tp_udhi: 0,
        ..d.clone()
    };
    assert!(!plain.has_udh());
    assert!(Deliver { tp_udhi: 1, ..d }.has_udh());
}

#[test]
fn q9_8_pk_fields_disagreeing_with_udh_are_kept_verbatim() {
    // TV-16 shape: UDH says part 2 of 3 (ref 0x2e) while Pk_total = Pk_number = 1.
    let content = [5, 0, 3, 0x2e, 3, 2, 0x4f, 0x60, 0x59, 0x7d];
    let submit = Submit {
        pk_total: 1,
        pk_number: 1,
        tp_udhi: 1,
        msg_fmt: MsgFmt::Ucs2,
        service_id: "MCN2210101".parse().unwrap(),
        valid_time: "150731224820032+".parse().unwrap(),
        dest_terminal_ids: vec!["8618775648141".parse().unwrap()],
        msg_content: Bytes::copy_from_slice(&content),
        ..Submit::default()
    };
    for version in [Version::V20, Version::V30] {
        let bytes = Packet::new(7, submit.clone()).to_bytes(version).unwrap();
        let Pdu::Submit(back) = decode(bytes, version).unwrap().pdu else {
            panic!()
        };
        assert_eq!((back.pk_total, back.pk_number), (1, 1));
        assert!(back.has_udh());
        assert_eq!(back.msg_content.as_ref(), &content);
        assert_eq!(back, submit);
    }
}

#[test]
fn q9_5_version_byte_0x21() {
    assert_eq!(Version::from_byte(0x21), Some(Version::V20));
    let mut body = b"900001".to_vec();
    body.extend([0; 16]);
    body.push(0x21);
    body.extend(1_021_080_510u32.to_be_bytes());
    let f = frame(1, 1, &body);
    let p = decode(f.clone(), Version::V20).unwrap();
    assert!(matches!(p.pdu, Pdu::Connect(c) if c.version == 0x21));
    assert_eq!(p.to_bytes(Version::V20).unwrap(), f, "0x21 echoes as 0x21");
}

#[test]
fn q9_10_msg_id_compared_bytewise() {
    let resp_id = MsgId::from_bytes([0x52, 0x2a, 0x49, 0x80, 0x00, 0x2a, 0xa6, 0xce]);
    let mut body = deliver_v30_head(b"1065", b"", b"138", 0, 1);
    let mut report = report_content(b"DELIVRD", b"2405041036", b"138", 32);
    report[..8].copy_from_slice(&resp_id.to_bytes());
    body.push(71);
    body.extend_from_slice(&report);
    body.extend([0; 20]);
    let d = deliver(decode(frame(5, 1, &body), Version::V30).unwrap());
    assert_eq!(d.report().unwrap().msg_id, resp_id);
    assert_ne!(d.report().unwrap().msg_id, resp_id.nth(1));
}

#[test]
fn q9_13_unlisted_stat_and_dummy_times_are_kept_raw() {
    let report = report_content(b"AF:4\0\0\0", b"0001010000", b"13800138000", 32);
    let mut body = deliver_v30_head(b"1065", b"cmcczx_sms", b"13800138000", 0, 1);
    body.push(71);
    body.extend_from_slice(&report);
    body.extend([0; 20]);
    let f = frame(5, 1, &body);
    let d = deliver(decode(f.clone(), Version::V30).unwrap());
    let r = d.report().unwrap();
    assert_eq!(r.stat.raw(), *b"AF:4\0\0\0");
    assert_eq!(r.stat.kind(), StatKind::Other);
    assert_eq!(r.stat.text(), "AF:4");
    assert_eq!(r.stat.cause_class(), CauseClass::Unknown);
    assert_eq!(r.submit_time, "0001010000");
    assert_eq!(r.done_time, "0001010000");
    assert_eq!(Packet::new(1, d).to_bytes(Version::V30).unwrap(), f);
}

#[test]
fn q9_14_86_prefixed_numbers_echo_as_received() {
    for number in ["8618775648141", "+8618775648141"] {
        let mut body = deliver_v30_head(b"1065", b"", number.as_bytes(), 0, 0);
        body.push(1);
        body.push(b'1');
        body.extend([0; 20]);
        let f = frame(5, 1, &body);
        let d = deliver(decode(f.clone(), Version::V30).unwrap());
        assert_eq!(d.src_terminal_id, number);
        assert_eq!(Packet::new(1, d).to_bytes(Version::V30).unwrap(), f);
    }
}

#[test]
fn q9_11_missing_and_extra_trailing_bytes() {
    // LinkID absent entirely (body ends after Msg_Content) → empty.
    let mut body = deliver_v30_head(b"1065", b"", b"138", 0, 0);
    body.push(2);
    body.extend_from_slice(b"ok");
    let d = deliver(decode(frame(5, 1, &body), Version::V30).unwrap());
    assert!(d.link_id.is_empty());
    assert_eq!(
        d.content,
        DeliverContent::Message(Bytes::from_static(b"ok"))
    );
    // 2.0 Reserved followed by junk → the 8 bytes are read, the rest ignored.
    let mut body = vec![0u8; 8];
    body.extend(padded(b"1065", 21));
    body.extend([0; 10]);
    body.extend([0, 0, 0]);
    body.extend(padded(b"138", 21));
    body.push(0);
    body.push(0);
    body.extend_from_slice(b"RESERVEDjunkjunk");
    let d = deliver(decode(frame(5, 1, &body), Version::V20).unwrap());
    assert_eq!(d.link_id, "RESERVED");
    assert_eq!(d.content, DeliverContent::Message(Bytes::new()));
}

#[test]
fn report_encoded_60_bytes_on_v20_and_71_on_v30() {
    let report = StatusReport {
        msg_id: MsgId::from_u64(42),
        stat: Stat::from_text("MK:0005").unwrap(),
        submit_time: "2405041036".parse().unwrap(),
        done_time: "2405041037".parse().unwrap(),
        dest_terminal_id: "13800138000".parse().unwrap(),
        smsc_sequence: 1,
    };
    let d = Deliver {
        msg_id: MsgId::from_u64(1),
        dest_id: "1065".parse().unwrap(),
        service_id: OctetString::EMPTY,
        tp_pid: 0,
        tp_udhi: 0,
        msg_fmt: MsgFmt::Ascii,
        src_terminal_id: "13800138000".parse().unwrap(),
        src_terminal_type: 0,
        content: DeliverContent::Report(report),
        link_id: OctetString::EMPTY,
    };
    let v20 = Packet::new(1, d.clone()).to_bytes(Version::V20).unwrap();
    assert_eq!(v20[76], 60);
    assert_eq!(v20.len(), 85 + 60);
    let v30 = Packet::new(1, d.clone()).to_bytes(Version::V30).unwrap();
    assert_eq!(v30[88], 71);
    assert_eq!(v30.len(), 109 + 71);
    assert_eq!(StatusReport::encoded_len(Version::V20), 60);
    assert_eq!(
        report.stat.kind(),
        StatKind::Coded {
            prefix: *b"MK",
            code: *b"0005"
        }
    );
}

#[test]
fn decode_errors_name_command_field_and_offset() {
    // 3.0 SUBMIT whose Msg_Length (offset 174 with one destination) claims 200 bytes.
    let submit = Submit {
        dest_terminal_ids: vec!["13800138000".parse().unwrap()],
        msg_content: Bytes::from_static(&[b'a'; 20]),
        ..Submit::default()
    };
    let good = Packet::new(1, submit).to_bytes(Version::V30).unwrap();
    let mut bad = good.to_vec();
    bad[174] = 200;
    let cut = 175 + 20;
    bad.truncate(cut);
    bad[..4].copy_from_slice(&(cut as u32).to_be_bytes());
    let err = decode(Bytes::from(bad), Version::V30).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SUBMIT: field Msg_Length at offset 174: declares 200 bytes but only 20 remain"
    );
    // A header whose Total_Length disagrees with the frame.
    let mut short = good.to_vec();
    short.truncate(100);
    let err = decode(Bytes::from(short), Version::V30).unwrap_err();
    assert_eq!(err.field, "Total_Length");
    assert_eq!(err.offset, 0);
    // DestUsr_tl claiming 99 destinations in a short packet.
    let mut many = good.to_vec();
    many[140] = 99;
    let err = decode(Bytes::from(many), Version::V30).unwrap_err();
    assert_eq!((err.field, err.offset), ("DestUsr_tl", 140));
}

#[test]
fn encode_errors_are_caller_misuse_and_leave_buffer_untouched() {
    let submit = Submit {
        dest_terminal_ids: vec!["1234567890123456789012345".parse().unwrap()],
        ..Submit::default()
    };
    let mut dst = BytesMut::from(&b"keep"[..]);
    let err = encode(&Packet::new(1, submit.clone()), Version::V20, &mut dst).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Dest_terminal_Id '1234567890123456789012345' is 25 bytes, field holds 21 on CMPP 2.0"
    );
    assert_eq!(&dst[..], b"keep");
    assert!(encode(&Packet::new(1, submit), Version::V30, &mut dst).is_ok());

    let none = Submit::default();
    assert_eq!(
        Packet::new(1, none).to_bytes(Version::V30),
        Err(EncodeError::DestinationCount { count: 0 })
    );
    let long = Submit {
        dest_terminal_ids: vec!["138".parse().unwrap()],
        msg_fmt: MsgFmt::Ucs2,
        msg_content: Bytes::from(vec![0u8; 141]),
        ..Submit::default()
    };
    assert_eq!(
        Packet::new(1, long).to_bytes(Version::V30),
        Err(EncodeError::ContentTooLong { len: 141, max: 140 })
    );
    let wide = Packet::new(
        1,
        cmpp_codec::SubmitResp {
            msg_id: MsgId::default(),
            result: SubmitResult::Other(300),
        },
    );
    assert!(matches!(
        wide.to_bytes(Version::V20),
        Err(EncodeError::ValueTooWide { value: 300, .. })
    ));
    assert!(wide.to_bytes(Version::V30).is_ok());
}

#[test]
fn unknown_commands_keep_their_body() {
    let f = frame(0x0000_0009, 5, b"fwd-body");
    let p = decode(f.clone(), Version::V30).unwrap();
    match &p.pdu {
        Pdu::Unknown { command_id, body } => {
            assert_eq!(command_id.0, 9);
            assert_eq!(body.as_ref(), b"fwd-body");
        }
        other => panic!("expected Unknown, got {other:?}"),
    }
    assert_eq!(p.to_bytes(Version::V30).unwrap(), f);
    let misuse = Packet::new(
        1,
        Pdu::Unknown {
            command_id: cmpp_codec::CommandId::SUBMIT,
            body: Bytes::new(),
        },
    );
    assert!(misuse.to_bytes(Version::V30).is_err());
}
