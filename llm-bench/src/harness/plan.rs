//! What one scenario's run is asked to do: how load is offered (closed or open loop) and
//! when it stops.

use std::sync::Arc;
use std::time::Duration;

use crate::load::trace::TraceEntry;

use crate::metrics::Metric;
use crate::rules::load::Arrival;
use crate::store::{load_label, OpenLoopSettings};

/// Load settings for one scenario, after attribute and command-line overrides.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    /// Measured requests (with other stopping rules: the most that run).
    pub samples: u32,
    /// `samples` was not given but derived from the duration (an open loop's rate times
    /// it): a step of a sweep at another rate derives its own.
    pub samples_from_duration: bool,
    pub warmup: u32,
    pub load: Load,
    pub timeout: Duration,
    /// Stop after this many failed requests in a row (0: never).
    pub max_consecutive_failures: u32,
    pub stop: StopRules,
}

impl Plan {
    /// Requests in flight at once in closed loop; 0 in open loop (no fixed number).
    pub(crate) fn concurrency(&self) -> u32 {
        match self.load {
            Load::Closed { concurrency } => concurrency,
            Load::Open(_) | Load::Replay(_) => 0,
        }
    }

    /// The open-loop schedule as stored (`None` in closed loop).
    pub(crate) fn stored_open_loop(&self) -> Option<OpenLoopSettings> {
        match &self.load {
            Load::Open(open) => Some(OpenLoopSettings {
                arrival: open.arrival.to_string(),
                rate: open.rate,
                ramp_up_ms: open.ramp_up.map(|d| d.as_millis() as u64),
                seed: open.seed,
            }),
            Load::Replay(replay) => Some(OpenLoopSettings {
                arrival: format!("trace {}", replay.path),
                rate: replay.rate(),
                ramp_up_ms: None,
                seed: 0,
            }),
            Load::Closed { .. } => None,
        }
    }

    /// How the load reads on the console and in messages: `concurrency 4`,
    /// `poisson 200/s`, `constant 50/s, ramp-up 10 s` (as [`RunSettings::load_label`]).
    ///
    /// [`RunSettings::load_label`]: crate::store::RunSettings
    pub(crate) fn load_label(&self) -> String {
        load_label(self.concurrency(), self.stored_open_loop().as_ref())
    }
}

/// How requests are started.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Load {
    /// `concurrency` workers, each starting its next request when its last one ended
    /// (concurrency 1 is sequential).
    Closed { concurrency: u32 },
    /// Requests start on a precomputed schedule, whether or not earlier ones ended.
    Open(OpenLoad),
    /// Requests start when a trace file says (open loop), each with its entry.
    Replay(Replay),
}

/// A trace to replay (`trace = "..."`, `--trace`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Replay {
    /// The file, as given.
    pub path: String,
    pub entries: Arc<[TraceEntry]>,
}

impl Replay {
    /// Requests per second the trace offers over its span (0 for a single instant).
    pub(crate) fn rate(&self) -> f64 {
        let last = self.entries.last().map_or(0, |e| e.offset_ns);
        if last == 0 {
            0.0
        } else {
            self.entries.len() as f64 / (last as f64 / 1e9)
        }
    }
}

/// An open-loop schedule: seeded, absolute, computed before the first request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OpenLoad {
    /// Requests per second offered (after the ramp-up).
    pub rate: f64,
    pub arrival: Arrival,
    /// The rate rises linearly from 0 over this time.
    pub ramp_up: Option<Duration>,
    /// Seeds the arrival times.
    pub seed: u64,
}

/// When a run stops besides its sample count (the first rule met wins).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct StopRules {
    /// No request starts after this much time.
    pub duration: Option<Duration>,
    /// No request starts once this many output tokens came back.
    pub output_tokens: Option<u64>,
    /// Stop once the confidence interval of a metric's median is this narrow.
    pub precision: Option<Precision>,
}

/// "until the 95% interval of the median TTFT is within ±5% of it".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Precision {
    pub metric: Metric,
    /// The interval's half width relative to the median (0.05 = ±5%).
    pub relative_half_width: f64,
}
