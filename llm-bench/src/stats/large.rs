//! Intervals of large samples without resampling `n` values.
//!
//! From [`LARGE_N`] values on, the resampling bootstrap (O(n) per resample, 10 000
//! resamples per statistic and side) is replaced by methods that give the same answer at a
//! cost of at most O(√n log n) (after the one sort every path needs):
//!
//! * **quantiles** ([`quantile_interval`]): the percentile-bootstrap interval computed
//!   exactly, which is an order-statistic interval. With resample indices `⌊n·Uᵢ⌋`, a
//!   resample's `k`-th smallest value is at most `x₍ⱼ₎` (0-based `j`) exactly when at least
//!   `k` of its `n` draws fall on the first `j + 1` values: `P(X*₍ₖ₎ ≤ x₍ⱼ₎) =
//!   P(Binomial(n, (j+1)/n) ≥ k)`. The bootstrap's `α/2` bound is the smallest `x₍ⱼ₎` where
//!   that reaches `α/2` (its `1 − α/2` bound likewise); type-7 interpolation between ranks
//!   `k` and `k + 1` is applied to the bounds of both. That is the limit the resampling
//!   bootstrap approaches as `nresamples` grows, found by a binary search over `j` with
//!   binomial tails summed over ±12 standard deviations (O(√n log n)). The classical
//!   distribution-free interval (ranks from `Binomial(n, p)`, exact coverage) was measured
//!   too and not taken: it lies within a rank or two of the bootstrap's, but in the sparse
//!   tail a rank or two is up to half the p99's interval at 2000 values (23% at 10 000),
//!   not "the same answer".
//! * **the mean** ([`mean_interval`]): `x̄ ± z·σ̂/√n` with `σ̂²` the plug-in variance
//!   (divisor `n`). The bootstrap distribution of the mean has exactly that mean and
//!   variance, and by the central limit theorem it is normal up to a skewness of
//!   `γ/√n` (γ the sample's skewness: about 1 for log-normal latencies with CV 30%, so 0.01
//!   at 10 000 values), which moves the percentile bounds by about `γ(z²−1)/(6√n)` standard
//!   errors.
//! * **a change's interval** ([`rank_replicates`]): still the percentile bootstrap of the
//!   ratio of independently resampled quantiles, but a resample's order statistics are
//!   drawn directly: with resample indices `⌊n·Uᵢ⌋` (`Uᵢ` uniform), its `k`-th smallest
//!   index is `⌊n·U₍ₖ₎⌋`, and the `k`-th smallest of `n` uniforms is `Beta(k, n−k+1)`; the
//!   next is `U₍ₖ₎ + (1 − U₍ₖ₎)·Beta(1, n−k)`. That is the resampling bootstrap's
//!   distribution exactly, at O(1) per resample instead of O(n): only the random stream
//!   differs, so the bounds differ by Monte-Carlo noise (≈ 1% of the width at 10 000
//!   resamples).
//!
//! Random numbers come from the same xoshiro256++ streams as the bootstrap; logarithms and
//! the like from `libm` (pure Rust), so a seed gives the same bounds on every platform.

use super::bootstrap::{mean, min_max, Xoshiro256pp};
use super::Interval;

/// Smallest sample (per side, for a comparison) for which the methods of this module
/// replace the resampling bootstrap; below it intervals are exactly those of earlier
/// versions. Chosen from measurement (`stats::tests_large::agreement_table`, 10 seeds,
/// log-normal σ 0.3, release build): from 1000 values every bound of every interval lies
/// within 4.4% of the width of the resampling bootstrap's (within 2.3% for all but the
/// p90), about the bootstrap's own Monte-Carlo noise; and the old way already costs about
/// 0.9 s for a whole 8-metric run with a baseline just below it (2.4 s at 2000).
pub(crate) const LARGE_N: usize = 1000;

/// The standard normal quantile `Φ⁻¹(p)` for `p` in (0, 1) (±∞ at 0 and 1, NaN outside).
///
/// Acklam's rational approximation (relative error 1.2e-9), refined by one Halley step on
/// `libm`'s `erfc`: close to full double precision.
pub(crate) fn normal_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return match p {
            0.0 => f64::NEG_INFINITY,
            1.0 => f64::INFINITY,
            _ => f64::NAN,
        };
    }
    let x = acklam(p);
    // Halley's step on Φ(x) − p.
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * libm::exp(x * x / 2.0);
    x - u / (1.0 + x * u / 2.0)
}

