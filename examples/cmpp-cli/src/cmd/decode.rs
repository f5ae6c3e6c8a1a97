//! `cmpp decode`: turns PDUs given as hex or raw bytes into one JSON object per message.
//!
//! Input is hex (arguments, or stdin when there are none; whitespace, `0x` prefixes and
//! colons are ignored) or raw bytes (`--file PATH`, or `--binary` for stdin). Several PDUs may
//! follow each other. Every field is printed (via the codec's `serde` feature), with the
//! content decoded to text where its Msg_Fmt allows, the UDH parsed when TP_udhi is set, and
//! status-report codes interpreted. Decoding stops at the first bad PDU with a one-line error
//! naming the PDU, its byte offset and the field (exit code 3).

use std::io::{self, Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use cmpp_codec::text::{self, Content};
use cmpp_codec::{
    decode, split_frame, CommandId, Deliver, DeliverContent, FrameError, FrameStatus, Packet, Pdu,
    StatKind, StatusReport, Submit, Version, HEADER_LEN,
};
use serde_json::{json, Map, Value};

use crate::error::CliError;

/// Options of `cmpp decode`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// PDUs as hex; read from stdin when none is given. Spaces, newlines, `0x` and `:` are
    /// ignored, and several PDUs may follow each other.
    #[arg(value_name = "HEX", conflicts_with_all = ["file", "binary"])]
    pub hex: Vec<String>,
    /// Read raw PDU bytes from this file instead of hex.
    #[arg(long, value_name = "PATH", conflicts_with = "binary")]
    pub file: Option<PathBuf>,
    /// Read raw PDU bytes from stdin instead of hex.
    #[arg(long)]
    pub binary: bool,
    /// Wire layout of the PDUs: 2.0 (also 2.1) or 3.0.
    #[arg(long = "version", value_name = "2.0|3.0", default_value = "3.0", value_parser = parse_version)]
    pub version: Version,
    /// Pretty-print each JSON object over several lines.
    #[arg(long)]
    pub pretty: bool,
}

/// Runs `cmpp decode`.
pub fn run(args: Args) -> Result<(), CliError> {
    let input = read_input(&args)?;
    if input.is_empty() {
        return Err(CliError::input(
            "no input: give PDUs as hex arguments, on stdin, or with --file",
        ));
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    decode_all(&input, args.version, |value| {
        let text = if args.pretty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .map_err(|e| CliError::failure(format!("cannot render JSON: {e}")))?;
        writeln!(out, "{text}").map_err(|e| CliError::failure(format!("cannot write output: {e}")))
    })?;
    Ok(())
}

/// Accepts "2.0", "2.1", "2", "3.0", "3".
fn parse_version(text: &str) -> Result<Version, String> {
    match text.trim() {
        "2.0" | "2.1" | "2" | "20" | "21" => Ok(Version::V20),
        "3.0" | "3" | "30" => Ok(Version::V30),
        other => Err(format!("'{other}' is not a CMPP version; use 2.0 or 3.0")),
    }
}

fn read_input(args: &Args) -> Result<Vec<u8>, CliError> {
    if let Some(path) = &args.file {
        return std::fs::read(path)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())));
    }
    let mut raw = Vec::new();
    if args.hex.is_empty() {
        io::stdin()
            .read_to_end(&mut raw)
            .map_err(|e| CliError::input(format!("cannot read stdin: {e}")))?;
        if args.binary {
            return Ok(raw);
        }
    } else {
        raw = args.hex.join(" ").into_bytes();
    }
    let text = String::from_utf8(raw).map_err(|e| {
        CliError::input(format!(
            "hex input is not text (byte {} is not UTF-8); use --binary or --file for raw bytes",
            e.utf8_error().valid_up_to()
        ))
    })?;
    parse_hex(&text).map_err(CliError::input)
}

