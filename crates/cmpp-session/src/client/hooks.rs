//! What CMPP plugs into the session core's link task: the login, the per-request
//! bookkeeping, the lifecycle events, and what a SUBMIT_RESP or a DELIVER becomes for the
//! application. Window, resends, reconnects and the event stream are the core's.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use cmpp_codec::long::{MessageKey, PushOutcome, ReassembledMessage};
use cmpp_codec::text;
use cmpp_codec::{Deliver, DeliverContent, DeliverResult};
use sms_session::link::{Connected, Failure, LinkCtx, LinkLoss, LoginFailure, Pending, Settled};
use sms_session::{RequestOutcome, ResendReason, SessionConfig};
use tokio::sync::oneshot;

use super::ack::{AckTarget, DeliverAck};
use super::dedupe::{DeliverKey, Seen};
use super::error::{LoginError, SubmitError};
use super::events::{ClientEvent, LifecycleEvent, LifecycleKind};
use super::request::SubmitOutcome;
use super::{lock, ControlReply, Shared};
use crate::proto::{CmppSp, Response};

mod inbound;

/// What a request carries from `Client::submit` to its outcome.
pub(crate) struct Meta {
    pub(crate) local_id: Arc<str>,
    pub(crate) dests: u16,
    /// The first destination (to tell reports apart when the gateway repeats Msg_Ids).
    pub(crate) first_dest: Arc<str>,
    pub(crate) segment: (u8, u8),
    pub(crate) reply: Reply,
}

/// Where the final answer of a request goes.
pub(crate) enum Reply {
    /// A SUBMIT's caller.
    Submit(oneshot::Sender<Result<SubmitOutcome, SubmitError>>),
    /// A QUERY's or CANCEL's caller.
    Control(oneshot::Sender<Result<ControlReply, SubmitError>>),
}

impl Reply {
    fn is_control(&self) -> bool {
        matches!(self, Reply::Control(_))
    }

    fn fail(self, err: SubmitError) {
        match self {
            Reply::Submit(tx) => {
                let _ = tx.send(Err(err));
            }
            Reply::Control(tx) => {
                let _ = tx.send(Err(err));
            }
        }
    }
}

impl LoginFailure for LoginError {
    fn is_permanent(&self) -> bool {
        LoginError::is_permanent(self)
    }

    fn closed() -> Self {
        LoginError::Closed
    }
}

/// The CMPP client's hooks (a handle on the client's shared state).
#[derive(Clone)]
pub(crate) struct CmppHooks(pub(crate) Arc<Shared>);

type Ctx<'a> = LinkCtx<'a, CmppSp>;

impl CmppHooks {
    fn wants_lifecycle(&self, ctx: &Ctx<'_>) -> bool {
        self.0.config.lifecycle_events && ctx.subscribed
    }

    fn lifecycle(
        &self,
        ctx: &Ctx<'_>,
        local_id: Option<Arc<str>>,
        sequence_id: u32,
        kind: LifecycleKind,
    ) -> Option<ClientEvent> {
        self.wants_lifecycle(ctx).then(|| {
            ClientEvent::Lifecycle(LifecycleEvent {
                at: ctx.wall(),
                local_id,
                sequence_id,
                kind,
            })
        })
    }

    /// A request fails with `err`: its lifecycle event first, then its caller.
    fn fail(&self, ctx: &Ctx<'_>, meta: Meta, seq: u32, err: SubmitError) -> Settled<ClientEvent> {
        let event = if meta.reply.is_control() {
            None
        } else {
            self.lifecycle(
                ctx,
                Some(meta.local_id.clone()),
                seq,
                LifecycleKind::Failed {
                    reason: err.to_string(),
                    maybe_accepted: err.maybe_accepted(),
                },
            )
        };
        let reply = meta.reply;
        Settled::new(event, move || reply.fail(err))
    }
}

impl sms_session::link::Hooks for CmppHooks {
    type Proto = CmppSp;
    type Meta = Meta;
    type Event = ClientEvent;
    type LoginError = LoginError;

    fn session_config(&self) -> SessionConfig {
        self.0.config.session_config()
    }

