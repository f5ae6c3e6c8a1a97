//! The fast path for rows in the writer's own shape, a byte at a time.
//!
//! Most files are read back by this crate's own writer's output: strings without escapes,
//! integers and `null`. Reading those without serde's machinery doubles the reader's speed;
//! anything else falls back to the serde path in [`super::visit`].

use crate::columns::{Cell, CELLS};
use std::borrow::Cow;

/// Cell index of an interchange field name (a `match`, so no key is allocated or scanned for).
pub(super) fn key_index(key: &str) -> Option<usize> {
    Some(match key {
        "local_id" => 0,
        "msg_id" => 1,
        "src" => 2,
        "dest" => 3,
        "category" => 4,
        "segment" => 5,
        "segments" => 6,
        "group_id" => 7,
        "submitted_at" => 8,
        "responded_at" => 9,
        "resp_result" => 10,
        "resp_class" => 11,
        "reported_at" => 12,
        "report_stat" => 13,
        "report_class" => 14,
        "resends" => 15,
        "final_state" => 16,
        "exempt" => 17,
        "carrier" => 18,
        "detail" => 19,
        _ => return None,
    })
}

/// The fast path for the shape the writer produces: an object whose values are
/// strings without escapes, non-negative integers or `null`, with JSON
/// whitespace anywhere between tokens.
///
/// It fills `cells` exactly as the serde path would and returns `true`, or returns
/// `false` (leaving `cells` in any state) on anything else — escapes, other kinds
/// of values, malformed JSON — which the serde path then reads or reports.
pub(super) fn fast_cells<'a>(line: &'a str, cells: &mut [Cell<'a>; CELLS]) -> bool {
    let b = line.as_bytes();
    let mut p = skip_ws(b, 0);
    if b.get(p) != Some(&b'{') {
        return false;
    }
    p = skip_ws(b, p + 1);
    if b.get(p) == Some(&b'}') {
        return skip_ws(b, p + 1) == b.len();
    }
    // The field the writer would put next: checked first, with one comparison.
    let mut expect = 0;
    loop {
        // Key and colon.
        let index = match WRITTEN_KEYS.get(expect) {
            Some(k) if b[p..].starts_with(k) => {
                p += k.len();
                Some(expect)
            }
            _ => {
                let Some((key, next)) = simple_str(line, p) else {
                    return false;
                };
                p = skip_ws(b, next);
                if b.get(p) != Some(&b':') {
                    return false;
                }
                p += 1;
                key_index(key)
            }
        };
        if let Some(i) = index {
            expect = i + 1;
        }
        p = skip_ws(b, p);
        // Value.
        let (cell, next) = match b.get(p) {
            Some(b'"') => match simple_str(line, p) {
                Some((s, next)) => (Cell::Text(Cow::Borrowed(s)), next),
                None => return false,
            },
            Some(b'0'..=b'9') => {
                let digits = b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
                // A leading zero is invalid JSON; 20 digits may not fit a u64.
                if digits > 19 || (digits > 1 && b[p] == b'0') {
                    return false;
                }
                let n = b[p..p + digits]
                    .iter()
                    .fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
                (Cell::Num(n), p + digits)
            }
            Some(b'n') if b[p..].starts_with(b"null") => (Cell::Empty, p + 4),
            _ => return false,
        };
        if let Some(i) = index {
            cells[i] = cell;
        }
        // `,` and the next key, or `}` and the end.
        p = skip_ws(b, next);
        match b.get(p) {
            Some(b',') => p = skip_ws(b, p + 1),
            Some(b'}') => return skip_ws(b, p + 1) == b.len(),
            _ => return false,
        }
    }
}

/// Index of the first byte at or after `p` that is not JSON whitespace.
fn skip_ws(b: &[u8], mut p: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(p) {
        p += 1;
    }
    p
}

/// The string starting with the `"` at `p` and the index after its closing quote,
/// when it has no escapes and no control characters (which the serde path handles).
fn simple_str(line: &str, p: usize) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    if b.get(p) != Some(&b'"') {
        return None;
    }
    let body = b.get(p + 1..)?;
    let len = special_byte(body)?;
    if body[len] != b'"' {
        return None;
    }
    // Both ends are ASCII quotes, so this is on character boundaries.
    Some((line.get(p + 1..p + 1 + len)?, p + 2 + len))
}

/// Position of the first `"`, `\` or control character, eight bytes at a time.
pub(super) fn special_byte(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte below `n` (and maybe in bytes above a true one).
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hits = below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20);
        if hits != 0 {
            // The lowest flagged byte is always a true one.
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| at + i)
}

/// Each field name as the writer puts it, quoted and followed by its colon, in writer order.
pub(super) const WRITTEN_KEYS: [&[u8]; CELLS] = [
    b"\"local_id\":",
    b"\"msg_id\":",
    b"\"src\":",
    b"\"dest\":",
    b"\"category\":",
    b"\"segment\":",
    b"\"segments\":",
    b"\"group_id\":",
    b"\"submitted_at\":",
    b"\"responded_at\":",
    b"\"resp_result\":",
    b"\"resp_class\":",
    b"\"reported_at\":",
    b"\"report_stat\":",
    b"\"report_class\":",
    b"\"resends\":",
    b"\"final_state\":",
    b"\"exempt\":",
    b"\"carrier\":",
    b"\"detail\":",
];
