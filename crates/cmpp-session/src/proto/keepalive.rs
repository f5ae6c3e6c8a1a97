//! Heartbeat (ACTIVE_TEST) timing for either side of a link (clock-free): probe after C
//! without traffic, re-probe every T, declare the link dead after N unanswered probes.

use std::time::Duration;

use tokio::time::Instant;

/// What the caller must do after [`Keepalive::handle_timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeepaliveAction {
    /// Nothing due.
    Idle,
    /// Send ACTIVE_TEST (the first probe gets a fresh Sequence_Id, re-probes reuse it).
    Probe {
        /// Transmission number, from 1.
        attempt: u32,
    },
    /// N probes went unanswered.
    Dead {
        /// Probes sent.
        tries: u32,
    },
}

/// Heartbeat state of one link.
#[derive(Debug, Clone)]
pub struct Keepalive {
    interval: Duration,
    timeout: Duration,
    max_tries: u32,
    last_rx: Instant,
    /// (transmissions, deadline of the latest) of an unanswered probe.
    probe: Option<(u32, Instant)>,
}

impl Keepalive {
    /// C = `interval`, T = `timeout`, N = `max_tries`; the link came up at `now`.
    pub fn new(interval: Duration, timeout: Duration, max_tries: u32, now: Instant) -> Self {
        Keepalive {
            interval,
            timeout,
            max_tries: max_tries.max(1),
            last_rx: now,
            probe: None,
        }
    }

    /// Anything received proves the link alive.
    pub fn on_receive(&mut self, now: Instant) {
        self.last_rx = self.last_rx.max(now);
        self.probe = None;
    }

    /// When the last packet arrived.
    pub fn last_rx(&self) -> Instant {
        self.last_rx
    }

    /// True while a probe is unanswered.
    pub fn probing(&self) -> bool {
        self.probe.is_some()
    }

    /// The next instant [`Self::handle_timeout`] has something to do.
    pub fn poll_timeout(&self) -> Instant {
        match self.probe {
            Some((_, deadline)) => deadline,
            None => self.last_rx + self.interval,
        }
    }

    /// Advances the timer.
    pub fn handle_timeout(&mut self, now: Instant) -> KeepaliveAction {
        match self.probe {
            Some((tries, deadline)) if now >= deadline => {
                if tries >= self.max_tries {
                    KeepaliveAction::Dead { tries }
                } else {
                    self.probe = Some((tries + 1, now + self.timeout));
                    KeepaliveAction::Probe { attempt: tries + 1 }
                }
            }
            None if now >= self.last_rx + self.interval => {
                self.probe = Some((1, now + self.timeout));
                KeepaliveAction::Probe { attempt: 1 }
            }
            _ => KeepaliveAction::Idle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_then_dies() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut k = Keepalive::new(s(180), s(60), 3, t0);
        assert_eq!(k.poll_timeout(), t0 + s(180));
        assert_eq!(k.handle_timeout(t0 + s(179)), KeepaliveAction::Idle);
        assert_eq!(
            k.handle_timeout(t0 + s(180)),
            KeepaliveAction::Probe { attempt: 1 }
        );
        assert_eq!(k.poll_timeout(), t0 + s(240));
        assert_eq!(
            k.handle_timeout(t0 + s(240)),
            KeepaliveAction::Probe { attempt: 2 }
        );
        assert_eq!(
            k.handle_timeout(t0 + s(300)),
            KeepaliveAction::Probe { attempt: 3 }
        );
        assert_eq!(
            k.handle_timeout(t0 + s(360)),
            KeepaliveAction::Dead { tries: 3 }
        );
    }

    #[test]
    fn traffic_resets() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut k = Keepalive::new(s(10), s(5), 2, t0);
        assert_eq!(
            k.handle_timeout(t0 + s(10)),
            KeepaliveAction::Probe { attempt: 1 }
        );
        k.on_receive(t0 + s(12));
        assert!(!k.probing());
        assert_eq!(k.poll_timeout(), t0 + s(22));
    }
}
