//! Exact money helpers: rounding to the fen and fixed two-decimal text.

use crate::BillingError;
use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds half-up (away from zero on .5) to the fen, 0.01 CNY.
///
/// Only the statement's final figures are rounded (contract, "Money").
pub fn round_fen(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Text with exactly two decimals and no thousands separator, e.g. `12345.67`.
pub fn fen_text(x: Decimal) -> String {
    let mut r = round_fen(x);
    r.rescale(2);
    r.to_string()
}

/// `a × b`, or a typed error naming what was being computed.
pub(crate) fn mul(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, BillingError> {
    a.checked_mul(b)
        .ok_or_else(|| BillingError::Overflow(what.to_string()))
}

/// `a + b`, or a typed error naming what was being computed.
pub(crate) fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal, BillingError> {
    a.checked_add(b)
        .ok_or_else(|| BillingError::Overflow(what.to_string()))
}

/// Serde helpers: amounts are written as strings (`"0.041"`) or integers,
/// never as TOML/JSON floats, which are not exact.
pub mod amount {
    use rust_decimal::Decimal;
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;
    use std::str::FromStr;

    struct V;
    impl Visitor<'_> for V {
        type Value = Decimal;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(
                "an amount as a quoted decimal string such as \"0.041\" (floats are not exact)",
            )
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            Decimal::from_str(v.trim())
                .map_err(|_| E::custom(format!("`{v}` is not a decimal amount")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }
    }

    /// Reads an amount from a string or an integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(V)
    }

    /// Writes the amount as its exact decimal string.
    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.normalize().to_string())
    }

    /// Optional amounts.
    pub mod option {
        use super::*;
        /// Reads an optional amount.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
            super::deserialize(d).map(Some)
        }
        /// Writes an optional amount.
        pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }
    }
}

/// Serde helper for statement figures: a string with exactly two decimals.
pub mod fen {
    use rust_decimal::Decimal;
    use serde::Serializer;

    /// Writes `12345.67`-style text (rounded half-up to the fen).
    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::fen_text(*v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_up_and_prints_two_decimals() {
        assert_eq!(fen_text(dec!(0.005)), "0.01");
        assert_eq!(fen_text(dec!(0.0049)), "0.00");
        assert_eq!(fen_text(dec!(1234567)), "1234567.00");
        assert_eq!(fen_text(dec!(41.0005)), "41.00");
        assert_eq!(fen_text(dec!(12.345)), "12.35");
    }
}
