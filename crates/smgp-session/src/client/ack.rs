//! Answering Delivers once the application holds them, and the copies a gateway sends
//! again.
//!
//! A status report or MO message reaches the application with a [`DeliverAck`]; its
//! Deliver_Resp is written only on [`DeliverAck::accept`]. A copy of the same Deliver (the
//! gateway re-sent it after T, or on a new link after the old one dropped) is not handed over
//! again while the first is held: one accept answers every copy, and a copy of a Deliver
//! already accepted is answered at once. Dropping the handle unanswered forgets the Deliver,
//! so the next copy is handed over again (at least once).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use smgp_codec::{Deliver, MsgId, Status};
use sms_session::link::{AckRouter, AckTarget};

use super::Shared;
use crate::proto::SmgpSp;

type Target = AckTarget<u32>;

/// What identifies a Deliver and its copies: its MsgID and a digest of what it carries (a
/// gateway that reused an id for another message must not have that message suppressed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DeliverKey {
    msg_id: MsgId,
    digest: u64,
}

impl DeliverKey {
    pub(crate) fn of(d: &Deliver) -> Self {
        // FNV-1a over the fields that make a message what it is.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        };
        eat(&[d.is_report, d.msg_format]);
        eat(d.src_term_id.as_bytes());
        eat(d.dest_term_id.as_bytes());
        eat(&d.msg_content);
        DeliverKey {
            msg_id: d.msg_id,
            digest: h,
        }
    }
}

enum Entry {
    /// Handed over, not answered yet: where every copy arrived.
    Pending(Vec<Target>),
    /// Accepted: copies are answered at once.
    Accepted,
}

/// What [`Recent::observe`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// First time: hand it over.
    New,
    /// A copy of one the application holds: answered with it.
    Pending,
    /// A copy of one already accepted: answer it now.
    Accepted,
}

/// Delivers handed over recently, bounded (oldest forgotten first).
pub(crate) struct Recent {
    map: HashMap<DeliverKey, Entry>,
    order: VecDeque<DeliverKey>,
    capacity: usize,
}

