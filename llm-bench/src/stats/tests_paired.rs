//! Paired comparison, the signed-rank test and the Benjamini-Hochberg adjustment.

use proptest::prelude::*;

use super::paired::block_len;
use super::signed_rank::{
    exact_p_value, normal_p_value, w_plus_null_counts, wilcoxon_signed_rank, EXACT_MAX_N,
};
use super::*;
use crate::rng::Rng;

/// Two-sided exact p-value of `W⁺ = w` for ranks `1..=n` by enumerating all `2ⁿ` sign
/// patterns (independent of the recurrence).
fn brute_force_p(n: usize, w: usize) -> f64 {
    let total = n * (n + 1) / 2;
    let upper = w.max(total - w);
    let mut hits = 0u64;
    for mask in 0u32..(1u32 << n) {
        let s: usize = (0..n).filter(|k| mask >> k & 1 == 1).map(|k| k + 1).sum();
        if s >= upper {
            hits += 1;
        }
    }
    (2.0 * hits as f64 / f64::from(1u32 << n)).min(1.0)
}

#[test]
fn exact_signed_rank_matches_brute_force_enumeration() {
    for n in 1..=12 {
        let counts = w_plus_null_counts(n);
        assert_eq!(counts.len(), n * (n + 1) / 2 + 1);
        assert_eq!(counts.iter().sum::<f64>(), f64::from(1u32 << n), "n={n}");
        for w in 0..=n * (n + 1) / 2 {
            let (e, b) = (exact_p_value(n, w as f64), brute_force_p(n, w));
            assert!((e - b).abs() < 1e-15, "n={n} w={w}: {e} vs {b}");
        }
    }
    // Through the public test, on differences with those ranks: magnitudes k, signs from a
    // seeded draw.
    let mut rng = Rng::new(3);
    for n in 1..=12 {
        for _ in 0..5 {
            let d: Vec<f64> = (1..=n)
                .map(|k| {
                    let sign = if rng.next_u64() & 1 == 1 { 1.0 } else { -1.0 };
                    sign * (k as f64 * 0.37 + 0.01)
                })
                .collect();
            let w: usize = d
                .iter()
                .enumerate()
                .filter(|(_, &v)| v > 0.0)
                .map(|(k, _)| k + 1)
                .sum();
            let r = wilcoxon_signed_rank(&d).expect("finite, non-empty");
            assert_eq!(r.method, PValueMethod::SignedRankExact);
            assert_eq!(r.w_plus, w as f64);
            assert_eq!(r.p_value, brute_force_p(n, w), "n={n} d={d:?}");
        }
    }
}

#[test]
fn exact_signed_rank_matches_scipy_reference_values() {
    // scipy.stats.wilcoxon docs example: statistic = W⁻ = 24, pvalue = 0.041259765625
    // (two-sided, exact); 1352 of the 2¹⁵ sign patterns are as extreme.
    let d = [
        6.0, 8.0, 14.0, 16.0, 23.0, 24.0, 28.0, 29.0, 41.0, -48.0, 49.0, 56.0, 60.0, -67.0, 75.0,
    ];
    let r = wilcoxon_signed_rank(&d).expect("valid");
    assert_eq!(r.method, PValueMethod::SignedRankExact);
    assert_eq!(r.w_plus, 120.0 - 24.0);
    assert_eq!(r.null_mean, 60.0);
    assert_eq!(r.p_value, 0.041259765625);
    assert_eq!(brute_force_p(15, 24), 0.041259765625);
    // All n positive: 2/2ⁿ (wilcoxon(range(1, 6)) = 0.0625, n = 10: 0.001953125).
    let r = wilcoxon_signed_rank(&[1.0, 2.0, 3.0, 4.0, 5.0]).expect("valid");
    assert_eq!(r.p_value, 0.0625);
    let ten: Vec<f64> = (1..=10).map(|k| -f64::from(k)).collect();
    assert_eq!(
        wilcoxon_signed_rank(&ten).expect("valid").p_value,
        0.001953125
    );
    // Invalid input.
    assert!(wilcoxon_signed_rank(&[]).is_none());
    assert!(wilcoxon_signed_rank(&[1.0, f64::NAN]).is_none());
}

