//! Msg_Id → (local_id, destination index), bounded in time and size, for status reports.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::MsgId;
use tokio::time::Instant;

/// Maps every Msg_Id of a response's group range to the request that produced it.
#[derive(Debug)]
pub(crate) struct ReportIndex {
    map: HashMap<u64, (Arc<str>, u16, u64)>,
    /// Further requests answered with a Msg_Id already in `map` (a gateway bug): told apart
    /// by destination.
    repeats: HashMap<u64, Vec<(Arc<str>, u16, u64)>>,
    order: VecDeque<(Instant, u64)>,
    ttl: Duration,
    capacity: usize,
}

impl ReportIndex {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        ReportIndex {
            map: HashMap::new(),
            repeats: HashMap::new(),
            order: VecDeque::new(),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// Records `base … base+n−1` (the group-send rule) for `local_id`, whose first
    /// destination is `dest`. Returns true when `base` was already given to another request
    /// still remembered (the gateway repeats Msg_Ids).
    pub(crate) fn insert(
        &mut self,
        base: MsgId,
        n: u16,
        local_id: &Arc<str>,
        dest: &str,
        now: Instant,
    ) -> bool {
        self.evict(now);
        let d = dest_key(dest);
        let mut repeated = false;
        for (i, id) in base.group_ids(n.max(1)).enumerate() {
            let entry = (local_id.clone(), i as u16, if i == 0 { d } else { 0 });
            match self.map.get(&id.as_u64()) {
                Some(old) if old.0 != *local_id => {
                    repeated = true;
                    self.repeats.entry(id.as_u64()).or_default().push(entry);
                }
                _ => {
                    self.map.insert(id.as_u64(), entry);
                }
            }
            self.order.push_back((now, id.as_u64()));
        }
        self.evict(now);
        repeated
    }

    fn evict(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.order.front() {
            let expired = now.saturating_duration_since(at) >= self.ttl;
            if !expired && self.order.len() <= self.capacity {
                break;
            }
            self.order.pop_front();
            self.map.remove(&id);
            self.repeats.remove(&id);
        }
    }

    /// The request a report for `id` to `dest` belongs to. When the gateway gave `id` to
    /// several requests, the one sent to `dest` (none when no destination matches).
    pub(crate) fn lookup(
        &mut self,
        id: MsgId,
        dest: &str,
        now: Instant,
    ) -> Option<(Arc<str>, u16)> {
        self.evict(now);
        let first = self.map.get(&id.as_u64())?;
        let Some(more) = self.repeats.get(&id.as_u64()) else {
            return Some((first.0.clone(), first.1));
        };
        let d = dest_key(dest);
        std::iter::once(first)
            .chain(more.iter())
            .find(|e| e.2 == d)
            .map(|e| (e.0.clone(), e.1))
    }
}

/// A destination number reduced to a comparable key.
fn dest_key(dest: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dest.trim().hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_range_ttl_and_capacity() {
        let t0 = Instant::now();
        let mut ix = ReportIndex::new(Duration::from_secs(10), 5);
        let a: Arc<str> = Arc::from("a");
        let base = MsgId::from_u64(0xFFFE);
        ix.insert(base, 3, &a, "1", t0);
        assert_eq!(ix.lookup(base.nth(2), "3", t0), Some((a.clone(), 2)));
        assert_eq!(
            ix.lookup(MsgId::from_u64(0x1_0000), "1", t0),
            None,
            "wrap stays in the time/gateway bits"
        );
        let b: Arc<str> = Arc::from("b");
        ix.insert(MsgId::from_u64(500), 3, &b, "1", t0);
        assert_eq!(
            ix.lookup(base, "1", t0),
            None,
            "oldest evicted beyond capacity"
        );
        assert_eq!(ix.lookup(MsgId::from_u64(502), "3", t0), Some((b, 2)));
        assert_eq!(
            ix.lookup(MsgId::from_u64(502), "3", t0 + Duration::from_secs(10)),
            None
        );
    }

    #[test]
    fn a_repeated_msg_id_is_told_apart_by_destination() {
        let t0 = Instant::now();
        let mut ix = ReportIndex::new(Duration::from_secs(10), 100);
        let id = MsgId::from_u64(7);
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        assert!(!ix.insert(id, 1, &a, "13800000001", t0));
        assert!(ix.insert(id, 1, &b, "13800000002", t0), "repeat detected");
        assert_eq!(ix.lookup(id, "13800000002", t0), Some((b, 0)));
        assert_eq!(ix.lookup(id, "13800000001", t0), Some((a.clone(), 0)));
        assert_eq!(ix.lookup(id, "13800000009", t0), None, "no guess");
        // The same request answered twice (a re-send) is not a repeat.
        assert!(!ix.insert(MsgId::from_u64(8), 1, &a, "13800000001", t0));
        assert!(!ix.insert(MsgId::from_u64(8), 1, &a, "13800000001", t0));
    }
}
