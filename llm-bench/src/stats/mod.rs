//! Statistics: estimates with bootstrap intervals, and comparisons with a baseline.
//!
//! Pure functions over `&[f64]` (one value per successful request, for one metric); the
//! harness picks the values ([`crate::metrics::Metric::of`]), this module never sees a
//! request. Everything here is deterministic for a given [`StatsConfig::seed`].
//!
//! # Input
//!
//! Non-finite values (NaN, ±∞) are **dropped** (filtered, never an error, never a panic);
//! they count neither as samples nor as failed requests. Failed requests are passed
//! separately as [`ErrorCounts`]. Relative changes need a positive baseline median.
//!
//! # Estimates ([`estimate()`])
//!
//! Point estimates are the statistics of the sample: the mean and type-7 quantiles (linear
//! interpolation, numpy's default) at 0.5, 0.9, 0.99. Intervals are **percentile
//! bootstrap** intervals: `nresamples` resamples with replacement, the statistic of each,
//! and the `(1−cl)/2` and `(1+cl)/2` quantiles of those. Every statistic (and every side of
//! a comparison) draws from its own xoshiro256++ stream, seeded from [`StatsConfig::seed`]
//! and a fixed tag, so results are reproducible and independent of each other.
//!
//! **Large samples** (from 1000 finite values, `large::LARGE_N`; per side in a comparison):
//! the same intervals without resampling `n` values 10 000 times (at 100 000 values that
//! took 8.5 s per `estimate()` and 11.8 s per `compare()`, now 3.5 ms and 18 ms; details and
//! formulas in `large.rs`):
//!
//! * mean: `x̄ ± z·σ̂/√n` with the plug-in `σ̂` (divisor `n`): the bootstrap distribution of
//!   the mean has exactly this centre and spread and is normal up to a skew of `γ/√n`;
//! * median, p90, p99: the percentile-bootstrap interval **computed exactly**: a resample's
//!   `k`-th value is at most `x₍ⱼ₎` with probability `P(Binomial(n, (j+1)/n) ≥ k)`, so each
//!   bound is the order statistic where that probability reaches `α/2` or `1 − α/2`
//!   (binary search, binomial tails; type-7 interpolation as the point). It is what the
//!   resampling bootstrap tends to as `nresamples` grows; `nresamples` and the seed no
//!   longer matter (0 still switches intervals off);
//! * change intervals: still 10 000 (`nresamples`) seeded resamples of the ratio, but each
//!   resample's two order statistics around the quantile are drawn directly
//!   (`⌊n·Beta(k, n−k+1)⌋`, the law of the `k`-th of `n` uniform indices): the resampling
//!   bootstrap's distribution exactly, in O(1) per resample.
//!
//! Measured against the resampling bootstrap (10 seeds, log-normal σ = 0.3, n = 1000 to
//! 10 000): every bound within 4.4% of the interval's width, mostly within 2% (the old
//! bootstrap's own Monte-Carlo noise is about 1%). Below 1000 values nothing changed: the
//! intervals are bit for bit those of earlier versions. The classical distribution-free
//! quantile interval (ranks from `Binomial(n, p)`) was measured too and not taken: it is
//! within a rank or two of the bootstrap's, but for the p99 that is up to 48% of the
//! width at 2000 values and 23% at 10 000.
//!
//! **When no interval is given** ([`Estimate::interval`] is `None`): a quantile's
//! interval needs at least 5 values beyond it, `n·min(p, 1−p) ≥ 5`, i.e. the median needs
//! `n ≥ 10`, **p90 `n ≥ 50`, p99 `n ≥ 500`**; the mean needs `n ≥ 10`
//! ([`min_samples_for_interval`]). Below that a bootstrap can only reshuffle the few largest
//! values and its "interval" describes the sample's extremes, not the population.
//!
//! # Comparison ([`compare()`])
//!
//! * **Change**: `new/base − 1` of the median and of the p90 (+0.10 = 10% larger). Its
//!   interval: base and new are resampled independently, and the interval is taken over
//!   the ratios of the resampled statistics (same minimum sizes as above, on both sides).
//! * **p-value**: the two-sided **Mann-Whitney U test** ([`rank_test`]): exact null
//!   distribution for small samples without ties (`n₁·n₂ ≤ 2500`), else the normal
//!   approximation with tie and continuity corrections (one sort of the pooled values,
//!   O(n log n): ≈ 0.26 s for 100 000 a side in a debug build). Why: latency is right-skewed and heavy-tailed (a few
//!   requests take many times the median). A t-test on raw values is dominated by those
//!   outliers (one 10× request inflates the variance and hides a real shift) and relies on
//!   the normality of means, which heavy tails reach slowly. The U test uses ranks only:
//!   robust to outliers, invariant under monotone transforms (same p-value in ns or in log
//!   ns), and valid for the null "both runs come from the same distribution" without any
//!   distributional assumption. For a multiplicative shift of log-normal latencies its
//!   efficiency relative to the best test (a t-test on logs) is 3/π ≈ 0.95, where a test on
//!   medians (e.g. a permutation test of the median difference) has only 2/π ≈ 0.64 and
//!   costs thousands of permutations.
//! * **Verdict**, in this order:
//!   1. [`Verdict::Inconclusive`] if a side's error rate `failed/(failed+ok)` exceeds
//!      `max_error_rate`, else if a side has fewer than `min_samples` values, else if the
//!      baseline median is not positive.
//!   2. [`Verdict::Regressed`] if `p < significance_level` **and** the median's relative
//!      change (point estimate) is beyond `noise_threshold` in the bad direction (up for
//!      [`Direction::LowerIsBetter`], down for [`Direction::HigherIsBetter`]) **and** the U
//!      test points the same way (`P(new > base) > ½` for "larger").
//!   3. [`Verdict::Improved`]: the same in the good direction.
//!   4. [`Verdict::NoChange`] otherwise: not significant, or significant but within noise.
//!
//! **Point estimate, not the whole interval.** Criterion calls a change only when the
//! whole interval lies beyond the noise threshold. With noisy remote APIs that demands far
//! more requests than anyone sends: measured on log-normal data with CV 30% (α = 0.05,
//! noise 5%), that rule finds a 10% shift in 11.5% of trials at 100 values a side, 55.5% at
//! 500 and 94.5% at 1600, and a 25% shift in 94% at 100. It counts the sampling error twice:
//! the significance level already bounds false alarms. With the point rule, the noise
//! threshold does what it is for: at large `n`, a change that is significant but too small
//! to act on is "no change" (a true change exactly at the threshold is flagged about half
//! the time). Verdicts therefore never depend on the bootstrap: intervals are evidence for
//! the reader, and `nresamples = 0` gives the same verdicts.
//!
//! # Paired comparison ([`compare_paired`])
//!
//! When the two builds are measured in pairs, `(baseᵢ, newᵢ)` at the same moment (e.g.
//! alternating requests), each pair shares the endpoint's state of that moment: load,
//! routing, batching. Remote APIs drift by several percent within minutes, so this shared
//! **drift factor** `dᵢ` (multiplying both values of the pair) dominates the noise of two
//! separate runs; the paired comparison cancels it exactly.
//!
//! * **Pairs**: a pair with a non-finite or non-positive value on either side is dropped;
//!   `n` is the number of pairs kept (reported as both `n_base` and `n_new`).
//! * **Change**: with `rᵢ = ln(newᵢ/baseᵢ)`, the median change is `exp(median(rᵢ)) − 1`; the
//!   p90 change is `p90(newᵢ)/p90(baseᵢ) − 1` over the kept pairs (a tail of each side:
//!   a quantile of ratios is not the ratio of quantiles).
//! * **p-value**: the two-sided **Wilcoxon signed-rank test** of the `rᵢ`
//!   ([`signed_rank`]): exact for `n ≤ 50` without zeros or ties, else the normal
//!   approximation with tie and continuity corrections; zero differences by **Pratt's
//!   method** (ranked, then left out of `W⁺`; a zero pair is evidence of no change, not a
//!   missing pair). Why: with `baseᵢ = dᵢ·bᵢ` and `newᵢ = dᵢ·nᵢ`, `rᵢ = ln nᵢ − ln bᵢ` does
//!   not depend on `dᵢ`, so the test is **invariant to the common drift factor**; it needs
//!   only that `rᵢ` be symmetric about 0 under the null (true when the two builds are
//!   exchangeable within a pair), uses ranks (robust to the heavy tails of latency), and
//!   its efficiency relative to the paired t-test on logs is `3/π ≈ 0.95` for normal
//!   log-ratios (never below 0.864 for any symmetric law). The Mann-Whitney test on the
//!   same values would see the drift as noise (and, when the two runs met different drift,
//!   as a change).
//! * **Intervals**: a **moving-block bootstrap** of the pairs (the pairs are in time order
//!   and consecutive pairs may share drift): a resample concatenates `⌈n/l⌉` blocks of `l`
//!   consecutive pairs, each starting uniformly in `0..=n−l`, cut to `n`; `nresamples`
//!   resamples, percentile interval at `confidence_level`, the same minimum sizes as above
//!   (10 pairs for the median, 50 for the p90). Block length: `l = 1` when the lag-1
//!   autocorrelation of the `rᵢ` is within `±2/√n` (white noise's 95% band), else
//!   `l = ⌈n^{1/3}⌉` (the order of the MSE-optimal block length, Hall, Horowitz & Jing
//!   1995), reported in [`Pairing::block_len`].
//! * **Verdict**: the rule of [`compare()`] and in the same order (one shared function),
//!   with `n` pairs as both sides' sample count and the sign of `median(rᵢ)` as the test's
//!   direction.
//!
//! # Many comparisons ([`benjamini_hochberg`], [`rejudge`])
//!
//! A CI gate tests many scenarios × metrics at once; at `significance_level` α each,
//! `m` true nulls give about `α·m` false alarms. The gate adjusts the p-values of all gated
//! comparisons of a run by **Benjamini-Hochberg**: with the `m` p-values sorted,
//! `q₍ᵢ₎ = min_{j≥i} min(1, m·p₍ⱼ₎/j)`. Flagging the comparisons with `q < α` keeps the
//! **false discovery rate**, the expected share of false alarms among the flagged
//! comparisons, at most `α` (exactly `α·m₀/m` with `m₀` true nulls) when the tests are
//! independent or positively dependent (PRDS; metrics of one scenario are positively
//! correlated). Chosen over Bonferroni (`m·p`, which bounds the chance of any false alarm):
//! Bonferroni's threshold shrinks as `α/m` for every comparison, so with 10 scenarios × 4
//! metrics a real regression needs `p < 0.00025`; BH's threshold for the `k`-th smallest
//! p-value is `k·α/m`, so when several metrics really moved each needs far less evidence.
//! For the verdict: [`rejudge`] sets [`Comparison::p_adjusted`] and decides again with the
//! adjusted p-value in place of `p`, so **a gated comparison is regressed only when its
//! adjusted p-value is below `significance_level`** (and the median moved beyond the noise
//! threshold, as before). An adjustment never creates a verdict (`q ≥ p`), and inconclusive
//! stays inconclusive.
//!
//! # Defaults ([`StatsConfig::default`]) and why
//!
//! | setting | default | why |
//! |---|---|---|
//! | `nresamples` | 10 000 | Monte-Carlo error of a 2.5% bound ≈ √(0.025·0.975/10⁴) ≈ 0.16 percentile points of the bootstrap distribution; ≈ 0.07 s for the 4 estimates of 1000 values; from 1000 values it only counts for change intervals, at O(1) per resample |
//! | `confidence_level` | 0.95 | convention, as criterion |
//! | `significance_level` | **0.01** | criterion uses 0.05; a CI gate tests several metrics of several scenarios. At 0.05, identical distributions give a verdict other than "no change" in ~4% of comparisons (measured: 95.9% no change, n = 100), so 2 gated metrics × 5 scenarios fail ~1 build in 5 for nothing. At 0.01: 98.7–99.2% no change for n = 30–500 (regressions about 0.5% per metric) |
//! | `noise_threshold` | 0.05 | remote APIs drift by a few percent between runs (load, routing, batching); smaller changes are neither actionable nor reproducible. It must stay well below the ~10% changes the gate is meant to catch |
//! | `seed` | [`DEFAULT_SEED`] | reruns print the same intervals |
//! | `min_samples` | 10 | the median's interval needs 10; with 10 a side the smallest exact p-value is 1.1e-5, so a clear change can be called (a 30% shift at CV 30% needs ~50 a side for 95% power, see below) |
//! | `max_error_rate` | 0.05 | failures censor the sample (timeouts are the slowest requests): if the failed fraction `e` were the slowest, the observed median is the true `0.5(1−e)` quantile. At `e` = 5% that biases the median by 1.8% (CV 30%) to 2.9% (CV 50%): within the noise threshold. At 10% it is 3.6–5.9% |
//!
//! # Power (measured, log-normal latencies with CV 30%, defaults, 1000 trials)
//!
//! Percent of trials called "regressed" for a shift of the median by `+s` (`−10%`:
//! "improved"); the `+0%` column is "no change" for identical distributions.
//!
//! | n a side | +0% | +5% | +10% | −10% | +15% | +20% | +25% | +30% |
//! |---:|---:|---:|---:|---:|---:|---:|---:|---:|
//! | 30 | 99.2 | 2.2 | 7.1 | 8.6 | 19.5 | 37.2 | 58.2 | 77.2 |
//! | 50 | 98.7 | 3.6 | 16.9 | 20.1 | 40.4 | 66.0 | 85.1 | 95.2 |
//! | 100 | 98.9 | 7.7 | 35.9 | 43.5 | 77.1 | 96.3 | 99.4 | 100 |
//! | 200 | 98.8 | 14.2 | 70.6 | 82.4 | 98.1 | 100 | 100 | 100 |
//! | 300 | 99.1 | 27.2 | 87.6 | 94.3 | 99.6 | 100 | 100 | 100 |
//! | 400 | 98.7 | 35.0 | 94.3 | 97.1 | 100 | 100 | 100 | 100 |
//! | 500 | 98.9 | 41.2 | 96.9 | 99.1 | 100 | 100 | 100 | 100 |
//!
//! **A 10% shift cannot be found in 95% of trials with 100 requests a side** at CV 30%, by
//! any test that also keeps false alarms at 5% or less: the standard error of the log-ratio
//! is `σ·√(2/n) = 0.294·√(2/100) = 0.042`, so `ln 1.1 = 0.095` is 2.3 standard errors; 95%
//! power at two-sided α = 0.05 needs `1.96 + 1.645 = 3.6` (n ≈ 260 for the ideal t-test on
//! logs), at α = 0.01 `2.58 + 1.645 = 4.2` (n ≈ 355), plus the noise check on the median.
//! Measured at the defaults: **±10% needs about 425 values a side** (400 → 94.3%, 425 →
//! 95.4%, 450 → 96.0%); **at 100 a side, ±20% is found in ≥ 95%** (+20%: 96.3%,
//! −20%: 99.7%; +19%: 93.9%). Even the best test at α = 0.05 would find +10% at n = 100
//! in only ~60% of trials (measured 60.7% with this rule at α = 0.05).
//!
//! The tests (`stats::tests`) reproduce these figures on 200 trials and print them.

