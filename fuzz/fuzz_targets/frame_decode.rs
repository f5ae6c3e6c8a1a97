//! Frames arbitrary bytes and decodes every complete frame in both versions.
//!
//! Input: byte 0 picks the maximum frame length, the rest is a byte stream as read from a
//! socket. Invariants: no panic; `split_frame` never reports more bytes than it was given;
//! the two-step API (`Header::parse` + `decode_body`) agrees with `decode`; a decoded packet
//! that re-encodes gives exactly `encoded_len` bytes and decodes back to an equal packet.
#![no_main]

use bytes::{Bytes, BytesMut};
use cmpp_codec::{
    decode, decode_body, encode, split_frame, FrameStatus, Header, Packet, Version,
    DEFAULT_MAX_FRAME_LEN, HEADER_LEN,
};
use libfuzzer_sys::fuzz_target;

/// Maximum frame lengths the stream is split with (byte 0 selects one).
const MAX_LENS: [u32; 4] = [DEFAULT_MAX_FRAME_LEN, 12, 200, u32::MAX];

fn check_round_trip(packet: &Packet, version: Version) {
    let mut out = BytesMut::new();
    if encode(packet, version, &mut out).is_err() {
        // The value cannot be carried at this version (e.g. a 4-byte status on 2.0);
        // encode must then leave the buffer untouched.
        assert!(out.is_empty(), "encode wrote bytes before failing");
        return;
    }
    assert_eq!(
        out.len(),
        packet.encoded_len(version),
        "encoded_len disagrees"
    );
    let again = decode(out.freeze(), version)
        .unwrap_or_else(|e| panic!("re-encoded {} does not decode: {e}", packet.pdu.name()));
    assert_eq!(&again, packet, "re-encoded packet decodes differently");
}

fn check_frame(frame: &Bytes) {
    for version in [Version::V20, Version::V30] {
        let result = decode(frame.clone(), version);
        // Two-step API gives the same answer.
        if let Ok(header) = Header::parse(frame) {
            let body = frame.slice(HEADER_LEN..);
            let two_step = decode_body(&header, body, version);
            match (&result, &two_step) {
                (Ok(p), Ok(pdu)) => assert_eq!(&p.pdu, pdu, "decode_body disagrees"),
                (Err(a), Err(b)) => assert_eq!(a, b, "decode_body error disagrees"),
                _ => panic!("decode and decode_body disagree: {result:?} vs {two_step:?}"),
            }
        }
        match result {
            Ok(packet) => check_round_trip(&packet, version),
            Err(e) => {
                // Errors point inside the frame and render to one line.
                assert!(e.offset <= frame.len(), "offset {} past frame", e.offset);
                assert!(!e.to_string().contains('\n'));
            }
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
    // The whole input as one frame exercises the Total_Length mismatch paths.
    check_frame(&Bytes::copy_from_slice(stream));
});
