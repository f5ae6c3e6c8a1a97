//! `cmpp decode --protocol sgip|smgp` as a process: every PDU kind of each protocol decodes
//! to JSON with its key fields (inputs are the codecs' digest vectors, and packets the codecs
//! encode for the kinds the digests have no vector of), a broken SMGP TLV tail, and the
//! errors for bad input.

#[path = "../../../crates/sgip-codec/tests/vectors/mod.rs"]
mod sgip_tv;
#[path = "../../../crates/smgp-codec/tests/vectors/mod.rs"]
mod smgp_tv;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn cmpp() -> Command {
    Command::cargo_bin("cmpp").unwrap()
}

/// Runs `cmpp decode --protocol P ARGS… HEX…` and parses stdout as one JSON object per line.
fn decode(protocol: &str, args: &[&str]) -> Vec<Value> {
    let out = cmpp()
        .args(["decode", "--protocol", protocol])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Decodes one PDU and returns its object.
fn one(protocol: &str, hex_text: &str) -> Value {
    let mut lines = decode(protocol, &[hex_text]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.remove(0)
}

// ---------------------------------------------------------------------------------------
// SGIP

mod sgip {
    use super::*;
    use sgip_codec::{
        Packet, Pdu, Report, ReportState, Resp, ResultCode, SequenceNumber, Text, Trace, TraceHop,
        TraceResp, UserRpt,
    };
    use sgip_tv::*;

    fn sgip(hex_text: &str) -> Value {
        one("sgip", hex_text)
    }

    /// Hex of a packet the codec encodes (for kinds the digest has no vector of).
    fn encoded(pdu: Pdu) -> String {
        let seq = SequenceNumber::new(3_010_012_345, 1_204_062_621, 9);
        hex::encode(Packet::new(seq, pdu).to_bytes().unwrap())
    }

    fn text<const N: usize>(s: &str) -> Text<N> {
        Text::new(s.as_bytes()).unwrap()
    }

    #[test]
    fn header_shows_the_sequence_number_in_three_parts_and_as_hex() {
        let v = sgip(TV7_C_BIND);
        assert_eq!(v["protocol"], "sgip");
        assert_eq!(v["version"], "1.2");
        assert_eq!(v["command"], "BIND");
        assert_eq!(v["command_id"], "0x00000001");
        assert_eq!(v["total_length"], 61);
        let s = &v["sequence"];
        assert_eq!(s["hex"], "b36924b947c4899d00000001");
        assert_eq!(s["node_id"], 3_010_012_345u32);
        assert_eq!(s["time"], 1_204_062_621);
        assert_eq!(s["timestamp"], "1204062621");
        assert_eq!(s["counter"], 1);
        assert_eq!(s["text"], "3010012345-1204062621-1");
        let t = &s["time_parts"];
        assert_eq!(
            [
                &t["month"],
                &t["day"],
                &t["hour"],
                &t["minute"],
                &t["second"]
            ],
            [12, 4, 6, 26, 21]
        );
        // A time part that is no date (TV-1 sends zeros) has no parts, and a leading zero.
        let zero = sgip(TV1);
        assert_eq!(zero["sequence"]["time_parts"], Value::Null);
        assert_eq!(zero["sequence"]["timestamp"], "0000000000");
    }

    #[test]
    fn bind_of_both_links_and_bind_resp() {
        let f = &sgip(TV1)["fields"];
        assert_eq!(f["login_type"], 1);
        assert_eq!(f["login_type_meaning"], "SP to SMG (MT link)");
        assert_eq!(f["login_name"], "testusername");
        assert_eq!(f["login_password"], "testpwd");
        let f = &sgip(TV8_C_BIND_TYPE2)["fields"];
        assert_eq!(f["login_type"], 2);
        assert_eq!(f["login_type_meaning"], "SMG to SP (MO and report link)");
        let v = sgip(TV1_BIND_RESP);
        assert_eq!(v["command"], "BIND_RESP");
        assert_eq!(v["fields"]["result"], 0);
        assert_eq!(v["fields"]["result_meaning"], "OK");
        assert_eq!(v["fields"]["cause_class"], "delivered");
    }

    #[test]
    fn unbind_and_the_unbind_resp_with_a_body() {
        let v = sgip(TV7_C_UNBIND);
        assert_eq!(v["command"], "UNBIND");
        assert_eq!(v["fields"], serde_json::json!({}));
        let v = sgip(TV7_S_UNBIND_RESP);
        assert_eq!(v["command"], "UNBIND_RESP");
        assert_eq!(v["fields"]["extra"], "000000000000000000");
        assert_eq!(v["sequence"]["counter"], 3);
    }

    #[test]
    fn submit_fields_and_text() {
        let v = sgip(TV7_C_SUBMIT);
        assert_eq!(v["command"], "SUBMIT");
        assert_eq!(v["sequence"]["counter"], 2);
        let f = &v["fields"];
        assert_eq!(f["sp_number"], "10690090");
        assert_eq!(f["charge_number"], "000000000000000000000");
        assert_eq!(f["user_count"], 1);
        assert_eq!(f["user_numbers"][0], "8617600000000");
        assert_eq!(f["corp_id"], "12345");
        assert_eq!(f["service_type"], "TEST");
        assert_eq!(f["fee_type"], 1);
        assert_eq!(f["fee_value"], "0");
        assert_eq!(f["morelateto_mt_flag"], 2);
        assert_eq!(f["report_flag"], 1);
        assert_eq!(f["message_coding"], 15);
        assert_eq!(f["message_length"], 10);
        assert_eq!(f["message_content"], hex::encode("hello sgip"));
        assert_eq!(f["text"], "hello sgip");

        // TV-3: two recipients and time fields filled to the last byte.
        let f = &sgip(TV3)["fields"];
        assert_eq!(f["user_count"], 2);
        assert_eq!(f["user_numbers"][1], "17611111111");
        assert_eq!(f["expire_time"], "yymmddhhmmsstnnp");
        assert_eq!(f["text"], "test msg");
        // TV-2: all-NUL fee fields read as empty.
        let f = &sgip(TV2)["fields"];
        assert_eq!(f["fee_value"], "");
        assert_eq!(f["text"], "233a");
    }

    #[test]
    fn submit_resp_deliver_and_deliver_resp() {
        let v = sgip(TV7_S_SUBMIT_RESP);
        assert_eq!(v["command"], "SUBMIT_RESP");
        assert_eq!(v["fields"]["result"], 0);
        // The response carries its request's sequence number, all 12 bytes.
        assert_eq!(v["sequence"]["hex"], "b36924b947c4899d00000002");

        let v = sgip(TV8_C_DELIVER);
        assert_eq!(v["command"], "DELIVER");
        let f = &v["fields"];
        assert_eq!(f["user_number"], "8617600000000");
        assert_eq!(f["sp_number"], "10690090");
        assert_eq!(f["message_coding"], 15);
        assert_eq!(f["text"], "你好 MO");
        assert_eq!(sgip(TV5)["fields"]["text"], "hello deliver test msg");

        let v = sgip(TV8_S_DELIVER_RESP);
        assert_eq!(v["command"], "DELIVER_RESP");
        assert_eq!(v["sequence"]["hex"], "0000000047c489b500000002");
    }

    #[test]
    fn report_names_its_submit_by_all_twelve_bytes() {
        let v = sgip(TV9);
        assert_eq!(v["command"], "REPORT");
        assert_eq!(v["sequence"]["node_id"], 101_001);
        let f = &v["fields"];
        // TV-2's header sequence number, bytes 8..20.
        assert_eq!(f["submit_sequence"]["hex"], &TV2[16..40]);
        assert_eq!(f["submit_sequence"]["counter"], 1_857_753_309);
        assert_eq!(f["report_type"], 0);
        assert_eq!(f["user_number"], "8618657118636");
        assert_eq!(f["state"], 0);
        assert_eq!(f["state_meaning"], "delivered");
        assert_eq!(f["delivered"], true);
        assert_eq!(f["cause_class"], "delivered");
    }

    #[test]
    fn failed_report_and_the_other_responses() {
        let report = Report {
            submit_sequence: SequenceNumber::new(3_010_012_345, 1_204_062_621, 2),
            report_type: 0,
            user_number: text("8617600000000"),
            state: ReportState::Failed,
            error_code: ResultCode(26),
            reserve: Text::EMPTY,
        };
        let f = sgip(&encoded(Pdu::Report(report)))["fields"].clone();
        assert_eq!(f["state"], 2);
        assert_eq!(f["state_meaning"], "failed");
        assert_eq!(f["error_code"], 26);
        assert_eq!(f["error_code_meaning"], "handset memory full");
        assert_eq!(f["delivered"], false);
        assert_eq!(f["cause_class"], "user");

        let v = sgip(&encoded(Pdu::ReportResp(Resp::new(ResultCode(33)))));
        assert_eq!(v["command"], "REPORT_RESP");
        assert_eq!(v["fields"]["result"], 33);
        assert_eq!(v["fields"]["throttle"], true);
        assert_eq!(v["fields"]["cause_class"], "sp");
        let v = sgip(&encoded(Pdu::UserRptResp(Resp::new(ResultCode(8)))));
        assert_eq!(v["command"], "USERRPT_RESP");
        // SGIP's own table: 8 is a length error, not CMPP's flow control.
        assert_eq!(v["fields"]["result_meaning"], "message length error");
        assert_eq!(v["fields"]["throttle"], false);
    }

    #[test]
    fn user_rpt_trace_and_trace_resp() {
        let rpt = UserRpt {
            sp_number: text("10690090"),
            user_number: text("8617600000000"),
            user_condition: 1,
            reserve: Text::EMPTY,
        };
        let v = sgip(&encoded(Pdu::UserRpt(rpt)));
        assert_eq!(v["command"], "USERRPT");
        assert_eq!(v["fields"]["user_number"], "8617600000000");
        assert_eq!(v["fields"]["user_condition"], 1);
        assert_eq!(
            v["fields"]["user_condition_meaning"],
            "suspended for arrears"
        );

        let trace = Trace {
            submit_sequence: SequenceNumber::new(7, 1_120_203_225, 42),
            user_number: text("8617600000000"),
            reserve: Text::EMPTY,
        };
        let v = sgip(&encoded(Pdu::Trace(trace)));
        assert_eq!(v["command"], "TRACE");
        assert_eq!(v["fields"]["submit_sequence"]["text"], "7-1120203225-42");
        assert_eq!(
            v["fields"]["submit_sequence"]["hex"],
            "0000000742c4f1d90000002a"
        );

        let hop = TraceHop {
            result: 0,
            node_id: text("100001"),
            receive_time: text("261120203225"),
            send_time: text("261120203226"),
            reserve: Text::EMPTY,
        };
        let resp = TraceResp {
            hops: vec![hop, hop],
        };
        let v = sgip(&encoded(Pdu::TraceResp(resp)));
        assert_eq!(v["command"], "TRACE_RESP");
        assert_eq!(v["fields"]["count"], 2);
        assert_eq!(v["fields"]["hops"][1]["node_id"], "100001");
        assert_eq!(v["fields"]["hops"][0]["send_time"], "261120203226");
    }

    #[test]
    fn long_message_udh_and_mislabelled_text() {
        // Part 1 of 2 of a concatenated UCS-2 message, reference 42.
        let mut content = vec![0x05, 0x00, 0x03, 0x2a, 0x02, 0x01];
        content.extend("你好".encode_utf16().flat_map(u16::to_be_bytes));
        let submit = sgip_codec::Submit {
            user_numbers: vec![text("8617600000000")],
            tp_udhi: 1,
            message_coding: 8,
            message_content: content.into(),
            ..sgip_codec::Submit::default()
        };
        let f = &sgip(&encoded(Pdu::Submit(submit)))["fields"];
        assert_eq!(f["udh"]["hex"], "0003 2a0201".replace(' ', ""));
        let concat = &f["udh"]["concat"];
        assert_eq!(
            [&concat["reference"], &concat["total"], &concat["number"]],
            [42, 2, 1]
        );
        assert_eq!(f["text"], "你好");
        assert!(f.get("text_warning").is_none());

        // MessageCoding 0 (ASCII) with GBK bytes: read leniently, and said so.
        let deliver = sgip_codec::Deliver {
            user_number: text("8617600000000"),
            message_coding: 0,
            message_content: vec![0xc4, 0xe3, 0xba, 0xc3].into(),
            ..sgip_codec::Deliver::default()
        };
        let f = &sgip(&encoded(Pdu::Deliver(deliver)))["fields"];
        assert_eq!(f["text"], "你好");
        assert!(f["text_warning"]
            .as_str()
            .unwrap()
            .contains("do not fit MessageCoding 0"));
    }

    #[test]
    fn a_whole_session_in_one_input() {
        let input = [
            TV7_C_BIND,
            TV7_S_BIND_RESP,
            TV7_C_SUBMIT,
            TV7_S_SUBMIT_RESP,
            TV7_C_UNBIND,
            TV7_S_UNBIND_RESP,
        ]
        .join("\n");
        let lines = decode("sgip", &[&input]);
        let commands: Vec<&str> = lines
            .iter()
            .map(|v| v["command"].as_str().unwrap())
            .collect();
        assert_eq!(
            commands,
            [
                "BIND",
                "BIND_RESP",
                "SUBMIT",
                "SUBMIT_RESP",
                "UNBIND",
                "UNBIND_RESP"
            ]
        );
        assert_eq!(lines[1]["offset"], 61);
        assert_eq!(lines[2]["offset"], 61 + 29);
    }

    #[test]
    fn unknown_and_gns_commands_are_shown_raw() {
        // AddSP (0x06), a GNS command the codec keeps raw, and a vendor id.
        let v = sgip("0000001600000006000000010000000200000003abcd");
        assert_eq!(v["command"], "ADDSP");
        assert_eq!(v["fields"]["body"], "abcd");
        let v = sgip("0000001400000099000000010000000200000003");
        assert_eq!(v["command"], "UNKNOWN");
        assert_eq!(v["command_id"], "0x00000099");
        assert_eq!(v["fields"]["body"], "");
    }

    #[test]
    fn bad_input_is_a_typed_error_with_exit_code_3() {
        let run = |hex_text: &str| {
            cmpp()
                .args(["decode", "--protocol", "sgip", hex_text])
                .assert()
        };
        run("0000001400000002b36924b947c4899d0000000z")
            .code(3)
            .stderr(predicate::str::contains("'z' at position 39"));
        run(&TV7_C_SUBMIT[..TV7_C_SUBMIT.len() - 20])
            .code(3)
            .stderr(predicate::str::contains(
                "PDU 1 at byte 0: incomplete SUBMIT: Message Length is 174 but only 164 bytes \
                 remain (10 missing)",
            ));
        run("0000001300000002")
            .code(3)
            .stderr(predicate::str::contains(
                "PDU 1 at byte 0: field Message Length at offset 0: 19 is shorter than the \
                 20-byte header",
            ));
        run("0000000000")
            .code(3)
            .stderr(predicate::str::contains("shorter than the 20-byte header"));
        run("000000").code(3).stderr(predicate::str::contains(
            "incomplete header: 3 bytes remain, a header needs 20 (17 missing)",
        ));
        // A UserCount of 10 with one number present: the field, its offset, the input byte.
        let mut bad = sgip_tv::bytes(TV7_C_SUBMIT);
        bad[62] = 10;
        run(&format!("{TV7_C_BIND}{}", hex::encode(&bad)))
            .code(3)
            .stdout(predicate::str::contains("\"BIND\""))
            .stderr(predicate::str::contains(
                "PDU 2 at byte 61: SUBMIT: field UserCount at offset 62: declares 210 bytes \
                 but only 111 remain (input byte 123)",
            ));
        // zysms' 32-byte Report is refused by name.
        let short_report = format!(
            "00000034000000050000000100000002000000030{}",
            "0".repeat(63)
        );
        run(&short_report).code(3).stderr(predicate::str::contains(
            "REPORT: field SubmitSequenceNumber at offset 20: body is 32 bytes",
        ));
    }

    #[test]
    fn versions_other_than_1_2_are_refused() {
        cmpp()
            .args(["decode", "--protocol", "sgip", "--version", "3.0", TV1])
            .assert()
            .code(3)
            .stderr(predicate::str::contains("SGIP has no version 3.0; use 1.2"));
        assert_eq!(
            decode("sgip", &["--version", "1.2", TV1])[0]["command"],
            "BIND"
        );
    }

    #[test]
    fn binary_file_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sgip.bin");
        let mut raw = sgip_tv::bytes(TV8_C_DELIVER);
        raw.extend(sgip_tv::bytes(TV8_S_DELIVER_RESP));
        std::fs::write(&path, raw).unwrap();
        let lines = decode("sgip", &["--file", path.to_str().unwrap()]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["fields"]["text"], "你好 MO");
        assert_eq!(lines[1]["command"], "DELIVER_RESP");
    }
}

// ---------------------------------------------------------------------------------------
// SMGP

mod smgp {
    use super::*;
    use bytes::Bytes;
    use smgp_codec::{Deliver, Packet, Pdu, Query, QueryResp, Text, Version};
    use smgp_tv::*;

    fn smgp(hex_text: &str) -> Value {
        one("smgp", hex_text)
    }

    fn text<const N: usize>(s: &str) -> Text<N> {
        Text::new(s.as_bytes()).unwrap()
    }

    fn encoded(pdu: Pdu) -> String {
        hex::encode(Packet::new(77, pdu).to_bytes(Version::V30).unwrap())
    }

    /// A report Deliver carrying `content` (a TV-9 report content).
    fn report_deliver(content: &str) -> String {
        let d = Deliver {
            msg_id: "00006308222132427973".parse().unwrap(),
            is_report: 1,
            recv_time: text("20240116124200"),
            src_term_id: text("13800138000"),
            dest_term_id: text("1069000"),
            msg_content: Bytes::from(smgp_tv::bytes(content)),
            ..Deliver::default()
        };
        encoded(Pdu::Deliver(d))
    }

    #[test]
    fn login_and_login_resp() {
        let v = smgp(TV1);
        assert_eq!(v["protocol"], "smgp");
        assert_eq!(v["version"], "3.0");
        assert_eq!(v["command"], "LOGIN");
        assert_eq!(v["sequence_id"], 1);
        let f = &v["fields"];
        assert_eq!(f["client_id"], "testid");
        assert_eq!(
            f["authenticator_client"],
            "ca0eff036f70aa1116b8e5df1d55cf48"
        );
        assert_eq!(f["login_mode"], 0);
        assert_eq!(f["login_mode_meaning"], "send");
        assert_eq!(f["timestamp"], "1021080510");
        assert_eq!(f["client_version"], "0x30");
        assert_eq!(f["client_version_name"], "3.0");
        assert_eq!(
            smgp(TV3_C_LOGIN_MODE1)["fields"]["login_mode_meaning"],
            "receive"
        );

        let f = &smgp(TV2)["fields"];
        assert_eq!(f["status"], 0);
        assert_eq!(f["status_meaning"], "success");
        assert_eq!(
            f["authenticator_server"],
            hex::encode(b"AuthServer\0\0\0\0\0\0")
        );
        assert_eq!(f["server_version"], "0x30");
    }

    #[test]
    fn submit_with_its_tlv_tail_named() {
        let v = smgp(TV3_C_SUBMIT);
        assert_eq!(v["command"], "SUBMIT");
        assert_eq!(v["sequence_id"], 2);
        assert!(v.get("warning").is_none());
        let f = &v["fields"];
        assert_eq!(
            [&f["msg_type"], &f["need_report"], &f["priority"]],
            [6, 1, 1]
        );
        assert_eq!(f["fee_type"], "00");
        assert_eq!(f["fixed_fee"], "0");
        assert_eq!(f["layout"], "2.0/3.0");
        assert_eq!(f["src_term_id"], "1069000");
        assert_eq!(f["dest_term_id_count"], 1);
        assert_eq!(f["dest_term_ids"][0], "17600000000");
        assert_eq!(f["msg_format"], 15);
        assert_eq!(f["text"], "hello smgp");
        let tlvs = f["tlvs"].as_array().unwrap();
        let names: Vec<&str> = tlvs.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["TP_udhi", "MsgSrc", "PkTotal", "PkNumber", "MServiceID"]
        );
        assert_eq!(tlvs[0]["tag"], 2);
        assert_eq!(tlvs[0]["tag_hex"], "0x0002");
        assert_eq!(tlvs[0]["number"], 0);
        assert_eq!(tlvs[1]["text"], "12345");
        assert_eq!(tlvs[1]["length"], 8);
        assert_eq!(tlvs[4]["length"], 21);
        assert_eq!(tlvs[4]["text"], "");
    }

    #[test]
    fn submit_with_a_udh_flagged_by_its_tp_udhi_tlv() {
        let mut content = vec![0x05, 0x00, 0x03, 0x07, 0x03, 0x03];
        content.extend_from_slice(b"end");
        let mut submit = smgp_codec::Submit {
            dest_term_ids: vec![text("17600000000")],
            msg_content: content.into(),
            ..smgp_codec::Submit::default()
        };
        submit.tlvs.set(smgp_codec::tlv::tag::TP_UDHI, vec![1]);
        let f = &smgp(&encoded(Pdu::Submit(submit)))["fields"];
        let concat = &f["udh"]["concat"];
        assert_eq!(
            [&concat["reference"], &concat["total"], &concat["number"]],
            [7, 3, 3]
        );
        assert_eq!(f["text"], "end");
        assert_eq!(f["tlvs"][0]["name"], "TP_udhi");
        assert_eq!(f["tlvs"][0]["number"], 1);
    }

    #[test]
    fn submit_in_the_13_layout_with_an_unknown_tag() {
        for version in [&[][..], &["--version", "1.3"][..]] {
            let mut args = version.to_vec();
            args.push(TV5);
            let v = decode("smgp", &args).remove(0);
            let f = &v["fields"];
            assert_eq!(f["fixed_fee"], Value::Null, "{version:?}");
            assert_eq!(f["layout"], "1.3");
            assert_eq!(f["dest_term_ids"][0], "13800138000");
            assert_eq!(f["text"], "dfa8eb6a-ad9f-4654-94fa-f114718ed05a");
            let tlvs = f["tlvs"].as_array().unwrap();
            assert_eq!(tlvs.len(), 11);
            let unknown = tlvs.iter().find(|t| t["tag"] == 0x14).unwrap();
            assert_eq!(unknown["name"], Value::Null);
            assert_eq!(unknown["value"], "01");
            let m_service = tlvs.iter().find(|t| t["name"] == "MServiceID").unwrap();
            assert_eq!(m_service["text"], "ABC");
        }
        let v = decode("smgp", &["--version", "1.3", TV5]).remove(0);
        assert_eq!(v["version"], "1.3");
    }

    #[test]
    fn submit_resp_and_deliver_resp_show_the_msg_id_as_hex() {
        let f = &smgp(TV3_S_SUBMIT_RESP)["fields"];
        assert_eq!(f["msg_id"], "00010203040506070809");
        assert_eq!(f["msg_id_parts"]["smgw_code"], "000102");
        assert_eq!(f["msg_id_parts"]["time"], "03040506");
        assert_eq!(f["msg_id_parts"]["sequence"], "070809");
        assert_eq!(f["status"], 0);
        assert_eq!(f["cause_class"], "delivered");
        assert_eq!(f["tlvs"], serde_json::json!([]));
        let v = smgp(TV3_C_DELIVER_RESP);
        assert_eq!(v["command"], "DELIVER_RESP");
        assert_eq!(v["sequence_id"], 123);
        assert_eq!(v["fields"]["msg_id"], "00010203040506070809");
    }

    #[test]
    fn deliver_mo() {
        let v = smgp(TV3_S_DELIVER_MO);
        assert_eq!(v["command"], "DELIVER");
        let f = &v["fields"];
        assert_eq!(f["is_report"], 0);
        assert_eq!(f["src_term_id"], "1069000000");
        assert_eq!(f["dest_term_id"], "17611111111");
        assert_eq!(f["text"], "hello test msg");
        assert!(f.get("report").is_none());
    }

    #[test]
    fn deliver_with_the_canonical_report() {
        let v = smgp(TV8);
        let f = &v["fields"];
        assert_eq!(f["is_report"], 1);
        assert_eq!(f["msg_id"], "00006308222132427973");
        assert_eq!(f["recv_time"], "20250822213200");
        assert_eq!(f["msg_length"], 122);
        let r = &f["report"];
        assert_eq!(r["id"], "00006308222132427973");
        assert_eq!(r["id_parts"]["smgw_code"], "000063");
        assert_eq!(r["sub"], "001");
        assert_eq!(r["dlvrd"], "001");
        assert_eq!(r["submit_date"], "2508222132");
        assert_eq!(r["done_date"], "2508222132");
        assert_eq!(r["done_time"], "2025-08-22T21:32:00+08:00");
        assert_eq!(r["stat"], "DELIVRD");
        assert_eq!(r["stat_kind"], "delivered");
        assert_eq!(r["err"], "000");
        assert_eq!(r["err_meaning"], "success");
        assert_eq!(r["text"], "");
        assert_eq!(r["delivered"], true);
        assert_eq!(r["cause_class"], "delivered");
    }

    #[test]
    fn report_label_variants_parse() {
        // R4: 's' separators, capitalised keys, `_` for the space.
        let r = &smgp(&report_deliver(R4_CONTENT))["fields"]["report"];
        assert_eq!(r["id"], "04701501161242686134");
        assert_eq!(r["dlvrd"], "000");
        assert_eq!(r["submit_date"], "2401161242");
        assert_eq!(r["stat"], "BWLISTS");
        assert_eq!(r["stat_kind"], "other");
        assert_eq!(r["err"], "163");
        assert_eq!(r["err_meaning"], Value::Null);
        assert_eq!(r["text"], "007BWLISTS");
        assert_eq!(r["delivered"], false);
        assert_eq!(r["cause_class"], "unknown");
        // R7: no separator after a non-BCD id, `txt:` holding GBK text.
        let r = &smgp(&report_deliver(R7_CONTENT))["fields"]["report"];
        assert_eq!(r["id"], "6495c36ac4ea6b00000b");
        assert_eq!(r["id_parts"], Value::Null);
        assert_eq!(r["done_date"], "1807052207");
        assert_eq!(r["stat"], "DELIVRD");
        assert_eq!(r["text"], "中国0a8ae5");
        assert_eq!(r["text_hex"], "d6d0b9fa306138616535");
    }

    #[test]
    fn failed_report_classes_and_an_unreadable_report() {
        let content = hex::encode(
            b"id:\x00\x00\x63\x08\x22\x21\x32\x42\x79\x73 sub:001 dlvrd:000 submit date:2508222132 \
              done date:2508222133 stat:UNDELIV err:006 text:",
        );
        let r = &smgp(&report_deliver(&content))["fields"]["report"];
        assert_eq!(r["stat_kind"], "undeliverable");
        assert_eq!(r["err_meaning"], "system error");
        assert_eq!(r["cause_class"], "carrier");
        let f = &smgp(&report_deliver(&hex::encode(b"id:0123456789 sub:001")))["fields"];
        assert_eq!(f["report_error"], "status report has no \"stat:\" field");
        assert_eq!(f["msg_content"], hex::encode(b"id:0123456789 sub:001"));
    }

    #[test]
    fn heartbeat_exit_and_query() {
        let v = smgp(TV7_ACTIVE_TEST);
        assert_eq!(v["command"], "ACTIVE_TEST");
        assert_eq!(v["sequence_id"], 1234);
        let v = smgp(TV7_ACTIVE_TEST_RESP_13);
        assert_eq!(v["command"], "ACTIVE_TEST_RESP");
        assert_eq!(v["fields"]["extra"], "00");
        assert_eq!(smgp(TV3_C_EXIT)["command"], "EXIT");
        assert_eq!(smgp(TV3_S_EXIT_RESP)["command"], "EXIT_RESP");

        let q = Query {
            query_time: text("20261204"),
            query_type: 1,
            query_code: text("SVC01"),
        };
        let f = &smgp(&encoded(Pdu::Query(q)))["fields"];
        assert_eq!(f["query_time"], "20261204");
        assert_eq!(f["query_type"], 1);
        assert_eq!(f["query_code"], "SVC01");
        let r = QueryResp {
            query_time: text("20261204"),
            mt_total: 10,
            mt_success: 8,
            mt_failed: 2,
            mo_success: 3,
            ..QueryResp::default()
        };
        let v = smgp(&encoded(Pdu::QueryResp(r)));
        assert_eq!(v["command"], "QUERY_RESP");
        let f = &v["fields"];
        assert_eq!(
            [&f["mt_total"], &f["mt_success"], &f["mt_failed"]],
            [10, 8, 2]
        );
        assert_eq!(f["mo_success"], 3);
    }

    #[test]
    fn broken_tlv_tail_keeps_the_fixed_part_and_names_the_tlv() {
        // TV-3's Submit cut 10 bytes into its last TLV (MServiceID, at offset 184), with
        // PacketLength made to agree.
        let mut raw = smgp_tv::bytes(TV3_C_SUBMIT);
        raw.truncate(raw.len() - 10);
        let len = raw.len() as u32;
        raw[..4].copy_from_slice(&len.to_be_bytes());
        let input = format!("{TV7_ACTIVE_TEST}{}", hex::encode(&raw));
        let assert = cmpp()
            .args(["decode", "--protocol", "smgp", &input])
            .assert()
            .success()
            .stderr(predicate::str::contains(
                "cmpp: warning: PDU 2 at byte 12: SUBMIT: TLV MServiceID at offset 184: declares \
                 21 bytes but only 11 remain (input byte 196)",
            ));
        let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        let v = &lines[1];
        assert_eq!(v["command"], "SUBMIT");
        assert!(v["warning"].as_str().unwrap().contains("TLV MServiceID"));
        let e = &v["tlv_error"];
        assert_eq!(e["tag"], 0x12);
        assert_eq!(e["name"], "TLV MServiceID");
        assert_eq!(e["offset"], 184);
        assert_eq!(e["problem"], "declares 21 bytes but only 11 remain");
        // The fixed part, and the four TLVs before the break.
        let f = &v["fields"];
        assert_eq!(f["dest_term_ids"][0], "17600000000");
        assert_eq!(f["text"], "hello smgp");
        assert_eq!(f["tlvs"].as_array().unwrap().len(), 4);
        assert_eq!(f["tlvs"][3]["name"], "PkNumber");

        // A Submit_Resp whose PkTotal claims 5 bytes but carries 1.
        let v = smgp("00000024800000020000000900010203040506070809000000000002000101000900050 1");
        assert_eq!(v["fields"]["msg_id"], "00010203040506070809");
        assert_eq!(v["fields"]["tlvs"][0]["name"], "TP_udhi");
        assert_eq!(v["tlv_error"]["name"], "TLV PkTotal");
        assert_eq!(v["tlv_error"]["offset"], 31);
    }

    #[test]
    fn unknown_commands_are_shown_raw() {
        // Forward (0x05) is SMGW ⇄ SMGW only: kept raw.
        let v = smgp("0000000e0000000500000001abcd");
        assert_eq!(v["command"], "UNKNOWN");
        assert_eq!(v["command_id"], "0x00000005");
        assert_eq!(v["fields"]["body"], "abcd");
    }

    #[test]
    fn bad_input_is_a_typed_error_with_exit_code_3() {
        let run = |args: &[&str]| {
            cmpp()
                .args(["decode", "--protocol", "smgp"])
                .args(args)
                .assert()
        };
        run(&["0000000c0000000400000x01"])
            .code(3)
            .stderr(predicate::str::contains("'x' at position 21"));
        run(&[&TV3_C_SUBMIT[..100]])
            .code(3)
            .stderr(predicate::str::contains(
                "PDU 1 at byte 0: incomplete SUBMIT: PacketLength is 209 but only 50 bytes \
                 remain (159 missing)",
            ));
        run(&["0000000b00000004000000"])
            .code(3)
            .stderr(predicate::str::contains(
                "field PacketLength at offset 0: 11 is shorter than the 12-byte header",
            ));
        // The fixed part itself is broken: DestTermIDCount beyond the packet.
        let mut bad = smgp_tv::bytes(TV3_C_SUBMIT);
        bad[116] = 100;
        run(&[&hex::encode(&bad)])
            .code(3)
            .stderr(predicate::str::contains(
                "PDU 1 at byte 0: SUBMIT: field DestTermIDCount at offset 116",
            ));
        // A Login with a byte too many: fixed bodies refuse trailing bytes.
        run(&[&format!("0000002b{}00", &TV1[8..])])
            .code(3)
            .stderr(predicate::str::contains(
                "LOGIN: field end of body at offset 42: 1 unexpected bytes after the last field",
            ));
        run(&["--version", "1.2", TV1])
            .code(3)
            .stderr(predicate::str::contains(
                "SMGP has no version 1.2; use 1.3, 2.0 or 3.0",
            ));
        run(&["--version", "9.9", TV1])
            .code(2)
            .stderr(predicate::str::contains("'9.9' is not a protocol version"));
    }

    #[test]
    fn stdin_hex() {
        let out = cmpp()
            .args(["decode", "--protocol", "smgp"])
            .write_stdin(format!("{TV7_ACTIVE_TEST}\n{TV7_EXIT}\n"))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("\"EXIT\""));
    }
}

#[test]
fn cmpp_stays_the_default_and_says_so() {
    let v = one("cmpp", "0000000c0000000800000017");
    assert_eq!(v["protocol"], "cmpp");
    assert_eq!(v["command"], "ACTIVE_TEST");
    let out = cmpp()
        .args(["decode", "0000000c0000000800000017"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["protocol"], "cmpp");
    assert_eq!(v["version"], "3.0");
    // A 3.0 SUBMIT_RESP with Result 9: meaning and neutral class, as for SGIP and SMGP.
    let v = one("cmpp", "00000018800000040000000100000000000000010000000 9");
    assert_eq!(v["command"], "SUBMIT_RESP");
    assert_eq!(v["fields"]["result"], 9);
    assert_eq!(
        v["fields"]["result_meaning"],
        "gateway does not serve this charged number"
    );
    assert_eq!(v["fields"]["cause_class"], "carrier");
}
