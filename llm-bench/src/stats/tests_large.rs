//! The large-sample methods (`large.rs`) give the resampling bootstrap's answers: bound by
//! bound agreement, coverage, the same resampling distribution, reproducibility.
//!
//! Sizes are kept at or just above [`LARGE_N`] (1000) so that the reference bootstrap stays
//! fast in debug builds; agreement only improves with `n` (see `agreement_table`, which
//! measures it up to 20 000 in release).

use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};

use super::bootstrap::{quantile_replicates, replicates, Method, Statistic};
use super::compare::change;
use super::estimate::estimate_with;
use super::large::{binomial_ranks, quantile_interval, LARGE_N};
use super::rank_test::mann_whitney_u;
use super::*;

/// Log-normal latencies: median 200 (ms), σ of the log 0.3, as the benchmarks use.
const MEDIAN: f64 = 200.0;
const SIGMA: f64 = 0.3;

fn lognormal(seed: u64, n: usize, median: f64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let d = LogNormal::new(median.ln(), SIGMA).expect("valid parameters");
    (0..n).map(|_| d.sample(&mut rng)).collect()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The larger distance of the two bounds, relative to the reference interval's width.
fn bound_error(new: Interval, reference: Interval) -> f64 {
    let width = reference.upper - reference.lower;
    let worst = (new.lower - reference.lower)
        .abs()
        .max((new.upper - reference.upper).abs());
    worst / width
}

/// The reference bootstrap of these tests: 3000 resamples (Monte-Carlo error of a bound ≈
/// 1.2% of the width), fewer than the default so that debug builds stay fast.
fn reference_cfg(seed: u64) -> StatsConfig {
    StatsConfig {
        nresamples: 3000,
        seed,
        ..StatsConfig::default()
    }
}

/// Bound errors of mean, median, p90, p99 (large-sample vs resampling) for one sample.
fn estimate_errors(values: &[f64], cfg: &StatsConfig, method: Method) -> [f64; 4] {
    let new = estimate_with(values, cfg, method).expect("non-empty");
    let old = estimate_with(values, cfg, Method::ResampleValues).expect("non-empty");
    let pairs = [
        (new.mean, old.mean),
        (new.median, old.median),
        (new.p90, old.p90),
        (new.p99, old.p99),
    ];
    pairs.map(|(a, b)| match (a.interval, b.interval) {
        (Some(a), Some(b)) => bound_error(a, b),
        _ => f64::INFINITY,
    })
}

/// Bound errors of the median's and the p90's change intervals for one pair of samples.
fn change_errors(base: &[f64], new: &[f64], cfg: &StatsConfig, method: Method) -> [f64; 2] {
    let (base, new) = (sorted(base.to_vec()), sorted(new.to_vec()));
    [0.5, 0.9].map(|p| {
        let a = change(&base, &new, p, cfg, method).interval;
        let b = change(&base, &new, p, cfg, Method::ResampleValues).interval;
        match (a, b) {
            (Some(a), Some(b)) => bound_error(a, b),
            _ => f64::INFINITY,
        }
    })
}

#[test]
fn large_sample_estimates_agree_with_the_bootstrap() {
    for seed in 1..=3 {
        let values = lognormal(seed, LARGE_N, MEDIAN);
        let errors = estimate_errors(&values, &reference_cfg(seed), Method::BySize);
        eprintln!("n={LARGE_N} seed {seed}: mean, median, p90, p99 bound errors {errors:.3?}");
        for (stat, e) in ["mean", "median", "p90", "p99"].iter().zip(errors) {
            assert!(e <= 0.15, "{stat}: a bound is off by {e:.3} of the width");
        }
    }
}

#[test]
fn large_sample_change_intervals_agree_with_the_bootstrap() {
    for seed in 1..=3 {
        let base = lognormal(seed, LARGE_N, MEDIAN);
        let new = lognormal(seed + 100, LARGE_N + 200, MEDIAN * 1.1);
        let errors = change_errors(&base, &new, &reference_cfg(seed), Method::BySize);
        eprintln!("n={LARGE_N} seed {seed}: median, p90 change bound errors {errors:.3?}");
        for (stat, e) in ["median", "p90"].iter().zip(errors) {
            assert!(
                e <= 0.15,
                "{stat} change: a bound is off by {e:.3} of the width"
            );
        }
    }
}

/// The classical distribution-free interval `[x₍ₗ₎, x₍ᵤ₎]` (ranks from `Binomial(n, p)`).
fn classical_interval(sorted: &[f64], p: f64, confidence_level: f64) -> Interval {
    let (l, u) = binomial_ranks(sorted.len(), p, confidence_level);
    Interval {
        lower: sorted[l],
        upper: sorted[u],
    }
}

#[test]
fn order_statistic_intervals_have_nominal_coverage() {
    // True quantiles of the log-normal: median · e^{σ·Φ⁻¹(p)}.
    let cases = [(0.5, 0.0), (0.9, 1.281_551_565_544_600_5)];
    let trials = 200;
    for (p, z) in cases {
        let truth = MEDIAN * (SIGMA * z).exp();
        let (mut exact_bootstrap, mut classical) = (0, 0);
        for t in 0..trials {
            let v = sorted(lognormal(7_000 + t, 2000, MEDIAN));
            exact_bootstrap += usize::from(quantile_interval(&v, p, 0.95).contains(truth));
            classical += usize::from(classical_interval(&v, p, 0.95).contains(truth));
        }
        let rate = |k: usize| k as f64 / trials as f64;
        let (b, c) = (rate(exact_bootstrap), rate(classical));
        eprintln!(
            "p={p}, n=2000, {trials} trials: coverage {b:.3} (exact bootstrap), {c:.3} (classical)"
        );
        assert!((0.90..=0.99).contains(&b), "p={p}: coverage {b}");
        assert!((0.90..=0.99).contains(&c), "p={p}: classical coverage {c}");
    }
}

/// Largest distance between the empirical distribution functions of two samples.
fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    let (a, b) = (sorted(a.to_vec()), sorted(b.to_vec()));
    let cdf = |s: &[f64], x: f64| s.partition_point(|&v| v <= x) as f64 / s.len() as f64;
    a.iter()
        .chain(&b)
        .map(|&x| (cdf(&a, x) - cdf(&b, x)).abs())
        .fold(0.0, f64::max)
}

