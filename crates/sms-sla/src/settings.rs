//! What the engine measures and how it reads the contract, as a TOML file.
//!
//! Every field has a default that is the contract's own reading
//! (`SlaSettings::default()`), and every field names its clause.

use crate::rate::Target;
use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sms_records::CauseClass;
use std::collections::BTreeMap;
use std::fmt;

/// What counts as the "status" whose return time clause 3.8 measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StatusBasis {
    /// Clause 3.8 (default reading): the status report (CMPP_DELIVER with
    /// Registered_Delivery = 1); a message with no report is late.
    #[default]
    Report,
    /// Clause 3.8 (alternative reading): the submit response.
    Response,
}

/// The evaluation window: one breach of 6.9 / 6.10 per window that misses its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Window {
    /// Clauses 6.9, 6.10 (default reading): each calendar month in the contract's zone.
    #[default]
    Month,
    /// Each calendar day in the contract's zone.
    Day,
    /// The whole evaluated range (e.g. a settlement period) as one window.
    Period,
}

impl Window {
    /// Human description used in the report's readings.
    pub fn describe(self) -> &'static str {
        match self {
            Window::Month => "calendar month",
            Window::Day => "calendar day",
            Window::Period => "whole period",
        }
    }
}

/// A time span whose messages are excluded from the 6.9 / 6.10 counts (clauses 7.1–7.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// Start, inclusive (RFC 3339 with offset, e.g. `2026-03-05T10:00:00+08:00`).
    #[serde(deserialize_with = "de_time")]
    pub start: DateTime<FixedOffset>,
    /// End, exclusive.
    #[serde(deserialize_with = "de_time")]
    pub end: DateTime<FixedOffset>,
    /// The clause that exempts it, e.g. `7.1` (power cut) or `7.2` (force majeure).
    pub clause: String,
    /// Free text: what happened, reference to the notice (clause 7.3).
    #[serde(default)]
    pub note: String,
}

/// Overrides of the default cause class of particular raw codes (clause 7.1:
/// the classification of codes into carrier, user and SP causes is a setting).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ClassOverrides {
    /// Status-report states, e.g. `"MK:0000" = "user"`.
    #[serde(default)]
    pub report: BTreeMap<String, CauseClass>,
    /// Submit-response results by number, e.g. `"14" = "sp"`.
    #[serde(default)]
    pub submit: BTreeMap<String, CauseClass>,
}

/// The SLA settings. `Default` is this contract's reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SlaSettings {
    /// Clause 3.7: success-rate target (99%).
    pub success_target: Target,
    /// Clause 3.8: share of messages whose status returns within the threshold (98%).
    pub timeliness_target: Target,
    /// Clause 3.8: the threshold in milliseconds (7000); "within" is inclusive.
    pub threshold_ms: u64,
    /// Clause 3.8: which status is timed (status report by default).
    pub status_basis: StatusBasis,
    /// Clause 3.7: hours after submit after which a missing status report is a
    /// failure against Party B (72, the usual validity).
    pub report_deadline_hours: u32,
    /// Clauses 6.9, 6.10: the evaluation window (calendar month by default).
    pub window: Window,
    /// Counting rules: the contract's zone, as `+08:00` (Beijing time).
    #[serde(serialize_with = "ser_offset", deserialize_with = "de_offset")]
    pub utc_offset: FixedOffset,
    /// Clauses 7.1–7.4: exemption windows.
    pub exemptions: Vec<Exemption>,
    /// Clause 7.1: reclassification of particular codes.
    pub class_overrides: ClassOverrides,
}

impl Default for SlaSettings {
    fn default() -> Self {
        SlaSettings {
            success_target: Target::percent(99).expect("99 <= 100"),
            timeliness_target: Target::percent(98).expect("98 <= 100"),
            threshold_ms: 7_000,
            status_basis: StatusBasis::Report,
            report_deadline_hours: 72,
            window: Window::Month,
            utc_offset: sms_records::beijing(),
            exemptions: Vec::new(),
            class_overrides: ClassOverrides::default(),
        }
    }
}

/// Longest threshold accepted: one day (anything longer is a typo).
const MAX_THRESHOLD_MS: u64 = 86_400_000;
/// Longest report deadline accepted: one year.
const MAX_DEADLINE_HOURS: u32 = 24 * 366;

/// Settings that cannot be read or make no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The TOML text does not parse; the message carries line, column and field.
    #[error("{0}")]
    Toml(String),
    /// A field has a value outside its range.
    #[error("field `{field}`: {why}")]
    Invalid {
        /// The field, e.g. `threshold_ms` or `exemptions[2]`.
        field: String,
        /// What is wrong with it.
        why: String,
    },
}