mod bootstrap;
mod compare;
mod estimate;
mod fdr;
mod large;
mod paired;
pub mod rank_test;
pub mod signed_rank;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_large;
#[cfg(test)]
mod tests_paired;

use serde::{Deserialize, Serialize};

pub(crate) use bootstrap::{median_u64, midpoint_half_up, quantile_sorted};
pub use compare::{
    compare, rejudge, Comparison, ErrorCounts, InconclusiveReason, Pairing, Side, Verdict,
};
pub use estimate::{estimate, Estimate, Estimates, Interval};
pub use fdr::benjamini_hochberg;
pub use paired::compare_paired;
pub use rank_test::PValueMethod;

/// Which way a metric gets better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Smaller is better: latencies (TTFT, TPOT, ITL, E2E, ...).
    LowerIsBetter,
    /// Larger is better: throughput (tokens per second).
    HigherIsBetter,
}

impl Direction {
    /// The direction of a metric: higher is better for tokens per second only.
    pub fn of(metric: crate::metrics::Metric) -> Direction {
        if metric.is_duration() {
            Direction::LowerIsBetter
        } else {
            Direction::HigherIsBetter
        }
    }
}

/// Settings of the statistics; the defaults and their reasons are in the [module
/// docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StatsConfig {
    /// Bootstrap resamples per interval (default 10 000). 0 skips the bootstrap: every
    /// interval is `None`, point estimates, p-values and verdicts are unchanged (verdicts
    /// never depend on intervals).
    pub nresamples: usize,
    /// Confidence level of the intervals, in (0, 1) (default 0.95).
    pub confidence_level: f64,
    /// A change needs a p-value below this to count, in (0, 1) (default 0.01).
    pub significance_level: f64,
    /// Relative change of the median that is never reported as a change, ≥ 0 (default 0.05:
    /// 5%).
    pub noise_threshold: f64,
    /// Seed of the bootstrap (default fixed, so reruns give the same intervals).
    pub seed: u64,
    /// Fewest successful values a side needs for a verdict, ≥ 2 (default 10).
    pub min_samples: usize,
    /// Largest error rate `failed / (failed + ok)` a side may have for a verdict, in [0, 1]
    /// (default 0.05).
    pub max_error_rate: f64,
}

