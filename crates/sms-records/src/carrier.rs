//! The carrier a message was sent through: whose network and whose contract.

use crate::model::UnknownName;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A mainland mobile carrier, each reached through its own gateway protocol and contract
/// (China Mobile: CMPP, China Unicom: SGIP, China Telecom: SMGP).
///
/// Interchange names, used in record files, the journal, the CLI and configuration:
/// `mobile`, `unicom`, `telecom`. The default is China Mobile: records and events written
/// before records carried a carrier were all China Mobile's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[non_exhaustive]
pub enum Carrier {
    /// China Mobile (CMPP); `mobile`.
    #[default]
    #[serde(rename = "mobile")]
    ChinaMobile,
    /// China Unicom (SGIP); `unicom`.
    #[serde(rename = "unicom")]
    ChinaUnicom,
    /// China Telecom (SMGP); `telecom`.
    #[serde(rename = "telecom")]
    ChinaTelecom,
}

impl Carrier {
    /// Every carrier, in a fixed order (Mobile, Unicom, Telecom).
    pub const ALL: [Carrier; 3] = [
        Carrier::ChinaMobile,
        Carrier::ChinaUnicom,
        Carrier::ChinaTelecom,
    ];

    /// The interchange name: `mobile`, `unicom` or `telecom`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Carrier::ChinaMobile => "mobile",
            Carrier::ChinaUnicom => "unicom",
            Carrier::ChinaTelecom => "telecom",
        }
    }

    /// The name for a person: `China Mobile`, `China Unicom`, `China Telecom`.
    pub const fn full_name(self) -> &'static str {
        match self {
            Carrier::ChinaMobile => "China Mobile",
            Carrier::ChinaUnicom => "China Unicom",
            Carrier::ChinaTelecom => "China Telecom",
        }
    }

    /// Whether this is the default carrier (China Mobile), the one of records without a carrier.
    pub fn is_default(&self) -> bool {
        *self == Carrier::ChinaMobile
    }
}

impl fmt::Display for Carrier {
    /// The interchange name (`mobile`, `unicom`, `telecom`); [`Carrier::full_name`] for prose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Carrier {
    type Err = UnknownName;

    /// Reads an interchange name; surrounding blanks and letter case are ignored.
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        let t = s.trim();
        Carrier::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownName {
                what: "carrier",
                value: t.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_serde() {
        for c in Carrier::ALL {
            assert_eq!(c.as_str().parse::<Carrier>().unwrap(), c);
            assert_eq!(c.to_string(), c.as_str());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Carrier>(&json).unwrap(), c);
        }
        assert_eq!(" Unicom ".parse::<Carrier>(), Ok(Carrier::ChinaUnicom));
        assert_eq!(Carrier::ChinaTelecom.full_name(), "China Telecom");
        assert_eq!(Carrier::default(), Carrier::ChinaMobile);
        assert!(Carrier::ChinaMobile.is_default() && !Carrier::ChinaUnicom.is_default());
    }

    #[test]
    fn an_unknown_name_is_a_typed_error_naming_the_choices() {
        let err = "cmcc".parse::<Carrier>().unwrap_err();
        assert_eq!(err.to_string(), "unknown carrier `cmcc`");
        assert!(serde_json::from_str::<Carrier>("\"broadnet\"").is_err());
    }
}
