//! JSON output (feature `serde`) as used by `cmpp decode`.
#![cfg(feature = "serde")]

mod vectors;

use bytes::Bytes;
use cmpp_codec::{decode, Version};

#[test]
fn status_report_deliver_serialises_readably() {
    let p = decode(
        Bytes::from(vectors::bytes(vectors::TV11_DELIVER_REPORT_V20)),
        Version::V20,
    )
    .unwrap();
    let v = serde_json::to_value(&p).unwrap();
    let d = &v["pdu"]["Deliver"];
    assert_eq!(d["dest_id"], "10690549222223");
    assert_eq!(d["msg_id"]["digits"], "1028230647000001100001");
    assert_eq!(d["msg_id"]["gateway"], 11);
    let r = &d["content"]["Report"];
    assert_eq!(r["stat"], "DELIVRD");
    assert_eq!(r["dest_terminal_id"], "18026901024");
    assert_eq!(r["msg_id"]["hex"], "0xae5c6bc0000b0001");
}

#[test]
fn content_and_authenticators_serialise_as_hex() {
    let mo = decode(
        Bytes::from(vectors::bytes(vectors::TV09_DELIVER_MO_V20)),
        Version::V20,
    )
    .unwrap();
    let v = serde_json::to_value(&mo).unwrap();
    assert_eq!(
        v["pdu"]["Deliver"]["content"]["Message"],
        hex::encode(b"This is a test MO.")
    );
    let c = decode(
        Bytes::from(vectors::bytes(vectors::TV01_CONNECT_V21)),
        Version::V20,
    )
    .unwrap();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(
        v["pdu"]["Connect"]["authenticator_source"],
        "90d00c1d517abd0b4f65f6bcf8535d16"
    );
    assert_eq!(v["pdu"]["Connect"]["source_addr"], "900001");
    assert_eq!(v["sequence_id"], 0x17);
}
