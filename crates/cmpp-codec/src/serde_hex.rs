//! Serde helpers: byte fields serialise as lowercase hex strings (readable in `cmpp decode`).

use std::fmt::Write;

fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Serialises `Bytes` as a hex string.
pub(crate) fn bytes<S: serde::Serializer>(v: &bytes::Bytes, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(v))
}

/// Serialises a byte array (authenticators) as a hex string.
pub(crate) fn array<S: serde::Serializer, const N: usize>(
    v: &[u8; N],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(v))
}
