//! Comparison of a new run with a baseline: relative changes, p-value, verdict.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::bootstrap::{
    percentile_interval, quantile_replicates, quantile_sorted, sub_seed, Method, Statistic,
};
use super::estimate::{min_samples_for_interval, Estimate, Interval};
use super::rank_test::{mann_whitney_u, PValueMethod};
use super::{finite_values, Direction, StatsConfig};

/// Failed requests on each side; they carry no latency but decide whether a comparison can
/// be trusted (failures censor the sample: a timeout is usually a slow request).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCounts {
    /// Failed requests in the baseline run.
    pub base_failed: usize,
    /// Failed requests in the new run.
    pub new_failed: usize,
}

/// Which run a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The stored baseline.
    Base,
    /// The run being compared with it.
    New,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Base => "the baseline",
            Side::New => "the new run",
        })
    }
}

/// Why a comparison could not reach a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InconclusiveReason {
    /// A side has fewer successful (finite) values than `min_samples`.
    TooFewSamples {
        /// The side that is short.
        side: Side,
        /// Its number of successful values.
        n: usize,
        /// The configured minimum.
        min: usize,
    },
    /// A side's error rate `failed / (failed + ok)` exceeds `max_error_rate`.
    TooManyErrors {
        /// The side with too many errors.
        side: Side,
        /// Its failed requests.
        failed: usize,
        /// Its failed plus successful requests.
        total: usize,
        /// The configured maximum rate.
        max_rate: f64,
    },
    /// The baseline median is zero or negative, so a relative change is undefined.
    NonPositiveBaseline,
}

impl fmt::Display for InconclusiveReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            InconclusiveReason::TooFewSamples { side, n, min } => {
                let s = if n == 1 { "" } else { "s" };
                write!(f, "only {n} sample{s} in {side} (need {min})")
            }
            InconclusiveReason::TooManyErrors {
                side,
                failed,
                total,
                max_rate,
            } => {
                let rate = if total == 0 {
                    0.0
                } else {
                    failed as f64 / total as f64
                };
                write!(
                    f,
                    "{failed} of {total} requests failed in {side} ({:.1}%, more than {:.1}%)",
                    rate * 100.0,
                    max_rate * 100.0
                )
            }
            InconclusiveReason::NonPositiveBaseline => f.write_str(
                "the baseline median is not positive, so a relative change is undefined",
            ),
        }
    }
}

/// The outcome of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly better, by more than the noise threshold.
    Improved,
    /// Significantly worse, by more than the noise threshold.
    Regressed,
    /// Not significant, or significant but within the noise threshold.
    NoChange,
    /// No verdict: the data cannot support one.
    Inconclusive(InconclusiveReason),
}

impl Verdict {
    /// True for [`Verdict::Regressed`]: what `--fail-on-regression` gates on.
    pub fn is_regression(&self) -> bool {
        matches!(self, Verdict::Regressed)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Improved => f.write_str("improved"),
            Verdict::Regressed => f.write_str("regressed"),
            Verdict::NoChange => f.write_str("no change (within noise)"),
            Verdict::Inconclusive(reason) => write!(f, "inconclusive: {reason}"),
        }
    }
}

/// A new run compared with a baseline, for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Relative change of the median, `new/base − 1` (+0.10 is 10% larger), with the
    /// interval of the ratio of independently resampled medians. The point is 0 with no
    /// interval when the baseline median is not positive.
    pub median_change: Estimate,
    /// Relative change of the p90, as [`Comparison::median_change`]; its interval needs 50
    /// values a side.
    pub p90_change: Estimate,
    /// Two-sided p-value of the Mann-Whitney U test (1 when a side is empty).
    pub p_value: f64,
    /// How the p-value was computed.
    pub p_value_method: PValueMethod,
    /// The verdict: improved or regressed when the rank test's p-value is below the significance
    /// level and the median moved beyond the noise threshold in that direction, else no change;
    /// inconclusive with too few samples or too many errors (docs/statistics.md).
    pub verdict: Verdict,
    /// Successful (finite) values in the baseline.
    pub n_base: usize,
    /// Successful (finite) values in the new run.
    pub n_new: usize,
    /// Set when the two sides were measured in pairs (`--compare-with`): the change is then
    /// the median of per-pair log-ratios and the p-value a signed-rank test's
    /// ([`compare_paired`](super::compare_paired)). `None` for two independent runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired: Option<Pairing>,
    /// The p-value adjusted for the false discovery rate over every gated comparison of
    /// the run (Benjamini-Hochberg); when set, the verdict was decided on it rather than
    /// on [`Comparison::p_value`]. `None` for a metric that is not gated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_adjusted: Option<f64>,
}

/// How the two sides of a paired comparison were measured and summarised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Pairing {
    /// Pairs with a finite value on both sides: the comparison's sample count.
    pub pairs: usize,
    /// Share of those pairs where the new side's value was larger (for a latency: where
    /// the new build was slower), in [0, 1].
    pub share_new_larger: f64,
    /// Length of the blocks the bootstrap resampled (1: pairs resampled one by one; more
    /// when consecutive pairs were correlated in time).
    pub block_len: usize,
}

