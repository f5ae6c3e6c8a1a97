//! [`SimProfile`]: what the simulated gateway answers, when it reports, and which faults it injects.
//!
//! Profiles are TOML files (see `profiles/default.toml` and `profiles/realistic.toml`); every
//! field has a default, so an empty file is the default profile.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

use cmpp_codec::Stat;

use crate::dist::{DelayDist, Weighted};

/// Errors loading or validating a profile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown fields.
    #[error("profile is not valid TOML: {0}")]
    Toml(String),
    /// A value is out of range or inconsistent.
    #[error("invalid profile: {0}")]
    Invalid(String),
}

/// The whole simulator configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SimProfile {
    /// Seed of the ChaCha8 RNG: the same seed and input give the same decisions.
    pub seed: u64,
    /// Draw each message's result, Stat and report delay from a stream seeded by the seed and
    /// the message itself (destinations, segment, content) instead of one stream in arrival
    /// order: the same traffic then meets the same fates whatever the interleaving.
    pub seed_per_message: bool,
    /// Gateway (ISMG) code placed in Msg_Ids (22 bits, ≤ 4194303).
    pub gateway_code: u32,
    /// SUBMIT_RESP results.
    pub submit: SubmitProfile,
    /// Status reports.
    pub report: ReportProfile,
    /// Result 8 above a submit rate.
    pub flow_control: FlowControl,
    /// Injected faults.
    pub faults: Faults,
    /// Mobile-originated (user) messages sent to connected SPs.
    pub mo: MoProfile,
}

impl Default for SimProfile {
    fn default() -> Self {
        SimProfile {
            seed: 1,
            seed_per_message: false,
            gateway_code: 10_001,
            submit: SubmitProfile::default(),
            report: ReportProfile::default(),
            flow_control: FlowControl::default(),
            faults: Faults::default(),
            mo: MoProfile::default(),
        }
    }
}

/// One weighted SUBMIT_RESP result code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultWeight {
    /// Result code (0 ok, 8 flow control, …).
    pub code: u32,
    /// Relative weight (any non-negative number).
    pub weight: f64,
}

/// SUBMIT_RESP behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SubmitProfile {
    /// Result mix; default: always 0.
    pub results: Vec<ResultWeight>,
    /// Judge SUBMITs strictly (destinations, Pk_*, content length, trailing bytes; see
    /// docs/protocol.md). `false` hands every SUBMIT that decodes to the result mix, for
    /// quirk tests.
    pub strict: bool,
}

impl Default for SubmitProfile {
    fn default() -> Self {
        SubmitProfile {
            results: vec![ResultWeight {
                code: 0,
                weight: 1.0,
            }],
            strict: true,
        }
    }
}

/// One weighted Stat value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatWeight {
    /// Stat text, at most 7 ASCII characters (DELIVRD, UNDELIV, MK:0024, …).
    pub stat: String,
    /// Relative weight.
    pub weight: f64,
}

/// One point of the report-delay quantile function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelayPoint {
    /// Quantile, 0.0 to 1.0.
    pub q: f64,
    /// Delay at that quantile, milliseconds.
    pub ms: u64,
}

/// Status-report behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ReportProfile {
    /// Stat mix; default: always DELIVRD.
    pub stats: Vec<StatWeight>,
    /// Delay quantiles (piecewise linear between points); default 50–500 ms uniform.
    pub delay: Vec<DelayPoint>,
    /// How long an undeliverable report (SP not connected) is kept and retried, seconds.
    pub retention_secs: u64,
    /// Most reports waiting at once; beyond this new ones are dropped and counted.
    pub max_pending: usize,
}

impl Default for ReportProfile {
    fn default() -> Self {
        ReportProfile {
            stats: vec![StatWeight {
                stat: "DELIVRD".into(),
                weight: 1.0,
            }],
            delay: vec![
                DelayPoint { q: 0.0, ms: 50 },
                DelayPoint { q: 1.0, ms: 500 },
            ],
            retention_secs: 3600,
            max_pending: 100_000,
        }
    }
}

/// Flow control: submits (counted per destination) within one second above `max_per_second`
/// are answered with result 8.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowControl {
    /// Messages per second allowed; 0 = unlimited.
    pub max_per_second: u64,
}

/// A period without answers: submits from message `from_message` for `seconds` are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silence {
    /// 1-based submit count that starts the silence.
    pub from_message: u64,
    /// Length of the silence in milliseconds.
    pub duration_ms: u64,
}

