//! Per-metric summaries (count, mean, percentiles).
//!
//! Every percentile is the type-7 quantile (linear interpolation between order statistics,
//! numpy's and R's default; [`crate::stats::quantile_sorted`]), so the median of an even
//! count is the mean of the two middle values. Metrics with one value per request (TTFT,
//! E2E, ...) are summarized from the exact values ([`Summary::of_metric`]): their p50, p90
//! and p99 are the point estimates [`crate::stats::estimate`] gives for the same values. ITL (every gap of every request) is kept only as an HDR histogram (3
//! significant digits): its percentiles are type 7 over the recorded values as the
//! histogram holds them, each represented by the middle of its bucket
//! ([`MetricHistogram::quantile`]). docs/statistics.md, "Definitions".

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
/// as such. Percentiles are type-7 quantiles (linear interpolation, numpy's and R's
/// default; the median of an even count is the mean of the two middle values): of the exact
/// values for per-request metrics, of the bucketed values of an HDR histogram (3
/// significant digits, each value represented by its bucket's middle) for ITL over every
/// gap. docs/statistics.md, "Definitions".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub count: u64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Standard deviation (divisor `n`).
    pub stdev: f64,
    /// Smallest value.
    pub min: f64,
    /// Median (the mean of the two middle values of an even count).
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

/// The quantiles a [`Summary`] holds, ascending: p50, p90, p95, p99, p99.9.
const SUMMARY_QUANTILES: [f64; 5] = [0.50, 0.90, 0.95, 0.99, 0.999];

impl Summary {
    /// The summary of a per-request metric over the successful samples, from the exact
    /// values ([`Summary::of_values`]): its percentiles are the type-7 quantiles that
    /// [`crate::stats::estimate`] gives as point estimates. `None` when no request has a
    /// value. (ITL over every gap has only a histogram: [`MetricHistogram::summary`].)
    pub(crate) fn of_metric(metric: Metric, samples: &[RequestSample]) -> Option<Summary> {
        Summary::of_values(samples.iter().filter_map(|s| metric.of(s)))
    }

    /// The summary of exact values (one per request, in the metric's unit), or `None` when
    /// none is finite. Non-finite values are dropped, as [`crate::stats::estimate`] drops
    /// them; percentiles are type 7 ([`crate::stats::quantile_sorted`]) of the rest.
    pub(crate) fn of_values(values: impl IntoIterator<Item = f64>) -> Option<Summary> {
        let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        let mean = (sorted.iter().sum::<f64>() / n).clamp(min, max);
        let variance = sorted.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let [p50, p90, p95, p99, p999] =
            SUMMARY_QUANTILES.map(|p| crate::stats::quantile_sorted(&sorted, p));
        Some(Summary {
            count: sorted.len() as u64,
            mean,
            stdev: variance.sqrt(),
            min,
            p50,
            p90,
            p95,
            p99,
            p999,
            max,
        })
    }
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

    /// The recorded buckets in ascending order as (representative value, count of values
    /// up to and including this bucket). A bucket's representative is the middle of its
    /// range (`median_equivalent`), the value hdrhistogram's mean and deviation use too.
    fn cumulative(&self) -> Vec<(u64, u64)> {
        let mut through = 0u64;
        self.hist
            .iter_recorded()
            .map(|v| {
                through = through.saturating_add(v.count_at_value());
                (self.hist.median_equivalent(v.value_iterated_to()), through)
            })
            .collect()
    }

    /// The type-7 quantile at `q` of the values `cumulative` describes (`n` of them):
    /// `h = (n−1)·q`, the value at 0-based rank `⌊h⌋` interpolated towards rank `⌊h⌋+1` by
    /// `h−⌊h⌋`. In the histogram's scale.
    fn type7(cumulative: &[(u64, u64)], n: u64, q: f64) -> f64 {
        // The value at a 0-based rank: the first bucket holding more values than the rank.
        let at_rank = |rank: u64| {
            let i = cumulative.partition_point(|&(_, through)| through <= rank);
            cumulative
                .get(i)
                .or(cumulative.last())
                .map_or(0.0, |&(v, _)| v as f64)
        };
        let h = q.clamp(0.0, 1.0) * n.saturating_sub(1) as f64;
        let lo = h.floor();
        let frac = h - lo;
        let lo = lo as u64;
        let lo_v = at_rank(lo);
        if frac > 0.0 && lo + 1 < n {
            let hi_v = at_rank(lo + 1);
            (lo_v + frac * (hi_v - lo_v)).clamp(lo_v, hi_v)
        } else {
            lo_v
        }
    }

