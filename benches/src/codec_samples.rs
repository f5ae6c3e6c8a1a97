//! Sample messages for the codec benchmarks and the allocation test.

use bytes::Bytes;
use cmpp_codec::pdu::{Connect, Deliver, DeliverContent, Packet, StatusReport, Submit};
use cmpp_codec::{text, MsgFmt, MsgId, OctetString, Stat, Version};

/// A 10-character Chinese phrase the samples repeat.
const PHRASE: &str = "中国移动短信网关测试";

/// `chars` Chinese characters (a multiple of 10).
pub fn chinese_text(chars: usize) -> String {
    PHRASE.repeat(chars / 10)
}

fn octets<const N: usize>(value: &str) -> OctetString<N> {
    // The sample values below are short ASCII literals that always fit.
    OctetString::try_from(value).unwrap_or(OctetString::EMPTY)
}

/// A SUBMIT to one destination with 140 bytes of UCS2 content (70 Chinese characters).
pub fn submit() -> Packet {
    let content = text::encode_ucs2(&chinese_text(70));
    Packet::new(
        0x17,
        Submit {
            registered_delivery: 1,
            service_id: octets("test"),
            fee_terminal_id: octets("13500002696"),
            msg_fmt: MsgFmt::Ucs2,
            msg_src: octets("900001"),
            fee_type: octets("02"),
            fee_code: octets("10"),
            src_id: octets("10690001"),
            dest_terminal_ids: vec![octets("13800138000")],
            msg_content: Bytes::from(content),
            link_id: octets("link"),
            ..Submit::default()
        },
    )
}

/// A DELIVER carrying a DELIVRD status report.
pub fn status_report_deliver() -> Packet {
    let msg_id = MsgId::from_u64(0xb4c5_5300_0001_0000);
    Packet::new(
        0x2a,
        Deliver {
            msg_id: MsgId::from_u64(0xb4c5_5300_0001_0001),
            dest_id: octets("10690001"),
            service_id: octets("test"),
            tp_pid: 0,
            tp_udhi: 0,
            msg_fmt: MsgFmt::Ascii,
            src_terminal_id: octets("13412340000"),
            src_terminal_type: 0,
            content: DeliverContent::Report(StatusReport {
                msg_id,
                stat: Stat::DELIVRD,
                submit_time: octets("1511120955"),
                done_time: octets("1511120957"),
                dest_terminal_id: octets("13412340000"),
                smsc_sequence: 0x1234_5678,
            }),
            link_id: OctetString::EMPTY,
        },
    )
}

/// A CONNECT (same layout in both versions).
pub fn connect() -> Packet {
    Packet::new(
        1,
        Connect {
            source_addr: octets("900001"),
            authenticator_source: [0x5a; 16],
            version: 0x30,
            timestamp: 1_028_230_647,
        },
    )
}

/// The wire bytes of `packet`, as a shared buffer (cloning it never allocates), the way a
/// frame split off a read buffer is.
pub fn frame(packet: &Packet, version: Version) -> Bytes {
    let bytes = packet
        .to_bytes(version)
        .unwrap_or_else(|e| panic!("sample {} does not encode: {e}", packet.pdu.name()));
    let mut buf = bytes::BytesMut::from(&bytes[..]);
    // Splitting a BytesMut makes it shared, so clones and slices are reference counts.
    let frame = buf.split_to(bytes.len()).freeze();
    drop(buf);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmpp_codec::decode;

    #[test]
    fn samples_round_trip() {
        for (packet, version, len) in [
            (submit(), Version::V30, 151 + 32 + 140 + 12),
            (submit(), Version::V20, 126 + 21 + 140 + 12),
            (status_report_deliver(), Version::V30, 12 + 77 + 71 + 20),
            (connect(), Version::V30, 39),
        ] {
            let bytes = frame(&packet, version);
            assert_eq!(bytes.len(), len, "{}", packet.pdu.name());
            assert_eq!(decode(bytes, version).unwrap(), packet);
        }
        assert_eq!(chinese_text(500).chars().count(), 500);
    }
}
