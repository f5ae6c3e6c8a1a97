//! The two sides of an SMGP link as [`sms_session::Protocol`]s (sans-IO, clock-free).

pub mod gateway;
pub mod sp;

pub use gateway::{GatewayAnswer, GatewayInbound, GatewaySession, InboundKind, SmgpGateway};
pub use sp::{SmgpSp, SpResponse, SpSession};

/// Writes `sequence_id` into bytes 8..12 (SequenceID) of an encoded packet.
fn set_sequence_id(frame: &mut [u8], sequence_id: u32) {
    if let Some(slot) = frame.get_mut(8..12) {
        slot.copy_from_slice(&sequence_id.to_be_bytes());
    }
}

/// SequenceID of an encoded packet, if its header is present.
fn sequence_id_of(frame: &[u8]) -> Option<u32> {
    let b = frame.get(8..12)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// RequestID of an encoded packet, if its header is present.
fn request_id_of(frame: &[u8]) -> Option<u32> {
    let b = frame.get(4..8)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// SequenceIDs: allocated by the sender, +1 per packet, wrapping through the whole u32
/// range (§1.2: 0x00000000–0xFFFFFFFF).
#[derive(Debug, Clone)]
struct Counter(u32);

impl Counter {
    fn next(&mut self) -> u32 {
        let s = self.0;
        self.0 = self.0.wrapping_add(1);
        s
    }
}
