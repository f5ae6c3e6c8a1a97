//! Reassembly of incoming concatenated messages.

use crate::msg_fmt::MsgFmt;
use crate::text::{self, Charset, ConcatInfo, Content, TextError, UdhError, UdhRef};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use thiserror::Error;

/// The addresses a long message travels between; parts only join when these match.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKey {
    /// Source number (e.g. Src_terminal_Id of a DELIVER).
    pub source: String,
    /// Destination or service number (e.g. Dest_Id of a DELIVER).
    pub destination: String,
}

impl MessageKey {
    /// A key from two addresses.
    pub fn new(source: impl Into<String>, destination: impl Into<String>) -> Self {
        MessageKey {
            source: source.into(),
            destination: destination.into(),
        }
    }
}

/// Limits for a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReassemblerConfig {
    /// An incomplete message is given up this long after its first part arrived.
    pub timeout: Duration,
    /// Most incomplete messages held at once (at least 1 is used).
    pub max_pending_messages: usize,
    /// Most payload bytes held across all incomplete messages.
    pub max_pending_bytes: usize,
}

impl Default for ReassemblerConfig {
    fn default() -> Self {
        ReassemblerConfig {
            timeout: Duration::from_secs(300),
            max_pending_messages: 10_000,
            max_pending_bytes: 16 * 1024 * 1024,
        }
    }
}

impl ReassemblerConfig {
    /// With incomplete messages given up `timeout` after their first part.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// With at most `max` incomplete messages held.
    pub fn with_max_pending_messages(mut self, max: usize) -> Self {
        self.max_pending_messages = max;
        self
    }

    /// With at most `max` payload bytes held across incomplete messages.
    pub fn with_max_pending_bytes(mut self, max: usize) -> Self {
        self.max_pending_bytes = max;
        self
    }
}

/// One received part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Payload without the UDH.
    pub payload: Vec<u8>,
    /// Msg_Fmt the part arrived with.
    pub msg_fmt: MsgFmt,
}

/// A long message handed back by the reassembler, complete or not.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReassembledMessage {
    /// Addresses.
    pub key: MessageKey,
    /// UDH reference kind.
    pub kind: UdhRef,
    /// UDH reference.
    pub reference: u16,
    /// Total parts announced by the UDH.
    pub total: u8,
    /// Parts by number (index 0 is part 1); `None` where a part is missing.
    pub parts: Vec<Option<Part>>,
    /// Whether every part arrived.
    pub complete: bool,
    /// Duplicate parts received (and ignored) for this message.
    pub duplicates: u32,
    /// When the first part arrived.
    pub first_seen: Instant,
}

impl ReassembledMessage {
    /// Part numbers (1-based) that never arrived.
    pub fn missing(&self) -> Vec<u8> {
        (1..=self.total)
            .zip(&self.parts)
            .filter(|(_, p)| p.is_none())
            .map(|(n, _)| n)
            .collect()
    }

    /// Msg_Fmt of the lowest-numbered part present.
    pub fn msg_fmt(&self) -> Option<MsgFmt> {
        self.parts.iter().flatten().map(|p| p.msg_fmt).next()
    }

    /// Payloads of the present parts, concatenated in part order.
    pub fn payload(&self) -> Vec<u8> {
        self.parts
            .iter()
            .flatten()
            .flat_map(|p| p.payload.iter().copied())
            .collect()
    }

    /// Decodes the whole message losslessly. Payloads are joined before
    /// decoding so a character split across parts (e.g. a surrogate pair)
    /// still decodes. Requires every part and a single Msg_Fmt.
    pub fn decode(&self) -> Result<Content, ReassemblyError> {
        if !self.complete {
            return Err(ReassemblyError::Incomplete {
                missing: self.missing(),
            });
        }
        let fmt = self.msg_fmt().ok_or(ReassemblyError::Incomplete {
            missing: self.missing(),
        })?;
        if let Some(other) = self.parts.iter().flatten().find(|p| p.msg_fmt != fmt) {
            return Err(ReassemblyError::MixedFormats {
                first: fmt,
                other: other.msg_fmt,
            });
        }
        Ok(text::decode(fmt, &self.payload())?)
    }

