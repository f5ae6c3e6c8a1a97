//! The two sides of an SMGP link as [`sms_session::Protocol`]s (sans-IO, clock-free).

pub mod gateway;
pub mod sp;

pub use gateway::{GatewayAnswer, GatewayInbound, GatewaySession, InboundKind, SmgpGateway};
pub use sp::{SmgpSp, SpResponse, SpSession};

use sms_session::link::FrameReader;

/// A frame reader for SMGP: 12-byte headers, packets of at most `max_len` bytes, SMGP's
/// RequestIDs only.
pub fn reader(max_len: u32) -> FrameReader {
    FrameReader::new(smgp_codec::HEADER_LEN, max_len, is_plausible)
}

/// True for every SMGP RequestID (SMGW⇄SMGW and route commands included, 0x01–0x12), as a
/// request or a response: anything else means the stream lost its framing.
pub fn is_plausible(command: u32) -> bool {
    (1..=0x12).contains(&(command & 0x7FFF_FFFF))
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use sms_session::link::StreamError;

    #[tokio::test]
    async fn reader_splits_smgp_frames_and_detects_desync() {
        // Active_Test, a 13-byte Active_Test_Resp (quirk 6), a Forward_Resp (SMGW⇄SMGW, still
        // SMGP), then garbage.
        let mut wire: Vec<u8> = vec![0, 0, 0, 12, 0, 0, 0, 4, 0, 0, 0, 1];
        wire.extend_from_slice(&[0, 0, 0, 13, 0x80, 0, 0, 4, 0, 0, 0, 2, 0]);
        wire.extend_from_slice(&[0, 0, 0, 12, 0x80, 0, 0, 5, 0, 0, 0, 3]);
        wire.extend_from_slice(&[0, 0, 0, 12, 0x30, 0x78, 0, 0, 0, 0, 0, 4]);
        let mut r = reader(4096);
        let mut src = &wire[..];
        r.fill(&mut src).await.unwrap();
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 12);
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 13);
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 12);
        assert!(matches!(
            r.next_frame(),
            Err(StreamError::Desync(0x3078_0000))
        ));
        assert!(!is_plausible(0) && !is_plausible(0x13) && is_plausible(0x8000_0012));
    }
}
