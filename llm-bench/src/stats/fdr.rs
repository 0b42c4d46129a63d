//! The Benjamini-Hochberg adjustment of many p-values (false discovery rate).

/// Benjamini-Hochberg adjusted p-values (q-values) of `p_values`, in the input order.
///
/// With the `m` p-values sorted ascending, `p₍₁₎ ≤ … ≤ p₍ₘ₎`, the `i`-th gets
/// `q₍ᵢ₎ = min_{j ≥ i} min(1, m·p₍ⱼ₎/j)` (R's `p.adjust(p, "BH")`, statsmodels'
/// `fdr_bh`). Flagging the comparisons with `q < α` keeps the expected share of false
/// alarms among the flagged ones at most `α` when the tests are independent or positively
/// dependent (PRDS); see the [module docs](super).
///
/// A NaN p-value is taken as 1 (no evidence); other values are clamped to `[0, 1]`. Equal
/// p-values get equal q-values, `q ≥ p` (up to rounding), and the order of the p-values is
/// kept (`pᵢ ≤ pⱼ ⇒ qᵢ ≤ qⱼ`). An empty input gives an empty output.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let p: Vec<f64> = p_values
        .iter()
        .map(|&v| if v.is_nan() { 1.0 } else { v.clamp(0.0, 1.0) })
        .collect();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        let j = (rank + 1) as f64;
        running = running.min((m as f64 * p[i] / j).min(1.0));
        q[i] = running;
    }
    q
}
