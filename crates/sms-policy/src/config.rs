//! The policy file (TOML): see `policy.example.toml` for every key with its meaning.
//!
//! Every table is optional; a missing table keeps the contract default of
//! [`Policy::new`]. Relative file paths are resolved against the policy file's folder.

use crate::carrier::{PrefixTable, Routes};
use crate::content::KeywordMatcher;
use crate::error::PolicyError;
use crate::number::{MobileNumber, NumberFormat};
use crate::numberset::NumberSet;
use crate::policy::{Check, Policy, SRC_ID_LEN};
use crate::rate::{RateLimit, RateLimiter};
use chrono::Duration;
use serde::Deserialize;
use sms_records::{Carrier, Category};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    calling_number: Option<CallingCfg>,
    destination: Option<DestCfg>,
    carrier: Option<CarrierCfg>,
    subscription: Option<SubCfg>,
    content: Option<ContentCfg>,
    rate: Option<RateCfg>,
    unsubscribe: Option<UnsubCfg>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallingCfg {
    #[serde(default = "yes")]
    enabled: bool,
    access_number: Option<Spanned<String>>,
    max_len: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DestCfg {
    #[serde(default)]
    strip_separators: bool,
}

/// `[carrier]`: the routing table and the carriers with a contract. The range and
/// ported-in/out keys at its top are China Mobile's, as before routing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CarrierCfg {
    #[serde(default = "yes")]
    enabled: bool,
    contracts: Option<Vec<Spanned<String>>>,
    prefixes_file: Option<Spanned<String>>,
    prefixes: Option<Vec<Spanned<String>>>,
    ported_in_file: Option<Spanned<String>>,
    #[serde(default)]
    ported_in: Vec<Spanned<String>>,
    ported_out_file: Option<Spanned<String>>,
    #[serde(default)]
    ported_out: Vec<Spanned<String>>,
    unicom: Option<RangesCfg>,
    telecom: Option<RangesCfg>,
    ported_file: Option<Spanned<String>>,
    #[serde(default)]
    ported: BTreeMap<String, Spanned<String>>,
}

/// `[carrier.unicom]`, `[carrier.telecom]`: another carrier's ranges.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangesCfg {
    prefixes_file: Option<Spanned<String>>,
    prefixes: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubCfg {
    #[serde(default = "yes")]
    enabled: bool,
    opt_in_file: Option<Spanned<String>>,
    opt_in: Option<Vec<Spanned<String>>>,
    opt_out_file: Option<Spanned<String>>,
    #[serde(default)]
    opt_out: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContentCfg {
    #[serde(default = "yes")]
    enabled: bool,
    keywords_file: Option<Spanned<String>>,
    #[serde(default)]
    keywords: Vec<Spanned<String>>,
    #[serde(default)]
    allow_advertising: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateCfg {
    #[serde(default = "yes")]
    enabled: bool,
    state_file: Option<Spanned<String>>,
    #[serde(default)]
    limit: Vec<LimitCfg>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitCfg {
    category: Spanned<String>,
    max: Spanned<u32>,
    window: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnsubCfg {
    words: Vec<Spanned<String>>,
}

fn yes() -> bool {
    true
}

struct Ctx<'a> {
    file: &'a str,
    source: &'a str,
    base: &'a Path,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.source.len());
        self.source.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> Result<T, PolicyError> {
        Err(PolicyError::Config {
            file: self.file.to_string(),
            line: self.line_of(span.start),
            field: field.to_string(),
            message: message.into(),
        })
    }

    fn path(&self, p: &Spanned<String>) -> PathBuf {
        let p = Path::new(p.get_ref());
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn numbers(
        &self,
        list: &[Spanned<String>],
        field: &str,
        into: &mut NumberSet,
    ) -> Result<(), PolicyError> {
        for (i, s) in list.iter().enumerate() {
            match MobileNumber::parse(s.get_ref()) {
                Ok(n) => {
                    into.insert(n);
                }
                Err(e) => {
                    return self.err(
                        s.span(),
                        &format!("{field}[{i}]"),
                        format!("`{}`: {e}", crate::error::clip(s.get_ref())),
                    )
                }
            }
        }
        Ok(())
    }

    fn number_set(
        &self,
        file: Option<&Spanned<String>>,
        inline: &[Spanned<String>],
        field: &str,
    ) -> Result<NumberSet, PolicyError> {
        let mut set = NumberSet::new();
        if let Some(f) = file {
            set.load_into(&self.path(f))?;
        }
        self.numbers(inline, field, &mut set)?;
        Ok(set)
    }
}

/// Reads a window such as `90s`, `30m`, `1h`, `1d`.
pub fn parse_window(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{t}` has no unit (s, m, h or d)"))?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{}` does not start with a number", crate::error::clip(t)))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{}` (use s, m, h or d)",
                crate::error::clip(unit)
            ))
        }
    };
    n.checked_mul(secs)
        .and_then(Duration::try_seconds)
        .ok_or_else(|| format!("`{t}` is too long"))
}