/// Default of [`StatsConfig::seed`].
pub const DEFAULT_SEED: u64 = 0x11b_be4c_5eed;

impl Default for StatsConfig {
    fn default() -> Self {
        StatsConfig {
            nresamples: 10_000,
            confidence_level: 0.95,
            significance_level: 0.01,
            noise_threshold: 0.05,
            seed: DEFAULT_SEED,
            min_samples: 10,
            max_error_rate: 0.05,
        }
    }
}

/// A [`StatsConfig`] value out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// `confidence_level` is not strictly between 0 and 1.
    #[error("confidence level must be between 0 and 1 (exclusive), e.g. 0.95; got {0}")]
    ConfidenceLevel(f64),
    /// `significance_level` is not strictly between 0 and 1.
    #[error("significance level must be between 0 and 1 (exclusive), e.g. 0.01; got {0}")]
    SignificanceLevel(f64),
    /// `noise_threshold` is negative or not finite.
    #[error("noise threshold must be a finite relative change ≥ 0, e.g. 0.05 for 5%; got {0}")]
    NoiseThreshold(f64),
    /// `min_samples` is below 2.
    #[error("minimum samples must be at least 2; got {0}")]
    MinSamples(usize),
    /// `max_error_rate` is not within 0 and 1.
    #[error("maximum error rate must be between 0 and 1, e.g. 0.05 for 5%; got {0}")]
    MaxErrorRate(f64),
}

