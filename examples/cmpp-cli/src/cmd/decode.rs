//! `cmpp decode`: turns PDUs given as hex or raw bytes into one JSON object per message.
//!
//! Input is hex (arguments, or stdin when there are none; whitespace, `0x` prefixes and
//! colons are ignored) or raw bytes (`--file PATH`, or `--binary` for stdin). Several PDUs may
//! follow each other. `--protocol` picks CMPP (the default), SGIP 1.2 or SMGP. Every field is
//! printed, with the content decoded to text where its coding allows, the UDH parsed when
//! TP_udhi is set, and result and status-report codes interpreted. Decoding stops at the
//! first bad PDU with a one-line error naming the PDU, its byte offset and the field (exit
//! code 3). An SMGP PDU whose TLV tail is broken is still printed: its fixed part, the TLVs
//! before the break and a `warning` naming the broken TLV.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use cmpp_codec::text::{self, Content};
use cmpp_codec::{
    decode, CommandId, Deliver, DeliverContent, Packet, Pdu, StatKind, StatusReport, Submit,
    Version, HEADER_LEN,
};
use serde_json::{json, Map, Value};
use sgip_codec::coding::Decoded;

use crate::error::CliError;

mod sgip;
mod smgp;

/// The protocol whose PDUs are decoded (the one `serve`, `send` and `cmpp.toml` name).
pub use crate::config::Protocol;

/// A `--version` value, before it is checked against the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireVersion {
    /// 1.2 (SGIP).
    V12,
    /// 1.3 (SMGP).
    V13,
    /// 2.0 (CMPP 2.0 and 2.1, SMGP 2.0).
    V20,
    /// 3.0 (CMPP, SMGP).
    V30,
}

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
    /// Protocol of the PDUs.
    #[arg(long, value_enum, default_value_t = Protocol::Cmpp)]
    pub protocol: Protocol,
    /// Wire layout of the PDUs: CMPP 2.0 (also 2.1) or 3.0; SMGP 1.3, 2.0 or 3.0; SGIP 1.2.
    /// Default: 3.0 (SGIP: 1.2).
    #[arg(long = "version", value_name = "VERSION", value_parser = parse_version)]
    pub version: Option<WireVersion>,
    /// Pretty-print each JSON object over several lines.
    #[arg(long)]
    pub pretty: bool,
}

/// Runs `cmpp decode`.
pub fn run(args: Args) -> Result<(), CliError> {
    let layout = Layout::of(args.protocol, args.version)?;
    let input = read_input(&args)?;
    if input.is_empty() {
        return Err(CliError::input(
            "no input: give PDUs as hex arguments, on stdin, or with --file",
        ));
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let emit = |value: &Value| {
        // A PDU that decoded only in part says so on stderr too, where a person sees it.
        if let Some(Value::String(warning)) = value.get("warning") {
            eprintln!("cmpp: warning: {warning}");
        }
        let text = if args.pretty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .map_err(|e| CliError::failure(format!("cannot render JSON: {e}")))?;
        writeln!(out, "{text}").map_err(|e| CliError::failure(format!("cannot write output: {e}")))
    };
    match layout {
        Layout::Cmpp(version) => decode_all(&input, version, emit),
        Layout::Sgip => sgip::decode_all(&input, emit),
        Layout::Smgp(version) => smgp::decode_all(&input, version, emit),
    }?;
    Ok(())
}

/// The protocol and its version, checked against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Cmpp(Version),
    Sgip,
    Smgp(smgp_codec::Version),
}

