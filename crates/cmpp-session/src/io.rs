//! Byte-stream helpers shared by client and server: CMPP framing over the session core's
//! frame reader.

use cmpp_codec::frame::{CommandId, HEADER_LEN};

pub use sms_session::link::{BadLength, FrameReader, StreamError};

/// A frame reader for CMPP: 12-byte headers, frames of at most `max_len` bytes.
pub(crate) fn reader(max_len: u32) -> FrameReader {
    FrameReader::new(HEADER_LEN, max_len, is_plausible)
}

/// True for the Command_Ids of CMPP 2.0/3.0 (and their responses).
pub(crate) fn is_plausible(command: u32) -> bool {
    let base = CommandId(command).0 & 0x7FFF_FFFF;
    (1..=0x17).contains(&base) && base != 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn splits_frames_and_detects_desync() {
        let mut wire: Vec<u8> = vec![0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 1];
        // ACTIVE_TEST_RESP declared 13 bytes but sent as 16 ("0x00" as text).
        wire.extend_from_slice(&[0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 2]);
        wire.extend_from_slice(b"0x00");
        wire.extend_from_slice(&[0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 3]);
        let mut r = reader(4096);
        let mut src = &wire[..];
        r.fill(&mut src).await.unwrap();
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 12);
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 13);
        // "x00" + 0x00 as Total_Length is far above the limit.
        assert!(matches!(r.next_frame(), Err(StreamError::Frame(_))));
    }

    #[tokio::test]
    async fn unknown_command_is_desync_and_eof_is_reported() {
        let wire = [0u8, 0, 0, 12, 0x30, 0x78, 0, 0, 0, 0, 0, 1];
        let mut r = reader(4096);
        let mut src = &wire[..];
        r.fill(&mut src).await.unwrap();
        assert!(matches!(
            r.next_frame(),
            Err(StreamError::Desync(0x3078_0000))
        ));
        let mut empty: &[u8] = &[];
        assert!(matches!(r.fill(&mut empty).await, Err(StreamError::Eof)));
    }
}
