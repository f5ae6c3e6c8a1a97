//! Async front-end: appends acknowledged only once committed.

use crate::error::JournalError;
use crate::journal::Journal;
use sms_records::Event;
use tokio::sync::{mpsc, oneshot};

type Ack = oneshot::Sender<Result<(), JournalError>>;

/// Handle to a writer thread that owns a [`Journal`]; cheap to clone.
///
/// The thread drains a bounded channel, commits whatever is queued (up to
/// [`JournalOptions::max_batch`](crate::JournalOptions::max_batch) events) in one
/// batch, then acknowledges each event: acknowledged ⇒ durable. The thread stops
/// when every handle is dropped.
#[derive(Debug, Clone)]
pub struct JournalWriter {
    tx: mpsc::Sender<(Event, Ack)>,
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
            .send((event, ack))
            .await
            .map_err(|_| JournalError::Closed)?;
        done.await.map_err(|_| JournalError::Closed)?
    }
}

fn run(mut journal: Journal, mut rx: mpsc::Receiver<(Event, Ack)>) {
    let max = journal.options().max_batch.max(1);
    let mut events = Vec::with_capacity(max.min(65_536));
    let mut acks = Vec::with_capacity(max.min(65_536));
    while let Some((e, ack)) = rx.blocking_recv() {
        events.push(e);
        acks.push(ack);
        while events.len() < max {
            match rx.try_recv() {
                Ok((e, ack)) => {
                    events.push(e);
                    acks.push(ack);
                }
                Err(_) => break,
            }
        }
        let result = journal.append_batch(&events);
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
}