impl Layout {
    /// The layout for `--protocol` and `--version` (3.0 by default; SGIP has only 1.2).
    fn of(protocol: Protocol, version: Option<WireVersion>) -> Result<Layout, CliError> {
        use WireVersion::*;
        let wrong = |name: &str, versions: &str, v: WireVersion| {
            CliError::input(format!(
                "{name} has no version {}; use {versions}",
                v.as_str()
            ))
        };
        Ok(match (protocol, version) {
            (Protocol::Cmpp, None | Some(V30)) => Layout::Cmpp(Version::V30),
            (Protocol::Cmpp, Some(V20)) => Layout::Cmpp(Version::V20),
            (Protocol::Cmpp, Some(v)) => return Err(wrong("CMPP", "2.0 or 3.0", v)),
            (Protocol::Sgip, None | Some(V12)) => Layout::Sgip,
            (Protocol::Sgip, Some(v)) => return Err(wrong("SGIP", "1.2", v)),
            (Protocol::Smgp, None | Some(V30)) => Layout::Smgp(smgp_codec::Version::V30),
            (Protocol::Smgp, Some(V20)) => Layout::Smgp(smgp_codec::Version::V20),
            (Protocol::Smgp, Some(V13)) => Layout::Smgp(smgp_codec::Version::V13),
            (Protocol::Smgp, Some(v)) => return Err(wrong("SMGP", "1.3, 2.0 or 3.0", v)),
        })
    }
}

impl WireVersion {
    fn as_str(self) -> &'static str {
        match self {
            WireVersion::V12 => "1.2",
            WireVersion::V13 => "1.3",
            WireVersion::V20 => "2.0",
            WireVersion::V30 => "3.0",
        }
    }
}

