//! Point statistics and the seeded percentile bootstrap.
//!
//! Quantiles use linear interpolation between order statistics (Hyndman–Fan type 7, the
//! default of numpy and R): `h = p·(n−1)`, `q = x₍⌊h⌋₎ + (h−⌊h⌋)·(x₍⌊h⌋+1₎ − x₍⌊h⌋₎)`. They are
//! computed on the sample sorted once; a bootstrap resample is a vector of counts over the
//! sorted values, scanned from the nearer end to the wanted order statistics (O(n) per
//! resample with small constants; no per-resample sort or selection).
//!
//! Every bootstrap distribution draws from its own xoshiro256++ generator, seeded by [`sub_seed`] from
//! the configured seed and a fixed tag per statistic and side, so adding a statistic never
//! changes another's interval, and the same seed always gives the same intervals.

use super::large::{rank_replicates, LARGE_N};
use super::Interval;
use crate::rng::splitmix64;

/// A statistic of one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Statistic {
    /// The arithmetic mean.
    Mean,
    /// The quantile at `p` in `[0, 1]` (0.5 is the median).
    Quantile(f64),
}

impl Statistic {
    /// A fixed tag for [`sub_seed`]; different for every statistic.
    pub(crate) fn tag(self) -> u64 {
        match self {
            Statistic::Mean => 0x6d65_616e,
            Statistic::Quantile(p) => 0x7175_0000_0000 ^ p.to_bits(),
        }
    }

    /// The statistic of non-empty, finite, ascending `sorted` values.
    pub(crate) fn of(self, sorted: &[f64]) -> f64 {
        match self {
            Statistic::Mean => mean(sorted),
            Statistic::Quantile(p) => quantile_sorted(sorted, p),
        }
    }
}

/// The seed of one bootstrap stream, derived from the configured seed and a tag.
pub(crate) fn sub_seed(seed: u64, tag: u64) -> u64 {
    splitmix64(seed ^ splitmix64(tag))
}

/// The mean of non-empty finite `values`, clamped to `[min, max]` against rounding.
pub(crate) fn mean(values: &[f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    let m = sum / values.len() as f64;
    let (lo, hi) = min_max(values);
    m.clamp(lo, hi)
}

/// The smallest and the largest of `values` (±∞ reversed when empty).
pub(crate) fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// The type-7 quantile at `p` of a sorted, non-empty slice: with `h = p·(n−1)`, the value
/// at 0-based rank `⌊h⌋` moved towards the one at `⌊h⌋+1` by `h−⌊h⌋` (numpy's and R's
/// default; the median of an even count is the mean of the two middle values). This is the
/// crate's one definition of a percentile (docs/statistics.md, "Definitions").
pub(crate) fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = (h.floor() as usize).min(n - 1);
    let frac = h - lo as f64;
    match sorted.get(lo + 1) {
        Some(&hi_v) if frac > 0.0 => {
            let lo_v = sorted[lo];
            (lo_v + frac * (hi_v - lo_v)).clamp(lo_v, hi_v)
        }
        _ => sorted[lo],
    }
}

/// The bootstrap's generator: xoshiro256++ seeded by SplitMix64 ([`crate::rng`]), written
/// out in this crate rather than taken from `rand` so that a stored seed reproduces the
/// same intervals in every future version (`rand` documents that `StdRng`'s algorithm may
/// change between releases) and because ChaCha12 (`StdRng`) made random-number generation
/// the bulk of the bootstrap's time.
pub(crate) use crate::rng::Rng as Xoshiro256pp;

/// Uniform indices in `0..n`: two per 64-bit draw by Lemire's multiply-shift on 32-bit
/// halves (bias below `n / 2³²`, i.e. < 1e-3 relative for a million values and far below
/// the bootstrap's Monte-Carlo error for the sample sizes of a benchmark); a 128-bit
/// multiply of a full draw beyond `u32::MAX` values.
struct Indices {
    rng: Xoshiro256pp,
    n: usize,
    spare: Option<u32>,
}

