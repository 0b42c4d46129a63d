//! The Bencher Metric Format.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{median_of, Exporter};
use crate::metrics::Metric;
use crate::report::{ReportError, ReportInput};
use crate::store::StoredRun;

/// `bmf`: the [Bencher Metric Format], `{"<scenario id>": {"<measure>": {"value": …,
/// "lower_value": …, "upper_value": …}}}`.
///
/// Measures (slugs): `ttft`, `tpot`, `e2e`, `itl` in milliseconds, and
/// `output-tokens-per-second` in tokens per second. `value` is the median over the
/// successful requests (for `itl`, of each request's median gap) and `lower_value` /
/// `upper_value` its 95% percentile-bootstrap interval, present when the run has enough
/// requests for one (10). A measure with no value (e.g. every request failed) is left out.
///
/// Runs that recorded their load or objectives add [`BMF_LOAD_MEASURES`] (no bounds):
/// `goodput` (good requests per second) and `good-fraction` (0 to 1) with objectives,
/// `achieved-rate` (requests started per second) and, in open loop, `schedule-lag-p99`
/// (milliseconds).
///
/// [Bencher Metric Format]: https://bencher.dev/docs/reference/bencher-metric-format/
#[derive(Debug, Clone, Copy, Default)]
pub struct Bmf;

/// The measures of the BMF export: slug and metric.
pub const BMF_MEASURES: [(&str, Metric); 5] = [
    ("ttft", Metric::Ttft),
    ("tpot", Metric::Tpot),
    ("e2e", Metric::E2e),
    ("itl", Metric::Itl),
    ("output-tokens-per-second", Metric::TokensPerSecond),
];

/// The measures of a run's load and objectives (see [`Bmf`]): slug and unit.
pub const BMF_LOAD_MEASURES: [(&str, &str); 4] = [
    ("goodput", "good requests/s"),
    ("good-fraction", "share of requests"),
    ("achieved-rate", "requests/s"),
    ("schedule-lag-p99", "ms"),
];

/// A value rounded as the other measures are (a millionth), when it is finite.
fn plain(v: f64) -> Option<Value> {
    v.is_finite().then(|| Value {
        value: (v * 1e6).round() / 1e6,
        lower_value: None,
        upper_value: None,
    })
}

/// The [`BMF_LOAD_MEASURES`] a run has.
fn load_measures(run: &StoredRun) -> Vec<(&'static str, Value)> {
    let [goodput, fraction, achieved, lag] = BMF_LOAD_MEASURES.map(|(slug, _)| slug);
    let mut out = Vec::new();
    if let Some(slo) = &run.slo {
        out.extend(plain(slo.goodput_rps).map(|v| (goodput, v)));
        out.extend(plain(slo.good_fraction).map(|v| (fraction, v)));
    }
    if let Some(load) = &run.load {
        out.extend(plain(load.achieved_rate).map(|v| (achieved, v)));
        if let Some(s) = &load.schedule_lag {
            out.extend(plain(s.p99 / 1e6).map(|v| (lag, v)));
        }
    }
    out
}

#[derive(Serialize)]
struct Value {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper_value: Option<f64>,
}

impl Exporter for Bmf {
    fn name(&self) -> &'static str {
        "bmf"
    }

    fn file_name(&self) -> &'static str {
        "bencher.json"
    }

    fn export(&self, inputs: &[ReportInput<'_>]) -> Result<String, ReportError> {
        let mut doc: BTreeMap<&str, BTreeMap<&str, Value>> = BTreeMap::new();
        for input in inputs {
            let mut measures = BTreeMap::new();
            for (slug, metric) in BMF_MEASURES {
                if let Some((_, m)) = median_of(input.run, metric) {
                    measures.insert(
                        slug,
                        Value {
                            value: m.point,
                            lower_value: m.interval.map(|i| i.lower),
                            upper_value: m.interval.map(|i| i.upper),
                        },
                    );
                }
            }
            measures.extend(load_measures(input.run));
            doc.insert(input.run.scenario.id.as_str(), measures);
        }
        let mut text = serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Encode {
            format: "bmf",
            message: e.to_string(),
        })?;
        text.push('\n');
        Ok(text)
    }
}