#[test]
fn normal_approximation_is_close_to_the_exact_distribution_at_40() {
    let n = 40usize;
    let (nf, total) = (n as f64, n * (n + 1) / 2);
    let (mean, var) = (
        nf * (nf + 1.0) / 4.0,
        nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0,
    );
    // Worst relative error for exact p ≥ 0.05 and ≥ 0.01, worst absolute error overall.
    let (mut rel05, mut rel01, mut abs_all): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for w in 0..=total {
        let exact = exact_p_value(n, w as f64);
        let approx = normal_p_value(w as f64, mean, var);
        let err = (approx - exact).abs();
        abs_all = abs_all.max(err);
        if exact >= 0.05 {
            rel05 = rel05.max(err / exact);
        }
        if exact >= 0.01 {
            rel01 = rel01.max(err / exact);
        }
    }
    eprintln!(
        "signed rank n=40, normal vs exact: worst relative error {rel05:.4} (p >= 0.05), \
         {rel01:.4} (p >= 0.01), worst absolute error {abs_all:.5}"
    );
    assert!(rel05 < 0.02 && rel01 < 0.12 && abs_all < 0.005);
    // Near the significance level (exact p ≈ 0.01) the approximation is within 12%.
    let w01 = (0..=total)
        .rev()
        .find(|&w| exact_p_value(n, w as f64) >= 0.01)
        .expect("some W has p ≥ 0.01");
    let (e, a) = (
        exact_p_value(n, w01 as f64),
        normal_p_value(w01 as f64, mean, var),
    );
    assert!((a - e).abs() < 0.12 * e, "W={w01}: {a} vs {e}");
    // The switch: exact up to 50 distinct non-zero differences, normal beyond.
    let d: Vec<f64> = (1..=EXACT_MAX_N).map(|k| k as f64).collect();
    let r = wilcoxon_signed_rank(&d).expect("valid");
    assert_eq!(r.method, PValueMethod::SignedRankExact);
    let d: Vec<f64> = (1..=EXACT_MAX_N + 1).map(|k| k as f64).collect();
    let r = wilcoxon_signed_rank(&d).expect("valid");
    assert_eq!(r.method, PValueMethod::SignedRankNormal);
}

#[test]
fn signed_rank_zeros_by_pratt_and_ties_use_the_normal_approximation() {
    // |d| ranked with the zero: 0 → 1, 1, 1 → 2.5 each, 2 → 4, 3 → 5; W⁺ = 2.5 + 2.5 + 4 = 9.
    // μ = (5·6 − 1·2)/4 = 7; σ² = (5·6·11 − 1·2·3)/24 − (2³ − 2)/48 = 13.375;
    // p = erfc((|9 − 7| − ½)/σ/√2) = 0.681694774918299 (by hand, python's math.erfc).
    let r = wilcoxon_signed_rank(&[1.0, 1.0, 2.0, -3.0, 0.0]).expect("valid");
    assert_eq!(r.method, PValueMethod::SignedRankNormal);
    assert_eq!((r.w_plus, r.null_mean, r.n, r.zeros), (9.0, 7.0, 5, 1));
    assert!(
        (r.p_value - 0.681694774918299).abs() < 1e-12,
        "{}",
        r.p_value
    );
    // A zero alone forces the normal approximation; all zeros give p = 1.
    let r = wilcoxon_signed_rank(&[0.0, 1.0, 2.0, 3.0]).expect("valid");
    assert_eq!(r.method, PValueMethod::SignedRankNormal);
    assert_eq!(
        wilcoxon_signed_rank(&[0.0, -0.0, 0.0])
            .expect("valid")
            .p_value,
        1.0
    );
}

#[test]
fn benjamini_hochberg_matches_a_hand_computed_example() {
    // Sorted: 0.005, 0.01, 0.03, 0.04 → m·p/j = 0.02, 0.02, 0.04, 0.04 → running minimum
    // from the top: 0.02, 0.02, 0.04, 0.04 (R: p.adjust(c(.01, .04, .03, .005), "BH")).
    let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
    let expect = [0.02, 0.04, 0.04, 0.02];
    for (a, b) in q.iter().zip(expect) {
        assert!((a - b).abs() < 1e-15, "{q:?}");
    }
    // The step-up minimum: 0.04·3/2 = 0.06 is lowered to the 0.05 of the largest.
    let q = benjamini_hochberg(&[0.04, 0.05, 0.001]);
    let expect = [0.05, 0.05, 0.003];
    for (a, b) in q.iter().zip(expect) {
        assert!((a - b).abs() < 1e-15, "{q:?}");
    }
    // NaN as 1, capped at 1, single and empty inputs.
    assert_eq!(benjamini_hochberg(&[f64::NAN, 0.9]), vec![1.0, 1.0]);
    assert_eq!(benjamini_hochberg(&[0.003]), vec![0.003]);
    assert!(benjamini_hochberg(&[]).is_empty());
}

