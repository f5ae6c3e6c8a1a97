//! SGIP's client (China Unicom) as a [`Link`].
//!
//! A record's message id is its Submit's 12-byte sequence number in hex (every recipient
//! of one Submit shares it; reports name it with the recipient's number). The report's
//! state is journaled as `STATE:ERRORCODE` (e.g. `0:000` delivered); the message id is the sequence number as `node-MMDDhhmmss-counter`, classed by the codec.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cmpp_codec::long::{AllocatorConfig, SharedReferences};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use sgip_codec::pdu::submit::{REPORT_ALWAYS, REPORT_NEVER};
use sgip_codec::{Submit, Text};
use sgip_session::{Client, ClientEvent, SubmitError};
use sms_session::Clock;
use tokio::sync::mpsc;

use super::synth::{self, Dests};
use super::{
    Ack, GroupIds, IntoLink, Link, LinkError, LinkEvent, LinkEvents, LinkOutcome, Mo, Report,
    SubmitPlan,
};
use crate::lock;
use crate::mapping::sgip_class;

/// Most recipients of one SGIP Submit.
const MAX_USERS: usize = 100;

/// An SGIP [`Client`] on the send path.
pub struct SgipLink {
    client: Client,
    corp_id: String,
    clock: Arc<dyn Clock>,
    references: SharedReferences,
    lifecycle: mpsc::UnboundedSender<LinkEvent>,
    lifecycle_rx: Mutex<Option<mpsc::UnboundedReceiver<LinkEvent>>>,
    dests: Arc<Mutex<Dests>>,
}

impl SgipLink {
    /// Wraps `client`; `corp_id` is the SP's CorpId (5 digits) put into every Submit.
    pub fn new(client: Client, corp_id: impl Into<String>) -> Self {
        let (lifecycle, rx) = mpsc::unbounded_channel();
        SgipLink {
            clock: client.config().clock.clone(),
            client,
            corp_id: corp_id.into(),
            references: SharedReferences::new(AllocatorConfig::default()),
            lifecycle,
            lifecycle_rx: Mutex::new(Some(rx)),
            dests: Arc::new(Mutex::new(Dests::default())),
        }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn submit_of(&self, plan: &SubmitPlan) -> Result<Submit, String> {
        let text = |v: &str, name: &str| -> Result<Text<21>, String> {
            Text::try_from(v).map_err(|e| format!("{name} '{v}': {e}"))
        };
        let seg = &plan.segment;
        Ok(Submit {
            sp_number: text(&plan.src, "SPNumber")?,
            user_numbers: plan
                .dests
                .iter()
                .map(|d| text(&sgip_codec::with_86(d), "UserNumber"))
                .collect::<Result<_, _>>()?,
            corp_id: Text::try_from(self.corp_id.as_str())
                .map_err(|e| format!("CorpId '{}': {e}", self.corp_id))?,
            service_type: Text::try_from(plan.service_id.as_str())
                .map_err(|e| format!("ServiceType '{}': {e}", plan.service_id))?,
            report_flag: if plan.registered_delivery == 1 {
                REPORT_ALWAYS
            } else {
                REPORT_NEVER
            },
            tp_udhi: seg.tp_udhi_byte(),
            message_coding: u8::from(seg.msg_fmt),
            message_content: seg.content.clone().into(),
            ..Submit::default()
        })
    }
}

impl IntoLink for SgipLink {
    fn into_link(self) -> Arc<dyn Link> {
        Arc::new(self)
    }
}

fn written(e: &SubmitError) -> bool {
    match e {
        SubmitError::Closed | SubmitError::Encode(_) | SubmitError::Invalid(_) => false,
        SubmitError::LinkLost { maybe_accepted } => *maybe_accepted,
        _ => true,
    }
}

fn event(ev: ClientEvent, dests: &Mutex<Dests>, clock: &dyn Clock) -> Option<LinkEvent> {
    let received_at = clock.now_utc();
    match ev {
        ClientEvent::Report {
            report,
            local_id,
            ack,
        } => {
            let dest = sgip_codec::without_86(&report.user_number.to_str_lossy()).to_string();
            let dest_index = local_id
                .as_deref()
                .and_then(|l| lock(dests).index(l, &dest));
            Some(LinkEvent::Report(Report {
                msg_id: report.submit_sequence.to_string(),
                stat: format!("{}:{:03}", report.state.to_u8(), report.error_code.0),
                class: sgip_class(report.cause_class()),
                dest,
                src_id: String::new(),
                submit_time: String::new(),
                local_id,
                dest_index,
                received_at,
                ack: Ack::new(move || ack.accept()),
            }))
        }
        ClientEvent::Message { deliver, ack } => Some(LinkEvent::Mo(Mo {
            msg_id: None,
            from: sgip_codec::without_86(&deliver.user_number.to_str_lossy()).to_string(),
            to: deliver.sp_number.to_str_lossy().into_owned(),
            service_id: String::new(),
            link_id: String::from_utf8_lossy(deliver.link_id())
                .trim_end_matches('\0')
                .to_string(),
            coding: deliver.message_coding,
            content: synth::content(deliver.text(), &deliver.message_content),
            received_at,
            ack: Ack::new(move || ack.accept()),
        })),
        // A subscriber's state change: nothing for the records; answered at once.
        other => {
            other.ack().accept();
            None
        }
    }
}

impl Link for SgipLink {
    fn protocol(&self) -> &'static str {
        "SGIP"
    }

    fn max_destinations(&self) -> usize {
        MAX_USERS
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
        let reports = self.client.events()?;
        let (dests, clock) = (self.dests.clone(), self.clock.clone());
        let reports = synth::stream_bounded(reports)
            .filter_map(move |ev| std::future::ready(event(ev, &dests, clock.as_ref())));
        Some(futures::stream::select(synth::stream(lifecycle), reports).boxed())
    }

    fn validate(&self, plan: &SubmitPlan) -> Result<(), String> {
        self.submit_of(plan).map(|_| ())
    }

    fn submit(&self, plan: SubmitPlan) -> BoxFuture<'_, Result<LinkOutcome, LinkError>> {
        async move {
            let submit = self.submit_of(&plan).map_err(|reason| LinkError {
                reason,
                written: false,
                maybe_accepted: false,
            })?;
            lock(&self.dests).insert(&plan.local_id, plan.dests.clone());
            let handed_over = self.clock.now_utc();
            let result = match self.client.submit(&plan.local_id, submit).await {
                Ok(o) => Ok(LinkOutcome {
                    ids: GroupIds::Shared(o.sequence.to_string()),
                    result: u32::from(o.result.0),
                    accepted: o.result.0 == 0,
                    class: sgip_class(o.result.cause_class()),
                    // SGIP's client reports no write time: the hand-over is the start, which
                    // only ever makes latencies look longer.
                    written_at: handed_over,
                    responded_at: self.clock.now_utc(),
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
