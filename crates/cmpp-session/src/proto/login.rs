//! Gateway-side login defences (clock-free): the CONNECT timestamp window, a replay cache
//! of AuthenticatorSource values and throttling of failed logins per source address and
//! per SP id, with one log line per burst of failures.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use cmpp_codec::auth::BEIJING;
use tokio::time::Instant;

/// Settings of a [`LoginGuard`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginPolicy {
    /// Largest difference between a CONNECT Timestamp and the gateway's clock (both ways).
    pub timestamp_window: Duration,
    /// Refuse an AuthenticatorSource already used within the timestamp window.
    pub replay_cache: bool,
    /// An AuthenticatorSource may be used again this soon after its first use: two logins
    /// of one SP within the same second carry byte-identical CONNECTs. This crate's client
    /// stamps each login distinctly; the grace is for separate processes of one SP. A
    /// replay must come within it to get in (zero refuses every repeat).
    pub replay_grace: Duration,
    /// Failures from one address or SP id allowed before throttling starts.
    pub free_failures: u32,
    /// Cool-down after the first throttled failure; doubles per further failure.
    pub base_delay: Duration,
    /// Longest cool-down.
    pub max_delay: Duration,
    /// A failure record is forgotten after this long without failures (and a burst ends).
    pub forget_after: Duration,
    /// Most addresses / SP ids / authenticators tracked; the oldest is dropped above it.
    pub max_tracked: usize,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            timestamp_window: Duration::from_secs(15 * 60),
            replay_cache: true,
            replay_grace: Duration::from_secs(1),
            free_failures: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            forget_after: Duration::from_secs(60),
            max_tracked: 100_000,
        }
    }
}

/// Why a CONNECT is refused before its authenticator is checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginRefusal {
    /// The Timestamp is not a valid MMDDHHMMSS value.
    #[error("CONNECT Timestamp {0} is not a valid MMDDHHMMSS value")]
    BadTimestamp(u32),
    /// The Timestamp is further from the gateway's clock than the window.
    #[error("CONNECT Timestamp {timestamp} is {off_by_secs} s away from the gateway clock (window ±{window_secs} s)")]
    StaleTimestamp {
        /// The field value.
        timestamp: u32,
        /// Distance from the gateway clock, in seconds.
        off_by_secs: i64,
        /// The window, in seconds.
        window_secs: u64,
    },
    /// The same AuthenticatorSource was used for a login within the window.
    #[error("replayed CONNECT: this AuthenticatorSource was already used")]
    Replayed,
    /// Too many recent failures from this address or for this SP id.
    #[error("too many failed logins from {who}; retry in {retry_in:?}")]
    Throttled {
        /// "address a.b.c.d" or "SP xxxxxx".
        who: String,
        /// Remaining cool-down.
        retry_in: Duration,
    },
}

/// A burst of failed logins that has ended, for one log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureBurst {
    /// "address a.b.c.d" or "SP xxxxxx".
    pub who: String,
    /// Failures in the burst.
    pub count: u64,
    /// Failures not logged individually (all but the first).
    pub unlogged: u64,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    /// Failures since the burst began (for the log).
    burst: u64,
    last: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    Addr(IpAddr),
    Sp(String),
}

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Who::Addr(a) => write!(f, "address {a}"),
            Who::Sp(s) => write!(f, "SP '{s}'"),
        }
    }
}

/// Login defences of one gateway (shared by its connections).
#[derive(Debug)]
pub struct LoginGuard {
    policy: LoginPolicy,
    /// First use of each AuthenticatorSource.
    used: HashMap<[u8; 16], Instant>,
    used_order: VecDeque<([u8; 16], Instant)>,
    failures: HashMap<Who, Failures>,
}

