//! Recently seen DELIVERs, to hand each status report / MO message to the application once.
//!
//! The gateway delivers at least once: a DELIVER whose DELIVER_RESP was lost (link dropped,
//! response timeout) is sent again, possibly on another connection. The client answers
//! every copy but emits only the first. Keys:
//!
//! * a status report: (report Msg_Id, Stat) — the same message may legitimately get a
//!   second report with a different Stat, which is passed on;
//! * an MO message (segment): the DELIVER's own Msg_Id.
//!
//! Bounded in time and size: a key is forgotten after `ttl` or when `capacity` newer keys
//! were recorded, whichever is first; a copy arriving later than that is passed on again.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use cmpp_codec::MsgId;
use tokio::time::Instant;

/// Identifies one DELIVER for duplicate suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DeliverKey {
    /// Status report: report Msg_Id and the raw Stat.
    Report(u64, [u8; 7]),
    /// MO message segment: the DELIVER Msg_Id.
    Message(u64),
}

impl DeliverKey {
    pub(crate) fn report(msg_id: MsgId, stat: [u8; 7]) -> Self {
        DeliverKey::Report(msg_id.as_u64(), stat)
    }

    pub(crate) fn message(msg_id: MsgId) -> Self {
        DeliverKey::Message(msg_id.as_u64())
    }
}

/// A bounded, time-limited set of recently seen [`DeliverKey`]s.
#[derive(Debug)]
pub(crate) struct RecentDelivers {
    seen: HashSet<DeliverKey>,
    order: VecDeque<(Instant, DeliverKey)>,
    ttl: Duration,
    capacity: usize,
}

impl RecentDelivers {
    /// `capacity == 0` or a zero `ttl` disables suppression.
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        RecentDelivers {
            seen: HashSet::new(),
            order: VecDeque::new(),
            ttl,
            capacity,
        }
    }

    /// Records `key`; true if it is new (hand it on), false for a duplicate.
    pub(crate) fn first_time(&mut self, key: DeliverKey, now: Instant) -> bool {
        if self.capacity == 0 || self.ttl.is_zero() {
            return true;
        }
        self.evict(now);
        if !self.seen.insert(key) {
            return false;
        }
        self.order.push_back((now, key));
        if self.order.len() > self.capacity {
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
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
        assert!(r.first_time(DeliverKey::report(id, DELIVRD), t0));
        assert!(!r.first_time(DeliverKey::report(id, DELIVRD), t0));
        assert!(
            r.first_time(DeliverKey::report(id, UNDELIV), t0),
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

    #[test]
    fn zero_capacity_disables() {
        let t0 = Instant::now();
        let mut r = RecentDelivers::new(Duration::from_secs(10), 0);
        let k = DeliverKey::message(MsgId::from_u64(1));
        assert!(r.first_time(k, t0));
        assert!(r.first_time(k, t0));
    }
}
