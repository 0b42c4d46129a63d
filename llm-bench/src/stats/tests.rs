//! Calibration on synthetic latency data, reference values, and property tests.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, LogNormal};

use super::rank_test::mann_whitney_u;
use super::*;

/// σ of the log for a coefficient of variation of 30%: `CV² = e^{σ²} − 1`.
fn sigma_cv30() -> f64 {
    1.09f64.ln().sqrt()
}

/// `n` log-normal values with median `median` and log-σ `sigma`.
fn lognormal(rng: &mut StdRng, n: usize, median: f64, sigma: f64) -> Vec<f64> {
    let d = LogNormal::new(median.ln(), sigma).expect("valid parameters");
    (0..n).map(|_| d.sample(rng)).collect()
}

/// Verdict counts over `trials` trials.
#[derive(Debug, Default, Clone, Copy)]
struct Rates {
    improved: usize,
    regressed: usize,
    no_change: usize,
    inconclusive: usize,
    trials: usize,
}

impl Rates {
    fn pct(&self, k: usize) -> f64 {
        100.0 * k as f64 / self.trials as f64
    }
}

/// Runs `trials` comparisons of log-normal samples (CV 30%, median 100 ms), `n` a side, the
/// new median scaled by `1 + shift`; trial `t` is seeded with `seed + t`.
fn simulate(n: usize, shift: f64, trials: usize, seed: u64, cfg: &StatsConfig) -> Rates {
    let mut r = Rates {
        trials,
        ..Rates::default()
    };
    let sigma = sigma_cv30();
    for t in 0..trials as u64 {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(t));
        let base = lognormal(&mut rng, n, 100e6, sigma);
        let new = lognormal(&mut rng, n, 100e6 * (1.0 + shift), sigma);
        let c = compare(
            &base,
            &new,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            cfg,
        );
        match c.verdict {
            Verdict::Improved => r.improved += 1,
            Verdict::Regressed => r.regressed += 1,
            Verdict::NoChange => r.no_change += 1,
            Verdict::Inconclusive(_) => r.inconclusive += 1,
        }
    }
    r
}

/// The default config without the bootstrap: verdicts do not depend on intervals (see
/// `verdict_does_not_depend_on_the_bootstrap`), and this keeps 200 trials fast in debug.
fn defaults_without_bootstrap() -> StatsConfig {
    StatsConfig {
        nresamples: 0,
        ..StatsConfig::default()
    }
}

const TRIALS: usize = 200;
const SEED: u64 = 20_240_601;

#[test]
fn verdict_does_not_depend_on_the_bootstrap() {
    let full = StatsConfig {
        nresamples: 500,
        ..StatsConfig::default()
    };
    let none = defaults_without_bootstrap();
    for (t, shift) in [0.0, 0.1, -0.1, 0.2].into_iter().enumerate() {
        let mut rng = StdRng::seed_from_u64(t as u64);
        let base = lognormal(&mut rng, 100, 1.0, sigma_cv30());
        let new = lognormal(&mut rng, 100, 1.0 + shift, sigma_cv30());
        let a = compare(
            &base,
            &new,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            &full,
        );
        let b = compare(
            &base,
            &new,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            &none,
        );
        assert_eq!(a.verdict, b.verdict);
        assert_eq!(a.p_value, b.p_value);
        assert_eq!(a.median_change.point, b.median_change.point);
        assert!(a.median_change.interval.is_some() && b.median_change.interval.is_none());
    }
}

#[test]
fn identical_distributions_are_no_change_at_the_defaults() {
    let cfg = defaults_without_bootstrap();
    for n in [100, 300] {
        let r = simulate(n, 0.0, TRIALS, SEED, &cfg);
        eprintln!(
            "identical, n={n} a side, {TRIALS} trials: no change {:.1}%, regressed {:.1}%, improved {:.1}%",
            r.pct(r.no_change),
            r.pct(r.regressed),
            r.pct(r.improved)
        );
        assert!(r.no_change * 100 >= 95 * TRIALS, "{r:?}");
    }
}

