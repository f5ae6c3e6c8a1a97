//! SMGP's client (China Telecom) as a [`Link`].
//!
//! A record's message id is its MsgID in hex (recipient k of a group send has the first
//! id plus k, as the digest says); a report is journaled with its `stat` text and its Err
//! code as `STAT:ERR` (e.g. `DELIVRD:000`), classed by the codec.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cmpp_codec::long::{AllocatorConfig, SharedReferences};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use smgp_codec::tlv::tag;
use smgp_codec::{MsgId, Submit, Text};
use smgp_session::{Client, ClientEvent, SubmitError};
use sms_session::Clock;
use tokio::sync::mpsc;

use super::synth;
use super::{
    Ack, GroupIds, IntoLink, Link, LinkError, LinkEvent, LinkEvents, LinkOutcome, Mo, Report,
    SubmitPlan,
};
use crate::lock;
use crate::mapping::smgp_class;

/// Most recipients of one SMGP Submit.
const MAX_RECIPIENTS: usize = 100;

/// An SMGP [`Client`] on the send path.
pub struct SmgpLink {
    client: Client,
    clock: Arc<dyn Clock>,
    references: SharedReferences,
    lifecycle: mpsc::UnboundedSender<LinkEvent>,
    lifecycle_rx: Mutex<Option<mpsc::UnboundedReceiver<LinkEvent>>>,
}

impl SmgpLink {
    /// Wraps `client` (whose event stream the send path takes over).
    pub fn new(client: Client) -> Self {
        let (lifecycle, rx) = mpsc::unbounded_channel();
        SmgpLink {
            clock: client.config().clock.clone(),
            client,
            references: SharedReferences::new(AllocatorConfig::default()),
            lifecycle,
            lifecycle_rx: Mutex::new(Some(rx)),
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl IntoLink for SmgpLink {
    fn into_link(self) -> Arc<dyn Link> {
        Arc::new(self)
    }
}

fn submit_of(plan: &SubmitPlan) -> Result<Submit, String> {
    let text = |v: &str, name: &str| -> Result<Text<21>, String> {
        Text::try_from(v).map_err(|e| format!("{name} '{v}': {e}"))
    };
    let seg = &plan.segment;
    let mut submit = Submit {
        need_report: plan.registered_delivery,
        service_id: Text::try_from(plan.service_id.as_str())
            .map_err(|e| format!("ServiceID '{}': {e}", plan.service_id))?,
        msg_format: u8::from(seg.msg_fmt),
        src_term_id: text(&plan.src, "SrcTermID")?,
        dest_term_ids: plan
            .dests
            .iter()
            .map(|d| text(d, "DestTermID"))
            .collect::<Result<_, _>>()?,
        msg_content: seg.content.clone().into(),
        ..Submit::default()
    };
    if seg.tp_udhi {
        submit.tlvs.set(tag::TP_UDHI, vec![1u8]);
        submit.tlvs.set(tag::PK_TOTAL, vec![seg.pk_total]);
        submit.tlvs.set(tag::PK_NUMBER, vec![seg.pk_number]);
    }
    Ok(submit)
}

fn written(e: &SubmitError) -> bool {
    match e {
        SubmitError::Closed | SubmitError::Encode(_) | SubmitError::ReceiveOnly => false,
        SubmitError::LinkLost { maybe_accepted } => *maybe_accepted,
        _ => true,
    }
}

/// The ids of the `n` recipients of a Submit answered with `first`.
fn group_ids(first: MsgId, n: usize) -> GroupIds {
    if n < 2 {
        return GroupIds::Shared(first.to_string());
    }
    GroupIds::Each(
        (0..n as u32)
            .map(|k| first.nth_recipient(k).unwrap_or(first).to_string())
            .collect(),
    )
}

fn event(ev: ClientEvent) -> Option<LinkEvent> {
    match ev {
        ClientEvent::Report {
            report,
            local_id,
            recipient,
            deliver,
            received_at,
            ack,
        } => {
            let err = report.err_code();
            Some(LinkEvent::Report(Report {
                msg_id: report.id.to_string(),
                stat: format!(
                    "{}:{}",
                    report.stat.to_string().trim_end(),
                    report.err.to_str_lossy()
                ),
                class: smgp_class(smgp_codec::report_cause_class(&report.stat, err)),
                dest: deliver.src_term_id.to_str_lossy().into_owned(),
                src_id: deliver.dest_term_id.to_str_lossy().into_owned(),
                submit_time: report.submit_date.to_str_lossy().into_owned(),
                local_id,
                dest_index: u16::try_from(recipient).ok(),
                received_at,
                ack: Ack::new(move || ack.accept()),
            }))
        }
        ClientEvent::Message {
            deliver,
            received_at,
            ack,
        } => Some(LinkEvent::Mo(Mo {
            msg_id: Some(deliver.msg_id.to_string()),
            from: deliver.src_term_id.to_str_lossy().into_owned(),
            to: deliver.dest_term_id.to_str_lossy().into_owned(),
            service_id: String::new(),
            link_id: deliver
                .tlvs
                .link_id()
                .map(|l| {
                    String::from_utf8_lossy(l)
                        .trim_end_matches('\0')
                        .to_string()
                })
                .unwrap_or_default(),
            coding: deliver.msg_format,
            content: synth::content(deliver.text(), &deliver.msg_content),
            received_at,
            ack: Ack::new(move || ack.accept()),
        })),
        // A report whose text cannot be read: logged, answered (it would only come again).
        ClientEvent::UnreadableReport { error, ack, .. } => {
            tracing::warn!(%error, "unreadable SMGP status report; answered and dropped");
            ack.accept();
            None
        }
        ClientEvent::LinkUp { connection } => Some(LinkEvent::LinkUp { connection }),
        ClientEvent::LinkDown { connection, reason } => Some(LinkEvent::LinkDown {
            connection,
            reason: reason.to_string(),
        }),
        // Lifecycle comes from the outcome (see `synth`); anything newer is not for records.
        _ => None,
    }
}

impl Link for SmgpLink {
    fn protocol(&self) -> &'static str {
        "SMGP"
    }

    fn max_destinations(&self) -> usize {
        MAX_RECIPIENTS
    }

    fn references(&self) -> &SharedReferences {
        &self.references
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    fn live_connections(&self) -> usize {
        self.client.live_connections()
    }

    fn take_events(&self) -> Option<LinkEvents> {
        let lifecycle = lock(&self.lifecycle_rx).take()?;
        let events = self.client.events()?;
        let events = events.filter_map(|ev| std::future::ready(event(ev)));
        Some(futures::stream::select(synth::stream(lifecycle), events).boxed())
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
            let handed_over = self.clock.now_utc();
            let n = plan.dests.len();
            let result = match self.client.submit(plan.local_id.as_str(), submit).await {
                Ok(o) => Ok(LinkOutcome {
                    ids: group_ids(o.msg_id, n),
                    result: o.status.0,
                    accepted: o.status.is_ok(),
                    class: smgp_class(o.status.cause_class()),
                    written_at: o.written_at,
                    responded_at: o.responded_at,
                }),
                Err(e) => Err(LinkError {
                    reason: e.to_string(),
                    written: written(&e),
                    maybe_accepted: e.maybe_accepted(),
                }),
            };
            synth::settle(
                &self.lifecycle,
                &plan.local_id,
                handed_over,
                &result,
                self.clock.now_utc(),
            );
            result
        }
        .boxed()
    }

    fn close(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        self.client.close(deadline).boxed()
    }
}