    async fn login(
        &self,
        _connection: usize,
        previous: Option<CmppSp>,
    ) -> Result<Connected<CmppSp>, LoginError> {
        let shared = &self.0;
        let (stream, reader) = super::login::login(&shared.config, &shared.login_clock).await?;
        let first_seq = previous.map_or(1, |p| p.next_sequence_id());
        Ok(Connected {
            stream,
            reader,
            proto: CmppSp::new(shared.config.version, first_seq),
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
        let m = &pending.meta;
        if m.reply.is_control() {
            return None;
        }
        let kind = if first {
            LifecycleKind::Submitted {
                dests: m.dests,
                segment: m.segment.0,
                segments: m.segment.1,
            }
        } else {
            LifecycleKind::Resent { attempt, reason }
        };
        self.lifecycle(ctx, Some(m.local_id.clone()), seq, kind)
    }

    fn completed(
        &self,
        ctx: &Ctx<'_>,
        p: Pending<Meta>,
        seq: u32,
        outcome: RequestOutcome<Response>,
    ) -> Settled<ClientEvent> {
        let tries_before = p.tries_before;
        let written_at = p.written_at;
        let meta = p.meta;
        match outcome {
            RequestOutcome::Response {
                resp: Response::Query(resp),
                ..
            } => match meta.reply {
                Reply::Control(tx) => Settled::new(None, move || {
                    let _ = tx.send(Ok(ControlReply::Query(resp)));
                }),
                Reply::Submit(_) => Settled::nothing(),
            },
            RequestOutcome::Response {
                resp: Response::Cancel(resp),
                ..
            } => match meta.reply {
                Reply::Control(tx) => Settled::new(None, move || {
                    let _ = tx.send(Ok(ControlReply::Cancel(resp)));
                }),
                Reply::Submit(_) => Settled::nothing(),
            },
            RequestOutcome::Response {
                resp: Response::Submit(resp),
                tries,
            } => {
                let Reply::Submit(reply) = meta.reply else {
                    return Settled::nothing();
                };
                let responded_at = ctx.wall();
                let local_id = meta.local_id;
                if resp.result.is_ok() {
                    let repeated = lock(&self.0.index).insert(
                        resp.msg_id,
                        meta.dests,
                        &local_id,
                        &meta.first_dest,
                        ctx.now,
                    );
                    if repeated && self.0.repeated_msg_ids.fetch_add(1, Ordering::Relaxed) == 0 {
                        tracing::warn!(
                            connection = ctx.connection,
                            msg_id = %resp.msg_id,
                            "the gateway gave one Msg_Id to several SUBMITs; their reports are matched by Msg_Id and destination (counted in Client::repeated_msg_ids)"
                        );
                    }
                }
                let event = self.lifecycle(
                    ctx,
                    Some(local_id.clone()),
                    seq,
                    LifecycleKind::Responded {
                        msg_id: resp.msg_id,
                        result: resp.result,
                    },
                );
                let outcome = SubmitOutcome {
                    local_id,
                    msg_id: resp.msg_id,
                    result: resp.result,
                    sequence_id: seq,
                    tries: tries + tries_before,
                    written_at: written_at.unwrap_or(responded_at),
                    responded_at,
                    connection: ctx.connection,
                };
                Settled::new(event, move || {
                    let _ = reply.send(Ok(outcome));
                })
            }
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
                    maybe_accepted: true,
                    tries: tries + tries_before,
                },
            ),
            RequestOutcome::Abandoned { maybe_accepted, .. } => {
                self.fail(ctx, meta, seq, SubmitError::LinkLost { maybe_accepted })
            }
            // An outcome this client does not know: treated as possibly accepted.
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
            _ => {
                let reply = p.meta.reply;
                Settled::new(None, move || reply.fail(SubmitError::Closed))
            }
        }
    }

    fn inbound(
        &self,
        ctx: &Ctx<'_>,
        answer_now: &mut dyn FnMut(DeliverResult),
        seq: u32,
        deliver: Deliver,
    ) -> Vec<ClientEvent> {
        let mut out = Vec::new();
        self.on_deliver(ctx, answer_now, seq, deliver, &mut out);
        out
    }

    fn tick(&self, ctx: &Ctx<'_>) -> Vec<ClientEvent> {
        let expired = lock(&self.0.reassembler).expire(ctx.now.into_std());
        expired
            .into_iter()
            .map(|m| self.reassembled(ctx, m, None, String::new(), String::new()))
            .collect()
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
            ClientEvent::Report { .. } | ClientEvent::UserMessage { .. }
        )
    }
}