/// A sample size a side at which a ±10% shift is found in ≥ 95% of trials at the defaults.
/// The smallest is about 425 (1000 trials: 400 → 94.3%, 425 → 95.4%, 450 → 96.0%); 500
/// leaves a margin for the 200-trial estimate's own error (±1.5 points).
const N_FOR_10_PERCENT: usize = 500;

#[test]
fn ten_percent_shift_is_found_with_enough_samples() {
    let cfg = defaults_without_bootstrap();
    let up = simulate(N_FOR_10_PERCENT, 0.10, TRIALS, SEED, &cfg);
    let down = simulate(N_FOR_10_PERCENT, -0.10, TRIALS, SEED, &cfg);
    let up100 = simulate(100, 0.10, TRIALS, SEED, &cfg);
    let down100 = simulate(100, -0.10, TRIALS, SEED, &cfg);
    eprintln!(
        "+10%: regressed {:.1}% at n={N_FOR_10_PERCENT}, {:.1}% at n=100; \
         -10%: improved {:.1}% at n={N_FOR_10_PERCENT}, {:.1}% at n=100 ({TRIALS} trials)",
        up.pct(up.regressed),
        up100.pct(up100.regressed),
        down.pct(down.improved),
        down100.pct(down100.improved),
    );
    assert!(up.regressed * 100 >= 95 * TRIALS, "{up:?}");
    assert!(down.improved * 100 >= 95 * TRIALS, "{down:?}");
    // Never the wrong way.
    assert_eq!(
        up.improved + up100.improved + down.regressed + down100.regressed,
        0
    );
}

/// Smallest shift (in whole percent) found in ≥ 95% of trials at n = 100 a side, both ways.
const SHIFT_AT_100: f64 = 0.20;

#[test]
fn large_shift_is_found_at_100_samples() {
    let cfg = defaults_without_bootstrap();
    let up = simulate(100, SHIFT_AT_100, TRIALS, SEED, &cfg);
    let down = simulate(100, -SHIFT_AT_100, TRIALS, SEED, &cfg);
    eprintln!(
        "n=100, {TRIALS} trials: +{pct:.0}% regressed {:.1}%, -{pct:.0}% improved {:.1}%",
        up.pct(up.regressed),
        down.pct(down.improved),
        pct = SHIFT_AT_100 * 100.0,
    );
    assert!(up.regressed * 100 >= 95 * TRIALS, "{up:?}");
    assert!(down.improved * 100 >= 95 * TRIALS, "{down:?}");
}

/// Power table; run with
/// `cargo test --release -p llm-bench --lib stats::tests::power_table -- --ignored --nocapture`.
#[test]
#[ignore]
fn power_table() {
    let variants = [
        ("alpha=0.01 noise=5% (default)", 0.01, 0.05),
        ("alpha=0.05 noise=5%", 0.05, 0.05),
        ("alpha=0.05 noise=1%", 0.05, 0.01),
        ("alpha=0.01 noise=2%", 0.01, 0.02),
    ];
    for (name, alpha, noise) in variants {
        let cfg = StatsConfig {
            nresamples: 0,
            significance_level: alpha,
            noise_threshold: noise,
            ..StatsConfig::default()
        };
        eprintln!("== point rule, {name}");
        for n in [30, 50, 100, 200, 300, 350, 400, 500] {
            let mut line = format!("n={n:4}:");
            for shift in [0.0, 0.05, 0.10, -0.10, 0.15, 0.20, 0.25, 0.30] {
                let r = simulate(n, shift, 1000, SEED, &cfg);
                let hit = if shift > 0.0 {
                    r.regressed
                } else if shift < 0.0 {
                    r.improved
                } else {
                    r.no_change
                };
                line += &format!(" {:+.0}%:{:5.1}", shift * 100.0, r.pct(hit));
            }
            eprintln!("{line}");
        }
    }
}

