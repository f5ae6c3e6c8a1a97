//! Active_Test, Exit and their responses: header-only by the spec.

use bytes::Bytes;

/// A header-only PDU. Some peers append bytes (a 13-byte Active_Test_Resp with a CMPP-style
/// reserved byte); they are accepted and kept so the packet re-encodes exactly. Leave
/// `extra` empty when sending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bodiless {
    /// Bytes after the header that the spec does not define.
    pub extra: Bytes,
}
