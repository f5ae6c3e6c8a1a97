//! Fast RFC 3339 time text: written in Beijing time with milliseconds, read in any offset.
//!
//! Interchange files hold tens of millions of times, so the common shape
//! (`YYYY-MM-DDTHH:MM:SS[.fff]±HH:MM` or `Z`) is parsed by hand and anything
//! else falls back to chrono's full parser.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// Appends `t` as `YYYY-MM-DDTHH:MM:SS.mmm+08:00` (Beijing time, milliseconds).
pub fn write_beijing(t: DateTime<Utc>, out: &mut String) {
    let local = crate::time::to_beijing(t);
    let year = local.year();
    if !(0..=9999).contains(&year) {
        // Out of the four-digit range: let chrono spell it.
        out.push_str(&local.to_rfc3339_opts(chrono::SecondsFormat::Millis, false));
        return;
    }
    let ms = local.timestamp_subsec_millis().min(999);
    let mut buf = *b"0000-00-00T00:00:00.000+08:00";
    let mut put = |pos: usize, width: usize, mut v: u32| {
        for i in (0..width).rev() {
            buf[pos + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, local.month());
    put(8, 2, local.day());
    put(11, 2, local.hour());
    put(14, 2, local.minute());
    put(17, 2, local.second().min(59));
    put(20, 3, ms);
    // Every byte is an ASCII digit or punctuation.
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// `t` as text in Beijing time with milliseconds.
pub fn beijing_string(t: DateTime<Utc>) -> String {
    let mut s = String::with_capacity(29);
    write_beijing(t, &mut s);
    s
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

fn fast(s: &[u8]) -> Option<DateTime<Utc>> {
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b't' | b' ') {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&s[0..4])? as i32,
        digits(&s[5..7])?,
        digits(&s[8..10])?,
    )?;
    let (h, mi, se) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&tail[..n])? * 10u32.pow(9 - n as u32);
        rest = &tail[n..];
    }
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh @ .., b':', m1, m2] if oh.len() == 2 => {
            let v = i64::from(digits(oh)? * 3600 + digits(&[*m1, *m2])? * 60);
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return None,
    };
    let naive = date.and_hms_nano_opt(h, mi, se, nanos)?;
    Some(naive.and_utc() - chrono::Duration::seconds(offset_secs))
}

/// Parses an RFC 3339 time in any offset.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    fast(s.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn writes_beijing_with_millis() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
            + chrono::Duration::milliseconds(123);
        assert_eq!(beijing_string(t), "2026-03-01T08:00:00.123+08:00");
        assert_eq!(parse_time("2026-03-01T08:00:00.123+08:00"), Some(t));
    }

    #[test]
    fn reads_any_offset_and_rejects_garbage() {
        let t = Utc.with_ymd_and_hms(2026, 2, 28, 16, 30, 0).unwrap();
        assert_eq!(parse_time("2026-03-01T00:30:00+08:00"), Some(t));
        assert_eq!(parse_time("2026-02-28T16:30:00Z"), Some(t));
        assert_eq!(parse_time("2026-02-28T11:30:00-05:00"), Some(t));
        assert_eq!(
            parse_time("2026-02-28T16:30:00.5Z"),
            Some(t + chrono::Duration::milliseconds(500))
        );
        assert_eq!(parse_time("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_time("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_time("2026-02-28"), None);
        assert_eq!(parse_time("yesterday"), None);
    }
}