/// The alternative rule (criterion's): the whole median-change interval beyond the noise
/// threshold, at criterion's α = 0.05 and our 5% threshold; run as `power_table`.
#[test]
#[ignore]
fn interval_rule_power() {
    let cfg = StatsConfig {
        nresamples: 1000,
        significance_level: 0.05,
        ..StatsConfig::default()
    };
    for n in [100, 500, 1600] {
        let mut line = format!("interval rule, n={n:4}:");
        for shift in [0.0, 0.10, 0.25] {
            let mut hits = 0;
            for t in 0..200u64 {
                let mut rng = StdRng::seed_from_u64(SEED + t);
                let base = lognormal(&mut rng, n, 1.0, sigma_cv30());
                let new = lognormal(&mut rng, n, 1.0 + shift, sigma_cv30());
                let c = compare(
                    &base,
                    &new,
                    ErrorCounts::default(),
                    Direction::LowerIsBetter,
                    &cfg,
                );
                let beyond = c.median_change.interval.is_some_and(|iv| {
                    iv.lower > cfg.noise_threshold || iv.upper < -cfg.noise_threshold
                });
                let flagged = c.p_value < cfg.significance_level && beyond;
                hits += usize::from(if shift == 0.0 { !flagged } else { flagged });
            }
            line += &format!(" {:+.0}%: {:.1}%", shift * 100.0, hits as f64 / 2.0);
        }
        eprintln!("{line}");
    }
}

/// Finer search around the 95% points at the defaults (1000 trials); run as `power_table`.
#[test]
#[ignore]
fn power_refine() {
    let cfg = defaults_without_bootstrap();
    for n in [400, 425, 450, 475, 500] {
        let up = simulate(n, 0.10, 1000, SEED, &cfg);
        let down = simulate(n, -0.10, 1000, SEED, &cfg);
        let up2 = simulate(n, 0.10, 1000, SEED + 7_777, &cfg);
        eprintln!(
            "n={n}: +10% {:.1}% / {:.1}% (second seed), -10% {:.1}%",
            up.pct(up.regressed),
            up2.pct(up2.regressed),
            down.pct(down.improved)
        );
    }
    for s in [0.16, 0.17, 0.18, 0.19, 0.20, 0.21, 0.22] {
        let up = simulate(100, s, 1000, SEED, &cfg);
        let down = simulate(100, -s, 1000, SEED, &cfg);
        eprintln!(
            "n=100: +{:.0}% {:.1}%, -{:.0}% {:.1}%",
            s * 100.0,
            up.pct(up.regressed),
            s * 100.0,
            down.pct(down.improved)
        );
    }
}

/// Runtime of `estimate` and `compare` at 10 000 resamples; run in release as `power_table`.
#[test]
#[ignore]
fn timing() {
    let cfg = StatsConfig::default();
    for n in [100, 1000] {
        let mut rng = StdRng::seed_from_u64(1);
        let base = lognormal(&mut rng, n, 1.0, sigma_cv30());
        let new = lognormal(&mut rng, n, 1.1, sigma_cv30());
        let t = std::time::Instant::now();
        let e = estimate(&base, &cfg);
        let te = t.elapsed();
        let t = std::time::Instant::now();
        let c = compare(
            &base,
            &new,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            &cfg,
        );
        let tc = t.elapsed();
        eprintln!(
            "n={n}: estimate {te:?}, compare {tc:?} ({:?} {:?})",
            e.map(|e| e.p99),
            c.verdict
        );
    }
}

// ---------------------------------------------------------------------------------------
// Mann-Whitney U against scipy 1.17 (`mannwhitneyu(new, base, alternative="two-sided")`).

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

