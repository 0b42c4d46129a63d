//! The two-sided Mann-Whitney U test (Wilcoxon rank-sum test).
//!
//! `U` counts the pairs `(b, n)` with `n > b` (a tie counts one half), over all pairs of a
//! baseline value `b` and a new value `n`. Under the null hypothesis (both samples come from
//! the same distribution) `U` has mean `n₁n₂/2`.
//!
//! * With no ties and `n₁·n₂ ≤ 2500` the p-value is **exact**: the null distribution of `U` is
//!   computed by the recurrence `f(m, n, u) = f(m−1, n, u−n) + f(m, n−1, u)` (is the largest
//!   value a baseline or a new one?), in counts held as `f64` (sums of positive terms only,
//!   so the relative error stays near machine precision). The two-sided p-value is
//!   `2·P(U ≥ max(U, n₁n₂ − U))`, capped at 1, as scipy's `mannwhitneyu(method="exact")`.
//! * Otherwise the **normal approximation** with the tie correction and a continuity
//!   correction: `σ² = n₁n₂/12 · ((N+1) − Σ(t³−t)/(N(N−1)))` over tie groups of size `t`,
//!   `z = (|U − n₁n₂/2| − ½)/σ`, `p = 2·(1 − Φ(z)) = erfc(z/√2)` ([`normal_two_sided_p`]), as scipy's
//!   `mannwhitneyu(method="asymptotic", use_continuity=True)`. When every value is tied
//!   (`σ = 0`) the p-value is 1.
//!
//! The reference values in the tests come from scipy 1.17.

use serde::{Deserialize, Serialize};

/// Largest `n₁·n₂` for which the exact null distribution is computed (when there are no
/// ties). The cost is about `(n₁n₂)²/4` additions: 1.6 million at the limit.
pub const EXACT_MAX_PAIRS: usize = 2500;

/// How a p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PValueMethod {
    /// The Mann-Whitney U test's p-value from the exact null distribution of `U` (small
    /// samples without ties).
    Exact,
    /// The Mann-Whitney U test's p-value from the normal approximation with tie and
    /// continuity corrections.
    NormalApproximation,
    /// A paired comparison's Wilcoxon signed-rank test, from the exact null distribution of
    /// `W⁺` (at most 50 pairs, no zero differences, no ties; [`super::signed_rank`]).
    SignedRankExact,
    /// A paired comparison's Wilcoxon signed-rank test, from the normal approximation with
    /// Pratt's zeros and tie and continuity corrections ([`super::signed_rank`]).
    SignedRankNormal,
}

/// The result of a Mann-Whitney U test of `new` against `base`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MannWhitney {
    /// `U` of the new sample: the number of pairs with `new > base`, ties counting one half.
    pub u_new: f64,
    /// `U_new / (n₁n₂)`: the probability that a random new value exceeds a random baseline
    /// value (ties half). 0.5 when neither sample tends to be larger.
    pub prob_new_greater: f64,
    /// The two-sided p-value, in `[0, 1]`.
    pub p_value: f64,
    /// How [`MannWhitney::p_value`] was computed.
    pub method: PValueMethod,
}

