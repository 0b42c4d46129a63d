//! The gate: what a scenario's run means for the build. A gated metric that regressed, or
//! an absolute threshold that was breached, fails it; a gated metric or threshold the data
//! cannot decide makes it inconclusive, said in words with what to do, never "fine".

use crate::format::format_duration_ns;
use crate::metrics::{Metric, MetricHistogram, Summary};
use crate::rules::threshold::{Stat, Threshold};
use crate::stats::{quantile_sorted, InconclusiveReason, Side, Verdict};
use crate::store::{StoredComparison, StoredRun, ThresholdOutcome, ThresholdResult};

/// The metric a threshold names (`None` for `errors`).
fn metric_of(threshold: &Threshold) -> Option<Metric> {
    Metric::ALL
        .into_iter()
        .find(|m| m.name() == threshold.metric)
}

/// The run's histogram of every gap for ITL (per token where events carried several
/// tokens, else per event, which is then the same); `None` for the per-request metrics,
/// whose exact values the run keeps.
fn gap_histogram(run: &StoredRun, metric: Metric) -> Option<MetricHistogram> {
    let buckets = match metric {
        Metric::Itl => &run.itl_histogram,
        Metric::ItlPerToken if !run.itl_per_token_histogram.is_empty() => {
            &run.itl_per_token_histogram
        }
        Metric::ItlPerToken => &run.itl_histogram,
        _ => return None,
    };
    let mut h = MetricHistogram::new(metric);
    for &(value, count) in buckets {
        h.record_raw(value, count);
    }
    Some(h)
}

/// A threshold's statistic of `metric` in the run, by the definitions of its summary
/// (docs/statistics.md, "Definitions"): percentiles are type 7 (linear interpolation), over
/// the bucketed values of the gap histogram for ITL, over the exact values of the
/// successful requests for the others (so `p50 ttft` is the reported TTFT median).
fn observed(run: &StoredRun, metric: Metric, stat: Stat) -> Option<f64> {
    if let Some(h) = gap_histogram(run, metric) {
        return match stat {
            Stat::Percentile(p) => h.quantile(p / 100.0),
            Stat::Mean => h.summary().map(|s| s.mean),
            Stat::Min => h.summary().map(|s| s.min),
            Stat::Max => h.summary().map(|s| s.max),
        };
    }
    let summary = Summary::of_metric(metric, &run.samples)?;
    Some(match stat {
        Stat::Percentile(p) => {
            let mut sorted: Vec<f64> = (run.samples.iter())
                .filter_map(|s| metric.of(s))
                .filter(|v| v.is_finite())
                .collect();
            sorted.sort_unstable_by(f64::total_cmp);
            quantile_sorted(&sorted, p / 100.0)
        }
        Stat::Mean => summary.mean,
        Stat::Min => summary.min,
        Stat::Max => summary.max,
    })
}

/// Checks each threshold against the run.
pub(crate) fn check_thresholds(run: &StoredRun, thresholds: &[Threshold]) -> Vec<ThresholdResult> {
    thresholds.iter().map(|t| check_one(run, t)).collect()
}

fn check_one(run: &StoredRun, threshold: &Threshold) -> ThresholdResult {
    let (observed, observed_text) = match metric_of(threshold) {
        None => {
            let total = run.samples.len();
            let failed = run.samples.iter().filter(|s| !s.is_ok()).count();
            if total == 0 {
                (None, "-".to_string())
            } else {
                let share = failed as f64 / total as f64;
                let text = format!(
                    "{:.1}% ({failed} of {total} requests failed)",
                    share * 100.0
                );
                (Some(share), text)
            }
        }
        Some(metric) => {
            let stat = threshold.stat.unwrap_or(Stat::Percentile(50.0));
            let value = observed(run, metric, stat);
            let text = match value {
                Some(v) if metric.is_duration() => format_duration_ns(v),
                Some(v) => format!("{v:.1} tokens/s"),
                None => "-".to_string(),
            };
            (value, text)
        }
    };
    let outcome = match observed {
        None => ThresholdOutcome::NoData,
        Some(v) if threshold.op.holds(v, threshold.limit) => ThresholdOutcome::Passed,
        Some(_) => ThresholdOutcome::Breached,
    };
    ThresholdResult {
        threshold: threshold.text.clone(),
        observed,
        observed_text,
        outcome,
    }
}

/// What a scenario's run means for the build.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Judgement {
    /// True when the run was compared with a baseline.
    pub compared: bool,
    /// The gated metrics.
    pub gated: Vec<Metric>,
    /// Gated metrics that regressed.
    pub regressed: Vec<Metric>,
    /// Gated metrics that improved.
    pub improved: Vec<Metric>,
    /// Why the gate cannot tell, one sentence each with what to do.
    pub undecided: Vec<String>,
    /// Breached thresholds, each with the figure: `p95 ttft < 800ms: 912.0 ms`.
    pub breached: Vec<String>,
    /// How many thresholds were checked.
    pub thresholds: usize,
}