#[test]
fn mann_whitney_exact_matches_scipy() {
    let cases: [(&[f64], &[f64], f64, f64); 3] = [
        // (base, new, U of new, exact two-sided p)
        (
            &[1.1, 2.3, 3.7, 4.2, 5.9],
            &[6.1, 7.4, 8.8, 9.0],
            20.0,
            0.015873015873015872,
        ),
        (
            &[1.0, 3.0, 5.0, 7.0, 9.0, 11.0],
            &[2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0],
            27.0,
            0.4452214452214452,
        ),
        (
            &[12.5, 3.1, 8.8, 10.2, 7.7, 15.0, 9.9, 4.4],
            &[14.1, 16.3, 9.5, 18.0, 13.3, 11.1, 17.2, 20.5, 6.6],
            58.0,
            0.03595228301110654,
        ),
    ];
    for (base, new, u, p) in cases {
        let r = mann_whitney_u(base, new).expect("non-empty");
        assert_eq!(r.method, PValueMethod::Exact);
        assert_eq!(r.u_new, u);
        assert!(close(r.p_value, p, 1e-12), "{} vs {p}", r.p_value);
        // Swapping the samples mirrors U and keeps the two-sided p-value.
        let s = mann_whitney_u(new, base).expect("non-empty");
        assert_eq!(s.u_new, (base.len() * new.len()) as f64 - u);
        assert!(close(s.p_value, p, 1e-12));
    }
}

#[test]
fn mann_whitney_normal_approximation_matches_scipy() {
    // Ties force the normal approximation (tie-corrected, continuity-corrected).
    let cases: [(&[f64], &[f64], f64, f64); 2] = [
        (
            &[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0],
            &[3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0, 8.0],
            64.5,
            0.006373133838085873,
        ),
        (
            &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 3.0],
            &[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 4.0],
            64.5,
            0.02425231169852873,
        ),
    ];
    for (base, new, u, p) in cases {
        let r = mann_whitney_u(base, new).expect("non-empty");
        assert_eq!(r.method, PValueMethod::NormalApproximation);
        assert_eq!(r.u_new, u);
        assert!(close(r.p_value, p, 1e-10), "{} vs {p}", r.p_value);
    }
    // 60 × 70 values without ties: beyond the exact limit.
    let r = mann_whitney_u(&LARGE_BASE, &LARGE_NEW).expect("non-empty");
    assert_eq!(r.method, PValueMethod::NormalApproximation);
    assert_eq!(r.u_new, 2535.0);
    assert!(
        close(r.p_value, 0.04244017985866309, 1e-10),
        "{}",
        r.p_value
    );
}

#[test]
fn mann_whitney_edge_cases() {
    assert!(mann_whitney_u(&[], &[1.0]).is_none());
    assert!(mann_whitney_u(&[1.0, f64::NAN], &[1.0]).is_none());
    // All values tied: no evidence at all.
    let r = mann_whitney_u(&[5.0; 12], &[5.0; 30]).expect("non-empty");
    assert_eq!(r.p_value, 1.0);
    assert_eq!(r.prob_new_greater, 0.5);
    // Complete separation, exact: p = 2 / C(20, 10).
    let base: Vec<f64> = (0..10).map(f64::from).collect();
    let new: Vec<f64> = (10..20).map(f64::from).collect();
    let r = mann_whitney_u(&base, &new).expect("non-empty");
    assert!(close(r.p_value, 2.0 / 184_756.0, 1e-12));
    assert_eq!(r.prob_new_greater, 1.0);
}

