//! Estimates of a run, and its comparison with a stored baseline.

use std::collections::BTreeMap;

use crate::metrics::{Metric, RequestSample};
use crate::stats::{self, Direction, ErrorCounts, Estimates, StatsConfig};
use crate::store::{EndpointInfo, StoredComparison, StoredRun, RUN_SCHEMA, RUN_SCHEMA_VERSION};

/// Metrics gated when neither the attribute nor the command line says: TTFT and TPOT.
pub const DEFAULT_GATE: [Metric; 2] = [Metric::Ttft, Metric::Tpot];

/// One value per successful request for `metric`.
fn values(metric: Metric, samples: &[RequestSample]) -> Vec<f64> {
    samples.iter().filter_map(|s| metric.of(s)).collect()
}

/// The metrics worth reporting for these samples: all with values, but TTFO only where it
/// differs from TTFT (reasoning models).
pub(crate) fn reported_metrics(samples: &[RequestSample]) -> Vec<Metric> {
    let ttfo_differs = samples.iter().any(|s| s.is_ok() && s.ttfo_ns != s.ttft_ns);
    let multi_token_events = samples
        .iter()
        .any(|s| s.is_ok() && s.itl_per_token_median_ns.is_some());
    Metric::ALL
        .into_iter()
        .filter(|&m| match m {
            Metric::Ttfo => ttfo_differs,
            Metric::ItlPerToken => multi_token_events,
            _ => true,
        })
        .collect()
}

/// Bootstrap estimates of every reported metric that has values.
pub(crate) fn estimates_for(
    samples: &[RequestSample],
    cfg: &StatsConfig,
) -> BTreeMap<Metric, Estimates> {
    reported_metrics(samples)
        .into_iter()
        .filter_map(|m| stats::estimate(&values(m, samples), cfg).map(|e| (m, e)))
        .collect()
}

/// Why a run against `endpoint` under `load` (a [`RunSettings::load_label`]) must not be
/// compared with `base`, or `None` when it may be.
///
/// [`RunSettings::load_label`]: crate::store::RunSettings
///
/// The simulated endpoint binds a new port each run, so only its kind and model count.
pub(crate) fn incomparable(
    endpoint: &EndpointInfo,
    load: &str,
    base: &StoredRun,
) -> Option<String> {
    let describe = |e: &EndpointInfo, load: &str| {
        format!(
            "{} endpoint {} (model {}, {load})",
            e.kind,
            e.host,
            e.model.as_deref().unwrap_or("unknown"),
        )
    };
    let (a, b) = (&base.endpoint, endpoint);
    let differs = !same_endpoint(a, b) || base.settings.load_label() != load;
    differs.then(|| {
        format!(
            "the baseline was measured against the {}, this run against the {}",
            describe(a, &base.settings.load_label()),
            describe(b, load)
        )
    })
}

/// True when two runs measured the same endpoint: kind, host and model (the simulated
/// endpoint binds a new port each run, so only its kind and model count).
pub(crate) fn same_endpoint(a: &EndpointInfo, b: &EndpointInfo) -> bool {
    a.kind == b.kind && (a.kind.starts_with("simulated") || a.host == b.host) && a.model == b.model
}

/// Compares every metric present on both sides; `regressed` is set when a gated metric's
/// verdict is a regression.
pub(crate) fn compare_runs(
    new: &StoredRun,
    base: &StoredRun,
    baseline_name: &str,
    gated: &[Metric],
    cfg: &StatsConfig,
) -> StoredComparison {
    let unpaired = |metric: Metric, errors: ErrorCounts| {
        let (b, n) = (values(metric, &base.samples), values(metric, &new.samples));
        (!b.is_empty() || !n.is_empty())
            .then(|| stats::compare(&b, &n, errors, Direction::of(metric), cfg))
    };
    comparison_of(new, base, baseline_name, gated, unpaired)
}

/// Compares a run with the other build's measured in pairs with it (`--compare-with`):
/// sample `i` of each is pair `i`; a pair where either side has no value for a metric is
/// left out of that metric's comparison ([`stats::compare_paired`]).
pub(crate) fn compare_paired_runs(
    new: &StoredRun,
    base: &StoredRun,
    baseline_name: &str,
    gated: &[Metric],
    cfg: &StatsConfig,
) -> StoredComparison {
    let paired = |metric: Metric, errors: ErrorCounts| {
        let (mut b, mut n) = (Vec::new(), Vec::new());
        for (x, y) in base.samples.iter().zip(&new.samples) {
            b.push(metric.of(x).unwrap_or(f64::NAN));
            n.push(metric.of(y).unwrap_or(f64::NAN));
        }
        b.iter()
            .zip(&n)
            .any(|(x, y)| x.is_finite() || y.is_finite())
            .then(|| stats::compare_paired(&b, &n, errors, Direction::of(metric), cfg))
    };
    comparison_of(new, base, baseline_name, gated, paired)
}

/// The stored comparison of every metric either side reports, each compared by `compare`
/// (given the failed requests of both sides); `regressed` is set when a gated metric's
/// verdict is a regression.
fn comparison_of(
    new: &StoredRun,
    base: &StoredRun,
    baseline_name: &str,
    gated: &[Metric],
    compare: impl Fn(Metric, ErrorCounts) -> Option<stats::Comparison>,
) -> StoredComparison {
    let failed = |r: &StoredRun| r.samples.iter().filter(|s| !s.is_ok()).count();
    let errors = ErrorCounts {
        base_failed: failed(base),
        new_failed: failed(new),
    };
    let mut metrics = BTreeMap::new();
    let (reported_new, reported_base) = (
        reported_metrics(&new.samples),
        reported_metrics(&base.samples),
    );
    for metric in Metric::ALL {
        if !reported_new.contains(&metric) && !reported_base.contains(&metric) {
            continue;
        }
        if let Some(comparison) = compare(metric, errors) {
            metrics.insert(metric, comparison);
        }
    }
    let regressed = gated.iter().any(|m| {
        metrics
            .get(m)
            .is_some_and(|c: &stats::Comparison| c.verdict.is_regression())
    });
    StoredComparison {
        schema: format!("{RUN_SCHEMA}/comparison"),
        schema_version: RUN_SCHEMA_VERSION,
        scenario: new.scenario.id.clone(),
        baseline: baseline_name.to_string(),
        metrics,
        gated: gated.to_vec(),
        regressed,
    }
}