impl Policy {
    /// Reads a policy file; relative paths in it are resolved against its folder.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::io(path, e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_str(&text, &path.display().to_string(), base)
    }

    /// Reads a policy from TOML text; `file` names it in errors, `base` resolves relative paths.
    pub fn from_toml_str(text: &str, file: &str, base: &Path) -> Result<Self, PolicyError> {
        let ctx = Ctx {
            file,
            source: text,
            base,
        };
        let cfg: FileConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| ctx.line_of(s.start)).unwrap_or(0);
            // The key is what precedes `=` on the offending line (or the table header).
            let field = text
                .lines()
                .nth(line.saturating_sub(1))
                .map(|l| l.split('=').next().unwrap_or("").trim().to_string())
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| "(document)".into());
            PolicyError::Config {
                file: file.to_string(),
                line,
                field,
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        ctx.build(cfg)
    }
}

impl Ctx<'_> {
    fn build(&self, cfg: FileConfig) -> Result<Policy, PolicyError> {
        let mut policy = Policy::new();

        if let Some(c) = cfg.calling_number {
            if !c.enabled {
                policy = policy.without(Check::CallingNumber);
            } else {
                let access = match &c.access_number {
                    Some(a) => {
                        let v = a.get_ref();
                        if v.is_empty()
                            || !v.bytes().all(|b| b.is_ascii_digit())
                            || v.len() > SRC_ID_LEN
                        {
                            return self.err(
                                a.span(),
                                "calling_number.access_number",
                                format!("must be 1–{SRC_ID_LEN} digits"),
                            );
                        }
                        v.clone()
                    }
                    None => crate::policy::CONTRACT_ACCESS_NUMBER.to_string(),
                };
                let max_len = match &c.max_len {
                    Some(m) => {
                        let v = *m.get_ref();
                        if v < access.len() || v > SRC_ID_LEN {
                            return self.err(m.span(), "calling_number.max_len", format!("must be between the access number's length ({}) and {SRC_ID_LEN}", access.len()));
                        }
                        v
                    }
                    None => SRC_ID_LEN,
                };
                policy = policy.with_calling_number(access, max_len);
            }
        }

        if let Some(d) = cfg.destination {
            policy = policy.with_number_format(NumberFormat {
                strip_separators: d.strip_separators,
            });
        }

        if let Some(c) = cfg.carrier {
            policy = policy.with_routes(self.routes(&c)?);
            if !c.enabled {
                policy = policy.without(Check::Carrier);
            } else if let Some(list) = &c.contracts {
                let mut contracts = Vec::with_capacity(list.len());
                for (i, name) in list.iter().enumerate() {
                    match name.get_ref().parse::<Carrier>() {
                        Ok(carrier) => contracts.push(carrier),
                        Err(e) => {
                            return self.err(
                                name.span(),
                                &format!("carrier.contracts[{i}]"),
                                format!("{e} (use mobile, unicom or telecom)"),
                            )
                        }
                    }
                }
                policy = policy.with_contracts(contracts);
            }
        }

        if let Some(s) = cfg.subscription {
            let opt_out =
                self.number_set(s.opt_out_file.as_ref(), &s.opt_out, "subscription.opt_out")?;
            policy = policy.with_opt_out(opt_out);
            if let Some(f) = &s.opt_out_file {
                policy = policy.with_opt_out_file(self.path(f));
            }
            if s.opt_in_file.is_some() || s.opt_in.is_some() {
                let opt_in = self.number_set(
                    s.opt_in_file.as_ref(),
                    s.opt_in.as_deref().unwrap_or(&[]),
                    "subscription.opt_in",
                )?;
                policy = policy.with_opt_in(opt_in);
            }
            if !s.enabled {
                policy = policy.without(Check::Subscription);
            }
        }

        if let Some(c) = cfg.content {
            if !c.enabled {
                policy = policy.without(Check::Content);
            } else {
                let mut words: Vec<String> = match &c.keywords_file {
                    Some(f) => KeywordMatcher::load(&self.path(f))?,
                    None => Vec::new(),
                };
                for (i, k) in c.keywords.iter().enumerate() {
                    if crate::text::normalize(k.get_ref()).trim().is_empty() {
                        return self.err(
                            k.span(),
                            &format!("content.keywords[{i}]"),
                            "empty keyword would refuse every message",
                        );
                    }
                    words.push(k.get_ref().clone());
                }
                policy = policy.with_content(KeywordMatcher::new(words)?, c.allow_advertising);
            }
        }

        if let Some(r) = cfg.rate {
            if r.enabled {
                let mut limits = Vec::with_capacity(r.limit.len());
                for (i, l) in r.limit.iter().enumerate() {
                    let field = |k: &str| format!("rate.limit[{i}].{k}");
                    let category: Category = match l.category.get_ref().parse() {
                        Ok(c) => c,
                        Err(e) => {
                            return self.err(l.category.span(), &field("category"), e.to_string())
                        }
                    };
                    let window = match parse_window(l.window.get_ref()) {
                        Ok(w) => w,
                        Err(m) => return self.err(l.window.span(), &field("window"), m),
                    };
                    match RateLimit::new(category, *l.max.get_ref(), window) {
                        Ok(limit) => limits.push(limit),
                        Err(m) => {
                            let span = if m.starts_with("max") {
                                l.max.span()
                            } else {
                                l.window.span()
                            };
                            let key = if m.starts_with("max") {
                                "max"
                            } else {
                                "window"
                            };
                            return self.err(span, &field(key), m);
                        }
                    }
                }
                let limiter = match &r.state_file {
                    Some(f) => RateLimiter::load(self.path(f), limits)?,
                    None => RateLimiter::new(limits),
                };
                policy = policy.with_rate(limiter);
            }
        }

        if let Some(u) = cfg.unsubscribe {
            for (i, w) in u.words.iter().enumerate() {
                if crate::text::normalize(w.get_ref()).trim().is_empty() {
                    return self.err(w.span(), &format!("unsubscribe.words[{i}]"), "empty word");
                }
            }
            policy = policy.with_unsubscribe_words(u.words.iter().map(|w| w.get_ref()));
        }
        Ok(policy)
    }
}

