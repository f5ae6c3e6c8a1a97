//! Reading SMGP frames from a byte stream.

use bytes::{Bytes, BytesMut};
use smgp_codec::{split_frame, FrameError, FrameStatus, Header, HEADER_LEN};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Read buffer size.
const READ_CHUNK: usize = 16 * 1024;

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
    /// PacketLength is impossible; the stream cannot be resynchronised.
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    /// The header names no SMGP command: the stream is out of step.
    #[error("stream desynchronised: unknown RequestID 0x{0:08x}")]
    Desync(u32),
}

/// Buffers reads and splits complete frames (without copying them).
#[derive(Debug)]
pub struct FrameReader {
    buf: BytesMut,
    max_len: u32,
}

impl FrameReader {
    /// A reader refusing frames longer than `max_len` bytes.
    pub fn new(max_len: u32) -> Self {
        FrameReader {
            buf: BytesMut::with_capacity(READ_CHUNK),
            max_len,
        }
    }

    /// The next complete frame already buffered, if any.
    pub fn next_frame(&mut self) -> Result<Option<Bytes>, StreamError> {
        let status = split_frame(&self.buf, self.max_len)?;
        if self.buf.len() >= HEADER_LEN {
            check_command(&self.buf)?;
        }
        match status {
            FrameStatus::NeedMore => Ok(None),
            FrameStatus::Complete(n) => Ok(Some(self.buf.split_to(n).freeze())),
        }
    }

    /// Reads more bytes (cancel-safe: a cancelled read loses nothing).
    pub async fn fill<R: AsyncRead + Unpin>(&mut self, r: &mut R) -> Result<(), StreamError> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(READ_CHUNK);
        }
        if r.read_buf(&mut self.buf).await? == 0 {
            return Err(StreamError::Eof);
        }
        Ok(())
    }

    /// Reads until one whole frame is buffered and returns it.
    pub async fn read_frame<R: AsyncRead + Unpin>(
        &mut self,
        r: &mut R,
    ) -> Result<Bytes, StreamError> {
        loop {
            if let Some(frame) = self.next_frame()? {
                return Ok(frame);
            }
            self.fill(r).await?;
        }
    }

    /// Bytes received and not yet taken as frames (a peer may send right after its
    /// Login_Resp; they belong to the session).
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Hands the unread bytes over.
    pub fn into_buffered(self) -> BytesMut {
        self.buf
    }
}

fn check_command(buf: &[u8]) -> Result<(), StreamError> {
    if let Ok(h) = Header::parse(buf) {
        // Every SMGP RequestID, SMGW⇄SMGW and route commands included (0x01–0x12), as a
        // request or a response: anything else means the stream lost its framing.
        let base = h.command_id.0 & 0x7FFF_FFFF;
        if !(1..=0x12).contains(&base) {
            return Err(StreamError::Desync(h.command_id.0));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn splits_frames_across_reads_and_detects_desync_and_eof() {
        // Active_Test, then a 13-byte Active_Test_Resp (quirk 6), then garbage.
        let mut wire: Vec<u8> = vec![0, 0, 0, 12, 0, 0, 0, 4, 0, 0, 0, 1];
        wire.extend_from_slice(&[0, 0, 0, 13, 0x80, 0, 0, 4, 0, 0, 0, 2, 0]);
        wire.extend_from_slice(&[0, 0, 0, 12, 0x30, 0x78, 0, 0, 0, 0, 0, 3]);
        let mut r = FrameReader::new(4096);
        let mut src = &wire[..];
        assert_eq!(r.read_frame(&mut src).await.unwrap().len(), 12);
        assert_eq!(r.read_frame(&mut src).await.unwrap().len(), 13);
        assert!(matches!(
            r.next_frame(),
            Err(StreamError::Desync(0x3078_0000))
        ));
        let mut r = FrameReader::new(4096);
        let mut cut: &[u8] = &[0, 0, 0, 12, 0, 0];
        assert!(matches!(
            r.read_frame(&mut cut).await,
            Err(StreamError::Eof)
        ));
        assert_eq!(r.buffered().len(), 6);
        let mut huge: &[u8] = &[0, 1, 0, 0, 0, 0, 0, 2];
        assert!(matches!(
            FrameReader::new(4096).read_frame(&mut huge).await,
            Err(StreamError::Frame(FrameError::TooLong { .. }))
        ));
    }
}
