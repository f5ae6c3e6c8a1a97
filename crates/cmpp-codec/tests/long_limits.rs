//! Memory bounds and expiry of the reassembler under an injected clock.

use cmpp_codec::long::{
    ConcatInfo, MessageKey, PushOutcome, Reassembler, ReassemblerConfig, UdhRef,
};
use cmpp_codec::MsgFmt;
use std::time::{Duration, Instant};

#[test]
fn flood_of_incomplete_messages_stays_bounded() {
    let t0 = Instant::now();
    let cfg = ReassemblerConfig::default()
        .with_timeout(Duration::from_secs(120))
        .with_max_pending_messages(50)
        .with_max_pending_bytes(3_000);
    let mut r = Reassembler::new(cfg);
    let mut evicted = 0;
    let mut expired = 0;
    for i in 0..2_000u32 {
        let now = t0 + Duration::from_millis(u64::from(i) * 100);
        let info = ConcatInfo {
            kind: UdhRef::Bits16,
            reference: (i % 65_536) as u16,
            total: 3,
            number: 1 + (i % 2) as u8,
        };
        let key = MessageKey::new(format!("138{:08}", i % 97), "10086");
        let out = r
            .push(key, info, &[0xAB; 134], MsgFmt::Binary, now)
            .unwrap();
        assert_ne!(out.outcome, PushOutcome::Duplicate);
        assert!(out
            .evicted
            .iter()
            .all(|m| !m.complete && !m.missing().is_empty()));
        evicted += out.evicted.len();
        if i % 50 == 0 {
            let gone = r.expire(now);
            assert!(gone
                .iter()
                .all(|m| now.duration_since(m.first_seen) >= cfg.timeout));
            expired += gone.len();
        }
        assert!(r.pending_messages() <= cfg.max_pending_messages);
        assert!(r.pending_bytes() <= cfg.max_pending_bytes);
    }
    assert!(evicted > 1_000, "evicted {evicted}");
    assert_eq!(r.stats().evicted as usize, evicted);
    assert_eq!(r.stats().expired as usize, expired);
}

#[test]
fn expiry_uses_injected_time_only() {
    // Offset so that stepping back below stays a valid Instant.
    let t0 = Instant::now() + Duration::from_secs(1_000);
    let cfg = ReassemblerConfig::default().with_timeout(Duration::from_secs(10));
    let mut r = Reassembler::new(cfg);
    let info = |n| ConcatInfo {
        kind: UdhRef::Bits8,
        reference: 5,
        total: 2,
        number: n,
    };
    r.push(
        MessageKey::new("a", "b"),
        info(2),
        b"tail",
        MsgFmt::Ascii,
        t0,
    )
    .unwrap();
    // A clock that goes backwards does not expire anything.
    assert!(r.expire(t0 - Duration::from_secs(100)).is_empty());
    assert!(r.expire(t0 + Duration::from_secs(9)).is_empty());
    let gone = r.expire(t0 + Duration::from_secs(10));
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].missing(), vec![1]);
    assert_eq!(gone[0].parts[1].as_ref().unwrap().payload, b"tail");
    assert_eq!(r.pending_messages(), 0);
    // The same reference later starts a fresh message.
    let out = r
        .push(
            MessageKey::new("a", "b"),
            info(1),
            b"head",
            MsgFmt::Ascii,
            t0 + Duration::from_secs(11),
        )
        .unwrap();
    assert_eq!(out.outcome, PushOutcome::Pending);
}