proptest! {
    #[test]
    fn benjamini_hochberg_keeps_order_and_bounds(p in proptest::collection::vec(0.0f64..=1.0, 1..40)) {
        let q = benjamini_hochberg(&p);
        prop_assert_eq!(q.len(), p.len());
        let m = p.len() as f64;
        for i in 0..p.len() {
            prop_assert!(q[i] >= p[i] * (1.0 - 1e-12) && q[i] <= 1.0);
            prop_assert!(q[i] <= (m * p[i]).min(1.0) * (1.0 + 1e-12)); // never worse than Bonferroni
            for j in 0..p.len() {
                if p[i] <= p[j] {
                    prop_assert!(q[i] <= q[j], "order: p {} <= {} but q {} > {}", p[i], p[j], q[i], q[j]);
                }
            }
        }
        // Invariant under permutation of the input (reversed here).
        let rev: Vec<f64> = p.iter().rev().copied().collect();
        let q_rev = benjamini_hochberg(&rev);
        for (a, b) in q.iter().zip(q_rev.iter().rev()) {
            prop_assert_eq!(a, b);
        }
    }
}

/// One trial's data: `n` pairs whose two values share the drift factor `e^{x_t}` of their
/// moment `t` (`x` an AR(1) path with stationary law N(0, 0.2²) and lag-1 correlation
/// `phi`; `phi = 0`: an independent factor per pair), each value with its own log-normal
/// noise σ = 0.1, the new side scaled by `1 + shift`. Also returns a second new run
/// measured at the *next* `n` moments of the same drift path (a later drift phase).
fn drifting_pairs(rng: &mut Rng, n: usize, shift: f64, phi: f64) -> [Vec<f64>; 3] {
    let (drift_sd, noise) = (0.2, 0.1);
    let innov = (1.0 - phi * phi).sqrt() * drift_sd;
    let mut x = drift_sd * rng.standard_normal();
    let mut path = Vec::with_capacity(2 * n);
    for _ in 0..2 * n {
        path.push(x);
        x = phi * x + innov * rng.standard_normal();
    }
    let mut value = |d: f64, scale: f64| 100e6 * scale * (d + noise * rng.standard_normal()).exp();
    let base: Vec<f64> = path[..n].iter().map(|&d| value(d, 1.0)).collect();
    let new: Vec<f64> = path[..n].iter().map(|&d| value(d, 1.0 + shift)).collect();
    let later: Vec<f64> = path[n..].iter().map(|&d| value(d, 1.0 + shift)).collect();
    [base, new, later]
}

/// Share (percent) of `trials` verdicts that are regressed or improved.
fn called(verdicts: &[Verdict]) -> f64 {
    let k = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Regressed | Verdict::Improved))
        .count();
    100.0 * k as f64 / verdicts.len() as f64
}

fn no_bootstrap() -> StatsConfig {
    StatsConfig {
        nresamples: 0,
        ..StatsConfig::default()
    }
}

#[test]
fn paired_comparison_finds_ten_percent_under_shared_drift() {
    let cfg = no_bootstrap();
    let trials = 200;
    let (mut paired, mut unpaired) = (Vec::new(), Vec::new());
    for t in 0..trials {
        let mut rng = Rng::new(1000 + t);
        let [base, new, _] = drifting_pairs(&mut rng, 100, 0.10, 0.0);
        let e = ErrorCounts::default();
        let c = compare_paired(&base, &new, e, Direction::LowerIsBetter, &cfg);
        assert_eq!((c.n_base, c.n_new), (100, 100));
        assert!(c.paired.is_some_and(|p| p.pairs == 100));
        paired.push(c.verdict);
        unpaired.push(compare(&base, &new, e, Direction::LowerIsBetter, &cfg).verdict);
    }
    let regressed = |v: &[Verdict]| {
        100.0 * v.iter().filter(|v| v.is_regression()).count() as f64 / v.len() as f64
    };
    let (rp, ru) = (regressed(&paired), regressed(&unpaired));
    eprintln!("+10%, 100 pairs, shared drift e^N(0,0.2), noise 0.1: paired regressed {rp:.1}%, unpaired compare() on the same values {ru:.1}%");
    assert!(rp >= 95.0, "paired found +10% in only {rp}%");
    assert!(rp > ru);
}

