//! Service-level objectives and goodput: which requests were good, the share that were,
//! and whether each objective's percentile was met (grammar: [`crate::rules::slo`]).

use crate::metrics::RequestSample;
use crate::rules::slo::Objective;
use crate::store::{SloReport, SloResult};

/// A request's value for an objective's metric, in nanoseconds (`None` when it failed or
/// has none, e.g. TPOT of a one-token answer).
fn value_of(metric: &str, s: &RequestSample) -> Option<f64> {
    if !s.is_ok() {
        return None;
    }
    let ns = match metric {
        "ttfb" => s.ttfb_ns,
        "ttft" => s.ttft_ns,
        "ttfo" => s.ttfo_ns,
        "tpot" => s.tpot_ns(),
        "itl" => s.itl_max_ns,
        "e2e" => s.e2e_ns,
        _ => None,
    };
    ns.map(|v| v as f64)
}

/// True when the request met `objective`: it succeeded and its value is within the bound.
/// A successful request without a value (TPOT of a one-token answer, ITL of a one-event
/// stream) has nothing to miss and meets it.
fn meets(objective: &Objective, s: &RequestSample) -> bool {
    s.is_ok() && value_of(objective.metric, s).is_none_or(|v| objective.met_by(v))
}

/// The report of `samples` (every measured request, failed ones included) against
/// `objectives`, over a phase of `wall_time_ns`; `None` without objectives.
pub(crate) fn report(
    objectives: &[Objective],
    samples: &[RequestSample],
    wall_time_ns: u64,
) -> Option<SloReport> {
    if objectives.is_empty() {
        return None;
    }
    let n = samples.len() as u64;
    let share = |count: u64| if n == 0 { 0.0 } else { count as f64 / n as f64 };
    let results: Vec<SloResult> = objectives
        .iter()
        .map(|o| {
            let attained = share(samples.iter().filter(|s| meets(o, s)).count() as u64);
            SloResult {
                objective: o.text.clone(),
                attained,
                required: o.share,
                observed_ns: percentile_with_failures(o, samples),
                met: n > 0 && attained >= o.share,
            }
        })
        .collect();
    let good = samples
        .iter()
        .filter(|s| objectives.iter().all(|o| meets(o, s)))
        .count() as u64;
    let secs = wall_time_ns as f64 / 1e9;
    Some(SloReport {
        met: results.iter().all(|r| r.met),
        objectives: results,
        good_requests: good,
        requests: n,
        good_fraction: share(good),
        goodput_rps: if secs > 0.0 { good as f64 / secs } else { 0.0 },
    })
}

/// The objective's percentile (nearest rank) over every request, a failed one counted as
/// infinitely slow; `None` when it falls on a failed request or there are none.
fn percentile_with_failures(o: &Objective, samples: &[RequestSample]) -> Option<f64> {
    let mut values: Vec<f64> = samples
        .iter()
        .filter(|s| !s.is_ok() || value_of(o.metric, s).is_some())
        .map(|s| value_of(o.metric, s).unwrap_or(f64::INFINITY))
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((o.share * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1]).filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::RequestError;
    use crate::rules::slo::parse_slos;

    fn ok(ttft_ms: u64, e2e_ms: u64, tokens: u64) -> RequestSample {
        RequestSample {
            ttft_ns: Some(ttft_ms * 1_000_000),
            e2e_ns: Some(e2e_ms * 1_000_000),
            output_tokens: Some(tokens),
            ..RequestSample::default()
        }
    }

    fn failed() -> RequestSample {
        RequestSample {
            error: Some(RequestError {
                class: crate::ErrorClass::Timeout,
                message: "timed out".into(),
                after_ns: None,
                phase: None,
            }),
            ..RequestSample::default()
        }
    }

    /// 10 requests over 2 s: 7 fast, 2 with a slow first token, 1 failed. Goodput counts
    /// the 7 that met both objectives, over the 10 (the failure in the denominator).
    #[test]
    fn goodput_counts_requests_that_met_every_objective() {
        let mut samples: Vec<RequestSample> = (0..7).map(|_| ok(100, 500, 41)).collect();
        samples.push(ok(900, 1300, 41));
        samples.push(ok(800, 1200, 41));
        samples.push(failed());
        let slos = parse_slos("p90 ttft <= 500ms, p50 tpot <= 20ms").unwrap();
        let r = report(&slos, &samples, 2_000_000_000).unwrap();
        assert_eq!((r.good_requests, r.requests), (7, 10));
        assert!((r.good_fraction - 0.7).abs() < 1e-12);
        assert!((r.goodput_rps - 3.5).abs() < 1e-12);
        let ttft = &r.objectives[0];
        assert!((ttft.attained - 0.7).abs() < 1e-12);
        assert!(!ttft.met, "90% asked, 70% attained");
        assert_eq!(ttft.observed_ns, Some(900e6), "the 9th of 10");
        // TPOT (500 - 100) / 40 = 10 ms, (1300 - 900) / 40 = 10 ms: all nine met it.
        assert!((r.objectives[1].attained - 0.9).abs() < 1e-12);
        assert!(r.objectives[1].met);
        assert!(!r.met);
    }

    #[test]
    fn the_percentile_counts_failures_as_infinitely_slow() {
        let mut samples: Vec<RequestSample> = (1..=99).map(|ms| ok(ms, ms + 10, 1)).collect();
        samples.push(failed());
        let slos = parse_slos("p99 ttft <= 99ms").unwrap();
        let r = report(&slos, &samples, 1_000_000_000).unwrap();
        assert_eq!(r.objectives[0].observed_ns, Some(99e6));
        assert!(r.met);
        let p100 = parse_slos("p100 ttft <= 99ms").unwrap();
        let r = report(&p100, &samples, 1_000_000_000).unwrap();
        assert_eq!(r.objectives[0].observed_ns, None, "the failed request");
        assert!(!r.met);
        assert!(report(&[], &samples, 1).is_none());
    }
}
