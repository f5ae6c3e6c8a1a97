//! The event pump: session events in, journal events out, in order, with bounded work in
//! flight.

use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::stream::FuturesUnordered;
use futures::{Future, FutureExt, StreamExt};
use sms_records::Event;
use tokio::sync::{mpsc, oneshot, watch};

use crate::link::{Ack as DeliverAck, Lifecycle, LinkEvent, LinkEvents, Mo, Report};
use crate::lock;
use crate::mapping;
use crate::sender::{log_opt_out, State};
use crate::stats::Counters;

type Ack = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs until shutdown is signalled, then drains what the client emitted before it closed.
/// A request to the pump from the sender.
pub(crate) enum Sync {
    /// Answered once every event emitted before it has been taken in.
    Events(oneshot::Sender<()>),
    /// Answered once, in addition, every journal write (and the answer to the gateway that
    /// waits for it) of those events has completed.
    Flush(oneshot::Sender<()>),
}

pub(crate) async fn run(
    state: Arc<State>,
    mut events: LinkEvents,
    mut sync: mpsc::Receiver<Sync>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut inflight: FuturesUnordered<Ack> = FuturesUnordered::new();
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    let limit = state.config.journal_in_flight.max(1);
    loop {
        while inflight.len() >= limit {
            inflight.next().await;
        }
        if inflight.is_empty() {
            for reply in flushes.drain(..) {
                let _ = reply.send(());
            }
        }
        tokio::select! {
            // Events first: a sync request is answered only when every event emitted before
            // it has been taken in (see `Sender::await_first_event`).
            biased;
            ev = events.next() => match ev {
                Some(ev) => handle(&state, ev, &mut inflight),
                None => break,
            },
            Some(request) = sync.recv() => match request {
                Sync::Events(reply) => { let _ = reply.send(()); }
                Sync::Flush(reply) => flushes.push(reply),
            },
            Some(()) = inflight.next(), if !inflight.is_empty() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    // The client has closed: whatever it emitted is already queued.
                    while let Some(Some(ev)) = events.next().now_or_never() {
                        handle(&state, ev, &mut inflight);
                    }
                    break;
                }
            }
        }
    }
    while inflight.next().await.is_some() {}
    for reply in flushes {
        let _ = reply.send(());
    }
    // Answer late sync requests so no sender waits forever.
    sync.close();
    while let Some(request) = sync.recv().await {
        let (Sync::Events(reply) | Sync::Flush(reply)) = request;
        let _ = reply.send(());
    }
}

fn handle(state: &Arc<State>, ev: LinkEvent, inflight: &mut FuturesUnordered<Ack>) {
    match ev {
        LinkEvent::Lifecycle { at, local_id, kind } => {
            lifecycle(state, at, local_id, kind, inflight)
        }
        LinkEvent::Report(Report {
            msg_id,
            stat,
            class,
            local_id,
            dest_index,
            received_at,
            ack,
            dest,
            src_id,
            submit_time,
        }) => {
            let counters = &state.counters;
            Counters::bump(&counters.reports, 1);
            *lock(&counters.stats).entry(stat.clone()).or_default() += 1;
            let record_id = local_id.as_deref().and_then(|key| {
                let mut reg = lock(&state.registry);
                let entry = reg.get_mut(key)?;
                let i = usize::from(dest_index.unwrap_or(0));
                let id = entry.meta.record_ids.get(i).cloned();
                if let Some(ms) = entry.submitted_ms {
                    let lat = received_at.timestamp_millis() - ms;
                    lock(&counters.report_latency).add(chrono::TimeDelta::milliseconds(lat));
                }
                entry.reports_left = entry.reports_left.saturating_sub(1);
                if entry.reports_left == 0 {
                    reg.remove(key);
                }
                id
            });
            if record_id.is_some() {
                Counters::bump(&counters.own_reports, 1);
            }
            if let Some(hook) = state.config.before_report_commit {
                hook();
            }
            let origin = mapping::report_origin(&dest, &src_id, &submit_time);
            let event =
                mapping::report_event(received_at, record_id, &msg_id, &stat, class, Some(origin));
            // At-least-once: the DELIVER is answered only once the report is durable.
            push(state, inflight, vec![event], None, Some(ack));
            state.report_signal.notify_waiters();
        }
        LinkEvent::Mo(Mo {
            msg_id,
            from,
            to,
            service_id,
            coding,
            content,
            link_id,
            received_at,
            ack,
        }) => {
            Counters::bump(&state.counters.user_messages, 1);
            // The MO's effect (an opt-out) is applied and its log synced first; a failure
            // leaves it unanswered so that the gateway sends it again.
            if let (Some(policy), Some(text)) = (&state.policy, content.as_text()) {
                match lock(policy).handle_user_message(&from, text, received_at) {
                    Ok(Some(change)) => {
                        Counters::bump(&state.counters.opt_outs, 1);
                        tracing::info!(number = %change.number, word = %change.word, "opted out");
                        if !log_opt_out(state, &change.to_json_line()) {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "unsubscribe reply not applied; left unanswered");
                        return;
                    }
                }
            }
            let message = mapping::inbound_message(&mapping::MoFields {
                msg_id: msg_id.as_deref(),
                received_at,
                from: &from,
                to: &to,
                service_id: &service_id,
                link_id: &link_id,
                coding,
                content: &content,
            });
            if let Some(hook) = state.config.before_inbound_commit {
                hook();
            }
            // Then it is journaled, and answered only once that has committed.
            push_inbound(state, inflight, message, ack);
        }
        LinkEvent::LinkUp { connection } => tracing::info!(connection, "link up"),
        LinkEvent::LinkDown { connection, reason } => {
            tracing::warn!(connection, %reason, "link down")
        }
    }
}

