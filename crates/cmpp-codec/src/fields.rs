//! Field primitives shared by every body: fixed-length Octet Strings and the writers for
//! status fields. The parsers for fields are in [`crate::parse`].

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};

use crate::error::{EncodeError, StringError};
use crate::Version;

/// Fixed-length Octet String field of capacity `N` bytes, stored inline (no heap).
///
/// Decoding takes the bytes up to the first NUL, or the whole field when it is full (real
/// gateways send full-width values without a terminator). Encoding right-pads with NUL. A value
/// longer than `N` or containing a NUL cannot be built, so encoders never truncate. Trailing
/// spaces are kept so numbers echo exactly as received.
///
/// ```
/// use cmpp_codec::{OctetString, StringError};
///
/// let sp: OctetString<6> = "900001".try_into().unwrap();
/// assert_eq!(sp, "900001");
/// assert_eq!(sp.as_bytes(), b"900001");
/// assert_eq!(
///     OctetString::<6>::try_from("9000012"),
///     Err(StringError::TooLong { len: 7, max: 6 })
/// );
/// assert!(OctetString::<6>::default().is_empty()); // all NUL on the wire
/// ```
#[derive(Clone, Copy)]
pub struct OctetString<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> OctetString<N> {
    /// The empty value (an all-NUL field on the wire).
    pub const EMPTY: Self = OctetString {
        bytes: [0; N],
        len: 0,
    };

    /// Builds from raw bytes; rejects values longer than `N` or containing NUL.
    pub fn new(value: &[u8]) -> Result<Self, StringError> {
        if value.len() > N {
            return Err(StringError::TooLong {
                len: value.len(),
                max: N,
            });
        }
        if let Some(position) = crate::fields::first_nul(value) {
            return Err(StringError::ContainsNul { position });
        }
        Ok(Self::from_field(value))
    }

    /// Reads a wire field: everything before the first NUL, at most `N` bytes. Bytes after
    /// the value are left in the array but never observed (equality and hashing use
    /// [`Self::as_bytes`]).
    #[inline(always)]
    pub(crate) fn from_field(field: &[u8]) -> Self {
        let bytes = match field.first_chunk::<N>() {
            // Hot path: the field is at least as wide as the capacity; a fixed-size copy.
            Some(full) => *full,
            None => {
                let mut bytes = [0u8; N];
                bytes[..field.len()].copy_from_slice(field);
                bytes
            }
        };
        let end = first_nul(&bytes).unwrap_or(N);
        OctetString {
            bytes,
            // N is at most a few dozen bytes for every CMPP field, so it fits a u8.
            len: end as u8,
        }
    }

    /// The value's bytes (without padding).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The value as UTF-8 text, or an error when it is not valid UTF-8.
    pub fn as_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(self.as_bytes())
    }

    /// The value as text, replacing invalid UTF-8 sequences.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// Length of the value in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when the value is empty (an all-NUL field).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks that the value fits a field of `width` bytes (fields narrower than `N` at 2.0).
    pub(crate) fn check_width(
        &self,
        field: &'static str,
        width: usize,
        version: Version,
    ) -> Result<(), EncodeError> {
        if self.len() > width {
            return Err(EncodeError::FieldTooLong {
                field,
                value: self.to_str_lossy().into_owned(),
                len: self.len(),
                max: width,
                version,
            });
        }
        Ok(())
    }

    /// Writes the value NUL-padded to `width` bytes. The caller checked `len() <= width`.
    pub(crate) fn put(&self, dst: &mut BytesMut, width: usize) {
        let value = self.as_bytes();
        dst.put_slice(value);
        dst.put_bytes(0, width.saturating_sub(value.len()));
    }
}

/// Index of the first NUL byte in `bytes`.
///
/// CMPP fields are 2 to 32 bytes, where the entry point `memchr::memchr` costs more than the
/// search (it dispatches at run time and cannot inline). On x86-64 this calls memchr's SSE2
/// searcher directly (SSE2 is part of the base instruction set): one vector compare for a
/// field of 16 bytes or more, a byte loop below that. Elsewhere memchr's portable
/// word-at-a-time searcher. Empty values (all-NUL fields such as an unset At_Time or LinkID)
/// are common enough to be answered from the first byte.
#[inline(always)]
pub(crate) fn first_nul(bytes: &[u8]) -> Option<usize> {
    if bytes.first() == Some(&0) {
        return Some(0);
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(0) {
        return one.find(bytes);
    }
    memchr::arch::all::memchr::One::new(0).find(bytes)
}

impl<const N: usize> PartialEq for OctetString<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for OctetString<N> {}

impl<const N: usize> std::hash::Hash for OctetString<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> Default for OctetString<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> TryFrom<&str> for OctetString<N> {
    type Error = StringError;
    fn try_from(value: &str) -> Result<Self, StringError> {
        Self::new(value.as_bytes())
    }
}

impl<const N: usize> TryFrom<&[u8]> for OctetString<N> {
    type Error = StringError;
    fn try_from(value: &[u8]) -> Result<Self, StringError> {
        Self::new(value)
    }
}

impl<const N: usize> std::str::FromStr for OctetString<N> {
    type Err = StringError;
    fn from_str(s: &str) -> Result<Self, StringError> {
        Self::new(s.as_bytes())
    }
}

impl<const N: usize> fmt::Display for OctetString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

impl<const N: usize> fmt::Debug for OctetString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

impl<const N: usize> PartialEq<str> for OctetString<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> PartialEq<&str> for OctetString<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

#[cfg(feature = "serde")]
impl<const N: usize> serde::Serialize for OctetString<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_str_lossy())
    }
}

