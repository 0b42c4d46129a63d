//! Deterministic synthetic stored runs for the report and export tests (no clock, no
//! randomness: every figure follows from the index of the request).

use std::collections::BTreeMap;

use crate::metrics::{Metric, MetricHistogram, RequestError, RequestSample, Summary, TokenSource};
use crate::report::{ChangeStatus, MetricChange, ReportComparison};
use crate::stats::{
    Comparison, Estimate, Estimates, InconclusiveReason, Interval, PValueMethod, Pairing, Side,
    Verdict,
};
use crate::store::{
    ClientBound, EndpointInfo, LoadReport, OpenLoopSettings, RunOrigin, RunSettings, ScenarioInfo,
    SloReport, SloResult, StopReason, StoredComparison, StoredHeadToHead, StoredRun, StoredSweep,
    SweepStep, ThresholdOutcome, ThresholdResult, Throughput, HEAD_TO_HEAD_SCHEMA, RUN_SCHEMA,
    RUN_SCHEMA_VERSION, SWEEP_SCHEMA,
};
use crate::ErrorClass;

/// Text that must never reach a page unescaped.
pub(super) const EVIL: &str = "<script>alert('x')</script>";

/// A synthetic run of `n` requests for `id`: TTFT around `ttft_ms`, `tokens` output events
/// 10 ms apart (plus a little per-request spread), the requests whose index is in `failed`
/// failing (timeout, then HTTP status with an HTML body), arrivals kept for the first 3.
pub(crate) fn run(id: &str, n: u32, ttft_ms: u64, failed: &[u32]) -> StoredRun {
    let tokens = 20u64;
    let mut samples = Vec::new();
    let mut itl = MetricHistogram::new(Metric::Itl);
    for i in 0..n {
        let started_at_ns = u64::from(i) * 250_000_000;
        if let Some(k) = failed.iter().position(|&f| f == i) {
            let (class, message) = if k % 2 == 0 {
                (ErrorClass::Timeout, "timed out after 30s".to_string())
            } else {
                (
                    ErrorClass::HttpStatus,
                    format!("HTTP 500 from api.example.test: {EVIL} & more"),
                )
            };
            samples.push(RequestSample {
                index: i,
                started_at_ns,
                ttfb_ns: None,
                ttft_ns: None,
                ttfo_ns: None,
                e2e_ns: None,
                output_events: 0,
                output_tokens: None,
                token_source: None,
                counted_tokens: None,
                usage: None,
                itl_median_ns: None,
                itl_max_ns: None,
                itl_per_token_median_ns: None,
                arrivals_ns: None,
                schedule_lag_ns: None,
                retries: 0,
                retry_ns: None,
                error: Some(RequestError {
                    class,
                    message,
                    after_ns: None,
                    phase: None,
                }),
                cost_usd: None,
                spans: vec![],
                ..RequestSample::default()
            });
            continue;
        }
        let jitter = u64::from((i * 7) % 11) * 1_000_000;
        let ttft = ttft_ms * 1_000_000 + jitter;
        let gap = 10_000_000 + u64::from(i % 3) * 500_000;
        let arrivals: Vec<u64> = (0..tokens).map(|k| ttft + k * gap).collect();
        for _ in 1..tokens {
            itl.record(gap as f64);
        }
        let e2e = arrivals[arrivals.len() - 1] + 2_000_000;
        samples.push(RequestSample {
            index: i,
            started_at_ns,
            ttfb_ns: Some(ttft / 2),
            ttft_ns: Some(ttft),
            ttfo_ns: Some(ttft),
            e2e_ns: Some(e2e),
            output_events: tokens as u32,
            output_tokens: Some(tokens),
            token_source: Some(if i % 2 == 0 {
                TokenSource::Usage
            } else {
                TokenSource::Counted
            }),
            counted_tokens: Some(tokens),
            usage: None,
            itl_median_ns: Some(gap),
            itl_max_ns: None,
            itl_per_token_median_ns: None,
            arrivals_ns: (i < 3).then_some(arrivals),
            schedule_lag_ns: None,
            retries: 0,
            retry_ns: None,
            error: None,
            cost_usd: None,
            spans: vec![],
            start_monotonic_ns: Some(5_000_000_000_000 + started_at_ns),
            start_unix_ns: Some(1_796_203_815_000_000_000 + started_at_ns),
            request_id: Some(format!("req-{i}")),
            http: Some(crate::stored::HttpPhases {
                connection_id: 1 + u64::from(i % 2),
                new_connection: i < 2,
                http2: false,
                connect_ns: (i < 2).then_some(400_000),
                tls_ns: (i < 2).then_some(2_100_000),
                request_written_ns: Some(if i < 2 { 2_600_000 } else { 40_000 }),
            }),
            ..RequestSample::default()
        });
    }
    let mut summary = BTreeMap::new();
    let mut estimates = BTreeMap::new();
    // As a stored run: ITL from its histogram, the rest from the exact values, with the
    // estimates' points the type-7 quantiles of the same values.
    for m in Metric::ALL {
        let s = if m == Metric::Itl {
            itl.summary()
        } else {
            Summary::of_metric(m, &samples)
        };
        if let Some(s) = s {
            summary.insert(m, s);
        }
        let mut v: Vec<f64> = samples.iter().filter_map(|s| m.of(s)).collect();
        if v.is_empty() {
            continue;
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| crate::stats::quantile_sorted(&v, p);
        let point = |p: f64| Estimate {
            point: p,
            interval: (v.len() >= 10).then_some(Interval {
                lower: p * 0.97,
                upper: p * 1.03,
            }),
        };
        estimates.insert(
            m,
            Estimates {
                n: v.len(),
                mean: point(v.iter().sum::<f64>() / v.len() as f64),
                median: point(q(0.5)),
                p90: Estimate {
                    point: q(0.9),
                    interval: None,
                },
                p99: Estimate {
                    point: q(0.99),
                    interval: None,
                },
            },
        );
    }
    let mut errors = BTreeMap::new();
    for s in &samples {
        if let Some(e) = &s.error {
            *errors.entry(e.class).or_insert(0u64) += 1;
        }
    }
    let ok = samples.iter().filter(|s| s.is_ok()).count() as f64;
    let wall_time_ns = u64::from(n) * 250_000_000 + 400_000_000;
    StoredRun {
        schema: RUN_SCHEMA.into(),
        schema_version: RUN_SCHEMA_VERSION,
        llm_bench_version: "0.1.0".into(),
        scenario: ScenarioInfo {
            id: id.into(),
            module_path: "dogfood::chat".into(),
            file: "benches/dogfood.rs".into(),
            line: 42,
            description: format!("A chat turn ({id})."),
        },
        endpoint: EndpointInfo {
            kind: "simulated".into(),
            host: "127.0.0.1:40123".into(),
            model: Some("sim-model".into()),
        },
        settings: RunSettings {
            samples: n,
            warmup: 2,
            concurrency: 1,
            open_loop: None,
            timeout_ms: 30_000,
            tokenizer: "estimate".into(),
        },
        started_at_unix_ms: 1_709_210_096_000,
        wall_time_ns,
        interrupted: false,
        stopped_by_budget: false,
        stopped_early: None,
        cost_usd: None,
        samples,
        itl_histogram: itl.buckets(),
        itl_per_token_histogram: vec![],
        summary,
        spans: BTreeMap::new(),
        estimates,
        errors,
        throughput: Throughput {
            requests_per_second: ok / (wall_time_ns as f64 / 1e9),
            output_tokens_per_second: ok * tokens as f64 / (wall_time_ns as f64 / 1e9),
        },
        origin: None,
        thresholds: vec![],
        stop_reason: None,
        load: None,
        slo: None,
        commit: None,
    }
}

/// A comparison in which TTFT regressed by 12% (gated), E2E did not change (gated) and
/// tokens/s (not gated) is inconclusive.
pub(super) fn regressed_comparison(baseline: &str) -> ReportComparison {
    ReportComparison {
        baseline: baseline.into(),
        metrics: vec![
            MetricChange {
                metric: Metric::Ttft,
                median_change: 0.12,
                median_change_interval: Some((0.08, 0.16)),
                p_value: 0.0004,
                p_adjusted: None,
                paired: None,
                status: ChangeStatus::Regressed,
                verdict: "regressed".into(),
                gated: true,
            },
            MetricChange {
                metric: Metric::E2e,
                median_change: 0.004,
                median_change_interval: Some((-0.01, 0.02)),
                p_value: 0.41,
                p_adjusted: None,
                paired: None,
                status: ChangeStatus::NoChange,
                verdict: "no change (within noise)".into(),
                gated: true,
            },
            MetricChange {
                metric: Metric::TokensPerSecond,
                median_change: -0.02,
                median_change_interval: None,
                p_value: 0.2,
                p_adjusted: None,
                paired: None,
                status: ChangeStatus::Inconclusive,
                verdict: "inconclusive: only 3 samples in the baseline (need 10)".into(),
                gated: false,
            },
        ],
        regressed: true,
    }
}

/// The stored comparison of `scenario` with build `baseline`, measured in pairs and adjusted
/// for the false discovery rate: TTFT (gated) regressed by 12% in 100 pairs, the new build
/// slower in 63% of them, p 0.004 adjusted to 0.031; E2E (gated) no change, p 0.2 adjusted
/// to 0.41; tokens/s (not gated) paired but not adjusted.
pub(crate) fn paired_stored_comparison(scenario: &str, baseline: &str) -> StoredComparison {
    let cmp = |change: f64, p: f64, q: Option<f64>, share: f64, verdict| Comparison {
        median_change: Estimate {
            point: change,
            interval: Some(Interval {
                lower: change - 0.03,
                upper: change + 0.03,
            }),
        },
        p90_change: Estimate {
            point: change,
            interval: None,
        },
        p_value: p,
        p_value_method: PValueMethod::NormalApproximation,
        verdict,
        n_base: 100,
        n_new: 100,
        paired: Some(Pairing::new(100, share, 1)),
        p_adjusted: q,
    };
    StoredComparison {
        schema: "llm-bench/run/comparison".into(),
        schema_version: RUN_SCHEMA_VERSION,
        scenario: scenario.into(),
        baseline: baseline.into(),
        metrics: BTreeMap::from([
            (
                Metric::Ttft,
                cmp(0.12, 0.004, Some(0.031), 0.63, Verdict::Regressed),
            ),
            (
                Metric::E2e,
                cmp(-0.031, 0.2, Some(0.41), 0.45, Verdict::NoChange),
            ),
            (
                Metric::TokensPerSecond,
                cmp(0.01, 0.5, None, 0.52, Verdict::NoChange),
            ),
        ]),
        gated: vec![Metric::Ttft, Metric::E2e],
        regressed: true,
    }
}

/// The report's view of a stored comparison, as the harness builds it.
pub(super) fn view_of(stored: &StoredComparison) -> ReportComparison {
    ReportComparison::from_parts(
        &stored.baseline,
        stored.metrics.iter().map(|(m, c)| (*m, c)),
        &stored.gated,
        stored.regressed,
    )
}

/// Report options with fixed values.
#[cfg(feature = "html-report")]
pub(super) fn options(plots: bool) -> crate::report::ReportOptions {
    crate::report::ReportOptions {
        plots,
        git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        generated_at: "2024-03-01 09:00:00 UTC".into(),
    }
}

/// `run` as stored by bench target `target` of invocation `invocation`, started `days_ago`
/// days before the fixed start of [`run`].
pub(super) fn stored_by(
    mut run: StoredRun,
    invocation: &str,
    target: &str,
    days_ago: u64,
) -> StoredRun {
    run.origin = Some(RunOrigin {
        invocation: invocation.into(),
        bench_target: target.into(),
    });
    run.started_at_unix_ms -= days_ago * 86_400_000;
    run
}

/// A checked threshold.
pub(super) fn threshold(
    text: &str,
    observed_text: &str,
    outcome: ThresholdOutcome,
) -> ThresholdResult {
    ThresholdResult {
        threshold: text.into(),
        observed: (observed_text != "-").then_some(1.0),
        observed_text: observed_text.into(),
        outcome,
    }
}

/// A comparison whose only (gated) metric, TTFT, is inconclusive for lack of samples.
pub(super) fn inconclusive_comparison(baseline: &str) -> ReportComparison {
    ReportComparison {
        baseline: baseline.into(),
        metrics: vec![MetricChange {
            metric: Metric::Ttft,
            median_change: 0.03,
            median_change_interval: None,
            p_value: 0.5,
            p_adjusted: None,
            paired: None,
            status: ChangeStatus::Inconclusive,
            verdict: "inconclusive: only 3 samples in the baseline (need 10)".into(),
            gated: true,
        }],
        regressed: false,
    }
}

/// An open-loop run of 24 requests at 4/s (request 5 failed) that fell behind its schedule:
/// a lag per request growing to 12.5 ms, client-bound on it, two retries, stopped by its
/// duration, and two objectives (the p99 missed, the median met) with their goodput.
pub(crate) fn open_loop_run(id: &str) -> StoredRun {
    let mut r = run(id, 24, 100, &[5]);
    r.settings.concurrency = 0;
    r.settings.open_loop = Some(OpenLoopSettings {
        arrival: "poisson".into(),
        rate: 4.0,
        ramp_up_ms: None,
        seed: 7,
    });
    let mut lag = Vec::new();
    for s in &mut r.samples {
        let ns = 200_000 + u64::from(s.index) * 520_000;
        s.schedule_lag_ns = Some(ns);
        lag.push(ns as f64);
    }
    r.samples[3].retries = 2;
    r.samples[3].retry_ns = Some(1_010_000_000);
    r.stop_reason = Some(StopReason::Duration);
    r.load = Some(LoadReport {
        target_rate: Some(4.0),
        achieved_rate: 3.9,
        peak_in_flight: 3,
        schedule_lag: Summary::of_values(lag),
        runtime_delay: None,
        client_bound: Some(ClientBound {
            what: "schedule lag".into(),
            p99_ns: 12_500_000.0,
            limit_ns: 1_000_000.0,
        }),
        retries: 2,
    });
    r.slo = Some(SloReport {
        objectives: vec![
            SloResult {
                objective: "p99 ttft <= 500ms".into(),
                attained: 23.0 / 24.0,
                required: 0.99,
                observed_ns: None,
                met: false,
            },
            SloResult {
                objective: "p50 tpot <= 50ms".into(),
                attained: 23.0 / 24.0,
                required: 0.5,
                observed_ns: Some(10_500_000.0),
                met: true,
            },
        ],
        good_requests: 23,
        requests: 24,
        good_fraction: 23.0 / 24.0,
        goodput_rps: 3.6,
        met: false,
    });
    r
}

/// The runs of a rate sweep of `id` at 25, 50, 100 and 150 requests/s: latency grows past
/// 100/s, where throughput stops keeping up.
pub(super) fn sweep_runs(id: &str) -> Vec<StoredRun> {
    [(25, 20), (50, 21), (100, 25), (150, 350)]
        .iter()
        .map(|&(rate, ttft)| run(&format!("{id}/rate-{rate}"), 12, ttft, &[]))
        .collect()
}

/// One step of a sweep: the given TTFT p50 and p99 (ms); TPOT a tenth of them.
fn step(id: &str, value: f64, throughput: f64, ttft_ms: (f64, f64), met: bool) -> SweepStep {
    SweepStep {
        value,
        id: format!("{id}/rate-{value}"),
        achieved_rate: value * 0.99,
        throughput_rps: throughput,
        output_tokens_per_second: throughput * 20.0,
        ttft_p50_ns: Some(ttft_ms.0 * 1e6),
        ttft_p99_ns: Some(ttft_ms.1 * 1e6),
        tpot_p50_ns: Some(ttft_ms.0 * 1e5),
        tpot_p99_ns: Some(ttft_ms.1 * 1e5),
        error_rate: 0.0,
        goodput_rps: Some(if met { throughput } else { throughput * 0.5 }),
        slo_met: Some(met),
        client_bound: value > 120.0,
    }
}

/// The stored rate sweep of `id` ([`sweep_runs`]), knee at 100, objective `p99 ttft <=
/// 500ms`.
pub(super) fn sweep(id: &str) -> StoredSweep {
    StoredSweep {
        schema: SWEEP_SCHEMA.into(),
        scenario: id.into(),
        kind: "sweep".into(),
        dimension: "rate".into(),
        objectives: vec!["p99 ttft <= 500ms".into()],
        steps: vec![
            step(id, 25.0, 24.9, (20.4, 21.0), true),
            step(id, 50.0, 49.8, (20.4, 21.3), true),
            step(id, 100.0, 99.2, (20.7, 24.9), true),
            step(id, 150.0, 104.0, (346.2, 703.4), false),
        ],
        knee: Some(100.0),
        best: None,
    }
}

/// A stored rate search of `id`: probes 1, 500, 22.4, 106 in that order; 22.4 is the
/// highest that met `p99 ttft <= 500ms`.
pub(super) fn search(id: &str) -> StoredSweep {
    StoredSweep {
        kind: "search".into(),
        steps: vec![
            step(id, 1.0, 1.0, (20.0, 20.5), true),
            step(id, 500.0, 104.0, (900.0, 1800.0), false),
            step(id, 22.4, 22.3, (20.3, 21.0), true),
            step(id, 106.0, 101.0, (300.0, 640.0), false),
        ],
        knee: None,
        best: Some(22.4),
        ..sweep(id)
    }
}

/// The runs of a head-to-head of three models, each of 24 requests stored by bench target
/// `models` of `invocation`: `models/small` (the reference; TTFT p50 105 ms, E2E p50
/// 305 ms), `models/large` (12 ms slower: 117 ms, 317 ms) and `models/tiny` (20 ms faster:
/// 85.0 ms, 285 ms).
pub(crate) fn head_to_head_runs(invocation: &str) -> Vec<StoredRun> {
    [
        ("models/small", 100),
        ("models/large", 112),
        ("models/tiny", 80),
    ]
    .iter()
    .map(|&(id, ttft)| stored_by(run(id, 24, ttft, &[]), invocation, "models", 0))
    .collect()
}

/// The head-to-head record of [`head_to_head_runs`], 24 rounds in alternate order, with
/// `origin`: in 24 pairs each, `models/large` against `models/small` TTFT +12.0% [+9.0%,
/// +15.0%] regressed (larger in 63% of the pairs), E2E +0.4% [−1.0%, +1.8%] no change (50%),
/// tokens/s −8.0% [−11.0%, −5.0%] regressed (30%); `models/tiny` TTFT −19.0% [−22.0%,
/// −16.0%] improved (10%), E2E inconclusive (only 3 samples in the baseline), tokens/s
/// +15.0% [+12.0%, +18.0%] improved (85%).
pub(crate) fn head_to_head(origin: Option<RunOrigin>) -> StoredHeadToHead {
    let cmp = |change: f64, spread: f64, share: f64, verdict| Comparison {
        median_change: Estimate {
            point: change,
            interval: Some(Interval {
                lower: change - spread,
                upper: change + spread,
            }),
        },
        p90_change: Estimate {
            point: change,
            interval: None,
        },
        p_value: 0.01,
        p_value_method: PValueMethod::SignedRankExact,
        verdict,
        n_base: 24,
        n_new: 24,
        paired: Some(Pairing::new(24, share, 1)),
        p_adjusted: None,
    };
    let against = |scenario: &str, metrics: [(Metric, Comparison); 3]| StoredComparison {
        schema: "llm-bench/run/comparison".into(),
        schema_version: RUN_SCHEMA_VERSION,
        scenario: scenario.into(),
        baseline: "models/small".into(),
        metrics: BTreeMap::from(metrics),
        gated: vec![],
        regressed: false,
    };
    let too_few = Verdict::Inconclusive(InconclusiveReason::TooFewSamples {
        side: Side::Base,
        n: 3,
        min: 10,
    });
    StoredHeadToHead {
        schema: HEAD_TO_HEAD_SCHEMA.into(),
        scenarios: vec![
            "models/small".into(),
            "models/large".into(),
            "models/tiny".into(),
        ],
        order: "alternate".into(),
        rounds: 24,
        comparisons: vec![
            against(
                "models/large",
                [
                    (Metric::Ttft, cmp(0.12, 0.03, 0.63, Verdict::Regressed)),
                    (Metric::E2e, cmp(0.004, 0.014, 0.5, Verdict::NoChange)),
                    (
                        Metric::TokensPerSecond,
                        cmp(-0.08, 0.03, 0.3, Verdict::Regressed),
                    ),
                ],
            ),
            against(
                "models/tiny",
                [
                    (Metric::Ttft, cmp(-0.19, 0.03, 0.1, Verdict::Improved)),
                    (Metric::E2e, cmp(-0.06, 0.05, 0.2, too_few)),
                    (
                        Metric::TokensPerSecond,
                        cmp(0.15, 0.03, 0.85, Verdict::Improved),
                    ),
                ],
            ),
        ],
        origin,
    }
}