impl Judgement {
    /// Judges a run from its comparison (if it was compared) and its threshold results.
    pub(crate) fn of(run: &StoredRun, comparison: Option<&StoredComparison>) -> Judgement {
        let thresholds = Judgement::of_thresholds(run);
        match comparison {
            Some(c) => thresholds.compared_with(c),
            None => thresholds,
        }
    }

    /// Judges a run from its threshold results alone, as if it had not been compared.
    pub(crate) fn of_thresholds(run: &StoredRun) -> Judgement {
        let mut judgement = Judgement {
            thresholds: run.thresholds.len(),
            ..Judgement::default()
        };
        for t in &run.thresholds {
            match t.outcome {
                ThresholdOutcome::Breached => judgement
                    .breached
                    .push(format!("{}: {}", t.threshold, t.observed_text)),
                ThresholdOutcome::NoData => judgement.undecided.push(format!(
                    "threshold `{}`: no successful request measured it; fix the failing requests (see the errors above)",
                    t.threshold
                )),
                _ => {}
            }
        }
        judgement
    }

    /// This judgement of the thresholds alone ([`Judgement::of_thresholds`]) with what
    /// comparison `c` decides added (its sentences first): the whole judgement, also after
    /// the false-discovery control decided the comparison again.
    pub(crate) fn compared_with(&self, c: &StoredComparison) -> Judgement {
        let mut judgement = Judgement::default();
        judgement.judge_comparison(c);
        judgement.undecided.extend(self.undecided.iter().cloned());
        judgement.breached = self.breached.clone();
        judgement.thresholds = self.thresholds;
        judgement
    }

    /// Adds what comparison `c` decides: its gated metrics that regressed, improved or
    /// could not be judged.
    fn judge_comparison(&mut self, c: &StoredComparison) {
        self.compared = true;
        self.gated = c.gated.clone();
        for &metric in &c.gated {
            match c.metrics.get(&metric).map(|m| &m.verdict) {
                Some(Verdict::Regressed) => self.regressed.push(metric),
                Some(Verdict::Improved) => self.improved.push(metric),
                Some(Verdict::NoChange) => {}
                Some(Verdict::Inconclusive(reason)) => self
                    .undecided
                    .push(format!("{}: {reason}; {}", metric.label(), advice(reason))),
                None => self.undecided.push(format!(
                    "{}: not measured on both sides{}; gate metrics this scenario measures (gate = \"...\", or --gate)",
                    metric.label(),
                    if metric == Metric::Tpot {
                        " (TPOT needs requests with more than one output token)"
                    } else {
                        ""
                    }
                )),
            }
        }
    }

    /// True when the build fails whatever the flags: a breached threshold.
    pub fn breached(&self) -> bool {
        !self.breached.is_empty()
    }

    /// True when a gated metric regressed.
    pub fn regressed(&self) -> bool {
        !self.regressed.is_empty()
    }

    /// True when the gate could not tell.
    pub fn inconclusive(&self) -> bool {
        !self.undecided.is_empty()
    }

    /// The scenario's verdict in one word or two, as `--quiet` and the verdict line say it.
    pub fn word(&self) -> &'static str {
        if self.breached() && self.regressed() {
            "REGRESSED, THRESHOLD BREACHED"
        } else if self.breached() {
            "THRESHOLD BREACHED"
        } else if self.regressed() {
            "REGRESSED"
        } else if self.inconclusive() {
            "INCONCLUSIVE"
        } else if !self.compared && self.thresholds > 0 {
            "thresholds met"
        } else if !self.compared {
            "not compared"
        } else if !self.improved.is_empty() {
            "improved"
        } else {
            "no change"
        }
    }

    /// The closing lines of a scenario's block: the verdict with what decided it.
    pub fn lines(&self) -> Vec<String> {
        if !self.compared && self.thresholds == 0 {
            // Nothing was judged; the block already says why nothing was compared.
            return Vec::new();
        }
        let labels = |ms: &[Metric]| ms.iter().map(|m| m.label()).collect::<Vec<_>>().join(", ");
        let mut lines = Vec::new();
        let mut head = format!("verdict: {}", self.word());
        if self.regressed() {
            head.push_str(&format!(" ({})", labels(&self.regressed)));
        } else if self.compared && !self.inconclusive() && !self.breached() {
            head.push_str(&format!(" (gated: {})", labels(&self.gated)));
        }
        lines.push(head);
        for b in &self.breached {
            lines.push(format!("  threshold breached: {b}"));
        }
        for u in &self.undecided {
            lines.push(format!("  cannot tell: {u}"));
        }
        lines
    }
}

