//! The client's check of itself: is llm-bench, not the endpoint, the bottleneck?
//!
//! Two figures, both on the measured phase:
//!
//! - **schedule lag** (open loop): from a request's intended start to its actual start
//!   (the request written, or the invocation begun for a tracked stream);
//! - **runtime delay**: a probe thread spawns a task every [`PROBE_EVERY`] and records how
//!   late the runtime ran it. A scenario that blocks its runtime thread, or a machine too
//!   busy to run the client, shows here even in closed loop.
//!
//! A run is **client-bound** when the p99 of either exceeds the larger of 1 ms and 1% of
//! the run's median TTFT ([`limit_ns`]): then latencies include the client's own delay.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use quanta::Instant;

use crate::store::ClientBound;

/// How often the probe measures the runtime's delay.
pub(crate) const PROBE_EVERY: Duration = Duration::from_millis(5);

/// The smallest delay that marks a run client-bound.
pub(crate) const MIN_LIMIT: Duration = Duration::from_millis(1);

/// The share of the median TTFT beyond which a delay marks a run client-bound.
pub(crate) const TTFT_SHARE: f64 = 0.01;

/// The limit a p99 of delay must stay under: the larger of [`MIN_LIMIT`] and
/// [`TTFT_SHARE`] of the median TTFT.
pub(crate) fn limit_ns(ttft_median_ns: Option<f64>) -> f64 {
    let floor = MIN_LIMIT.as_nanos() as f64;
    ttft_median_ns.map_or(floor, |ttft| (ttft * TTFT_SHARE).max(floor))
}

/// The first figure whose p99 exceeds the limit, schedule lag before runtime delay.
pub(crate) fn verdict(
    schedule_lag_p99_ns: Option<f64>,
    runtime_delay_p99_ns: Option<f64>,
    ttft_median_ns: Option<f64>,
) -> Option<ClientBound> {
    let limit = limit_ns(ttft_median_ns);
    [
        ("schedule lag", schedule_lag_p99_ns),
        ("runtime delay", runtime_delay_p99_ns),
    ]
    .into_iter()
    .find_map(|(what, p99)| {
        p99.filter(|&p99| p99 > limit).map(|p99| ClientBound {
            what: what.to_string(),
            p99_ns: p99,
            limit_ns: limit,
        })
    })
}

/// Measures the runtime's delay until dropped or [`Probe::finish`]ed.
pub(crate) struct Probe {
    done: Arc<AtomicBool>,
    delays: Arc<Mutex<Vec<u64>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Probe {
    /// Starts probing the current runtime (call from inside it).
    pub(crate) fn start() -> Probe {
        let done = Arc::new(AtomicBool::new(false));
        let delays = Arc::new(Mutex::new(Vec::new()));
        let handle = tokio::runtime::Handle::current();
        let thread = {
            let (done, delays) = (done.clone(), delays.clone());
            std::thread::Builder::new()
                .name("llm-bench-probe".into())
                .spawn(move || {
                    while !done.load(Ordering::Relaxed) {
                        let spawned = Instant::now();
                        let delays = delays.clone();
                        handle.spawn(async move {
                            let late = spawned.elapsed().as_nanos() as u64;
                            delays
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(late);
                        });
                        std::thread::sleep(PROBE_EVERY);
                    }
                })
                .ok()
        };
        Probe {
            done,
            delays,
            thread,
        }
    }

    /// Stops probing; the delays measured, in nanoseconds.
    pub(crate) fn finish(mut self) -> Vec<u64> {
        self.stop();
        std::mem::take(&mut *self.delays.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_1_ms_or_1_percent_of_the_ttft() {
        assert_eq!(limit_ns(None), 1e6);
        assert_eq!(limit_ns(Some(50e6)), 1e6);
        assert_eq!(limit_ns(Some(500e6)), 5e6);
    }

    #[test]
    fn a_p99_beyond_the_limit_marks_the_run() {
        assert_eq!(verdict(Some(0.5e6), Some(0.9e6), Some(20e6)), None);
        let bound = verdict(Some(3e6), None, Some(200e6)).unwrap();
        assert_eq!(bound.what, "schedule lag");
        assert_eq!(bound.limit_ns, 2e6);
        let bound = verdict(None, Some(7e6), None).unwrap();
        assert_eq!(bound.what, "runtime delay");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn the_probe_sees_a_blocked_runtime() {
        let probe = Probe::start();
        tokio::time::sleep(Duration::from_millis(30)).await;
        // Block the only worker thread: every probe task waits for it.
        tokio::spawn(async { std::thread::sleep(Duration::from_millis(60)) })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let delays = probe.finish();
        let worst = delays.iter().copied().max().unwrap_or(0);
        assert!(delays.len() >= 5, "{delays:?}");
        assert!(worst >= 30_000_000, "{delays:?}");
    }
}
