//! What the gateway role plugs into the session core's link task for one served connection.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use smgp_codec::{Deliver, DeliverResp, Status};
use sms_session::link::{Connected, Failure, Hooks, LinkCtx, LinkLoss, Pending, Settled};
use sms_session::{RequestOutcome, SessionConfig};

use super::{lock, ConnInfo, ServerShared, SubmitDecision};
use crate::proto::{GatewayAnswer, GatewayInbound, SmgpGateway};

/// The gateway side never logs in: its links are accepted and served.
#[derive(Debug, thiserror::Error)]
#[error("the gateway side does not log in")]
pub(crate) struct NoLogin;

impl sms_session::link::LoginFailure for NoLogin {
    fn is_permanent(&self) -> bool {
        true
    }

    fn closed() -> Self {
        NoLogin
    }
}

pub(crate) struct GatewayHooks {
    shared: Arc<ServerShared>,
    info: Arc<ConnInfo>,
    down: Mutex<Option<String>>,
}

impl GatewayHooks {
    pub(crate) fn new(shared: Arc<ServerShared>, info: Arc<ConnInfo>) -> Self {
        GatewayHooks {
            shared,
            info,
            down: Mutex::new(None),
        }
    }

    pub(crate) fn down_reason(&self) -> String {
        lock(&self.down)
            .clone()
            .unwrap_or_else(|| "closed".to_owned())
    }

    fn requeue(&self, deliver: Deliver) {
        self.shared.requeue(&self.info.client_id, deliver);
    }
}

type Ctx<'a> = LinkCtx<'a, SmgpGateway>;

impl Hooks for GatewayHooks {
    type Proto = SmgpGateway;
    type Meta = Deliver;
    type Event = ();
    type LoginError = NoLogin;

    fn session_config(&self) -> SessionConfig {
        self.shared.config.session.clone()
    }

    async fn login(
        &self,
        _connection: usize,
        _previous: Option<SmgpGateway>,
    ) -> Result<Connected<SmgpGateway>, NoLogin> {
        Err(NoLogin)
    }

    fn now_utc(&self) -> DateTime<Utc> {
        self.shared.config.clock.now_utc()
    }

    fn completed(
        &self,
        _ctx: &Ctx<'_>,
        p: Pending<Deliver>,
        _seq: u32,
        outcome: RequestOutcome<DeliverResp>,
    ) -> Settled<()> {
        match outcome {
            RequestOutcome::Response { resp, .. } => {
                self.shared
                    .counters
                    .pushes_answered
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.shared
                    .handler
                    .on_push_answered(&self.info, &p.meta, resp.status);
            }
            // Not answered (N timeouts, SP busy too long, link closing): pushed again later.
            _ => self.requeue(p.meta),
        }
        Settled::nothing()
    }

    fn failed(
        &self,
        _ctx: &Ctx<'_>,
        p: Pending<Deliver>,
        _seq: Option<u32>,
        _failure: Failure,
    ) -> Settled<()> {
        self.requeue(p.meta);
        Settled::nothing()
    }

    fn inbound(
        &self,
        ctx: &Ctx<'_>,
        answer_now: &mut dyn FnMut(GatewayAnswer),
        seq: u32,
        inbound: GatewayInbound,
    ) -> Vec<()> {
        let handler = &self.shared.handler;
        match inbound {
            GatewayInbound::Submit(submit) => {
                self.shared
                    .counters
                    .submits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if !self.info.mode.sends() {
                    // A receive-mode link carries no Submit (§1.1): RequestID error.
                    answer_now(GatewayAnswer::refuse(Status(11)));
                    return Vec::new();
                }
                match handler.on_submit(&self.info, &submit) {
                    SubmitDecision::Respond { msg_id, status } => {
                        answer_now(GatewayAnswer::Submit { msg_id, status })
                    }
                    SubmitDecision::RespondAfter {
                        delay,
                        msg_id,
                        status,
                    } => {
                        let acks = ctx.acks().clone();
                        let target = ctx.ack_target(seq);
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            acks.send(target, GatewayAnswer::Submit { msg_id, status });
                        });
                    }
                    SubmitDecision::Ignore => {}
                    SubmitDecision::Close => {
                        if let Some(c) = lock(&self.shared.conns).get(&self.info.id) {
                            c.close.notify_one();
                        }
                    }
                }
            }
            GatewayInbound::Query(query) => {
                answer_now(GatewayAnswer::Query(handler.on_query(&self.info, &query)))
            }
        }
        Vec::new()
    }

    fn link_down(&self, _connection: usize, loss: &LinkLoss) -> Option<()> {
        *lock(&self.down) = Some(loss.to_string());
        None
    }

    fn is_inbound_event(_event: &()) -> bool {
        false
    }
}
