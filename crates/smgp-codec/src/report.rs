//! The status report carried in a Deliver's MsgContent when IsReport = 1 (§3.6).
//!
//! The canonical layout is 122 bytes at fixed offsets, but real gateways vary the labels'
//! case, write `_` for the space in "submit date", separate fields with `s` instead of a
//! space, drop the separator after the id, shorten the text. The parser therefore cuts the
//! 10 binary id bytes by position after `id:` (they may contain 0x20 or `s`), then finds each
//! remaining key case-insensitively with `_` ≡ space, searching forward from the previous
//! value, and bounds each value by its nominal width.

use bytes::{BufMut, BytesMut};
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};

use crate::codes::{report_cause_class, CauseClass, Stat};
use crate::msg_id::MsgId;
use crate::text::Text;

/// A parsed status report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusReport {
    /// Id: the MsgID of the reported Submit_Resp (raw bytes).
    pub id: MsgId,
    /// sub (usually "001").
    pub sub: Text<3>,
    /// dlvrd (usually "001").
    pub dlvrd: Text<3>,
    /// Submit date `YYMMDDhhmm`.
    pub submit_date: Text<10>,
    /// Done date `YYMMDDhhmm`.
    pub done_date: Text<10>,
    /// Stat, e.g. DELIVRD, or a vendor value such as RT:0148.
    pub stat: Stat,
    /// Err: three digits.
    pub err: Text<3>,
    /// Txt: the start of the original message (NUL padding removed), at most 20 bytes.
    pub text: Vec<u8>,
}

/// A status report content that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The content does not start with `id:` and 10 id bytes.
    #[error("status report is {len} bytes and does not start with \"id:\" and a 10-byte id")]
    NoId {
        /// Content length.
        len: usize,
    },
    /// A required key is missing.
    #[error("status report has no \"{key}\" field")]
    MissingKey {
        /// The key, e.g. "stat:".
        key: &'static str,
    },
}

const LEN: usize = 122;

impl StatusReport {
    /// Parses a report content (see the module docs for the variants accepted). `id:` and
    /// `stat:` are required; other missing fields are left empty.
    pub fn parse(content: &[u8]) -> Result<StatusReport, ReportError> {
        let no_id = ReportError::NoId { len: content.len() };
        let (label, rest) = content.split_at_checked(3).ok_or(no_id)?;
        if !label.eq_ignore_ascii_case(b"id:") {
            return Err(no_id);
        }
        let (id, _) = rest.split_first_chunk::<10>().ok_or(no_id)?;
        let mut report = StatusReport {
            id: MsgId(*id),
            ..StatusReport::default()
        };
        let mut at = 13;
        let mut field = |keys: &[&'static [u8]], width: usize| -> Option<&[u8]> {
            let (start, _) = keys
                .iter()
                .find_map(|k| find_key(content, at, k).map(|s| (s, k)))?;
            let end = start.saturating_add(width).min(content.len());
            at = end;
            Some(&content[start..end])
        };
        report.sub = value(field(&[b"sub"], 3));
        report.dlvrd = value(field(&[b"dlvrd"], 3));
        report.submit_date = value(field(&[b"submit date"], 10));
        report.done_date = value(field(&[b"done date"], 10));
        report.stat = Stat(value(Some(
            field(&[b"stat"], 7).ok_or(ReportError::MissingKey { key: "stat:" })?,
        )));
        report.err = value(field(&[b"err"], 3));
        if let Some(text) = field(&[b"text", b"txt"], 20) {
            let end = text.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            report.text = text[..end].to_vec();
        }
        Ok(report)
    }

