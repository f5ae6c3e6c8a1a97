//! Spec §10 public vectors: decoding gives the listed fields and re-encoding the decoded
//! value at the matching version gives the same bytes back.

mod vectors;

use bytes::Bytes;
use cmpp_codec::{
    decode, split_frame, ConnectStatus, DeliverContent, DeliverResult, FrameStatus, MsgFmt, MsgId,
    Packet, Pdu, StatKind, SubmitResult, Version, DEFAULT_MAX_FRAME_LEN,
};
use vectors::*;

/// Frames, decodes and re-encodes a vector; returns the packet.
fn round_trip(hex_text: &str, version: Version) -> Packet {
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

#[test]
fn tv01_tv02_connect() {
    for (hex_text, version, byte) in [
        (TV01_CONNECT_V21, Version::V20, 0x21),
        (TV02_CONNECT_V30, Version::V30, 0x30),
    ] {
        let p = round_trip(hex_text, version);
        assert_eq!(p.sequence_id, 0x17);
        let Pdu::Connect(c) = p.pdu else {
            panic!("not a CONNECT: {:?}", p.pdu)
        };
        assert_eq!(c.source_addr, "900001");
        assert_eq!(
            hex::encode(c.authenticator_source),
            "90d00c1d517abd0b4f65f6bcf8535d16"
        );
        assert_eq!(c.version, byte);
        assert_eq!(Version::from_byte(c.version), Some(version));
        assert_eq!(c.timestamp, 1_021_080_510);
    }
}

#[test]
fn tv03_tv04_connect_resp() {
    for (hex_text, version, auth, byte) in [
        (
            TV03_CONNECT_RESP_V20,
            Version::V20,
            "6c0b846e25bab6daa4ed1c466e0f4bd8",
            0x21,
        ),
        (
            TV04_CONNECT_RESP_V30,
            Version::V30,
            "7942977274098cf210ab0c16c367bc8d",
            0x30,
        ),
    ] {
        let p = round_trip(hex_text, version);
        let Pdu::ConnectResp(r) = p.pdu else {
            panic!("not a CONNECT_RESP: {:?}", p.pdu)
        };
        assert_eq!(r.status, ConnectStatus::Ok);
        assert_eq!(hex::encode(r.authenticator_ismg), auth);
        assert_eq!(r.version, byte);
    }
}

#[test]
fn tv05_tv06_submit() {
    for (hex_text, version) in [
        (TV05_SUBMIT_V20, Version::V20),
        (TV06_SUBMIT_V30, Version::V30),
    ] {
        let p = round_trip(hex_text, version);
        assert_eq!(p.sequence_id, 0x17);
        let Pdu::Submit(s) = p.pdu else {
            panic!("not a SUBMIT: {:?}", p.pdu)
        };
        assert_eq!(s.msg_id, MsgId::from_u64(0));
        assert_eq!(
            (s.pk_total, s.pk_number, s.registered_delivery, s.msg_level),
            (1, 1, 1, 1)
        );
        assert_eq!(s.service_id, "test");
        assert_eq!(s.fee_user_type, 2);
        assert_eq!(s.fee_terminal_id, "13500002696");
        assert_eq!(s.fee_terminal_type, 0);
        assert_eq!((s.tp_pid, s.tp_udhi), (0, 0));
        assert!(!s.has_udh());
        assert_eq!(s.msg_fmt, MsgFmt::Ucs2);
        assert_eq!(s.msg_src, "900001");
        assert_eq!(s.fee_type, "02");
        assert_eq!(s.fee_code, "10");
        assert_eq!(s.valid_time, "151105131555101+");
        assert!(s.at_time.is_empty());
        assert_eq!(s.src_id, "900001");
        assert_eq!(s.dest_terminal_ids.len(), 1);
        assert_eq!(s.dest_terminal_ids[0], "13500002696");
        assert_eq!(s.msg_content.len(), 30);
        let text: String = char::decode_utf16(
            s.msg_content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]])),
        )
        .map(|c| c.unwrap())
        .collect();
        assert_eq!(text, "测试gocmpp submit");
        assert!(s.link_id.is_empty());
    }
}