#[test]
fn paired_comparison_rarely_false_alarms_and_beats_unpaired_across_drift_phases() {
    let cfg = no_bootstrap();
    let trials = 200;
    for phi in [0.0, 0.95] {
        let (mut paired, mut unpaired_phases) = (Vec::new(), Vec::new());
        for t in 0..trials {
            let mut rng = Rng::new(5000 + t);
            let [base, new, later] = drifting_pairs(&mut rng, 100, 0.0, phi);
            let e = ErrorCounts::default();
            paired.push(compare_paired(&base, &new, e, Direction::LowerIsBetter, &cfg).verdict);
            unpaired_phases.push(compare(&base, &later, e, Direction::LowerIsBetter, &cfg).verdict);
        }
        let (fp, fu) = (called(&paired), called(&unpaired_phases));
        eprintln!("A/A, 100 pairs, drift lag-1 correlation {phi}: paired regressed-or-improved {fp:.1}%, unpaired compare() with new measured at the next 100 moments {fu:.1}%");
        assert!(fp <= 1.0, "paired A/A false alarms {fp}% (phi {phi})");
        if phi > 0.0 {
            // A slow drift puts the two runs at different levels: the unpaired test calls
            // it a change, the paired one cancels it.
            assert!(fu > fp && fu >= 10.0, "unpaired {fu}% vs paired {fp}%");
        }
    }
}

/// `n` pairs whose log-ratio is `ln(1 + shift)` plus an AR(1) error (lag-1 correlation
/// `phi`, stationary σ = 0.1).
fn autocorrelated_pairs(rng: &mut Rng, n: usize, shift: f64, phi: f64) -> (Vec<f64>, Vec<f64>) {
    let sd = 0.1;
    let innov = (1.0 - phi * phi).sqrt() * sd;
    let mut e = sd * rng.standard_normal();
    let (mut base, mut new) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let b = 100e6 * (0.2 * rng.standard_normal()).exp();
        base.push(b);
        new.push(b * (1.0 + shift) * e.exp());
        e = phi * e + innov * rng.standard_normal();
    }
    (base, new)
}

#[test]
fn block_bootstrap_interval_covers_the_true_change_with_blocks_for_correlated_pairs() {
    let cfg = StatsConfig {
        nresamples: 500,
        ..StatsConfig::default()
    };
    let (trials, n, shift) = (40, 200, 0.10);
    let (mut covered, mut blocks) = (0, Vec::new());
    for t in 0..trials {
        let mut rng = Rng::new(9000 + t);
        let (base, new) = autocorrelated_pairs(&mut rng, n, shift, 0.7);
        let c = compare_paired(
            &base,
            &new,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            &cfg,
        );
        let p = c.paired.expect("paired");
        blocks.push(p.block_len);
        let iv = c
            .median_change
            .interval
            .expect("200 pairs have an interval");
        assert!(iv.lower <= c.median_change.point && c.median_change.point <= iv.upper);
        assert!(c.p90_change.interval.is_some());
        if iv.contains(shift) {
            covered += 1;
        }
    }
    let cover = 100.0 * f64::from(covered) / f64::from(trials as u32);
    eprintln!("block bootstrap, 200 pairs, AR(1) log-ratio errors phi 0.7: 95% interval covered +10% in {cover:.1}% of {trials}; block lengths {:?}", &blocks[..5]);
    // ⌈200^{1/3}⌉ = 6 whenever the autocorrelation is detected (r₁ ≈ 0.7 ≫ 2/√200 = 0.14).
    assert!(blocks.iter().all(|&l| l == 6), "{blocks:?}");
    assert!(cover >= 85.0, "coverage {cover}%");
    // Independent pairs: mostly blocks of 1 (r₁ within ±2/√n in ~95% of samples).
    let ones = (0..100)
        .filter(|&t| {
            let mut rng = Rng::new(20_000 + t);
            let (base, new) = autocorrelated_pairs(&mut rng, n, shift, 0.0);
            let logs: Vec<f64> = base
                .iter()
                .zip(&new)
                .map(|(b, v)| v.ln() - b.ln())
                .collect();
            block_len(&logs) == 1
        })
        .count();
    eprintln!("independent pairs: block length 1 in {ones} of 100 samples");
    assert!(ones >= 85, "{ones}");
    assert_eq!(block_len(&[1.0, 2.0, 3.0]), 1);
    assert_eq!(block_len(&(0..1000).map(f64::from).collect::<Vec<_>>()), 10);
    assert_eq!(block_len(&(0..1001).map(f64::from).collect::<Vec<_>>()), 11);
}

