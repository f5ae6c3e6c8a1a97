//! Width- and case-insensitive text: the normal form that keywords and messages are compared in.

/// Calls `emit` with each character of `text` in normal form: full-width ASCII
/// (U+FF01–U+FF5E) becomes ASCII, the ideographic space U+3000 becomes a space, and
/// letters become lower case. Allocates nothing.
#[inline]
pub fn for_each_normalized(text: &str, mut emit: impl FnMut(char)) {
    for c in text.chars() {
        normalize_char(c, &mut emit);
    }
}

/// What normalisation does to one non-ASCII character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mapped {
    /// Unchanged.
    Same,
    /// Replaced by one ASCII character.
    Ascii(u8),
    /// Lower-cased (possibly into several characters).
    Lower,
}

/// Normal form of one non-ASCII character.
#[inline]
pub(crate) fn map_non_ascii(c: char) -> Mapped {
    match c {
        '\u{FF01}'..='\u{FF5E}' => Mapped::Ascii(((c as u32 - 0xFEE0) as u8).to_ascii_lowercase()),
        '\u{3000}' => Mapped::Ascii(b' '),
        // Skips the case-table look-up for the scripts most messages are written in.
        c if caseless(c) => Mapped::Same,
        c if c.is_lowercase() || !c.is_uppercase() => Mapped::Same,
        _ => Mapped::Lower,
    }
}

#[inline]
fn normalize_char(c: char, emit: &mut impl FnMut(char)) {
    if c.is_ascii() {
        return emit(c.to_ascii_lowercase());
    }
    match map_non_ascii(c) {
        Mapped::Same => emit(c),
        Mapped::Ascii(b) => emit(char::from(b)),
        Mapped::Lower => {
            for l in c.to_lowercase() {
                emit(l);
            }
        }
    }
}

/// Blocks with no letter case: CJK, kana, Hangul, CJK punctuation and symbols.
#[inline]
fn caseless(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF20}'
        | '\u{FF3B}'..='\u{FF40}'
        | '\u{FF5B}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// The normal form of `text` as a new string (for keywords and configuration words).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for_each_normalized(text, |c| out.push(c));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_ascii_and_case_fold() {
        assert_eq!(normalize("ＦＲＥＥ"), "free");
        assert_eq!(normalize("Free！"), "free!");
        assert_eq!(normalize("免费　领取"), "免费 领取");
        assert_eq!(normalize("ÄÖÜ Σ"), "äöü σ");
        assert_eq!(
            normalize("ｗｗｗ．ＥＸＡＭＰＬＥ．ｃｏｍ"),
            "www.example.com"
        );
        // Full-width punctuation outside FF01–FF5E (the ideographic full stop) is kept.
        assert_eq!(normalize("好。"), "好。");
    }

    proptest::proptest! {
        #[test]
        fn normal_form_is_idempotent(s in "\\PC{0,30}") {
            let once = normalize(&s);
            // Lower-casing can change a few characters twice (e.g. U+0130); compare the
            // second and third passes, which must agree.
            let twice = normalize(&once);
            proptest::prop_assert_eq!(normalize(&twice), twice);
        }
    }
}
