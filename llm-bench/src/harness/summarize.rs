//! Turns what a run measured into a [`StoredRun`].

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::harness::baseline::{estimates_for, reported_metrics};
use crate::harness::plan::{Load, Plan};
use crate::harness::runner::PhaseOutcome;
use crate::harness::{self_check, slo};
use crate::metrics::{Metric, MetricHistogram, RequestSample, Summary};
use crate::rules::slo::Objective;
use crate::scenario::Scenario;
use crate::stats::StatsConfig;
use crate::store::{
    EndpointInfo, LoadReport, RunSettings, ScenarioInfo, StoredRun, Throughput, RUN_SCHEMA,
    RUN_SCHEMA_VERSION,
};

/// The stored form of one scenario's measured phase.
pub(crate) fn stored_run(
    scenario: &Scenario,
    endpoint: EndpointInfo,
    plan: &Plan,
    started: SystemTime,
    outcome: PhaseOutcome,
    stats: &StatsConfig,
    slos: &[Objective],
) -> StoredRun {
    let derived = Derived::of(
        &outcome.samples,
        &outcome.itl,
        outcome.itl_per_token.as_ref(),
        outcome.wall_time_ns,
        stats,
        slos,
    );
    let load = load_report(plan, &outcome, &derived.summary);
    StoredRun {
        schema: RUN_SCHEMA.into(),
        schema_version: RUN_SCHEMA_VERSION,
        llm_bench_version: env!("CARGO_PKG_VERSION").into(),
        scenario: ScenarioInfo {
            id: scenario.id(),
            module_path: scenario.module_path.into(),
            file: scenario.file.into(),
            line: scenario.line,
            description: scenario.description.into(),
        },
        endpoint,
        settings: RunSettings {
            samples: plan.samples,
            warmup: plan.warmup,
            concurrency: plan.concurrency(),
            open_loop: plan.stored_open_loop(),
            timeout_ms: plan.timeout.as_millis() as u64,
            tokenizer: outcome.tokenizer.to_string(),
        },
        started_at_unix_ms: started
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        wall_time_ns: outcome.wall_time_ns,
        interrupted: outcome.interrupted,
        stopped_by_budget: outcome.budget_exhausted,
        stopped_early: outcome.stopped_early.clone(),
        stop_reason: Some(outcome.stop_reason),
        cost_usd: derived.cost_usd,
        itl_histogram: outcome.itl.buckets(),
        itl_per_token_histogram: derived.itl_per_token_histogram,
        samples: outcome.samples,
        summary: derived.summary,
        spans: derived.spans,
        estimates: derived.estimates,
        errors: derived.errors,
        throughput: derived.throughput,
        origin: None,
        thresholds: Vec::new(),
        load: Some(load),
        slo: derived.slo,
        commit: crate::harness::commit::current_commit(),
    }
}

/// Everything a stored run computes from its requests, its ITL histograms and its wall
/// time: one definition for a measured run and for a merge of several
/// ([`super::merge`]).
pub(crate) struct Derived {
    pub(crate) summary: BTreeMap<Metric, Summary>,
    pub(crate) spans: BTreeMap<String, Summary>,
    pub(crate) estimates: BTreeMap<Metric, crate::stats::Estimates>,
    pub(crate) errors: BTreeMap<crate::error::ErrorClass, u64>,
    pub(crate) throughput: Throughput,
    pub(crate) cost_usd: Option<f64>,
    /// Empty unless ITL per token is reported.
    pub(crate) itl_per_token_histogram: Vec<(u64, u64)>,
    pub(crate) slo: Option<crate::store::SloReport>,
}

