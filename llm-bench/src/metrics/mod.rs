//! Metrics: what one request measured, and summaries over a run.
//!
//! Definitions are part of the product (DESIGN §4, README "Metrics"):
//! TTFB, TTFT, TTFO, ITL, TPOT, E2E, output tokens and tokens per second.

mod accounting;
mod recorder;
mod sample;
mod summary;

pub use accounting::TokenAccounting;
pub(crate) use recorder::{Connection, Recorder};
pub use sample::{FailedPhase, HttpPhases, RequestError, RequestSample, SpanTiming, TokenSource};
pub use summary::{Metric, MetricHistogram, Summary};
