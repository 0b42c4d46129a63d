//! The study behind paired runs (README "Statistics"): the simulated endpoint's latency
//! drifts by ±20% over wall time (a seeded random walk, the model the server applies,
//! [`crate::mock::drift::Drift`]) with 10% independent noise per request, and the same
//! statistics the gate uses judge A/A and +10% runs, measured two ways:
//!
//! * **unpaired**: the baseline measured on main an hour before the pull request, each run
//!   100 requests one after the other (0.6 s each), compared with [`stats::compare`];
//! * **paired**: 100 pairs, each build's request of a pair 0.6 s apart, compared with
//!   [`stats::compare_paired`].
//!
//! Each request's latency is `500 ms × drift(t) × noise(request)` (TTFT; TPOT the same
//! factor times its own noise), exactly the factor the server would apply to a request
//! arriving at `t`, without HTTP so that thousands of trials run in seconds. The fast
//! versions run in `cargo test`; the long ones (`--ignored`) gave the README's table.

use std::time::Duration;

use crate::mock::drift::Drift;
use crate::mock::LatencyProfile;
use crate::stats::{self, Direction, ErrorCounts, StatsConfig, Verdict};

/// Seconds between consecutive requests of one build.
const SPACING_S: f64 = 0.6;
/// Requests (or pairs) per run.
const N: usize = 100;
/// How long before the pull request the unpaired baseline was measured.
const BASELINE_AGE_S: f64 = 3600.0;

/// The endpoint of trial `seed`.
fn endpoint(seed: u64) -> Drift {
    let spec =
        format!("ttft=500ms,noise=0.1,drift=20%,drift_period=600s,drift_shape=walk,seed={seed}");
    let profile = LatencyProfile::parse(&spec).expect("the study's profile parses");
    Drift::of(&profile)
}

/// One metric's values of a run of `N` requests starting at `start_s`, every request
/// `spacing_s` apart, scaled by `change`; `stream` keeps the per-request noise of each
/// run and metric apart.
fn run(drift: &Drift, start_s: f64, spacing_s: f64, change: f64, stream: u64) -> Vec<f64> {
    (0..N)
        .map(|i| {
            let t = Duration::from_secs_f64(start_s + i as f64 * spacing_s);
            0.5 * change * drift.factor(t, stream * 1_000_000 + i as u64)
        })
        .collect()
}

fn cfg() -> StatsConfig {
    // Verdicts never depend on intervals: no bootstrap, so trials are fast.
    StatsConfig {
        nresamples: 0,
        ..StatsConfig::default()
    }
}

/// The verdicts of one trial's metric (stream `metric`), unpaired and paired.
fn trial(seed: u64, change: f64, metric: u64) -> (stats::Comparison, stats::Comparison) {
    let drift = endpoint(seed);
    let errors = ErrorCounts::default();
    let down = Direction::LowerIsBetter;
    // Unpaired: the baseline an hour earlier, the pull request's run now.
    let base = run(&drift, 0.0, SPACING_S, 1.0, 10 + metric);
    let new = run(&drift, BASELINE_AGE_S, SPACING_S, change, 20 + metric);
    let unpaired = stats::compare(&base, &new, errors, down, &cfg());
    // Paired: pair i's two requests 0.6 s apart, pairs 1.2 s apart.
    let start = BASELINE_AGE_S;
    let base = run(&drift, start, 2.0 * SPACING_S, 1.0, 30 + metric);
    let new = run(
        &drift,
        start + SPACING_S,
        2.0 * SPACING_S,
        change,
        40 + metric,
    );
    let paired = stats::compare_paired(&base, &new, errors, down, &cfg());
    (unpaired, paired)
}

/// Share of `trials` seeded trials whose verdict `hit` accepts, unpaired and paired.
fn rates(trials: u64, change: f64, hit: impl Fn(&Verdict) -> bool) -> (f64, f64) {
    let (mut unpaired, mut paired) = (0, 0);
    for seed in 0..trials {
        let (u, p) = trial(seed, change, 0);
        unpaired += usize::from(hit(&u.verdict));
        paired += usize::from(hit(&p.verdict));
    }
    (
        unpaired as f64 / trials as f64,
        paired as f64 / trials as f64,
    )
}

fn false_alarm(v: &Verdict) -> bool {
    matches!(v, Verdict::Regressed | Verdict::Improved)
}

/// Share of runs of 20 scenarios × 2 gated metrics (A/A, paired) where any gated metric
/// is flagged, without and with the false-discovery control.
fn run_false_alarms(runs: u64) -> (f64, f64) {
    let (mut raw, mut controlled) = (0, 0);
    let cfg = cfg();
    for r in 0..runs {
        let mut comparisons = Vec::new();
        for scenario in 0..20 {
            for metric in 0..2 {
                let (_, p) = trial(r * 1000 + scenario, 1.0, metric);
                comparisons.push(p);
            }
        }
        raw += usize::from(comparisons.iter().any(|c| false_alarm(&c.verdict)));
        let p: Vec<f64> = comparisons.iter().map(|c| c.p_value).collect();
        let q = stats::benjamini_hochberg(&p);
        let flagged = comparisons.iter().zip(&q).any(|(c, &q)| {
            false_alarm(&stats::rejudge(c, q, Direction::LowerIsBetter, &cfg).verdict)
        });
        controlled += usize::from(flagged);
    }
    (raw as f64 / runs as f64, controlled as f64 / runs as f64)
}

fn study(trials: u64, runs: u64) {
    let (aa_unpaired, aa_paired) = rates(trials, 1.0, false_alarm);
    let (up_unpaired, up_paired) = rates(trials, 1.1, |v| *v == Verdict::Regressed);
    let (raw, controlled) = run_false_alarms(runs);
    eprintln!(
        "study ({trials} trials, {runs} runs of 40 gated comparisons): A/A false alarms unpaired {:.1}%, paired {:.1}%; +10% detected unpaired {:.1}%, paired {:.1}%; runs with a false alarm: raw p {:.1}%, FDR-controlled {:.1}%",
        aa_unpaired * 100.0,
        aa_paired * 100.0,
        up_unpaired * 100.0,
        up_paired * 100.0,
        raw * 100.0,
        controlled * 100.0,
    );
    assert!(aa_paired <= 0.01, "paired A/A false alarms {aa_paired}");
    assert!(up_paired >= 0.95, "paired detection of +10% {up_paired}");
    assert!(
        aa_unpaired > 5.0 * aa_paired.max(0.01),
        "the drift fools the unpaired comparison: {aa_unpaired} vs {aa_paired}"
    );
    assert!(controlled <= raw, "the control never adds false alarms");
    assert!(
        controlled <= 0.05,
        "FDR-controlled run false alarms {controlled}"
    );
}

#[test]
fn paired_runs_survive_a_drifting_endpoint_fast() {
    let _exclusive = crate::test_support::exclusive_blocking();
    study(200, 40);
}

#[test]
#[ignore = "the long study behind the README's table (about a minute in release)"]
fn paired_runs_survive_a_drifting_endpoint_long() {
    study(2000, 500);
}