#[test]
fn tv07_tv08_submit_resp() {
    for (hex_text, version) in [
        (TV07_SUBMIT_RESP_V20, Version::V20),
        (TV08_SUBMIT_RESP_V30, Version::V30),
    ] {
        let p = round_trip(hex_text, version);
        let Pdu::SubmitResp(r) = p.pdu else {
            panic!("not a SUBMIT_RESP: {:?}", p.pdu)
        };
        assert_eq!(r.msg_id.as_u64(), 0xb2b9_da80_0001_0000);
        assert_eq!(
            (
                r.msg_id.month(),
                r.msg_id.day(),
                r.msg_id.hour(),
                r.msg_id.minute(),
                r.msg_id.second()
            ),
            (11, 5, 14, 29, 42)
        );
        assert_eq!((r.msg_id.gateway(), r.msg_id.sequence()), (1, 0));
        assert_eq!(r.result, SubmitResult::Ok);
    }
}

#[test]
fn tv09_tv10_deliver_mo() {
    for (hex_text, version, seq, id) in [
        (
            TV09_DELIVER_MO_V20,
            Version::V20,
            5,
            0xb525_6280_0001_0000u64,
        ),
        (TV10_DELIVER_MO_V30, Version::V30, 1, 0xb4c5_5300_0001_0000),
    ] {
        let p = round_trip(hex_text, version);
        assert_eq!(p.sequence_id, seq);
        let Pdu::Deliver(d) = p.pdu else {
            panic!("not a DELIVER: {:?}", p.pdu)
        };
        assert_eq!(d.msg_id.as_u64(), id);
        assert_eq!(d.dest_id, "900001");
        assert!(d.service_id.is_empty());
        assert_eq!(d.msg_fmt, MsgFmt::Ascii);
        assert_eq!(d.src_terminal_id, "13412340000");
        assert_eq!(d.registered_delivery(), 0);
        assert_eq!(
            d.content,
            DeliverContent::Message(Bytes::from_static(b"This is a test MO."))
        );
        assert!(d.link_id.is_empty());
    }
}

#[test]
fn tv11_deliver_report_v20() {
    let p = round_trip(TV11_DELIVER_REPORT_V20, Version::V20);
    let Pdu::Deliver(d) = p.pdu else {
        panic!("not a DELIVER: {:?}", p.pdu)
    };
    assert_eq!(d.msg_id.as_u64(), 0xae5c_6bc0_000b_0001);
    assert_eq!(d.dest_id, "10690549222223");
    assert_eq!(d.service_id, "test");
    assert_eq!(d.src_terminal_id, "18026901024");
    let r = d.report().expect("a status report");
    assert_eq!(r.msg_id, d.msg_id);
    assert_eq!(r.stat.kind(), StatKind::Delivered);
    assert_eq!(r.submit_time, "2210282306");
    assert_eq!(r.done_time, "2210282306");
    assert_eq!(r.dest_terminal_id, "18026901024");
    assert_eq!(r.smsc_sequence, 1);
}

#[test]
fn tv14_deliver_resp() {
    for (hex_text, version, id) in [
        (
            TV14_DELIVER_RESP_V20,
            Version::V20,
            0xb525_6280_0001_0000u64,
        ),
        (TV14_DELIVER_RESP_V30, Version::V30, 0xb4c5_5300_0001_0000),
    ] {
        let p = round_trip(hex_text, version);
        let Pdu::DeliverResp(r) = p.pdu else {
            panic!("not a DELIVER_RESP: {:?}", p.pdu)
        };
        assert_eq!(r.msg_id.as_u64(), id);
        assert_eq!(r.result, DeliverResult::Ok);
    }
}

#[test]
fn tv15_link_messages_both_versions() {
    for version in [Version::V20, Version::V30] {
        assert_eq!(round_trip(TV15_ACTIVE_TEST, version).pdu, Pdu::ActiveTest);
        assert_eq!(round_trip(TV15_TERMINATE, version).pdu, Pdu::Terminate);
        assert_eq!(
            round_trip(TV15_TERMINATE_RESP, version).pdu,
            Pdu::TerminateResp
        );
        let p = round_trip(TV15_ACTIVE_TEST_RESP, version);
        assert_eq!(p.sequence_id, 0x17);
        assert!(matches!(p.pdu, Pdu::ActiveTestResp(r) if r.reserved == 0));
    }
}

