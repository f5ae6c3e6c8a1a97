//! [`Text`]: the fixed-width, NUL-padded text field (SGIP `text[N]`, SMGP `oct[N]`, CMPP
//! `Octet String`), and [`TextError`] for values that cannot be stored in one.

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};

/// A value cannot be stored in a fixed-width text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// The value is longer than the field.
    #[error("value is {len} bytes, field holds {max}")]
    TooLong {
        /// Length of the value.
        len: usize,
        /// Field width.
        max: usize,
    },
    /// The value contains a NUL byte, which the wire format uses as padding.
    #[error("value contains a NUL byte at position {position}")]
    ContainsNul {
        /// Index of the NUL.
        position: usize,
    },
}

/// Fixed-length text field of `N` bytes, stored inline (no heap).
///
/// Decoding keeps the bytes before the first NUL, or the whole field when it is full (the
/// specs' strings are "not necessarily NUL terminated": SGIP fills CorpId and the time fields
/// completely, SMGP's FeeType "00" fills its field). Encoding pads with NUL. A value longer
/// than `N` or containing NUL cannot be built, so encoding never truncates. `N` is at most
/// 255 (every field of the three protocols is far narrower).
#[derive(Clone, Copy)]
pub struct Text<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> Text<N> {
    // Why a const: a `Text<300>` fails to compile instead of misreporting its length.
    const WIDTH_FITS_U8: () = assert!(N <= 255, "Text<N> needs N <= 255");

    /// The empty value (an all-NUL field on the wire).
    pub const EMPTY: Self = Text {
        bytes: [0; N],
        len: 0,
    };

    /// Builds from raw bytes; rejects values longer than `N` or containing NUL.
    pub fn new(value: &[u8]) -> Result<Self, TextError> {
        if value.len() > N {
            return Err(TextError::TooLong {
                len: value.len(),
                max: N,
            });
        }
        if let Some(position) = value.iter().position(|&b| b == 0) {
            return Err(TextError::ContainsNul { position });
        }
        Ok(Self::from_field(value))
    }

    /// Reads a wire field of at most `N` bytes: everything before the first NUL. A longer
    /// slice is read as its first `N` bytes.
    #[inline]
    pub fn from_field(field: &[u8]) -> Self {
        match field.first_chunk::<N>() {
            Some(full) => Self::from_array(full),
            None => {
                let mut bytes = [0u8; N];
                bytes[..field.len()].copy_from_slice(field);
                Self::from_array(&bytes)
            }
        }
    }

    /// Reads a wire field of exactly `N` bytes: everything before the first NUL.
    #[inline(always)]
    pub fn from_array(field: &[u8; N]) -> Self {
        let len = first_nul(field).unwrap_or(N);
        // The bytes after the value stay as received; they are never observed (equality,
        // hashing and `put` use only the first `len`), which keeps decoding to one copy.
        // `N` is at most 255 (checked at compile time below), so the length fits a u8.
        let () = Self::WIDTH_FITS_U8;
        Text {
            bytes: *field,
            len: len as u8,
        }
    }

    /// The value's bytes (without padding).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The value as text, replacing invalid UTF-8 sequences.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// Length of the value in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True for the empty value (an all-NUL field).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value as a decimal number; an empty field counts as 0 (gateways send fee fields
    /// all-NUL). `None` when it holds anything but ASCII digits or more than 19 of them.
    pub fn to_number(&self) -> Option<u64> {
        let digits = self.as_bytes();
        if digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')),
        )
    }

    /// Writes the value NUL-padded to `N` bytes, as one fixed-size slice: the padding is
    /// zeroed on a copy by a fixed-length loop (a few vector operations, no memset call).
    #[inline(always)]
    pub fn put(&self, dst: &mut BytesMut) {
        let len = usize::from(self.len);
        let mut out = self.bytes;
        for (k, b) in out.iter_mut().enumerate() {
            if k >= len {
                *b = 0;
            }
        }
        dst.put_slice(&out);
    }
}

/// Index of the first NUL byte in `bytes`, eight bytes per step.
///
/// In a little-endian word `w`, `(w - 0x01…01) & !w & 0x80…80` sets the top bit of the lowest
/// zero byte (borrows only run upwards, so the bits below the first zero byte are exact); its
/// trailing-zero count divided by 8 is that byte's index.
#[inline(always)]
fn first_nul(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |word: [u8; 8]| {
        let w = u64::from_le_bytes(word);
        let found = w.wrapping_sub(ONES) & !w & HIGHS;
        (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if let Some(at) = zero_byte(word) {
            return Some(base + at);
        }
        base += 8;
    }
    let tail = chunks.remainder();
    if tail.is_empty() {
        return None;
    }
    // Pad the tail with non-NUL bytes so the padding is never reported.
    let mut word = [0xffu8; 8];
    word[..tail.len()].copy_from_slice(tail);
    zero_byte(word).map(|at| base + at)
}

impl<const N: usize> PartialEq for Text<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for Text<N> {}

impl<const N: usize> std::hash::Hash for Text<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> TryFrom<&str> for Text<N> {
    type Error = TextError;
    fn try_from(value: &str) -> Result<Self, TextError> {
        Self::new(value.as_bytes())
    }
}

impl<const N: usize> std::str::FromStr for Text<N> {
    type Err = TextError;
    fn from_str(s: &str) -> Result<Self, TextError> {
        Self::new(s.as_bytes())
    }
}

impl<const N: usize> fmt::Display for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

impl<const N: usize> PartialEq<&str> for Text<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_field_without_nul_is_kept_whole() {
        let t = Text::<5>::from_field(b"61118");
        assert_eq!(t, "61118");
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn field_is_cut_at_first_nul() {
        let t = Text::<8>::from_field(b"ab\0cd\0\0\0");
        assert_eq!(t.as_bytes(), b"ab");
    }

    #[test]
    fn over_long_and_nul_values_are_rejected() {
        assert_eq!(
            Text::<2>::new(b"abc"),
            Err(TextError::TooLong { len: 3, max: 2 })
        );
        assert_eq!(
            Text::<4>::new(b"a\0"),
            Err(TextError::ContainsNul { position: 1 })
        );
    }

    #[test]
    fn first_nul_at_every_position() {
        for len in 0..=21 {
            for at in 0..len {
                let mut v = vec![7u8; len];
                v[at] = 0;
                v.iter_mut().skip(at + 1).for_each(|b| *b = 0);
                assert_eq!(first_nul(&v), Some(at), "len {len} at {at}");
            }
            assert_eq!(first_nul(&vec![7u8; len]), None);
        }
    }

    #[test]
    fn bytes_after_the_first_nul_are_dropped_and_not_written() {
        let t = Text::<8>::from_field(b"ab\0cd\0ef");
        let mut b = BytesMut::new();
        t.put(&mut b);
        assert_eq!(&b[..], b"ab\0\0\0\0\0\0");
        assert_eq!(t, Text::<8>::new(b"ab").unwrap());
    }

    #[test]
    fn put_pads_with_nul() {
        let mut b = BytesMut::new();
        Text::<6>::new(b"10").unwrap().put(&mut b);
        assert_eq!(&b[..], b"10\0\0\0\0");
    }

    #[test]
    fn empty_numeric_field_is_zero_and_junk_is_none() {
        assert_eq!(Text::<6>::EMPTY.to_number(), Some(0));
        assert_eq!(Text::<6>::new(b"99999").unwrap().to_number(), Some(99_999));
        assert_eq!(Text::<6>::new(b"9 9").unwrap().to_number(), None);
    }
}
