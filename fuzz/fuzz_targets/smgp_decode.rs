//! Frames arbitrary bytes as SMGP and decodes every complete frame, strictly and leniently.
//!
//! Input: byte 0 picks the layout version (bits 0–1: 1.3, 2.0, 3.0, 3.0) and the maximum
//! frame length (bits 2–3), the rest is a byte stream as read from a socket. Invariants: no
//! panic; `decode` and `decode_lenient` agree (strict success ⇔ lenient success without a
//! TLV error; otherwise the strict error is the lenient TLV error); the two-step API agrees;
//! errors point inside the frame; a decoded packet that re-encodes decodes back to an equal
//! packet; a report Deliver's content parses or fails without panicking.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use smgp_codec::{
    decode, decode_body, decode_lenient, split_frame, DecodeError, FrameStatus, Header, Pdu,
    Version, DEFAULT_MAX_FRAME_LEN, HEADER_LEN,
};

const VERSIONS: [Version; 4] = [Version::V13, Version::V20, Version::V30, Version::V30];
const MAX_LENS: [u32; 4] = [DEFAULT_MAX_FRAME_LEN, 12, 300, u32::MAX];

fn check_frame(frame: &Bytes, version: Version) {
    let strict = decode(frame.clone(), version);
    let lenient = decode_lenient(frame.clone(), version);
    match (&strict, &lenient) {
        (Ok(p), Ok(d)) => {
            assert!(d.tlv_error.is_none());
            assert_eq!(p, &d.packet);
        }
        (Err(e), Ok(d)) => {
            let tlv = d.tlv_error.expect("lenient success with a strict error needs a TLV error");
            assert_eq!(*e, DecodeError::from(tlv));
            assert!(tlv.offset <= frame.len());
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Ok(_), Err(e)) => panic!("strict decode succeeded, lenient failed: {e}"),
    }
    if let Ok(header) = Header::parse(frame) {
        let two_step = decode_body(&header, frame.slice(HEADER_LEN.min(frame.len())..), version);
        match (&strict, &two_step) {
            (Ok(p), Ok(pdu)) => assert_eq!(&p.pdu, pdu, "decode_body disagrees"),
            (Err(a), Err(b)) => assert_eq!(a, b, "decode_body error disagrees"),
            _ => panic!("decode and decode_body disagree: {strict:?} vs {two_step:?}"),
        }
    }
    match strict {
        Ok(packet) => {
            if let Pdu::Deliver(d) = &packet.pdu {
                if let Some(report) = d.report() {
                    let _ = report.map(|r| r.to_content());
                }
            }
            if let Ok(raw) = packet.to_bytes(version) {
                assert_eq!(raw.len(), packet.encoded_len(), "encoded_len disagrees");
                // A Submit read through the 1.3 fallback is re-read in its own layout.
                let layout = match &packet.pdu {
                    Pdu::Submit(s) if s.fixed_fee.is_none() => Version::V13,
                    _ => version,
                };
                let again = decode(raw, layout).unwrap_or_else(|e| {
                    panic!("re-encoded {} does not decode: {e}", packet.pdu.name())
                });
                assert_eq!(again, packet, "re-encoded packet decodes differently");
            }
        }
        Err(e) => {
            assert!(e.offset <= frame.len(), "offset {} past frame", e.offset);
            assert!(!e.to_string().contains('\n'));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    let version = VERSIONS[usize::from(selector & 3)];
    let max_len = MAX_LENS[usize::from((selector >> 2) & 3)];
    let mut buf = BytesMut::from(stream);
    loop {
        match split_frame(&buf, max_len) {
            Ok(FrameStatus::NeedMore) => break,
            Ok(FrameStatus::Complete(n)) => {
                assert!(n >= HEADER_LEN && n <= buf.len(), "bad frame size {n}");
                let frame = buf.split_to(n).freeze();
                check_frame(&frame, version);
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                break;
            }
        }
    }
    check_frame(&Bytes::copy_from_slice(stream), version);
});
