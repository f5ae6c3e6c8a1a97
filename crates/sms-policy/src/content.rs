//! Refused keywords: a width- and case-insensitive multi-keyword matcher.

use crate::error::PolicyError;
use crate::text::{map_non_ascii, normalize, Mapped};
use aho_corasick::automaton::Automaton;
use aho_corasick::{dfa, nfa::contiguous, Anchored, MatchKind};
use std::path::Path;

/// Above this many pattern bytes the matcher uses a compact NFA instead of a DFA, whose
/// table grows with patterns × byte classes.
const DFA_MAX_PATTERN_BYTES: usize = 256 * 1024;

/// Finds refused keywords in message text, linear in the text length whatever the number
/// of keywords (Aho–Corasick).
///
/// Keywords and text are both compared in normal form (full-width ASCII → ASCII, U+3000 →
/// space, lower case; see [`crate::text`]). Keywords are literal substrings.
#[derive(Clone)]
pub struct KeywordMatcher {
    automaton: Option<Engine>,
    /// The keywords as configured, for the refusal reason.
    keywords: Vec<String>,
}

#[derive(Clone)]
enum Engine {
    Dfa(dfa::DFA),
    Nfa(contiguous::NFA),
}

impl std::fmt::Debug for KeywordMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordMatcher")
            .field("keywords", &self.keywords.len())
            .finish()
    }
}

impl KeywordMatcher {
    /// A matcher for the given keywords. Keywords that are empty in normal form are an error,
    /// since they would match every message.
    pub fn new<I, S>(keywords: I) -> Result<Self, PolicyError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let keywords: Vec<String> = keywords.into_iter().map(Into::into).collect();
        let mut normal = Vec::with_capacity(keywords.len());
        for (i, k) in keywords.iter().enumerate() {
            let n = normalize(k);
            if n.trim().is_empty() {
                return Err(PolicyError::Data {
                    file: "<keywords>".into(),
                    line: i + 1,
                    message: "empty keyword would refuse every message".into(),
                });
            }
            normal.push(n);
        }
        Self::build(keywords, normal)
    }

    fn build(keywords: Vec<String>, normal: Vec<String>) -> Result<Self, PolicyError> {
        if normal.is_empty() {
            return Ok(KeywordMatcher {
                automaton: None,
                keywords,
            });
        }
        let total: usize = normal.iter().map(String::len).sum();
        let build_err = |e: aho_corasick::BuildError| PolicyError::Data {
            file: "<keywords>".into(),
            line: 0,
            message: format!("cannot build the keyword matcher: {e}"),
        };
        let engine = if total <= DFA_MAX_PATTERN_BYTES {
            Engine::Dfa(
                dfa::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .start_kind(aho_corasick::StartKind::Unanchored)
                    .build(&normal)
                    .map_err(build_err)?,
            )
        } else {
            Engine::Nfa(
                contiguous::Builder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&normal)
                    .map_err(build_err)?,
            )
        };
        Ok(KeywordMatcher {
            automaton: Some(engine),
            keywords,
        })
    }

    /// Reads keywords from a file: one per line, surrounding spaces trimmed, blank lines and
    /// lines starting with `#` skipped.
    pub fn load(path: &Path) -> Result<Vec<String>, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::io(path, e))?;
        Ok(parse_keyword_lines(&text))
    }

    /// Number of keywords.
    pub fn len(&self) -> usize {
        self.keywords.len()
    }

    /// Whether there are no keywords.
    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty()
    }

    /// The first keyword (as configured) found in `text`, if any. Allocates nothing.
    pub fn find(&self, text: &str) -> Option<&str> {
        let pid = match self.automaton.as_ref()? {
            Engine::Dfa(a) => scan(a, text),
            Engine::Nfa(a) => scan(a, text),
        }?;
        self.keywords.get(pid).map(String::as_str)
    }
}

