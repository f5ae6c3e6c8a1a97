//! Acknowledging DELIVERs after the application holds them (at-least-once inbound).
//!
//! A status report or MO message reaches the application with a [`DeliverAck`]. Its
//! DELIVER_RESP is written only when the application calls [`DeliverAck::accept`], typically
//! after its own durable write. Dropping the handle without accepting leaves the DELIVER
//! unanswered: the gateway sends it again (after T on the same link, or on the next link),
//! and the copy is handed over again.

use std::sync::{Arc, Weak};

use cmpp_codec::DeliverResult;
use tokio::sync::mpsc;

use super::dedupe::DeliverKey;
use super::{lock, Shared};

/// Where one received DELIVER copy must be answered: the pool connection, the link
/// generation on it (a Sequence_Id means nothing on a later link) and the Sequence_Id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AckTarget {
    pub(crate) connection: usize,
    pub(crate) link: u64,
    pub(crate) sequence_id: u32,
}

/// One answer travelling from a [`DeliverAck`] to the connection's driver.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckMsg {
    pub(crate) link: u64,
    pub(crate) sequence_id: u32,
    pub(crate) result: DeliverResult,
}

/// Per-connection queues of answers. Unbounded, but holds at most one entry per DELIVER
/// the gateway has outstanding towards us, which its own window bounds.
pub(crate) type AckSenders = Vec<mpsc::UnboundedSender<AckMsg>>;

pub(crate) fn send_acks(shared: &Shared, targets: &[AckTarget]) {
    for t in targets {
        if let Some(tx) = shared.ack_tx.get(t.connection) {
            // A closed queue means the connection is gone; the gateway re-sends.
            let _ = tx.send(AckMsg {
                link: t.link,
                sequence_id: t.sequence_id,
                result: DeliverResult::Ok,
            });
        }
    }
}

/// The handle that answers the DELIVER(s) behind one event (several for a long MO message).
///
/// Cloning shares the handle: the first [`accept`](Self::accept) answers, and the DELIVERs
/// count as refused only once every clone is dropped without accepting.
#[derive(Clone)]
pub struct DeliverAck {
    inner: Option<Arc<AckInner>>,
}

struct AckInner {
    shared: Weak<Shared>,
    keys: Vec<DeliverKey>,
    targets: Vec<AckTarget>,
    done: std::sync::atomic::AtomicBool,
}

impl DeliverAck {
    pub(crate) fn new(
        shared: &Arc<Shared>,
        keys: Vec<DeliverKey>,
        targets: Vec<AckTarget>,
    ) -> Self {
        DeliverAck {
            inner: Some(Arc::new(AckInner {
                shared: Arc::downgrade(shared),
                keys,
                targets,
                done: std::sync::atomic::AtomicBool::new(false),
            })),
        }
    }

    /// A handle for a DELIVER that was answered on receipt (auto-ack mode).
    pub(crate) fn already_answered() -> Self {
        DeliverAck { inner: None }
    }

    /// True when accepting still has an effect (manual mode, not yet accepted).
    pub fn is_pending(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| !i.done.load(std::sync::atomic::Ordering::Acquire))
    }

    /// The application holds the event: answer its DELIVER(s) with DELIVER_RESP result 0.
    /// Later copies of the same report or message are answered at once and not handed over.
    pub fn accept(&self) {
        let Some(inner) = &self.inner else { return };
        if inner.done.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let Some(shared) = inner.shared.upgrade() else {
            return;
        };
        let mut targets = inner.targets.clone();
        {
            let mut recent = lock(&shared.recent);
            for key in &inner.keys {
                targets.extend(recent.accept(*key));
            }
        }
        send_acks(&shared, &targets);
    }
}

impl Drop for AckInner {
    fn drop(&mut self) {
        if *self.done.get_mut() {
            return;
        }
        // Not accepted: forget the copies so that the gateway's re-send is handed over again.
        if let Some(shared) = self.shared.upgrade() {
            let mut recent = lock(&shared.recent);
            for key in &self.keys {
                recent.forget(*key);
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

impl PartialEq for DeliverAck {
    /// Two handles are equal when they answer the same DELIVERs.
    fn eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}
