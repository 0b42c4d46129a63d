//! A precomputed, seeded, absolute open-loop schedule: the offset from the run's start at
//! which each request is due.
//!
//! The schedule is made in two steps:
//!
//! 1. **Operational time.** `count` gaps with mean 1 are drawn from the arrival process
//!    (constant: every gap 1; Poisson: exponential; gamma of shape k: gamma(k, 1/k)), summed,
//!    and scaled so that the last request falls at exactly `count`. For Poisson arrivals this
//!    scaling is not an approximation: given that the n-th arrival of a unit-rate Poisson
//!    process is at time T, the first n − 1 arrivals are distributed as the order statistics
//!    of n − 1 uniform points on [0, T], and normalised exponential spacings are exactly such
//!    order statistics. The schedule is a Poisson process conditioned on offering exactly
//!    the target rate over the run (`count` requests by `count / rate`), so runs of the same
//!    length offer the same load whatever the seed. For gamma gaps the same scaling gives
//!    a Dirichlet(k, …, k) split of the run, which keeps each gap's shape.
//! 2. **Wall time.** Operational time τ maps to seconds through the inverse of the expected
//!    number of arrivals by time t, Λ(t) (time-rescaling). Without a ramp-up Λ(t) = rate·t.
//!    With a ramp-up of R seconds the rate rises linearly from 0 to `rate` over R, then stays:
//!    Λ(t) = rate·t²/(2R) for t < R and rate·(t − R/2) after, so the ramp holds rate·R/2
//!    requests and the last request comes R/2 later than without it.
//!
//! The first request is due at its first gap, not at 0 (a constant schedule at 200/s starts
//! at 5ms), so that every request, the first included, follows a gap of the process and the
//! `count`-th is due at exactly `count / rate` (plus R/2 with a ramp-up).
//!
//! The same arguments always give the same schedule: the only randomness is [`Rng`] seeded
//! with `seed`.

use std::time::Duration;

use crate::rng::Rng;
use crate::rules::load::Arrival;

/// Nanoseconds per second.
const NS_PER_S: f64 = 1e9;

/// The intended start of each of `count` requests, in nanoseconds from the run's start,
/// non-decreasing (two requests are due at the same nanosecond only when the rate makes
/// gaps shorter than that).
///
/// `rate` is the target in requests per second (finite and greater than zero, as
/// [`crate::rules::load::parse_rate`] guarantees; anything else panics). `ramp_up`, when
/// given and not zero, raises the rate linearly from 0 to `rate` over that time. Offsets
/// beyond `u64::MAX` nanoseconds (584 years) saturate.
pub(crate) fn arrivals(
    arrival: Arrival,
    rate: f64,
    count: usize,
    ramp_up: Option<Duration>,
    seed: u64,
) -> Vec<u64> {
    assert!(
        rate.is_finite() && rate > 0.0,
        "the rate must be finite and positive, not {rate}"
    );
    let clock = Clock::new(rate, ramp_up);
    let mut latest = 0;
    operational_times(arrival, count, seed)
        .into_iter()
        .map(|tau| {
            // Monotone in exact arithmetic; the running maximum keeps rounding from ever
            // putting a request before the one ahead of it.
            latest = clock.ns_at(tau).max(latest);
            latest
        })
        .collect()
}

/// The cumulative unit-mean gaps of `count` requests, scaled so that the last is exactly
/// `count`: each request's operational time.
fn operational_times(arrival: Arrival, count: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut total = 0.0;
    let mut times: Vec<f64> = (0..count)
        .map(|_| {
            total += unit_gap(&mut rng, arrival);
            total
        })
        .collect();
    normalise(&mut times, count as f64);
    times
}

/// One gap with mean 1 from the arrival process.
fn unit_gap(rng: &mut Rng, arrival: Arrival) -> f64 {
    match arrival {
        Arrival::Constant => 1.0,
        Arrival::Poisson => rng.exponential(1.0),
        Arrival::Gamma { shape } => rng.gamma(shape, 1.0 / shape),
    }
}

/// Scales ascending cumulative `times` so that the last is exactly `end`. If every gap
/// came out zero (a gamma shape so small that all draws underflow), all requests are due
/// together at `end`.
fn normalise(times: &mut [f64], end: f64) {
    let Some(&total) = times.last() else {
        return;
    };
    if !(total > 0.0 && total.is_finite()) {
        times.fill(end);
        return;
    }
    let scale = end / total;
    for t in times.iter_mut() {
        *t = (*t * scale).min(end);
    }
    if let Some(last) = times.last_mut() {
        *last = end;
    }
}