    /// The type-7 quantile at `q` (0 to 1) of the recorded values as the histogram holds
    /// them, each represented by the middle of its bucket (3 significant digits); `None`
    /// when nothing was recorded.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.hist.is_empty() {
            return None;
        }
        let cumulative = self.cumulative();
        Some(self.unscale(Self::type7(&cumulative, self.hist.len(), q)))
    }

    /// The summary, or `None` when nothing was recorded: mean and deviation from the
    /// buckets' middles, min and max the lowest and highest values of their buckets, and
    /// the percentiles as [`MetricHistogram::quantile`] (one pass over the buckets).
    pub fn summary(&self) -> Option<Summary> {
        if self.hist.is_empty() {
            return None;
        }
        let unscale = |v: f64| self.unscale(v);
        let cumulative = self.cumulative();
        let n = self.hist.len();
        let [p50, p90, p95, p99, p999] =
            SUMMARY_QUANTILES.map(|p| unscale(Self::type7(&cumulative, n, p)));
        Some(Summary {
            count: n,
            mean: unscale(self.hist.mean()),
            stdev: unscale(self.hist.stdev()),
            min: unscale(self.hist.min() as f64),
            p50,
            p90,
            p95,
            p99,
            p999,
            max: unscale(self.hist.max() as f64),
        })
    }
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
        // Type 7 by hand, as numpy.percentile(range(1, 101), [50, 90, 99]): h = 99·q, so
        // 50.5, 90.1 and 99.01 ms.
        assert!(close(s.p50, 50.5e6), "{}", s.p50);
        assert!(close(s.p90, 90.1e6), "{}", s.p90);
        assert!(close(s.p99, 99.01e6), "{}", s.p99);
        assert!(close(s.max, 100e6), "{}", s.max);
        assert!(close(s.mean, 50.5e6), "{}", s.mean);
    }

    /// The median of an even count is the mean of the two middle values: 1, 2, 3, 4 ms
    /// give 2.5 ms within the histogram's 3 significant digits (the old rank ⌈q·n⌉ gave 2).
    #[test]
    fn histogram_median_of_an_even_count_interpolates() {
        let mut h = MetricHistogram::new(Metric::Itl);
        for ms in [4u64, 1, 3, 2] {
            h.record((ms * 1_000_000) as f64);
        }
        let p50 = h.quantile(0.5).unwrap();
        assert!((p50 - 2.5e6).abs() / 2.5e6 < 0.001, "{p50}");
        assert_eq!(h.summary().unwrap().p50, p50);
    }

    /// Below 2048 the histogram's buckets are one unit wide, so its type-7 quantiles are
    /// exact: numpy.percentile([1, 2, 3, 4, 10], [0, 25, 50, 90, 99, 100]) is 1, 2, 3, 7.6,
    /// 9.76, 10 (worked out by hand with h = 4·q).
    #[test]
    fn histogram_quantiles_are_type_7_over_the_recorded_values() {
        let mut h = MetricHistogram::new(Metric::Ttft);
        for v in [10.0, 1.0, 4.0, 2.0, 3.0] {
            h.record(v);
        }
        for (q, want) in [
            (0.0, 1.0),
            (0.25, 2.0),
            (0.5, 3.0),
            (0.9, 7.6),
            (0.99, 9.76),
            (1.0, 10.0),
        ] {
            let got = h.quantile(q).unwrap();
            assert!((got - want).abs() < 1e-9, "q={q}: {got}");
        }
        let s = h.summary().unwrap();
        assert!(
            (s.p90 - 7.6).abs() < 1e-9 && (s.p99 - 9.76).abs() < 1e-9,
            "{s:?}"
        );
        assert!(MetricHistogram::new(Metric::Ttft).quantile(0.5).is_none());
        // A value counted several times: 5, 5, 5, 7 -> p50 5, p90 h = 2.7 -> 5 + 0.7·2.
        let mut h = MetricHistogram::new(Metric::Itl);
        h.record_raw(5, 3);
        h.record_raw(7, 1);
        assert_eq!(h.quantile(0.5), Some(5.0));
        assert!((h.quantile(0.9).unwrap() - 6.4).abs() < 1e-9);
    }

    /// The stored summary of a per-request metric is the exact type-7 quantile of its
    /// values, the same number `stats::estimate` gives as the point estimate.
    #[test]
    fn per_request_summaries_match_the_estimates() {
        let ttft_ms = [120.0, 95.5, 101.25, 330.0, 99.0, 100.0, 250.75, 97.0];
        let samples: Vec<RequestSample> = ttft_ms
            .iter()
            .map(|&ms: &f64| RequestSample {
                ttft_ns: Some((ms * 1e6) as u64),
                ..RequestSample::default()
            })
            .collect();
        let s = Summary::of_metric(Metric::Ttft, &samples).unwrap();
        let mut sorted: Vec<f64> = ttft_ms.iter().map(|ms| ms * 1e6).collect();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(s.count, 8);
        assert_eq!(s.p50, crate::stats::quantile_sorted(&sorted, 0.5));
        // The two middle values, 100 and 101.25 ms, averaged (numpy.median).
        assert_eq!(s.p50, 100.625e6);
        assert_eq!(s.p90, crate::stats::quantile_sorted(&sorted, 0.9));
        assert_eq!(s.p99, crate::stats::quantile_sorted(&sorted, 0.99));
        assert_eq!((s.min, s.max), (95.5e6, 330e6));
        let e = crate::stats::estimate(&sorted, &crate::stats::StatsConfig::default()).unwrap();
        assert_eq!(
            (s.p50, s.p90, s.p99),
            (e.median.point, e.p90.point, e.p99.point)
        );
        assert!((s.mean - e.mean.point).abs() < 1e-3);
        // Population deviation of 1, 2, 3, 4: √1.25.
        let d = Summary::of_values([1.0, 2.0, 3.0, 4.0, f64::NAN]).unwrap();
        assert_eq!((d.count, d.p50), (4, 2.5));
        assert!((d.stdev - 1.25f64.sqrt()).abs() < 1e-12);
        assert!(Summary::of_values([f64::INFINITY]).is_none());
        assert!(Summary::of_metric(Metric::E2e, &samples).is_none());
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