impl Pairing {
    /// A pairing of `pairs` pairs, `share_new_larger` of them larger on the new side,
    /// bootstrapped in blocks of `block_len`.
    pub fn new(pairs: usize, share_new_larger: f64, block_len: usize) -> Pairing {
        Pairing {
            pairs,
            share_new_larger,
            block_len,
        }
    }
}

/// Compares `new` with `base` for a metric where `direction` says which way is better.
///
/// Non-finite values are dropped on both sides (they count neither as samples nor as
/// errors). The verdict rule, the test and the defaults are explained in [`crate::stats`];
/// in short: inconclusive when a side has too many errors or too few values; else
/// [`Verdict::Regressed`] / [`Verdict::Improved`] when `p < significance_level` **and** the
/// median's relative change is beyond `noise_threshold` in the bad / good direction (and
/// agrees with the direction of the rank test); else [`Verdict::NoChange`].
pub fn compare(
    base: &[f64],
    new: &[f64],
    errors: ErrorCounts,
    direction: Direction,
    cfg: &StatsConfig,
) -> Comparison {
    let mut base = finite_values(base);
    let mut new = finite_values(new);
    base.sort_unstable_by(f64::total_cmp);
    new.sort_unstable_by(f64::total_cmp);
    let (n_base, n_new) = (base.len(), new.len());
    let test = mann_whitney_u(&base, &new);
    let p_value = test.map_or(1.0, |t| t.p_value);
    let p_value_method = test.map_or(PValueMethod::NormalApproximation, |t| t.method);
    let median_change = change(&base, &new, 0.5, cfg, Method::BySize);
    let p90_change = change(&base, &new, 0.9, cfg, Method::BySize);

    let reason = inconclusive(n_base, n_new, errors, cfg).or_else(|| {
        (quantile(&base, 0.5) <= 0.0).then_some(InconclusiveReason::NonPositiveBaseline)
    });
    // The rank test's direction: does the new sample tend to be larger?
    let new_larger = test.is_some_and(|t| t.prob_new_greater > 0.5);
    let new_smaller = test.is_some_and(|t| t.prob_new_greater < 0.5);
    let verdict = verdict_of(
        p_value,
        median_change.point,
        direction,
        new_larger,
        new_smaller,
        cfg,
        reason,
    );
    Comparison {
        median_change,
        p90_change,
        p_value,
        p_value_method,
        verdict,
        n_base,
        n_new,
        paired: None,
        p_adjusted: None,
    }
}

/// The verdict rule shared by [`compare()`] and [`compare_paired`](super::compare_paired)
/// (and [`rejudge`]), in the order of the [module docs](super):
///
/// 1. `Inconclusive(reason)` when `inconclusive` is set;
/// 2. the change is "larger" when `p < significance_level`, the test says the new side
///    tends to be larger (`new_larger`) and the median's relative change `change` (point
///    estimate) is above `noise_threshold`; "smaller" likewise below `−noise_threshold`
///    with `new_smaller`;
/// 3. larger is [`Verdict::Regressed`] for [`Direction::LowerIsBetter`] and
///    [`Verdict::Improved`] for [`Direction::HigherIsBetter`], smaller the other way round;
/// 4. [`Verdict::NoChange`] otherwise (a NaN `p` or `change` is never significant).
pub(crate) fn verdict_of(
    p: f64,
    change: f64,
    direction: Direction,
    new_larger: bool,
    new_smaller: bool,
    cfg: &StatsConfig,
    inconclusive: Option<InconclusiveReason>,
) -> Verdict {
    if let Some(reason) = inconclusive {
        return Verdict::Inconclusive(reason);
    }
    let significant = p < cfg.significance_level;
    let (larger, smaller) = (
        significant && new_larger && change > cfg.noise_threshold,
        significant && new_smaller && change < -cfg.noise_threshold,
    );
    match (direction, larger, smaller) {
        (Direction::LowerIsBetter, true, _) | (Direction::HigherIsBetter, _, true) => {
            Verdict::Regressed
        }
        (Direction::LowerIsBetter, _, true) | (Direction::HigherIsBetter, true, _) => {
            Verdict::Improved
        }
        _ => Verdict::NoChange,
    }
}

