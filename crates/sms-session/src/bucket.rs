//! Token bucket rate limiter (clock-free).

use std::time::Duration;

use tokio::time::Instant;

/// Allows `rate` events per second with a burst of up to one second's worth.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u32,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket for `rate` events/s; `rate == 0` means unlimited.
    pub fn new(rate: u32, now: Instant) -> Self {
        TokenBucket {
            rate,
            tokens: f64::from(rate),
            last: now,
        }
    }

    /// The configured rate (0 = unlimited).
    pub fn rate(&self) -> u32 {
        self.rate
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        let cap = f64::from(self.rate);
        self.tokens = (self.tokens + elapsed * cap).min(cap);
    }

    /// Takes one token if available.
    pub fn try_take(&mut self, now: Instant) -> bool {
        if self.rate == 0 {
            return true;
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// When the next token will be available (`now` if one is available already).
    pub fn next_available(&mut self, now: Instant) -> Instant {
        if self.rate == 0 {
            return now;
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            now
        } else {
            let missing = 1.0 - self.tokens;
            now + Duration::from_secs_f64(missing / f64::from(self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_to_rate_and_refills() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, t0);
        let taken = (0..20).filter(|_| b.try_take(t0)).count();
        assert_eq!(taken, 10, "burst is one second's worth");
        assert!(!b.try_take(t0));
        let next = b.next_available(t0);
        assert_eq!(next - t0, Duration::from_millis(100));
        assert!(b.try_take(t0 + Duration::from_millis(100)));
        assert!(!b.try_take(t0 + Duration::from_millis(100)));
    }

    #[test]
    fn zero_rate_is_unlimited() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(0, t0);
        assert!((0..1000).all(|_| b.try_take(t0)));
        assert_eq!(b.next_available(t0), t0);
    }
}
