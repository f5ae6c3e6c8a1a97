//! Mainland China mobile numbers: parsing, normalisation and a compact form.

use std::fmt;

/// An 11-digit mainland mobile number (`1` then `3`–`9`, then 9 digits), stored as an integer.
///
/// Parsing allocates nothing, and the value is `Copy`, so it is cheap on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MobileNumber(u64);

/// Why a text is not a mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// Nothing was given.
    #[error("empty number")]
    Empty,
    /// A character that is neither a digit nor an accepted prefix or separator.
    #[error("unexpected character {ch:?} at position {pos}")]
    BadChar {
        /// The character.
        ch: char,
        /// Its character position, from 0.
        pos: usize,
    },
    /// A separator (space, dash) while separators are not accepted.
    #[error("separator {ch:?} at position {pos} (separators are not accepted)")]
    Separator {
        /// The separator.
        ch: char,
        /// Its character position, from 0.
        pos: usize,
    },
    /// Not 11 digits once the country prefix is removed.
    #[error("{digits} digits; a mobile number has 11 (optionally after 86, +86 or 0086)")]
    Length {
        /// Number of digits after the country prefix.
        digits: usize,
    },
    /// 11 digits that are not a mobile number (they must start with 13–19).
    #[error("not a mainland mobile number (must start with 13–19)")]
    NotMobile,
}

/// How strictly destination texts are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NumberFormat {
    /// Drop spaces and dashes anywhere (`+86 138-0013-8000`); when false they are refused.
    pub strip_separators: bool,
}

impl MobileNumber {
    /// The number from its 11-digit integer value, if it is a mobile number.
    pub fn from_u64(value: u64) -> Option<Self> {
        (13_000_000_000..20_000_000_000)
            .contains(&value)
            .then_some(MobileNumber(value))
    }

    /// The 11-digit value.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Reads a number strictly: 11 digits, optionally after `86`, `+86` or `0086`.
    pub fn parse(text: &str) -> Result<Self, NumberError> {
        Self::parse_with(text, NumberFormat::default())
    }

    /// Reads a number with the given format rules.
    ///
    /// Accepted: `13800138000`, `8613800138000`, `+8613800138000`, `008613800138000`.
    /// Refused: a national trunk `0` (`013800138000`, ambiguous with landline dialling),
    /// 10 or 12 digits, letters, full-width digits, empty text.
    pub fn parse_with(text: &str, format: NumberFormat) -> Result<Self, NumberError> {
        // Digits are gathered into a fixed array: no allocation, and at most 15 are ever
        // meaningful (0086 + 11), so longer inputs are cut short as a length error.
        let mut digits = [0u8; 16];
        let mut n = 0usize;
        let mut plus = false;
        let mut seen_any = false;
        for (pos, ch) in text.chars().enumerate() {
            match ch {
                '0'..='9' => {
                    if n < digits.len() {
                        digits[n] = ch as u8 - b'0';
                    }
                    n += 1;
                    seen_any = true;
                }
                '+' if !seen_any && !plus => {
                    plus = true;
                    seen_any = true;
                }
                ' ' | '-' => {
                    if !format.strip_separators {
                        return Err(NumberError::Separator { ch, pos });
                    }
                }
                _ => return Err(NumberError::BadChar { ch, pos }),
            }
        }
        if n == 0 {
            return Err(if plus {
                NumberError::Length { digits: 0 }
            } else {
                NumberError::Empty
            });
        }
        let all = &digits[..n.min(digits.len())];
        let national: &[u8] = if plus {
            // After `+` only the country code 86 is meaningful.
            match all {
                [8, 6, rest @ ..] if n == 13 => rest,
                _ => return Err(NumberError::Length { digits: n }),
            }
        } else {
            match (n, all) {
                (11, _) => all,
                (13, [8, 6, rest @ ..]) => rest,
                (15, [0, 0, 8, 6, rest @ ..]) => rest,
                _ => return Err(NumberError::Length { digits: n }),
            }
        };
        let value = national.iter().fold(0u64, |v, d| v * 10 + u64::from(*d));
        MobileNumber::from_u64(value).ok_or(NumberError::NotMobile)
    }

