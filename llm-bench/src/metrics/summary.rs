//! Per-metric summaries (count, mean, percentiles) from HDR histograms.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::metrics::sample::RequestSample;
use crate::rules::names::{parse_gate_list, UnknownMetric, GATE_METRICS};

/// Largest duration a histogram holds: one hour, in nanoseconds. Longer values saturate.
const MAX_NS: u64 = 3_600_000_000_000;
/// Tokens per second are recorded in thousandths, so three decimals survive.
const TPS_SCALE: f64 = 1000.0;

/// The metrics llm-bench reports (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Start to response headers.
    Ttfb,
    /// Start to the first event carrying output of any kind.
    Ttft,
    /// Start to the first answer text (after any reasoning).
    Ttfo,
    /// Gaps between consecutive output events (a distribution over all gaps of the run).
    Itl,
    /// The same gaps per token: a gap that ended with an event of `k` tokens counts as `k`
    /// gaps of `gap / k`. Reported when some event carried several tokens.
    ItlPerToken,
    /// `(E2E - TTFT) / (output_tokens - 1)`.
    Tpot,
    /// Start to the end of the stream.
    E2e,
    /// Output tokens per second of a request: `output_tokens / E2E`.
    TokensPerSecond,
}

// Every metric has its name in the one list the attribute checks `gate` against.
const _: () = assert!(GATE_METRICS.len() == Metric::ALL.len());

impl Metric {
    /// Every metric, in display order.
    pub const ALL: [Metric; 8] = [
        Metric::Ttfb,
        Metric::Ttft,
        Metric::Ttfo,
        Metric::Itl,
        Metric::ItlPerToken,
        Metric::Tpot,
        Metric::E2e,
        Metric::TokensPerSecond,
    ];

    /// The label printed in tables.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Ttfb => "TTFB",
            Metric::Ttft => "TTFT",
            Metric::Ttfo => "TTFO",
            Metric::Itl => "ITL",
            Metric::ItlPerToken => "ITL/token",
            Metric::Tpot => "TPOT",
            Metric::E2e => "E2E",
            Metric::TokensPerSecond => "tokens/s",
        }
    }

    /// The metric's stable name, as in stored files and `gate` lists: `ttfb`, `ttft`,
    /// `ttfo`, `itl`, `itl_per_token`, `tpot`, `e2e`, `tokens_per_second`.
    pub fn name(self) -> &'static str {
        // One list of names for the attribute and the runtime (`rules::names`), in the
        // order of the variants.
        GATE_METRICS[self as usize]
    }

    /// Parses a comma-separated list of metric names (case and spaces ignored, empty items
    /// skipped, duplicates dropped), with the rule the attribute's `gate` applies.
    pub(crate) fn parse_list(list: &str) -> Result<Vec<Metric>, UnknownMetric> {
        Ok(parse_gate_list(list, "")?
            .into_iter()
            .filter_map(Metric::from_name)
            .collect())
    }

    /// The metric of a stable name.
    fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// True for metrics measured in time (nanoseconds); false for tokens per second.
    pub fn is_duration(self) -> bool {
        self != Metric::TokensPerSecond
    }

    /// This metric's value for one successful request (ITL: the request's median gap).
    pub fn of(self, s: &RequestSample) -> Option<f64> {
        if !s.is_ok() {
            return None;
        }
        let ns = match self {
            Metric::Ttfb => s.ttfb_ns,
            Metric::Ttft => s.ttft_ns,
            Metric::Ttfo => s.ttfo_ns,
            Metric::Itl => s.itl_median_ns,
            Metric::ItlPerToken => s.itl_per_token_median_ns,
            Metric::Tpot => s.tpot_ns(),
            Metric::E2e => s.e2e_ns,
            Metric::TokensPerSecond => return s.tokens_per_second(),
        };
        ns.map(|v| v as f64)
    }
}

/// Count, mean and percentiles of one metric. Durations in nanoseconds; tokens per second
/// as such. Percentiles come from an HDR histogram (3 significant digits).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Standard deviation.
    pub stdev: f64,
    /// Smallest value.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest value.
    pub max: f64,
}

/// A histogram of one metric's values: nanoseconds, or thousandths of tokens per second.
#[derive(Debug, Clone)]
pub struct MetricHistogram {
    metric: Metric,
    hist: Histogram<u64>,
}

impl MetricHistogram {
    /// An empty histogram for `metric`.
    pub fn new(metric: Metric) -> Self {
        // Bounds are constants that hdrhistogram accepts; failure would be a programming error.
        let hist =
            Histogram::new_with_bounds(1, MAX_NS, 3).expect("constant histogram bounds are valid");
        MetricHistogram { metric, hist }
    }

