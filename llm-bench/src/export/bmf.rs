//! The Bencher Metric Format.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{median_of, Exporter};
use crate::metrics::Metric;
use crate::report::{ReportError, ReportInput};

/// `bmf`: the [Bencher Metric Format], `{"<scenario id>": {"<measure>": {"value": …,
/// "lower_value": …, "upper_value": …}}}`.
///
/// Measures (slugs): `ttft`, `tpot`, `e2e`, `itl` in milliseconds, and
/// `output-tokens-per-second` in tokens per second. `value` is the median over the
/// successful requests (for `itl`, of each request's median gap) and `lower_value` /
/// `upper_value` its 95% percentile-bootstrap interval, present when the run has enough
/// requests for one (10). A measure with no value (e.g. every request failed) is left out.
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
