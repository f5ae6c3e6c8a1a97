//! Async front-end: appends acknowledged only once committed.

use crate::error::JournalError;
use crate::journal::Journal;
use sms_records::{Event, InboundMessage};
use tokio::sync::{mpsc, oneshot};

type Ack = oneshot::Sender<Result<(), JournalError>>;

/// What the writer thread is asked to store.
#[derive(Debug)]
enum Op {
    Event(Event, Ack),
    Inbound(InboundMessage, oneshot::Sender<Result<bool, JournalError>>),
}

/// Handle to a writer thread that owns a [`Journal`]; cheap to clone.
///
/// The thread drains a bounded channel, commits whatever is queued (up to
/// [`JournalOptions::max_batch`](crate::JournalOptions::max_batch) events) in one
/// batch, then acknowledges each event: acknowledged ⇒ durable. The thread stops
/// when every handle is dropped.
#[derive(Debug, Clone)]
pub struct JournalWriter {
    tx: mpsc::Sender<Op>,
}

impl JournalWriter {
    /// Starts the writer thread; `capacity` bounds the events waiting (back-pressure).
    pub fn spawn(journal: Journal, capacity: usize) -> Result<JournalWriter, JournalError> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        std::thread::Builder::new()
            .name("sms-journal-writer".into())
            .spawn(move || run(journal, rx))
            .map_err(|source| JournalError::Io {
                path: "writer thread".into(),
                source,
            })?;
        Ok(JournalWriter { tx })
    }

    /// Appends one event; resolves once the transaction holding it has committed.
    pub async fn append(&self, event: Event) -> Result<(), JournalError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Op::Event(event, ack))
            .await
            .map_err(|_| JournalError::Closed)?;
        done.await.map_err(|_| JournalError::Closed)?
    }

    /// Stores an inbound message ([`Journal::append_inbound`]); resolves once committed,
    /// with true when it was new and false for a duplicate of a stored one.
    pub async fn append_inbound(&self, message: InboundMessage) -> Result<bool, JournalError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Op::Inbound(message, ack))
            .await
            .map_err(|_| JournalError::Closed)?;
        done.await.map_err(|_| JournalError::Closed)?
    }
}

fn run(mut journal: Journal, mut rx: mpsc::Receiver<Op>) {
    let max = journal.options().max_batch.max(1);
    let mut events = Vec::with_capacity(max.min(65_536));
    let mut acks = Vec::with_capacity(max.min(65_536));
    // Inbound messages are rare: each is stored on its own, after the events queued before it.
    let mut inbound = Vec::new();
    while let Some(op) = rx.blocking_recv() {
        let mut next = Some(op);
        while let Some(op) = next.take() {
            match op {
                Op::Event(e, ack) => {
                    events.push(e);
                    acks.push(ack);
                }
                Op::Inbound(m, ack) => inbound.push((m, ack)),
            }
            if events.len() < max && inbound.is_empty() {
                next = rx.try_recv().ok();
            }
        }
        if !events.is_empty() {
            commit_events(&mut journal, &mut events, &mut acks);
        }
        for (m, ack) in inbound.drain(..) {
            let _ = ack.send(journal.append_inbound(&m));
        }
    }
}

fn commit_events(journal: &mut Journal, events: &mut Vec<Event>, acks: &mut Vec<Ack>) {
    let result = journal.append_batch(events);
    let cause = result.err().map(std::sync::Arc::new);
    for ack in acks.drain(..) {
        // A dropped receiver only means the caller stopped waiting.
        let _ = ack.send(match &cause {
            None => Ok(()),
            Some(c) => Err(JournalError::Batch(c.clone())),
        });
    }
    events.clear();
}
