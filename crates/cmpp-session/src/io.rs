//! Byte-stream helpers shared by client and server: frame splitting over a read buffer.

use bytes::{Bytes, BytesMut};
use cmpp_codec::frame::{CommandId, Header, HEADER_LEN};
use cmpp_codec::{split_frame, FrameError, FrameStatus};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::tcp::OwnedReadHalf;

/// Read buffer size: large enough for a few hundred packets per read system call.
const READ_CHUNK: usize = 64 * 1024;

/// Why a byte stream cannot be read any further.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection.
    #[error("connection closed by peer")]
    Eof,
    /// Total_Length is impossible; the stream cannot be resynchronised.
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    /// The header names no CMPP command: the stream is out of step (e.g. a previous packet
    /// carried more bytes than its Total_Length).
    #[error("stream desynchronised: unknown Command_Id 0x{0:08x}")]
    Desync(u32),
}

/// Buffers reads and splits complete frames (`split_to(len).freeze()`, no copies).
#[derive(Debug)]
pub(crate) struct FrameReader {
    buf: BytesMut,
    max_len: u32,
}

impl FrameReader {
    pub(crate) fn new(max_len: u32) -> Self {
        FrameReader {
            buf: BytesMut::with_capacity(READ_CHUNK),
            max_len,
        }
    }

    /// The next complete frame already buffered, if any.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Bytes>, StreamError> {
        match split_frame(&self.buf, self.max_len)? {
            FrameStatus::NeedMore => {
                if self.buf.len() >= HEADER_LEN {
                    check_command(&self.buf)?;
                }
                Ok(None)
            }
            FrameStatus::Complete(n) => {
                check_command(&self.buf)?;
                Ok(Some(self.buf.split_to(n).freeze()))
            }
        }
    }

    /// Bytes received and not yet taken as frames.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Reads more bytes (cancel-safe: a cancelled read loses nothing).
    pub(crate) async fn fill<R: AsyncRead + Unpin>(
        &mut self,
        r: &mut R,
    ) -> Result<(), StreamError> {
        self.make_room();
        let n = r.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(StreamError::Eof);
        }
        Ok(())
    }

    /// Reads what the socket holds right now without waiting: `Ok(true)` if bytes were
    /// read, `Ok(false)` if none were available.
    pub(crate) fn try_fill(&mut self, r: &OwnedReadHalf) -> Result<bool, StreamError> {
        self.make_room();
        match r.try_read_buf(&mut self.buf) {
            Ok(0) => Err(StreamError::Eof),
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn make_room(&mut self) {
        if self.buf.capacity() - self.buf.len() < 4096 {
            // Reclaims the consumed front when no frame still refers to it.
            self.buf.reserve(READ_CHUNK);
        }
    }
}

fn check_command(buf: &[u8]) -> Result<(), StreamError> {
    if let Ok(h) = Header::parse(buf) {
        if !is_plausible(h.command_id) {
            return Err(StreamError::Desync(h.command_id.0));
        }
    }
    Ok(())
}

/// Known CMPP commands, including ISMG⇄ISMG ones (FWD 0x9, MT/MO route 0x10–0x17, PUSH
/// route 0x14, …), so a legitimate unknown command is not mistaken for a desync.
fn is_plausible(id: CommandId) -> bool {
    let base = id.0 & 0x7FFF_FFFF;
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
        let mut r = FrameReader::new(4096);
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
        let mut r = FrameReader::new(4096);
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