impl Indices {
    fn new(seed: u64, n: usize) -> Self {
        Indices {
            rng: Xoshiro256pp::new(seed),
            n,
            spare: None,
        }
    }

    #[inline]
    fn next(&mut self) -> usize {
        if self.n > u32::MAX as usize {
            return ((u128::from(self.rng.next_u64()) * self.n as u128) >> 64) as usize;
        }
        let bits = match self.spare.take() {
            Some(b) => b,
            None => {
                let r = self.rng.next_u64();
                self.spare = Some((r >> 32) as u32);
                r as u32
            }
        };
        ((u64::from(bits) * self.n as u64) >> 32) as usize
    }
}

/// `nresamples` bootstrap replicates of `stat` over non-empty finite `sorted` values
/// (ascending).
///
/// A resample is represented by how often it draws each sorted value (`counts`), so a
/// quantile of the resample is found by scanning the counts from the nearer end to its
/// order statistics: O(n) per resample with small constants, no selection and no sort.
pub(crate) fn replicates(
    sorted: &[f64],
    stat: Statistic,
    nresamples: usize,
    seed: u64,
) -> Vec<f64> {
    let n = sorted.len();
    let mut idx = Indices::new(seed, n);
    let mut out = Vec::with_capacity(nresamples);
    match stat {
        Statistic::Mean => {
            let (lo, hi) = (sorted[0], sorted[n - 1]);
            for _ in 0..nresamples {
                let sum: f64 = (0..n).map(|_| sorted[idx.next()]).sum();
                out.push((sum / n as f64).clamp(lo, hi));
            }
        }
        Statistic::Quantile(p) => {
            let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = (h.floor() as usize).min(n - 1);
            let frac = h - lo as f64;
            let mut counts = vec![0u32; n];
            for _ in 0..nresamples {
                counts.fill(0);
                for _ in 0..n {
                    counts[idx.next()] += 1;
                }
                let (a, b) = order_stats(&counts, lo);
                let (lo_v, hi_v) = (sorted[a], sorted[b]);
                out.push(if frac > 0.0 {
                    (lo_v + frac * (hi_v - lo_v)).clamp(lo_v, hi_v)
                } else {
                    lo_v
                });
            }
        }
    }
    out
}

/// How bootstrap intervals are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// By sample size: resampling the values below [`LARGE_N`], the large-sample methods of
    /// [`super::large`] from it (what [`super::estimate()`] and [`super::compare()`] use).
    BySize,
    /// Always resampling the values, at any size (the reference the large-sample methods
    /// are tested against).
    #[cfg(test)]
    ResampleValues,
    /// Always the large-sample methods, at any size (to measure where they agree).
    #[cfg(test)]
    LargeSample,
}

impl Method {
    /// True if a sample of `n` values gets the large-sample methods.
    pub(crate) fn large(self, n: usize) -> bool {
        match self {
            Method::BySize => n >= LARGE_N,
            #[cfg(test)]
            Method::ResampleValues => false,
            #[cfg(test)]
            Method::LargeSample => true,
        }
    }
}

/// `nresamples` bootstrap replicates of the quantile at `p` of non-empty finite ascending
/// `sorted`: by resampling the values ([`replicates`]) or, for a large sample, by drawing
/// each resample's order statistics directly ([`rank_replicates`]); both follow the same
/// distribution.
pub(crate) fn quantile_replicates(
    sorted: &[f64],
    p: f64,
    nresamples: usize,
    seed: u64,
    method: Method,
) -> Vec<f64> {
    if method.large(sorted.len()) {
        rank_replicates(sorted, p, nresamples, seed)
    } else {
        replicates(sorted, Statistic::Quantile(p), nresamples, seed)
    }
}

