//! [`Router`]: one [`Sender`] per carrier, each destination sent through its carrier's.

use std::time::Duration;

use sms_policy::{MobileNumber, NumberFormat, Routes};
use sms_records::Carrier;

use crate::sender::{OutgoingSms, SendReport, Sender};
use crate::SendError;

/// Sends each destination of a message through the sender of the carrier its number
/// belongs to (number ranges, with ported numbers overriding them).
///
/// A destination whose carrier has no sender goes to the default sender (the first added),
/// whose policy refuses it ("no route") so that it is still recorded.
pub struct Router {
    routes: Routes,
    format: NumberFormat,
    senders: Vec<(Carrier, Sender)>,
    /// Each carrier's calling number, where its contract gives the SP another one.
    calling: Vec<(Carrier, String)>,
}

/// What became of one message sent through a [`Router`]: one report per carrier used.
#[derive(Debug, Clone)]
pub struct RoutedReport {
    /// The reports, in the order the carriers were added.
    pub reports: Vec<(Carrier, SendReport)>,
}

impl RoutedReport {
    /// Every record of the message, carrier by carrier.
    pub fn records(&self) -> impl Iterator<Item = (Carrier, &crate::RecordOutcome)> {
        self.reports
            .iter()
            .flat_map(|(c, r)| r.records.iter().map(move |rec| (*c, rec)))
    }
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field(
                "carriers",
                &self.senders.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Router {
    /// A router over `routes`, reading destinations in `format`.
    pub fn new(routes: Routes, format: NumberFormat) -> Self {
        Router {
            routes,
            format,
            senders: Vec::new(),
            calling: Vec::new(),
        }
    }

    /// Sends `carrier`'s part of every message from `src` (the calling number its contract
    /// gives the SP) instead of the message's own.
    pub fn with_calling_number(mut self, carrier: Carrier, src: impl Into<String>) -> Self {
        self.calling.retain(|(c, _)| *c != carrier);
        self.calling.push((carrier, src.into()));
        self
    }

    /// Adds the sender of `carrier` (replacing an earlier one).
    pub fn with(mut self, carrier: Carrier, sender: Sender) -> Self {
        self.senders.retain(|(c, _)| *c != carrier);
        self.senders.push((carrier, sender));
        self
    }

    /// The carriers with a sender, in the order added.
    pub fn carriers(&self) -> Vec<Carrier> {
        self.senders.iter().map(|(c, _)| *c).collect()
    }

    /// The sender of `carrier`.
    pub fn sender(&self, carrier: Carrier) -> Option<&Sender> {
        self.senders
            .iter()
            .find(|(c, _)| *c == carrier)
            .map(|(_, s)| s)
    }

    /// The carrier `dest` is sent through: its route when that carrier has a sender, else
    /// the default sender's.
    pub fn carrier_for(&self, dest: &str) -> Option<Carrier> {
        let routed = MobileNumber::parse_with(dest, self.format)
            .ok()
            .and_then(|n| self.routes.route(n))
            .filter(|c| self.sender(*c).is_some());
        routed.or_else(|| self.senders.first().map(|(c, _)| *c))
    }

    /// Sends `sms`, each destination through its carrier's sender (concurrently); returns
    /// once every carrier's part is journaled.
    pub async fn send(&self, sms: OutgoingSms) -> Result<RoutedReport, SendError> {
        if sms.dests.is_empty() {
            return Err(SendError::NoDestination);
        }
        let mut parts: Vec<(Carrier, OutgoingSms)> = Vec::new();
        for dest in &sms.dests {
            let carrier = self.carrier_for(dest).ok_or(SendError::NoRoute)?;
            match parts.iter_mut().find(|(c, _)| *c == carrier) {
                Some((_, part)) => part.dests.push(dest.clone()),
                None => {
                    let src = self
                        .calling
                        .iter()
                        .find(|(c, _)| *c == carrier)
                        .map_or_else(|| sms.src.clone(), |(_, s)| s.clone());
                    parts.push((
                        carrier,
                        OutgoingSms {
                            dests: vec![dest.clone()],
                            src,
                            ..sms.clone()
                        },
                    ))
                }
            }
        }
        let sends = parts.into_iter().map(|(carrier, part)| async move {
            let sender = self.sender(carrier).ok_or(SendError::NoRoute)?;
            sender.send(part).await.map(|r| (carrier, r))
        });
        let mut reports = Vec::new();
        for r in futures::future::join_all(sends).await {
            reports.push(r?);
        }
        Ok(RoutedReport { reports })
    }

    /// Records accepted by any carrier that still wait for their status report.
    pub fn reports_outstanding(&self) -> u64 {
        self.senders
            .iter()
            .map(|(_, s)| s.reports_outstanding())
            .sum()
    }

    /// Waits until every carrier's accepted records have their reports, or `timeout`.
    /// Returns the number still outstanding.
    pub async fn wait_for_reports(&self, timeout: Duration) -> u64 {
        let waits = self
            .senders
            .iter()
            .map(|(_, s)| s.wait_for_reports(timeout));
        futures::future::join_all(waits).await.into_iter().sum()
    }

    /// Closes every carrier's sender.
    pub async fn close(&self, deadline: Duration) -> Result<(), SendError> {
        let closes = self.senders.iter().map(|(_, s)| s.close(deadline));
        let mut first_err = None;
        for r in futures::future::join_all(closes).await {
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}