/// Late answers: every `every`-th submit is answered after `delay_ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Late {
    /// Period in submits (≥ 1).
    pub every: u64,
    /// Response delay in milliseconds.
    pub delay_ms: u64,
}

/// A simulated gateway restart: every connection dropped, flow-control and pending reports reset.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Restart {
    /// Restart when this many submits have been received (1-based; that submit is not answered).
    pub after_messages: Option<u64>,
    /// Restart this many milliseconds after the simulator started.
    pub at_ms: Option<u64>,
    /// Whether reports still waiting are lost (a crash) or kept (a graceful restart).
    pub lose_pending_reports: bool,
}

/// Fault injection; all off by default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Faults {
    /// Drop the link (without answering) at every N-th submit; 0 = never.
    pub drop_link_every: u64,
    /// Periods of silence.
    pub silences: Vec<Silence>,
    /// Late answers.
    pub late: Option<Late>,
    /// Restarts.
    pub restarts: Vec<Restart>,
}

/// One weighted MO text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoText {
    /// The text; long texts are sent as UCS2 segments with a concatenation UDH.
    pub text: String,
    /// Relative weight.
    pub weight: f64,
}

/// Mobile-originated traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct MoProfile {
    /// Interval between MO messages in milliseconds; 0 = no MO traffic.
    pub interval_ms: u64,
    /// Sending handsets, picked at random.
    pub senders: Vec<String>,
    /// Dest_Id (the SP service code the handset sent to).
    pub dest_id: String,
    /// Service_Id placed in the DELIVER.
    pub service_id: String,
    /// Texts to send, weighted ("TD" is the usual unsubscribe reply).
    pub texts: Vec<MoText>,
}

impl Default for MoProfile {
    fn default() -> Self {
        MoProfile {
            interval_ms: 0,
            senders: vec!["13800138000".into()],
            dest_id: "1064899".into(),
            service_id: "MI".into(),
            texts: vec![MoText {
                text: "TD".into(),
                weight: 1.0,
            }],
        }
    }
}

/// A profile checked and turned into sampling tables.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The source profile.
    pub profile: SimProfile,
    /// Result sampler.
    pub results: Weighted<u32>,
    /// Stat sampler.
    pub stats: Weighted<Stat>,
    /// Delay sampler.
    pub delay: DelayDist,
    /// MO text sampler (index into `profile.mo.texts`).
    pub mo_texts: Weighted<usize>,
}