/// Reads hex digits, skipping whitespace, `:` and `0x`/`0X` prefixes (at the start of a
/// group). Errors name the character position (0-based, in characters).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut digits: Vec<(usize, u8)> = Vec::with_capacity(chars.len());
    let mut pos = 0;
    while pos < chars.len() {
        let c = chars[pos];
        let group_start = pos == 0 || chars[pos - 1].is_whitespace() || chars[pos - 1] == ':';
        if c == '0' && group_start && matches!(chars.get(pos + 1), Some('x' | 'X')) {
            pos += 2;
            continue;
        }
        if c.is_whitespace() || c == ':' {
            pos += 1;
            continue;
        }
        match c.to_digit(16) {
            // A hex digit is below 16, so it fits a u8.
            Some(d) => digits.push((pos, d as u8)),
            None => {
                return Err(format!(
                    "bad hex: character {c:?} at position {pos} is not a hex digit"
                ))
            }
        }
        pos += 1;
    }
    if digits.len() % 2 == 1 {
        let (last, _) = digits[digits.len() - 1];
        return Err(format!(
            "bad hex: odd number of digits ({}); the digit at position {last} has no partner",
            digits.len()
        ));
    }
    Ok(digits
        .chunks_exact(2)
        .map(|p| (p[0].1 << 4) | p[1].1)
        .collect())
}

/// Splits `input` into frames and decodes each at `version`, handing one JSON object per PDU
/// to `emit`. Stops at the first frame that cannot be split or decoded.
pub fn decode_all(
    input: &[u8],
    version: Version,
    mut emit: impl FnMut(&Value) -> Result<(), CliError>,
) -> Result<usize, CliError> {
    let input = Bytes::copy_from_slice(input);
    let mut at = 0;
    let mut index = 0;
    while at < input.len() {
        index += 1;
        let rest = &input[at..];
        let where_ = format!("PDU {index} at byte {at}");
        let n = match split_frame(rest, u32::MAX) {
            Ok(FrameStatus::Complete(n)) => n,
            Ok(FrameStatus::NeedMore) => return Err(CliError::input(incomplete(&where_, rest))),
            Err(FrameError::TooShort { total_length }) => {
                return Err(CliError::input(format!(
                    "{where_}: field Total_Length at offset 0: {total_length} is shorter than \
                     the 12-byte header"
                )))
            }
            Err(e) => return Err(CliError::input(format!("{where_}: {e}"))),
        };
        let frame = input.slice(at..at + n);
        let packet = decode(frame, version).map_err(|e| {
            CliError::input(format!("{where_}: {e} (input byte {})", at + e.offset))
        })?;
        emit(&describe(&packet, version, index, at, n))?;
        at += n;
    }
    Ok(index)
}

/// The error for a frame whose bytes stop early.
fn incomplete(where_: &str, rest: &[u8]) -> String {
    let word = |at: usize| {
        rest.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    match word(0) {
        Some(total_length) => {
            let name = word(4).map_or("PDU", |id| CommandId(id).name());
            let missing = (total_length as usize).saturating_sub(rest.len());
            format!(
                "{where_}: incomplete {name}: Total_Length is {total_length} but only {} bytes \
                 remain ({missing} missing)",
                rest.len()
            )
        }
        None => format!(
            "{where_}: incomplete header: {} bytes remain, a header needs {HEADER_LEN} ({} missing)",
            rest.len(),
            HEADER_LEN - rest.len()
        ),
    }
}

/// The JSON object for one decoded packet.
fn describe(packet: &Packet, version: Version, index: usize, offset: usize, len: usize) -> Value {
    let command_id: CommandId = packet.pdu.command_id();
    let mut fields = match serde_json::to_value(&packet.pdu) {
        // Externally tagged: {"Submit": {...}} for messages with a body.
        Ok(Value::Object(mut tagged)) if tagged.len() == 1 => {
            let inner = tagged.values_mut().next().map(Value::take);
            match inner {
                Some(Value::Object(map)) => map,
                _ => Map::new(),
            }
        }
        // Unit variants (TERMINATE, ACTIVE_TEST) carry no fields.
        _ => Map::new(),
    };
    match &packet.pdu {
        Pdu::Submit(m) => add_submit(&mut fields, m),
        Pdu::Deliver(m) => add_deliver(&mut fields, m),
        Pdu::SubmitResp(m) => {
            add_code(&mut fields, "result", m.result.to_u32(), m.result.meaning())
        }
        Pdu::DeliverResp(m) => {
            add_code(&mut fields, "result", m.result.to_u32(), m.result.meaning())
        }
        Pdu::ConnectResp(m) => {
            add_code(&mut fields, "status", m.status.to_u32(), m.status.meaning())
        }
        _ => {}
    }
    json!({
        "pdu": index,
        "offset": offset,
        "version": version.to_string(),
        "command": command_id.name(),
        "command_id": format!("0x{:08x}", command_id.0),
        "total_length": len,
        "sequence_id": packet.sequence_id,
        "fields": fields,
    })
}

/// Replaces a code enum's serde form with the number and the spec meaning.
fn add_code(fields: &mut Map<String, Value>, name: &str, code: u32, meaning: &str) {
    fields.insert(name.to_owned(), json!(code));
    fields.insert(format!("{name}_meaning"), json!(meaning));
}

fn add_submit(fields: &mut Map<String, Value>, m: &Submit) {
    fields.insert("msg_fmt".into(), json!(m.msg_fmt.to_byte()));
    fields.insert("msg_length".into(), json!(m.msg_content.len()));
    add_content(fields, m.tp_udhi, m.msg_fmt.to_byte(), &m.msg_content);
}

fn add_deliver(fields: &mut Map<String, Value>, m: &Deliver) {
    fields.insert("msg_fmt".into(), json!(m.msg_fmt.to_byte()));
    fields.insert("registered_delivery".into(), json!(m.registered_delivery()));
    fields.remove("content");
    match &m.content {
        DeliverContent::Message(content) => {
            fields.insert("msg_length".into(), json!(content.len()));
            fields.insert("msg_content".into(), json!(hex::encode(content)));
            add_content(fields, m.tp_udhi, m.msg_fmt.to_byte(), content);
        }
        DeliverContent::Report(r) => {
            fields.insert("report".into(), report(r));
        }
    }
}

/// The status report with Stat interpreted.
fn report(r: &StatusReport) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("stat".into(), json!(r.stat.text()));
        map.insert("stat_kind".into(), json!(stat_kind(r.stat.kind())));
        map.insert("delivered".into(), json!(r.stat.is_delivered()));
        map.insert("cause_class".into(), json!(r.stat.cause_class().as_str()));
    }
    v
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
        StatKind::Coded { .. } => "coded",
        _ => "other",
    }
}