impl SlaSettings {
    /// Reads settings from TOML text; missing fields take the contract's defaults.
    pub fn from_toml(text: &str) -> Result<Self, SettingsError> {
        let s: SlaSettings = toml::from_str(text).map_err(|e| {
            // toml's message spans lines (a source excerpt); keep it readable on one.
            let msg = e.to_string();
            let compact: Vec<&str> = msg
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && *l != "|")
                .collect();
            SettingsError::Toml(compact.join(" "))
        })?;
        s.validate()?;
        Ok(s)
    }

    /// The settings as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks ranges and cross-field rules.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |field: &str, why: String| SettingsError::Invalid {
            field: field.to_string(),
            why,
        };
        if self.threshold_ms == 0 || self.threshold_ms > MAX_THRESHOLD_MS {
            return Err(invalid(
                "threshold_ms",
                format!("must be 1..={MAX_THRESHOLD_MS}, got {}", self.threshold_ms),
            ));
        }
        if self.report_deadline_hours == 0 || self.report_deadline_hours > MAX_DEADLINE_HOURS {
            return Err(invalid(
                "report_deadline_hours",
                format!(
                    "must be 1..={MAX_DEADLINE_HOURS}, got {}",
                    self.report_deadline_hours
                ),
            ));
        }
        for (i, e) in self.exemptions.iter().enumerate() {
            if e.end <= e.start {
                return Err(invalid(
                    &format!("exemptions[{i}]"),
                    format!("end {} is not after start {}", e.end, e.start),
                ));
            }
            if e.clause.trim().is_empty() {
                return Err(invalid(
                    &format!("exemptions[{i}].clause"),
                    "must name the clause (e.g. 7.1)".to_string(),
                ));
            }
        }
        for key in self.class_overrides.submit.keys() {
            if key.trim().parse::<u32>().is_err() {
                return Err(invalid(
                    "class_overrides.submit",
                    format!("`{key}` is not a submit result number"),
                ));
            }
        }
        Ok(())
    }

    /// Clause 3.8: the threshold as a duration.
    pub fn threshold(&self) -> TimeDelta {
        TimeDelta::milliseconds(self.threshold_ms.min(MAX_THRESHOLD_MS) as i64)
    }

    /// Clause 3.7: the report deadline as a duration.
    pub fn report_deadline(&self) -> TimeDelta {
        TimeDelta::hours(i64::from(
            self.report_deadline_hours.min(MAX_DEADLINE_HOURS),
        ))
    }

    /// The interpretations in force, one line each, printed in every report
    /// (contract.md: "every report prints the readings it used").
    pub fn readings(&self) -> Vec<String> {
        let status = match self.status_basis {
            StatusBasis::Report => {
                "status = status report (a message with no report is late; a submit rejected in its response has that response as its status)"
            }
            StatusBasis::Response => "status = submit response",
        };
        let threshold = if self.threshold_ms % 1000 == 0 {
            format!("{} s", self.threshold_ms / 1000)
        } else {
            format!("{} ms", self.threshold_ms)
        };
        vec![
            format!("success target {} (clause 3.7); success rate = (counted - failed) / counted", self.success_target),
            format!(
                "timeliness target {} within {threshold} inclusive (clause 3.8); {status}",
                self.timeliness_target
            ),
            format!(
                "report deadline {} h: no status report within it is a failure against Party B; a report arriving later counts as missing",
                self.report_deadline_hours
            ),
            format!(
                "window = {} in UTC{} (the message's submit time decides); a window with no counted message has no rate and cannot breach",
                self.window.describe(),
                self.utc_offset
            ),
            "unknown cause counts against Party B; user/handset-side and SP-side causes are excluded from both rates and listed".to_string(),
            format!(
                "{} exemption window(s) (clauses 7.1-7.4); messages tagged exempt are excluded and listed",
                self.exemptions.len()
            ),
            "records not yet past the report deadline without a report are pending: listed, not counted".to_string(),
            "refused messages (never sent) are outside the SLA and shown for information".to_string(),
        ]
    }
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Input {
        Text(String),
        Toml(toml::value::Datetime),
    }
    let text = match Input::deserialize(d).map_err(|_| {
        serde::de::Error::custom("expected a date-time with offset, e.g. 2026-03-05T10:00:00+08:00")
    })? {
        Input::Text(s) => s,
        Input::Toml(t) => t.to_string(),
    };
    DateTime::parse_from_rfc3339(text.trim()).map_err(|e| {
        serde::de::Error::custom(format!(
            "`{text}` is not a date-time with offset ({e}), e.g. 2026-03-05T10:00:00+08:00"
        ))
    })
}