impl Recent {
    pub(crate) fn new(capacity: usize) -> Self {
        Recent {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn observe(&mut self, key: DeliverKey, target: Target) -> Seen {
        match self.map.get_mut(&key) {
            Some(Entry::Pending(targets)) => {
                targets.push(target);
                Seen::Pending
            }
            Some(Entry::Accepted) => Seen::Accepted,
            None => {
                self.map.insert(key, Entry::Pending(vec![target]));
                self.order.push_back(key);
                while self.order.len() > self.capacity {
                    // A forgotten pending Deliver is re-sent by the gateway and handed over
                    // again: never lost, at worst seen twice.
                    if let Some(old) = self.order.pop_front() {
                        self.map.remove(&old);
                    }
                }
                Seen::New
            }
        }
    }

    /// The application answered: every copy's target; an accepted Deliver is remembered
    /// (its later copies are answered at once), a refused one forgotten.
    fn settle(&mut self, key: DeliverKey, accepted: bool) -> Vec<Target> {
        let targets = match self.map.remove(&key) {
            Some(Entry::Pending(t)) => t,
            Some(Entry::Accepted) => Vec::new(),
            None => return Vec::new(),
        };
        if accepted {
            self.map.insert(key, Entry::Accepted);
        } else {
            self.order.retain(|k| *k != key);
        }
        targets
    }

    /// The handle was dropped unanswered: the next copy is handed over again.
    fn forget(&mut self, key: DeliverKey) {
        if matches!(self.map.get(&key), Some(Entry::Pending(_))) {
            self.map.remove(&key);
            self.order.retain(|k| *k != key);
        }
    }
}

/// The handle that answers one status report or MO message (every copy of its Deliver).
#[derive(Clone)]
pub struct DeliverAck {
    inner: Arc<AckInner>,
}

struct AckInner {
    shared: Weak<Shared>,
    router: Arc<AckRouter<SmgpSp>>,
    key: DeliverKey,
    done: AtomicBool,
}

impl DeliverAck {
    pub(crate) fn new(
        shared: &Arc<Shared>,
        router: Arc<AckRouter<SmgpSp>>,
        key: DeliverKey,
    ) -> Self {
        DeliverAck {
            inner: Arc::new(AckInner {
                shared: Arc::downgrade(shared),
                router,
                key,
                done: AtomicBool::new(false),
            }),
        }
    }

    /// True until answered.
    pub fn is_pending(&self) -> bool {
        !self.inner.done.load(Ordering::Acquire)
    }

    /// Answers with Status 0: the application holds the message. Only the first answer (of
    /// any clone) is sent.
    pub fn accept(&self) {
        self.answer(Status::OK);
    }

    /// Answers with `status` (non-zero refuses it; 1 asks the gateway to send it again
    /// later, and that copy is handed over again). Only the first answer is sent.
    pub fn answer(&self, status: Status) {
        let inner = &self.inner;
        if inner.done.swap(true, Ordering::AcqRel) {
            return;
        }
        let Some(shared) = inner.shared.upgrade() else {
            return;
        };
        let targets = shared.recent().settle(inner.key, status.is_ok());
        for t in targets {
            inner.router.send(t, status);
        }
    }
}

impl Drop for AckInner {
    fn drop(&mut self) {
        if !self.done.load(Ordering::Acquire) {
            if let Some(shared) = self.shared.upgrade() {
                shared.recent().forget(self.key);
            }
        }
    }
}

impl std::fmt::Debug for DeliverAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliverAck")
            .field("pending", &self.is_pending())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(seq: u32) -> Target {
        AckTarget {
            connection: 0,
            link: 1,
            seq,
        }
    }

    fn key(n: u8) -> DeliverKey {
        DeliverKey::of(&Deliver {
            msg_id: MsgId([n; 10]),
            ..Deliver::default()
        })
    }

    #[test]
    fn copies_are_collected_then_answered_together_and_later_ones_at_once() {
        let mut r = Recent::new(10);
        assert_eq!(r.observe(key(1), target(1)), Seen::New);
        assert_eq!(r.observe(key(1), target(2)), Seen::Pending);
        assert_eq!(r.settle(key(1), true), vec![target(1), target(2)]);
        assert_eq!(r.observe(key(1), target(3)), Seen::Accepted);
        // A refusal forgets: the gateway's next copy is new.
        assert_eq!(r.observe(key(2), target(4)), Seen::New);
        assert_eq!(r.settle(key(2), false), vec![target(4)]);
        assert_eq!(r.observe(key(2), target(5)), Seen::New);
        // A dropped handle forgets a pending one, not an accepted one.
        r.forget(key(2));
        assert_eq!(r.observe(key(2), target(6)), Seen::New);
        r.forget(key(1));
        assert_eq!(r.observe(key(1), target(7)), Seen::Accepted);
    }

    #[test]
    fn same_id_other_content_is_another_message_and_capacity_bounds_memory() {
        let a = Deliver {
            msg_id: MsgId([1; 10]),
            msg_content: bytes::Bytes::from_static(b"a"),
            ..Deliver::default()
        };
        let b = Deliver {
            msg_content: bytes::Bytes::from_static(b"b"),
            ..a.clone()
        };
        assert_ne!(DeliverKey::of(&a), DeliverKey::of(&b));
        assert_eq!(DeliverKey::of(&a), DeliverKey::of(&a.clone()));
        let mut r = Recent::new(2);
        for n in 0..5 {
            assert_eq!(r.observe(key(n), target(u32::from(n))), Seen::New);
        }
        assert_eq!(r.map.len(), 2);
        assert_eq!(r.observe(key(0), target(9)), Seen::New, "forgotten");
    }
}