#[test]
fn erfc_matches_reference_values() {
    // Python's math.erfc, against the `libm` erfc behind `normal_two_sided_p` (held to the
    // same 1e-12 as the series it replaced; statrs 0.18's erfc fails this at 0.5).
    let table = [
        (0.0, 1.0),
        (0.1, 0.8875370839817152),
        (0.5, 0.4795001221869535),
        (1.0, 0.15729920705028513),
        (1.5, 0.033894853524689274),
        (1.99, 0.004888586800383003),
        (2.0, 0.004677734981047265),
        (2.5, 0.0004069520174449589),
        (3.0, 2.2090496998585438e-05),
        (5.0, 1.5374597944280351e-12),
        (10.0, 2.088487583762545e-45),
        (26.0, 5.663192408856143e-296),
    ];
    for (x, y) in table {
        let erfc = libm::erfc;
        assert!(close(erfc(x), y, 1e-12), "erfc({x}) = {}", erfc(x));
        assert!(close(erfc(-x), 2.0 - y, 1e-12), "erfc(-{x}) = {}", erfc(-x));
        // The two-sided normal tail at z = x√2 is erfc(x), for either sign of z.
        let z = x * std::f64::consts::SQRT_2;
        for z in [z, -z] {
            let p = rank_test::normal_two_sided_p(z);
            assert!(close(p, y, 1e-12), "normal_two_sided_p({z}) = {p}");
        }
    }
    assert_eq!(rank_test::normal_two_sided_p(f64::INFINITY), 0.0);
    assert!(close(
        rank_test::normal_two_sided_p(1.959963984540054),
        0.05,
        1e-9
    ));
}

const LARGE_BASE: [f64; 60] = [
    1.10924, 1.279521, 1.104211, 0.676416, 1.312071, 1.143293, 0.851219, 1.190455, 1.115577,
    1.09225, 1.008563, 1.178231, 0.801768, 0.952302, 0.865337, 1.196803, 1.011988, 0.916002,
    0.790909, 0.925744, 1.002446, 0.920645, 1.474353, 1.352585, 0.443371, 0.567393, 0.948919,
    0.881036, 1.066191, 1.067369, 1.887686, 0.716336, 0.892899, 1.84565, 1.21411, 1.220083,
    0.857099, 0.609923, 1.051523, 1.033245, 0.691975, 0.814673, 0.978619, 0.753199, 0.970949,
    1.029059, 1.010733, 0.859085, 1.194974, 1.306498, 1.101039, 0.782337, 1.245448, 0.860336,
    1.3018, 0.725034, 1.315662, 0.993999, 0.687547, 0.910128,
];
const LARGE_NEW: [f64; 70] = [
    1.123255, 1.199419, 0.823117, 0.792778, 1.173365, 0.960766, 1.186078, 1.387989, 0.673925,
    1.192815, 1.59583, 1.0108, 0.866542, 1.384963, 1.192479, 1.445948, 0.996442, 0.708542,
    1.069292, 0.966815, 1.394585, 1.171271, 0.677562, 0.772171, 1.440711, 1.355174, 0.912039,
    1.104823, 1.26323, 1.271912, 1.437453, 1.193566, 1.074173, 1.022597, 1.516982, 0.562561,
    1.060143, 1.116166, 0.720648, 1.221212, 0.909024, 1.431515, 1.064305, 1.350866, 1.593054,
    1.239712, 0.849832, 0.701668, 1.870144, 1.068881, 0.898913, 1.15405, 1.043496, 1.427098,
    1.116477, 1.109739, 0.891924, 1.272356, 0.810455, 1.349544, 1.745745, 0.699489, 0.527362,
    1.329847, 2.373509, 0.818504, 0.759414, 1.318758, 0.858802, 0.949511,
];

// ---------------------------------------------------------------------------------------
// Verdicts, config, serde.