fn ser_offset<S: Serializer>(o: &FixedOffset, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(o)
}

fn de_offset<'de, D: Deserializer<'de>>(d: D) -> Result<FixedOffset, D::Error> {
    let text = String::deserialize(d)?;
    parse_offset(&text).ok_or_else(|| {
        serde::de::Error::custom(format!("`{text}` is not a UTC offset such as +08:00"))
    })
}

/// Parses `+08:00`, `-05:30`, `+0800`, `UTC+8`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    let t = t.strip_prefix("UTC").unwrap_or(t);
    if t == "Z" || t.is_empty() {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = if let Some((h, m)) = rest.split_once(':') {
        (h, m)
    } else if rest.len() == 4 {
        rest.split_at(2)
    } else {
        (rest, "0")
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(h) || !all_digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl fmt::Display for StatusBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StatusBasis::Report => "report",
            StatusBasis::Response => "response",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_contract() {
        let s = SlaSettings::default();
        assert_eq!(s.success_target.millionths(), 990_000);
        assert_eq!(s.timeliness_target.millionths(), 980_000);
        assert_eq!(s.threshold(), TimeDelta::seconds(7));
        assert_eq!(s.report_deadline(), TimeDelta::hours(72));
        assert_eq!(s.utc_offset.local_minus_utc(), 8 * 3600);
        assert_eq!(SlaSettings::from_toml("").unwrap(), s);
    }

    #[test]
    fn full_file_parses() {
        let s = SlaSettings::from_toml(
            r#"
success_target = "99.5%"
timeliness_target = 97.5
threshold_ms = 5000
status_basis = "response"
report_deadline_hours = 48
window = "day"
utc_offset = "+08:00"

[[exemptions]]
start = "2026-03-05T10:00:00+08:00"
end = 2026-03-05T12:00:00+08:00
clause = "7.1"
note = "power cut at the ISMG site"

[class_overrides.report]
"MK:0000" = "user"
[class_overrides.submit]
"14" = "sp"
"#,
        )
        .unwrap();
        assert_eq!(s.success_target.millionths(), 995_000);
        assert_eq!(s.timeliness_target.millionths(), 975_000);
        assert_eq!(s.status_basis, StatusBasis::Response);
        assert_eq!(s.window, Window::Day);
        assert_eq!(s.exemptions.len(), 1);
        assert_eq!(
            s.exemptions[0].end - s.exemptions[0].start,
            TimeDelta::hours(2)
        );
        assert_eq!(s.class_overrides.report["MK:0000"], CauseClass::User);
        assert_eq!(s.class_overrides.submit["14"], CauseClass::Sp);
        // And it writes back to the same settings.
        assert_eq!(SlaSettings::from_toml(&s.to_toml()).unwrap(), s);
    }

    #[test]
    fn errors_name_the_field_and_line() {
        let e = SlaSettings::from_toml("threshold_ms = 7000\nsuccess_target = \"abc\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(e.contains("success_target"), "{e}");
        let e = SlaSettings::from_toml("treshold_ms = 7000\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("treshold_ms"), "{e}");
        let e = SlaSettings::from_toml("threshold_ms = 0\n").unwrap_err();
        assert!(matches!(e, SettingsError::Invalid { ref field, .. } if field == "threshold_ms"));
        let e = SlaSettings::from_toml("utc_offset = \"Beijing\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("utc_offset") && e.contains("Beijing"), "{e}");
        let e = SlaSettings::from_toml(
            "[[exemptions]]\nstart = \"2026-03-05T12:00:00+08:00\"\nend = \"2026-03-05T10:00:00+08:00\"\nclause = \"7.1\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("exemptions[0]"), "{e}");
        let e = SlaSettings::from_toml("[class_overrides.submit]\nx = \"sp\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("class_overrides.submit"), "{e}");
        let e = SlaSettings::from_toml("[class_overrides.report]\n\"MK:1\" = \"nobody\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("nobody"), "{e}");
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+08:00").unwrap().local_minus_utc(), 28_800);
        assert_eq!(parse_offset("UTC+8").unwrap().local_minus_utc(), 28_800);
        assert_eq!(parse_offset("-0530").unwrap().local_minus_utc(), -19_800);
        assert_eq!(parse_offset("Z").unwrap().local_minus_utc(), 0);
        assert!(parse_offset("+15:00").is_none());
        assert!(parse_offset("8").is_none());
    }
}
