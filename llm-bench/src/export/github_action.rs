//! github-action-benchmark's custom JSON formats.

use serde::Serialize;

use super::{median_of, Exporter};
use crate::metrics::Metric;
use crate::report::{ReportError, ReportInput};
use crate::store::StoredRun;

/// `github`: github-action-benchmark's `customSmallerIsBetter` array, one entry per scenario
/// and latency metric (`<scenario> - TTFT p50` …, unit `ms`): the median of the successful
/// requests, `range` the half-width of its 95% bootstrap interval (`± x`) when there is
/// one, `extra` the request count and the interval. An open-loop run adds `<scenario> -
/// schedule lag p99` (unit `ms`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GithubSmallerIsBetter;

/// `github-bigger`: github-action-benchmark's `customBiggerIsBetter` array: output tokens per
/// second (median of the requests), one entry per scenario; a run with objectives adds
/// `<scenario> - goodput` (unit `good requests/s`) and `<scenario> - good fraction` (unit
/// `%`), one that recorded its load `<scenario> - achieved rate` (unit `requests/s`).
#[derive(Debug, Clone, Copy, Default)]
pub struct GithubBiggerIsBetter;

#[derive(Serialize)]
struct Entry {
    name: String,
    unit: &'static str,
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<String>,
    extra: String,
}

/// Rounds to a thousandth, as every entry's value.
fn r(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// An entry without an interval, when `value` is finite.
fn plain(
    run: &StoredRun,
    what: &str,
    unit: &'static str,
    value: f64,
    extra: String,
) -> Option<Entry> {
    value.is_finite().then(|| Entry {
        name: format!("{} - {what}", run.scenario.id),
        unit,
        value: r(value),
        range: None,
        extra,
    })
}

/// The smaller-is-better entries of a run's load: its schedule lag p99 in open loop.
fn lag_entries(run: &StoredRun) -> Vec<Entry> {
    let lag = run.load.as_ref().and_then(|l| l.schedule_lag.as_ref());
    lag.and_then(|s| {
        let extra = format!("p99 of the schedule lag of {} requests", s.count);
        plain(run, "schedule lag p99", "ms", s.p99 / 1e6, extra)
    })
    .into_iter()
    .collect()
}

/// The bigger-is-better entries of a run's load and objectives: goodput, good fraction,
/// achieved rate.
fn goodput_entries(run: &StoredRun) -> Vec<Entry> {
    let mut out = Vec::new();
    if let Some(slo) = &run.slo {
        let of = format!("{} of {} requests good", slo.good_requests, slo.requests);
        out.extend(plain(
            run,
            "goodput",
            "good requests/s",
            slo.goodput_rps,
            of.clone(),
        ));
        out.extend(plain(
            run,
            "good fraction",
            "%",
            slo.good_fraction * 100.0,
            of,
        ));
    }
    if let Some(load) = &run.load {
        let extra = match load.target_rate {
            Some(t) => format!("requests started per second; {} offered", r(t)),
            None => "requests started per second".to_string(),
        };
        out.extend(plain(
            run,
            "achieved rate",
            "requests/s",
            load.achieved_rate,
            extra,
        ));
    }
    out
}

fn entries(
    inputs: &[ReportInput<'_>],
    metrics: &[Metric],
    more: fn(&StoredRun) -> Vec<Entry>,
) -> Result<String, ReportError> {
    let mut out = Vec::new();
    for input in inputs {
        for &metric in metrics {
            let Some((n, m)) = median_of(input.run, metric) else {
                continue;
            };
            let unit = if metric.is_duration() {
                "ms"
            } else {
                "tokens/s"
            };
            let mut extra = format!("median of {n} successful requests");
            if let Some(i) = m.interval {
                extra.push_str(&format!("; 95% CI {} – {} {unit}", r(i.lower), r(i.upper)));
            }
            out.push(Entry {
                name: format!("{} - {} p50", input.run.scenario.id, metric.label()),
                unit,
                value: r(m.point),
                range: m
                    .interval
                    .map(|i| format!("± {}", r((i.upper - i.lower) / 2.0))),
                extra,
            });
        }
        out.extend(more(input.run));
    }
    let mut text = serde_json::to_string_pretty(&out).map_err(|e| ReportError::Encode {
        format: "github",
        message: e.to_string(),
    })?;
    text.push('\n');
    Ok(text)
}

impl Exporter for GithubSmallerIsBetter {
    fn name(&self) -> &'static str {
        "github"
    }

    fn file_name(&self) -> &'static str {
        "github-action-benchmark.json"
    }

    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError> {
        entries(
            inputs,
            &[Metric::Ttft, Metric::Tpot, Metric::E2e, Metric::Itl],
            lag_entries,
        )
    }
}

impl Exporter for GithubBiggerIsBetter {
    fn name(&self) -> &'static str {
        "github-bigger"
    }

    fn file_name(&self) -> &'static str {
        "github-action-benchmark-bigger.json"
    }

    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError> {
        entries(inputs, &[Metric::TokensPerSecond], goodput_entries)
    }
}