    /// Decodes whatever is present. Consecutive parts of the same Msg_Fmt are
    /// joined and decoded together; each gap becomes one U+FFFD; malformed
    /// sequences become U+FFFD. Binary messages (by the first part's format)
    /// give the present bytes concatenated, and binary runs inside a text
    /// message are shown as ISO-8859-1.
    pub fn decode_lossy(&self) -> Content {
        let Some(first) = self.msg_fmt() else {
            return Content::Text(String::new());
        };
        if text::charset(first) == Charset::Binary {
            return Content::Binary(self.payload());
        }
        let mut out = String::new();
        let mut run: Option<(MsgFmt, Vec<u8>)> = None;
        let flush = |run: &mut Option<(MsgFmt, Vec<u8>)>, out: &mut String| {
            if let Some((fmt, bytes)) = run.take() {
                match text::decode_lossy(fmt, &bytes) {
                    Content::Text(s) => out.push_str(&s),
                    Content::Binary(b) => out.push_str(&text::decode_latin1(&b)),
                }
            }
        };
        for part in &self.parts {
            match part {
                None => {
                    flush(&mut run, &mut out);
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                Some(p) => match &mut run {
                    Some((fmt, bytes)) if *fmt == p.msg_fmt => bytes.extend_from_slice(&p.payload),
                    _ => {
                        flush(&mut run, &mut out);
                        run = Some((p.msg_fmt, p.payload.clone()));
                    }
                },
            }
        }
        flush(&mut run, &mut out);
        Content::Text(out)
    }
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushOutcome {
    /// The last missing part arrived: here is the message.
    Complete(ReassembledMessage),
    /// Stored; more parts are awaited.
    Pending,
    /// This part number was already stored for the message; the new copy is ignored.
    Duplicate,
}

/// Result of [`Reassembler::push`]: the outcome plus any incomplete messages
/// evicted to stay within the memory limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushResult {
    /// What happened to the pushed part.
    pub outcome: PushOutcome,
    /// Oldest incomplete messages dropped to make room (`complete == false`).
    pub evicted: Vec<ReassembledMessage>,
}

/// Running counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReassemblerStats {
    /// Messages completed.
    pub completed: u64,
    /// Duplicate parts ignored.
    pub duplicates: u64,
    /// Incomplete messages returned by [`Reassembler::expire`].
    pub expired: u64,
    /// Incomplete messages evicted by the memory limits.
    pub evicted: u64,
}

