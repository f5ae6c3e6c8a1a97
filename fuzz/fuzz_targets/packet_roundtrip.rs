//! Structure-aware round trip: builds any packet valid at a version, encodes it, and checks
//! that decoding gives it back.
//!
//! Input: any bytes, read by `arbitrary` into a `VersionedPacket` (cmpp-codec's `arbitrary`
//! feature): every message type, both versions, strings up to their field widths, 1 to 99
//! destinations, content up to its limit. Invariants: encoding succeeds with exactly
//! `encoded_len` bytes; `split_frame` sees one complete frame; `decode` and the borrowing
//! `parse::packet` both give the packet back; the two-step `Header::parse` + `decode_body`
//! agrees.
#![no_main]

use cmpp_codec::arbitrary::VersionedPacket;
use cmpp_codec::{
    decode, decode_body, parse, split_frame, FrameStatus, Header, HEADER_LEN,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: VersionedPacket| {
    let VersionedPacket { version, packet } = input;
    let bytes = packet
        .to_bytes(version)
        .unwrap_or_else(|e| panic!("valid {} does not encode at {version}: {e}", packet.pdu.name()));
    assert_eq!(bytes.len(), packet.encoded_len(version), "encoded_len disagrees");
    assert_eq!(
        split_frame(&bytes, u32::MAX),
        Ok(FrameStatus::Complete(bytes.len())),
        "the frame is not exactly one packet"
    );
    let decoded = decode(bytes.clone(), version)
        .unwrap_or_else(|e| panic!("encoded {} does not decode: {e}", packet.pdu.name()));
    assert_eq!(decoded, packet, "decode gives a different packet");
    assert_eq!(
        parse::packet(&bytes, version),
        Ok((&[][..], packet.clone())),
        "parse::packet disagrees"
    );
    let header = Header::parse(&bytes).expect("a decoded frame has a header");
    assert_eq!(
        decode_body(&header, bytes.slice(HEADER_LEN..), version),
        Ok(packet.pdu),
        "decode_body disagrees"
    );
});