/// Feeds the normalised text byte by byte through the automaton; stops at the first match.
///
/// Characters that normalisation leaves alone (ASCII lower case, CJK) are fed straight from
/// the text's own bytes, so the common case costs one transition per byte.
#[inline]
fn scan<A: Automaton>(a: &A, text: &str) -> Option<usize> {
    let mut sid = a.start_state(Anchored::No).ok()?;
    macro_rules! feed {
        ($b:expr) => {{
            sid = a.next_state(Anchored::No, sid, $b);
            if a.is_special(sid) {
                if a.is_match(sid) {
                    return Some(a.match_pattern(sid, 0).as_usize());
                }
                if a.is_dead(sid) {
                    return None;
                }
            }
        }};
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            feed!(b.to_ascii_lowercase());
            i += 1;
            continue;
        }
        // `i` is always on a character boundary: it only advances by whole characters.
        let c = text[i..].chars().next()?;
        let len = c.len_utf8();
        match map_non_ascii(c) {
            Mapped::Same => {
                for &b in &bytes[i..i + len] {
                    feed!(b);
                }
            }
            Mapped::Ascii(b) => feed!(b),
            Mapped::Lower => {
                for l in c.to_lowercase() {
                    let mut buf = [0u8; 4];
                    for &b in l.encode_utf8(&mut buf).as_bytes() {
                        feed!(b);
                    }
                }
            }
        }
        i += len;
    }
    None
}

pub(crate) fn parse_keyword_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_width_and_case() {
        let m = KeywordMatcher::new(["免费领取", "ＦＲＥＥ", "Click Here"]).unwrap();
        assert_eq!(m.find("Totally free stuff"), Some("ＦＲＥＥ"));
        assert_eq!(m.find("ＦＲＥＥ！"), Some("ＦＲＥＥ"));
        assert_eq!(m.find("快来免费领取大礼包"), Some("免费领取"));
        assert_eq!(m.find("ｃｌｉｃｋ　ｈｅｒｅ"), Some("Click Here"));
        assert_eq!(m.find("您的验证码是123456"), None);
        assert_eq!(m.find("fre e"), None);
        assert_eq!(m.find(""), None);
    }

    #[test]
    fn empty_set_matches_nothing_and_empty_keyword_is_refused() {
        let m = KeywordMatcher::new(Vec::<String>::new()).unwrap();
        assert!(m.is_empty());
        assert_eq!(m.find("anything"), None);
        let err = KeywordMatcher::new(["ok", "　"]).unwrap_err();
        assert!(err.to_string().contains(":2: empty keyword"), "{err}");
    }

    #[test]
    fn thousands_of_keywords_both_engines() {
        // Enough bytes to switch to the NFA engine, and a small set for the DFA.
        for count in [1_000usize, 20_000] {
            let keywords: Vec<String> = (0..count).map(|i| format!("违禁词{i:05}号")).collect();
            let m = KeywordMatcher::new(keywords.clone()).unwrap();
            assert!(matches!(
                (&m.automaton, count),
                (Some(Engine::Dfa(_)), 1_000) | (Some(Engine::Nfa(_)), 20_000)
            ));
            let hit = count - 7;
            let text = format!("前缀文字 违禁词{hit:05}号 后缀");
            assert_eq!(m.find(&text), Some(keywords[hit].as_str()));
            assert_eq!(m.find("违禁词号 正常内容"), None);
        }
    }

    #[test]
    fn adversarial_text_is_correct() {
        let long_a = "a".repeat(1_000);
        let m = KeywordMatcher::new([format!("{long_a}b"), "zzz".to_string()]).unwrap();
        let text = "a".repeat(100 * 1024);
        assert_eq!(m.find(&text), None);
        let text_hit = format!("{text}b");
        assert_eq!(m.find(&text_hit).map(str::len), Some(1_001));
    }

    proptest::proptest! {
        /// The streaming scan agrees with "normalise both, then search" on mixed-width text.
        #[test]
        fn scan_agrees_with_normalised_search(
            text in "[a-cA-Cａ-ｃＡ-Ｃ免费Ää　 ]{0,24}",
            keyword in "[a-cA-Cａ-ｃＡ-Ｃ免费Ää]{1,3}",
        ) {
            let m = KeywordMatcher::new([keyword.clone()]).unwrap();
            let expected = normalize(&text).contains(&normalize(&keyword));
            proptest::prop_assert_eq!(m.find(&text).is_some(), expected);
        }
    }

    #[test]
    fn keyword_file_lines() {
        let k = parse_keyword_lines("# list\n  免费 \n\n#x\nwin\n");
        assert_eq!(k, vec!["免费".to_string(), "win".to_string()]);
    }
}