/// Maps operational time (expected arrivals so far) to wall time: the inverse of Λ(t).
#[derive(Debug, Clone, Copy)]
struct Clock {
    /// The target rate, requests per second.
    rate: f64,
    /// The ramp-up R in seconds; 0 for none.
    ramp_s: f64,
}

impl Clock {
    /// The clock of `rate` with an optional ramp-up (a zero ramp-up is none).
    fn new(rate: f64, ramp_up: Option<Duration>) -> Self {
        let ramp_s = ramp_up.map_or(0.0, |r| r.as_secs_f64());
        Clock { rate, ramp_s }
    }

    /// The seconds from the start at which Λ(t) = `tau`.
    fn seconds_at(self, tau: f64) -> f64 {
        let Clock { rate, ramp_s } = self;
        let in_ramp = rate * ramp_s / 2.0;
        if tau < in_ramp {
            // Λ(t) = rate·t²/(2R)  ⇒  t = √(2Rτ/rate).
            (2.0 * ramp_s * tau / rate).sqrt()
        } else {
            // Λ(t) = rate·(t − R/2)  ⇒  t = τ/rate + R/2 (R = 0 without a ramp-up).
            tau / rate + ramp_s / 2.0
        }
    }

    /// [`Clock::seconds_at`] in whole nanoseconds (rounded; saturating).
    fn ns_at(self, tau: f64) -> u64 {
        (self.seconds_at(tau) * NS_PER_S).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::ks::{exponential_fit, kolmogorov_q, ks_statistic};

    /// The gaps between consecutive arrivals in seconds, the first from the start.
    fn gaps_s(offsets: &[u64]) -> Vec<f64> {
        let mut previous = 0;
        offsets
            .iter()
            .map(|&t| {
                let gap = (t - previous) as f64 / NS_PER_S;
                previous = t;
                gap
            })
            .collect()
    }

    #[test]
    fn kolmogorov_distribution_matches_its_tables() {
        // The classic critical values: Q(1.2238) = 0.10, Q(1.3581) = 0.05, Q(1.6276) = 0.01.
        for (lambda, q) in [(1.2238, 0.10), (1.3581, 0.05), (1.6276, 0.01)] {
            assert!((kolmogorov_q(lambda) - q).abs() < 2e-4, "Q({lambda})");
        }
        assert_eq!(kolmogorov_q(0.1), 1.0);
        assert!(kolmogorov_q(5.0) < 1e-20);
        // D of a perfect uniform grid against U(0, 1) is 1/n (midpoints: 1/(2n)).
        let grid: Vec<f64> = (0..100).map(|i| (f64::from(i) + 0.5) / 100.0).collect();
        assert!((ks_statistic(&grid, |x| x) - 0.005).abs() < 1e-12);
    }

    #[test]
    fn poisson_gaps_fit_the_exponential() {
        let rate = 50.0;
        for seed in [1, 2, 3, 4, 5] {
            let gaps = gaps_s(&arrivals(Arrival::Poisson, rate, 2000, None, seed));
            let p = exponential_fit(&gaps, rate);
            assert!(p > 0.01, "seed {seed}: p = {p}");
        }
    }

    #[test]
    fn constant_and_bursty_gaps_do_not_fit_the_exponential() {
        let rate = 50.0;
        let constant = gaps_s(&arrivals(Arrival::Constant, rate, 2000, None, 1));
        assert!(exponential_fit(&constant, rate) < 1e-6);
        for seed in [1, 2, 3] {
            let bursty = arrivals(Arrival::Gamma { shape: 0.3 }, rate, 2000, None, seed);
            let p = exponential_fit(&gaps_s(&bursty), rate);
            assert!(p < 1e-6, "seed {seed}: p = {p}");
        }
    }

    #[test]
    fn constant_gaps_are_exactly_one_over_the_rate() {
        let offsets = arrivals(Arrival::Constant, 200.0, 1000, None, 9);
        let want: Vec<u64> = (1..=1000).map(|i| i * 5_000_000).collect();
        assert_eq!(offsets, want);
    }

    #[test]
    fn every_schedule_offers_exactly_the_target_rate() {
        let processes = [
            Arrival::Constant,
            Arrival::Poisson,
            Arrival::Gamma { shape: 0.3 },
            Arrival::Gamma { shape: 4.0 },
        ];
        for arrival in processes {
            for (rate, count) in [(200.0, 1000), (0.5, 30), (3.0, 1000), (12_345.6, 5000)] {
                let offsets = arrivals(arrival, rate, count, None, 11);
                assert_eq!(offsets.len(), count);
                assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{arrival}");
                let last = *offsets.last().unwrap();
                assert_eq!(last, (count as f64 / rate * NS_PER_S).round() as u64);
                let achieved = count as f64 / (last as f64 / NS_PER_S);
                assert!(
                    (achieved / rate - 1.0).abs() < 1e-9,
                    "{arrival} at {rate}/s"
                );
            }
        }
    }

    #[test]
    fn gamma_shape_sets_the_burstiness() {
        // The squared coefficient of variation of gamma gaps is 1/shape.
        for (shape, seed) in [(0.5, 21), (1.0, 22), (2.0, 23), (8.0, 24)] {
            let gaps = gaps_s(&arrivals(
                Arrival::Gamma { shape },
                10.0,
                20_000,
                None,
                seed,
            ));
            let n = gaps.len() as f64;
            let mean = gaps.iter().sum::<f64>() / n;
            let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n;
            let cv2 = var / (mean * mean);
            assert!((cv2 * shape - 1.0).abs() < 0.06, "shape {shape}: CV² {cv2}");
        }
    }

    #[test]
    fn ramp_up_rises_linearly() {
        // 100/s with a 10s ramp: the ramp holds 100·10/2 = 500 requests, its first half 1/4.
        let ramp = Some(Duration::from_secs(10));
        let constant = arrivals(Arrival::Constant, 100.0, 2000, ramp, 1);
        let by =
            |offsets: &[u64], s: u64| offsets.iter().filter(|&&t| t <= s * 1_000_000_000).count();
        assert_eq!(by(&constant, 5), 125);
        assert_eq!(by(&constant, 10), 500);
        // After the ramp: exactly the rate, and the run ends R/2 later than without a ramp.
        assert!(constant[500..]
            .windows(2)
            .all(|w| w[1] - w[0] == 10_000_000));
        assert_eq!(*constant.last().unwrap(), 25_000_000_000);
        // Poisson: about a quarter of the ramp's 5000 requests in its first half (sd ≈ 31).
        let poisson = arrivals(Arrival::Poisson, 1000.0, 20_000, ramp, 3);
        let (half, ramp_total) = (by(&poisson, 5), by(&poisson, 10));
        assert!((ramp_total as f64 - 5000.0).abs() < 250.0, "{ramp_total}");
        let share = half as f64 / ramp_total as f64;
        assert!((share - 0.25).abs() < 0.02, "{half} of {ramp_total}");
    }

    #[test]
    fn a_zero_ramp_up_is_none() {
        let plain = arrivals(Arrival::Poisson, 20.0, 100, None, 5);
        assert_eq!(
            arrivals(Arrival::Poisson, 20.0, 100, Some(Duration::ZERO), 5),
            plain
        );
    }

    #[test]
    fn the_seed_decides_the_schedule() {
        let a = arrivals(Arrival::Poisson, 20.0, 500, None, 42);
        assert_eq!(a, arrivals(Arrival::Poisson, 20.0, 500, None, 42));
        assert_ne!(a, arrivals(Arrival::Poisson, 20.0, 500, None, 43));
        let g = arrivals(Arrival::Gamma { shape: 0.5 }, 20.0, 500, None, 42);
        assert_ne!(a, g);
        assert_eq!(
            g,
            arrivals(Arrival::Gamma { shape: 0.5 }, 20.0, 500, None, 42)
        );
    }

    #[test]
    fn edge_cases() {
        assert!(arrivals(Arrival::Poisson, 10.0, 0, None, 1).is_empty());
        assert_eq!(arrivals(Arrival::Poisson, 10.0, 1, None, 1), [100_000_000]);
        // A shape so small that every gap underflows: everyone at the end, together.
        let burst = arrivals(Arrival::Gamma { shape: 1e-300 }, 10.0, 5, None, 1);
        assert_eq!(burst, [500_000_000; 5]);
    }

    #[test]
    fn a_million_arrivals() {
        let offsets = arrivals(Arrival::Gamma { shape: 0.5 }, 1000.0, 1_000_000, None, 8);
        assert_eq!(offsets.len(), 1_000_000);
        assert!(offsets.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*offsets.last().unwrap(), 1_000_000_000_000);
    }
}
