//! Recently seen DELIVERs, to hand each status report / MO message to the application once.
//!
//! The gateway delivers at least once: a DELIVER whose DELIVER_RESP was lost (link dropped,
//! response timeout) is sent again, possibly on another connection. The client hands the
//! first copy over; copies arriving before the application accepts it are answered with
//! it, copies arriving after are answered at once. Keys:
//!
//! * a status report: (report Msg_Id, Stat) — the same message may legitimately get a
//!   second report with a different Stat, which is passed on;
//! * an MO message (segment): the DELIVER's own Msg_Id.
//!
//! Bounded in time and size: a key is forgotten after `ttl` or when `capacity` newer keys
//! were recorded, whichever is first; a copy arriving later than that is passed on again.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use cmpp_codec::MsgId;
use tokio::time::Instant;

use super::ack::AckTarget;

/// Identifies one DELIVER for duplicate suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DeliverKey {
    /// Status report: report Msg_Id, the raw Stat and a digest of the destination (a gateway
    /// that repeats Msg_Ids sends distinct reports under one Msg_Id).
    Report(u64, [u8; 7], u64),
    /// MO message segment: the DELIVER Msg_Id.
    Message(u64),
}

impl DeliverKey {
    pub(crate) fn report(msg_id: MsgId, stat: [u8; 7], dest: &[u8]) -> Self {
        // FNV-1a: cheap, and collisions only merge reports that already share Msg_Id and Stat.
        let digest = dest.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        DeliverKey::Report(msg_id.as_u64(), stat, digest)
    }

    pub(crate) fn message(msg_id: MsgId) -> Self {
        DeliverKey::Message(msg_id.as_u64())
    }
}

/// What [`RecentDelivers::observe`] found for a DELIVER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// First copy: hand it to the application.
    New,
    /// A copy of one handed over and not accepted yet: it is answered together with the
    /// first when the application accepts.
    Pending,
    /// A copy of one the application accepted: answer it now, do not hand it over.
    Accepted,
}

#[derive(Debug)]
enum Entry {
    Pending(Vec<AckTarget>),
    Accepted,
}

/// A bounded, time-limited memory of recently seen [`DeliverKey`]s and whether the
/// application has accepted them.
#[derive(Debug)]
pub(crate) struct RecentDelivers {
    seen: HashMap<DeliverKey, Entry>,
    order: VecDeque<(Instant, DeliverKey)>,
    ttl: Duration,
    capacity: usize,
}

