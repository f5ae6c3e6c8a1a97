//! For clients whose own event stream carries no submit lifecycle: the lifecycle events the
//! send path journals, made from the submit's outcome and queued on the link's stream before
//! the caller hears of it (so that a SUBMIT's first event is durable before the sender
//! reports it, as for CMPP).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use cmpp_codec::text::Content;
use sms_wire::Decoded;
use tokio::sync::mpsc;

use super::{Lifecycle, LinkError, LinkEvent, LinkOutcome};

/// Queues the lifecycle of one submit: `Submitted` when it was written, then its response
/// or failure.
pub(crate) fn settle(
    tx: &mpsc::UnboundedSender<LinkEvent>,
    local_id: &str,
    written_at: DateTime<Utc>,
    result: &Result<LinkOutcome, LinkError>,
    failed_at: DateTime<Utc>,
) {
    let local_id: Arc<str> = Arc::from(local_id);
    let send = |at, kind| {
        let _ = tx.send(LinkEvent::Lifecycle {
            at,
            local_id: local_id.clone(),
            kind,
        });
    };
    match result {
        Ok(o) => {
            send(o.written_at, Lifecycle::Submitted);
            send(
                o.responded_at,
                Lifecycle::Responded {
                    ids: o.ids.clone(),
                    result: o.result,
                    class: o.class,
                },
            );
        }
        Err(e) if e.written => {
            send(written_at, Lifecycle::Submitted);
            send(
                failed_at,
                Lifecycle::Failed {
                    reason: e.reason.clone(),
                    maybe_accepted: e.maybe_accepted,
                },
            );
        }
        // Never written: the sender records it as not sent.
        Err(_) => {}
    }
}

/// The content of an MO message in the send path's terms.
pub(crate) fn content(decoded: Decoded<'_>, raw: &[u8]) -> Content {
    match decoded {
        Decoded::Text(t) => Content::Text(t.into_owned()),
        Decoded::Lossy(t) => Content::Text(t),
        _ => Content::Binary(raw.to_vec()),
    }
}

/// A bounded map from a submit's local id to its destinations (to place a report whose
/// client names only the submit).
#[derive(Debug, Default)]
pub(crate) struct Dests {
    map: std::collections::HashMap<Arc<str>, Vec<String>>,
    order: std::collections::VecDeque<Arc<str>>,
}

impl Dests {
    const CAPACITY: usize = 100_000;

    pub(crate) fn insert(&mut self, local_id: &str, dests: Vec<String>) {
        if dests.len() < 2 {
            return;
        }
        let key: Arc<str> = Arc::from(local_id);
        if self.map.insert(key.clone(), dests).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > Self::CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }

    pub(crate) fn index(&self, local_id: &str, dest: &str) -> Option<u16> {
        let dests = self.map.get(local_id)?;
        let i = dests.iter().position(|d| d == dest)?;
        u16::try_from(i).ok()
    }
}

/// A stream of an unbounded receiver.
pub(crate) fn stream<T: Send + 'static>(
    rx: mpsc::UnboundedReceiver<T>,
) -> futures::stream::BoxStream<'static, T> {
    use futures::StreamExt;
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }).boxed()
}

/// A stream of a bounded receiver.
pub(crate) fn stream_bounded<T: Send + 'static>(
    rx: mpsc::Receiver<T>,
) -> futures::stream::BoxStream<'static, T> {
    use futures::StreamExt;
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }).boxed()
}