#[test]
fn paired_comparison_points_pairing_and_determinism() {
    // new = 1.2·base for every pair, plus unusable pairs that must be dropped.
    let mut base: Vec<f64> = (1..=60).map(|k| f64::from(k) * 1e6).collect();
    let mut new: Vec<f64> = base.iter().map(|b| b * 1.2).collect();
    new[3] = b_half(base[3]); // one pair where new is smaller
    base.extend([f64::NAN, 5.0, 0.0, -1.0, 7.0]);
    new.extend([5.0, f64::INFINITY, 5.0, 5.0, 7.0]); // last one kept: a tie
    new.push(1.0); // no partner: ignored
    let cfg = StatsConfig::default();
    let c = compare_paired(
        &base,
        &new,
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &cfg,
    );
    let p = c.paired.expect("paired");
    assert_eq!((c.n_base, c.n_new, p.pairs), (61, 61, 61));
    assert!(
        (p.share_new_larger - 59.5 / 61.0).abs() < 1e-12,
        "{}",
        p.share_new_larger
    );
    assert!((c.median_change.point - 0.2).abs() < 1e-12);
    assert_eq!(c.verdict, Verdict::Regressed);
    assert_eq!(c.p_value_method, PValueMethod::SignedRankNormal); // the tie is a zero
    assert!(c.p_value < 1e-9);
    assert_eq!(
        c,
        compare_paired(
            &base,
            &new,
            ErrorCounts::default(),
            Direction::LowerIsBetter,
            &cfg
        )
    );
    // Higher is better: the same data is an improvement... of the new side being larger.
    let h = compare_paired(
        &base,
        &new,
        ErrorCounts::default(),
        Direction::HigherIsBetter,
        &cfg,
    );
    assert_eq!(h.verdict, Verdict::Improved);
    // A different seed moves only the intervals.
    let other = StatsConfig { seed: 42, ..cfg };
    let d = compare_paired(
        &base,
        &new,
        ErrorCounts::default(),
        Direction::LowerIsBetter,
        &other,
    );
    assert_eq!(
        (d.p_value, d.verdict, d.median_change.point),
        (c.p_value, c.verdict, c.median_change.point)
    );
}

fn b_half(b: f64) -> f64 {
    b / 2.0
}

#[test]
fn paired_comparison_inconclusive_rules() {
    let base: Vec<f64> = (1..=20).map(f64::from).collect();
    // Distinct log-ratios ln 1.5 + k/1000, so the 20-pair test is exact.
    let new: Vec<f64> = base.iter().map(|b| b * 1.5 * (b / 1000.0).exp()).collect();
    let cfg = StatsConfig::default();
    let dir = Direction::LowerIsBetter;
    // Too many errors, checked before the sample count.
    let e = ErrorCounts {
        base_failed: 0,
        new_failed: 2,
    };
    let c = compare_paired(&base[..5], &new[..5], e, dir, &cfg);
    assert!(matches!(
        c.verdict,
        Verdict::Inconclusive(InconclusiveReason::TooManyErrors {
            side: Side::New,
            failed: 2,
            total: 7,
            ..
        })
    ));
    // Too few pairs.
    let c = compare_paired(&base[..9], &new[..9], ErrorCounts::default(), dir, &cfg);
    assert!(matches!(
        c.verdict,
        Verdict::Inconclusive(InconclusiveReason::TooFewSamples {
            side: Side::Base,
            n: 9,
            min: 10
        })
    ));
    assert!(c.median_change.interval.is_none());
    // No usable pair at all: no panic, no change of 0.
    let c = compare_paired(
        &[0.0, f64::NAN],
        &[1.0, 2.0],
        ErrorCounts::default(),
        dir,
        &cfg,
    );
    assert_eq!((c.n_base, c.median_change.point, c.p_value), (0, 0.0, 1.0));
    assert!(matches!(
        c.verdict,
        Verdict::Inconclusive(InconclusiveReason::TooFewSamples { n: 0, .. })
    ));
    // 20 pairs: the median's interval but not the p90's (needs 50).
    let c = compare_paired(&base, &new, ErrorCounts::default(), dir, &cfg);
    assert_eq!(c.verdict, Verdict::Regressed);
    assert_eq!(c.p_value_method, PValueMethod::SignedRankExact);
    assert!(c.median_change.interval.is_some() && c.p90_change.interval.is_none());
}

