//! `cmpp decode --protocol smgp`: SMGP 3.0 (or 2.0, 1.3) packets as JSON.
//!
//! MsgIDs are shown as their 20 hex digits (with the BCD parts when they are BCD), the TLV
//! tail as a list of tags with their names, and a Deliver's status report parsed whatever
//! label variant the gateway used. A packet whose TLV tail is broken is decoded leniently:
//! its fixed part and the TLVs before the break are printed with a `warning` (and
//! `tlv_error`) naming the broken TLV.

use serde_json::{json, Map, Value};
use smgp_codec::codes::err_meaning;
use smgp_codec::coding::{decode_text, GB18030};
use smgp_codec::pdu::login::{MODE_RECEIVE, MODE_SEND, MODE_TRANSMIT};
use smgp_codec::tlv::{tag, tag_name};
use smgp_codec::{
    decode_lenient, CommandId, MsgId, Packet, Pdu, StatKind, Status, StatusReport, TlvError, Tlvs,
    Version, HEADER_LEN,
};

use super::{add_decoded_text, add_udh, for_each_frame, text_value, Framing};
use crate::error::CliError;

const FRAMING: Framing = Framing {
    header_len: HEADER_LEN,
    length_field: "PacketLength",
    command_name: |id| CommandId(id).name(),
};

/// Splits `input` into SMGP packets and decodes each in `version`'s layout, handing one JSON
/// object per packet to `emit`. Stops at the first packet that cannot be split or whose
/// fixed part does not decode; a broken TLV tail is a warning in the packet's object.
pub(super) fn decode_all(
    input: &[u8],
    version: Version,
    mut emit: impl FnMut(&Value) -> Result<(), CliError>,
) -> Result<usize, CliError> {
    for_each_frame(input, &FRAMING, |frame| {
        let len = frame.bytes.len();
        let decoded = decode_lenient(frame.bytes, version).map_err(|e| {
            CliError::input(format!(
                "{}: {e} (input byte {})",
                frame.place,
                frame.offset + e.offset
            ))
        })?;
        let mut value = describe(&decoded.packet, version, frame.index, frame.offset, len);
        if let (Some(e), Value::Object(map)) = (decoded.tlv_error, &mut value) {
            map.insert(
                "warning".into(),
                json!(format!(
                    "{}: {e} (input byte {}); the fixed part and the TLVs before it are shown",
                    frame.place,
                    frame.offset + e.offset
                )),
            );
            map.insert("tlv_error".into(), tlv_error(&e));
        }
        emit(&value)
    })
}

/// The JSON object for one decoded packet.
fn describe(packet: &Packet, version: Version, index: usize, offset: usize, len: usize) -> Value {
    let command_id = packet.pdu.command_id();
    json!({
        "pdu": index,
        "offset": offset,
        "protocol": "smgp",
        "version": version.to_string(),
        "command": command_id.name(),
        "command_id": format!("0x{:08x}", command_id.0),
        "total_length": len,
        "sequence_id": packet.sequence_id,
        "fields": fields(&packet.pdu),
    })
}

fn tlv_error(e: &TlvError) -> Value {
    json!({
        "tag": e.tag,
        "tag_hex": e.tag.map(|t| format!("0x{t:04x}")),
        "name": e.name,
        "offset": e.offset,
        "problem": e.problem.to_string(),
    })
}