#[test]
fn inconclusive_reasons_and_their_words() {
    let cfg = StatsConfig::default();
    let v: Vec<f64> = (1..=40).map(f64::from).collect();
    let few = compare(
        &v,
        &v[..4],
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &cfg,
    );
    assert_eq!(
        few.verdict,
        Verdict::Inconclusive(InconclusiveReason::TooFewSamples {
            side: Side::New,
            n: 4,
            min: 10
        })
    );
    assert_eq!(
        few.verdict.to_string(),
        "inconclusive: only 4 samples in the new run (need 10)"
    );
    let errors = ErrorCounts {
        base_failed: 3,
        new_failed: 0,
    };
    let err = compare(&v, &v, errors, Direction::LowerIsBetter, &cfg);
    assert!(matches!(
        err.verdict,
        Verdict::Inconclusive(InconclusiveReason::TooManyErrors {
            side: Side::Base,
            failed: 3,
            total: 43,
            ..
        })
    ));
    assert_eq!(
        err.verdict.to_string(),
        "inconclusive: 3 of 43 requests failed in the baseline (7.0%, more than 5.0%)"
    );
    // 2 of 42 (4.8%) is within the default 5%.
    let ok = ErrorCounts {
        base_failed: 2,
        new_failed: 2,
    };
    assert_eq!(
        compare(&v, &v, ok, Direction::LowerIsBetter, &cfg).verdict,
        Verdict::NoChange
    );
    let zeros = vec![0.0; 20];
    assert_eq!(
        compare(
            &zeros,
            &v,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            &cfg
        )
        .verdict,
        Verdict::Inconclusive(InconclusiveReason::NonPositiveBaseline)
    );
    assert_eq!(Verdict::Regressed.to_string(), "regressed");
    assert_eq!(Verdict::Improved.to_string(), "improved");
    assert_eq!(Verdict::NoChange.to_string(), "no change (within noise)");
}

#[test]
fn direction_decides_good_and_bad() {
    let cfg = StatsConfig::default();
    let base: Vec<f64> = (0..50).map(|i| 100.0 + f64::from(i)).collect();
    let slower: Vec<f64> = base.iter().map(|v| v * 1.5).collect();
    let c = compare(
        &base,
        &slower,
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &cfg,
    );
    assert_eq!(c.verdict, Verdict::Regressed);
    assert!(c.verdict.is_regression());
    assert!((c.median_change.point - 0.5).abs() < 1e-12);
    let iv = c.median_change.interval.expect("50 a side");
    assert!(
        iv.lower > 0.3 && iv.upper < 0.7 && iv.contains(0.5),
        "{iv:?}"
    );
    // Tokens per second: larger is better.
    let c = compare(
        &base,
        &slower,
        ErrorCounts::default(),
        Direction::HigherIsBetter,
        &cfg,
    );
    assert_eq!(c.verdict, Verdict::Improved);
    let c = compare(
        &slower,
        &base,
        ErrorCounts::default(),
        Direction::HigherIsBetter,
        &cfg,
    );
    assert_eq!(c.verdict, Verdict::Regressed);
    assert_eq!(
        Direction::of(crate::metrics::Metric::Ttft),
        Direction::LowerIsBetter
    );
    assert_eq!(
        Direction::of(crate::metrics::Metric::TokensPerSecond),
        Direction::HigherIsBetter
    );
}

#[test]
fn significant_but_within_noise_is_no_change() {
    // A 3% shift with 2000 values a side and tiny spread: highly significant, within 5%.
    let mut rng = StdRng::seed_from_u64(3);
    let base = lognormal(&mut rng, 2000, 1.0, 0.05);
    let new = lognormal(&mut rng, 2000, 1.03, 0.05);
    let c = compare(
        &base,
        &new,
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &defaults_without_bootstrap(),
    );
    assert!(c.p_value < 1e-10);
    assert_eq!(c.verdict, Verdict::NoChange);
}

#[test]
fn validate_rejects_out_of_range_values() {
    let ok = StatsConfig::default();
    assert_eq!(ok.validate(), Ok(()));
    let bad = [
        StatsConfig {
            confidence_level: 1.0,
            ..ok
        },
        StatsConfig {
            confidence_level: f64::NAN,
            ..ok
        },
        StatsConfig {
            significance_level: 0.0,
            ..ok
        },
        StatsConfig {
            noise_threshold: -0.01,
            ..ok
        },
        StatsConfig {
            noise_threshold: f64::INFINITY,
            ..ok
        },
        StatsConfig {
            min_samples: 1,
            ..ok
        },
        StatsConfig {
            max_error_rate: 1.5,
            ..ok
        },
    ];
    for cfg in bad {
        let err = cfg.validate().expect_err("out of range");
        assert!(err.to_string().contains("got"), "{err}");
    }
    assert_eq!(
        StatsConfig {
            confidence_level: 95.0,
            ..ok
        }
        .validate()
        .map_err(|e| e.to_string()),
        Err("confidence level must be between 0 and 1 (exclusive), e.g. 0.95; got 95".into())
    );
    // nresamples = 0 is allowed: no intervals.
    assert_eq!(
        StatsConfig {
            nresamples: 0,
            ..ok
        }
        .validate(),
        Ok(())
    );
}