/// The two-sided Mann-Whitney U test of `new` against `base`.
///
/// Returns `None` when either sample is empty or holds a non-finite value (callers filter
/// those first; see [`crate::stats`]).
pub fn mann_whitney_u(base: &[f64], new: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (base.len(), new.len());
    if n1 == 0 || n2 == 0 || base.iter().chain(new).any(|v| !v.is_finite()) {
        return None;
    }
    // Pool, sort, and assign average ranks to tie groups.
    let mut pooled: Vec<(f64, bool)> = base
        .iter()
        .map(|&v| (v, false))
        .chain(new.iter().map(|&v| (v, true)))
        .collect();
    pooled.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let total = pooled.len();
    let mut rank_sum_new = 0.0;
    let mut tie_term = 0.0; // Σ (t³ − t)
    let mut i = 0;
    while i < total {
        let mut j = i + 1;
        // `==` rather than total_cmp so that 0.0 and -0.0 tie.
        while j < total && pooled[j].0 == pooled[i].0 {
            j += 1;
        }
        let t = (j - i) as f64;
        let avg_rank = (i + 1 + j) as f64 / 2.0; // ranks i+1 ..= j
        let new_in_group = pooled[i..j].iter().filter(|p| p.1).count() as f64;
        rank_sum_new += avg_rank * new_in_group;
        tie_term += t * t * t - t;
        i = j;
    }
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u_new = rank_sum_new - f2 * (f2 + 1.0) / 2.0;
    let pairs = f1 * f2;
    let (p_value, method) = // Saturating: n₁·n₂ must not wrap into the exact path (32-bit targets, huge runs).
    if tie_term == 0.0 && n1.saturating_mul(n2) <= EXACT_MAX_PAIRS {
        (exact_p_value(n1, n2, u_new), PValueMethod::Exact)
    } else {
        let nf = f1 + f2;
        let var = pairs / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
        let p = if var > 0.0 {
            let z = ((u_new - pairs / 2.0).abs() - 0.5).max(0.0) / var.sqrt();
            normal_two_sided_p(z)
        } else {
            1.0
        };
        (p, PValueMethod::NormalApproximation)
    };
    Some(MannWhitney {
        u_new,
        prob_new_greater: u_new / pairs,
        p_value: p_value.clamp(0.0, 1.0),
        method,
    })
}

/// Exact two-sided p-value for an integral `U` of samples of sizes `m` and `n`, no ties.
fn exact_p_value(m: usize, n: usize, u: f64) -> f64 {
    let max_u = m * n;
    let dist = u_null_counts(m, n);
    let total: f64 = dist.iter().sum();
    // U is an integer without ties; round away representation noise.
    let u = u.round().clamp(0.0, max_u as f64) as usize;
    let upper = u.max(max_u - u);
    let tail: f64 = dist[upper..].iter().sum();
    (2.0 * tail / total).min(1.0)
}

/// Number of orderings of `m` baseline and `n` new values giving each `U_new` in `0..=m·n`.
///
/// `g(i, k, u) = g(i, k−1, u−i) + g(i−1, k, u)`: the largest of `i` baseline and `k` new
/// values is either new (it beats all `i` baseline values) or a baseline one (it adds
/// nothing to `U_new`). Rows are kept for one `i` at a time.
fn u_null_counts(m: usize, n: usize) -> Vec<f64> {
    // prev[k]: the distribution for (i−1, k), of length (i−1)·k+1.
    let mut prev: Vec<Vec<f64>> = (0..=n).map(|_| vec![1.0]).collect(); // i = 0: U = 0
    for i in 1..=m {
        let mut cur: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        cur.push(vec![1.0]); // k = 0: U = 0
        for k in 1..=n {
            let mut row = vec![0.0; i * k + 1];
            for (u, &c) in cur[k - 1].iter().enumerate() {
                row[u + i] += c;
            }
            for (u, &c) in prev[k].iter().enumerate() {
                row[u] += c;
            }
            cur.push(row);
        }
        prev = cur;
    }
    prev.pop().unwrap_or_else(|| vec![1.0])
}

/// Two-sided tail of the standard normal: `P(|Z| ≥ z) = 2·(1 − Φ(|z|)) = erfc(|z|/√2)`.
///
/// `erfc` is `libm`'s (rust-lang's port of the musl/FreeBSD one: at most 3e-16 relative
/// error against mpmath over 0..26.5), so the far tail keeps full relative precision where
/// `1 − Φ(z)` from the CDF would cancel.
///
/// Not `statrs`: its `erfc` (and so `Normal::cdf`/`sf`) in 0.18 and 0.19.1 uses Boost's
/// per-interval constants truncated to 10 digits (Boost's are `float` literals), which puts
/// its relative error near 1e-10 for `|z|` in about 0.7–5, i.e. for p-values from 0.5 down
/// to 1e-6: the whole budget of the 1e-10 match with scipy.
pub fn normal_two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}
