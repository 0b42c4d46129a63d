//! Paired comparison: the two builds measured in pairs, one pair per moment.
//!
//! The change is the median of the per-pair log-ratios, the p-value the Wilcoxon
//! signed-rank test's on them ([`super::signed_rank`]), the intervals a moving-block
//! bootstrap over the pairs. Formulas and reasons are in the [module docs](super).

use super::bootstrap::{percentile_interval, sub_seed};
use super::compare::{inconclusive, verdict_of, Comparison, ErrorCounts, Pairing};
use super::estimate::{min_samples_for_interval, Estimate, Interval};
use super::rank_test::PValueMethod;
use super::signed_rank::wilcoxon_signed_rank;
use super::{Direction, StatsConfig};
use crate::rng::Rng;

/// Sub-seed tag of the paired block bootstrap.
const PAIRED_TAG: u64 = 0x7061_6972_6564_0000;

/// Compares `new` with `base` measured in pairs: `(base[i], new[i])` is one pair (the same
/// moment, two builds), for a metric where `direction` says which way is better.
///
/// * A pair where either value is non-finite or not positive is dropped; values beyond the
///   shorter slice have no partner and are ignored. [`Comparison::n_base`] and
///   [`Comparison::n_new`] are both the number of pairs kept.
/// * [`Comparison::median_change`]: `exp(median ln(newᵢ/baseᵢ)) − 1`;
///   [`Comparison::p90_change`]: `p90(newᵢ)/p90(baseᵢ) − 1` over the kept pairs. Their
///   intervals come from a moving-block bootstrap of the pairs (`cfg.nresamples`
///   resamples, percentile interval at `cfg.confidence_level`; the median's needs 10
///   pairs, the p90's 50).
/// * [`Comparison::p_value`]: the two-sided Wilcoxon signed-rank test of the log-ratios
///   (Pratt's zeros; exact up to 50 pairs without zeros or ties).
/// * [`Comparison::verdict`]: the rule of [`compare()`](super::compare()), with the pairs
///   as the sample count of both sides and the sign of the median log-ratio as the test's
///   direction.
/// * [`Comparison::paired`]: the number of pairs, the share with `new > base` (ties count
///   half; ½ without pairs) and the bootstrap's block length.
///
/// Deterministic for a given [`StatsConfig::seed`]; never panics.
pub fn compare_paired(
    base: &[f64],
    new: &[f64],
    errors: ErrorCounts,
    direction: Direction,
    cfg: &StatsConfig,
) -> Comparison {
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let (base, new): (Vec<f64>, Vec<f64>) = base
        .iter()
        .zip(new)
        .filter(|&(&b, &n)| usable(b) && usable(n))
        .map(|(&b, &n)| (b, n))
        .unzip();
    let pairs = base.len();
    // ln n − ln b rather than ln(n/b): finite for all positive finite values (the ratio can
    // overflow), and exactly 0 for equal values.
    let logs: Vec<f64> = base
        .iter()
        .zip(&new)
        .map(|(b, n)| n.ln() - b.ln())
        .collect();
    let test = wilcoxon_signed_rank(&logs);
    let p_value = test.map_or(1.0, |t| t.p_value);
    let p_value_method = test.map_or(PValueMethod::SignedRankNormal, |t| t.method);

    let median_log = median(&logs);
    let block = block_len(&logs);
    let (median_iv, p90_iv) = block_bootstrap(&base, &new, &logs, block, cfg);
    let median_change = Estimate {
        point: median_log.map_or(0.0, f64::exp_m1),
        interval: median_iv,
    };
    let p90_change = Estimate {
        point: match (quantile(&base, 0.9), quantile(&new, 0.9)) {
            (Some(b), Some(n)) => n / b - 1.0,
            _ => 0.0,
        },
        interval: p90_iv,
    };
    let larger = new.iter().zip(&base).filter(|(n, b)| n > b).count() as f64;
    let ties = new.iter().zip(&base).filter(|(n, b)| n == b).count() as f64;
    let share_new_larger = if pairs == 0 {
        0.5
    } else {
        (larger + 0.5 * ties) / pairs as f64
    };
    let m = median_log.unwrap_or(0.0);
    let verdict = verdict_of(
        p_value,
        median_change.point,
        direction,
        m > 0.0,
        m < 0.0,
        cfg,
        // Every kept value is positive, so the baseline median is too.
        inconclusive(pairs, pairs, errors, cfg),
    );
    Comparison {
        median_change,
        p90_change,
        p_value,
        p_value_method,
        verdict,
        n_base: pairs,
        n_new: pairs,
        paired: Some(Pairing::new(pairs, share_new_larger, block)),
        p_adjusted: None,
    }
}

