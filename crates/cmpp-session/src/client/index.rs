//! Msg_Id → (local_id, destination index), bounded in time and size, for status reports.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::MsgId;
use tokio::time::Instant;

/// Maps every Msg_Id of a response's group range to the request that produced it.
#[derive(Debug)]
pub(crate) struct ReportIndex {
    map: HashMap<u64, (Arc<str>, u16)>,
    order: VecDeque<(Instant, u64)>,
    ttl: Duration,
    capacity: usize,
}

impl ReportIndex {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        ReportIndex {
            map: HashMap::new(),
            order: VecDeque::new(),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// Records `base … base+n−1` (the group-send rule) for `local_id`.
    pub(crate) fn insert(&mut self, base: MsgId, n: u16, local_id: &Arc<str>, now: Instant) {
        for (i, id) in base.group_ids(n.max(1)).enumerate() {
            self.map.insert(id.as_u64(), (local_id.clone(), i as u16));
            self.order.push_back((now, id.as_u64()));
        }
        self.evict(now);
    }

    fn evict(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.order.front() {
            let expired = now.saturating_duration_since(at) >= self.ttl;
            if !expired && self.order.len() <= self.capacity {
                break;
            }
            self.order.pop_front();
            self.map.remove(&id);
        }
    }

    pub(crate) fn lookup(&mut self, id: MsgId, now: Instant) -> Option<(Arc<str>, u16)> {
        self.evict(now);
        self.map.get(&id.as_u64()).cloned()
    }
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
        ix.insert(base, 3, &a, t0);
        assert_eq!(ix.lookup(base.nth(2), t0), Some((a.clone(), 2)));
        assert_eq!(
            ix.lookup(MsgId::from_u64(0x1_0000), t0),
            None,
            "wrap stays in the time/gateway bits"
        );
        let b: Arc<str> = Arc::from("b");
        ix.insert(MsgId::from_u64(500), 3, &b, t0);
        assert_eq!(ix.lookup(base, t0), None, "oldest evicted beyond capacity");
        assert_eq!(ix.lookup(MsgId::from_u64(502), t0), Some((b, 2)));
        assert_eq!(
            ix.lookup(MsgId::from_u64(502), t0 + Duration::from_secs(10)),
            None
        );
    }
}