#[test]
fn invalid_config_never_panics() {
    let cfg = StatsConfig {
        nresamples: 3,
        confidence_level: f64::NAN,
        significance_level: f64::NAN,
        noise_threshold: f64::NAN,
        seed: 0,
        min_samples: 0,
        max_error_rate: f64::NAN,
    };
    let v = [1.0, 2.0, f64::NAN, 3.0];
    let e = estimate(&v, &cfg).expect("finite values");
    assert!(e.median.interval.is_none());
    let c = compare(
        &v,
        &[],
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &cfg,
    );
    assert!(matches!(c.verdict, Verdict::Inconclusive(_)));
    let c = compare(
        &[],
        &[],
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &cfg,
    );
    assert!(matches!(c.verdict, Verdict::Inconclusive(_)));
    assert_eq!(c.p_value, 1.0);
}

#[test]
fn results_round_trip_through_json() {
    let cfg = StatsConfig::default();
    let v: Vec<f64> = (1..=60).map(|i| f64::from(i) * 1e6).collect();
    let w: Vec<f64> = v.iter().map(|x| x * 1.2).collect();
    let e = estimate(&v, &cfg).expect("non-empty");
    // serde_json (without its `float_roundtrip` feature) may move a float's last bit.
    let near = |a: f64, b: f64| (a - b).abs() <= 1e-14 * a.abs().max(b.abs());
    let back: Estimates =
        serde_json::from_str(&serde_json::to_string(&e).expect("json")).expect("parse");
    assert_eq!(back.n, e.n);
    assert!(near(back.p90.point, e.p90.point));
    let iv = (back.median.interval, e.median.interval);
    assert!(matches!(iv, (Some(a), Some(b)) if near(a.lower, b.lower) && near(a.upper, b.upper)));
    let few = compare(
        &v,
        &w[..3],
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &cfg,
    );
    for c in [
        compare(
            &v,
            &w,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            &cfg,
        ),
        few,
    ] {
        let json = serde_json::to_string(&c).expect("json");
        let back: Comparison = serde_json::from_str(&json).expect("parse");
        assert_eq!(back.verdict, c.verdict);
        assert_eq!(
            (back.n_base, back.n_new, back.p_value_method),
            (c.n_base, c.n_new, c.p_value_method)
        );
        assert!(
            near(back.p_value, c.p_value) && near(back.median_change.point, c.median_change.point)
        );
    }
    let json = serde_json::to_string(&cfg).expect("json");
    assert_eq!(
        serde_json::from_str::<StatsConfig>(&json).expect("parse"),
        cfg
    );
    // Missing fields take their defaults.
    let partial: StatsConfig = serde_json::from_str(r#"{"noise_threshold":0.1}"#).expect("parse");
    assert_eq!(
        partial,
        StatsConfig {
            noise_threshold: 0.1,
            ..cfg
        }
    );
}

// ---------------------------------------------------------------------------------------
// Properties of the estimators.

fn small_cfg(seed: u64) -> StatsConfig {
    StatsConfig {
        nresamples: 200,
        seed,
        ..StatsConfig::default()
    }
}

fn sample() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(1e-3f64..1e6, 1..80)
}

