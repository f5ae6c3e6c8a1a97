//! Exact rates and targets: integers only, so a boundary case never depends on
//! floating-point rounding.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Millionths in one whole (100%).
const ONE: u64 = 1_000_000;

/// A target rate such as 99% (clause 3.7) or 98% (clause 3.8).
///
/// Held exactly in millionths of one, so at most four decimals of a percent
/// (`99.1234%`). In TOML it is written `"99%"`, `"99.5"`, `99` or `99.5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    millionths: u32,
}

/// A target that is not a percentage between 0 and 100 with at most four decimals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid target `{text}`: {why} (expected a percentage such as \"99%\" or 98.5)")]
pub struct TargetError {
    text: String,
    why: &'static str,
}

impl Target {
    /// A target of `percent` whole percent (0–100).
    pub fn percent(percent: u8) -> Result<Self, TargetError> {
        if percent > 100 {
            return Err(TargetError {
                text: percent.to_string(),
                why: "above 100%",
            });
        }
        Ok(Target {
            millionths: u32::from(percent) * 10_000,
        })
    }

    /// The target in millionths of one (99% is 990000).
    pub fn millionths(self) -> u32 {
        self.millionths
    }

    /// Whether `rate` meets this target (`rate >= target`), exactly.
    pub fn is_met_by(self, rate: Rate) -> bool {
        // num/den >= t/ONE  <=>  num*ONE >= t*den, in u128 so it cannot overflow.
        u128::from(rate.numerator) * u128::from(ONE)
            >= u128::from(self.millionths) * u128::from(rate.denominator)
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(s: &str) -> Result<Self, TargetError> {
        let err = |why| TargetError {
            text: s.to_string(),
            why,
        };
        let t = s.trim();
        let t = t.strip_suffix('%').unwrap_or(t).trim_end();
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("not a number"));
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("not a number"));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 4 {
            return Err(err("more than four decimals"));
        }
        if int.len() > 3 {
            return Err(err("above 100%"));
        }
        let int: u32 = int.parse().map_err(|_| err("not a number"))?;
        let mut f: u32 = 0;
        for (i, b) in frac.bytes().enumerate() {
            f += u32::from(b - b'0') * 10u32.pow(3 - i as u32);
        }
        let millionths = int * 10_000 + f;
        if millionths > ONE as u32 {
            return Err(err("above 100%"));
        }
        Ok(Target { millionths })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.millionths / 10_000;
        let frac = self.millionths % 10_000;
        if frac == 0 {
            write!(f, "{int}%")
        } else {
            let s = format!("{frac:04}");
            write!(f, "{int}.{}%", s.trim_end_matches('0'))
        }
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Target;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a percentage such as \"99%\" or 98.5")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Target, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Target, E> {
                v.to_string().parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Target, E> {
                v.to_string().parse().map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Target, E> {
                // The shortest text that reads back as `v` is what the user wrote
                // (98.5 -> "98.5"), so parse that text exactly.
                if !v.is_finite() || v < 0.0 {
                    return Err(E::custom(format!("invalid target `{v}`: not a percentage")));
                }
                format!("{v}").parse().map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// An exact rate `numerator / denominator` with a non-zero denominator.
///
/// Rendered as a percentage with two decimals, rounded half-up (`99.375%` is
/// shown as `99.38%`). Whether a target is met is decided on the exact fraction,
/// never on the rounded text, so `98.995%` shows as `99.00%` yet misses 99%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Messages that pass (succeeded, or status within the threshold).
    pub numerator: u64,
    /// Messages counted.
    pub denominator: u64,
}

impl Rate {
    /// `numerator / denominator`, or `None` when there is nothing to divide by
    /// (a window with no counted message has no rate).
    pub fn new(numerator: u64, denominator: u64) -> Option<Rate> {
        (denominator > 0 && numerator <= denominator).then_some(Rate {
            numerator,
            denominator,
        })
    }

    /// Hundredths of a percent, rounded half-up (9937 for 99.37%).
    pub fn basis_points(self) -> u64 {
        let n = u128::from(self.numerator) * 10_000;
        let d = u128::from(self.denominator);
        ((2 * n + d) / (2 * d)) as u64
    }

    /// The rate as a fraction of one, for charts only (never for comparisons).
    pub fn as_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bp = self.basis_points();
        write!(f, "{}.{:02}%", bp / 100, bp % 100)
    }
}

#[derive(Serialize, Deserialize)]
struct RateRepr {
    numerator: u64,
    denominator: u64,
    percent: String,
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RateRepr {
            numerator: self.numerator,
            denominator: self.denominator,
            percent: self.to_string(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RateRepr::deserialize(d)?;
        Rate::new(r.numerator, r.denominator).ok_or_else(|| {
            serde::de::Error::custom(
                "a rate needs 0 <= numerator <= denominator and denominator > 0",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_exactly() {
        assert_eq!("99%".parse::<Target>().unwrap().millionths(), 990_000);
        assert_eq!("98.5".parse::<Target>().unwrap().millionths(), 985_000);
        assert_eq!("99.1234 %".parse::<Target>().unwrap().millionths(), 991_234);
        assert_eq!("100".parse::<Target>().unwrap().millionths(), 1_000_000);
        assert_eq!("0".parse::<Target>().unwrap().millionths(), 0);
        assert!("100.01".parse::<Target>().is_err());
        assert!("99.12345".parse::<Target>().is_err());
        assert!("-1".parse::<Target>().is_err());
        assert!("abc".parse::<Target>().is_err());
        assert!("".parse::<Target>().is_err());
        assert!("1e3".parse::<Target>().is_err());
        assert_eq!(Target::percent(99).unwrap().to_string(), "99%");
        assert_eq!("98.50".parse::<Target>().unwrap().to_string(), "98.5%");
        assert!(Target::percent(101).is_err());
    }

    #[test]
    fn boundary_is_exact() {
        let t = Target::percent(99).unwrap();
        assert!(t.is_met_by(Rate::new(99, 100).unwrap()));
        assert!(!t.is_met_by(Rate::new(98_999_999, 100_000_000).unwrap()));
        assert!(t.is_met_by(Rate::new(99_000_000, 100_000_000).unwrap()));
        // 98.995% renders as 99.00% but does not meet 99%.
        let r = Rate::new(19_799, 20_000).unwrap();
        assert_eq!(r.to_string(), "99.00%");
        assert!(!t.is_met_by(r));
    }

    #[test]
    fn rendering_rounds_half_up() {
        assert_eq!(Rate::new(795, 800).unwrap().to_string(), "99.38%"); // 99.375
        assert_eq!(Rate::new(1, 3).unwrap().to_string(), "33.33%");
        assert_eq!(Rate::new(2, 3).unwrap().to_string(), "66.67%");
        assert_eq!(Rate::new(1, 1).unwrap().to_string(), "100.00%");
        assert_eq!(Rate::new(0, 7).unwrap().to_string(), "0.00%");
        assert!(Rate::new(0, 0).is_none());
        assert!(Rate::new(2, 1).is_none());
    }

    #[test]
    fn rate_json_round_trips() {
        let r = Rate::new(9937, 10_000).unwrap();
        let j = serde_json::to_value(r).unwrap();
        assert_eq!(j["percent"], "99.37%");
        assert_eq!(serde_json::from_value::<Rate>(j).unwrap(), r);
    }
}