impl Derived {
    pub(crate) fn of(
        samples: &[RequestSample],
        itl: &MetricHistogram,
        itl_per_token: Option<&MetricHistogram>,
        wall_time_ns: u64,
        stats: &StatsConfig,
        slos: &[Objective],
    ) -> Derived {
        // ITL (every gap) from its histogram; the per-request metrics from their exact
        // values, so their percentiles are the estimates' type-7 point estimates.
        let mut summary = BTreeMap::new();
        for metric in reported_metrics(samples) {
            let s = match metric {
                Metric::Itl => itl.summary(),
                Metric::ItlPerToken => match itl_per_token {
                    Some(per_token) => per_token.summary(),
                    None => continue,
                },
                _ => Summary::of_metric(metric, samples),
            };
            if let Some(s) = s {
                summary.insert(metric, s);
            }
        }
        let mut errors = BTreeMap::new();
        for e in samples.iter().filter_map(|s| s.error.as_ref()) {
            *errors.entry(e.class).or_insert(0u64) += 1;
        }
        let (ok_count, tokens) = samples
            .iter()
            .filter(|s| s.is_ok())
            .fold((0u64, 0u64), |(n, t), s| {
                (n + 1, t + s.output_tokens.unwrap_or(0))
            });
        let secs = wall_time_ns as f64 / 1e9;
        let per_sec = |v: u64| if secs > 0.0 { v as f64 / secs } else { 0.0 };
        let itl_per_token_histogram = match itl_per_token {
            Some(per_token) if summary.contains_key(&Metric::ItlPerToken) => per_token.buckets(),
            _ => Vec::new(),
        };
        Derived {
            spans: span_summaries(samples),
            estimates: estimates_for(samples, stats),
            errors,
            throughput: Throughput {
                requests_per_second: per_sec(ok_count),
                output_tokens_per_second: per_sec(tokens),
            },
            cost_usd: samples
                .iter()
                .filter_map(|s| s.cost_usd)
                .reduce(|a, b| a + b),
            itl_per_token_histogram,
            slo: slo::report(slos, samples, wall_time_ns),
            summary,
        }
    }
}

/// How the load was delivered: the rates, the schedule lag and runtime delay, and whether
/// the client was the bottleneck ([`self_check`]).
fn load_report(
    plan: &Plan,
    outcome: &PhaseOutcome,
    summary: &BTreeMap<Metric, Summary>,
) -> LoadReport {
    let target_rate = match &plan.load {
        Load::Open(open) => Some(open.rate),
        Load::Replay(replay) => Some(replay.rate()),
        Load::Closed { .. } => None,
    };
    let runtime_delay = Summary::of_values(outcome.runtime_delays_ns.iter().map(|&v| v as f64));
    load_of(
        &outcome.samples,
        target_rate,
        outcome.peak_in_flight,
        runtime_delay,
        summary,
    )
}

/// The [`LoadReport`] of `samples` (started at the rate `target_rate`, when on a
/// schedule), given what the samples do not hold: the most requests in flight at once and
/// the runtime's delays.
pub(crate) fn load_of(
    samples: &[RequestSample],
    target_rate: Option<f64>,
    peak_in_flight: u32,
    runtime_delay: Option<Summary>,
    summary: &BTreeMap<Metric, Summary>,
) -> LoadReport {
    let schedule_lag = Summary::of_values(
        samples
            .iter()
            .filter_map(|s| s.schedule_lag_ns)
            .map(|v| v as f64),
    );
    let last_start = samples
        .iter()
        .map(|s| s.started_at_ns + s.schedule_lag_ns.unwrap_or(0))
        .max()
        .unwrap_or(0);
    let achieved_rate = if last_start > 0 {
        samples.len() as f64 / (last_start as f64 / 1e9)
    } else {
        0.0
    };
    let client_bound = self_check::verdict(
        schedule_lag.map(|s| s.p99),
        runtime_delay.map(|s| s.p99),
        summary.get(&Metric::Ttft).map(|s| s.p50),
    );
    LoadReport {
        target_rate,
        achieved_rate,
        peak_in_flight,
        schedule_lag,
        runtime_delay,
        client_bound,
        retries: samples.iter().map(|s| u64::from(s.retries)).sum(),
    }
}

/// For each span name, the summary of each successful request's total time in it (exact
/// values, type-7 percentiles).
fn span_summaries(samples: &[RequestSample]) -> BTreeMap<String, Summary> {
    let mut names: Vec<&str> = samples
        .iter()
        .flat_map(|s| s.spans.iter().map(|span| span.name.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let totals = samples
                .iter()
                .filter(|s| s.is_ok())
                .filter_map(|s| s.span_ns(name))
                .map(|total| total as f64);
            Summary::of_values(totals).map(|summary| (name.to_string(), summary))
        })
        .collect()
}
