//! Server counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the server's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Live logged-in connections.
    pub connections: u64,
    /// Successful logins.
    pub logins_ok: u64,
    /// Failed logins (any status ≠ 0, or no CONNECT in time).
    pub logins_failed: u64,
    /// SUBMITs received.
    pub submits: u64,
    /// SUBMIT_RESPs sent, by result code.
    pub submit_resp_by_result: BTreeMap<u32, u64>,
    /// DELIVER transmissions (first sends).
    pub delivers_sent: u64,
    /// DELIVER re-sends: after a response timeout (same Sequence_Id), or on a new
    /// connection after the one it was written on ended without a DELIVER_RESP.
    pub delivers_resent: u64,
    /// DELIVER_RESPs received for outstanding DELIVERs.
    pub delivers_acked: u64,
    /// DELIVERs given up after N unanswered transmissions.
    pub delivers_failed: u64,
    /// Connections closed because of malformed or unexpected input.
    pub protocol_errors: u64,
    /// SUBMITs refused by the gateway's own checks (malformed or invalid; not Result 8).
    pub submits_invalid: u64,
    /// DELIVERs written and awaiting DELIVER_RESP right now.
    pub delivers_in_flight: u64,
    /// DELIVERs waiting in the accounts' queues right now.
    pub delivers_queued: u64,
    /// DELIVERs refused because their account's queue was full.
    pub delivers_refused: u64,
    /// Connections closed before login because too many were waiting to log in.
    pub unauthenticated_refused: u64,
    /// Failed accept() calls (e.g. out of file descriptors).
    pub accept_errors: u64,
}

impl ServerStats {
    /// DELIVERs not settled yet: queued plus awaiting DELIVER_RESP.
    pub fn delivers_pending(&self) -> u64 {
        self.delivers_in_flight + self.delivers_queued
    }
}

const RESULTS: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct StatsCounters {
    pub(crate) connections: AtomicU64,
    pub(crate) logins_ok: AtomicU64,
    pub(crate) logins_failed: AtomicU64,
    pub(crate) submits: AtomicU64,
    resp_by_result: [AtomicU64; RESULTS],
    resp_other: AtomicU64,
    pub(crate) delivers_sent: AtomicU64,
    pub(crate) delivers_resent: AtomicU64,
    pub(crate) delivers_acked: AtomicU64,
    pub(crate) delivers_failed: AtomicU64,
    pub(crate) protocol_errors: AtomicU64,
    pub(crate) submits_invalid: AtomicU64,
    pub(crate) delivers_in_flight: AtomicU64,
    pub(crate) delivers_refused: AtomicU64,
    pub(crate) unauthenticated_refused: AtomicU64,
    pub(crate) accept_errors: AtomicU64,
}

pub(crate) fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl StatsCounters {
    pub(crate) fn count_result(&self, result: u32) {
        match self.resp_by_result.get(result as usize) {
            Some(c) => inc(c),
            None => inc(&self.resp_other),
        }
    }

    pub(crate) fn snapshot(&self, delivers_queued: u64) -> ServerStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut by = BTreeMap::new();
        for (i, c) in self.resp_by_result.iter().enumerate() {
            let v = get(c);
            if v > 0 {
                by.insert(i as u32, v);
            }
        }
        let other = get(&self.resp_other);
        if other > 0 {
            // Results outside 0..16 are rare; lump them under u32::MAX.
            by.insert(u32::MAX, other);
        }
        ServerStats {
            connections: get(&self.connections),
            logins_ok: get(&self.logins_ok),
            logins_failed: get(&self.logins_failed),
            submits: get(&self.submits),
            submit_resp_by_result: by,
            delivers_sent: get(&self.delivers_sent),
            delivers_resent: get(&self.delivers_resent),
            delivers_acked: get(&self.delivers_acked),
            delivers_failed: get(&self.delivers_failed),
            protocol_errors: get(&self.protocol_errors),
            submits_invalid: get(&self.submits_invalid),
            delivers_in_flight: get(&self.delivers_in_flight),
            delivers_queued,
            delivers_refused: get(&self.delivers_refused),
            unauthenticated_refused: get(&self.unauthenticated_refused),
            accept_errors: get(&self.accept_errors),
        }
    }
}