/// The block length of the moving-block bootstrap of `logs` (in time order): 1 when the
/// lag-1 autocorrelation `r₁` of the log-ratios is within `±2/√n` (the 95% band of white
/// noise, Bartlett), else `⌈n^{1/3}⌉` (the order of the MSE-optimal block length of the
/// block bootstrap, Hall, Horowitz & Jing 1995), at most `n`. 1 below 4 pairs.
pub(crate) fn block_len(logs: &[f64]) -> usize {
    let n = logs.len();
    if n < 4 {
        return 1;
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let var: f64 = logs.iter().map(|x| (x - mean) * (x - mean)).sum();
    if var.is_nan() || var <= 0.0 {
        return 1;
    }
    let cov: f64 = logs.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
    let r1 = cov / var;
    if r1.abs() <= 2.0 / (n as f64).sqrt() {
        return 1;
    }
    ceil_cbrt(n).clamp(1, n)
}

/// `⌈n^{1/3}⌉`, exact for every `n`.
fn ceil_cbrt(n: usize) -> usize {
    let mut l = (n as f64).cbrt().ceil() as usize;
    let cube = |x: usize| x.saturating_mul(x).saturating_mul(x);
    while l > 1 && cube(l - 1) >= n {
        l -= 1;
    }
    while cube(l) < n {
        l += 1;
    }
    l
}

/// Percentile intervals of the median change and of the p90 change from a moving-block
/// bootstrap of the pairs: each resample concatenates `⌈n/l⌉` blocks of `l` consecutive
/// pairs, each starting at a uniform position in `0..=n−l`, cut to `n` pairs. `None` for
/// a statistic with too few pairs or with intervals switched off.
fn block_bootstrap(
    base: &[f64],
    new: &[f64],
    logs: &[f64],
    block: usize,
    cfg: &StatsConfig,
) -> (Option<Interval>, Option<Interval>) {
    let n = logs.len();
    let want_median = n >= min_samples_for_interval(Some(0.5));
    let want_p90 = n >= min_samples_for_interval(Some(0.9));
    if !cfg.intervals_enabled() || !(want_median || want_p90) || n == 0 {
        return (None, None);
    }
    let block = block.clamp(1, n);
    let starts = (n - block + 1) as u64;
    let mut rng = Rng::new(sub_seed(cfg.seed, PAIRED_TAG));
    let (mut rl, mut rb, mut rn) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut med_reps = Vec::with_capacity(if want_median { cfg.nresamples } else { 0 });
    let mut p90_reps = Vec::with_capacity(if want_p90 { cfg.nresamples } else { 0 });
    for _ in 0..cfg.nresamples {
        rl.clear();
        rb.clear();
        rn.clear();
        while rl.len() < n {
            let start = ((u128::from(rng.next_u64()) * u128::from(starts)) >> 64) as usize;
            let take = block.min(n - rl.len());
            rl.extend_from_slice(&logs[start..start + take]);
            rb.extend_from_slice(&base[start..start + take]);
            rn.extend_from_slice(&new[start..start + take]);
        }
        if want_median {
            med_reps.push(select_quantile(&mut rl, 0.5).exp_m1());
        }
        if want_p90 {
            let b = select_quantile(&mut rb, 0.9);
            let v = select_quantile(&mut rn, 0.9);
            p90_reps.push(if b > 0.0 { v / b - 1.0 } else { f64::NAN });
        }
    }
    let cl = cfg.confidence_level;
    (
        want_median
            .then(|| percentile_interval(med_reps, cl))
            .flatten(),
        want_p90
            .then(|| percentile_interval(p90_reps, cl))
            .flatten(),
    )
}

/// The type-7 quantile at `p` of non-empty finite `values` (reordered), by selection.
fn select_quantile(values: &mut [f64], p: f64) -> f64 {
    let n = values.len();
    let h = p.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = (h.floor() as usize).min(n - 1);
    let frac = h - lo as f64;
    let (_, &mut lo_v, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    if frac > 0.0 {
        if let Some(hi_v) = above.iter().copied().min_by(f64::total_cmp) {
            return (lo_v + frac * (hi_v - lo_v)).clamp(lo_v, hi_v);
        }
    }
    lo_v
}

/// The type-7 quantile at `p` of finite `values`; `None` when empty.
fn quantile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    Some(select_quantile(&mut v, p))
}

/// The median of finite `values`; `None` when empty.
fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}
