//! Wall-clock source for event and login timestamps (injectable for tests).

use std::sync::atomic::{AtomicI64, Ordering};

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

/// The timestamps of one client's logins (CMPP CONNECT, SMGP Login).
///
/// A login timestamp has one-second resolution, so the links of a pool (or a quick reconnect)
/// logging in within one second would send byte-identical logins, which a gateway guarding
/// against replays refuses. Each login takes `max(now, last + 1 s)` instead: a pool of N links
/// runs at most N seconds ahead, well inside any gateway's window.
#[derive(Debug, Default)]
pub struct LoginClock {
    /// Seconds since the epoch of the last stamp (0 before the first: any real time is later).
    last_second: AtomicI64,
}

impl LoginClock {
    /// The time to stamp the next login with.
    pub fn stamp(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let now_s = now.timestamp();
        let mut prev = self.last_second.load(Ordering::Acquire);
        loop {
            let next = now_s.max(prev.saturating_add(1));
            match self.last_second.compare_exchange_weak(
                prev,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) if next == now_s => return now,
                Ok(_) => return DateTime::from_timestamp(next, 0).unwrap_or(now),
                Err(p) => prev = p,
            }
        }
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

    #[test]
    fn logins_within_one_second_get_distinct_timestamps() {
        let clock = LoginClock::default();
        let t = Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap()
            + chrono::Duration::milliseconds(300);
        assert_eq!(clock.stamp(t), t);
        let next: Vec<i64> = (0..3).map(|_| clock.stamp(t).timestamp()).collect();
        assert_eq!(next, (1..=3).map(|k| t.timestamp() + k).collect::<Vec<_>>());
        let later = t + chrono::Duration::seconds(10);
        assert_eq!(clock.stamp(later), later);
    }
}