    /// Err as a number, when it is three digits.
    pub fn err_code(&self) -> Option<u16> {
        let e = self.err.as_bytes();
        (e.len() == 3 && e.iter().all(u8::is_ascii_digit))
            .then(|| e.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
    }

    /// Neutral class of the outcome (Stat and Err, see [`report_cause_class`]).
    pub fn cause_class(&self) -> CauseClass {
        report_cause_class(&self.stat, self.err_code())
    }

    /// The done date as Beijing time (`YYMMDDhhmm`, 20YY); `None` when malformed.
    pub fn done_time(&self) -> Option<DateTime<FixedOffset>> {
        beijing_yymmddhhmm(self.done_date.as_bytes())
    }

    /// The submit date as Beijing time; `None` when malformed.
    pub fn submit_time(&self) -> Option<DateTime<FixedOffset>> {
        beijing_yymmddhhmm(self.submit_date.as_bytes())
    }

    /// The canonical 122-byte content (spec labels, fields padded with NUL).
    pub fn to_content(&self) -> Vec<u8> {
        let mut b = BytesMut::with_capacity(LEN);
        b.put_slice(b"id:");
        b.put_slice(&self.id.0);
        b.put_slice(b" sub:");
        self.sub.put(&mut b);
        b.put_slice(b" dlvrd:");
        self.dlvrd.put(&mut b);
        b.put_slice(b" submit date:");
        self.submit_date.put(&mut b);
        b.put_slice(b" done date:");
        self.done_date.put(&mut b);
        b.put_slice(b" stat:");
        self.stat.0.put(&mut b);
        b.put_slice(b" err:");
        self.err.put(&mut b);
        b.put_slice(b" text:");
        let text = self.text.get(..20).unwrap_or(&self.text);
        b.put_slice(text);
        b.put_bytes(0, 20 - text.len());
        b.to_vec()
    }
}

fn value<const N: usize>(v: Option<&[u8]>) -> Text<N> {
    v.map(Text::from_field).unwrap_or_default()
}

/// Start of the value of `key` (matched before a ':' case-insensitively, '_' ≡ ' '), at or
/// after `from`.
fn find_key(hay: &[u8], from: usize, key: &[u8]) -> Option<usize> {
    let tail = hay.get(from..)?;
    memchr::memchr_iter(b':', tail).find_map(|colon| {
        let label = tail.get(colon.checked_sub(key.len())?..colon)?;
        let same = label.iter().zip(key).all(|(&a, &b)| {
            let norm = |c: u8| {
                if c == b'_' {
                    b' '
                } else {
                    c.to_ascii_lowercase()
                }
            };
            norm(a) == norm(b)
        });
        same.then_some(from + colon + 1)
    })
}

fn beijing_yymmddhhmm(v: &[u8]) -> Option<DateTime<FixedOffset>> {
    if v.len() != 10 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| v[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let date = NaiveDate::from_ymd_opt(2000 + n(0..2) as i32, n(2..4), n(4..6))?;
    let naive = date.and_hms_opt(n(6..8), n(8..10), 0)?;
    sms_time::BEIJING.from_local_datetime(&naive).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_content_parses_and_rebuilds() {
        let r = StatusReport {
            id: "00006308222132427973".parse().unwrap(),
            sub: Text::new(b"001").unwrap(),
            dlvrd: Text::new(b"001").unwrap(),
            submit_date: Text::new(b"2508222132").unwrap(),
            done_date: Text::new(b"2508222132").unwrap(),
            stat: Stat(Text::new(b"DELIVRD").unwrap()),
            err: Text::new(b"000").unwrap(),
            text: Vec::new(),
        };
        let content = r.to_content();
        assert_eq!(content.len(), 122);
        assert_eq!(StatusReport::parse(&content), Ok(r.clone()));
        assert_eq!(r.err_code(), Some(0));
        assert_eq!(r.cause_class(), CauseClass::Delivered);
        assert_eq!(
            r.done_time().unwrap().to_rfc3339(),
            "2025-08-22T21:32:00+08:00"
        );
    }

    #[test]
    fn garbage_is_a_typed_error() {
        assert_eq!(
            StatusReport::parse(b"id:"),
            Err(ReportError::NoId { len: 3 })
        );
        assert_eq!(
            StatusReport::parse(b"xx:0123456789"),
            Err(ReportError::NoId { len: 13 })
        );
        assert_eq!(
            StatusReport::parse(b"id:0123456789 sub:001"),
            Err(ReportError::MissingKey { key: "stat:" })
        );
    }
}