impl LoginGuard {
    /// A guard with this policy.
    pub fn new(policy: LoginPolicy) -> Self {
        LoginGuard {
            policy,
            used: HashMap::new(),
            used_order: VecDeque::new(),
            failures: HashMap::new(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &LoginPolicy {
        &self.policy
    }

    /// Refuses an address or SP id still cooling down after failures.
    pub fn check_throttle(
        &self,
        addr: IpAddr,
        sp_id: &str,
        now: Instant,
    ) -> Result<(), LoginRefusal> {
        for who in [Who::Addr(addr), Who::Sp(sp_id.to_owned())] {
            if let Some(until) = self.failures.get(&who).and_then(|f| f.blocked_until) {
                if now < until {
                    return Err(LoginRefusal::Throttled {
                        retry_in: until - now,
                        who: who.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks the Timestamp against the gateway's wall clock `wall`.
    pub fn check_timestamp(&self, timestamp: u32, wall: DateTime<Utc>) -> Result<(), LoginRefusal> {
        let off = timestamp_offset(timestamp, wall).ok_or(LoginRefusal::BadTimestamp(timestamp))?;
        let window = self.policy.timestamp_window.as_secs();
        if off.unsigned_abs() > window {
            return Err(LoginRefusal::StaleTimestamp {
                timestamp,
                off_by_secs: off,
                window_secs: window,
            });
        }
        Ok(())
    }

    /// Refuses an AuthenticatorSource first used more than the grace ago (within the
    /// window); otherwise remembers it. Call only for a CONNECT whose authenticator
    /// verified, so that garbage cannot fill the cache.
    pub fn check_replay(
        &mut self,
        authenticator: &[u8; 16],
        now: Instant,
    ) -> Result<(), LoginRefusal> {
        if !self.policy.replay_cache {
            return Ok(());
        }
        self.expire_used(now);
        if let Some(&first) = self.used.get(authenticator) {
            if now.saturating_duration_since(first) > self.policy.replay_grace {
                return Err(LoginRefusal::Replayed);
            }
            return Ok(());
        }
        // A timestamp may be `window` old or ahead: keep the value for twice the window.
        let until = now + self.policy.timestamp_window * 2;
        self.used.insert(*authenticator, now);
        self.used_order.push_back((*authenticator, until));
        while self.used_order.len() > self.policy.max_tracked {
            if let Some((a, _)) = self.used_order.pop_front() {
                self.used.remove(&a);
            }
        }
        Ok(())
    }

    fn expire_used(&mut self, now: Instant) {
        while let Some(&(a, until)) = self.used_order.front() {
            if until > now {
                break;
            }
            self.used_order.pop_front();
            self.used.remove(&a);
        }
    }

    /// Records a failed login. Returns true when the failure should be logged on its own
    /// line (the first of a burst); the rest are summed up by [`Self::ended_bursts`].
    pub fn record_failure(&mut self, addr: IpAddr, sp_id: Option<&str>, now: Instant) -> bool {
        let mut first = false;
        let keys = std::iter::once(Who::Addr(addr)).chain(sp_id.map(|s| Who::Sp(s.to_owned())));
        for who in keys {
            let is_addr = matches!(who, Who::Addr(_));
            let p = &self.policy;
            let f = self.failures.entry(who).or_insert(Failures {
                count: 0,
                burst: 0,
                last: now,
                blocked_until: None,
            });
            if now.saturating_duration_since(f.last) >= p.forget_after && f.burst == 0 {
                f.count = 0;
            }
            f.count += 1;
            f.burst += 1;
            f.last = now;
            if is_addr && f.burst == 1 {
                first = true;
            }
            if f.count > p.free_failures {
                let shift = (f.count - p.free_failures - 1).min(20);
                let delay = p.base_delay.saturating_mul(1 << shift).min(p.max_delay);
                f.blocked_until = Some(now + delay);
            }
        }
        self.bound_failures();
        first
    }

    /// A successful login clears the address's and SP's failure record.
    pub fn record_success(&mut self, addr: IpAddr, sp_id: &str) {
        for who in [Who::Addr(addr), Who::Sp(sp_id.to_owned())] {
            if let Some(f) = self.failures.get_mut(&who) {
                f.count = 0;
                f.blocked_until = None;
            }
        }
    }

    fn bound_failures(&mut self) {
        if self.failures.len() <= self.policy.max_tracked {
            return;
        }
        // Rare (only under a wide attack): drop the records idle longest.
        let mut by_age: Vec<(Instant, Who)> = self
            .failures
            .iter()
            .map(|(w, f)| (f.last, w.clone()))
            .collect();
        by_age.sort_by_key(|(t, _)| *t);
        let excess = self.failures.len() - self.policy.max_tracked / 2;
        for (_, w) in by_age.into_iter().take(excess) {
            self.failures.remove(&w);
        }
    }

    /// Bursts of failures that ended (no failure for `forget_after`), each reported once;
    /// forgets records that are quiet and not blocked.
    pub fn ended_bursts(&mut self, now: Instant) -> Vec<FailureBurst> {
        let mut out = Vec::new();
        let forget = self.policy.forget_after;
        self.failures.retain(|who, f| {
            let quiet = now.saturating_duration_since(f.last) >= forget;
            if quiet && f.burst > 0 {
                if matches!(who, Who::Addr(_)) || f.burst > 1 {
                    out.push(FailureBurst {
                        who: who.to_string(),
                        count: f.burst,
                        unlogged: f.burst.saturating_sub(1),
                    });
                }
                f.burst = 0;
            }
            let blocked = f.blocked_until.is_some_and(|b| b > now);
            !quiet || blocked
        });
        out.sort_by(|a, b| a.who.cmp(&b.who));
        out
    }

    /// When [`Self::ended_bursts`] may next have something to report.
    pub fn next_burst_end(&self) -> Option<Instant> {
        self.failures
            .values()
            .filter(|f| f.burst > 0)
            .map(|f| f.last + self.policy.forget_after)
            .min()
    }
}

/// Seconds from the gateway clock to a CONNECT Timestamp (MMDDHHMMSS, Beijing time),
/// positive when the timestamp is ahead. The year is the one that puts the timestamp
/// closest to `wall` (a login at New Year's midnight may carry the other year's date).
/// `None` for an impossible value (month 13, 31 February, …).
pub fn timestamp_offset(timestamp: u32, wall: DateTime<Utc>) -> Option<i64> {
    let month = timestamp / 100_000_000;
    let day = timestamp / 1_000_000 % 100;
    let hour = timestamp / 10_000 % 100;
    let minute = timestamp / 100 % 100;
    let second = timestamp % 100;
    let local = wall.with_timezone(&BEIJING);
    let year = local.year();
    [year - 1, year, year + 1]
        .iter()
        .filter_map(|&y| {
            BEIJING
                .with_ymd_and_hms(y, month, day, hour, minute, second)
                .single()
        })
        .map(|t| (t.with_timezone(&Utc) - wall).num_seconds())
        .min_by_key(|d| d.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn wall() -> DateTime<Utc> {
        // 2026-12-04 10:00:00 Beijing.
        Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap()
    }

    #[test]
    fn timestamp_window_both_ways() {
        let g = LoginGuard::new(LoginPolicy::default());
        assert_eq!(g.check_timestamp(1204100000, wall()), Ok(()));
        assert_eq!(g.check_timestamp(1204101400, wall()), Ok(()));
        assert_eq!(g.check_timestamp(1204094600, wall()), Ok(()));
        let e = g.check_timestamp(1204101600, wall()).unwrap_err();
        assert!(
            matches!(
                e,
                LoginRefusal::StaleTimestamp {
                    off_by_secs: 960,
                    ..
                }
            ),
            "{e:?}"
        );
        // 30 days old, 300 days ahead.
        assert!(g.check_timestamp(1104100000, wall()).is_err());
        assert!(g.check_timestamp(930100000, wall()).is_err());
        assert_eq!(
            g.check_timestamp(1332100000, wall()),
            Err(LoginRefusal::BadTimestamp(1332100000))
        );
        assert!(g
            .check_timestamp(1204101600, wall())
            .unwrap_err()
            .to_string()
            .contains("960 s"));
    }

    #[test]
    fn timestamp_across_new_year() {
        // 31 Dec 23:59:30 Beijing, login stamped 1 Jan 00:00:10.
        let wall = Utc.with_ymd_and_hms(2026, 12, 31, 15, 59, 30).unwrap();
        assert_eq!(timestamp_offset(101000010, wall), Some(40));
        assert_eq!(timestamp_offset(1231235900, wall), Some(-30));
    }

    #[test]
    fn replay_refused_within_window_then_forgotten() {
        let t0 = Instant::now();
        let mut g = LoginGuard::new(LoginPolicy::default());
        let a = [7u8; 16];
        assert_eq!(g.check_replay(&a, t0), Ok(()));
        // A second link of the same SP in the same second: within the grace.
        assert_eq!(g.check_replay(&a, t0 + Duration::from_millis(300)), Ok(()));
        assert_eq!(
            g.check_replay(&a, t0 + Duration::from_secs(2)),
            Err(LoginRefusal::Replayed)
        );
        assert_eq!(g.check_replay(&[8u8; 16], t0), Ok(()));
        assert_eq!(g.check_replay(&a, t0 + Duration::from_secs(1801)), Ok(()));
    }

    #[test]
    fn replay_cache_is_bounded() {
        let t0 = Instant::now();
        let mut g = LoginGuard::new(LoginPolicy {
            max_tracked: 10,
            ..LoginPolicy::default()
        });
        for i in 0..100u8 {
            g.check_replay(&[i; 16], t0).unwrap();
        }
        assert_eq!(g.used.len(), 10);
        assert_eq!(g.used_order.len(), 10);
    }

    #[test]
    fn failures_throttle_with_growing_delay_and_cool_down() {
        let t0 = Instant::now();
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let mut g = LoginGuard::new(LoginPolicy::default());
        let mut logged = 0;
        for i in 0..3 {
            assert_eq!(g.check_throttle(ip, "900001", t0), Ok(()), "failure {i}");
            logged += u32::from(g.record_failure(ip, Some("900001"), t0));
        }
        assert_eq!(g.check_throttle(ip, "900001", t0), Ok(()));
        g.record_failure(ip, Some("900001"), t0);
        let Err(LoginRefusal::Throttled { retry_in, .. }) = g.check_throttle(ip, "900001", t0)
        else {
            panic!("4th failure must throttle");
        };
        assert_eq!(retry_in, Duration::from_secs(1));
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(g.check_throttle(ip, "900001", t1), Ok(()));
        g.record_failure(ip, Some("900001"), t1);
        let Err(LoginRefusal::Throttled { retry_in, .. }) = g.check_throttle(ip, "900001", t1)
        else {
            panic!("5th failure must throttle");
        };
        assert_eq!(retry_in, Duration::from_secs(2), "delay doubles");
        // Another address guessing the same SP is throttled through the SP record.
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        assert!(g.check_throttle(other, "900001", t1).is_err());
        assert_eq!(g.check_throttle(other, "900002", t1), Ok(()));
        // After the cool-down a correct login passes and clears the record.
        let t2 = t1 + Duration::from_secs(2);
        assert_eq!(g.check_throttle(ip, "900001", t2), Ok(()));
        g.record_success(ip, "900001");
        g.record_failure(ip, Some("900001"), t2);
        assert_eq!(g.check_throttle(ip, "900001", t2), Ok(()));
        assert_eq!(logged, 1, "one log line for the burst");
    }

    #[test]
    fn one_summary_per_burst() {
        let t0 = Instant::now();
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let mut g = LoginGuard::new(LoginPolicy {
            max_delay: Duration::from_secs(1),
            ..LoginPolicy::default()
        });
        let firsts = (0..200)
            .filter(|i| g.record_failure(ip, Some("900001"), t0 + Duration::from_millis(*i)))
            .count();
        assert_eq!(firsts, 1);
        assert!(g.ended_bursts(t0 + Duration::from_secs(10)).is_empty());
        let end = g.next_burst_end().unwrap();
        let bursts = g.ended_bursts(end);
        assert_eq!(bursts.len(), 2, "{bursts:?}");
        assert!(bursts.iter().all(|b| b.count == 200 && b.unlogged == 199));
        assert!(g.ended_bursts(end + Duration::from_secs(100)).is_empty());
        assert!(g.failures.is_empty(), "quiet records are forgotten");
    }
}