fn estimates_of(e: &Estimates) -> [Estimate; 4] {
    [e.mean, e.median, e.p90, e.p99]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn points_lie_within_the_sample_and_intervals_are_ordered(v in sample(), seed in any::<u64>()) {
        let e = estimate(&v, &small_cfg(seed)).expect("non-empty");
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        prop_assert_eq!(e.n, v.len());
        for est in estimates_of(&e) {
            prop_assert!(lo <= est.point && est.point <= hi);
            if let Some(iv) = est.interval {
                prop_assert!(lo <= iv.lower && iv.lower <= iv.upper && iv.upper <= hi);
            }
        }
        prop_assert!(e.median.point <= e.p90.point && e.p90.point <= e.p99.point);
        prop_assert_eq!(e.median.interval.is_some(), v.len() >= 10);
        prop_assert_eq!(e.p90.interval.is_some(), v.len() >= 50);
        prop_assert!(e.p99.interval.is_none());
    }

    #[test]
    fn scaling_the_values_scales_the_estimates(v in sample(), c in 1e-3f64..1e3) {
        let cfg = small_cfg(9);
        let e = estimate(&v, &cfg).expect("non-empty");
        let scaled: Vec<f64> = v.iter().map(|x| x * c).collect();
        let s = estimate(&scaled, &cfg).expect("non-empty");
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs());
        for (a, b) in estimates_of(&e).into_iter().zip(estimates_of(&s)) {
            prop_assert!(near(a.point * c, b.point), "{} {}", a.point * c, b.point);
            match (a.interval, b.interval) {
                (Some(x), Some(y)) => {
                    prop_assert!(near(x.lower * c, y.lower) && near(x.upper * c, y.upper));
                }
                (None, None) => {}
                _ => prop_assert!(false, "interval presence changed"),
            }
        }
    }

    #[test]
    fn a_constant_sample_has_zero_width_intervals(x in 1e-3f64..1e9, n in 10usize..120) {
        let v = vec![x; n];
        let e = estimate(&v, &small_cfg(1)).expect("non-empty");
        for est in estimates_of(&e) {
            prop_assert_eq!(est.point, x);
            if let Some(iv) = est.interval {
                prop_assert_eq!((iv.lower, iv.upper), (x, x));
            }
        }
        prop_assert_eq!(e.median.interval, Some(Interval { lower: x, upper: x }));
    }

    #[test]
    fn the_same_seed_gives_the_same_result(v in sample(), seed in any::<u64>()) {
        let cfg = small_cfg(seed);
        prop_assert_eq!(estimate(&v, &cfg), estimate(&v, &cfg));
        let w: Vec<f64> = v.iter().rev().map(|x| x * 1.1).collect();
        let a = compare(&v, &w, ErrorCounts::default(), Direction::LowerIsBetter, &cfg);
        let b = compare(&v, &w, ErrorCounts::default(), Direction::LowerIsBetter, &cfg);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn a_sample_compared_with_itself_shows_no_change(v in prop::collection::vec(1e-3f64..1e6, 10..80)) {
        let c = compare(&v, &v, ErrorCounts::default(), Direction::LowerIsBetter, &small_cfg(5));
        prop_assert!(c.p_value > 0.999, "p = {}", c.p_value);
        prop_assert_eq!(c.median_change.point, 0.0);
        prop_assert_eq!(c.p90_change.point, 0.0);
        prop_assert_eq!(c.verdict, Verdict::NoChange);
        let iv = c.median_change.interval.expect("n >= 10");
        prop_assert!(iv.lower <= 0.0 && 0.0 <= iv.upper);
    }

    #[test]
    fn non_finite_values_never_panic(
        v in prop::collection::vec(prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), -1e6f64..1e6], 0..40),
        w in prop::collection::vec(prop_oneof![Just(f64::NAN), -1e6f64..1e6], 0..40),
    ) {
        let cfg = small_cfg(2);
        let finite = v.iter().filter(|x| x.is_finite()).count();
        prop_assert_eq!(estimate(&v, &cfg).map(|e| e.n), (finite > 0).then_some(finite));
        let c = compare(&v, &w, ErrorCounts { base_failed: 1, new_failed: 0 }, Direction::HigherIsBetter, &cfg);
        prop_assert!((0.0..=1.0).contains(&c.p_value));
        prop_assert!(c.median_change.point.is_finite() && c.p90_change.point.is_finite());
    }
}
