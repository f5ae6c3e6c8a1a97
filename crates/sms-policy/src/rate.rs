//! Per-destination, per-category sending limits, kept across restarts.
//!
//! Windows slide: a limit "at most `max` in `window`" counts the sends in
//! `(now − window, now]`. Only the latest `max` sends of the largest limit are kept per
//! destination and category, and sends older than the longest window are pruned, so memory
//! is bounded by the number of destinations active within the longest window.

use crate::error::PolicyError;
use crate::number::MobileNumber;
use crate::numberset::SeededHash;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sms_records::Category;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Longest window a limit may have: bounds how long sends are remembered.
pub const MAX_WINDOW_DAYS: i64 = 31;
/// Largest `max` a limit may have: bounds the sends remembered per destination.
pub const MAX_COUNT: u32 = 10_000;

const CATEGORIES: usize = 5;

fn slot(c: Category) -> usize {
    match c {
        Category::Verification => 0,
        Category::Notice => 1,
        Category::Prompt => 2,
        Category::Other => 3,
        Category::Advertising => 4,
        // A category added later shares the catch-all slot until it gets its own.
        _ => 3,
    }
}

/// "At most `max` messages of `category` to one destination within `window`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Category the limit applies to.
    pub category: Category,
    /// Most messages allowed within the window (1..=[`MAX_COUNT`]).
    pub max: u32,
    /// Length of the sliding window (up to [`MAX_WINDOW_DAYS`] days).
    pub window: Duration,
}

impl RateLimit {
    /// A limit, checked against the bounds.
    pub fn new(category: Category, max: u32, window: Duration) -> Result<Self, String> {
        if max == 0 || max > MAX_COUNT {
            return Err(format!("max must be 1..={MAX_COUNT}, got {max}"));
        }
        if window <= Duration::zero() || window > Duration::days(MAX_WINDOW_DAYS) {
            return Err(format!(
                "window must be more than 0 and at most {MAX_WINDOW_DAYS} days"
            ));
        }
        Ok(RateLimit {
            category,
            max,
            window,
        })
    }
}

/// A limit that a destination has reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exceeded {
    /// The limit reached.
    pub limit: RateLimit,
    /// When the oldest counted send leaves the window, i.e. when one more is allowed.
    pub retry_at: DateTime<Utc>,
}

/// Counts sends per destination and category against [`RateLimit`]s.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limits: [Vec<RateLimit>; CATEGORIES],
    /// Per category: how many sends to keep (largest max) and for how long (longest window).
    keep: [(usize, i64); CATEGORIES],
    /// Send times in milliseconds since the epoch, ascending, per (number, category slot).
    sent: HashMap<(u64, u8), Vec<i64>, SeededHash>,
    path: Option<PathBuf>,
    prune_at: usize,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    entries: Vec<StateEntry>,
}

#[derive(Serialize, Deserialize)]
struct StateEntry {
    dest: String,
    category: Category,
    sent: Vec<DateTime<Utc>>,
}

const STATE_VERSION: u32 = 1;

impl RateLimiter {
    /// A limiter kept in memory only.
    pub fn new(limits: impl IntoIterator<Item = RateLimit>) -> Self {
        let mut by_cat: [Vec<RateLimit>; CATEGORIES] = Default::default();
        for l in limits {
            by_cat[slot(l.category)].push(l);
        }
        let keep = std::array::from_fn(|i| {
            let ls = &by_cat[i];
            let count = ls.iter().map(|l| l.max as usize).max().unwrap_or(0);
            let ms = ls
                .iter()
                .map(|l| l.window.num_milliseconds())
                .max()
                .unwrap_or(0);
            (count, ms)
        });
        RateLimiter {
            limits: by_cat,
            keep,
            sent: HashMap::with_hasher(SeededHash::random()),
            path: None,
            prune_at: 1024,
        }
    }

