//! Acknowledging DELIVERs after the application holds them (at-least-once inbound).
//!
//! A status report or MO message reaches the application with a [`DeliverAck`]. Its
//! DELIVER_RESP is written only when the application calls [`DeliverAck::accept`], typically
//! after its own durable write. Dropping the handle without accepting leaves the DELIVER
//! unanswered: the gateway sends it again (after T on the same link, or on the next link),
//! and the copy is handed over again. The answers travel on the session core's
//! [`AckRouter`]; what is CMPP's here is the duplicate bookkeeping (copies of one DELIVER
//! received on several links are all answered by one accept).

use std::sync::{Arc, Weak};

use cmpp_codec::DeliverResult;
use sms_session::link::AckRouter;

use super::dedupe::DeliverKey;
use super::{lock, Shared};
use crate::proto::CmppSp;

/// Where the answer to one DELIVER goes.
pub(crate) type AckTarget = sms_session::link::AckTarget<u32>;

/// Answers every DELIVER at `targets` with result 0.
pub(crate) fn send_acks(router: &AckRouter<CmppSp>, targets: &[AckTarget]) {
    for t in targets {
        router.send(*t, DeliverResult::Ok);
    }
}

/// The handle that answers one status report or MO message (all its DELIVERs, including
/// copies the gateway sent again meanwhile).
#[derive(Clone)]
pub struct DeliverAck {
    inner: Option<Arc<AckInner>>,
}

struct AckInner {
    shared: Weak<Shared>,
    router: Arc<AckRouter<CmppSp>>,
    keys: Vec<DeliverKey>,
    targets: Vec<AckTarget>,
    done: std::sync::atomic::AtomicBool,
}

impl DeliverAck {
    pub(crate) fn new(
        shared: &Arc<Shared>,
        router: &Arc<AckRouter<CmppSp>>,
        keys: Vec<DeliverKey>,
        targets: Vec<AckTarget>,
    ) -> Self {
        DeliverAck {
            inner: Some(Arc::new(AckInner {
                shared: Arc::downgrade(shared),
                router: router.clone(),
                keys,
                targets,
                done: std::sync::atomic::AtomicBool::new(false),
            })),
        }
    }

    /// A handle for a DELIVER that was answered on receipt (`auto_ack`).
    pub(crate) fn already_answered() -> Self {
        DeliverAck { inner: None }
    }

    /// True until accepted (false for a DELIVER answered on receipt).
    pub fn is_pending(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| !i.done.load(std::sync::atomic::Ordering::Acquire))
    }

    /// Answers the DELIVER(s) with result 0: the application holds the message. Only the
    /// first call (of any clone) answers.
    pub fn accept(&self) {
        let Some(inner) = &self.inner else { return };
        if inner.done.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        let mut targets = inner.targets.clone();
        if let Some(shared) = inner.shared.upgrade() {
            let mut recent = lock(&shared.recent);
            for key in &inner.keys {
                targets.extend(recent.accept(*key));
            }
        }
        send_acks(&inner.router, &targets);
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
    fn eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}