impl SimProfile {
    /// Parses TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        let p: SimProfile = toml::from_str(text).map_err(|e| ProfileError::Toml(e.to_string()))?;
        p.compile()?;
        Ok(p)
    }

    /// Reads and parses a TOML file.
    pub fn load(path: &Path) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml(&text)
    }

    /// Validates every value and builds the samplers.
    pub fn compile(&self) -> Result<Compiled, ProfileError> {
        let invalid = |m: String| Err(ProfileError::Invalid(m));
        if self.gateway_code > cmpp_codec::msg_id::MAX_GATEWAY {
            return invalid(format!(
                "gateway_code {} does not fit 22 bits (max {})",
                self.gateway_code,
                cmpp_codec::msg_id::MAX_GATEWAY
            ));
        }
        let results: Vec<(u32, f64)> = self
            .submit
            .results
            .iter()
            .map(|r| (r.code, r.weight))
            .collect();
        if let Some(r) = self.submit.results.iter().find(|r| r.code > 255) {
            // 2.0 carries Result in one byte; keep profiles usable on both versions.
            return invalid(format!("submit.results: code {} is above 255", r.code));
        }
        let results = Weighted::new("submit.results", &results)?;
        let mut stats = Vec::with_capacity(self.report.stats.len());
        for s in &self.report.stats {
            if s.stat.is_empty() || s.stat.len() > 7 || !s.stat.is_ascii() {
                return invalid(format!(
                    "report.stats: '{}' must be 1 to 7 ASCII characters",
                    s.stat
                ));
            }
            let stat = Stat::from_text(&s.stat)
                .map_err(|e| ProfileError::Invalid(format!("report.stats: '{}': {e}", s.stat)))?;
            stats.push((stat, s.weight));
        }
        let stats = Weighted::new("report.stats", &stats)?;
        let delay = DelayDist::new(&self.report.delay)?;
        if self.report.max_pending == 0 {
            return invalid("report.max_pending must be at least 1".into());
        }
        for s in &self.faults.silences {
            if s.from_message == 0 {
                return invalid("faults.silences: from_message counts from 1".into());
            }
        }
        if let Some(l) = &self.faults.late {
            if l.every == 0 {
                return invalid("faults.late.every must be at least 1".into());
            }
        }
        for r in &self.faults.restarts {
            if r.after_messages.is_none() == r.at_ms.is_none() {
                return invalid(
                    "faults.restarts: give exactly one of after_messages or at_ms".into(),
                );
            }
        }
        let mo = &self.mo;
        if mo.interval_ms > 0 && mo.senders.is_empty() {
            return invalid("mo.senders must not be empty when mo.interval_ms > 0".into());
        }
        for s in &mo.senders {
            if s.is_empty() || s.len() > 21 || !s.bytes().all(|b| b.is_ascii_digit() || b == b'+') {
                return invalid(format!(
                    "mo.senders: '{s}' is not a phone number of at most 21 digits"
                ));
            }
        }
        if mo.dest_id.len() > 21 || mo.service_id.len() > 10 {
            return invalid("mo.dest_id must fit 21 bytes and mo.service_id 10".into());
        }
        for t in &mo.texts {
            // 255 segments of 67 UCS2 characters is the most a UDH can number.
            if t.text.is_empty() || t.text.chars().count() > 255 * 67 {
                return invalid("mo.texts: each text must be 1 to 17085 characters".into());
            }
        }
        let idx: Vec<(usize, f64)> = mo
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.weight))
            .collect();
        let mo_texts = if mo.interval_ms > 0 {
            Weighted::new("mo.texts", &idx)?
        } else {
            // Unused when MO is off; an empty list is then fine.
            Weighted::new("mo.texts", &[(0, 1.0)])?
        };
        Ok(Compiled {
            profile: self.clone(),
            results,
            stats,
            delay,
            mo_texts,
        })
    }

    /// Report retention as a duration.
    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.report.retention_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
        let d = SimProfile::load(&dir.join("default.toml")).unwrap();
        assert_eq!(
            d,
            SimProfile::default(),
            "default.toml documents the defaults"
        );
        let r = SimProfile::load(&dir.join("realistic.toml")).unwrap();
        assert!(r.submit.results.iter().any(|w| w.code == 8));
        assert!(r.report.stats.len() >= 4);
        assert!(
            r.report.delay.last().unwrap().ms > 7000,
            "a tail beyond 7 s"
        );
        assert!(r.mo.interval_ms > 0);
        assert!(r.mo.texts.iter().any(|t| t.text == "TD"));
        assert!(r.mo.texts.iter().any(|t| t.text.chars().count() > 70));
    }

    #[test]
    fn empty_file_is_default() {
        assert_eq!(SimProfile::from_toml("").unwrap(), SimProfile::default());
    }

    #[test]
    fn partial_profile_keeps_other_defaults() {
        let p = SimProfile::from_toml(
            "seed = 9\n[faults]\ndrop_link_every = 5000\n[flow_control]\nmax_per_second = 100\n",
        )
        .unwrap();
        assert_eq!(p.seed, 9);
        assert_eq!(p.faults.drop_link_every, 5000);
        assert_eq!(p.flow_control.max_per_second, 100);
        assert_eq!(p.report, ReportProfile::default());
    }

    #[test]
    fn bad_profiles_are_typed_errors() {
        let cases = [
            ("sede = 1", "unknown field"),
            ("gateway_code = 99999999", "22 bits"),
            ("[[submit.results]]\ncode = 0\nweight = 0", "submit.results"),
            (
                "[[report.stats]]\nstat = \"TOOLONGSTAT\"\nweight = 1",
                "report.stats",
            ),
            ("[report]\ndelay = [{ q = 0.0, ms = 10 }]", "report.delay"),
            ("[faults]\nlate = { every = 0, delay_ms = 1 }", "late.every"),
            (
                "[[faults.restarts]]\nlose_pending_reports = true",
                "exactly one",
            ),
            ("[mo]\ninterval_ms = 10\nsenders = [\"abc\"]", "mo.senders"),
        ];
        for (text, needle) in cases {
            let e = SimProfile::from_toml(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
        let e = SimProfile::load(Path::new("/nonexistent/p.toml")).unwrap_err();
        assert!(matches!(e, ProfileError::Io { .. }));
    }
}
