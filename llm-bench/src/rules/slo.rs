//! Service-level objectives: `slo = "p99 ttft <= 500ms, p90 tpot <= 50ms"` in the attribute
//! and `--slo` on the command line. The grammar is the threshold grammar
//! ([`super::threshold`]) narrowed to what one request can meet or miss:
//!
//! ```text
//! objectives := objective ("," objective)*
//! objective  := [percentile] metric (< | <=) time     (default percentile: median)
//! metric     := ttft | ttfb | ttfo | tpot | itl | e2e
//! ```
//!
//! `p99 ttft <= 500ms` asks that 99% of requests see their first token within 500 ms. A
//! request is **good** when it meets the bound of every objective (its own TTFT, TPOT,
//! E2E; for `itl`, its longest gap); a failed request is never good. Keep this file free
//! of anything but `std`: the attribute crate compiles it too.

use super::threshold::{parse_thresholds, Op, Stat, Threshold};

/// The metrics an objective can bound: the ones each request has a value of.
pub(crate) const SLO_METRICS: &[&str] = &["ttfb", "ttft", "ttfo", "tpot", "itl", "e2e"];

/// One objective: a share of requests within a bound.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Objective {
    /// A name of [`SLO_METRICS`].
    pub(crate) metric: &'static str,
    /// The share of requests that must be within the bound (0.99 for `p99`).
    pub(crate) share: f64,
    /// The bound, in nanoseconds.
    pub(crate) bound_ns: f64,
    /// `<=` (true) or `<`.
    pub(crate) inclusive: bool,
    /// The objective in its normal form (`p99 ttft <= 500ms`).
    pub(crate) text: String,
}

impl Objective {
    /// True when a request's value meets the bound.
    pub(crate) fn met_by(&self, value_ns: f64) -> bool {
        if self.inclusive {
            value_ns <= self.bound_ns
        } else {
            value_ns < self.bound_ns
        }
    }
}

/// Parses a comma-separated list of objectives; the error is a sentence naming the one at
/// fault.
pub(crate) fn parse_slos(text: &str) -> Result<Vec<Objective>, String> {
    if text.split(',').all(|part| part.trim().is_empty()) {
        return Err(
            "no objective given: write e.g. \"p99 ttft <= 500ms, p90 tpot <= 50ms\"".into(),
        );
    }
    let thresholds = parse_thresholds(text).map_err(|e| e.replacen("threshold", "objective", 1))?;
    thresholds.into_iter().map(objective).collect()
}

fn objective(t: Threshold) -> Result<Objective, String> {
    let Some(&metric) = SLO_METRICS.iter().find(|m| **m == t.metric) else {
        return Err(format!(
            "objective `{}`: an objective bounds the latency of each request: one of {}",
            t.text,
            SLO_METRICS.join(", ")
        ));
    };
    let share = match t.stat {
        Some(Stat::Percentile(p)) => p / 100.0,
        _ => {
            return Err(format!(
                "objective `{}`: name a percentile, e.g. `p99 {metric} <= 500ms`",
                t.text
            ))
        }
    };
    let inclusive = match t.op {
        Op::LessOrEqual => true,
        Op::Less => false,
        _ => {
            return Err(format!(
                "objective `{}`: an objective is an upper bound: use `<` or `<=`",
                t.text
            ))
        }
    };
    Ok(Objective {
        metric,
        share,
        bound_ns: t.limit,
        inclusive,
        text: t.text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_read_like_thresholds() {
        let slos = parse_slos("p99 ttft <= 500ms, p90 tpot < 50ms, e2e <= 2s").unwrap();
        assert_eq!(slos.len(), 3);
        assert_eq!(slos[0].metric, "ttft");
        assert_eq!(slos[0].share, 0.99);
        assert_eq!(slos[0].bound_ns, 500e6);
        assert!(slos[0].inclusive && !slos[1].inclusive);
        assert_eq!(slos[2].share, 0.5, "the median by default");
        assert_eq!(slos[0].text, "p99 ttft <= 500ms");
        assert!(slos[0].met_by(500e6) && !slos[1].met_by(50e6));
    }

    #[test]
    fn what_no_request_can_meet_is_refused() {
        let e = parse_slos("errors < 1%").unwrap_err();
        assert!(e.contains("bounds the latency of each request"), "{e}");
        let e = parse_slos("p99 ttft >= 5ms").unwrap_err();
        assert!(e.contains("upper bound"), "{e}");
        let e = parse_slos("mean ttft < 5ms").unwrap_err();
        assert!(e.contains("name a percentile"), "{e}");
        let e = parse_slos("p99 tfft < 5ms").unwrap_err();
        assert!(e.starts_with("objective `p99 tfft < 5ms`"), "{e}");
        assert!(e.contains("did you mean `ttft`"), "{e}");
    }
}