fn fields(pdu: &Pdu) -> Map<String, Value> {
    let mut f = Map::new();
    match pdu {
        Pdu::Login(m) => {
            f.insert("client_id".into(), text_value(&m.client_id));
            f.insert(
                "authenticator_client".into(),
                json!(hex::encode(m.authenticator)),
            );
            f.insert("login_mode".into(), json!(m.login_mode));
            f.insert(
                "login_mode_meaning".into(),
                json!(match m.login_mode {
                    MODE_SEND => "send",
                    MODE_RECEIVE => "receive",
                    MODE_TRANSMIT => "transmit",
                    _ => "other",
                }),
            );
            f.insert("timestamp".into(), json!(format!("{:010}", m.timestamp)));
            add_version(&mut f, "client_version", m.client_version);
        }
        Pdu::LoginResp(m) => {
            add_status(&mut f, m.status);
            f.insert(
                "authenticator_server".into(),
                json!(hex::encode(m.authenticator)),
            );
            add_version(&mut f, "server_version", m.server_version);
        }
        Pdu::Submit(m) => {
            f.insert("msg_type".into(), json!(m.msg_type));
            f.insert("need_report".into(), json!(m.need_report));
            f.insert("priority".into(), json!(m.priority));
            f.insert("service_id".into(), text_value(&m.service_id));
            f.insert("fee_type".into(), text_value(&m.fee_type));
            f.insert("fee_code".into(), text_value(&m.fee_code));
            // None: the body has the 1.3 layout (no FixedFee), also found from a 3.0 decode.
            f.insert(
                "fixed_fee".into(),
                m.fixed_fee.as_ref().map_or(Value::Null, text_value),
            );
            let layout = if m.fixed_fee.is_some() {
                "2.0/3.0"
            } else {
                "1.3"
            };
            f.insert("layout".into(), json!(layout));
            f.insert("valid_time".into(), text_value(&m.valid_time));
            f.insert("at_time".into(), text_value(&m.at_time));
            f.insert("src_term_id".into(), text_value(&m.src_term_id));
            f.insert("charge_term_id".into(), text_value(&m.charge_term_id));
            f.insert("dest_term_id_count".into(), json!(m.dest_term_ids.len()));
            let dests: Vec<Value> = m.dest_term_ids.iter().map(text_value).collect();
            f.insert("dest_term_ids".into(), json!(dests));
            add_content(&mut f, m.has_udh(), m.msg_format, &m.msg_content);
            f.insert("reserve".into(), text_value(&m.reserve));
            f.insert("tlvs".into(), tlvs(&m.tlvs));
        }
        Pdu::SubmitResp(m) | Pdu::DeliverResp(m) => {
            add_msg_id(&mut f, "msg_id", &m.msg_id);
            add_status(&mut f, m.status);
            f.insert("tlvs".into(), tlvs(&m.tlvs));
        }
        Pdu::Deliver(m) => {
            add_msg_id(&mut f, "msg_id", &m.msg_id);
            f.insert("is_report".into(), json!(m.is_report));
            f.insert("recv_time".into(), text_value(&m.recv_time));
            f.insert("src_term_id".into(), text_value(&m.src_term_id));
            f.insert("dest_term_id".into(), text_value(&m.dest_term_id));
            match m.report() {
                Some(report) => {
                    f.insert("msg_format".into(), json!(m.msg_format));
                    f.insert("msg_length".into(), json!(m.msg_content.len()));
                    f.insert("msg_content".into(), json!(hex::encode(&m.msg_content)));
                    match report {
                        Ok(r) => {
                            f.insert("report".into(), status_report(&r));
                        }
                        Err(e) => {
                            f.insert("report_error".into(), json!(e.to_string()));
                        }
                    }
                }
                None => add_content(&mut f, m.has_udh(), m.msg_format, &m.msg_content),
            }
            f.insert("reserve".into(), text_value(&m.reserve));
            f.insert("tlvs".into(), tlvs(&m.tlvs));
        }
        // Header-only by the spec; some peers append a byte (kept, shown raw).
        Pdu::ActiveTest(m) | Pdu::ActiveTestResp(m) | Pdu::Exit(m) | Pdu::ExitResp(m)
            if !m.extra.is_empty() =>
        {
            f.insert("extra".into(), json!(hex::encode(&m.extra)));
        }
        Pdu::Query(m) => {
            f.insert("query_time".into(), text_value(&m.query_time));
            f.insert("query_type".into(), json!(m.query_type));
            f.insert("query_code".into(), text_value(&m.query_code));
        }
        Pdu::QueryResp(m) => {
            f.insert("query_time".into(), text_value(&m.query_time));
            f.insert("query_type".into(), json!(m.query_type));
            f.insert("query_code".into(), text_value(&m.query_code));
            f.insert("mt_total".into(), json!(m.mt_total));
            f.insert("mt_users".into(), json!(m.mt_users));
            f.insert("mt_success".into(), json!(m.mt_success));
            f.insert("mt_waiting".into(), json!(m.mt_waiting));
            f.insert("mt_failed".into(), json!(m.mt_failed));
            f.insert("mo_success".into(), json!(m.mo_success));
            f.insert("mo_waiting".into(), json!(m.mo_waiting));
            f.insert("mo_failed".into(), json!(m.mo_failed));
            f.insert("reserve".into(), text_value(&m.reserve));
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

/// A MsgID as its 20 hex digits, and its BCD parts when it is BCD.
fn add_msg_id(f: &mut Map<String, Value>, name: &str, id: &MsgId) {
    f.insert(name.to_owned(), json!(id.to_string()));
    f.insert(format!("{name}_parts"), msg_id_parts(id));
}

fn msg_id_parts(id: &MsgId) -> Value {
    match id.parts() {
        Some((smgw_code, time, sequence)) => json!({
            "smgw_code": format!("{smgw_code:06}"),
            "time": format!("{time:08}"),
            "sequence": format!("{sequence:06}"),
        }),
        None => Value::Null,
    }
}

fn add_status(f: &mut Map<String, Value>, status: Status) {
    f.insert("status".into(), json!(status.0));
    f.insert("status_meaning".into(), json!(status.meaning()));
    f.insert("cause_class".into(), json!(status.cause_class().as_str()));
    f.insert("retry_later".into(), json!(status.is_retry_later()));
}

fn add_version(f: &mut Map<String, Value>, name: &str, byte: u8) {
    f.insert(name.to_owned(), json!(format!("0x{byte:02x}")));
    let known = Version::from_byte(byte).map(|v| v.to_string());
    f.insert(format!("{name}_name"), json!(known));
}

/// MsgFormat, MsgLength, MsgContent (hex), and the UDH and text read from it.
fn add_content(f: &mut Map<String, Value>, udhi: bool, format: u8, content: &[u8]) {
    f.insert("msg_format".into(), json!(format));
    f.insert("msg_length".into(), json!(content.len()));
    f.insert("msg_content".into(), json!(hex::encode(content)));
    let payload = add_udh(f, udhi, content);
    add_decoded_text(f, "MsgFormat", format, decode_text(format, payload));
}

/// The TLV tail in wire order: tag, its spec name (null for tags the spec does not define),
/// length and value as hex, plus the value read as a number (one-byte tags) or as text.
fn tlvs(t: &Tlvs) -> Value {
    let list: Vec<Value> = t
        .iter()
        .map(|tlv| {
            let mut v = json!({
                "tag": tlv.tag,
                "tag_hex": format!("0x{:04x}", tlv.tag),
                "name": tag_name(tlv.tag),
                "length": tlv.value.len(),
                "value": hex::encode(&tlv.value),
            });
            if let Value::Object(map) = &mut v {
                match (is_text_tag(tlv.tag), tlv.value.as_ref()) {
                    (false, [byte]) => {
                        map.insert("number".into(), json!(byte));
                    }
                    (true, value) => {
                        let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
                        map.insert("text".into(), json!(String::from_utf8_lossy(&value[..end])));
                    }
                    _ => {}
                }
            }
            v
        })
        .collect();
    json!(list)
}

/// True for the tags whose value is text (NUL-padded): LinkID, the pseudo numbers, MsgSrc
/// and MServiceID.
fn is_text_tag(t: u16) -> bool {
    matches!(
        t,
        tag::LINK_ID
            | tag::CHARGE_TERM_PSEUDO
            | tag::DEST_TERM_PSEUDO
            | tag::SRC_TERM_PSEUDO
            | tag::MSG_SRC
            | tag::M_SERVICE_ID
    )
}

/// A parsed status report: every field as received, Stat and Err interpreted, the dates as
/// Beijing times when they are dates.
fn status_report(r: &StatusReport) -> Value {
    let err = r.err_code();
    let text = &r.text;
    // The Txt field holds the start of the original message, often GB-coded Chinese.
    let shown = match decode_text(GB18030, text) {
        smgp_codec::coding::Decoded::Text(s) => Some(s.into_owned()),
        smgp_codec::coding::Decoded::Lossy(s) => Some(s),
        _ => None,
    };
    json!({
        "id": r.id.to_string(),
        "id_parts": msg_id_parts(&r.id),
        "sub": text_value(&r.sub),
        "dlvrd": text_value(&r.dlvrd),
        "submit_date": text_value(&r.submit_date),
        "done_date": text_value(&r.done_date),
        "submit_time": r.submit_time().map(|t| t.to_rfc3339()),
        "done_time": r.done_time().map(|t| t.to_rfc3339()),
        "stat": r.stat.to_string(),
        "stat_kind": stat_kind(r.stat.kind()),
        "err": text_value(&r.err),
        "err_meaning": err.and_then(err_meaning).map(|(m, _)| m),
        "text": shown,
        "text_hex": hex::encode(text),
        "delivered": r.stat.is_delivered(),
        "cause_class": r.cause_class().as_str(),
    })
}

/// A short lowercase name for the interpreted Stat.
fn stat_kind(kind: StatKind) -> &'static str {
    match kind {
        StatKind::Delivered => "delivered",
        StatKind::Expired => "expired",
        StatKind::Deleted => "deleted",
        StatKind::Undeliverable => "undeliverable",
        StatKind::Accepted => "accepted",
        StatKind::Unknown => "unknown",
        StatKind::Rejected => "rejected",
        _ => "other",
    }
}