    /// The first `len` digits (1..=11) as an integer, e.g. `prefix(3)` of 13800138000 is 138.
    pub fn prefix(self, len: u32) -> u32 {
        let len = len.clamp(1, 11);
        // At most 11 digits, so the quotient fits in u32 for len <= 9 and saturates above.
        u32::try_from(self.0 / 10u64.pow(11 - len)).unwrap_or(u32::MAX)
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for MobileNumber {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, NumberError> {
        MobileNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<u64, NumberError> {
        MobileNumber::parse(s).map(MobileNumber::as_u64)
    }

    #[test]
    fn accepted_forms_normalise_to_eleven_digits() {
        for s in [
            "13800138000",
            "8613800138000",
            "+8613800138000",
            "008613800138000",
        ] {
            assert_eq!(p(s), Ok(13_800_138_000), "{s}");
        }
        assert_eq!(
            MobileNumber::parse("+8619812345678").unwrap().to_string(),
            "19812345678"
        );
    }

    #[test]
    fn refused_forms() {
        assert_eq!(p(""), Err(NumberError::Empty));
        assert_eq!(p("013800138000"), Err(NumberError::Length { digits: 12 }));
        assert_eq!(p("1380013800"), Err(NumberError::Length { digits: 10 }));
        assert_eq!(p("138001380000"), Err(NumberError::Length { digits: 12 }));
        assert_eq!(p("+13800138000"), Err(NumberError::Length { digits: 11 }));
        assert_eq!(p("+"), Err(NumberError::Length { digits: 0 }));
        assert_eq!(p("12345678901"), Err(NumberError::NotMobile));
        assert_eq!(p("23800138000"), Err(NumberError::NotMobile));
        assert_eq!(
            p("1380013800a"),
            Err(NumberError::BadChar { ch: 'a', pos: 10 })
        );
        assert_eq!(
            p("86+13800138000"),
            Err(NumberError::BadChar { ch: '+', pos: 2 })
        );
        assert_eq!(
            p("１3800138000"),
            Err(NumberError::BadChar { ch: '１', pos: 0 })
        );
        assert_eq!(
            p(" 13800138000"),
            Err(NumberError::Separator { ch: ' ', pos: 0 })
        );
        assert_eq!(
            p("138-0013-8000"),
            Err(NumberError::Separator { ch: '-', pos: 3 })
        );
        // A long run of digits is a length error, not an overflow.
        assert!(matches!(
            p(&"1".repeat(10_000)),
            Err(NumberError::Length { digits: 10_000 })
        ));
    }

    #[test]
    fn separators_stripped_when_allowed() {
        let f = NumberFormat {
            strip_separators: true,
        };
        for s in ["+86 138 0013 8000", "138-0013-8000", " 13800138000 "] {
            assert_eq!(
                MobileNumber::parse_with(s, f).map(MobileNumber::as_u64),
                Ok(13_800_138_000),
                "{s}"
            );
        }
        assert_eq!(
            MobileNumber::parse_with("138 0013 800", f),
            Err(NumberError::Length { digits: 10 })
        );
    }

    #[test]
    fn prefixes() {
        let n = MobileNumber::parse("13412345678").unwrap();
        assert_eq!(n.prefix(3), 134);
        assert_eq!(n.prefix(4), 1341);
        assert_eq!(n.prefix(7), 1341234);
        assert_eq!(n.prefix(10), 1_341_234_567);
        assert_eq!(n.prefix(11), u32::MAX);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = MobileNumber::parse(&s);
        }

        #[test]
        fn round_trips(v in 13_000_000_000u64..20_000_000_000) {
            let n = MobileNumber::from_u64(v).unwrap();
            proptest::prop_assert_eq!(MobileNumber::parse(&n.to_string()), Ok(n));
            proptest::prop_assert_eq!(MobileNumber::parse(&format!("+86{n}")), Ok(n));
        }
    }
}