/// Indices (into the sorted values) of the resample's order statistics at ranks `k` and
/// `k + 1` (0-based; the second is clamped to the last rank), where `counts[i]` is how often
/// the resample holds sorted value `i`. Scans from whichever end is nearer.
fn order_stats(counts: &[u32], k: usize) -> (usize, usize) {
    let total: usize = counts.len(); // a resample has as many values as the sample
    let k1 = (k + 1).min(total - 1);
    if k < total / 2 {
        let mut seen = 0usize; // values below index i
        let mut first = None;
        for (i, &c) in counts.iter().enumerate() {
            seen += c as usize;
            if first.is_none() && seen > k {
                first = Some(i);
            }
            if seen > k1 {
                return (first.unwrap_or(i), i);
            }
        }
        (total - 1, total - 1)
    } else {
        // Ranks from the top: rank r from below is rank total−1−r from above.
        let (top_k, top_k1) = (total - 1 - k, total - 1 - k1);
        let mut seen = 0usize;
        let mut second = None;
        for (i, &c) in counts.iter().enumerate().rev() {
            seen += c as usize;
            if second.is_none() && seen > top_k1 {
                second = Some(i);
            }
            if seen > top_k {
                return (i, second.unwrap_or(i));
            }
        }
        (0, 0)
    }
}

/// The percentile interval at `confidence_level` of bootstrap replicates (reordered).
/// Non-finite replicates are dropped; `None` if fewer than half remain or none at all.
pub(crate) fn percentile_interval(mut reps: Vec<f64>, confidence_level: f64) -> Option<Interval> {
    let drawn = reps.len();
    reps.retain(|v| v.is_finite());
    if reps.is_empty() || reps.len() * 2 < drawn {
        return None;
    }
    reps.sort_unstable_by(f64::total_cmp);
    let alpha = (1.0 - confidence_level) / 2.0;
    Some(Interval {
        lower: quantile_sorted(&reps, alpha),
        upper: quantile_sorted(&reps, 1.0 - alpha),
    })
}

/// The mean of two whole numbers rounded half up, `⌈(a+b)/2⌉`, without overflow.
pub(crate) fn midpoint_half_up(a: u64, b: u64) -> u64 {
    let (lo, hi) = (a.min(b), a.max(b));
    lo + (hi - lo).div_ceil(2)
}