/// Acklam's approximation of `Φ⁻¹(p)`, `p` in (0, 1).
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let poly = |c: &[f64], x: f64| c.iter().fold(0.0, |acc, &k| acc * x + k);
    let tail = |q: f64| {
        let q = libm::sqrt(-2.0 * libm::log(q));
        poly(&C, q) / (poly(&D, q) * q + 1.0)
    };
    const P_LOW: f64 = 0.02425;
    if p < P_LOW {
        tail(p)
    } else if p > 1.0 - P_LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        poly(&A, r) * q / (poly(&B, r) * r + 1.0)
    }
}

/// The percentile-bootstrap interval of the type-7 quantile at `p` of non-empty ascending
/// `sorted`, computed exactly instead of by resampling (module docs): each bound is the
/// order statistic at which the binomial law of the resample's order statistic reaches
/// `α/2` or `1 − α/2`, interpolated as the quantile is.
pub(crate) fn quantile_interval(sorted: &[f64], p: f64, confidence_level: f64) -> Interval {
    let n = sorted.len();
    let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = (h.floor() as usize).min(n - 1);
    let frac = h - lo as f64;
    let alpha = ((1.0 - confidence_level) / 2.0).clamp(0.0, 0.5);
    let bound = |level: f64| {
        let a = sorted[bootstrap_rank(n, lo + 1, level)];
        if frac > 0.0 && lo + 1 < n {
            interpolate(a, sorted[bootstrap_rank(n, lo + 2, level)], frac)
        } else {
            a
        }
    };
    Interval {
        lower: bound(alpha),
        upper: bound(1.0 - alpha),
    }
}

/// `a + frac·(b − a)` within `[a, b]`; `a` when `b` is not above it.
fn interpolate(a: f64, b: f64, frac: f64) -> f64 {
    if b > a {
        (a + frac * (b - a)).clamp(a, b)
    } else {
        a
    }
}