// ---------------------------------------------------------------------------------------
// writers

/// Checks that a status value fits its wire width at `version` (a u8 on 2.0).
pub(crate) fn check_status(
    field: &'static str,
    value: u32,
    version: Version,
) -> Result<(), EncodeError> {
    match version {
        Version::V30 => Ok(()),
        Version::V20 => check_status_u8(field, value).map(|_| ()),
    }
}

/// Writes a status value at its wire width; the caller ran [`check_status`] first.
pub(crate) fn put_status(dst: &mut BytesMut, value: u32, version: Version) {
    match version {
        Version::V30 => dst.put_u32(value),
        // Checked to fit by `check_status`; truncation cannot happen here.
        Version::V20 => dst.put_u8(value as u8),
    }
}

/// Checks that a status fits the 1-byte width of 2.0.
pub(crate) fn check_status_u8(field: &'static str, value: u32) -> Result<u8, EncodeError> {
    u8::try_from(value).map_err(|_| EncodeError::ValueTooWide {
        field,
        value,
        width: 1,
        version: Version::V20,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_field_without_nul_is_kept_whole() {
        let s = OctetString::<10>::from_field(b"cmcczx_sms");
        assert_eq!(s, "cmcczx_sms");
        assert_eq!(s.len(), 10);
    }

    #[test]
    fn field_is_cut_at_first_nul() {
        let s = OctetString::<10>::from_field(b"test\0\0xy\0\0");
        assert_eq!(s.as_bytes(), b"test");
        assert_eq!(s.as_str(), Ok("test"));
    }

    #[test]
    fn value_ends_at_the_earliest_nul_at_every_position() {
        for len in 0..=32usize {
            // No NUL at all: every non-zero byte value, including 0x01 and 0x80, is kept.
            let filled: Vec<u8> = (0..len).map(|k| [0x01, 0x80, 0xff, b'7'][k % 4]).collect();
            assert_eq!(
                OctetString::<32>::from_field(&filled).len(),
                len,
                "len {len}"
            );
            for at in 0..len {
                let mut v = filled.clone();
                v[at] = 0;
                // A second NUL later changes nothing.
                v[len - 1] = 0;
                assert_eq!(
                    OctetString::<32>::from_field(&v).as_bytes(),
                    &filled[..at],
                    "len {len} nul at {at}"
                );
            }
        }
    }

    #[test]
    fn short_field_is_padded_and_cut_at_its_end() {
        let s = OctetString::<32>::from_field(b"13800138000\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(s, "13800138000");
        let full21 = OctetString::<32>::from_field(b"123456789012345678901");
        assert_eq!(full21.len(), 21);
        assert_eq!(OctetString::<20>::from_field(b"").len(), 0);
        let long = OctetString::<8>::from_field(b"12345678extra");
        assert_eq!(long, "12345678");
    }

    #[test]
    fn over_long_and_nul_values_are_rejected() {
        assert_eq!(
            OctetString::<6>::try_from("9000011"),
            Err(StringError::TooLong { len: 7, max: 6 })
        );
        assert_eq!(
            OctetString::<6>::try_from("90\u{0}1"),
            Err(StringError::ContainsNul { position: 2 })
        );
        assert!(OctetString::<6>::try_from("900001").is_ok());
    }

    #[test]
    fn put_pads_with_nul() {
        let s = OctetString::<21>::try_from("900001").unwrap();
        let mut dst = BytesMut::new();
        s.put(&mut dst, 21);
        assert_eq!(&dst[..], b"900001\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn width_check_names_field() {
        let s = OctetString::<32>::try_from("1234567890123456789012345").unwrap();
        let err = s
            .check_width("Dest_terminal_Id", 21, Version::V20)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Dest_terminal_Id '1234567890123456789012345' is 25 bytes, field holds 21 on CMPP 2.0"
        );
    }

    #[test]
    fn status_width_u8_rejects_large_values() {
        assert_eq!(check_status_u8("Result", 255), Ok(255));
        assert!(matches!(
            check_status_u8("Result", 256),
            Err(EncodeError::ValueTooWide { value: 256, .. })
        ));
    }
}
