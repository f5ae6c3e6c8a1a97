//! Drives the long-message `Reassembler` with a script read from the input, on an injected
//! clock.
//!
//! Input: 3 bytes of configuration (message limit, byte limit, timeout), then operations:
//! push a part (typed concatenation info), push raw Msg_Content (UDH parsed by the codec),
//! advance the clock and expire, or drain. Invariants after every step: no panic, at most
//! `max_pending_messages` incomplete messages and `max_pending_bytes` payload bytes held,
//! completed messages have every part, expired messages are old enough, and draining empties
//! the reassembler.
#![no_main]

use std::time::{Duration, Instant};

use cmpp_codec::long::{
    ConcatInfo, MessageKey, PushOutcome, PushResult, ReassembledMessage, Reassembler,
    ReassemblerConfig, UdhRef,
};
use cmpp_codec::MsgFmt;
use libfuzzer_sys::fuzz_target;

/// Reads the script byte by byte; exhausted input reads as zeros and ends the loop.
struct Script<'a> {
    data: &'a [u8],
}

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}

const KEYS: [(&str, &str); 3] = [
    ("13800138000", "10690001"),
    ("13900139000", "10690001"),
    ("13800138000", "10690002"),
];

fn check_complete(m: &ReassembledMessage) {
    assert!(m.complete, "complete outcome not marked complete");
    assert_eq!(m.parts.len(), usize::from(m.total));
    assert!(
        m.parts.iter().all(Option::is_some),
        "complete message lacks a part"
    );
    assert!(m.missing().is_empty());
    let _ = m.decode();
    let _ = m.decode_lossy();
}

fn check_incomplete(m: &ReassembledMessage) {
    assert!(!m.complete, "evicted/expired message marked complete");
    assert_eq!(m.parts.len(), usize::from(m.total));
    assert!(
        !m.missing().is_empty(),
        "incomplete message with no missing part"
    );
    assert!(
        m.decode().is_err(),
        "strict decode of an incomplete message succeeded"
    );
    let _ = m.decode_lossy();
}

fn check_push(result: &PushResult) {
    if let PushOutcome::Complete(m) = &result.outcome {
        check_complete(m);
    }
    result.evicted.iter().for_each(check_incomplete);
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script { data };
    let config = ReassemblerConfig::default()
        .with_max_pending_messages(usize::from(s.byte() % 8))
        .with_max_pending_bytes(usize::from(s.byte()) * 4)
        .with_timeout(Duration::from_secs(u64::from(s.byte() % 32)));
    let mut r = Reassembler::new(config);
    let start = Instant::now();
    let mut elapsed = Duration::ZERO;
    while !s.data.is_empty() {
        let now = start + elapsed;
        let op = s.byte();
        let (source, destination) = KEYS[usize::from(op >> 2) % KEYS.len()];
        let key = MessageKey::new(source, destination);
        match op & 3 {
            0 => {
                let kind = if op & 0x80 != 0 {
                    UdhRef::Bits16
                } else {
                    UdhRef::Bits8
                };
                let reference = u16::from_be_bytes([s.byte(), s.byte()]);
                let info = ConcatInfo {
                    kind,
                    reference,
                    total: s.byte() % 6,
                    number: s.byte() % 7,
                };
                let fmt = MsgFmt::from_byte(s.byte());
                let len = usize::from(s.byte());
                let payload = s.bytes(len).to_vec();
                if let Ok(result) = r.push(key, info, &payload, fmt, now) {
                    check_push(&result);
                }
            }
            1 => {
                let udhi = s.byte() & 1 == 1;
                let fmt = MsgFmt::from_byte(s.byte());
                let len = usize::from(s.byte());
                let content = s.bytes(len).to_vec();
                if let Ok(Some(result)) = r.push_content(key, &content, udhi, fmt, now) {
                    check_push(&result);
                }
            }
            2 => {
                elapsed += Duration::from_secs(u64::from(s.byte()));
                let now = start + elapsed;
                for m in r.expire(now) {
                    check_incomplete(&m);
                    let age = now.saturating_duration_since(m.first_seen);
                    assert!(age >= config.timeout, "expired after {age:?} < timeout");
                }
            }
            _ => {
                if op & 0x80 != 0 {
                    r.drain().iter().for_each(check_incomplete);
                    assert_eq!(r.pending_messages(), 0);
                    assert_eq!(r.pending_bytes(), 0);
                }
            }
        }
        assert!(
            r.pending_messages() <= config.max_pending_messages.max(1),
            "{} pending messages over the limit {}",
            r.pending_messages(),
            config.max_pending_messages
        );
        assert!(
            r.pending_bytes() <= config.max_pending_bytes,
            "{} pending bytes over the limit {}",
            r.pending_bytes(),
            config.max_pending_bytes
        );
    }
    r.drain().iter().for_each(check_incomplete);
    assert_eq!((r.pending_messages(), r.pending_bytes()), (0, 0));
});
