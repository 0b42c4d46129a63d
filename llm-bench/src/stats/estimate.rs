//! Estimates of one sample: mean, median, p90 and p99 with their confidence intervals
//! (percentile bootstrap, or its large-sample equivalents from 1000 values, `LARGE_N`).

use serde::{Deserialize, Serialize};

use super::bootstrap::{percentile_interval, replicates, sub_seed, Method, Statistic};
use super::large::{mean_interval, quantile_interval};
use super::{finite_values, StatsConfig};

/// A confidence interval `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The lower bound.
    pub lower: f64,
    /// The upper bound (`≥ lower`).
    pub upper: f64,
}

impl Interval {
    /// True if `x` lies within the interval (bounds included).
    pub fn contains(&self, x: f64) -> bool {
        self.lower <= x && x <= self.upper
    }
}

/// A point estimate and, when the sample supports one, its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The statistic of the sample itself.
    pub point: f64,
    /// The interval at the configured confidence level (percentile bootstrap, or from
    /// 1000 values its large-sample equivalent, see [`crate::stats`]); `None` when the
    /// sample is too small for this statistic's interval to mean anything (see
    /// `n·min(p, 1 − p) ≥ 5`) or when `nresamples` is 0.
    pub interval: Option<Interval>,
}

/// Estimates of one metric over one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimates {
    /// Number of finite values the estimates are based on.
    pub n: usize,
    /// The arithmetic mean.
    pub mean: Estimate,
    /// The median (type-7 quantile at 0.5).
    pub median: Estimate,
    /// The 90th percentile.
    pub p90: Estimate,
    /// The 99th percentile.
    pub p99: Estimate,
}

/// Smallest sample for which the mean's and the median's intervals are given.
pub const MIN_N_CENTRAL: usize = 10;

/// The smallest sample size for which a bootstrap interval of the quantile at `p` (or of
/// the mean, `p = None`) is reported.
///
/// A percentile-bootstrap interval of a quantile is built from the order statistics around
/// it; with fewer than 5 values beyond the quantile (`n·min(p, 1−p) < 5`) the resamples can
/// only repeat the few largest values and the interval is an artefact of the sample's
/// extremes, not a statement about the population. Hence median: 10, p90: 50, p99: 500. The
/// mean gets the median's minimum (10): below that the bootstrap distribution of a mean of
/// skewed data is too discrete and too narrow.
pub fn min_samples_for_interval(p: Option<f64>) -> usize {
    match p {
        None => MIN_N_CENTRAL,
        Some(p) => {
            let tail = p.min(1.0 - p);
            if tail <= 0.0 {
                return usize::MAX;
            }
            // Round before the ceiling: 5 / (1 − 0.9) is 50.000000000000014 in f64.
            let need = (5.0 / tail * 1e6).round() / 1e6;
            (need.ceil() as usize).max(MIN_N_CENTRAL)
        }
    }
}

/// Mean, median, p90 and p99 of `values`, each with its confidence interval.
///
/// Non-finite values (NaN, ±∞) are dropped first and not counted in [`Estimates::n`].
/// Returns `None` when no finite value remains. Below 1000 values (`LARGE_N`) the intervals are
/// percentile-bootstrap intervals from `cfg.nresamples`, `cfg.confidence_level` and
/// `cfg.seed` (a separate sub-seed per statistic); from it they are the large-sample
/// intervals of the [module docs](super) (same answer, no resampling; `cfg.nresamples`
/// only switches them off at 0).
pub fn estimate(values: &[f64], cfg: &StatsConfig) -> Option<Estimates> {
    estimate_with(values, cfg, Method::BySize)
}

/// [`estimate()`] with the interval method given: [`Method::ResampleValues`] gives the
/// resampling bootstrap's intervals at any size.
pub(crate) fn estimate_with(
    values: &[f64],
    cfg: &StatsConfig,
    method: Method,
) -> Option<Estimates> {
    let mut values = finite_values(values);
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let one = |stat: Statistic, p: Option<f64>| Estimate {
        point: stat.of(&values),
        interval: interval(&values, stat, p, cfg, method),
    };
    Some(Estimates {
        n: values.len(),
        mean: one(Statistic::Mean, None),
        median: one(Statistic::Quantile(0.5), Some(0.5)),
        p90: one(Statistic::Quantile(0.9), Some(0.9)),
        p99: one(Statistic::Quantile(0.99), Some(0.99)),
    })
}

/// The interval of `stat` over non-empty finite ascending `sorted`, if the sample supports
/// one and intervals are enabled.
fn interval(
    sorted: &[f64],
    stat: Statistic,
    p: Option<f64>,
    cfg: &StatsConfig,
    method: Method,
) -> Option<Interval> {
    if sorted.len() < min_samples_for_interval(p) || !cfg.intervals_enabled() {
        return None;
    }
    if method.large(sorted.len()) {
        return Some(match stat {
            Statistic::Mean => mean_interval(sorted, cfg.confidence_level),
            Statistic::Quantile(p) => quantile_interval(sorted, p, cfg.confidence_level),
        });
    }
    let seed = sub_seed(cfg.seed, stat.tag());
    percentile_interval(
        replicates(sorted, stat, cfg.nresamples, seed),
        cfg.confidence_level,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_minimums() {
        assert_eq!(min_samples_for_interval(None), 10);
        assert_eq!(min_samples_for_interval(Some(0.5)), 10);
        assert_eq!(min_samples_for_interval(Some(0.9)), 50);
        assert_eq!(min_samples_for_interval(Some(0.99)), 500);
        assert_eq!(min_samples_for_interval(Some(0.999)), 5000);
        assert_eq!(min_samples_for_interval(Some(1.0)), usize::MAX);
    }

    #[test]
    fn small_samples_get_points_but_no_intervals() {
        let cfg = StatsConfig::default();
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        let e = estimate(&v, &cfg).expect("non-empty");
        assert_eq!(e.n, 20);
        assert!(e.mean.interval.is_some() && e.median.interval.is_some());
        assert!(e.p90.interval.is_none() && e.p99.interval.is_none());
        assert!((e.mean.point - 10.5).abs() < 1e-12);
        assert!((e.median.point - 10.5).abs() < 1e-12);
        assert!((e.p90.point - 18.1).abs() < 1e-9);
    }

    #[test]
    fn non_finite_values_are_dropped() {
        let cfg = StatsConfig::default();
        assert!(estimate(&[], &cfg).is_none());
        assert!(estimate(&[f64::NAN, f64::INFINITY], &cfg).is_none());
        let e = estimate(&[f64::NAN, 3.0, f64::NEG_INFINITY, 1.0, 2.0], &cfg).expect("3 finite");
        assert_eq!(e.n, 3);
        assert_eq!(e.median.point, 2.0);
    }
}
