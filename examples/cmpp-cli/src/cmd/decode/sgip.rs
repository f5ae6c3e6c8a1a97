//! `cmpp decode --protocol sgip`: SGIP 1.2 packets as JSON.
//!
//! The header's 12-byte sequence number is shown whole (`hex`) and as its three parts (node
//! id, `MMDDhhmmss` time, counter), the same for the Submit a Report or Trace names: a
//! Report matches its Submit on all 12 bytes.

use serde_json::{json, Map, Value};
use sgip_codec::coding::decode_text;
use sgip_codec::pdu::bind::{LOGIN_SMG_TO_SP, LOGIN_SP_TO_SMG, LOGIN_TEST};
use sgip_codec::{
    decode, report_cause_class, CommandId, Packet, Pdu, ReportState, ResultCode, SequenceNumber,
    HEADER_LEN,
};

use super::{add_decoded_text, add_udh, for_each_frame, text_value, Framing};
use crate::error::CliError;

const FRAMING: Framing = Framing {
    header_len: HEADER_LEN,
    length_field: "Message Length",
    command_name: |id| command_name(CommandId(id)),
};

/// The command's name, with the GNS and billing commands the codec keeps raw named too.
fn command_name(id: CommandId) -> &'static str {
    match id.name() {
        "UNKNOWN" => id.gns_name().unwrap_or("UNKNOWN"),
        name => name,
    }
}

/// Splits `input` into SGIP packets and decodes each, handing one JSON object per packet to
/// `emit`. Stops at the first packet that cannot be split or decoded.
pub(super) fn decode_all(
    input: &[u8],
    mut emit: impl FnMut(&Value) -> Result<(), CliError>,
) -> Result<usize, CliError> {
    for_each_frame(input, &FRAMING, |frame| {
        let len = frame.bytes.len();
        let packet = decode(frame.bytes).map_err(|e| {
            CliError::input(format!(
                "{}: {e} (input byte {})",
                frame.place,
                frame.offset + e.offset
            ))
        })?;
        emit(&describe(&packet, frame.index, frame.offset, len))
    })
}

/// The JSON object for one decoded packet.
fn describe(packet: &Packet, index: usize, offset: usize, len: usize) -> Value {
    let command_id = packet.pdu.command_id();
    json!({
        "pdu": index,
        "offset": offset,
        "protocol": "sgip",
        "version": "1.2",
        "command": command_name(command_id),
        "command_id": format!("0x{:08x}", command_id.0),
        "total_length": len,
        "sequence": sequence(packet.sequence),
        "fields": fields(&packet.pdu),
    })
}

/// A sequence number: its 12 bytes as hex, its three parts, the time part read as a date
/// when it is one, and the `node-MMDDhhmmss-counter` text.
fn sequence(s: SequenceNumber) -> Value {
    let time = s.time_parts().map(|(month, day, hour, minute, second)| {
        json!({"month": month, "day": day, "hour": hour, "minute": minute, "second": second})
    });
    json!({
        "hex": hex::encode(s.to_bytes()),
        "node_id": s.node_id,
        "time": s.time,
        "timestamp": format!("{:010}", s.time),
        "time_parts": time,
        "counter": s.counter,
        "text": s.to_string(),
    })
}

