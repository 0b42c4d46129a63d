//! The two-sided Wilcoxon signed-rank test, with zero differences handled by Pratt's method.
//!
//! The differences `d₁ … dₙ` (in a paired comparison: the per-pair log-ratios
//! `ln(newᵢ/baseᵢ)`) are ranked by `|dᵢ|` with average ranks for ties, **zeros included**;
//! `W⁺` is the sum of the ranks of the positive differences. Under the null hypothesis (each
//! difference is symmetric about 0) every sign is `+` or `−` with probability ½, independently.
//!
//! * **Zeros (Pratt 1959).** A zero difference takes part in the ranking (zeros hold the
//!   lowest ranks `1..=z`) but adds to neither `W⁺` nor `W⁻`; the null mean and variance
//!   leave out the zeros' ranks. Chosen over discarding zeros (Wilcoxon's method, scipy's
//!   default `zero_method="wilcox"`) because a zero pair is evidence of "no change": with
//!   the zeros dropped, a run where most pairs are equal (values quantized by a coarse clock)
//!   is judged as if only its few differing pairs had been measured, and the non-zero
//!   differences are re-ranked as if the zeros never existed. Pratt's ranks of the non-zero
//!   differences are their ranks among all pairs. scipy's documentation calls it the more
//!   conservative of the two. Latencies in nanoseconds are rarely exactly equal, so the
//!   choice seldom matters; it is documented so the p-values can be reproduced
//!   (`scipy.stats.wilcoxon(d, zero_method="pratt", correction=True)`).
//! * **Exact** p-value with no zeros, no ties and `n ≤ 50` ([`EXACT_MAX_N`]): the null
//!   distribution of `W⁺` is that of a sum of a random subset of `{1, …, n}`, counted by the
//!   recurrence `c_k(w) = c_{k−1}(w) + c_{k−1}(w − k)` in `f64` (sums of positive terms, exact
//!   below 2⁵³ and within machine precision above), over the `2ⁿ` sign patterns. The
//!   two-sided p-value is `2·P(W⁺ ≥ max(W⁺, T − W⁺))` with `T = n(n+1)/2`, capped at 1, as
//!   scipy's `wilcoxon(method="exact")`.
//! * Otherwise the **normal approximation**, with tie and continuity corrections:
//!   `μ = (n(n+1) − z(z+1))/4`,
//!   `σ² = (n(n+1)(2n+1) − z(z+1)(2z+1))/24 − Σ(t³ − t)/48` over tie groups of size `t` among
//!   the non-zero `|dᵢ|`, `Z = max(|W⁺ − μ| − ½, 0)/σ`, `p = 2·(1 − Φ(Z))`
//!   ([`normal_two_sided_p`]); `p = 1` when `σ = 0` (every difference is zero). This is
//!   scipy's `wilcoxon(zero_method="pratt", correction=True, method="approx")`, except that
//!   scipy lets `|W⁺ − μ| < ½` give a p-value just below 1 where this gives exactly 1.

use super::rank_test::{normal_two_sided_p, PValueMethod};
use serde::{Deserialize, Serialize};

/// Largest number of differences for which the exact null distribution is used (when
/// there are no zeros and no ties): scipy's limit too. The cost is about `n³/4` additions.
pub const EXACT_MAX_N: usize = 50;

/// The result of a Wilcoxon signed-rank test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SignedRank {
    /// `W⁺`: the sum of the ranks (of `|d|`, among all differences, zeros included) of the
    /// positive differences.
    pub w_plus: f64,
    /// `E[W⁺]` under the null hypothesis, `(n(n+1) − z(z+1))/4`: `W⁺` above it means the
    /// differences tend to be positive.
    pub null_mean: f64,
    /// Differences tested (all of them, zeros included).
    pub n: usize,
    /// Differences that are exactly zero.
    pub zeros: usize,
    /// The two-sided p-value, in `[0, 1]`.
    pub p_value: f64,
    /// How [`SignedRank::p_value`] was computed: [`PValueMethod::SignedRankExact`] or
    /// [`PValueMethod::SignedRankNormal`].
    pub method: PValueMethod,
}

