//! SUBMITs the send path is still waiting to hear about, by the session's local id.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::mapping::SubmitMeta;

/// One tracked SUBMIT.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) meta: Arc<SubmitMeta>,
    /// When the SUBMIT was first written (ms since the epoch), once known.
    pub(crate) submitted_ms: Option<i64>,
    /// Status reports still expected.
    pub(crate) reports_left: usize,
}

/// Bounded map from SUBMIT local id to what it stands for.
///
/// Entries leave when their last report arrives or the SUBMIT fails; reports that never come
/// would otherwise keep entries forever, so the oldest are evicted beyond `capacity` (a late
/// report for an evicted entry is still journaled: the journal resolves it by Msg_Id).
#[derive(Debug)]
pub(crate) struct Registry {
    entries: HashMap<Arc<str>, Entry>,
    order: VecDeque<Arc<str>>,
    capacity: usize,
}

impl Registry {
    pub(crate) fn new(capacity: usize) -> Self {
        Registry {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn insert(&mut self, key: Arc<str>, meta: Arc<SubmitMeta>, reports: usize) {
        while self.entries.len() >= self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.entries.remove(&old);
                }
                None => break,
            }
        }
        self.order.push_back(key.clone());
        self.entries.insert(
            key,
            Entry {
                meta,
                submitted_ms: None,
                reports_left: reports,
            },
        );
        // Keys of removed entries stay in `order` until they reach the front; compact when
        // they dominate so the queue stays proportional to the live entries.
        if self.order.len() > 2 * self.capacity.max(self.entries.len()) {
            let live = &self.entries;
            self.order.retain(|k| live.contains_key(k));
        }
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Entry> {
        self.entries.get_mut(key)
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Arc<SubmitMeta> {
        Arc::new(SubmitMeta {
            record_ids: vec!["a".into()],
            infos: Vec::new(),
        })
    }

    #[test]
    fn evicts_oldest_beyond_capacity_and_stays_compact() {
        let mut r = Registry::new(3);
        for i in 0..10 {
            r.insert(Arc::from(format!("k{i}")), meta(), 1);
        }
        assert_eq!(r.len(), 3);
        assert!(r.get_mut("k9").is_some());
        assert!(r.get_mut("k6").is_none());
        for i in 10..1000 {
            let k: Arc<str> = Arc::from(format!("k{i}"));
            r.insert(k.clone(), meta(), 1);
            r.remove(&k);
        }
        assert!(r.order.len() <= 2 * 3 + 1);
    }
}
