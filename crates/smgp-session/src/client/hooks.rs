//! What SMGP plugs into the session core's link task on the SP side.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use smgp_codec::{Deliver, QueryResp, Status};
use sms_session::link::{Connected, Failure, Hooks, LinkCtx, LinkLoss, Pending, Settled};
use sms_session::{RequestOutcome, ResendReason, SessionConfig};
use tokio::sync::oneshot;

use super::ack::{DeliverAck, DeliverKey, Seen};
use super::{ClientEvent, LifecycleKind, Shared, SubmitError, SubmitOutcome};
use crate::login::{connect, LoginError};
use crate::proto::{SmgpSp, SpResponse};

/// What a request carries from the caller to its outcome.
pub(crate) struct Meta {
    pub(crate) local_id: Arc<str>,
    pub(crate) recipients: u32,
    pub(crate) reply: Reply,
}

/// Where the final answer goes.
pub(crate) enum Reply {
    Submit(oneshot::Sender<Result<SubmitOutcome, SubmitError>>),
    Query(oneshot::Sender<Result<QueryResp, SubmitError>>),
}

impl Reply {
    fn fail(self, err: SubmitError) -> Settled<ClientEvent> {
        Settled::new(None, move || match self {
            Reply::Submit(tx) => {
                let _ = tx.send(Err(err));
            }
            Reply::Query(tx) => {
                let _ = tx.send(Err(err));
            }
        })
    }
}

/// The SMGP client's hooks (a handle on the client's shared state).
pub(crate) struct SmgpHooks(pub(crate) Arc<Shared>);

type Ctx<'a> = LinkCtx<'a, SmgpSp>;

impl SmgpHooks {
    /// A lifecycle event for a submit, when asked for and someone listens.
    fn lifecycle(
        &self,
        ctx: &Ctx<'_>,
        meta: &Meta,
        sequence_id: u32,
        kind: LifecycleKind,
    ) -> Option<ClientEvent> {
        let wanted = self.0.config.lifecycle_events
            && ctx.subscribed
            && matches!(meta.reply, Reply::Submit(_));
        wanted.then(|| ClientEvent::Lifecycle {
            at: ctx.wall(),
            local_id: meta.local_id.clone(),
            sequence_id,
            kind,
        })
    }

    /// A request fails with `err`: its lifecycle event first, then its caller.
    fn fail(&self, ctx: &Ctx<'_>, meta: Meta, seq: u32, err: SubmitError) -> Settled<ClientEvent> {
        let event = self.lifecycle(
            ctx,
            &meta,
            seq,
            LifecycleKind::Failed {
                reason: err.to_string(),
                maybe_accepted: err.maybe_accepted(),
            },
        );
        let mut settled = meta.reply.fail(err);
        settled.event = event;
        settled
    }
}

impl Hooks for SmgpHooks {
    type Proto = SmgpSp;
    type Meta = Meta;
    type Event = ClientEvent;
    type LoginError = LoginError;

    fn session_config(&self) -> SessionConfig {
        self.0.config.session.clone()
    }

    async fn login(
        &self,
        _connection: usize,
        previous: Option<SmgpSp>,
    ) -> Result<Connected<SmgpSp>, LoginError> {
        let cfg = &self.0.config;
        // SequenceIDs continue across links; the Login takes the next one.
        let login_seq = previous.map_or(1, |p| p.next_sequence_id());
        let stamp = self.0.login_clock.stamp(cfg.clock.now_utc());
        let (stream, done) = connect(cfg.gateway, &cfg.login, stamp, login_seq).await?;
        Ok(Connected {
            stream,
            reader: done.reader,
            proto: SmgpSp::new(cfg.login.version, login_seq.wrapping_add(1)),
        })
    }

    fn now_utc(&self) -> DateTime<Utc> {
        self.0.config.clock.now_utc()
    }

    fn transmitted(
        &self,
        ctx: &Ctx<'_>,
        pending: &mut Pending<Meta>,
        seq: u32,
        first: bool,
        attempt: u32,
        reason: ResendReason,
    ) -> Option<ClientEvent> {
        let kind = if first {
            LifecycleKind::Submitted {
                recipients: pending.meta.recipients,
            }
        } else {
            LifecycleKind::Resent { attempt, reason }
        };
        self.lifecycle(ctx, &pending.meta, seq, kind)
    }