/// Errors from reassembly.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// The UDH or concatenation values are invalid (part 0, part > total, …).
    #[error("invalid concatenated part: {0}")]
    Udh(#[from] UdhError),
    /// A single payload is larger than the whole pending-bytes budget.
    #[error("part payload of {len} bytes exceeds the pending-bytes limit {max}")]
    PayloadTooLarge {
        /// Payload length.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Strict decode of a message that lacks parts.
    #[error("message is incomplete; missing parts {missing:?}")]
    Incomplete {
        /// Missing part numbers.
        missing: Vec<u8>,
    },
    /// Strict decode of a message whose parts use different Msg_Fmt values.
    #[error("parts use different Msg_Fmt values ({first:?} and {other:?})")]
    MixedFormats {
        /// Format of the first part.
        first: MsgFmt,
        /// A differing format.
        other: MsgFmt,
    },
    /// The joined payload is not valid in its Msg_Fmt.
    #[error(transparent)]
    Text(#[from] TextError),
}

/// Identity of one long message: addresses + UDH reference (kind and value) +
/// total. The total is part of the key because different messages reuse
/// references (spec §9.8); the kind because an 8-bit and a 16-bit reference
/// with the same value come from different senders' counters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SetKey {
    key: MessageKey,
    kind: UdhRef,
    reference: u16,
    total: u8,
}

#[derive(Debug)]
struct PendingSet {
    parts: Vec<Option<Part>>,
    received: u8,
    bytes: usize,
    duplicates: u32,
    first_seen: Instant,
    seq: u64,
}

/// Collects parts of incoming long messages, keyed by addresses and the UDH
/// (never by Pk_total/Pk_number, which real gateways get wrong, spec §9.8).
///
/// Sans-IO: the caller passes `now` and calls [`Reassembler::expire`]
/// periodically. Memory stays within the configured message and byte limits by
/// evicting the oldest incomplete messages. Once a message completes it is
/// forgotten, so a late duplicate of one of its parts starts a new pending set
/// that eventually expires.
#[derive(Debug)]
pub struct Reassembler {
    config: ReassemblerConfig,
    pending: HashMap<SetKey, PendingSet>,
    /// Pending sets ordered by first arrival (ties broken by insertion order).
    order: BTreeMap<(Instant, u64), SetKey>,
    pending_bytes: usize,
    seq: u64,
    stats: ReassemblerStats,
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new(config: ReassemblerConfig) -> Self {
        Reassembler {
            config,
            pending: HashMap::new(),
            order: BTreeMap::new(),
            pending_bytes: 0,
            seq: 0,
            stats: ReassemblerStats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReassemblerConfig {
        &self.config
    }

    /// Incomplete messages currently held.
    pub fn pending_messages(&self) -> usize {
        self.pending.len()
    }

    /// Payload bytes currently held.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Running counters.
    pub fn stats(&self) -> ReassemblerStats {
        self.stats
    }

    /// Adds one part (`payload` without the UDH).
    pub fn push(
        &mut self,
        key: MessageKey,
        info: ConcatInfo,
        payload: &[u8],
        msg_fmt: MsgFmt,
        now: Instant,
    ) -> Result<PushResult, ReassemblyError> {
        info.validate()?;
        let part = Part {
            payload: payload.to_vec(),
            msg_fmt,
        };
        if info.total == 1 {
            // Nothing to wait for; not stored, so not subject to the limits.
            self.stats.completed += 1;
            return Ok(PushResult {
                outcome: PushOutcome::Complete(ReassembledMessage {
                    key,
                    kind: info.kind,
                    reference: info.reference,
                    total: 1,
                    parts: vec![Some(part)],
                    complete: true,
                    duplicates: 0,
                    first_seen: now,
                }),
                evicted: Vec::new(),
            });
        }
        let max_bytes = self.config.max_pending_bytes;
        if payload.len() > max_bytes {
            return Err(ReassemblyError::PayloadTooLarge {
                len: payload.len(),
                max: max_bytes,
            });
        }
        let set_key = SetKey {
            key,
            kind: info.kind,
            reference: info.reference,
            total: info.total,
        };
        let idx = usize::from(info.number - 1);
        if let Some(set) = self.pending.get_mut(&set_key) {
            if set.parts[idx].is_some() {
                set.duplicates += 1;
                self.stats.duplicates += 1;
                return Ok(PushResult {
                    outcome: PushOutcome::Duplicate,
                    evicted: Vec::new(),
                });
            }
        }

        let mut evicted = Vec::new();
        if !self.pending.contains_key(&set_key) {
            while self.pending.len() >= self.config.max_pending_messages.max(1) {
                match self.evict_oldest_except(None) {
                    Some(m) => evicted.push(m),
                    None => break,
                }
            }
        }
        while self.pending_bytes + payload.len() > max_bytes {
            // Prefer older messages; the one this part belongs to goes last.
            let m = self
                .evict_oldest_except(Some(&set_key))
                .or_else(|| self.evict_oldest_except(None));
            match m {
                Some(m) => evicted.push(m),
                None => break,
            }
        }
        self.stats.evicted += evicted.len() as u64;

        if !self.pending.contains_key(&set_key) {
            self.seq += 1;
            self.order.insert((now, self.seq), set_key.clone());
            self.pending.insert(
                set_key.clone(),
                PendingSet {
                    parts: vec![None; usize::from(info.total)],
                    received: 0,
                    bytes: 0,
                    duplicates: 0,
                    first_seen: now,
                    seq: self.seq,
                },
            );
        }
        let Some(set) = self.pending.get_mut(&set_key) else {
            // Inserted just above.
            return Ok(PushResult {
                outcome: PushOutcome::Pending,
                evicted,
            });
        };
        set.bytes += payload.len();
        self.pending_bytes += payload.len();
        set.parts[idx] = Some(part);
        set.received += 1;
        let outcome = if set.received == info.total {
            let msg = self.remove(&set_key, true);
            self.stats.completed += 1;
            msg.map_or(PushOutcome::Pending, PushOutcome::Complete)
        } else {
            PushOutcome::Pending
        };
        Ok(PushResult { outcome, evicted })
    }

    /// Splits the UDH off Msg_Content and pushes the part. Returns `Ok(None)`
    /// when the content carries no concatenation element (an ordinary single
    /// message the caller handles directly).
    pub fn push_content(
        &mut self,
        key: MessageKey,
        content: &[u8],
        udhi: bool,
        msg_fmt: MsgFmt,
        now: Instant,
    ) -> Result<Option<PushResult>, ReassemblyError> {
        let (ud, info) = text::parse_user_data(content, udhi)?;
        match info {
            Some(info) => self.push(key, info, ud.payload, msg_fmt, now).map(Some),
            None => Ok(None),
        }
    }

    /// Removes and returns incomplete messages whose first part arrived at
    /// least `timeout` before `now`, oldest first.
    pub fn expire(&mut self, now: Instant) -> Vec<ReassembledMessage> {
        let mut out = Vec::new();
        while let Some((&(first, _), _)) = self.order.first_key_value() {
            if now.saturating_duration_since(first) < self.config.timeout {
                break;
            }
            match self.evict_oldest_except(None) {
                Some(m) => out.push(m),
                None => break,
            }
        }
        self.stats.expired += out.len() as u64;
        out
    }

    /// Removes and returns every incomplete message (e.g. at shutdown).
    pub fn drain(&mut self) -> Vec<ReassembledMessage> {
        let mut out = Vec::new();
        while let Some(m) = self.evict_oldest_except(None) {
            out.push(m);
        }
        out
    }

    fn evict_oldest_except(&mut self, keep: Option<&SetKey>) -> Option<ReassembledMessage> {
        let victim = self.order.values().find(|k| Some(*k) != keep).cloned()?;
        self.remove(&victim, false)
    }

    fn remove(&mut self, set_key: &SetKey, complete: bool) -> Option<ReassembledMessage> {
        let set = self.pending.remove(set_key)?;
        self.order.remove(&(set.first_seen, set.seq));
        self.pending_bytes -= set.bytes;
        Some(ReassembledMessage {
            key: set_key.key.clone(),
            kind: set_key.kind,
            reference: set_key.reference,
            total: set_key.total,
            parts: set.parts,
            complete,
            duplicates: set.duplicates,
            first_seen: set.first_seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max_msgs: usize, max_bytes: usize) -> ReassemblerConfig {
        ReassemblerConfig {
            timeout: Duration::from_secs(60),
            max_pending_messages: max_msgs,
            max_pending_bytes: max_bytes,
        }
    }

    fn info(reference: u16, total: u8, number: u8) -> ConcatInfo {
        ConcatInfo {
            kind: UdhRef::Bits8,
            reference,
            total,
            number,
        }
    }

    fn key() -> MessageKey {
        MessageKey::new("13800138000", "10086")
    }

    #[test]
    fn out_of_order_and_duplicates() {
        let t0 = Instant::now();
        let mut r = Reassembler::new(cfg(10, 10_000));
        let f = MsgFmt::Ascii;
        let p = |r: &mut Reassembler, n, s: &str| r.push(key(), info(7, 3, n), s.as_bytes(), f, t0);
        assert_eq!(p(&mut r, 3, "c").unwrap().outcome, PushOutcome::Pending);
        assert_eq!(p(&mut r, 1, "a").unwrap().outcome, PushOutcome::Pending);
        assert_eq!(p(&mut r, 1, "X").unwrap().outcome, PushOutcome::Duplicate);
        assert_eq!(r.pending_bytes(), 2);
        let PushOutcome::Complete(m) = p(&mut r, 2, "b").unwrap().outcome else {
            panic!("expected completion");
        };
        assert!(m.complete);
        assert_eq!(m.duplicates, 1);
        assert_eq!(m.decode().unwrap(), Content::Text("abc".into()));
        assert_eq!(r.pending_messages(), 0);
        assert_eq!(r.pending_bytes(), 0);
        assert_eq!(r.stats().duplicates, 1);
        assert_eq!(r.stats().completed, 1);
    }

    #[test]
    fn same_reference_different_totals_are_separate() {
        // Spec §9.8: two long messages share reference 0x66 (3 parts and 2 parts).
        let t0 = Instant::now();
        let mut r = Reassembler::new(cfg(10, 10_000));
        let f = MsgFmt::Ascii;
        let mut done = Vec::new();
        for (total, n, s) in [
            (3, 1, "a"),
            (2, 1, "x"),
            (3, 2, "b"),
            (2, 2, "y"),
            (3, 3, "c"),
        ] {
            if let PushOutcome::Complete(m) = r
                .push(key(), info(0x66, total, n), s.as_bytes(), f, t0)
                .unwrap()
                .outcome
            {
                done.push(m.decode().unwrap());
            }
        }
        assert_eq!(
            done,
            [Content::Text("xy".into()), Content::Text("abc".into())]
        );
    }

    #[test]
    fn addresses_and_ref_kind_separate_messages() {
        let t0 = Instant::now();
        let mut r = Reassembler::new(cfg(10, 10_000));
        let f = MsgFmt::Ascii;
        r.push(key(), info(1, 2, 1), b"a", f, t0).unwrap();
        let other = MessageKey::new("13900000000", "10086");
        let out = r.push(other, info(1, 2, 2), b"b", f, t0).unwrap();
        assert_eq!(out.outcome, PushOutcome::Pending);
        let i16 = ConcatInfo {
            kind: UdhRef::Bits16,
            ..info(1, 2, 2)
        };
        assert_eq!(
            r.push(key(), i16, b"b", f, t0).unwrap().outcome,
            PushOutcome::Pending
        );
        assert_eq!(r.pending_messages(), 3);
    }

    #[test]
    fn invalid_parts_rejected() {
        let t0 = Instant::now();
        let mut r = Reassembler::new(cfg(10, 10_000));
        for bad in [info(1, 2, 0), info(1, 2, 3), info(1, 0, 0)] {
            let e = r.push(key(), bad, b"a", MsgFmt::Ascii, t0).unwrap_err();
            assert!(
                matches!(e, ReassemblyError::Udh(UdhError::BadPart { .. })),
                "{e}"
            );
        }
        let e = r
            .push(key(), info(300, 2, 1), b"a", MsgFmt::Ascii, t0)
            .unwrap_err();
        assert!(matches!(
            e,
            ReassemblyError::Udh(UdhError::ReferenceTooLarge { .. })
        ));
        let e = r
            .push(key(), info(1, 2, 1), &[0; 10_001], MsgFmt::Ascii, t0)
            .unwrap_err();
        assert_eq!(
            e,
            ReassemblyError::PayloadTooLarge {
                len: 10_001,
                max: 10_000
            }
        );
        assert_eq!(r.pending_messages(), 0);
    }

    #[test]
    fn single_part_udh_completes_at_once() {
        let t0 = Instant::now();
        let mut r = Reassembler::new(cfg(10, 10_000));
        let out = r
            .push(key(), info(1, 1, 1), b"hi", MsgFmt::Ascii, t0)
            .unwrap();
        let PushOutcome::Complete(m) = out.outcome else {
            panic!("expected completion");
        };
        assert_eq!(m.payload(), b"hi");
        assert_eq!(r.pending_messages(), 0);
    }

    #[test]
    fn expiry_reports_gaps() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut r = Reassembler::new(cfg(10, 10_000));
        let f = MsgFmt::Ascii;
        r.push(key(), info(1, 3, 1), b"a", f, t0).unwrap();
        r.push(key(), info(1, 3, 3), b"c", f, t0 + s(50)).unwrap();
        r.push(key(), info(2, 2, 1), b"z", f, t0 + s(30)).unwrap();
        assert!(r.expire(t0 + s(59)).is_empty());
        let gone = r.expire(t0 + s(60));
        assert_eq!(gone.len(), 1);
        let m = &gone[0];
        assert!(!m.complete);
        assert_eq!(m.reference, 1);
        assert_eq!(m.missing(), vec![2]);
        assert_eq!(m.decode_lossy(), Content::Text("a\u{FFFD}c".into()));
        assert_eq!(
            m.decode(),
            Err(ReassemblyError::Incomplete { missing: vec![2] })
        );
        assert_eq!(r.pending_messages(), 1);
        assert_eq!(r.pending_bytes(), 1);
        assert_eq!(r.expire(t0 + s(90)).len(), 1);
        assert_eq!(r.stats().expired, 2);
        assert_eq!(r.pending_bytes(), 0);
    }

    #[test]
    fn message_cap_evicts_oldest() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut r = Reassembler::new(cfg(2, 10_000));
        let f = MsgFmt::Ascii;
        r.push(key(), info(1, 2, 1), b"a", f, t0).unwrap();
        r.push(key(), info(2, 2, 1), b"b", f, t0 + s(1)).unwrap();
        // A part of an already-pending message needs no room.
        let out = r.push(key(), info(3, 2, 1), b"c", f, t0 + s(2)).unwrap();
        assert_eq!(out.evicted.len(), 1);
        assert_eq!(out.evicted[0].reference, 1);
        assert!(!out.evicted[0].complete);
        assert_eq!(r.pending_messages(), 2);
        let out = r.push(key(), info(2, 2, 2), b"B", f, t0 + s(3)).unwrap();
        assert!(out.evicted.is_empty());
        assert!(matches!(out.outcome, PushOutcome::Complete(_)));
        assert_eq!(r.stats().evicted, 1);
    }

    #[test]
    fn byte_cap_evicts_oldest_then_own_message() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut r = Reassembler::new(cfg(100, 10));
        let f = MsgFmt::Binary;
        r.push(key(), info(1, 3, 1), &[1; 4], f, t0).unwrap();
        r.push(key(), info(2, 3, 1), &[2; 4], f, t0 + s(1)).unwrap();
        let out = r.push(key(), info(2, 3, 2), &[2; 4], f, t0 + s(2)).unwrap();
        assert_eq!(out.evicted.len(), 1);
        assert_eq!(out.evicted[0].reference, 1);
        assert_eq!(r.pending_bytes(), 8);
        // Only this message is left and it cannot grow: it is evicted and restarted.
        let out = r.push(key(), info(2, 3, 3), &[2; 4], f, t0 + s(3)).unwrap();
        assert_eq!(out.outcome, PushOutcome::Pending);
        assert_eq!(out.evicted.len(), 1);
        assert_eq!(out.evicted[0].missing(), vec![3]);
        assert_eq!(r.pending_bytes(), 4);
        assert!(r.pending_bytes() <= 10);
        let left = r.drain();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].missing(), vec![1, 2]);
    }

    #[test]
    fn surrogate_pair_split_by_sender_decodes() {
        let t0 = Instant::now();
        let mut r = Reassembler::new(cfg(10, 10_000));
        let f = MsgFmt::Ucs2;
        // "😀" = D83D DE00, cut between the two halves.
        r.push(key(), info(9, 2, 1), &[0x00, 0x41, 0xD8, 0x3D], f, t0)
            .unwrap();
        let out = r.push(key(), info(9, 2, 2), &[0xDE, 0x00], f, t0).unwrap();
        let PushOutcome::Complete(m) = out.outcome else {
            panic!("expected completion");
        };
        assert_eq!(m.decode().unwrap(), Content::Text("A😀".into()));
    }

    #[test]
    fn mixed_formats_and_push_content() {
        let t0 = Instant::now();
        let mut r = Reassembler::new(cfg(10, 10_000));
        let c1 = [0x05, 0x00, 0x03, 0x2E, 0x02, 0x01, b'h', b'i'];
        let c2 = [0x05, 0x00, 0x03, 0x2E, 0x02, 0x02, 0x4F, 0x60];
        let out = r
            .push_content(key(), &c1, true, MsgFmt::Ascii, t0)
            .unwrap()
            .unwrap();
        assert_eq!(out.outcome, PushOutcome::Pending);
        let out = r
            .push_content(key(), &c2, true, MsgFmt::Ucs2, t0)
            .unwrap()
            .unwrap();
        let PushOutcome::Complete(m) = out.outcome else {
            panic!("expected completion");
        };
        assert_eq!(
            m.decode(),
            Err(ReassemblyError::MixedFormats {
                first: MsgFmt::Ascii,
                other: MsgFmt::Ucs2
            })
        );
        assert_eq!(m.decode_lossy(), Content::Text("hi你".into()));
        assert_eq!(
            r.push_content(key(), b"plain", false, MsgFmt::Ascii, t0)
                .unwrap(),
            None
        );
        assert!(matches!(
            r.push_content(key(), &[0x09, 0x00], true, MsgFmt::Ascii, t0),
            Err(ReassemblyError::Udh(UdhError::UdhTooLong { .. }))
        ));
    }
}