fn lifecycle(
    state: &Arc<State>,
    at: DateTime<Utc>,
    key: Arc<str>,
    kind: Lifecycle,
    inflight: &mut FuturesUnordered<Ack>,
) {
    let meta = {
        let mut reg = lock(&state.registry);
        let Some(entry) = reg.get_mut(&key) else {
            tracing::debug!(local_id = %key, "lifecycle event for an untracked submit");
            return;
        };
        if matches!(kind, Lifecycle::Submitted) && entry.submitted_ms.is_none() {
            entry.submitted_ms = Some(at.timestamp_millis());
        }
        entry.meta.clone()
    };
    let events = meta.events_for(at, &kind);
    if events.is_empty() {
        return;
    }
    let waiter = lock(&state.waiters)
        .remove(&key)
        .map(|tx| (tx, matches!(kind, Lifecycle::Submitted)));
    push(state, inflight, events, waiter, None);
}

/// Queues the journal write of an inbound message; answers its DELIVER(s) once committed
/// (a duplicate of a stored one is answered too: it is held already).
fn push_inbound(
    state: &Arc<State>,
    inflight: &mut FuturesUnordered<Ack>,
    message: sms_records::InboundMessage,
    deliver: DeliverAck,
) {
    let Some(journal) = state.journal.clone() else {
        deliver.accept();
        return;
    };
    let state = state.clone();
    inflight.push(Box::pin(async move {
        match journal.append_inbound(message).await {
            Ok(_) => deliver.accept(),
            Err(e) => {
                Counters::bump(&state.counters.journal_errors, 1);
                tracing::error!(error = %e, "inbound message not journaled; left unanswered");
            }
        }
    }));
}

/// Queues the journal writes of `events`; once they have all committed, fires `waiter` and
/// answers the DELIVER behind them (`deliver`).
fn push(
    state: &Arc<State>,
    inflight: &mut FuturesUnordered<Ack>,
    events: Vec<Event>,
    waiter: Option<(oneshot::Sender<bool>, bool)>,
    deliver: Option<DeliverAck>,
) {
    if state.journal.is_none() {
        if let Some((tx, written)) = waiter {
            let _ = tx.send(written);
        }
        if let Some(d) = deliver {
            d.accept();
        }
        return;
    }
    let state = state.clone();
    inflight.push(Box::pin(async move {
        let ok = state.journal(events).await.is_ok();
        // A failed write leaves the sender without its acknowledgement (it reports the
        // journal error instead of "accepted") and the DELIVER unanswered (re-sent).
        if ok {
            if let Some((tx, written)) = waiter {
                let _ = tx.send(written);
            }
            if let Some(d) = deliver {
                d.accept();
            }
        }
    }));
}
