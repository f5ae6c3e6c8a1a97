//! CMPP's client as a [`Link`].

use std::sync::Arc;
use std::time::Duration;

use cmpp_codec::long::SharedReferences;
use cmpp_codec::{OctetString, Submit};
use cmpp_session::{Client, ClientEvent, LifecycleKind, SubmitError, SubmitRequest};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use sms_session::Clock;

use super::{
    Ack, GroupIds, IntoLink, Lifecycle, Link, LinkError, LinkEvent, LinkEvents, LinkOutcome, Mo,
    Report, SubmitPlan,
};
use crate::mapping::neutral_class;

/// A CMPP [`Client`] on the send path.
#[derive(Clone)]
pub struct CmppLink {
    client: Client,
}

impl CmppLink {
    /// Wraps `client` (whose event stream the send path takes over).
    pub fn new(client: Client) -> Self {
        CmppLink { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl IntoLink for Client {
    fn into_link(self) -> Arc<dyn Link> {
        Arc::new(CmppLink::new(self))
    }
}

fn field<const N: usize>(v: &str, name: &str) -> Result<OctetString<N>, String> {
    OctetString::<N>::try_from(v).map_err(|e| format!("{name} '{v}': {e}"))
}

fn submit_of(plan: &SubmitPlan) -> Result<Submit, String> {
    let seg = &plan.segment;
    Ok(Submit {
        registered_delivery: plan.registered_delivery,
        service_id: field(&plan.service_id, "Service_Id")?,
        msg_src: field(&plan.msg_src, "Msg_src")?,
        src_id: field(&plan.src, "Src_Id")?,
        pk_total: seg.pk_total,
        pk_number: seg.pk_number,
        tp_udhi: seg.tp_udhi_byte(),
        msg_fmt: seg.msg_fmt,
        msg_content: seg.content.clone().into(),
        dest_terminal_ids: plan
            .dests
            .iter()
            .map(|d| field::<32>(d, "Dest_terminal_Id"))
            .collect::<Result<Vec<_>, _>>()?,
        ..Submit::default()
    })
}

/// Whether the SUBMIT behind a failure was written to a link.
fn written(e: &SubmitError) -> bool {
    match e {
        SubmitError::Closed
        | SubmitError::Encode(_)
        | SubmitError::Invalid(_)
        | SubmitError::References(_) => false,
        SubmitError::LinkLost { maybe_accepted } => *maybe_accepted,
        SubmitError::NoResponse { .. } | SubmitError::FlowControl { .. } => true,
        // An error added later: assume the SUBMIT may have left, so the record ends
        // `unknown` rather than claiming it was never sent.
        _ => true,
    }
}

fn event(ev: ClientEvent) -> Option<LinkEvent> {
    Some(match ev {
        ClientEvent::Lifecycle(ev) => {
            let kind = match ev.kind {
                LifecycleKind::Submitted { .. } => Lifecycle::Submitted,
                LifecycleKind::Resent { attempt, .. } => Lifecycle::Resent { attempt },
                LifecycleKind::Responded { msg_id, result } => Lifecycle::Responded {
                    ids: GroupIds::Consecutive(msg_id),
                    result: result.to_u32(),
                    class: neutral_class(result.cause_class()),
                },
                LifecycleKind::Failed {
                    reason,
                    maybe_accepted,
                } => Lifecycle::Failed {
                    reason,
                    maybe_accepted,
                },
                // Reports are journaled from the report itself (it knows the destination).
                _ => return None,
            };
            LinkEvent::Lifecycle {
                at: ev.at,
                local_id: ev.local_id?,
                kind,
            }
        }
        ClientEvent::Report {
            msg_id,
            stat,
            submit_time,
            dest,
            src_id,
            local_id,
            dest_index,
            received_at,
            ack,
            ..
        } => LinkEvent::Report(Report {
            msg_id: msg_id.to_digits(),
            stat: stat.text().trim_end().to_string(),
            class: neutral_class(stat.cause_class()),
            dest,
            src_id,
            submit_time,
            local_id,
            dest_index,
            received_at,
            ack: Ack::new(move || ack.accept()),
        }),
        ClientEvent::UserMessage {
            msg_id,
            from,
            to,
            service_id,
            msg_fmt,
            content,
            link_id,
            received_at,
            ack,
            ..
        } => LinkEvent::Mo(Mo {
            msg_id: msg_id.map(|m| m.to_digits()),
            from,
            to,
            service_id,
            link_id,
            coding: u8::from(msg_fmt),
            content,
            received_at,
            ack: Ack::new(move || ack.accept()),
        }),
        ClientEvent::LinkUp { connection } => LinkEvent::LinkUp { connection },
        ClientEvent::LinkDown { connection, reason } => LinkEvent::LinkDown {
            connection,
            reason: reason.to_string(),
        },
    })
}

impl Link for CmppLink {
    fn protocol(&self) -> &'static str {
        "CMPP"
    }

    fn max_destinations(&self) -> usize {
        cmpp_codec::pdu::submit::MAX_DESTINATIONS
    }

    fn references(&self) -> &SharedReferences {
        self.client.references()
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.client.config().clock.clone()
    }

    fn live_connections(&self) -> usize {
        self.client.live_connections()
    }

    fn take_events(&self) -> Option<LinkEvents> {
        let events = self.client.events()?;
        Some(
            events
                .filter_map(|ev| std::future::ready(event(ev)))
                .boxed(),
        )
    }

    fn validate(&self, plan: &SubmitPlan) -> Result<(), String> {
        submit_of(plan).map(|_| ())
    }

    fn submit(&self, plan: SubmitPlan) -> BoxFuture<'_, Result<LinkOutcome, LinkError>> {
        async move {
            let submit = submit_of(&plan).map_err(|reason| LinkError {
                reason,
                written: false,
                maybe_accepted: false,
            })?;
            match self
                .client
                .submit(SubmitRequest::new(plan.local_id, submit))
                .await
            {
                Ok(o) => Ok(LinkOutcome {
                    ids: GroupIds::Consecutive(o.msg_id),
                    result: o.result.to_u32(),
                    accepted: o.result.is_ok(),
                    class: neutral_class(o.result.cause_class()),
                    written_at: o.written_at,
                    responded_at: o.responded_at,
                }),
                Err(e) => Err(LinkError {
                    reason: e.to_string(),
                    written: written(&e),
                    maybe_accepted: e.maybe_accepted(),
                }),
            }
        }
        .boxed()
    }

    fn close(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        self.client.close(deadline).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_errors_were_written() {
        assert!(written(&SubmitError::NoResponse {
            maybe_accepted: true,
            tries: 3
        }));
        assert!(written(&SubmitError::FlowControl { tries: 3 }));
        assert!(written(&SubmitError::LinkLost {
            maybe_accepted: true
        }));
        assert!(!written(&SubmitError::LinkLost {
            maybe_accepted: false
        }));
        assert!(!written(&SubmitError::Closed));
        assert!(!written(&SubmitError::Invalid("x".into())));
    }
}