/// `c` with [`Comparison::p_adjusted`] set to `p_adjusted` and its verdict decided again on
/// it, by the rule of [`compare()`] (for any [`Comparison`], paired or not): a comparison
/// whose adjusted p-value is not below `significance_level` is [`Verdict::NoChange`].
///
/// * An inconclusive verdict stays inconclusive (same reason).
/// * An adjustment can only withdraw a verdict, never create one: the verdict is decided on
///   `max(p_adjusted, c.p_value)`. A false-discovery-rate adjustment never lowers a p-value
///   ([`benjamini_hochberg`](super::benjamini_hochberg) gives `q ≥ p` up to rounding, which
///   this also absorbs), and an unpaired [`Comparison`] does not keep the direction of its
///   rank test, which a new "regressed" would need.
/// * A NaN `p_adjusted` is taken as 1; others are clamped to `[0, 1]`.
///
/// `direction` and `cfg` should be those `c` was computed with.
pub fn rejudge(
    c: &Comparison,
    p_adjusted: f64,
    direction: Direction,
    cfg: &StatsConfig,
) -> Comparison {
    let p = if p_adjusted.is_nan() {
        1.0
    } else {
        p_adjusted.clamp(0.0, 1.0)
    };
    let reason = match c.verdict {
        Verdict::Inconclusive(reason) => Some(reason),
        _ => None,
    };
    let change = c.median_change.point;
    // The test's direction, as far as the comparison still knows it.
    let (new_larger, new_smaller) = match (c.paired, c.verdict, direction) {
        // Paired: the sign of the median log-ratio, which is the sign of the change.
        (Some(_), _, _) => (change > 0.0, change < 0.0),
        (None, Verdict::Regressed, Direction::LowerIsBetter)
        | (None, Verdict::Improved, Direction::HigherIsBetter) => (true, false),
        (None, Verdict::Regressed, Direction::HigherIsBetter)
        | (None, Verdict::Improved, Direction::LowerIsBetter) => (false, true),
        // No change before: with a p-value at least as large it stays no change.
        _ => (false, false),
    };
    let p_decided = if c.p_value.is_nan() {
        p
    } else {
        p.max(c.p_value)
    };
    Comparison {
        p_adjusted: Some(p),
        verdict: verdict_of(
            p_decided,
            change,
            direction,
            new_larger,
            new_smaller,
            cfg,
            reason,
        ),
        ..*c
    }
}

/// Why the comparison is inconclusive, if it is. Errors are checked before sample counts.
pub(super) fn inconclusive(
    n_base: usize,
    n_new: usize,
    errors: ErrorCounts,
    cfg: &StatsConfig,
) -> Option<InconclusiveReason> {
    let sides = [
        (Side::Base, n_base, errors.base_failed),
        (Side::New, n_new, errors.new_failed),
    ];
    for (side, ok, failed) in sides {
        let total = ok.saturating_add(failed);
        if total > 0 && failed as f64 / total as f64 > cfg.max_error_rate {
            return Some(InconclusiveReason::TooManyErrors {
                side,
                failed,
                total,
                max_rate: cfg.max_error_rate,
            });
        }
    }
    let min = cfg.min_samples.max(1);
    for (side, n, _) in sides {
        if n < min {
            return Some(InconclusiveReason::TooFewSamples { side, n, min });
        }
    }
    None
}

/// The type-7 quantile of finite ascending `sorted`; NaN when empty (only compared).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    quantile_sorted(sorted, p)
}

/// The relative change `new/base − 1` of the quantile at `p`, with its bootstrap interval.
/// `base` and `new` are finite and ascending.
pub(super) fn change(
    base: &[f64],
    new: &[f64],
    p: f64,
    cfg: &StatsConfig,
    method: Method,
) -> Estimate {
    let (b, n) = (quantile(base, p), quantile(new, p));
    if b.is_nan() || b <= 0.0 || !n.is_finite() {
        return Estimate {
            point: 0.0,
            interval: None,
        };
    }
    let need = min_samples_for_interval(Some(p));
    let interval = (base.len() >= need && new.len() >= need && cfg.intervals_enabled())
        .then(|| change_interval(base, new, p, cfg, method))
        .flatten();
    Estimate {
        point: n / b - 1.0,
        interval,
    }
}

/// The percentile interval of `new*/base* − 1` over independent bootstrap replicates of the
/// quantile at `p` of each side (each side drawn as [`quantile_replicates`] chooses for its
/// size). Resamples whose baseline statistic is not positive have no ratio and are dropped.
fn change_interval(
    base: &[f64],
    new: &[f64],
    p: f64,
    cfg: &StatsConfig,
    method: Method,
) -> Option<Interval> {
    let tag = Statistic::Quantile(p).tag();
    let side = |values: &[f64], side_tag: u64| {
        let seed = sub_seed(cfg.seed, tag ^ side_tag);
        quantile_replicates(values, p, cfg.nresamples, seed, method)
    };
    let (rb, rn) = (side(base, SIDE_BASE), side(new, SIDE_NEW));
    let ratios: Vec<f64> = rb
        .iter()
        .zip(&rn)
        .map(|(&b, &n)| if b > 0.0 { n / b - 1.0 } else { f64::NAN })
        .collect();
    percentile_interval(ratios, cfg.confidence_level)
}

/// Sub-seed tags of the two sides of a change interval.
const SIDE_BASE: u64 = 0xba5e_0000_0000_0000;
const SIDE_NEW: u64 = 0x0e30_0000_0000_0000;