    /// A limiter whose counts are read from (if it exists) and saved to `path`.
    ///
    /// Sends of categories that no longer have a limit are dropped on load.
    pub fn load(
        path: impl AsRef<Path>,
        limits: impl IntoIterator<Item = RateLimit>,
    ) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let mut limiter = RateLimiter::new(limits);
        limiter.path = Some(path.to_path_buf());
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(limiter),
            Err(e) => return Err(PolicyError::io(path, e)),
        };
        let bad = |message: String| PolicyError::State {
            path: path.to_path_buf(),
            message,
        };
        let state: StateFile =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a rate state: {e}")))?;
        if state.version != STATE_VERSION {
            return Err(bad(format!(
                "version {} (this program reads {STATE_VERSION})",
                state.version
            )));
        }
        for e in state.entries {
            let n = MobileNumber::parse(&e.dest).map_err(|err| {
                bad(format!(
                    "destination `{}`: {err}",
                    crate::error::clip(&e.dest)
                ))
            })?;
            for t in e.sent {
                limiter.record(n, e.category, t);
            }
        }
        Ok(limiter)
    }

    /// The state file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The configured limits.
    pub fn limits(&self) -> impl Iterator<Item = &RateLimit> {
        self.limits.iter().flatten()
    }

    /// Whether one more message to `dest` of `category` at `now` stays within every limit.
    /// Does not count it: call [`RateLimiter::record`] once it is sent.
    #[inline]
    pub fn check(
        &self,
        dest: MobileNumber,
        category: Category,
        now: DateTime<Utc>,
    ) -> Result<(), Exceeded> {
        let s = slot(category);
        if self.limits[s].is_empty() {
            return Ok(());
        }
        let Some(times) = self.sent.get(&(dest.as_u64(), s as u8)) else {
            return Ok(());
        };
        let now_ms = now.timestamp_millis();
        for limit in &self.limits[s] {
            let from = now_ms - limit.window.num_milliseconds();
            // Times ascend: the counted ones are the tail after `from`.
            let first = times.partition_point(|t| *t <= from);
            let counted = times.len() - first;
            if counted >= limit.max as usize {
                let oldest = times[times.len() - limit.max as usize];
                let retry_at = DateTime::<Utc>::from_timestamp_millis(
                    oldest + limit.window.num_milliseconds(),
                )
                .unwrap_or(now);
                return Err(Exceeded {
                    limit: *limit,
                    retry_at,
                });
            }
        }
        Ok(())
    }

    /// Counts one message to `dest` of `category` sent at `at`.
    pub fn record(&mut self, dest: MobileNumber, category: Category, at: DateTime<Utc>) {
        let s = slot(category);
        let (keep, _) = self.keep[s];
        if keep == 0 {
            return;
        }
        let times = self.sent.entry((dest.as_u64(), s as u8)).or_default();
        let t = at.timestamp_millis();
        // Usually appended; an earlier time (clock step, replayed state) is inserted in order.
        let pos = times.partition_point(|x| *x <= t);
        times.insert(pos, t);
        if times.len() > keep {
            let extra = times.len() - keep;
            times.drain(..extra);
        }
        if self.sent.len() >= self.prune_at {
            self.prune(at);
            // Amortised: prune again only once the map has doubled since.
            self.prune_at = (self.sent.len() * 2).max(1024);
        }
    }

    /// Forgets sends older than their category's longest window before `now`.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let now_ms = now.timestamp_millis();
        let keep = self.keep;
        self.sent.retain(|(_, s), times| {
            let horizon = now_ms - keep[*s as usize].1;
            let first = times.partition_point(|t| *t <= horizon);
            times.drain(..first);
            !times.is_empty()
        });
    }

    /// Number of (destination, category) pairs currently tracked.
    pub fn tracked(&self) -> usize {
        self.sent.len()
    }

    /// Writes the counts to the state file atomically (temporary file, then rename).
    pub fn save(&self) -> Result<(), PolicyError> {
        let path = self.path.as_deref().ok_or(PolicyError::NoStateFile)?;
        self.save_to(path)
    }

    /// Writes the counts to `path` atomically (temporary file in the same folder, then rename).
    pub fn save_to(&self, path: &Path) -> Result<(), PolicyError> {
        let mut entries: Vec<StateEntry> = self
            .sent
            .iter()
            .filter_map(|((n, s), times)| {
                let dest = MobileNumber::from_u64(*n)?.to_string();
                let category = [
                    Category::Verification,
                    Category::Notice,
                    Category::Prompt,
                    Category::Other,
                    Category::Advertising,
                ][*s as usize];
                let sent = times
                    .iter()
                    .filter_map(|t| DateTime::<Utc>::from_timestamp_millis(*t))
                    .collect();
                Some(StateEntry {
                    dest,
                    category,
                    sent,
                })
            })
            .collect();
        // A stable order makes the file diffable and the save reproducible.
        entries.sort_by(|a, b| (&a.dest, a.category).cmp(&(&b.dest, b.category)));
        let state = StateFile {
            version: STATE_VERSION,
            entries,
        };
        let json = serde_json::to_vec(&state).map_err(|e| PolicyError::State {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        write_atomically(path, &json)
    }
}

/// Writes `bytes` to a temporary file next to `path`, syncs it, and renames it over `path`,
/// so a crash leaves either the old or the new file, never half of one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PolicyError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).map_err(|e| PolicyError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| PolicyError::io(&tmp, e))?;
    f.sync_all().map_err(|e| PolicyError::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| PolicyError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn n(s: &str) -> MobileNumber {
        MobileNumber::parse(s).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 11, 1, 1, 0, 0).unwrap()
    }

    fn verification_limits() -> Vec<RateLimit> {
        vec![
            RateLimit::new(Category::Verification, 5, Duration::hours(1)).unwrap(),
            RateLimit::new(Category::Verification, 10, Duration::days(1)).unwrap(),
        ]
    }

    #[test]
    fn hourly_and_daily_limits_slide() {
        let mut r = RateLimiter::new(verification_limits());
        let d = n("13800138000");
        for i in 0..5 {
            let at = t0() + Duration::minutes(i * 10);
            assert!(r.check(d, Category::Verification, at).is_ok());
            r.record(d, Category::Verification, at);
        }
        // Sixth within the hour: refused until the first leaves the window at 02:00.
        let ex = r
            .check(d, Category::Verification, t0() + Duration::minutes(50))
            .unwrap_err();
        assert_eq!(ex.limit.max, 5);
        assert_eq!(ex.retry_at, t0() + Duration::hours(1));
        // Other categories and other numbers are not affected.
        assert!(r.check(d, Category::Notice, t0()).is_ok());
        assert!(r
            .check(n("13800138001"), Category::Verification, t0())
            .is_ok());
        // Exactly one window later the first send no longer counts.
        assert!(r
            .check(d, Category::Verification, t0() + Duration::hours(1))
            .is_ok());
        for i in 0..5 {
            r.record(
                d,
                Category::Verification,
                t0() + Duration::hours(2) + Duration::minutes(i),
            );
        }
        // Ten in the day: the daily limit refuses even after the hourly window has passed.
        let ex = r
            .check(d, Category::Verification, t0() + Duration::hours(5))
            .unwrap_err();
        assert_eq!(ex.limit.max, 10);
        assert_eq!(ex.retry_at, t0() + Duration::days(1));
        assert!(r
            .check(d, Category::Verification, t0() + Duration::days(1))
            .is_ok());
    }

    #[test]
    fn limits_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rate.json");
        let d = n("13800138000");
        let mut r = RateLimiter::load(&path, verification_limits()).unwrap();
        assert_eq!(r.tracked(), 0);
        for i in 0..5 {
            r.record(d, Category::Verification, t0() + Duration::minutes(i));
        }
        r.save().unwrap();
        assert!(!dir.path().join(".rate.json.tmp").exists());
        let again = RateLimiter::load(&path, verification_limits()).unwrap();
        assert!(again
            .check(d, Category::Verification, t0() + Duration::minutes(30))
            .is_err());
        assert!(again
            .check(d, Category::Verification, t0() + Duration::minutes(61))
            .is_ok());
        // Without a limit for the category, the loaded sends are dropped.
        let none = RateLimiter::load(&path, []).unwrap();
        assert_eq!(none.tracked(), 0);
    }

    #[test]
    fn corrupt_state_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rate.json");
        std::fs::write(&path, "{not json").unwrap();
        let err = RateLimiter::load(&path, verification_limits()).unwrap_err();
        assert!(matches!(err, PolicyError::State { .. }), "{err}");
        std::fs::write(&path, r#"{"version":9,"entries":[]}"#).unwrap();
        let err = RateLimiter::load(&path, verification_limits()).unwrap_err();
        assert!(err.to_string().contains("version 9"), "{err}");
        std::fs::write(
            &path,
            r#"{"version":1,"entries":[{"dest":"123","category":"verification","sent":[]}]}"#,
        )
        .unwrap();
        let err = RateLimiter::load(&path, verification_limits()).unwrap_err();
        assert!(err.to_string().contains("destination `123`"), "{err}");
        assert!(matches!(
            RateLimiter::new(verification_limits()).save(),
            Err(PolicyError::NoStateFile)
        ));
    }

    #[test]
    fn memory_is_bounded_by_pruning_and_keep() {
        let mut r = RateLimiter::new(verification_limits());
        let d = n("13800138000");
        for i in 0..100 {
            r.record(d, Category::Verification, t0() + Duration::seconds(i));
        }
        assert_eq!(r.sent[&(d.as_u64(), 0)].len(), 10);
        // Many destinations over several days: old ones are pruned as new ones arrive.
        for day in 0..5i64 {
            for i in 0..2_000u64 {
                let dest =
                    MobileNumber::from_u64(13_900_000_000 + day as u64 * 10_000 + i).unwrap();
                r.record(dest, Category::Verification, t0() + Duration::days(day));
            }
        }
        assert!(r.tracked() <= 4_001, "{}", r.tracked());
        r.prune(t0() + Duration::days(10));
        assert_eq!(r.tracked(), 0);
        // Categories without limits are never tracked.
        r.record(d, Category::Notice, t0());
        assert_eq!(r.tracked(), 0);
    }

    #[test]
    fn limit_bounds() {
        assert!(RateLimit::new(Category::Notice, 0, Duration::hours(1)).is_err());
        assert!(RateLimit::new(Category::Notice, 1, Duration::zero()).is_err());
        assert!(RateLimit::new(Category::Notice, 1, Duration::days(32)).is_err());
        assert!(RateLimit::new(Category::Notice, MAX_COUNT + 1, Duration::hours(1)).is_err());
    }
}