/// The two-sided Wilcoxon signed-rank test of the differences `d` (zeros by Pratt's method;
/// see the [module docs](self)).
///
/// Returns `None` when `d` is empty or holds a non-finite value (callers filter those).
pub fn wilcoxon_signed_rank(d: &[f64]) -> Option<SignedRank> {
    let n = d.len();
    if n == 0 || d.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut by_abs: Vec<f64> = d.to_vec();
    by_abs.sort_unstable_by(|a, b| a.abs().total_cmp(&b.abs()));
    let mut w_plus = 0.0;
    let mut tie_term = 0.0; // Σ (t³ − t) over tie groups of non-zero |d|
    let mut zeros = 0usize;
    let mut i = 0;
    while i < n {
        let a = by_abs[i].abs();
        let mut j = i + 1;
        while j < n && by_abs[j].abs() == a {
            j += 1;
        }
        let t = (j - i) as f64;
        if a == 0.0 {
            zeros += j - i;
        } else {
            let avg_rank = (i + 1 + j) as f64 / 2.0; // ranks i+1 ..= j
            let positive = by_abs[i..j].iter().filter(|&&v| v > 0.0).count() as f64;
            w_plus += avg_rank * positive;
            tie_term += t * t * t - t;
        }
        i = j;
    }
    let (nf, zf) = (n as f64, zeros as f64);
    let null_mean = (nf * (nf + 1.0) - zf * (zf + 1.0)) / 4.0;
    let (p_value, method) = if zeros == 0 && tie_term == 0.0 && n <= EXACT_MAX_N {
        (exact_p_value(n, w_plus), PValueMethod::SignedRankExact)
    } else {
        let var = (nf * (nf + 1.0) * (2.0 * nf + 1.0) - zf * (zf + 1.0) * (2.0 * zf + 1.0)) / 24.0
            - tie_term / 48.0;
        (
            normal_p_value(w_plus, null_mean, var),
            PValueMethod::SignedRankNormal,
        )
    };
    Some(SignedRank {
        w_plus,
        null_mean,
        n,
        zeros,
        p_value: p_value.clamp(0.0, 1.0),
        method,
    })
}

/// Two-sided p-value of `W⁺ = w` from the normal approximation with null mean `mean`,
/// null variance `var` and a continuity correction of ½; 1 when `var ≤ 0`.
pub(crate) fn normal_p_value(w: f64, mean: f64, var: f64) -> f64 {
    if var > 0.0 {
        let z = ((w - mean).abs() - 0.5).max(0.0) / var.sqrt();
        normal_two_sided_p(z)
    } else {
        1.0
    }
}

/// Exact two-sided p-value of an integral `W⁺ = w` for `n` differences without zeros or
/// ties: `2·P(W⁺ ≥ max(w, T − w))`, capped at 1.
pub(crate) fn exact_p_value(n: usize, w: f64) -> f64 {
    let counts = w_plus_null_counts(n);
    let max_w = counts.len() - 1; // T = n(n+1)/2
    let w = w.round().clamp(0.0, max_w as f64) as usize;
    let upper = w.max(max_w - w);
    let total: f64 = counts.iter().sum();
    let tail: f64 = counts[upper..].iter().sum();
    (2.0 * tail / total).min(1.0)
}

/// Number of sign patterns of `n` differences with ranks `1..=n` giving each `W⁺` in
/// `0..=n(n+1)/2`: the number of subsets of `{1, …, n}` with each sum.
pub(crate) fn w_plus_null_counts(n: usize) -> Vec<f64> {
    let max_w = n * (n + 1) / 2;
    let mut c = vec![0.0; max_w + 1];
    c[0] = 1.0;
    for k in 1..=n {
        // Subsets of {1..k}: those without k, plus those with k (sum shifted by k). Going
        // down so that c[w − k] is still the count for {1..k−1}.
        let top = k * (k + 1) / 2;
        for w in (k..=top).rev() {
            c[w] += c[w - k];
        }
    }
    c
}