fn fields(pdu: &Pdu) -> Map<String, Value> {
    let mut f = Map::new();
    match pdu {
        Pdu::Bind(m) => {
            f.insert("login_type".into(), json!(m.login_type));
            f.insert(
                "login_type_meaning".into(),
                json!(login_type_meaning(m.login_type)),
            );
            f.insert("login_name".into(), text_value(&m.login_name));
            f.insert("login_password".into(), text_value(&m.login_password));
            f.insert("reserve".into(), text_value(&m.reserve));
        }
        Pdu::BindResp(m)
        | Pdu::SubmitResp(m)
        | Pdu::DeliverResp(m)
        | Pdu::ReportResp(m)
        | Pdu::UserRptResp(m) => {
            add_result(&mut f, "result", m.result);
            f.insert("reserve".into(), text_value(&m.reserve));
        }
        // The spec gives these no body; some SMGs append one (kept, shown raw).
        Pdu::Unbind(m) | Pdu::UnbindResp(m) if !m.extra.is_empty() => {
            f.insert("extra".into(), json!(hex::encode(&m.extra)));
        }
        Pdu::Submit(m) => {
            f.insert("sp_number".into(), text_value(&m.sp_number));
            f.insert("charge_number".into(), text_value(&m.charge_number));
            f.insert("user_count".into(), json!(m.user_numbers.len()));
            let users: Vec<Value> = m.user_numbers.iter().map(text_value).collect();
            f.insert("user_numbers".into(), json!(users));
            f.insert("corp_id".into(), text_value(&m.corp_id));
            f.insert("service_type".into(), text_value(&m.service_type));
            f.insert("fee_type".into(), json!(m.fee_type));
            f.insert("fee_value".into(), text_value(&m.fee_value));
            f.insert("given_value".into(), text_value(&m.given_value));
            f.insert("agent_flag".into(), json!(m.agent_flag));
            f.insert("morelateto_mt_flag".into(), json!(m.morelateto_mt_flag));
            f.insert("priority".into(), json!(m.priority));
            f.insert("expire_time".into(), text_value(&m.expire_time));
            f.insert("schedule_time".into(), text_value(&m.schedule_time));
            f.insert("report_flag".into(), json!(m.report_flag));
            f.insert("tp_pid".into(), json!(m.tp_pid));
            f.insert("tp_udhi".into(), json!(m.tp_udhi));
            f.insert("message_type".into(), json!(m.message_type));
            add_content(&mut f, m.has_udh(), m.message_coding, &m.message_content);
            f.insert("reserve".into(), text_value(&m.reserve));
        }
        Pdu::Deliver(m) => {
            f.insert("user_number".into(), text_value(&m.user_number));
            f.insert("sp_number".into(), text_value(&m.sp_number));
            f.insert("tp_pid".into(), json!(m.tp_pid));
            f.insert("tp_udhi".into(), json!(m.tp_udhi));
            // Same UDH rule as Submit::has_udh: bit 0 or bit 6 (0x40 from SMPP habits).
            let udhi = m.tp_udhi & 0x41 != 0;
            add_content(&mut f, udhi, m.message_coding, &m.message_content);
            f.insert("reserve".into(), text_value(&m.reserve));
        }
        Pdu::Report(m) => {
            f.insert("submit_sequence".into(), sequence(m.submit_sequence));
            f.insert("report_type".into(), json!(m.report_type));
            f.insert("user_number".into(), text_value(&m.user_number));
            f.insert("state".into(), json!(m.state.to_u8()));
            f.insert("state_meaning".into(), json!(state_meaning(m.state)));
            f.insert("error_code".into(), json!(m.error_code.0));
            f.insert("error_code_meaning".into(), json!(m.error_code.meaning()));
            f.insert("delivered".into(), json!(m.state == ReportState::Delivered));
            f.insert(
                "cause_class".into(),
                json!(report_cause_class(m.state, m.error_code).as_str()),
            );
            f.insert("reserve".into(), text_value(&m.reserve));
        }
        Pdu::UserRpt(m) => {
            f.insert("sp_number".into(), text_value(&m.sp_number));
            f.insert("user_number".into(), text_value(&m.user_number));
            f.insert("user_condition".into(), json!(m.user_condition));
            f.insert(
                "user_condition_meaning".into(),
                json!(match m.user_condition {
                    0 => "account closed",
                    1 => "suspended for arrears",
                    2 => "back to normal",
                    _ => "other",
                }),
            );
            f.insert("reserve".into(), text_value(&m.reserve));
        }
        Pdu::Trace(m) => {
            f.insert("submit_sequence".into(), sequence(m.submit_sequence));
            f.insert("user_number".into(), text_value(&m.user_number));
            f.insert("reserve".into(), text_value(&m.reserve));
        }
        Pdu::TraceResp(m) => {
            f.insert("count".into(), json!(m.hops.len()));
            let hops: Vec<Value> = m
                .hops
                .iter()
                .map(|h| {
                    json!({
                        "result": h.result,
                        "node_id": text_value(&h.node_id),
                        "receive_time": text_value(&h.receive_time),
                        "send_time": text_value(&h.send_time),
                        "reserve": text_value(&h.reserve),
                    })
                })
                .collect();
            f.insert("hops".into(), json!(hops));
        }
        Pdu::Unknown { command_id, body } => {
            f.insert("command_id".into(), json!(command_id.0));
            f.insert("body".into(), json!(hex::encode(body)));
        }
        // Header-only PDUs as the spec has them, and kinds added to the codec later: the
        // header fields say all there is.
        _ => {}
    }
    f
}

/// Adds a Result / ErrorCode with its meaning, neutral class and whether it asks to slow down.
fn add_result(f: &mut Map<String, Value>, name: &str, code: ResultCode) {
    f.insert(name.to_owned(), json!(code.0));
    f.insert(format!("{name}_meaning"), json!(code.meaning()));
    f.insert("cause_class".into(), json!(code.cause_class().as_str()));
    f.insert("throttle".into(), json!(code.is_throttle()));
}

/// MessageCoding, MessageLength, MessageContent (hex), and the UDH and text read from it.
fn add_content(f: &mut Map<String, Value>, udhi: bool, coding: u8, content: &[u8]) {
    f.insert("message_coding".into(), json!(coding));
    f.insert("message_length".into(), json!(content.len()));
    f.insert("message_content".into(), json!(hex::encode(content)));
    let payload = add_udh(f, udhi, content);
    add_decoded_text(f, "MessageCoding", coding, decode_text(coding, payload));
}

fn login_type_meaning(t: u8) -> &'static str {
    match t {
        LOGIN_SP_TO_SMG => "SP to SMG (MT link)",
        LOGIN_SMG_TO_SP => "SMG to SP (MO and report link)",
        3 => "SMG to SMG",
        4..=6 => "GNS link",
        LOGIN_TEST => "test link",
        _ => "other",
    }
}

fn state_meaning(s: ReportState) -> &'static str {
    match s {
        ReportState::Delivered => "delivered",
        ReportState::Waiting => "waiting (not final)",
        ReportState::Failed => "failed",
        _ => "other",
    }
}
