//! Exponential back-off with a cap and optional jitter (clock-free).

use std::time::Duration;

/// Exponential back-off: `initial × 2^k`, capped at `max`, with up to `jitter` (0.0–1.0) of
/// the delay removed at random so that many clients do not reconnect in lock-step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// First delay.
    pub initial: Duration,
    /// Largest delay.
    pub max: Duration,
    /// Fraction of the delay that is randomised (0.0 = none).
    pub jitter: f64,
    /// Most attempts; `None` = retry forever.
    pub max_attempts: Option<u32>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            jitter: 0.2,
            max_attempts: None,
        }
    }
}

impl Backoff {
    /// Delay before attempt `attempt` (1-based) without jitter, or `None` when attempts are
    /// exhausted.
    pub fn base_delay(&self, attempt: u32) -> Option<Duration> {
        if self.max_attempts.is_some_and(|m| attempt > m) {
            return None;
        }
        let shift = attempt.saturating_sub(1).min(30);
        let d = self.initial.saturating_mul(1u32 << shift);
        Some(d.min(self.max))
    }

    /// Delay before attempt `attempt` with jitter drawn from `unit` (a value in 0.0..1.0).
    pub fn delay(&self, attempt: u32, unit: f64) -> Option<Duration> {
        let d = self.base_delay(attempt)?;
        let j = self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        Some(d.mul_f64(1.0 - j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_stops() {
        let b = Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(5),
            jitter: 0.5,
            max_attempts: Some(4),
        };
        assert_eq!(b.base_delay(1), Some(Duration::from_secs(1)));
        assert_eq!(b.base_delay(2), Some(Duration::from_secs(2)));
        assert_eq!(b.base_delay(3), Some(Duration::from_secs(4)));
        assert_eq!(b.base_delay(4), Some(Duration::from_secs(5)));
        assert_eq!(b.base_delay(5), None);
        assert_eq!(b.delay(2, 1.0), Some(Duration::from_secs(1)));
        assert_eq!(b.delay(2, 0.0), Some(Duration::from_secs(2)));
    }
}
