//! What SMGP plugs into the session core's link task on the SP side.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use smgp_codec::{Deliver, QueryResp, Status};
use sms_session::link::{Connected, Failure, Hooks, LinkCtx, LinkLoss, Pending, Settled};
use sms_session::{RequestOutcome, ResendReason, SessionConfig};
use tokio::sync::oneshot;

use super::ack::{DeliverAck, DeliverKey, Seen};
use super::{ClientEvent, Shared, SubmitError, SubmitOutcome};
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
        _ctx: &Ctx<'_>,
        _pending: &mut Pending<Meta>,
        _seq: u32,
        _first: bool,
        _attempt: u32,
        _reason: ResendReason,
    ) -> Option<ClientEvent> {
        None
    }

    fn completed(
        &self,
        ctx: &Ctx<'_>,
        p: Pending<Meta>,
        seq: u32,
        outcome: RequestOutcome<SpResponse>,
    ) -> Settled<ClientEvent> {
        let meta = p.meta;
        match outcome {
            RequestOutcome::Response { resp, tries } => match (resp, meta.reply) {
                (SpResponse::Submit(r), Reply::Submit(tx)) => {
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
                    let responded_at = ctx.wall();
                    let outcome = SubmitOutcome {
                        local_id: meta.local_id,
                        msg_id: r.msg_id,
                        status: r.status,
                        sequence_id: seq,
                        tries: tries + p.tries_before,
                        connection: ctx.connection,
                        written_at: p.written_at.unwrap_or(responded_at),
                        responded_at,
                    };
                    Settled::new(None, move || {
                        let _ = tx.send(Ok(outcome));
                    })
                }
                (SpResponse::Query(r), Reply::Query(tx)) => Settled::new(None, move || {
                    let _ = tx.send(Ok(r));
                }),
                // The core matches responses to the command of their request.
                (_, reply) => reply.fail(SubmitError::LinkLost {
                    maybe_accepted: true,
                }),
            },
            RequestOutcome::FlowControl { tries } => meta.reply.fail(SubmitError::FlowControl {
                tries: tries + p.tries_before,
            }),
            RequestOutcome::NoResponse { tries } => meta.reply.fail(SubmitError::NoResponse {
                tries: tries + p.tries_before,
            }),
            RequestOutcome::Abandoned { maybe_accepted, .. } => {
                meta.reply.fail(SubmitError::LinkLost { maybe_accepted })
            }
            // An outcome this client does not know: possibly accepted.
            _ => meta.reply.fail(SubmitError::LinkLost {
                maybe_accepted: true,
            }),
        }
    }

    fn failed(
        &self,
        _ctx: &Ctx<'_>,
        p: Pending<Meta>,
        _seq: Option<u32>,
        failure: Failure,
    ) -> Settled<ClientEvent> {
        match failure {
            Failure::LinkLost { maybe_accepted } => {
                p.meta.reply.fail(SubmitError::LinkLost { maybe_accepted })
            }
            // Never taken by a link.
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
        let event = match deliver.report() {
            None => ClientEvent::Message { deliver, ack },
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