/// The smallest 0-based index `j` at which the `k`-th smallest (1-based) of `n` draws with
/// replacement from `n` sorted values is at most the `j`-th value with probability ≥
/// `level`: `P(X*₍ₖ₎ ≤ x₍ⱼ₎) = P(Binomial(n, (j+1)/n) ≥ k)`, increasing in `j`.
fn bootstrap_rank(n: usize, k: usize, level: f64) -> usize {
    let (mut lo, mut hi) = (0, n - 1); // the answer lies in lo..=hi
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if binomial_at_least(n, (mid + 1) as f64 / n as f64, k) >= level {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// `P(B ≥ k)` for `B ~ Binomial(n, q)`: the sum of the smaller tail, over the counts within
/// [`binomial_window`] (what lies beyond is below 1e-25).
fn binomial_at_least(n: usize, q: f64, k: usize) -> f64 {
    if k == 0 || q >= 1.0 {
        return 1.0;
    }
    if k > n || q <= 0.0 {
        return 0.0;
    }
    let (from, to) = binomial_window(n, q);
    if k <= from {
        return 1.0;
    }
    if k > to {
        return 0.0;
    }
    if (k as f64) > n as f64 * q {
        binomial_sum(n, q, k, to)
    } else {
        1.0 - binomial_sum(n, q, from, k - 1)
    }
}

/// `Σ P(B = i)` for `i` in `from..=to`, `B ~ Binomial(n, q)`, `0 < q < 1`: the first term
/// from log-gamma, the others by the ratio of successive terms.
fn binomial_sum(n: usize, q: f64, from: usize, to: usize) -> f64 {
    let odds = q / (1.0 - q);
    let mut term = binomial_pmf(n, q, from);
    let mut sum = term;
    for i in from..to {
        term *= (n - i) as f64 / (i + 1) as f64 * odds;
        sum += term;
    }
    sum
}

/// 0-based ranks `(l, u)` of the classical distribution-free interval of the quantile at
/// `p` of `n ≥ 1` values: `l` the largest rank with `P(B ≤ l) ≤ α/2`, `u` the smallest with
/// `P(B ≤ u) ≥ 1 − α/2`, `B ~ Binomial(n, p)`, `α = 1 − confidence_level` (0 and `n − 1`
/// when no rank qualifies). Kept for the tests that measure how it compares with the
/// bootstrap: it is not what [`quantile_interval`] uses (docs/statistics.md).
#[cfg(test)]
pub(crate) fn binomial_ranks(n: usize, p: f64, confidence_level: f64) -> (usize, usize) {
    let alpha = (1.0 - confidence_level) / 2.0;
    let last = n.saturating_sub(1);
    if !(p > 0.0 && p < 1.0 && alpha > 0.0 && alpha < 0.5) || n == 0 {
        return (0, last);
    }
    let (from, to) = binomial_window(n, p);
    let mut cdf = 0.0;
    let (mut lower, mut upper) = (None, None);
    for k in from..=to {
        cdf += binomial_pmf(n, p, k);
        if cdf <= alpha {
            lower = Some(k);
        }
        if cdf >= 1.0 - alpha {
            upper = Some(k);
            break;
        }
    }
    (lower.unwrap_or(from), upper.unwrap_or(last).min(last))
}

/// The counts `from..=to` that hold all but a negligible part (< 1e-25) of
/// `Binomial(n, p)`: 12 standard deviations and 12 more counts either side of the mean.
fn binomial_window(n: usize, p: f64) -> (usize, usize) {
    let nf = n as f64;
    let mean = nf * p;
    let reach = 12.0 * libm::sqrt(nf * p * (1.0 - p)) + 12.0;
    let from = (mean - reach).floor().max(0.0) as usize;
    let to = ((mean + reach).ceil().min(nf) as usize).min(n);
    (from, to)
}

/// `P(B = k)` for `B ~ Binomial(n, p)`, `0 < p < 1`, from log-gamma (no cancellation, no
/// overflow for any `n`).
fn binomial_pmf(n: usize, p: f64, k: usize) -> f64 {
    let (nf, kf) = (n as f64, k as f64);
    let ln_choose = libm::lgamma(nf + 1.0) - libm::lgamma(kf + 1.0) - libm::lgamma(nf - kf + 1.0);
    libm::exp(ln_choose + kf * libm::log(p) + (nf - kf) * libm::log1p(-p))
}

/// The normal-theory interval `x̄ ± z·σ̂/√n` of the mean of non-empty finite `sorted`, with
/// the plug-in variance (as the bootstrap's), clamped to the sample's range (as every
/// resampled mean is).
pub(crate) fn mean_interval(sorted: &[f64], confidence_level: f64) -> Interval {
    let n = sorted.len() as f64;
    let m = mean(sorted);
    let var = sorted.iter().map(|&v| (v - m) * (v - m)).sum::<f64>() / n;
    let z = normal_quantile((1.0 + confidence_level) / 2.0);
    let half = z * libm::sqrt(var / n);
    let (lo, hi) = min_max(sorted);
    Interval {
        lower: (m - half).clamp(lo, hi),
        upper: (m + half).clamp(lo, hi),
    }
}

/// `nresamples` bootstrap replicates of the type-7 quantile at `p` of non-empty finite
/// ascending `sorted`, each drawn from the distribution of a resample's two order
/// statistics around it (module docs) in O(1): the same distribution as
/// [`super::bootstrap::replicates`], without drawing `n` values per resample.
pub(crate) fn rank_replicates(sorted: &[f64], p: f64, nresamples: usize, seed: u64) -> Vec<f64> {
    let n = sorted.len();
    let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = (h.floor() as usize).min(n - 1);
    let frac = h - lo as f64;
    let mut draws = Draws::new(seed);
    // Rank lo (0-based) is the (lo+1)-th smallest: Beta(lo + 1, n − lo).
    let (a, b) = ((lo + 1) as f64, (n - lo) as f64);
    let above = n - lo - 1; // draws above the lo-th
    (0..nresamples)
        .map(|_| {
            let u = draws.beta(a, b);
            let lo_v = sorted[index(n, u)];
            if frac > 0.0 && above > 0 {
                let next = u + (1.0 - u) * draws.min_of_uniforms(above);
                interpolate(lo_v, sorted[index(n, next)], frac)
            } else {
                lo_v
            }
        })
        .collect()
}

/// The resample index `⌊n·u⌋` of a uniform `u` in [0, 1], within `0..n`.
fn index(n: usize, u: f64) -> usize {
    ((u * n as f64) as usize).min(n - 1)
}

/// Uniform, normal, gamma and beta variates from one xoshiro256++ stream.
struct Draws {
    rng: Xoshiro256pp,
    spare_normal: Option<f64>,
}

impl Draws {
    fn new(seed: u64) -> Self {
        Draws {
            rng: Xoshiro256pp::new(seed),
            spare_normal: None,
        }
    }

    /// Uniform in (0, 1), never 0 or 1: 53 random bits, centred in their cell.
    fn uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller, both variates used).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let r = libm::sqrt(-2.0 * libm::log(self.uniform()));
        let t = 2.0 * std::f64::consts::PI * self.uniform();
        self.spare_normal = Some(r * libm::sin(t));
        r * libm::cos(t)
    }

    /// `Gamma(shape, 1)` for `shape ≥ 1` (Marsaglia & Tsang 2000; accepts > 95% of tries).
    fn gamma(&mut self, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / libm::sqrt(9.0 * d);
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform();
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2 || libm::log(u) < 0.5 * x2 + d * (1.0 - v + libm::log(v))
            {
                return d * v;
            }
        }
    }

    /// `Beta(a, b)` for `a, b ≥ 1`, as `X / (X + Y)` of independent gammas.
    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(b);
        x / (x + y)
    }

    /// The smallest of `m ≥ 1` uniforms, `Beta(1, m) = 1 − V^{1/m}`.
    fn min_of_uniforms(&mut self, m: usize) -> f64 {
        -libm::expm1(libm::log(self.uniform()) / m as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_reference_values() {
        // Python's statistics.NormalDist().inv_cdf (Wichura's AS241, ~1e-16).
        let table = [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_053_6),
            (0.995, 2.575_829_303_548_9),
            (0.95, 1.644_853_626_951_471_5),
            (0.01, -2.326_347_874_040_840_8),
            (1e-10, -6.361_340_902_404_056),
        ];
        for (p, z) in table {
            let got = normal_quantile(p);
            assert!(
                (got - z).abs() <= 1e-13 * z.abs().max(1.0),
                "Φ⁻¹({p}) = {got}"
            );
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert!(normal_quantile(1.5).is_nan());
    }

    #[test]
    fn binomial_ranks_match_exact_tails() {
        // n = 100, p = 0.5, 95%: P(B ≤ 39) = 0.0176 ≤ 0.025 < P(B ≤ 40) = 0.0284 and
        // P(B ≤ 59) = 0.9716 < 0.975 ≤ P(B ≤ 60) = 0.9824 (exact sums in rationals).
        assert_eq!(binomial_ranks(100, 0.5, 0.95), (39, 60));
        // n = 1000, p = 0.9: P(B ≤ 880) = 0.0220, P(B ≤ 881) = 0.0278; P(B ≤ 917) = 0.9701,
        // P(B ≤ 918) = 0.9769.
        assert_eq!(binomial_ranks(1000, 0.9, 0.95), (880, 918));
        // Too few values for any rank to qualify: the sample's range.
        assert_eq!(binomial_ranks(3, 0.5, 0.95), (0, 2));
        assert_eq!(binomial_ranks(0, 0.5, 0.95), (0, 0));
    }

    #[test]
    fn bootstrap_ranks_match_the_exact_resampling_law() {
        // P(X*(k) ≤ x(j)) = P(Binomial(n, (j+1)/n) ≥ k), by direct summation for n = 30.
        let n = 30usize;
        let at_least = |q: f64, k: usize| -> f64 {
            (k..=n)
                .map(|i| {
                    let c: f64 = (0..i).map(|t| (n - t) as f64 / (t + 1) as f64).product();
                    c * q.powi(i as i32) * (1.0 - q).powi((n - i) as i32)
                })
                .sum()
        };
        for k in [1, 5, 15, 27, 30] {
            for level in [0.025, 0.5, 0.975] {
                let j = bootstrap_rank(n, k, level);
                assert!(
                    at_least((j + 1) as f64 / n as f64, k) >= level - 1e-12,
                    "k={k}"
                );
                if j > 0 {
                    assert!(at_least(j as f64 / n as f64, k) < level, "k={k} j={j}");
                }
            }
        }
    }

    #[test]
    fn gamma_and_beta_have_their_moments() {
        let mut d = Draws::new(11);
        let n = 20_000;
        let g: Vec<f64> = (0..n).map(|_| d.gamma(3.0)).collect();
        let m = g.iter().sum::<f64>() / n as f64;
        let v = g.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!((m - 3.0).abs() < 0.05 && (v - 3.0).abs() < 0.15, "{m} {v}");
        let b: Vec<f64> = (0..n).map(|_| d.beta(500.0, 1500.0)).collect();
        let m = b.iter().sum::<f64>() / n as f64;
        assert!((m - 0.25).abs() < 1e-3, "{m}");
        let mins = (0..n).map(|_| d.min_of_uniforms(9)).sum::<f64>() / n as f64;
        assert!((mins - 0.1).abs() < 3e-3, "{mins}");
    }
}