    /// Records one value in the metric's unit (ns or tokens/s).
    #[inline]
    pub fn record(&mut self, value: f64) {
        let scaled = if self.metric.is_duration() {
            value
        } else {
            value * TPS_SCALE
        };
        self.hist.saturating_record(scaled.round().max(1.0) as u64);
    }

    /// Records `count` occurrences of a raw (already scaled) histogram value.
    pub fn record_raw(&mut self, raw: u64, count: u64) {
        let _ = self.hist.record_n(raw.clamp(1, MAX_NS), count);
    }

    /// Adds another histogram of the same metric.
    pub fn merge(&mut self, other: &MetricHistogram) {
        // Same bounds by construction, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
    }

    /// The recorded buckets as (raw value, count), for storage.
    pub fn buckets(&self) -> Vec<(u64, u64)> {
        self.hist
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }

    /// Number of values recorded.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// A value in the metric's unit from the histogram's scale.
    fn unscale(&self, v: f64) -> f64 {
        if self.metric.is_duration() {
            v
        } else {
            v / TPS_SCALE
        }
    }

    /// The value at quantile `q` (0 to 1), or `None` when nothing was recorded.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        (!self.hist.is_empty()).then(|| self.unscale(self.hist.value_at_quantile(q) as f64))
    }

    /// The summary, or `None` when nothing was recorded.
    pub fn summary(&self) -> Option<Summary> {
        if self.hist.is_empty() {
            return None;
        }
        let unscale = |v: f64| self.unscale(v);
        let q = |p: f64| unscale(self.hist.value_at_quantile(p) as f64);
        Some(Summary {
            count: self.hist.len(),
            mean: unscale(self.hist.mean()),
            stdev: unscale(self.hist.stdev()),
            min: unscale(self.hist.min() as f64),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max: unscale(self.hist.max() as f64),
        })
    }
}

/// Builds the histogram of a per-request metric from samples (ITL has its own, fed by
/// every gap of every successful request).
pub fn histogram_of(metric: Metric, samples: &[RequestSample]) -> MetricHistogram {
    let mut h = MetricHistogram::new(metric);
    for v in samples.iter().filter_map(|s| metric.of(s)) {
        h.record(v);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example this item's documentation gave.
    #[test]
    fn metric_lists_parse() {
        use crate::metrics::Metric;
        assert_eq!(
            Metric::parse_list("TTFT, tpot").unwrap(),
            vec![Metric::Ttft, Metric::Tpot]
        );
        assert!(Metric::parse_list("latency").is_err());
    }

    /// The names `gate` accepts, the names stored files use and the names the runtime
    /// parses are one list: each variant's name is its entry in `GATE_METRICS`, and serde
    /// writes the same.
    #[test]
    fn metric_names_are_the_gate_names_and_the_stored_names() {
        use crate::metrics::Metric;
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names, GATE_METRICS);
        for metric in Metric::ALL {
            let stored = serde_json::to_string(&metric).unwrap();
            assert_eq!(stored, format!("\"{}\"", metric.name()));
            assert_eq!(Metric::parse_list(metric.name()).unwrap(), vec![metric]);
        }
    }

    #[test]
    fn summary_percentiles_within_hdr_precision() {
        let mut h = MetricHistogram::new(Metric::Ttft);
        for ms in 1..=100u64 {
            h.record((ms * 1_000_000) as f64);
        }
        let s = h.summary().unwrap();
        assert_eq!(s.count, 100);
        let close = |a: f64, b: f64| (a - b).abs() / b < 0.001;
        assert!(close(s.p50, 50e6), "{}", s.p50);
        assert!(close(s.p90, 90e6), "{}", s.p90);
        assert!(close(s.p99, 99e6), "{}", s.p99);
        assert!(close(s.max, 100e6), "{}", s.max);
        assert!(close(s.mean, 50.5e6), "{}", s.mean);
    }

    #[test]
    fn tokens_per_second_keep_decimals() {
        let mut h = MetricHistogram::new(Metric::TokensPerSecond);
        h.record(12.345);
        let s = h.summary().unwrap();
        assert!((s.p50 - 12.345).abs() < 0.01, "{}", s.p50);
    }

    #[test]
    fn buckets_round_trip() {
        let mut h = MetricHistogram::new(Metric::Itl);
        for v in [10_000_000.0, 10_000_000.0, 12_000_000.0] {
            h.record(v);
        }
        let mut back = MetricHistogram::new(Metric::Itl);
        for (v, c) in h.buckets() {
            back.record_raw(v, c);
        }
        assert_eq!(back.len(), 3);
        assert_eq!(back.summary().unwrap().p50, h.summary().unwrap().p50);
    }
}
