//! The status-report parser on arbitrary Msg_Content bytes, in both versions.
//!
//! Input: byte 0 holds flags (bit 0: append a LinkID/Reserve tail, bits 1-7: Sequence_Id),
//! the rest (at most 255 bytes, Msg_Length is one byte) is the report content. The content
//! is wrapped in a DELIVER with Registered_Delivery = 1 and decoded at 2.0 and 3.0.
//! Invariants: no panic; a success is a report whose parts read back without panicking and
//! which re-encodes (when the value fits the version) to an equal report.
#![no_main]

use bytes::{BufMut, Bytes, BytesMut};
use cmpp_codec::{decode, encode, DeliverContent, Pdu, Version};
use libfuzzer_sys::fuzz_target;

fn deliver_frame(content: &[u8], version: Version, tail: bool, seq: u32) -> Bytes {
    let tw = version.terminal_id_width();
    let mut body = BytesMut::new();
    body.put_u64(0x0123_4567_89ab_cdef); // Msg_Id
    body.put_slice(&[b'1'; 21]); // Dest_Id
    body.put_slice(&[0; 10]); // Service_Id
    body.put_slice(&[0, 0, 0]); // TP_pid, TP_udhi, Msg_Fmt
    body.put_bytes(b'2', tw); // Src_terminal_Id
    if version == Version::V30 {
        body.put_u8(0); // Src_terminal_type
    }
    body.put_u8(1); // Registered_Delivery: a report
    body.put_u8(content.len() as u8); // Msg_Length (content is at most 255 bytes)
    body.put_slice(content);
    if tail {
        body.put_bytes(b'L', version.link_id_width());
    }
    let mut frame = BytesMut::new();
    frame.put_u32(12 + body.len() as u32);
    frame.put_u32(5);
    frame.put_u32(seq);
    frame.put_slice(&body);
    frame.freeze()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, content)) = data.split_first() else {
        return;
    };
    let content = &content[..content.len().min(255)];
    for version in [Version::V20, Version::V30] {
        let frame = deliver_frame(content, version, flags & 1 == 1, u32::from(flags >> 1));
        let packet = match decode(frame.clone(), version) {
            Ok(p) => p,
            Err(e) => {
                assert!(e.offset <= frame.len());
                assert!(content.len() < 39 || e.field == "Dest_terminal_Id", "{e}");
                continue;
            }
        };
        let Pdu::Deliver(deliver) = &packet.pdu else {
            panic!("DELIVER decoded as {}", packet.pdu.name());
        };
        let DeliverContent::Report(report) = &deliver.content else {
            panic!("Registered_Delivery 1 decoded as a message");
        };
        assert!(
            content.len() >= 39,
            "report accepted from {} bytes",
            content.len()
        );
        assert!(report.dest_terminal_id.len() <= 32);
        // Every accessor a caller uses must be total.
        let id = report.msg_id;
        let _ = (id.month(), id.day(), id.hour(), id.minute(), id.second());
        let _ = (id.gateway(), id.sequence(), id.to_digits(), id.to_hex());
        let _ = (
            report.stat.text(),
            report.stat.kind(),
            report.stat.cause_class(),
        );
        let _ = (
            report.submit_time.to_str_lossy(),
            report.done_time.to_str_lossy(),
        );

        let mut out = BytesMut::new();
        if encode(&packet, version, &mut out).is_ok() {
            let again = decode(out.freeze(), version).expect("re-encoded report decodes");
            assert_eq!(again, packet, "report changed on re-encode");
        }
    }
});
