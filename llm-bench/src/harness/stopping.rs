//! The stopping rules of a run besides its sample count: a duration, an output-token
//! budget, and "until the median is known precisely enough". The first rule met stops new
//! requests from starting; the ones in flight finish and count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use quanta::Instant;

use crate::harness::plan::{Precision, StopRules};
use crate::harness::runner::Live;
use crate::store::StopReason;

/// The fewest values the precision rule judges: below this an interval says little.
const PRECISION_MIN_SAMPLES: usize = 20;

/// z for the 95% interval the precision rule uses.
const Z_95: f64 = 1.959_963_984_540_054;

/// Watches a phase against its rules.
#[derive(Debug)]
pub(crate) struct Stopper {
    rules: StopRules,
    started: Instant,
    stopped: AtomicBool,
    reason: Mutex<Option<StopReason>>,
}

impl Stopper {
    /// Rules counted from now.
    pub(crate) fn new(rules: StopRules) -> Stopper {
        Stopper {
            rules,
            started: Instant::now(),
            stopped: AtomicBool::new(false),
            reason: Mutex::new(None),
        }
    }

    /// True once a rule was met (checking the duration first).
    pub(crate) fn stopped(&self) -> bool {
        if let Some(limit) = self.rules.duration {
            if self.started.elapsed() >= limit {
                self.stop(StopReason::Duration);
            }
        }
        self.stopped.load(Ordering::Relaxed)
    }

    /// The rule that stopped the phase, if one did.
    pub(crate) fn reason(&self) -> Option<StopReason> {
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the budget and precision rules after a measured request finished.
    pub(crate) fn after_sample(&self, live: &Live) {
        if let Some(budget) = self.rules.output_tokens {
            if live.output_tokens() >= budget {
                self.stop(StopReason::OutputTokens);
            }
        }
        if let Some(precision) = self.rules.precision {
            let done = live.done() as usize;
            // Judged every 5% of the values so far: linear cost over the run.
            let every = (done / 20).max(5);
            if done >= PRECISION_MIN_SAMPLES
                && done.is_multiple_of(every)
                && precise_enough(&live.watched_values(), precision)
            {
                self.stop(StopReason::Precision);
            }
        }
    }

    fn stop(&self, reason: StopReason) {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(reason);
        }
        self.stopped.store(true, Ordering::Relaxed);
    }
}

/// True when the distribution-free 95% interval of the median of `values` lies within
/// `±relative_half_width` of the median: the order statistics at ranks
/// `n/2 ∓ z·√n/2` (the binomial interval of the median).
pub(crate) fn precise_enough(values: &[f64], precision: Precision) -> bool {
    match median_interval(values) {
        Some((lower, median, upper)) if median > 0.0 => {
            (upper - lower) / 2.0 / median <= precision.relative_half_width
        }
        _ => false,
    }
}

/// `(lower, median, upper)` of the 95% order-statistic interval of the median; the median
/// is the type-7 one ([`crate::stats::quantile_sorted`]: the mean of the two middle values
/// of an even count), as everywhere else.
fn median_interval(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = sorted.len();
    if n < PRECISION_MIN_SAMPLES {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let half = Z_95 * (n as f64).sqrt() / 2.0;
    let lo = ((n as f64 / 2.0 - half).floor().max(0.0)) as usize;
    let hi = ((n as f64 / 2.0 + half).ceil() as usize).min(n - 1);
    let median = crate::stats::quantile_sorted(&sorted, 0.5);
    Some((sorted[lo], median, sorted[hi]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;

    fn precision(p: f64) -> Precision {
        Precision {
            metric: Metric::Ttft,
            relative_half_width: p,
        }
    }

    /// Values 100 ± 10% spread evenly: the interval narrows as √n, so ±5% is reached at a
    /// moderate n and ±0.5% only at a large one.
    #[test]
    fn the_interval_narrows_with_more_values() {
        let spread =
            |n: usize| -> Vec<f64> { (0..n).map(|i| 90.0 + 20.0 * i as f64 / n as f64).collect() };
        assert!(
            !precise_enough(&spread(10), precision(0.05)),
            "too few to judge"
        );
        assert!(precise_enough(&spread(100), precision(0.05)));
        assert!(!precise_enough(&spread(100), precision(0.005)));
        assert!(precise_enough(&spread(20_000), precision(0.005)));
    }

    /// An even count's median is the mean of the two middle values (numpy.median), not
    /// the upper middle one.
    #[test]
    fn the_median_of_an_even_count_averages_the_middle_values() {
        let values: Vec<f64> = (1..=PRECISION_MIN_SAMPLES)
            .rev()
            .map(|i| i as f64)
            .collect();
        let (lower, median, upper) = median_interval(&values).expect("enough values");
        // numpy.median(range(1, 21)) = 10.5
        assert_eq!(median, 10.5);
        assert!(lower < median && median < upper);
        let mut odd = values.clone();
        odd.push(100.0);
        assert_eq!(median_interval(&odd).expect("enough values").1, 11.0);
    }

    #[test]
    fn a_duration_stops_the_phase() {
        let stopper = Stopper::new(StopRules {
            duration: Some(std::time::Duration::ZERO),
            ..StopRules::default()
        });
        assert!(stopper.stopped());
        assert_eq!(stopper.reason(), Some(StopReason::Duration));
        let open = Stopper::new(StopRules::default());
        assert!(!open.stopped());
        assert_eq!(open.reason(), None);
    }
}
