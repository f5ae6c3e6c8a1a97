//! Wall-clock source for event and login timestamps (injectable for tests).

use chrono::{DateTime, Utc};

/// Supplies the current wall-clock time (UTC; convert to Beijing time where a protocol needs it).
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now_utc(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that follows tokio's (possibly paused) clock from a fixed starting point:
/// `base_utc + (tokio::time::Instant::now() - base_instant)`. Deterministic in tests.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    base_utc: DateTime<Utc>,
    base_instant: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `base_utc` now.
    pub fn starting_at(base_utc: DateTime<Utc>) -> Self {
        TokioClock {
            base_utc,
            base_instant: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_utc(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.base_instant);
        self.base_utc + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let base = Utc.with_ymd_and_hms(2024, 10, 21, 0, 0, 0).unwrap();
        let c = TokioClock::starting_at(base);
        assert_eq!(c.now_utc(), base);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(c.now_utc(), base + chrono::Duration::seconds(90));
    }
}
