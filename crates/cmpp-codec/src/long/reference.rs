//! Concatenation reference allocation with a per-destination cooldown.

use crate::text::UdhRef;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Settings for a [`ReferenceAllocator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AllocatorConfig {
    /// 8-bit (256 references) or 16-bit (65 536 references).
    pub kind: UdhRef,
    /// A reference is not handed out again for the same destination within this time.
    pub cooldown: Duration,
    /// Most destinations tracked at once (at least 1 is used).
    pub max_destinations: usize,
}

impl Default for AllocatorConfig {
    fn default() -> Self {
        AllocatorConfig {
            kind: UdhRef::Bits8,
            cooldown: Duration::from_secs(600),
            max_destinations: 100_000,
        }
    }
}

impl AllocatorConfig {
    /// With 8- or 16-bit references.
    pub fn with_kind(mut self, kind: UdhRef) -> Self {
        self.kind = kind;
        self
    }

    /// With a reference not reused for one destination within `cooldown`.
    pub fn with_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// With at most `max` destinations tracked at once.
    pub fn with_max_destinations(mut self, max: usize) -> Self {
        self.max_destinations = max;
        self
    }
}

/// Errors from [`ReferenceAllocator::allocate`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AllocError {
    /// Every reference was used for this destination within the cooldown.
    #[error("all {space} references for destination {destination:?} are in cooldown")]
    Exhausted {
        /// The destination.
        destination: String,
        /// Size of the reference space.
        space: usize,
    },
    /// `max_destinations` destinations all hold references still in cooldown; forgetting
    /// one would let it see a live reference again.
    #[error("{max} destinations hold references in cooldown; no room for {destination:?}")]
    TooManyDestinations {
        /// The destination that was refused.
        destination: String,
        /// The configured cap.
        max: usize,
    },
}

#[derive(Debug, Default)]
struct DestState {
    /// References in cooldown, oldest first.
    recent: VecDeque<(u16, Instant)>,
    in_use: HashSet<u16>,
    last_used: Option<Instant>,
}

/// Hands out concatenation references so that a destination does not see the
/// same reference twice within the cooldown (its handset would otherwise merge
/// two different long messages).
///
/// Memory is bounded: a destination's entries are dropped once older than the
/// cooldown, and at most `max_destinations` destinations are tracked. When a new
/// destination arrives at the cap, destinations whose entries have all expired
/// are forgotten; if none has, the allocation fails with
/// [`AllocError::TooManyDestinations`] rather than hand out a live reference.
/// Each destination tracks at most the size of the reference space.
#[derive(Debug)]
pub struct ReferenceAllocator {
    config: AllocatorConfig,
    next: u32,
    dests: HashMap<String, DestState>,
}

impl ReferenceAllocator {
    /// An allocator starting at reference 0.
    pub fn new(config: AllocatorConfig) -> Self {
        Self::with_start(config, 0)
    }

    /// An allocator whose first candidate is `start` (so that restarted
    /// processes need not begin at the same value; reduced modulo the space).
    pub fn with_start(config: AllocatorConfig, start: u16) -> Self {
        let space = Self::space_of(config.kind);
        ReferenceAllocator {
            config,
            next: u32::from(start) % space,
            dests: HashMap::new(),
        }
    }

    fn space_of(kind: UdhRef) -> u32 {
        u32::from(kind.max_reference()) + 1
    }

    /// The configuration.
    pub fn config(&self) -> &AllocatorConfig {
        &self.config
    }

    /// Number of destinations currently tracked.
    pub fn tracked_destinations(&self) -> usize {
        self.dests.len()
    }

    /// A reference for `destination` not used for it within the cooldown.
    pub fn allocate(&mut self, destination: &str, now: Instant) -> Result<u16, AllocError> {
        let space = Self::space_of(self.config.kind);
        let cooldown = self.config.cooldown;
        if !self.dests.contains_key(destination) && !self.make_room(now) {
            return Err(AllocError::TooManyDestinations {
                destination: destination.to_owned(),
                max: self.config.max_destinations.max(1),
            });
        }
        let state = self.dests.entry(destination.to_owned()).or_default();
        purge(state, now, cooldown);
        if state.in_use.len() >= space as usize {
            return Err(AllocError::Exhausted {
                destination: destination.to_owned(),
                space: space as usize,
            });
        }
        // At most `in_use.len()` candidates are taken, so this finds one within
        // that many + 1 steps.
        let mut candidate = self.next;
        loop {
            let r = candidate as u16;
            candidate = (candidate + 1) % space;
            if !state.in_use.contains(&r) {
                state.in_use.insert(r);
                state.recent.push_back((r, now));
                state.last_used = Some(now);
                self.next = candidate;
                return Ok(r);
            }
        }
    }

    /// One reference free for every destination of a group SUBMIT (all of them receive the
    /// same UDH), recorded for each. Fails when none is free for all of them.
    pub fn allocate_common(
        &mut self,
        destinations: &[&str],
        now: Instant,
    ) -> Result<u16, AllocError> {
        let space = Self::space_of(self.config.kind);
        let cooldown = self.config.cooldown;
        for d in destinations {
            if !self.dests.contains_key(*d) && !self.make_room(now) {
                return Err(AllocError::TooManyDestinations {
                    destination: (*d).to_owned(),
                    max: self.config.max_destinations.max(1),
                });
            }
            purge(
                self.dests.entry((*d).to_owned()).or_default(),
                now,
                cooldown,
            );
        }
        let free = |r: u16, dests: &HashMap<String, DestState>| {
            destinations
                .iter()
                .all(|d| dests.get(*d).map_or(true, |s| !s.in_use.contains(&r)))
        };
        let Some(r) = (0..space)
            .map(|i| ((self.next + i) % space) as u16)
            .find(|&r| free(r, &self.dests))
        else {
            return Err(AllocError::Exhausted {
                destination: destinations.join(","),
                space: space as usize,
            });
        };
        for d in destinations {
            let state = self.dests.entry((*d).to_owned()).or_default();
            state.in_use.insert(r);
            state.recent.push_back((r, now));
            state.last_used = Some(now);
        }
        self.next = (u32::from(r) + 1) % space;
        Ok(r)
    }

    /// Drops every entry older than the cooldown and destinations left empty.
    pub fn prune(&mut self, now: Instant) {
        let cooldown = self.config.cooldown;
        self.dests.retain(|_, s| {
            purge(s, now, cooldown);
            !s.recent.is_empty()
        });
    }

    /// True when a new destination can be tracked (after forgetting expired ones).
    fn make_room(&mut self, now: Instant) -> bool {
        let cap = self.config.max_destinations.max(1);
        if self.dests.len() < cap {
            return true;
        }
        self.prune(now);
        self.dests.len() < cap
    }
}

/// One [`ReferenceAllocator`] shared by every sender of an account (cheap to clone):
/// two senders drawing from separate allocators could hand one destination the same
/// reference, and its handset would merge two different long messages.
#[derive(Debug, Clone)]
pub struct SharedReferences {
    inner: Arc<Mutex<ReferenceAllocator>>,
}

impl SharedReferences {
    /// A shared allocator with these settings, starting at reference 0.
    pub fn new(config: AllocatorConfig) -> Self {
        SharedReferences {
            inner: Arc::new(Mutex::new(ReferenceAllocator::new(config))),
        }
    }

    /// The settings.
    pub fn config(&self) -> AllocatorConfig {
        *self.lock().config()
    }

    /// See [`ReferenceAllocator::allocate`].
    pub fn allocate(&self, destination: &str, now: Instant) -> Result<u16, AllocError> {
        self.lock().allocate(destination, now)
    }

    /// See [`ReferenceAllocator::allocate_common`].
    pub fn allocate_common(&self, destinations: &[&str], now: Instant) -> Result<u16, AllocError> {
        self.lock().allocate_common(destinations, now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ReferenceAllocator> {
        // The allocator's state stays consistent even if a holder panicked.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn purge(state: &mut DestState, now: Instant, cooldown: Duration) {
    // An entry stamped later than `now` (a caller's clock going backwards)
    // counts as age zero and stays in cooldown.
    while let Some(&(r, t)) = state.recent.front() {
        if now.saturating_duration_since(t) >= cooldown {
            state.recent.pop_front();
            state.in_use.remove(&r);
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(kind: UdhRef, secs: u64, max: usize) -> AllocatorConfig {
        AllocatorConfig {
            kind,
            cooldown: Duration::from_secs(secs),
            max_destinations: max,
        }
    }

    #[test]
    fn no_reuse_within_cooldown_then_exhaustion() {
        let t0 = Instant::now();
        let mut a = ReferenceAllocator::new(cfg(UdhRef::Bits8, 60, 10));
        let mut seen = HashSet::new();
        for _ in 0..256 {
            assert!(seen.insert(a.allocate("13800000000", t0).unwrap()));
        }
        assert_eq!(
            a.allocate("13800000000", t0 + Duration::from_secs(59)),
            Err(AllocError::Exhausted {
                destination: "13800000000".into(),
                space: 256
            })
        );
        // Another destination is unaffected.
        assert!(a.allocate("13900000000", t0).is_ok());
        // After the cooldown the references come back.
        assert!(a
            .allocate("13800000000", t0 + Duration::from_secs(60))
            .is_ok());
    }

    #[test]
    fn skips_references_in_cooldown() {
        let t0 = Instant::now();
        let mut a = ReferenceAllocator::with_start(cfg(UdhRef::Bits8, 60, 10), 255);
        assert_eq!(a.allocate("x", t0).unwrap(), 255);
        assert_eq!(a.allocate("y", t0).unwrap(), 0);
        // Wrap around: the counter reaches 255 again; "x" still has it in cooldown.
        for _ in 0..254 {
            a.allocate("y", t0 + Duration::from_secs(1)).unwrap();
        }
        assert_eq!(a.allocate("x", t0 + Duration::from_secs(2)).unwrap(), 0);
    }

    #[test]
    fn sixteen_bit_space() {
        let t0 = Instant::now();
        let mut a = ReferenceAllocator::with_start(cfg(UdhRef::Bits16, 60, 10), 0xFFFF);
        assert_eq!(a.allocate("x", t0).unwrap(), 0xFFFF);
        assert_eq!(a.allocate("x", t0).unwrap(), 0);
    }

    #[test]
    fn destination_cap_forgets_expired_and_never_a_live_one() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut a = ReferenceAllocator::new(cfg(UdhRef::Bits8, 60, 2));
        a.allocate("a", t0).unwrap();
        a.allocate("b", t0 + s(30)).unwrap();
        // "a" expired at t0+60: it is forgotten, "b" kept.
        a.allocate("c", t0 + s(61)).unwrap();
        assert_eq!(a.tracked_destinations(), 2);
        // At t0+62 nobody has expired: "d" is refused, "b" keeps its guarantee.
        assert_eq!(
            a.allocate("d", t0 + s(62)),
            Err(AllocError::TooManyDestinations {
                destination: "d".into(),
                max: 2
            })
        );
        assert!(a.dests.contains_key("b") && a.dests.contains_key("c"));
        // Known destinations still get references.
        assert!(a.allocate("b", t0 + s(62)).is_ok());
        // Once "b" and "c" expire, "d" fits.
        assert!(a.allocate("d", t0 + s(200)).is_ok());
        a.prune(t0 + s(400));
        assert_eq!(a.tracked_destinations(), 0);
    }

    #[test]
    fn a_group_reference_is_free_for_every_destination() {
        let t0 = Instant::now();
        let mut a = ReferenceAllocator::new(cfg(UdhRef::Bits8, 60, 10));
        assert_eq!(a.allocate("x", t0).unwrap(), 0);
        assert_eq!(a.allocate("y", t0).unwrap(), 1);
        a.next = 0;
        // 0 is live for x, 1 for y: the group gets 2, recorded for both.
        assert_eq!(a.allocate_common(&["x", "y"], t0).unwrap(), 2);
        a.next = 2;
        assert_eq!(a.allocate("y", t0).unwrap(), 3);
        for _ in 4..256 {
            a.allocate("x", t0).unwrap();
        }
        // x now holds every reference but 1, which y holds.
        assert!(matches!(
            a.allocate_common(&["x", "y"], t0),
            Err(AllocError::Exhausted { .. })
        ));
    }

    #[test]
    fn shared_allocator_clones_draw_from_one_pool() {
        let t0 = Instant::now();
        let a = SharedReferences::new(cfg(UdhRef::Bits8, 60, 10));
        let b = a.clone();
        let mut seen = HashSet::new();
        for i in 0..256 {
            let from = if i % 2 == 0 { &a } else { &b };
            assert!(seen.insert(from.allocate("13800000000", t0).unwrap()));
        }
        assert!(matches!(
            b.allocate("13800000000", t0),
            Err(AllocError::Exhausted { .. })
        ));
    }
}