/// Accepts "1.2", "1.3", "2.0", "2.1", "3.0" (and the same without the dot or the ".0").
fn parse_version(text: &str) -> Result<WireVersion, String> {
    match text.trim() {
        "1.2" | "12" => Ok(WireVersion::V12),
        "1.3" | "13" => Ok(WireVersion::V13),
        "2.0" | "2.1" | "2" | "20" | "21" => Ok(WireVersion::V20),
        "3.0" | "3" | "30" => Ok(WireVersion::V30),
        other => Err(format!(
            "'{other}' is not a protocol version; use 2.0 or 3.0 (CMPP), 1.3, 2.0 or 3.0 (SMGP), 1.2 (SGIP)"
        )),
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

/// How a protocol frames its packets: what the frame loop needs to cut them apart and to
/// name what it finds in errors.
struct Framing {
    /// Header size in bytes.
    header_len: usize,
    /// The spec's name of the header's length field.
    length_field: &'static str,
    /// Short name of a command id ("SUBMIT", or "UNKNOWN").
    command_name: fn(u32) -> &'static str,
}

const CMPP_FRAMING: Framing = Framing {
    header_len: HEADER_LEN,
    length_field: "Total_Length",
    command_name: |id| CommandId(id).name(),
};

/// One packet of the input.
struct Frame {
    /// 1-based position in the input.
    index: usize,
    /// Byte offset in the input.
    offset: usize,
    /// The packet's bytes, header included.
    bytes: Bytes,
    /// "PDU 2 at byte 12", the prefix of every error about this packet.
    place: String,
}

/// Cuts `input` into packets and hands each to `each` (which decodes and emits it). Stops at
/// the first packet that cannot be cut out or that `each` fails on; returns the count.
fn for_each_frame(
    input: &[u8],
    framing: &Framing,
    mut each: impl FnMut(Frame) -> Result<(), CliError>,
) -> Result<usize, CliError> {
    let input = Bytes::copy_from_slice(input);
    let mut at = 0;
    let mut index = 0;
    while at < input.len() {
        index += 1;
        let place = format!("PDU {index} at byte {at}");
        let n = frame_len(&input[at..], framing)
            .map_err(|e| CliError::input(format!("{place}: {e}")))?;
        each(Frame {
            index,
            offset: at,
            bytes: input.slice(at..at + n),
            place,
        })?;
        at += n;
    }
    Ok(index)
}

/// The length of the packet at the start of `rest`, or why there is none. No maximum is
/// applied: a decoder reads what it is given, however long.
fn frame_len(rest: &[u8], framing: &Framing) -> Result<usize, String> {
    let word = |at: usize| {
        rest.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let header_len = framing.header_len;
    let Some(length) = word(0) else {
        return Err(format!(
            "incomplete header: {} bytes remain, a header needs {header_len} ({} missing)",
            rest.len(),
            header_len - rest.len()
        ));
    };
    // A u32 fits in usize on every target this binary builds for (32 and 64 bits).
    let len = length as usize;
    if len < header_len {
        return Err(format!(
            "field {} at offset 0: {length} is shorter than the {header_len}-byte header",
            framing.length_field
        ));
    }
    if rest.len() < len {
        let name = word(4).map_or("PDU", framing.command_name);
        return Err(format!(
            "incomplete {name}: {} is {length} but only {} bytes remain ({} missing)",
            framing.length_field,
            rest.len(),
            len - rest.len()
        ));
    }
    Ok(len)
}

/// Splits `input` into frames and decodes each as CMPP at `version`, handing one JSON object
/// per PDU to `emit`. Stops at the first frame that cannot be split or decoded.
pub fn decode_all(
    input: &[u8],
    version: Version,
    mut emit: impl FnMut(&Value) -> Result<(), CliError>,
) -> Result<usize, CliError> {
    for_each_frame(input, &CMPP_FRAMING, |frame| {
        let len = frame.bytes.len();
        let packet = decode(frame.bytes, version).map_err(|e| {
            CliError::input(format!(
                "{}: {e} (input byte {})",
                frame.place,
                frame.offset + e.offset
            ))
        })?;
        emit(&describe(&packet, version, frame.index, frame.offset, len))
    })
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
            add_code(&mut fields, "result", m.result.to_u32(), m.result.meaning());
            let class = m.result.cause_class().as_str();
            fields.insert("cause_class".into(), json!(class));
        }
        Pdu::DeliverResp(m) => {
            add_code(&mut fields, "result", m.result.to_u32(), m.result.meaning());
            let class = m.result.cause_class().as_str();
            fields.insert("cause_class".into(), json!(class));
        }
        Pdu::ConnectResp(m) => {
            add_code(&mut fields, "status", m.status.to_u32(), m.status.meaning())
        }
        _ => {}
    }
    json!({
        "pdu": index,
        "offset": offset,
        "protocol": "cmpp",
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
    let payload = add_udh(fields, text::udhi_set(tp_udhi), content);
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

/// Adds `udh` (hex and concatenation info) when `udhi` says the content starts with a user
/// data header, or `udh_error` when it cannot be read; returns the payload after it (the
/// whole content when there is no readable UDH). The UDH is GSM 03.40, the same in all three
/// protocols.
fn add_udh<'a>(fields: &mut Map<String, Value>, udhi: bool, content: &'a [u8]) -> &'a [u8] {
    match text::parse_user_data(content, udhi) {
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
    }
}

/// Adds `text` for an SGIP or SMGP content decoded per its coding (`coding_field` names the
/// field, e.g. "MessageCoding"): the text, plus `text_warning` when the bytes did not fit
/// the declared coding and were read leniently; nothing for binary data.
fn add_decoded_text(
    fields: &mut Map<String, Value>,
    coding_field: &str,
    coding: u8,
    decoded: Decoded<'_>,
) {
    match decoded {
        Decoded::Text(s) => {
            fields.insert("text".into(), json!(s));
        }
        Decoded::Lossy(s) => {
            fields.insert("text".into(), json!(s));
            fields.insert(
                "text_warning".into(),
                json!(format!(
                    "the bytes do not fit {coding_field} {coding}; read leniently (ASCII with \
                     high bytes as GB18030, malformed bytes replaced)"
                )),
            );
        }
        _ => {}
    }
}

/// A fixed-width text field as JSON text (invalid UTF-8 replaced).
fn text_value<const N: usize>(t: &sgip_codec::Text<N>) -> Value {
    json!(t.to_str_lossy())
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
        assert_eq!(parse_version("2.1"), Ok(WireVersion::V20));
        assert_eq!(parse_version("3.0"), Ok(WireVersion::V30));
        assert_eq!(parse_version("1.3"), Ok(WireVersion::V13));
        assert_eq!(parse_version("1.2"), Ok(WireVersion::V12));
        assert!(parse_version("4.0").is_err());
    }

    #[test]
    fn versions_are_checked_against_the_protocol() {
        use WireVersion::*;
        let of = Layout::of;
        assert_eq!(
            of(Protocol::Cmpp, None).unwrap(),
            Layout::Cmpp(Version::V30)
        );
        assert_eq!(
            of(Protocol::Cmpp, Some(V20)).unwrap(),
            Layout::Cmpp(Version::V20)
        );
        assert_eq!(of(Protocol::Sgip, None).unwrap(), Layout::Sgip);
        assert_eq!(of(Protocol::Sgip, Some(V12)).unwrap(), Layout::Sgip);
        assert_eq!(
            of(Protocol::Smgp, None).unwrap(),
            Layout::Smgp(smgp_codec::Version::V30)
        );
        assert_eq!(
            of(Protocol::Smgp, Some(V13)).unwrap(),
            Layout::Smgp(smgp_codec::Version::V13)
        );
        let e = of(Protocol::Sgip, Some(V30)).unwrap_err();
        assert_eq!(e.to_string(), "SGIP has no version 3.0; use 1.2");
        assert_eq!(e.code(), 3);
        let e = of(Protocol::Cmpp, Some(V13)).unwrap_err();
        assert_eq!(e.to_string(), "CMPP has no version 1.3; use 2.0 or 3.0");
        assert!(of(Protocol::Smgp, Some(V12)).is_err());
    }

    /// Decodes `input` with `decode` and checks the outcome is JSON for each PDU or an input
    /// error (exit code 3) — never a panic.
    fn decodes_or_refuses(
        input: &[u8],
        decode: impl Fn(
            &[u8],
            &mut dyn FnMut(&Value) -> Result<(), CliError>,
        ) -> Result<usize, CliError>,
    ) {
        let mut emitted = 0;
        let result = decode(input, &mut |v| {
            serde_json::to_string(v).expect("JSON renders");
            emitted += 1;
            Ok(())
        });
        match result {
            Ok(n) => assert_eq!(n, emitted),
            Err(e) => assert_eq!(e.code(), 3, "{e}"),
        }
    }

    /// Every prefix of `packets`, and `packets` with each byte set to 0x00 and to 0xff.
    fn damaged(packets: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
        let prefixes = (0..packets.len()).map(|n| packets[..n].to_vec());
        let flips = (0..packets.len()).flat_map(move |at| {
            [0x00, 0xff].map(|b| {
                let mut v = packets.to_vec();
                v[at] = b;
                v
            })
        });
        prefixes.chain(flips)
    }

    #[test]
    fn damaged_sgip_input_never_panics() {
        // TV-7's Submit and TV-9's Report.
        let packets = parse_hex(
            "000000ae00000003b36924b947c4899d00000002313036393030393000000000\
             0000000000000000003030303030303030303030303030303030303030300138\
             3631373630303030303030300000000000000000313233343554455354000000\
             0000000130000000000030000000000000020000000000000000000000000000\
             000000000000000000000000000000000000000100000f000000000a68656c6c\
             6f20736769700000000000000000\
             000000400000000500018a8911f333fe000000010000000011f333f26ebb10dd\
             0038363138363537313138363336000000000000000000000000000000000000",
        )
        .unwrap();
        for input in damaged(&packets) {
            decodes_or_refuses(&input, |i, emit| sgip::decode_all(i, emit));
        }
    }

    #[test]
    fn damaged_smgp_input_never_panics() {
        // TV-3's Submit (with its TLV tail) and TV-8's report Deliver.
        let packets = parse_hex(
            "000000d100000002000000020601010000000000000000000030303000000000\
             003000000000000f000000000000000000000000000000000000000000000000\
             0000000000000000000031303639303030000000000000000000000000000000\
             0000000000000000000000000000000000000000013137363030303030303030\
             000000000000000000000a68656c6c6f20736d67700000000000000000000200\
             01000010000831323334350000000009000100000a0001000012001500000000\
             0000000000000000000000000000000000\
             000000d300000003000000070000630822213242797301003230323530383232\
             3231333230303836313338303031333830303000000000000000003130363930\
             303000000000000000000000000000007a69643a000063082221324279732073\
             75623a30303120646c7672643a303031207375626d697420646174653a323530\
             3832323231333220646f6e6520646174653a3235303832323231333220737461\
             743a44454c49565244206572723a30303020746578743a000000000000000000\
             00000000000000000000000000000000000000",
        )
        .unwrap();
        // 2.0 reads the same fixed layout as 3.0; 1.3 the one without FixedFee.
        for version in [smgp_codec::Version::V30, smgp_codec::Version::V13] {
            for input in damaged(&packets) {
                decodes_or_refuses(&input, |i, emit| smgp::decode_all(i, version, emit));
            }
        }
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