impl Ctx<'_> {
    /// A carrier's ranges: the file replaces the built-in list; inline prefixes are added to
    /// the file's, or replace the built-in list when there is no file.
    fn ranges(
        &self,
        carrier: Carrier,
        file: Option<&Spanned<String>>,
        inline: Option<&[Spanned<String>]>,
        field: &str,
    ) -> Result<PrefixTable, PolicyError> {
        let mut prefixes = match file {
            Some(f) => PrefixTable::load(&self.path(f))?,
            None if inline.is_some() => PrefixTable::empty(),
            None => PrefixTable::built_in(carrier),
        };
        for (i, p) in inline.into_iter().flatten().enumerate() {
            if let Err(m) = prefixes.add(p.get_ref()) {
                return self.err(p.span(), &format!("{field}.prefixes[{i}]"), m);
            }
        }
        Ok(prefixes)
    }

    /// The routing table of `[carrier]`.
    fn routes(&self, c: &CarrierCfg) -> Result<Routes, PolicyError> {
        let mut routes = Routes::new().with_prefixes(
            Carrier::ChinaMobile,
            self.ranges(
                Carrier::ChinaMobile,
                c.prefixes_file.as_ref(),
                c.prefixes.as_deref(),
                "carrier",
            )?,
        );
        for (carrier, cfg, field) in [
            (Carrier::ChinaUnicom, &c.unicom, "carrier.unicom"),
            (Carrier::ChinaTelecom, &c.telecom, "carrier.telecom"),
        ] {
            if let Some(r) = cfg {
                let table = self.ranges(
                    carrier,
                    r.prefixes_file.as_ref(),
                    r.prefixes.as_deref(),
                    field,
                )?;
                routes.set_prefixes(carrier, table);
            }
        }
        let ported_in =
            self.number_set(c.ported_in_file.as_ref(), &c.ported_in, "carrier.ported_in")?;
        let ported_out = self.number_set(
            c.ported_out_file.as_ref(),
            &c.ported_out,
            "carrier.ported_out",
        )?;
        routes = routes.with_ported_out(ported_out);
        routes.port_all(&ported_in, Carrier::ChinaMobile);
        // The explicit number → carrier lists come last: they win over ported_in.
        if let Some(f) = &c.ported_file {
            let path = self.path(f);
            let text = std::fs::read_to_string(&path).map_err(|e| PolicyError::io(&path, e))?;
            for (n, carrier) in parse_ported(&text, &path.display().to_string())? {
                routes.port(n, carrier);
            }
        }
        for (number, carrier) in &c.ported {
            let field = format!("carrier.ported.\"{}\"", crate::error::clip(number));
            let n = match MobileNumber::parse(number) {
                Ok(n) => n,
                Err(e) => {
                    return self.err(
                        carrier.span(),
                        &field,
                        format!("`{}`: {e}", crate::error::clip(number)),
                    )
                }
            };
            match carrier.get_ref().parse::<Carrier>() {
                Ok(carrier) => routes.port(n, carrier),
                Err(e) => {
                    return self.err(
                        carrier.span(),
                        &field,
                        format!("{e} (use mobile, unicom or telecom)"),
                    )
                }
            }
        }
        Ok(routes)
    }
}