#[test]
fn tv18_tv19_query() {
    for version in [Version::V20, Version::V30] {
        let Pdu::Query(q) = round_trip(TV18_QUERY, version).pdu else {
            panic!("not a QUERY")
        };
        assert_eq!(q.time, "20240102");
        assert_eq!(q.query_type, 1);
        assert_eq!(q.query_code, "test");
        let Pdu::QueryResp(r) = round_trip(TV19_QUERY_RESP, version).pdu else {
            panic!("not a QUERY_RESP")
        };
        assert_eq!(r.time, "20240102");
        assert_eq!(
            [
                r.mt_tl_msg,
                r.mt_tl_usr,
                r.mt_scs,
                r.mt_wt,
                r.mt_fl,
                r.mo_scs,
                r.mo_wt,
                r.mo_fl
            ],
            [100, 90, 80, 5, 15, 7, 1, 0]
        );
    }
}

#[test]
fn tv20_cancel_and_resp() {
    for version in [Version::V20, Version::V30] {
        let p = round_trip(TV20_CANCEL, version);
        assert_eq!(p.sequence_id, 0x2b);
        assert!(matches!(p.pdu, Pdu::Cancel(c) if c.msg_id.as_u64() == 0xb2b9_da80_0001_0000));
    }
    for (hex_text, version) in [
        (TV20B_CANCEL_RESP_V20, Version::V20),
        (TV20B_CANCEL_RESP_V30, Version::V30),
    ] {
        let p = round_trip(hex_text, version);
        assert!(matches!(p.pdu, Pdu::CancelResp(r) if r.is_success()));
    }
}

#[test]
fn tv21_report_content_in_both_layouts() {
    // TV-21 is a bare 60-byte report; wrap it in a 2.0 DELIVER, decode, and check that a
    // 3.0 encoding of the same report is 71 bytes with the id padded to 32.
    let report = bytes(TV21_REPORT_CONTENT);
    assert_eq!(report.len(), 60);
    let mut body = vec![0u8; 8];
    body.extend_from_slice(b"900001\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"); // Dest_Id 21
    body.extend_from_slice(&[0; 10]); // Service_Id
    body.extend_from_slice(&[0, 0, 0]); // TP_pid, TP_udhi, Msg_Fmt
    body.extend_from_slice(b"13412340000\0\0\0\0\0\0\0\0\0\0"); // Src_terminal_Id 21
    body.push(1); // Registered_Delivery
    body.push(60);
    body.extend_from_slice(&report);
    body.extend_from_slice(&[0; 8]);
    let mut frame = ((body.len() + 12) as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 9]);
    frame.extend_from_slice(&body);
    let p = decode(Bytes::from(frame.clone()), Version::V20).unwrap();
    assert_eq!(p.to_bytes(Version::V20).unwrap().as_ref(), &frame[..]);
    let Pdu::Deliver(d) = &p.pdu else {
        panic!("not a DELIVER")
    };
    let r = d.report().unwrap();
    assert_eq!(r.msg_id.as_u64(), 0xb4c5_5300_0001_0000);
    assert!(r.stat.is_delivered());
    assert_eq!(r.submit_time, "1511120955");
    assert_eq!(r.done_time, "1511120957");
    assert_eq!(r.dest_terminal_id, "13412340000");
    assert_eq!(r.smsc_sequence, 0x1234_5678);

    let v30 = p.to_bytes(Version::V30).unwrap();
    let Pdu::Deliver(d30) = decode(v30.clone(), Version::V30).unwrap().pdu else {
        panic!("not a DELIVER")
    };
    assert_eq!(d30.report(), Some(r));
    // Msg_Length at offset 88 on 3.0; the report's last 4 bytes are SMSC_sequence.
    assert_eq!(v30[88], 71);
    let content = &v30[89..89 + 71];
    assert_eq!(&content[..35], &report[..35]);
    assert_eq!(&content[35..46], b"13412340000");
    assert!(content[46..67].iter().all(|&b| b == 0));
    assert_eq!(&content[67..], &[0x12, 0x34, 0x56, 0x78]);
}

#[test]
fn vector_files_match_constants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    for (name, hex_text) in ALL {
        let file = std::fs::read_to_string(dir.join(format!("{name}.hex"))).unwrap();
        assert_eq!(file.trim(), *hex_text, "{name}");
    }
}