#[test]
fn rank_resampling_has_the_bootstrap_distribution() {
    // Small samples show any error in the ranks or the interpolation: here a resample's
    // quantile takes only a few dozen values. 20 000 replicates each: a two-sample KS
    // distance above 0.02 would have p < 0.001 if both followed the same distribution.
    let v = sorted(lognormal(5, 41, MEDIAN));
    for p in [0.1, 0.5, 0.9, 0.95] {
        let old = replicates(&v, Statistic::Quantile(p), 20_000, 1);
        let new = quantile_replicates(&v, p, 20_000, 2, Method::LargeSample);
        let d = ks_distance(&old, &new);
        assert!(d < 0.02, "p={p}: KS distance {d}");
    }
}

#[test]
fn small_samples_keep_the_resampled_intervals() {
    // Below LARGE_N nothing changed: BySize is the resampling bootstrap, bit for bit.
    let cfg = StatsConfig {
        nresamples: 100,
        ..StatsConfig::default()
    };
    let v = lognormal(9, LARGE_N - 1, MEDIAN);
    let w = lognormal(10, LARGE_N - 1, MEDIAN * 1.1);
    let by_size = estimate_with(&v, &cfg, Method::BySize);
    assert_eq!(by_size, estimate_with(&v, &cfg, Method::ResampleValues));
    let (v, w) = (sorted(v), sorted(w));
    let a = change(&v, &w, 0.5, &cfg, Method::BySize);
    assert_eq!(a, change(&v, &w, 0.5, &cfg, Method::ResampleValues));
    // From LARGE_N on, the large-sample intervals.
    let v = lognormal(9, LARGE_N, MEDIAN);
    let e = estimate(&v, &cfg).expect("non-empty");
    let median = e.median.interval.expect("large sample");
    assert_eq!(
        median,
        quantile_interval(&sorted(v), 0.5, cfg.confidence_level)
    );
}

