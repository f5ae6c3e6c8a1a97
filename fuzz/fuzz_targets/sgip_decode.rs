//! Frames arbitrary bytes as SGIP and decodes every complete frame.
//!
//! Input: byte 0 picks the maximum frame length, the rest is a byte stream as read from a
//! socket. Invariants: no panic; `split_frame` never reports more bytes than it was given;
//! the two-step API (`Header::parse` + `decode_body`) agrees with `decode`; errors point
//! inside the frame; a decoded packet re-encodes to `encoded_len` bytes that decode back to
//! an equal packet.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use sgip_codec::{
    decode, decode_body, split_frame, FrameStatus, Header, DEFAULT_MAX_FRAME_LEN, HEADER_LEN,
};

/// Maximum frame lengths the stream is split with (byte 0 selects one).
const MAX_LENS: [u32; 4] = [DEFAULT_MAX_FRAME_LEN, 20, 200, u32::MAX];

fn check_frame(frame: &Bytes) {
    let result = decode(frame.clone());
    if let Ok(header) = Header::parse(frame) {
        let two_step = decode_body(&header, frame.slice(HEADER_LEN.min(frame.len())..));
        match (&result, &two_step) {
            (Ok(p), Ok(pdu)) => assert_eq!(&p.pdu, pdu, "decode_body disagrees"),
            (Err(a), Err(b)) => assert_eq!(a, b, "decode_body error disagrees"),
            _ => panic!("decode and decode_body disagree: {result:?} vs {two_step:?}"),
        }
    }
    match result {
        Ok(packet) => match packet.to_bytes() {
            Ok(raw) => {
                assert_eq!(raw.len(), packet.encoded_len(), "encoded_len disagrees");
                let again = decode(raw).unwrap_or_else(|e| {
                    panic!("re-encoded {} does not decode: {e}", packet.pdu.name())
                });
                assert_eq!(again, packet, "re-encoded packet decodes differently");
            }
            // Only a frame above the 2048-byte spec limit may refuse to re-encode.
            Err(e) => assert!(frame.len() > 2048, "{e}"),
        },
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
    let max_len = MAX_LENS[usize::from(selector % 4)];
    let mut buf = BytesMut::from(stream);
    loop {
        match split_frame(&buf, max_len) {
            Ok(FrameStatus::NeedMore) => break,
            Ok(FrameStatus::Complete(n)) => {
                assert!(n >= HEADER_LEN && n <= buf.len(), "bad frame size {n}");
                let frame = buf.split_to(n).freeze();
                check_frame(&frame);
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                break;
            }
        }
    }
    // The whole input as one frame exercises the length-mismatch paths.
    check_frame(&Bytes::copy_from_slice(stream));
});