/// Reads a ported-numbers file: `NUMBER CARRIER` per line (`13300000001 mobile`), `#` comments.
pub fn parse_ported(text: &str, file: &str) -> Result<Vec<(MobileNumber, Carrier)>, PolicyError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let body = line.split('#').next().unwrap_or("").trim();
        if body.is_empty() {
            continue;
        }
        let bad = |message: String| PolicyError::Data {
            file: file.to_string(),
            line: i + 1,
            message,
        };
        let mut words = body.split_whitespace();
        let (Some(number), Some(carrier), None) = (words.next(), words.next(), words.next()) else {
            return Err(bad(format!(
                "`{}` is not `NUMBER CARRIER` (e.g. `13300000001 mobile`)",
                crate::error::clip(body)
            )));
        };
        let n = MobileNumber::parse(number)
            .map_err(|e| bad(format!("`{}`: {e}", crate::error::clip(number))))?;
        let c = carrier
            .parse::<Carrier>()
            .map_err(|e| bad(format!("{e} (use mobile, unicom or telecom)")))?;
        out.push((n, c));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("90s"), Ok(Duration::seconds(90)));
        assert_eq!(parse_window("1h"), Ok(Duration::hours(1)));
        assert_eq!(parse_window("1d"), Ok(Duration::days(1)));
        assert_eq!(parse_window("30m"), Ok(Duration::minutes(30)));
        assert!(parse_window("1").unwrap_err().contains("no unit"));
        assert!(parse_window("1w").unwrap_err().contains("unknown unit"));
        assert!(parse_window("h").is_err());
        assert!(parse_window("99999999999999999999d").is_err());
        assert!(parse_window("9999999999999999d").is_err());
    }
}