    fn completed(
        &self,
        ctx: &Ctx<'_>,
        p: Pending<Meta>,
        seq: u32,
        outcome: RequestOutcome<SpResponse>,
    ) -> Settled<ClientEvent> {
        let tries_before = p.tries_before;
        let written_at = p.written_at;
        let meta = p.meta;
        match outcome {
            RequestOutcome::Response { resp, tries } => match resp {
                SpResponse::Submit(r) => {
                    if r.status.is_ok() {
                        let capacity = self.0.config.index_capacity;
                        let mut index = self.0.index();
                        index.insert(capacity, r.msg_id, &meta.local_id, 0);
                        // A group send's recipients have consecutive ids (§4.3).
                        for k in 1..meta.recipients {
                            if let Some(id) = r.msg_id.nth_recipient(k) {
                                index.insert(capacity, id, &meta.local_id, k);
                            }
                        }
                    }
                    let event = self.lifecycle(
                        ctx,
                        &meta,
                        seq,
                        LifecycleKind::Responded {
                            msg_id: r.msg_id,
                            status: r.status,
                        },
                    );
                    let Reply::Submit(tx) = meta.reply else {
                        // The core matches responses to the command of their request.
                        return Settled::nothing();
                    };
                    let responded_at = ctx.wall();
                    let outcome = SubmitOutcome {
                        local_id: meta.local_id,
                        msg_id: r.msg_id,
                        status: r.status,
                        sequence_id: seq,
                        tries: tries + tries_before,
                        connection: ctx.connection,
                        written_at: written_at.unwrap_or(responded_at),
                        responded_at,
                    };
                    Settled::new(event, move || {
                        let _ = tx.send(Ok(outcome));
                    })
                }
                SpResponse::Query(r) => match meta.reply {
                    Reply::Query(tx) => Settled::new(None, move || {
                        let _ = tx.send(Ok(r));
                    }),
                    Reply::Submit(_) => Settled::nothing(),
                },
            },
            RequestOutcome::FlowControl { tries } => self.fail(
                ctx,
                meta,
                seq,
                SubmitError::FlowControl {
                    tries: tries + tries_before,
                },
            ),
            RequestOutcome::NoResponse { tries } => self.fail(
                ctx,
                meta,
                seq,
                SubmitError::NoResponse {
                    tries: tries + tries_before,
                },
            ),
            RequestOutcome::Abandoned { maybe_accepted, .. } => {
                self.fail(ctx, meta, seq, SubmitError::LinkLost { maybe_accepted })
            }
            // An outcome this client does not know: possibly accepted.
            _ => self.fail(
                ctx,
                meta,
                seq,
                SubmitError::LinkLost {
                    maybe_accepted: true,
                },
            ),
        }
    }

    fn failed(
        &self,
        ctx: &Ctx<'_>,
        p: Pending<Meta>,
        seq: Option<u32>,
        failure: Failure,
    ) -> Settled<ClientEvent> {
        match failure {
            Failure::LinkLost { maybe_accepted } => self.fail(
                ctx,
                p.meta,
                seq.unwrap_or(0),
                SubmitError::LinkLost { maybe_accepted },
            ),
            // Never taken by a link: nothing happened to it but the refusal.
            _ => p.meta.reply.fail(SubmitError::Closed),
        }
    }

    fn inbound(
        &self,
        ctx: &Ctx<'_>,
        answer_now: &mut dyn FnMut(Status),
        seq: u32,
        deliver: Deliver,
    ) -> Vec<ClientEvent> {
        // Answered only when the application accepts (at-least-once). A copy the gateway
        // sent again is answered with the first (or at once when that was accepted).
        let key = DeliverKey::of(&deliver);
        let seen = self.0.recent().observe(key, ctx.ack_target(seq));
        match seen {
            Seen::New => {}
            Seen::Pending => {
                self.0.duplicates.fetch_add(1, Ordering::Relaxed);
                return Vec::new();
            }
            Seen::Accepted => {
                self.0.duplicates.fetch_add(1, Ordering::Relaxed);
                answer_now(Status::OK);
                return Vec::new();
            }
        }
        let ack = DeliverAck::new(&self.0, ctx.acks().clone(), key);
        let received_at = ctx.wall();
        let event = match deliver.report() {
            None => ClientEvent::Message {
                deliver,
                received_at,
                ack,
            },
            Some(Err(error)) => ClientEvent::UnreadableReport {
                deliver,
                error,
                ack,
            },
            Some(Ok(report)) => {
                let found = self.0.index().get(&report.id);
                let (local_id, recipient) = match found {
                    Some((l, k)) => (Some(l), k),
                    None => (None, 0),
                };
                ClientEvent::Report {
                    report,
                    local_id,
                    recipient,
                    deliver,
                    received_at,
                    ack,
                }
            }
        };
        vec![event]
    }

    fn link_up(&self, connection: usize) -> Option<ClientEvent> {
        Some(ClientEvent::LinkUp { connection })
    }

    fn link_down(&self, connection: usize, loss: &LinkLoss) -> Option<ClientEvent> {
        Some(ClientEvent::LinkDown {
            connection,
            reason: loss.clone(),
        })
    }

    fn is_inbound_event(event: &ClientEvent) -> bool {
        matches!(
            event,
            ClientEvent::Report { .. }
                | ClientEvent::UnreadableReport { .. }
                | ClientEvent::Message { .. }
        )
    }
}
