//! Unbind and Unbind_Resp: header-only by the spec.

use bytes::Bytes;

/// Unbind or Unbind_Resp. The spec gives them no body, but go_sgip's mock SMG answers with a
/// 29-byte Unbind_Resp (a Result and Reserve appended); any such bytes are accepted and kept
/// here so the packet re-encodes exactly. Leave `extra` empty when sending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unbind {
    /// Bytes after the header that the spec does not define.
    pub extra: Bytes,
}