/// The median of whole numbers (nanoseconds), reordering `values` in place without
/// allocating: the middle value of an odd count, else the mean of the two middle values
/// rounded half up to a whole number ([`midpoint_half_up`]; the type-7 median
/// [`quantile_sorted`] gives, within half a unit). `None` when empty.
pub(crate) fn median_u64(values: &mut [u64]) -> Option<u64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (lower, upper, _) = values.select_nth_unstable(n / 2);
    let upper = *upper;
    if !n.is_multiple_of(2) {
        return Some(upper);
    }
    // After the selection the lower half holds the n/2 smallest values: its largest is the
    // other middle value.
    let below = lower.iter().copied().max().unwrap_or(upper);
    Some(midpoint_half_up(below, upper))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Even counts give the mean of the two middle values (numpy.median, R's median; values
    /// worked out by hand), rounded half up to whole units.
    #[test]
    fn integer_medians_average_the_two_middle_values() {
        assert_eq!(median_u64(&mut []), None);
        assert_eq!(median_u64(&mut [7]), Some(7));
        assert_eq!(median_u64(&mut [3, 1, 2]), Some(2));
        // numpy.median([1, 2, 3, 4]) = 2.5 -> 3
        assert_eq!(median_u64(&mut [4, 1, 3, 2]), Some(3));
        // numpy.median([10, 20]) = 15
        assert_eq!(median_u64(&mut [20, 10]), Some(15));
        // numpy.median([1, 1, 5, 5]) = 3
        assert_eq!(median_u64(&mut [5, 1, 5, 1]), Some(3));
        assert_eq!(median_u64(&mut [u64::MAX, u64::MAX - 1]), Some(u64::MAX));
        assert_eq!(midpoint_half_up(0, u64::MAX), 1 << 63);
        // Agrees with the type-7 median within half a unit.
        let mut v: Vec<u64> = vec![9, 2, 14, 3, 3, 8, 100, 41];
        let mut sorted: Vec<f64> = v.iter().map(|&x| x as f64).collect();
        sorted.sort_by(f64::total_cmp);
        let exact = quantile_sorted(&sorted, 0.5);
        assert_eq!(exact, 8.5);
        let m = median_u64(&mut v).expect("non-empty") as f64;
        assert!(m - exact == 0.5, "{m} vs {exact}");
    }

    #[test]
    fn type7_quantiles_of_even_counts_interpolate() {
        // Type 7 by hand (h = p·(n−1)), as numpy.percentile([1, 2, 3, 4], [50, 90, 99]):
        // 2.5, 3.7, 3.97.
        let sorted = [1.0, 2.0, 3.0, 4.0];
        for (p, q) in [(0.5, 2.5), (0.9, 3.7), (0.99, 3.97)] {
            assert!((quantile_sorted(&sorted, p) - q).abs() < 1e-12, "p={p}");
        }
    }

    #[test]
    fn type7_quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4, 10], [0, .25, .5, .9, .99, 1])
        let v = [10.0, 1.0, 4.0, 2.0, 3.0];
        let expect = [
            (0.0, 1.0),
            (0.25, 2.0),
            (0.5, 3.0),
            (0.9, 7.6),
            (0.99, 9.76),
            (1.0, 10.0),
        ];
        let mut sorted = v.to_vec();
        sorted.sort_by(f64::total_cmp);
        for (p, q) in expect {
            assert!((quantile_sorted(&sorted, p) - q).abs() < 1e-12, "p={p}");
        }
    }

    #[test]
    fn counted_resamples_find_the_right_order_statistics() {
        // Resample (as counts over 5 sorted values) = [0, 0, 1, 3, 3, 3, 4].
        let counts = [2, 0, 1, 3, 1];
        let expect = [(0, 0), (0, 2), (2, 3), (3, 3), (3, 3), (3, 4), (4, 4)];
        for (k, &e) in expect.iter().enumerate() {
            // The resample has 7 values but only 5 counts; pad to the resample's length.
            let mut padded = counts.to_vec();
            padded.extend([0, 0]);
            assert_eq!(order_stats(&padded, k), e, "k={k}");
        }
        // Bootstrap quantiles agree with sorting each resample (same draws, seed 7).
        let sorted: Vec<f64> = (0..37).map(|i| f64::from(i * i) / 7.0).collect();
        for p in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
            let reps = replicates(&sorted, Statistic::Quantile(p), 50, 7);
            let mut idx = Indices::new(7, sorted.len());
            for r in reps {
                let mut s: Vec<f64> = (0..sorted.len()).map(|_| sorted[idx.next()]).collect();
                s.sort_by(f64::total_cmp);
                assert_eq!(r, quantile_sorted(&s, p), "p={p}");
            }
        }
    }

    #[test]
    fn sub_seeds_differ_per_tag_and_are_stable() {
        let a = sub_seed(1, Statistic::Quantile(0.5).tag());
        let b = sub_seed(1, Statistic::Quantile(0.9).tag());
        let c = sub_seed(1, Statistic::Mean.tag());
        assert!(a != b && b != c && a != c);
        assert_eq!(a, sub_seed(1, Statistic::Quantile(0.5).tag()));
    }

    #[test]
    fn interval_drops_non_finite_replicates() {
        let reps = vec![1.0, 2.0, f64::INFINITY, 3.0];
        let iv = percentile_interval(reps, 0.5).expect("3 of 4 finite");
        assert!(iv.lower >= 1.0 && iv.upper <= 3.0 && iv.lower <= iv.upper);
        assert!(percentile_interval(vec![f64::NAN, f64::NAN, 1.0], 0.9).is_none());
    }
}
