//! What the time-series exports (`prometheus`, `influx`) write of a run: its identity (the
//! labels or tags) and its figures, in one place so both formats carry the same.

use crate::metrics::{Metric, Summary};
use crate::store::StoredRun;

/// One quantile the time-series exports write: its Prometheus `quantile` label, the suffix
/// of its InfluxDB field, and its value in a summary.
pub(crate) type Quantile = (&'static str, &'static str, fn(&Summary) -> f64);

/// The quantiles of each summarised metric the time-series exports write.
pub(crate) const QUANTILES: [Quantile; 3] = [
    ("0.5", "p50", |s| s.p50),
    ("0.9", "p90", |s| s.p90),
    ("0.99", "p99", |s| s.p99),
];

/// One run as the time-series exports see it.
pub(crate) struct Figures<'a> {
    /// The stored run.
    pub run: &'a StoredRun,
    /// Measured requests, failed ones included.
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
}

impl<'a> Figures<'a> {
    /// The figures of `run`.
    pub(crate) fn of(run: &'a StoredRun) -> Figures<'a> {
        Figures {
            run,
            requests: run.samples.len() as u64,
            errors: run.samples.iter().filter(|s| !s.is_ok()).count() as u64,
        }
    }

    /// The run's identity, `(name, value)` in this order: `scenario`, `endpoint` (host and
    /// port), `model`, `commit`; a pair whose value is unknown or empty is left out.
    pub(crate) fn identity(&self) -> Vec<(&'static str, &'a str)> {
        let run = self.run;
        [
            ("scenario", Some(run.scenario.id.as_str())),
            ("endpoint", Some(run.endpoint.host.as_str())),
            ("model", run.endpoint.model.as_deref()),
            ("commit", run.commit.as_deref()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.filter(|v| !v.is_empty()).map(|v| (name, v)))
        .collect()
    }
}

/// The metrics some run of `runs` summarised, in [`Metric::ALL`]'s order.
pub(crate) fn metrics_present(runs: &[Figures<'_>]) -> Vec<Metric> {
    Metric::ALL
        .into_iter()
        .filter(|m| runs.iter().any(|f| f.run.summary.contains_key(m)))
        .collect()
}
