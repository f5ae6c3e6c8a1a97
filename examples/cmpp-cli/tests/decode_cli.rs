//! `cmpp decode` as a process: hex from arguments and stdin, binary files, several PDUs,
//! status reports in both versions, and the errors for bad input.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

/// TV-11: CMPP 2.0 DELIVER carrying a 60-byte status report (spec §10).
const TV11: &str = "000000910000000500000000ae5c6bc0000b00013130363930353439323232323233000000000000007465737400000000000000000031383032363930313032340000000000000000000001\
3cae5c6bc0000b000144454c495652443232313032383233303632323130323832333036313830323639303130323400000000000000000000000000010000000000000000";

/// TV-15: ACTIVE_TEST and TERMINATE.
const ACTIVE_TEST: &str = "0000000c0000000800000017";
const TERMINATE: &str = "0000000c0000000200000017";

/// TV-5: CMPP 2.0 SUBMIT, UCS2 content "测试gocmpp submit".
const TV05: &str = "000000bd0000000400000017000000000000000001010101746573740000000000000231333530303030323639360000000000000000000000000839303030303130323130000000003135313130353133313535353130312b000000000000000000000000000000000000393030303031000000000000000000000000000000013133353030303032363936000000000000000000001e6d4b8bd50067006f0063006d007000700020007300750062006d006900740000000000000000";

/// A CMPP 3.0 DELIVER whose Msg_Content is TV-21's report in the 71-byte layout.
fn v30_report_deliver() -> String {
    let tv21_prefix = "b4c553000001000044454c4956524431353131313230393535313531313132303935373133343132333430303030";
    let report = format!("{tv21_prefix}{}{}", "00".repeat(21), "12345678");
    assert_eq!(report.len(), 71 * 2);
    let body = [
        "b4c5530000010001".to_owned(),                        // Msg_Id
        format!("{}{}", hex("10690001"), "00".repeat(13)),    // Dest_Id (21)
        format!("{}{}", hex("test"), "00".repeat(6)),         // Service_Id (10)
        "000000".to_owned(),                                  // TP_pid, TP_udhi, Msg_Fmt
        format!("{}{}", hex("13412340000"), "00".repeat(21)), // Src_terminal_Id (32)
        "00".to_owned(),                                      // Src_terminal_type
        "01".to_owned(),                                      // Registered_Delivery
        "47".to_owned(),                                      // Msg_Length 71
        report,
        "00".repeat(20), // LinkID
    ]
    .concat();
    let total = 12 + body.len() / 2;
    format!("{total:08x}0000000500000009{body}")
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn cmpp() -> Command {
    Command::cargo_bin("cmpp").unwrap()
}

/// Runs and parses stdout as one JSON object per line.
fn json_lines(cmd: &mut Command) -> Vec<Value> {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn tv11_status_report_v20() {
    let lines = json_lines(cmpp().args(["decode", "--version", "2.0", TV11]));
    assert_eq!(lines.len(), 1);
    let v = &lines[0];
    assert_eq!(v["command"], "DELIVER");
    assert_eq!(v["sequence_id"], 0);
    assert_eq!(v["total_length"], 145);
    let f = &v["fields"];
    assert_eq!(f["dest_id"], "10690549222223");
    assert_eq!(f["src_terminal_id"], "18026901024");
    assert_eq!(f["registered_delivery"], 1);
    let r = &f["report"];
    assert_eq!(r["stat"], "DELIVRD");
    assert_eq!(r["cause_class"], "delivered");
    assert_eq!(r["submit_time"], "2210282306");
    assert_eq!(r["done_time"], "2210282306");
    assert_eq!(r["dest_terminal_id"], "18026901024");
    assert_eq!(r["smsc_sequence"], 1);
    let id = &r["msg_id"];
    assert_eq!(id["hex"], "0xae5c6bc0000b0001");
    assert_eq!(
        [
            &id["month"],
            &id["day"],
            &id["hour"],
            &id["minute"],
            &id["second"]
        ],
        [10, 28, 23, 6, 47]
    );
    assert_eq!(id["gateway"], 11);
    assert_eq!(id["sequence"], 1);
}

#[test]
fn v30_status_report_from_tv21() {
    let lines = json_lines(cmpp().args(["decode", &v30_report_deliver()]));
    let v = &lines[0];
    assert_eq!(v["version"], "3.0");
    assert_eq!(v["sequence_id"], 9);
    let r = &v["fields"]["report"];
    assert_eq!(r["stat"], "DELIVRD");
    assert_eq!(r["submit_time"], "1511120955");
    assert_eq!(r["done_time"], "1511120957");
    assert_eq!(r["dest_terminal_id"], "13412340000");
    assert_eq!(r["smsc_sequence"], 0x1234_5678);
    let id = &r["msg_id"];
    assert_eq!(
        [
            &id["month"],
            &id["day"],
            &id["hour"],
            &id["minute"],
            &id["second"]
        ],
        [11, 9, 17, 21, 12]
    );
    assert_eq!(
        (&id["gateway"], &id["sequence"]),
        (&Value::from(1), &Value::from(0))
    );
    // The DELIVER's own Msg_Id is decoded too.
    assert_eq!(v["fields"]["msg_id"]["sequence"], 1);
}

#[test]
fn several_pdus_and_text() {
    let input = format!("{ACTIVE_TEST}\n0x{TV05}\n{TERMINATE}");
    let lines = json_lines(cmpp().args(["decode", "--version", "2.0", &input]));
    let commands: Vec<&str> = lines
        .iter()
        .map(|v| v["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["ACTIVE_TEST", "SUBMIT", "TERMINATE"]);
    assert_eq!(lines[1]["offset"], 12);
    assert_eq!(lines[2]["offset"], 12 + 189);
    let submit = &lines[1]["fields"];
    assert_eq!(submit["text"], "测试gocmpp submit");
    assert_eq!(submit["msg_fmt"], 8);
    assert_eq!(submit["dest_terminal_ids"][0], "13500002696");
    assert_eq!(submit["fee_terminal_id"], "13500002696");
}

#[test]
fn stdin_hex_with_separators() {
    let spaced: String = ACTIVE_TEST
        .as_bytes()
        .chunks(2)
        .map(|p| std::str::from_utf8(p).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    let lines = json_lines(cmpp().arg("decode").write_stdin(format!("{spaced}\n")));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["command"], "ACTIVE_TEST");
    assert_eq!(lines[0]["sequence_id"], 0x17);
}

#[test]
fn binary_file_input_and_pretty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pdus.bin");
    let bytes: Vec<u8> = (0..TV11.len() / 2)
        .map(|i| u8::from_str_radix(&TV11[2 * i..2 * i + 2], 16).unwrap())
        .chain([0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 5])
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let out = cmpp()
        .args(["decode", "--version", "2.0", "--pretty", "--file"])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().count() > 10, "pretty output is multi-line");
    let values: Vec<Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(values.len(), 2);
    assert_eq!(values[0]["fields"]["report"]["stat"], "DELIVRD");
    assert_eq!(values[1]["command"], "ACTIVE_TEST");
    assert_eq!(values[1]["sequence_id"], 5);
}

#[test]
fn truncated_frame_names_missing_bytes() {
    cmpp()
        .args(["decode", "--version", "2.0", &TV11[..TV11.len() - 20]])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "PDU 1 at byte 0: incomplete DELIVER: Total_Length is 145 but only 135 bytes remain (10 missing)",
        ));
}

