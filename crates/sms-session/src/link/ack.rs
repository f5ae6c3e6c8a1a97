//! Answering inbound requests after the application holds them (at-least-once inbound).
//!
//! An inbound request (an MO message, a status report; on the gateway side a submit) reaches
//! the application with a handle. Its answer is written only when the application accepts
//! it, typically after its own durable write. Dropping the handle without accepting leaves
//! the request unanswered: the peer sends it again (after T on the same link, or on the next
//! link), and the copy is handed over again.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::protocol::Protocol;

/// Where the answer to one inbound request goes: the link it arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AckTarget<S> {
    /// The pool connection.
    pub connection: usize,
    /// The generation of that connection's link (an answer meant for an earlier link is
    /// dropped: the peer sends the request again on the new one).
    pub link: u64,
    /// The request's sequence number.
    pub seq: S,
}

pub(crate) struct AckMsg<P: Protocol> {
    pub(crate) link: u64,
    pub(crate) seq: P::Seq,
    pub(crate) answer: P::Answer,
}

/// Routes answers to the links their requests arrived on.
pub struct AckRouter<P: Protocol> {
    senders: Vec<mpsc::UnboundedSender<AckMsg<P>>>,
}

impl<P: Protocol> std::fmt::Debug for AckRouter<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckRouter")
            .field("connections", &self.senders.len())
            .finish()
    }
}

impl<P: Protocol> AckRouter<P> {
    pub(crate) fn new(connections: usize) -> (Self, Vec<mpsc::UnboundedReceiver<AckMsg<P>>>) {
        let (senders, receivers) = (0..connections).map(|_| mpsc::unbounded_channel()).unzip();
        (AckRouter { senders }, receivers)
    }

    /// Sends `answer` for the request at `target`. A connection that is gone drops it: the
    /// peer sends the request again.
    pub fn send(&self, target: AckTarget<P::Seq>, answer: P::Answer) {
        if let Some(tx) = self.senders.get(target.connection) {
            let _ = tx.send(AckMsg {
                link: target.link,
                seq: target.seq,
                answer,
            });
        }
    }
}

/// The handle that answers one inbound request (or several copies of it).
pub struct InboundAck<P: Protocol> {
    inner: Option<Arc<AckInner<P>>>,
}

/// Told once how a handle ended: `Some(answer)` when it answered, `None` when it was dropped
/// unanswered (the peer will send the request again).
type Release<A> = Box<dyn Fn(Option<A>) + Send + Sync>;

struct AckInner<P: Protocol> {
    router: Arc<AckRouter<P>>,
    targets: Vec<AckTarget<P::Seq>>,
    accept: P::Answer,
    done: std::sync::atomic::AtomicBool,
    on_release: Option<Release<P::Answer>>,
}

impl<P: Protocol> Drop for AckInner<P> {
    fn drop(&mut self) {
        if !*self.done.get_mut() {
            if let Some(f) = &self.on_release {
                f(None);
            }
        }
    }
}

impl<P: Protocol> Clone for InboundAck<P> {
    fn clone(&self) -> Self {
        InboundAck {
            inner: self.inner.clone(),
        }
    }
}

impl<P: Protocol> InboundAck<P> {
    /// A handle answering `targets` with `accept` on [`accept`](Self::accept).
    pub fn new(
        router: Arc<AckRouter<P>>,
        targets: Vec<AckTarget<P::Seq>>,
        accept: P::Answer,
    ) -> Self {
        InboundAck {
            inner: Some(Arc::new(AckInner {
                router,
                targets,
                accept,
                done: std::sync::atomic::AtomicBool::new(false),
                on_release: None,
            })),
        }
    }

    /// As [`new`](Self::new), and `on_release` is told once how the handle ended: with the
    /// answer sent, or `None` when every clone was dropped unanswered (a client that hands
    /// each message over once keeps its copies' bookkeeping with it).
    pub fn with_release(
        router: Arc<AckRouter<P>>,
        targets: Vec<AckTarget<P::Seq>>,
        accept: P::Answer,
        on_release: impl Fn(Option<P::Answer>) + Send + Sync + 'static,
    ) -> Self {
        InboundAck {
            inner: Some(Arc::new(AckInner {
                router,
                targets,
                accept,
                done: std::sync::atomic::AtomicBool::new(false),
                on_release: Some(Box::new(on_release)),
            })),
        }
    }

    /// A handle for a request that was answered on receipt.
    pub fn already_answered() -> Self {
        InboundAck { inner: None }
    }

    /// True until accepted or rejected.
    pub fn is_pending(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| !i.done.load(std::sync::atomic::Ordering::Acquire))
    }

    /// Answers the request as taken. Only the first call (of any clone) answers.
    pub fn accept(&self) {
        if let Some(inner) = &self.inner {
            self.answer(inner.accept);
        }
    }

    /// Answers the request with `answer` (a refusal). Only the first call answers.
    pub fn answer(&self, answer: P::Answer) {
        let Some(inner) = &self.inner else { return };
        if inner.done.swap(true, std::sync::atomic::Ordering::AcqRel) {
            return;
        }
        for t in &inner.targets {
            inner.router.send(*t, answer);
        }
        if let Some(f) = &inner.on_release {
            f(Some(answer));
        }
    }
}

impl<P: Protocol> std::fmt::Debug for InboundAck<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundAck")
            .field("pending", &self.is_pending())
            .finish()
    }
}

impl<P: Protocol> PartialEq for InboundAck<P> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}
