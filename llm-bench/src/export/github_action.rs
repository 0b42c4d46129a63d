//! github-action-benchmark's custom JSON formats.

use serde::Serialize;

use super::{median_of, Exporter};
use crate::metrics::Metric;
use crate::report::{ReportError, ReportInput};

/// `github`: github-action-benchmark's `customSmallerIsBetter` array, one entry per scenario
/// and latency metric (`<scenario> - TTFT p50` …, unit `ms`): the median of the successful
/// requests, `range` the half-width of its 95% bootstrap interval (`± x`) when there is
/// one, `extra` the request count and the interval.
#[derive(Debug, Clone, Copy, Default)]
pub struct GithubSmallerIsBetter;

/// `github-bigger`: github-action-benchmark's `customBiggerIsBetter` array: output tokens per
/// second (median of the requests), one entry per scenario.
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

fn entries(inputs: &[ReportInput<'_>], metrics: &[Metric]) -> Result<String, ReportError> {
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
            let r = |v: f64| (v * 1000.0).round() / 1000.0;
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
        entries(inputs, &[Metric::TokensPerSecond])
    }
}
