//! Deterministic synthetic stored runs for the report and export tests (no clock, no
//! randomness: every figure follows from the index of the request).

use std::collections::BTreeMap;

use crate::metrics::{
    histogram_of, Metric, MetricHistogram, RequestError, RequestSample, TokenSource,
};
use crate::report::{ChangeStatus, MetricChange, ReportComparison};
use crate::stats::{Estimate, Estimates, Interval};
use crate::store::{
    EndpointInfo, RunOrigin, RunSettings, ScenarioInfo, StoredRun, ThresholdOutcome,
    ThresholdResult, Throughput, RUN_SCHEMA, RUN_SCHEMA_VERSION,
};
use crate::ErrorClass;

/// Text that must never reach a page unescaped.
pub(super) const EVIL: &str = "<script>alert('x')</script>";

/// A synthetic run of `n` requests for `id`: TTFT around `ttft_ms`, `tokens` output events
/// 10 ms apart (plus a little per-request spread), the requests whose index is in `failed`
/// failing (timeout, then HTTP status with an HTML body), arrivals kept for the first 3.
pub(super) fn run(id: &str, n: u32, ttft_ms: u64, failed: &[u32]) -> StoredRun {
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
                error: Some(RequestError { class, message }),
                cost_usd: None,
                spans: vec![],
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
        });
    }
    let mut summary = BTreeMap::new();
    let mut estimates = BTreeMap::new();
    for m in Metric::ALL {
        let s = if m == Metric::Itl {
            itl.summary()
        } else {
            histogram_of(m, &samples).summary()
        };
        if let Some(s) = s {
            summary.insert(m, s);
        }
        let mut v: Vec<f64> = samples.iter().filter_map(|s| m.of(s)).collect();
        if v.is_empty() {
            continue;
        }
        v.sort_by(f64::total_cmp);
        let median = v[v.len() / 2];
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
                median: point(median),
                p90: Estimate {
                    point: v[v.len() * 9 / 10],
                    interval: None,
                },
                p99: Estimate {
                    point: v[v.len() - 1],
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
                status: ChangeStatus::Regressed,
                verdict: "regressed".into(),
                gated: true,
            },
            MetricChange {
                metric: Metric::E2e,
                median_change: 0.004,
                median_change_interval: Some((-0.01, 0.02)),
                p_value: 0.41,
                status: ChangeStatus::NoChange,
                verdict: "no change (within noise)".into(),
                gated: true,
            },
            MetricChange {
                metric: Metric::TokensPerSecond,
                median_change: -0.02,
                median_change_interval: None,
                p_value: 0.2,
                status: ChangeStatus::Inconclusive,
                verdict: "inconclusive: only 3 samples in the baseline (need 10)".into(),
                gated: false,
            },
        ],
        regressed: true,
    }
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
            status: ChangeStatus::Inconclusive,
            verdict: "inconclusive: only 3 samples in the baseline (need 10)".into(),
            gated: true,
        }],
        regressed: false,
    }
}