/// Adds `udh` (when TP_udhi is set) and `text` (when the Msg_Fmt is a text format) for
/// Msg_Content; a content that does not decode gets `text_error` instead.
fn add_content(fields: &mut Map<String, Value>, tp_udhi: u8, msg_fmt: u8, content: &[u8]) {
    let fmt = cmpp_codec::MsgFmt::from_byte(msg_fmt);
    let payload = match text::parse_user_data(content, text::udhi_set(tp_udhi)) {
        Ok((ud, concat)) => {
            if let Some(udh) = ud.udh {
                let concat = concat.map(|c| {
                    json!({
                        "kind": format!("{:?}", c.kind),
                        "reference": c.reference,
                        "total": c.total,
                        "number": c.number,
                    })
                });
                fields.insert(
                    "udh".into(),
                    json!({ "hex": hex::encode(udh), "concat": concat }),
                );
            }
            ud.payload
        }
        Err(e) => {
            fields.insert("udh_error".into(), json!(e.to_string()));
            content
        }
    };
    match text::decode(fmt, payload) {
        Ok(Content::Text(s)) => {
            fields.insert("text".into(), json!(s));
        }
        Ok(Content::Binary(_)) => {}
        Err(e) => {
            fields.insert("text_error".into(), json!(e.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_ignores_separators_and_prefixes() {
        assert_eq!(
            parse_hex("0x00 0X0c:ab\n 0xFF").unwrap(),
            vec![0x00, 0x0c, 0xab, 0xff]
        );
        assert_eq!(parse_hex("000c").unwrap(), vec![0x00, 0x0c]);
    }

    #[test]
    fn hex_errors_name_the_position() {
        let e = parse_hex("00 0g").unwrap_err();
        assert!(e.contains("'g' at position 4"), "{e}");
        let e = parse_hex("00 0").unwrap_err();
        assert!(e.contains("odd number of digits (3)"), "{e}");
        assert!(e.contains("position 3"), "{e}");
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("2.1"), Ok(Version::V20));
        assert_eq!(parse_version("3.0"), Ok(Version::V30));
        assert!(parse_version("4.0").is_err());
    }

    #[test]
    fn incomplete_frame_names_missing_bytes() {
        let e = decode_all(&[0, 0, 0, 20, 0, 0, 0, 8, 0, 0, 0, 1], Version::V30, |_| {
            Ok(())
        })
        .unwrap_err();
        assert!(e.to_string().contains("(8 missing)"), "{e}");
        let e = decode_all(&[0, 0, 0], Version::V30, |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("(9 missing)"), "{e}");
    }
}
