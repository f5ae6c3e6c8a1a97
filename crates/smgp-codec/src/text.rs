//! [`Text`]: the fixed-length octet-string field of SMGP (`oct[N]` in the digest).

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};

use crate::error::TextError;

/// Fixed-length text field of `N` bytes, stored inline (no heap).
///
/// Decoding keeps the bytes before the first NUL, or the whole field when it is full (the
/// spec's octet strings are "not necessarily NUL terminated"; FeeType "00" fills its field).
/// Encoding pads with NUL.
/// A value longer than `N` or containing NUL cannot be built, so encoding never truncates.
#[derive(Clone, Copy)]
pub struct Text<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> Text<N> {
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

    /// Reads a wire field of at most `N` bytes: everything before the first NUL.
    #[inline]
    pub(crate) fn from_field(field: &[u8]) -> Self {
        let field = field.get(..N).unwrap_or(field);
        let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        let mut bytes = [0u8; N];
        bytes[..len].copy_from_slice(&field[..len]);
        // Every SMGP octet field is at most 21 bytes wide, so the length fits a u8.
        Text {
            bytes,
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
    /// all-NUL). `None` when it holds anything but ASCII digits.
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

    /// Writes the value NUL-padded to `N` bytes.
    #[inline]
    pub(crate) fn put(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.bytes[..usize::from(self.len)]);
        dst.put_bytes(0, N - usize::from(self.len));
    }
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
