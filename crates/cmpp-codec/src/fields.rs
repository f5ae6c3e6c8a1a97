//! Field primitives shared by every body: fixed-length Octet Strings, big-endian integers,
//! and the nom parsers/writers for them.

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, BytesMut};

use crate::error::{DecodeProblem, EncodeError, StringError};
use crate::Version;

/// Fixed-length Octet String field of capacity `N` bytes, stored inline (no heap).
///
/// Decoding takes the bytes up to the first NUL, or the whole field when it is full (real
/// gateways send full-width values without a terminator). Encoding right-pads with NUL. A value
/// longer than `N` or containing a NUL cannot be built, so encoders never truncate. Trailing
/// spaces are kept so numbers echo exactly as received.
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
        if let Some(position) = value.iter().position(|&b| b == 0) {
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

/// Index of the first NUL byte in `bytes`, scanning eight bytes per step.
///
/// In a little-endian word `w`, `(w - 0x01…01) & !w & 0x80…80` sets the top bit of the lowest
/// zero byte (borrows only run upwards, so bits below the first zero byte are exact); its
/// trailing-zero count divided by 8 is that byte's index.
#[inline(always)]
pub(crate) fn first_nul(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn zero_byte(word: [u8; 8]) -> Option<usize> {
        let w = u64::from_le_bytes(word);
        let found = w.wrapping_sub(ONES) & !w & HIGHS;
        (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
    }
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

// ---------------------------------------------------------------------------------------
// nom parsers. The error carries the field name and the input at the start of the field,
// from which the caller computes the byte offset.

/// A parse failure inside a body: which field, where (as the remaining input), and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldError<'a> {
    pub(crate) rest: &'a [u8],
    pub(crate) field: &'static str,
    pub(crate) problem: DecodeProblem,
}

impl<'a> nom::error::ParseError<&'a [u8]> for FieldError<'a> {
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        FieldError {
            rest: input,
            field: "body",
            problem: DecodeProblem::Truncated {
                needed: input.len() + 1,
                remaining: input.len(),
            },
        }
    }

    fn append(_input: &'a [u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Result type of the body parsers (nom `IResult` with a field-naming error).
pub(crate) type PResult<'a, T> = nom::IResult<&'a [u8], T, FieldError<'a>>;

/// The nom error for `field` failing with `problem`, where `rest` starts at the field.
pub(crate) fn field_error<'a>(
    rest: &'a [u8],
    field: &'static str,
    problem: DecodeProblem,
) -> nom::Err<FieldError<'a>> {
    nom::Err::Error(FieldError {
        rest,
        field,
        problem,
    })
}

/// Fails the parse at `rest` (the start of `field`).
#[cold]
#[inline(never)]
pub(crate) fn fail<'a, T>(
    rest: &'a [u8],
    field: &'static str,
    problem: DecodeProblem,
) -> PResult<'a, T> {
    Err(field_error(rest, field, problem))
}

/// Takes exactly `n` bytes as field `field`.
#[inline(always)]
pub(crate) fn take<'a>(i: &'a [u8], field: &'static str, n: usize) -> PResult<'a, &'a [u8]> {
    if i.len() < n {
        return fail(
            i,
            field,
            DecodeProblem::Truncated {
                needed: n,
                remaining: i.len(),
            },
        );
    }
    let (value, rest) = i.split_at(n);
    Ok((rest, value))
}

/// Takes a fixed-size array (authenticators, Stat).
#[inline(always)]
pub(crate) fn array<'a, const K: usize>(i: &'a [u8], field: &'static str) -> PResult<'a, [u8; K]> {
    match i.split_first_chunk::<K>() {
        Some((v, rest)) => Ok((rest, *v)),
        None => fail(
            i,
            field,
            DecodeProblem::Truncated {
                needed: K,
                remaining: i.len(),
            },
        ),
    }
}

/// A u8 field.
#[inline(always)]
pub(crate) fn be_u8<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u8> {
    let (rest, [v]) = array::<1>(i, field)?;
    Ok((rest, v))
}

/// A big-endian u32 field.
#[inline(always)]
pub(crate) fn be_u32<'a>(i: &'a [u8], field: &'static str) -> PResult<'a, u32> {
    let (rest, v) = array::<4>(i, field)?;
    Ok((rest, u32::from_be_bytes(v)))
}

/// A status field that is 1 byte or 4 bytes wide (chosen by the caller from the body length).
#[inline]
pub(crate) fn status<'a>(i: &'a [u8], field: &'static str, width: usize) -> PResult<'a, u32> {
    if width == 4 {
        be_u32(i, field)
    } else {
        let (rest, v) = be_u8(i, field)?;
        Ok((rest, u32::from(v)))
    }
}

/// A fixed-width Octet String field of `width` (≤ N) wire bytes.
#[inline(always)]
pub(crate) fn octets<'a, const N: usize>(
    i: &'a [u8],
    field: &'static str,
    width: usize,
) -> PResult<'a, OctetString<N>> {
    let (rest, v) = take(i, field, width)?;
    Ok((rest, OctetString::from_field(v)))
}

/// An optional trailing string field ("whatever is left", up to `width` bytes): a missing
/// field is empty, extra bytes after it are ignored. Real gateways send short or long tails.
#[inline]
pub(crate) fn trailing<const N: usize>(i: &[u8], width: usize) -> OctetString<N> {
    OctetString::from_field(&i[..i.len().min(width)])
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
    fn first_nul_finds_the_earliest_nul_at_every_position() {
        for len in 0..=40usize {
            // No NUL at all: every byte value above 0, including 0x80 and 0x01 (the bytes
            // the word trick subtracts and masks), must not be mistaken for one.
            let filled: Vec<u8> = (0..len).map(|k| [0x01, 0x80, 0xff, b'7'][k % 4]).collect();
            assert_eq!(first_nul(&filled), None, "len {len}");
            for at in 0..len {
                let mut v = filled.clone();
                v[at] = 0;
                assert_eq!(first_nul(&v), Some(at), "len {len} nul at {at}");
                // A second NUL later, and 0x01 bytes after the first, change nothing.
                if at + 1 < len {
                    v[len - 1] = 0;
                    v[at + 1] = 0x01;
                    assert_eq!(first_nul(&v), Some(at), "len {len} nul at {at} (two)");
                }
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
    fn trailing_tolerates_short_and_long_tails() {
        assert!(trailing::<20>(b"", 20).is_empty());
        assert_eq!(trailing::<20>(b"abc", 20), "abc");
        assert_eq!(trailing::<8>(b"12345678extra", 8), "12345678");
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