impl StatsConfig {
    /// Checks every setting's range; the first problem found is returned.
    ///
    /// [`estimate()`] and [`compare()`] never panic on an invalid config, but their results
    /// are meaningless; validate user input (CLI flags, attributes) with this first.
    pub fn validate(&self) -> Result<(), StatsError> {
        let open_unit = |x: f64| x > 0.0 && x < 1.0;
        if !open_unit(self.confidence_level) {
            return Err(StatsError::ConfidenceLevel(self.confidence_level));
        }
        if !open_unit(self.significance_level) {
            return Err(StatsError::SignificanceLevel(self.significance_level));
        }
        if !(self.noise_threshold.is_finite() && self.noise_threshold >= 0.0) {
            return Err(StatsError::NoiseThreshold(self.noise_threshold));
        }
        if self.min_samples < 2 {
            return Err(StatsError::MinSamples(self.min_samples));
        }
        if !(0.0..=1.0).contains(&self.max_error_rate) {
            return Err(StatsError::MaxErrorRate(self.max_error_rate));
        }
        Ok(())
    }

    /// True if bootstrap intervals should be computed at all.
    fn intervals_enabled(&self) -> bool {
        self.nresamples > 0 && self.confidence_level > 0.0 && self.confidence_level < 1.0
    }
}

/// The finite values of `values`, in order (NaN and ±∞ dropped).
fn finite_values(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| v.is_finite()).collect()
}
