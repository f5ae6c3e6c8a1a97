//! Running counts of what the send path has seen.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use sms_sla::LatencyHistogram;
/// Percentiles of one latency: the SLA engine's summary, one definition for the workspace.
pub use sms_sla::LatencySummary;

#[derive(Debug)]
pub(crate) struct Counters {
    pub(crate) records: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) submits: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) reports: AtomicU64,
    pub(crate) own_reports: AtomicU64,
    pub(crate) user_messages: AtomicU64,
    pub(crate) opt_outs: AtomicU64,
    pub(crate) journal_errors: AtomicU64,
    pub(crate) results: Mutex<BTreeMap<u32, u64>>,
    pub(crate) stats: Mutex<BTreeMap<String, u64>>,
    pub(crate) response_latency: Mutex<LatencyHistogram>,
    pub(crate) report_latency: Mutex<LatencyHistogram>,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            records: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            submits: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            reports: AtomicU64::new(0),
            own_reports: AtomicU64::new(0),
            user_messages: AtomicU64::new(0),
            opt_outs: AtomicU64::new(0),
            journal_errors: AtomicU64::new(0),
            results: Mutex::new(BTreeMap::new()),
            stats: Mutex::new(BTreeMap::new()),
            response_latency: Mutex::new(LatencyHistogram::default()),
            report_latency: Mutex::new(LatencyHistogram::default()),
        }
    }

    pub(crate) fn bump(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> SenderStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SenderStats {
            records: get(&self.records),
            refused: get(&self.refused),
            submits: get(&self.submits),
            accepted: get(&self.accepted),
            rejected: get(&self.rejected),
            failed: get(&self.failed),
            reports: get(&self.reports),
            own_reports: get(&self.own_reports),
            user_messages: get(&self.user_messages),
            opt_outs: get(&self.opt_outs),
            journal_errors: get(&self.journal_errors),
            results: crate::lock(&self.results).clone(),
            report_stats: crate::lock(&self.stats).clone(),
            response_latency: crate::lock(&self.response_latency).summary(),
            report_latency: crate::lock(&self.report_latency).summary(),
        }
    }
}

/// A snapshot of the send path's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SenderStats {
    /// Records handed over (one per destination and segment, refused ones included).
    pub records: u64,
    /// Records refused by the policy or never written.
    pub refused: u64,
    /// SUBMITs that got a final outcome.
    pub submits: u64,
    /// Records accepted by the gateway (result 0).
    pub accepted: u64,
    /// Records the gateway answered with a non-zero result.
    pub rejected: u64,
    /// Records that ended without a response (failed or maybe accepted).
    pub failed: u64,
    /// Status reports received (for any sender or run).
    pub reports: u64,
    /// Status reports matched to a record this sender submitted.
    pub own_reports: u64,
    /// User (mobile-originated) messages received.
    pub user_messages: u64,
    /// Numbers added to the opt-out list by unsubscribe replies.
    pub opt_outs: u64,
    /// Journal writes that failed (each is also logged).
    pub journal_errors: u64,
    /// Submit results by code, per record.
    pub results: BTreeMap<u32, u64>,
    /// Status reports by Stat.
    pub report_stats: BTreeMap<String, u64>,
    /// Submit written → response.
    pub response_latency: LatencySummary,
    /// Submit written → status report.
    pub report_latency: LatencySummary,
}