/// What to do about an inconclusive comparison.
fn advice(reason: &InconclusiveReason) -> String {
    match *reason {
        InconclusiveReason::TooFewSamples {
            side: Side::New, min, ..
        } => format!(
            "run at least {min} successful samples (--samples {min}, or samples = {min} in the attribute)"
        ),
        InconclusiveReason::TooFewSamples {
            side: Side::Base, min, ..
        } => format!("save a new baseline with at least {min} successful samples"),
        InconclusiveReason::TooManyErrors { side: Side::New, .. } => {
            "fix the failing requests (see the errors above)".to_string()
        }
        InconclusiveReason::TooManyErrors { side: Side::Base, .. } => {
            "the baseline had too many failed requests: save a new one".to_string()
        }
        InconclusiveReason::NonPositiveBaseline => "save a new baseline".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::threshold::parse_thresholds;
    use crate::stats::Comparison;

    fn run_with_ttfts(ms: &[u64], failed: usize) -> StoredRun {
        let json = r#"{"index":0,"started_at_ns":0,"ttfb_ns":null,"ttft_ns":null,"ttfo_ns":null,
            "e2e_ns":null,"output_events":0,"output_tokens":null,"token_source":null,
            "usage":null,"itl_median_ns":null,"error":null}"#;
        let base: crate::metrics::RequestSample = serde_json::from_str(json).unwrap();
        let mut run = crate::store::tests::sample_run("s");
        for (i, &v) in ms.iter().enumerate() {
            let mut s = base.clone();
            s.index = i as u32;
            s.ttft_ns = Some(v * 1_000_000);
            run.samples.push(s);
        }
        for _ in 0..failed {
            let mut s = base.clone();
            s.error = Some(crate::metrics::RequestError {
                class: crate::ErrorClass::Connect,
                message: "refused".into(),
                after_ns: None,
                phase: None,
            });
            run.samples.push(s);
        }
        run
    }

    #[test]
    fn thresholds_pass_breach_or_have_no_data() {
        let run = run_with_ttfts(&(1..=100).collect::<Vec<_>>(), 0);
        let t = parse_thresholds("p95 ttft < 90ms, median ttft < 60ms, errors < 1%, p50 e2e < 1s")
            .unwrap();
        let r = check_thresholds(&run, &t);
        assert_eq!(r[0].outcome, ThresholdOutcome::Breached, "{:?}", r[0]);
        // Type 7 of the exact values: h = 99·0.95 = 94.05, so 95.05 ms.
        let p95 = r[0].observed.expect("a value");
        assert!((p95 - 95.05e6).abs() < 1.0, "{p95}");
        // The median threshold sees the reported median: (50 + 51) / 2 ms.
        assert_eq!(r[1].observed, Some(50.5e6));
        assert!(
            r[0].observed_text.starts_with("95."),
            "{}",
            r[0].observed_text
        );
        assert_eq!(r[1].outcome, ThresholdOutcome::Passed);
        assert_eq!(r[2].outcome, ThresholdOutcome::Passed);
        assert_eq!(r[2].observed, Some(0.0));
        assert_eq!(
            r[3].outcome,
            ThresholdOutcome::NoData,
            "no E2E was measured"
        );

        let failing = run_with_ttfts(&[10; 4], 1);
        let r = check_thresholds(&failing, &parse_thresholds("errors < 5%").unwrap());
        assert_eq!(r[0].outcome, ThresholdOutcome::Breached);
        assert_eq!(r[0].observed_text, "20.0% (1 of 5 requests failed)");
    }

    fn comparison(verdict: Verdict) -> StoredComparison {
        let mut metrics = std::collections::BTreeMap::new();
        let cfg = crate::stats::StatsConfig::default();
        let errors = crate::stats::ErrorCounts::default();
        let direction = crate::stats::Direction::LowerIsBetter;
        let comparison = crate::stats::compare(&[1.0, 2.0], &[2.0, 4.0], errors, direction, &cfg);
        metrics.insert(
            Metric::Tpot,
            Comparison {
                verdict,
                ..comparison
            },
        );
        StoredComparison {
            schema: String::new(),
            schema_version: 1,
            scenario: "s".into(),
            baseline: "base".into(),
            metrics,
            gated: vec![Metric::Ttft, Metric::Tpot],
            regressed: false,
        }
    }

    #[test]
    fn an_inconclusive_gated_metric_is_never_fine() {
        let run = run_with_ttfts(&[1, 2, 3], 0);
        let few = Verdict::Inconclusive(InconclusiveReason::TooFewSamples {
            side: Side::New,
            n: 3,
            min: 10,
        });
        let j = Judgement::of(&run, Some(&comparison(few)));
        assert!(j.inconclusive() && !j.regressed());
        assert_eq!(j.word(), "INCONCLUSIVE");
        let text = j.lines().join("\n");
        assert!(
            text.contains("TPOT: only 3 samples in the new run (need 10)"),
            "{text}"
        );
        assert!(text.contains("--samples 10"), "{text}");
        // TTFT is gated but was not compared at all: that cannot pass either
        assert!(text.contains("TTFT: not measured on both sides"), "{text}");

        let j = Judgement::of(&run, Some(&comparison(Verdict::Regressed)));
        assert_eq!(j.word(), "REGRESSED");
    }

    #[test]
    fn a_breached_threshold_names_the_figure() {
        let mut run = run_with_ttfts(&[900, 950, 1000], 0);
        run.thresholds = check_thresholds(&run, &parse_thresholds("max ttft < 800ms").unwrap());
        let j = Judgement::of(&run, None);
        assert!(j.breached());
        assert_eq!(j.word(), "THRESHOLD BREACHED");
        assert!(
            j.lines()[1].contains("max ttft < 800ms: 1.000 s"),
            "{:?}",
            j.lines()
        );
    }
}