#[test]
fn rejudge_decides_on_the_adjusted_p_value() {
    let cfg = no_bootstrap();
    let dir = Direction::LowerIsBetter;
    let mut rng = Rng::new(77);
    let [base, new, _] = drifting_pairs(&mut rng, 100, 0.15, 0.0);
    for c in [
        compare_paired(&base, &new, ErrorCounts::default(), dir, &cfg),
        compare(
            &base,
            &new.iter().map(|v| v * 1.1).collect::<Vec<_>>(),
            ErrorCounts::default(),
            dir,
            &cfg,
        ),
    ] {
        assert_eq!(c.verdict, Verdict::Regressed, "{c:?}");
        assert!(c.p_value < 1e-4);
        // Adjusted p below the level: still regressed; at or above: no change.
        let r = rejudge(&c, 0.009, dir, &cfg);
        assert_eq!((r.verdict, r.p_adjusted), (Verdict::Regressed, Some(0.009)));
        let r = rejudge(&c, 0.01, dir, &cfg);
        assert_eq!((r.verdict, r.p_adjusted), (Verdict::NoChange, Some(0.01)));
        assert_eq!(rejudge(&c, f64::NAN, dir, &cfg).verdict, Verdict::NoChange);
        // Everything else is unchanged.
        assert_eq!(
            Comparison {
                verdict: c.verdict,
                p_adjusted: None,
                ..r
            },
            c
        );
        // Same p: same verdict, either direction.
        assert_eq!(rejudge(&c, c.p_value, dir, &cfg).verdict, c.verdict);
    }
    // No change stays no change even with a (never BH-produced) smaller p.
    let [base, new, _] = drifting_pairs(&mut rng, 100, 0.0, 0.0);
    let c = compare_paired(&base, &new, ErrorCounts::default(), dir, &cfg);
    assert_eq!(c.verdict, Verdict::NoChange);
    assert_eq!(rejudge(&c, 0.0, dir, &cfg).verdict, Verdict::NoChange);
    // Inconclusive stays inconclusive.
    let c = compare_paired(&base[..3], &new[..3], ErrorCounts::default(), dir, &cfg);
    let r = rejudge(&c, 0.0, dir, &cfg);
    assert_eq!(r.verdict, c.verdict);
    assert!(matches!(r.verdict, Verdict::Inconclusive(_)));
    // Rejudging at the raw p reproduces every verdict of many comparisons (shared rule).
    for t in 0..100 {
        let mut rng = Rng::new(300 + t);
        let shift = [0.0, 0.06, -0.08, 0.12][t as usize % 4];
        let [base, new, later] = drifting_pairs(&mut rng, 60, shift, 0.5);
        for c in [
            compare_paired(&base, &new, ErrorCounts::default(), dir, &cfg),
            compare(&base, &later, ErrorCounts::default(), dir, &cfg),
        ] {
            assert_eq!(
                rejudge(&c, c.p_value, dir, &cfg).verdict,
                c.verdict,
                "{c:?}"
            );
        }
    }
}

#[test]
fn benjamini_hochberg_gate_withdraws_isolated_false_alarms() {
    // 40 gated A/A comparisons plus 3 real +20% regressions: rejudged on BH q-values, the
    // real ones stay regressed and no A/A one is flagged.
    let cfg = no_bootstrap();
    let dir = Direction::LowerIsBetter;
    let mut comps = Vec::new();
    for t in 0..43u64 {
        let mut rng = Rng::new(40_000 + t);
        let shift = if t < 3 { 0.2 } else { 0.0 };
        let [base, new, _] = drifting_pairs(&mut rng, 100, shift, 0.0);
        comps.push(compare_paired(
            &base,
            &new,
            ErrorCounts::default(),
            dir,
            &cfg,
        ));
    }
    let q = benjamini_hochberg(&comps.iter().map(|c| c.p_value).collect::<Vec<_>>());
    let judged: Vec<Comparison> = comps
        .iter()
        .zip(&q)
        .map(|(c, &q)| rejudge(c, q, dir, &cfg))
        .collect();
    for (t, c) in judged.iter().enumerate() {
        assert_eq!(c.verdict.is_regression(), t < 3, "comparison {t}: {c:?}");
        assert!(c.p_adjusted.is_some_and(|q| q >= c.p_value));
    }
}
