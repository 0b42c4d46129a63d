//! The Kolmogorov–Smirnov goodness-of-fit test, for the tests that check arrival times
//! (the schedule as computed, and as delivered).

/// The Kolmogorov–Smirnov statistic D = supₓ |Fₙ(x) − F(x)| of a sample against a
/// continuous CDF.
pub(crate) fn ks_statistic(sample: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut sorted = sample.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max)
}

/// The Kolmogorov distribution's survival function
/// Q(λ) = 2 Σₖ₌₁^∞ (−1)^(k−1) e^(−2k²λ²) (1 below λ = 0.2, where the series converges
/// too slowly and Q differs from 1 by less than 1e-15).
pub(crate) fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100u32 {
        let kf = f64::from(k);
        let term = (-2.0 * kf * kf * lambda * lambda).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-16 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// The asymptotic p-value of D for n values, with Stephens' small-sample correction
/// λ = (√n + 0.12 + 0.11/√n)·D (Numerical Recipes' `probks`).
pub(crate) fn ks_p_value(d: f64, n: usize) -> f64 {
    let root = (n as f64).sqrt();
    kolmogorov_q((root + 0.12 + 0.11 / root) * d)
}

/// The p-value of the KS test that `gaps` are exponential with mean 1/`rate`.
pub(crate) fn exponential_fit(gaps: &[f64], rate: f64) -> f64 {
    let d = ks_statistic(gaps, |x| 1.0 - (-rate * x).exp());
    ks_p_value(d, gaps.len())
}
