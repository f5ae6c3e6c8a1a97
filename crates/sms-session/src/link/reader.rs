//! Reassembly of TCP reads into length-first frames (all three protocols start every packet
//! with its total length as a big-endian u32).

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::tcp::OwnedReadHalf;

const READ_CHUNK: usize = 64 * 1024;

/// A declared packet length the stream cannot continue from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BadLength {
    /// Shorter than the header.
    #[error("packet length {length} is shorter than the {min}-byte header")]
    TooShort {
        /// The declared length.
        length: u32,
        /// The header size.
        min: u32,
    },
    /// Longer than the configured limit.
    #[error("packet length {length} exceeds the limit of {max} bytes")]
    TooLong {
        /// The declared length.
        length: u32,
        /// The limit.
        max: u32,
    },
}

/// Why a stream cannot be read any further.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The peer closed the connection.
    #[error("connection closed by peer")]
    Eof,
    /// An impossible length: the stream cannot be resynchronised.
    #[error("bad frame: {0}")]
    Frame(#[from] BadLength),
    /// A header naming no command of the protocol: the stream is out of step.
    #[error("stream desynchronised: unknown command 0x{0:08x}")]
    Desync(u32),
}

/// Splits a byte stream into frames: `header_len`-byte headers whose first 4 bytes are the
/// total length and next 4 the command.
#[derive(Debug)]
pub struct FrameReader {
    buf: BytesMut,
    header_len: usize,
    max_len: u32,
    plausible: fn(u32) -> bool,
}

impl FrameReader {
    /// A reader of frames of at most `max_len` bytes; `plausible` tells known commands apart.
    pub fn new(header_len: usize, max_len: u32, plausible: fn(u32) -> bool) -> Self {
        FrameReader {
            buf: BytesMut::with_capacity(READ_CHUNK),
            header_len: header_len.max(8),
            max_len,
            plausible,
        }
    }

    /// The next complete frame, `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Bytes>, StreamError> {
        // The length is judged as soon as it is there: a peer that sends an impossible one
        // and waits must not hold the connection open.
        let Some(word) = self.buf.first_chunk::<4>() else {
            return Ok(None);
        };
        let length = u32::from_be_bytes(*word);
        let min = self.header_len as u32;
        if length < min {
            return Err(BadLength::TooShort { length, min }.into());
        }
        if length > self.max_len {
            return Err(BadLength::TooLong {
                length,
                max: self.max_len,
            }
            .into());
        }
        if let Some(c) = self.buf.get(4..8) {
            let command = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
            if !(self.plausible)(command) {
                return Err(StreamError::Desync(command));
            }
        }
        if self.buf.len() < length as usize {
            return Ok(None);
        }
        Ok(Some(self.buf.split_to(length as usize).freeze()))
    }

    /// Bytes read and not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Reads more bytes; `Eof` when the peer closed.
    pub async fn fill<R: AsyncRead + Unpin>(&mut self, r: &mut R) -> Result<(), StreamError> {
        self.make_room();
        let n = r.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(StreamError::Eof);
        }
        Ok(())
    }

    /// Reads what is available without waiting; `Ok(false)` when nothing was.
    pub fn try_fill(&mut self, r: &OwnedReadHalf) -> Result<bool, StreamError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn known(c: u32) -> bool {
        (c & 0x7FFF_FFFF) <= 8
    }

    #[tokio::test]
    async fn splits_frames_and_refuses_impossible_lengths_and_commands() {
        let mut wire: Vec<u8> = vec![0, 0, 0, 12, 0, 0, 0, 8, 0, 0, 0, 1];
        wire.extend_from_slice(&[0, 0, 0, 13, 0x80, 0, 0, 8, 0, 0, 0, 2, 0]);
        wire.extend_from_slice(&[0, 0, 0, 12, 0, 0, 0, 9, 0, 0, 0, 3]);
        let mut r = FrameReader::new(12, 4096, known);
        let mut src = &wire[..];
        r.fill(&mut src).await.unwrap();
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 12);
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 13);
        assert!(matches!(r.next_frame(), Err(StreamError::Desync(9))));

        let mut r = FrameReader::new(12, 4096, known);
        let mut src: &[u8] = &[0, 0, 0, 11, 0, 0, 0, 8];
        r.fill(&mut src).await.unwrap();
        assert!(matches!(
            r.next_frame(),
            Err(StreamError::Frame(BadLength::TooShort { length: 11, .. }))
        ));
        let mut r = FrameReader::new(12, 4096, known);
        let mut src: &[u8] = &[0, 1, 0, 0];
        r.fill(&mut src).await.unwrap();
        assert!(matches!(
            r.next_frame(),
            Err(StreamError::Frame(BadLength::TooLong { length: 65536, .. }))
        ));
        let mut src: &[u8] = &[];
        assert!(matches!(r.fill(&mut src).await, Err(StreamError::Eof)));
    }

    #[tokio::test]
    async fn waits_for_the_rest_of_a_frame() {
        let mut r = FrameReader::new(12, 4096, known);
        let mut src: &[u8] = &[0, 0, 0, 14, 0, 0, 0, 4, 0, 0];
        r.fill(&mut src).await.unwrap();
        assert!(r.next_frame().unwrap().is_none());
        let mut src: &[u8] = &[0, 7, 1, 2];
        r.fill(&mut src).await.unwrap();
        assert_eq!(r.next_frame().unwrap().unwrap().len(), 14);
        assert_eq!(r.buffered(), 0);
    }
}
