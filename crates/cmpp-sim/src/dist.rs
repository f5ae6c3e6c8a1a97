//! Sampling from a seeded RNG: weighted choices and a piecewise delay distribution.
//!
//! Everything is integer math over `u64` draws so a seed gives the same samples on every
//! platform.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

use crate::profile::{DelayPoint, ProfileError};

/// Scale applied to fractional weights and quantiles (six decimal places).
const SCALE: f64 = 1_000_000.0;

/// A weighted choice among values of `T`, built from `(value, weight)` pairs.
#[derive(Debug, Clone)]
pub struct Weighted<T> {
    /// Cumulative integer weights, strictly increasing, paired with the value.
    table: Vec<(u64, T)>,
    total: u64,
}

impl<T: Clone> Weighted<T> {
    /// Builds the table; weights must be finite and ≥ 0, and at least one must be > 0.
    pub fn new(what: &'static str, items: &[(T, f64)]) -> Result<Self, ProfileError> {
        let mut table = Vec::with_capacity(items.len());
        let mut total: u64 = 0;
        for (value, weight) in items {
            if !weight.is_finite() || *weight < 0.0 || *weight > 1e9 {
                return Err(ProfileError::Invalid(format!(
                    "{what}: weight {weight} must be a number between 0 and 1e9"
                )));
            }
            let w = (weight * SCALE).round() as u64;
            if w == 0 {
                continue;
            }
            total += w;
            table.push((total, value.clone()));
        }
        if total == 0 {
            return Err(ProfileError::Invalid(format!(
                "{what}: at least one weight must be above 0"
            )));
        }
        Ok(Weighted { table, total })
    }

    /// Draws one value.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> T {
        let x = rng.gen_range(0..self.total);
        // First cumulative weight above x.
        let i = self.table.partition_point(|(c, _)| *c <= x);
        self.table[i.min(self.table.len() - 1)].1.clone()
    }

    /// Number of values with a weight above zero.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Never true: construction rejects empty tables.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// Report delay: a piecewise-linear inverse CDF through quantile points, in microseconds.
#[derive(Debug, Clone)]
pub struct DelayDist {
    /// `(quantile × 1e6, delay µs)`, quantiles from 0 to 1e6, delays non-decreasing.
    points: Vec<(u64, u64)>,
}

impl DelayDist {
    /// Validates the points: at least two, quantiles strictly increasing from 0.0 to 1.0,
    /// delays non-decreasing and at most one day.
    pub fn new(points: &[DelayPoint]) -> Result<Self, ProfileError> {
        let bad = |m: String| Err(ProfileError::Invalid(format!("report.delay: {m}")));
        if points.len() < 2 {
            return bad("needs at least two points (q = 0.0 and q = 1.0)".into());
        }
        let mut out: Vec<(u64, u64)> = Vec::with_capacity(points.len());
        for p in points {
            if !(0.0..=1.0).contains(&p.q) {
                return bad(format!("quantile {} is outside 0.0..=1.0", p.q));
            }
            if p.ms > 86_400_000 {
                return bad(format!("delay {} ms is above one day", p.ms));
            }
            let q = (p.q * SCALE).round() as u64;
            let us = p.ms * 1000;
            if let Some(&(pq, pus)) = out.last() {
                if q <= pq {
                    return bad(format!(
                        "quantiles must increase (got {} after a larger or equal one)",
                        p.q
                    ));
                }
                if us < pus {
                    return bad(format!(
                        "delays must not decrease ({} ms after a larger one)",
                        p.ms
                    ));
                }
            }
            out.push((q, us));
        }
        if out[0].0 != 0 || out[out.len() - 1].0 != SCALE as u64 {
            return bad("the first quantile must be 0.0 and the last 1.0".into());
        }
        Ok(DelayDist { points: out })
    }

    /// A fixed range `[lo, hi]` (uniform).
    pub fn uniform(lo: Duration, hi: Duration) -> Self {
        let lo = lo.as_micros() as u64;
        let hi = (hi.as_micros() as u64).max(lo);
        DelayDist {
            points: vec![(0, lo), (SCALE as u64, hi)],
        }
    }

    /// Draws one delay.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Duration {
        let u = rng.gen_range(0..=SCALE as u64);
        Duration::from_micros(self.at(u))
    }

    /// The delay at quantile `u` (scaled by 1e6), interpolated between the surrounding points.
    pub fn at(&self, u: u64) -> u64 {
        let i = self.points.partition_point(|(q, _)| *q < u);
        if i == 0 {
            return self.points[0].1;
        }
        let Some(&(q1, d1)) = self.points.get(i) else {
            return self.points[self.points.len() - 1].1;
        };
        let (q0, d0) = self.points[i - 1];
        // q1 > q0 by construction; u128 keeps the product exact.
        d0 + ((u128::from(d1 - d0) * u128::from(u - q0)) / u128::from(q1 - q0)) as u64
    }

    /// The largest delay this distribution can return.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.points[self.points.len() - 1].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn pts(p: &[(f64, u64)]) -> Vec<DelayPoint> {
        p.iter().map(|&(q, ms)| DelayPoint { q, ms }).collect()
    }

    #[test]
    fn weighted_follows_weights() {
        let w = Weighted::new("t", &[(0u32, 99.0), (8, 1.0), (5, 0.0)]).unwrap();
        assert_eq!(w.len(), 2, "zero weights are dropped");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 100_000;
        let eights = (0..n).filter(|_| w.sample(&mut rng) == 8).count();
        assert!((700..1300).contains(&eights), "got {eights} eights");
    }

    #[test]
    fn weighted_rejects_bad_weights() {
        assert!(Weighted::new("t", &[(0u32, 0.0)]).is_err());
        assert!(Weighted::new("t", &[(0u32, -1.0)]).is_err());
        assert!(Weighted::new("t", &[(0u32, f64::NAN)]).is_err());
        let e = Weighted::<u32>::new("submit.results", &[]).unwrap_err();
        assert!(e.to_string().contains("submit.results"));
    }

    #[test]
    fn delay_interpolates_quantiles() {
        let d = DelayDist::new(&pts(&[(0.0, 100), (0.5, 1000), (1.0, 9000)])).unwrap();
        assert_eq!(d.at(0), 100_000);
        assert_eq!(d.at(250_000), 550_000);
        assert_eq!(d.at(500_000), 1_000_000);
        assert_eq!(d.at(1_000_000), 9_000_000);
        assert_eq!(d.max(), Duration::from_secs(9));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let samples: Vec<_> = (0..10_000).map(|_| d.sample(&mut rng)).collect();
        let above_1s = samples
            .iter()
            .filter(|s| **s > Duration::from_secs(1))
            .count();
        assert!((4_500..5_500).contains(&above_1s), "{above_1s}");
        assert!(samples.iter().all(|s| *s >= Duration::from_millis(100)));
        assert!(
            samples.iter().any(|s| *s > Duration::from_secs(7)),
            "tail is reachable"
        );
    }

    #[test]
    fn delay_rejects_bad_points() {
        for bad in [
            pts(&[(0.0, 100)]),
            pts(&[(0.1, 100), (1.0, 200)]),
            pts(&[(0.0, 100), (0.9, 200)]),
            pts(&[(0.0, 300), (1.0, 200)]),
            pts(&[(0.0, 100), (0.5, 150), (0.5, 200), (1.0, 300)]),
            pts(&[(0.0, 100), (1.0, 100_000_000)]),
            pts(&[(-0.1, 100), (1.0, 200)]),
        ] {
            assert!(DelayDist::new(&bad).is_err(), "{bad:?}");
        }
    }
}