#[test]
fn bad_hex_names_position() {
    cmpp()
        .args(["decode", "0000000c0000000800zz0017"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("'z' at position 18"));
    cmpp()
        .args(["decode", "0000000c000000080000001"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("odd number of digits (23)"));
}

#[test]
fn total_length_nine_is_rejected() {
    cmpp()
        .args(["decode", ACTIVE_TEST, "000000090000000800000001"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("ACTIVE_TEST"))
        .stderr(predicate::str::contains(
            "cmpp: PDU 2 at byte 12: field Total_Length at offset 0: 9 is shorter than the 12-byte header",
        ));
}

#[test]
fn bad_field_names_offset_and_field() {
    // TV-5 with Msg_Length 0x1e raised to 0xff: the content runs past the packet.
    let bad = TV05.replacen("1e6d4b", "ff6d4b", 1);
    cmpp()
        .args(["decode", "--version", "2.0", &bad])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "PDU 1 at byte 0: SUBMIT: field Msg_Length at offset 150",
        ));
}

#[test]
fn binary_stdin() {
    let bytes = vec![0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 0x2a, 0];
    let lines = json_lines(cmpp().args(["decode", "--binary"]).write_stdin(bytes));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["command"], "ACTIVE_TEST_RESP");
    assert_eq!(lines[0]["sequence_id"], 42);
    assert_eq!(lines[0]["fields"]["reserved"], 0);
}