#[test]
fn large_sample_intervals_are_reproducible_and_seeded() {
    let base = lognormal(11, 5000, MEDIAN);
    let new = lognormal(12, 5000, MEDIAN);
    let cfg = StatsConfig::default();
    let run = |cfg: &StatsConfig| {
        let c = compare(
            &base,
            &new,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            cfg,
        );
        (estimate(&new, cfg), c)
    };
    assert_eq!(run(&cfg), run(&cfg));
    let other = StatsConfig { seed: 1, ..cfg };
    let (e1, c1) = run(&cfg);
    let (e2, c2) = run(&other);
    // Estimates need no random numbers; the change intervals come from the seed.
    assert_eq!(e1, e2);
    assert_ne!(c1.median_change.interval, c2.median_change.interval);
    assert_eq!((c1.p_value, c1.verdict), (c2.p_value, c2.verdict));
    // nresamples = 0 still switches every interval off.
    let none = StatsConfig {
        nresamples: 0,
        ..cfg
    };
    let (e, c) = run(&none);
    assert!(e.expect("non-empty").median.interval.is_none());
    assert!(c.median_change.interval.is_none());
}

#[test]
fn mann_whitney_of_large_samples_uses_the_normal_approximation() {
    let base = lognormal(13, 100_000, MEDIAN);
    let new = lognormal(14, 100_000, MEDIAN * 1.01);
    let t = std::time::Instant::now();
    let r = mann_whitney_u(&base, &new).expect("non-empty");
    eprintln!("Mann-Whitney U of 100 000 a side: {:?}", t.elapsed());
    assert_eq!(r.method, PValueMethod::NormalApproximation);
    assert!(r.p_value < 1e-6 && r.prob_new_greater > 0.5, "{r:?}");
}

/// Bound errors of the classical interval of the p90 and the p99 against the bootstrap.
fn classical_errors(values: &[f64], cfg: &StatsConfig) -> [f64; 2] {
    let old = estimate_with(values, cfg, Method::ResampleValues).expect("non-empty");
    let v = sorted(values.to_vec());
    [(0.9, old.p90), (0.99, old.p99)].map(|(p, e)| match e.interval {
        Some(b) => bound_error(classical_interval(&v, p, cfg.confidence_level), b),
        None => f64::INFINITY,
    })
}

/// Seconds the resampling bootstrap takes for one metric of a run of `n` with a baseline
/// of `n`: the estimates' four intervals and the comparison's two change intervals.
fn old_analysis_seconds(n: usize, cfg: &StatsConfig) -> f64 {
    let base = sorted(lognormal(1, n, MEDIAN));
    let new = sorted(lognormal(2, n, MEDIAN));
    let t = std::time::Instant::now();
    let e = estimate_with(&new, cfg, Method::ResampleValues);
    let c = [0.5, 0.9].map(|p| change(&base, &new, p, cfg, Method::ResampleValues));
    std::hint::black_box((e, c));
    t.elapsed().as_secs_f64()
}

/// Agreement of the large-sample methods with the resampling bootstrap (10 000 resamples)
/// by sample size, and the old cost of a whole run's analysis at that size: the
/// measurement behind `LARGE_N`. Run with
/// `cargo test --release -p llm-bench --lib stats::tests_large::agreement_table -- --ignored --nocapture`.
#[test]
#[ignore]
fn agreement_table() {
    let cfg = StatsConfig::default();
    let seeds = 10;
    for n in [500, 1000, 1500, 2000, 3000, 5000, 10_000, 20_000] {
        let mut worst = [0.0f64; 8];
        let mut mean_err = [0.0f64; 8];
        for seed in 0..seeds {
            let base = lognormal(seed, n, MEDIAN);
            let new = lognormal(seed + 1000, n, MEDIAN * 1.05);
            let cfg = StatsConfig { seed, ..cfg };
            let e = estimate_errors(&new, &cfg, Method::LargeSample);
            let c = change_errors(&base, &new, &cfg, Method::LargeSample);
            let classical = classical_errors(&new, &cfg);
            for (i, x) in e.into_iter().chain(c).chain(classical).enumerate() {
                worst[i] = worst[i].max(x);
                mean_err[i] += x / seeds as f64;
            }
        }
        let per_run = old_analysis_seconds(n, &cfg) * 8.0; // 8 metrics a run
        eprintln!(
            "n={n:6}: mean/median/p90/p99/median change/p90 change/classical p90/classical p99: \
             average {:.3?}, worst {:.3?}; \
             old whole-run analysis ≈ {per_run:.2} s",
            mean_err, worst
        );
    }
}