impl RecentDelivers {
    /// `capacity == 0` or a zero `ttl` disables suppression.
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        RecentDelivers {
            seen: HashMap::new(),
            order: VecDeque::new(),
            ttl,
            capacity,
        }
    }

    fn disabled(&self) -> bool {
        self.capacity == 0 || self.ttl.is_zero()
    }

    /// Records a received copy of `key` answerable at `target`.
    pub(crate) fn observe(&mut self, key: DeliverKey, target: AckTarget, now: Instant) -> Seen {
        if self.disabled() {
            return Seen::New;
        }
        self.evict(now);
        match self.seen.get_mut(&key) {
            Some(Entry::Accepted) => return Seen::Accepted,
            Some(Entry::Pending(extra)) => {
                if !extra.contains(&target) {
                    extra.push(target);
                }
                return Seen::Pending;
            }
            None => {}
        }
        self.seen.insert(key, Entry::Pending(Vec::new()));
        self.order.push_back((now, key));
        if self.order.len() > self.capacity {
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        Seen::New
    }

    /// Records a copy answered on receipt (auto-ack): true if it is new.
    pub(crate) fn first_time(&mut self, key: DeliverKey, now: Instant) -> bool {
        let target = AckTarget {
            connection: usize::MAX,
            link: 0,
            seq: 0,
        };
        let seen = self.observe(key, target, now);
        self.accept(key);
        seen == Seen::New
    }

    /// The application accepted `key`: returns the other copies' answer targets.
    pub(crate) fn accept(&mut self, key: DeliverKey) -> Vec<AckTarget> {
        match self.seen.get_mut(&key) {
            Some(e) => match std::mem::replace(e, Entry::Accepted) {
                Entry::Pending(extra) => extra,
                Entry::Accepted => Vec::new(),
            },
            None => Vec::new(),
        }
    }

    /// The application dropped `key` without accepting: the next copy is new again.
    pub(crate) fn forget(&mut self, key: DeliverKey) {
        if matches!(self.seen.get(&key), Some(Entry::Pending(_))) {
            self.seen.remove(&key);
        }
    }

    fn evict(&mut self, now: Instant) {
        while let Some(&(at, key)) = self.order.front() {
            if now.saturating_duration_since(at) < self.ttl {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&key);
        }
    }

    /// Keys currently remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELIVRD: [u8; 7] = *b"DELIVRD";
    const UNDELIV: [u8; 7] = *b"UNDELIV";

    #[test]
    fn duplicates_are_suppressed_other_stats_and_messages_are_not() {
        let t0 = Instant::now();
        let mut r = RecentDelivers::new(Duration::from_secs(60), 100);
        let id = MsgId::from_u64(42);
        assert!(r.first_time(DeliverKey::report(id, DELIVRD, b"1"), t0));
        assert!(!r.first_time(DeliverKey::report(id, DELIVRD, b"1"), t0));
        assert!(
            r.first_time(DeliverKey::report(id, DELIVRD, b"2"), t0),
            "the same Msg_Id for another destination is another report"
        );
        assert!(
            r.first_time(DeliverKey::report(id, UNDELIV, b"1"), t0),
            "another Stat for the same message is a new report"
        );
        assert!(
            r.first_time(DeliverKey::message(id), t0),
            "an MO with the same number is not a report"
        );
        assert!(!r.first_time(DeliverKey::message(id), t0));
    }

    #[test]
    fn bounded_by_ttl_and_capacity() {
        let t0 = Instant::now();
        let mut r = RecentDelivers::new(Duration::from_secs(10), 3);
        let k = |n| DeliverKey::message(MsgId::from_u64(n));
        for n in 0..3 {
            assert!(r.first_time(k(n), t0));
        }
        assert!(r.first_time(k(3), t0), "capacity 3: key 0 is forgotten");
        assert_eq!(r.len(), 3);
        assert!(r.first_time(k(0), t0), "forgotten key passes again");
        assert!(!r.first_time(k(3), t0 + Duration::from_secs(9)));
        assert!(
            r.first_time(k(3), t0 + Duration::from_secs(10)),
            "forgotten after the ttl"
        );
        assert_eq!(r.len(), 1, "the ttl evicted the others");
    }

    fn target(seq: u32) -> AckTarget {
        AckTarget {
            connection: 0,
            link: 1,
            seq,
        }
    }

    #[test]
    fn copies_wait_for_acceptance_and_are_answered_with_it() {
        let t0 = Instant::now();
        let mut r = RecentDelivers::new(Duration::from_secs(60), 100);
        let k = DeliverKey::report(MsgId::from_u64(9), DELIVRD, b"1");
        assert_eq!(r.observe(k, target(1), t0), Seen::New);
        assert_eq!(r.observe(k, target(2), t0), Seen::Pending);
        assert_eq!(r.observe(k, target(2), t0), Seen::Pending);
        assert_eq!(
            r.accept(k),
            vec![target(2)],
            "each other copy answered once"
        );
        assert_eq!(r.observe(k, target(3), t0), Seen::Accepted);
        assert!(r.accept(k).is_empty());
    }

    #[test]
    fn a_dropped_event_is_handed_over_again() {
        let t0 = Instant::now();
        let mut r = RecentDelivers::new(Duration::from_secs(60), 100);
        let k = DeliverKey::message(MsgId::from_u64(9));
        assert_eq!(r.observe(k, target(1), t0), Seen::New);
        r.forget(k);
        assert_eq!(r.observe(k, target(1), t0), Seen::New);
        r.accept(k);
        r.forget(k);
        assert_eq!(
            r.observe(k, target(1), t0),
            Seen::Accepted,
            "an accepted key is never forgotten by a drop"
        );
    }

    #[test]
    fn zero_capacity_disables() {
        let t0 = Instant::now();
        let mut r = RecentDelivers::new(Duration::from_secs(10), 0);
        let k = DeliverKey::message(MsgId::from_u64(1));
        assert!(r.first_time(k, t0));
        assert!(r.first_time(k, t0));
    }
}
