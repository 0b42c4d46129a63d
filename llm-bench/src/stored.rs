//! The documented types of a stored run, for reading `run.json` (and `comparison.json`,
//! exported baselines) from Rust, and [`Store`] to find them.
//!
//! Every `cargo bench` run stores, per scenario, under `target/llm-bench/` (honouring
//! `CARGO_TARGET_DIR`; `LLM_BENCH_HOME` overrides):
//!
//! ```text
//! <scenario>/new/run.json              the latest run: a StoredRun
//! <scenario>/<baseline>/run.json       a named baseline (`base` unless --save-baseline says)
//! <scenario>/change/comparison.json    the latest run against its baseline: a StoredComparison
//! <scenario>/change/baseline.json      the baseline run that comparison was made with
//! ```
//!
//! A `group/name` id is two directory levels (`group/name/arg` for a parameterised
//! scenario). Files are versioned ([`RUN_SCHEMA`], [`RUN_SCHEMA_VERSION`]) and written
//! atomically; a run from another schema or a newer version is refused with a clear error.
//!
//! ```no_run
//! use llm_bench::stored::{Metric, Store};
//!
//! let store = Store::default_location();
//! let run = store.latest("chat/short_turn")?;
//! if let Some(ttft) = run.summary.get(&Metric::Ttft) {
//!     println!("TTFT p50 {:.1} ms over {} requests", ttft.p50 / 1e6, ttft.count);
//! }
//! for sample in run.samples.iter().filter(|s| !s.is_ok()) {
//!     println!("request {} failed: {:?}", sample.index, sample.error);
//! }
//! # Ok::<(), llm_bench::Error>(())
//! ```

use std::path::{Path, PathBuf};

use crate::error::Result;

pub use crate::metrics::{
    FailedPhase, HttpPhases, Metric, RequestError, RequestSample, SpanTiming, Summary, TokenSource,
};
pub use crate::stats::{
    Comparison, Estimate, Estimates, InconclusiveReason, Interval, PValueMethod, Side, Verdict,
};
pub use crate::store::{
    BaselineBundle, ClientBound, EndpointInfo, LoadReport, OpenLoopSettings, RunOrigin,
    RunSettings, ScenarioInfo, SloReport, SloResult, StopReason, StoredComparison,
    StoredHeadToHead, StoredRun, StoredSweep, SweepStep, ThresholdOutcome, ThresholdResult,
    Throughput, BUNDLE_SCHEMA, BUNDLE_SCHEMA_VERSION, RUN_SCHEMA, RUN_SCHEMA_VERSION,
};

/// The stored runs under one root: read-only access to what `cargo bench` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The store under `root` (what `LLM_BENCH_HOME` names).
    pub fn open(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    /// The store a bench binary of this process would write: `$LLM_BENCH_HOME`, else
    /// `$CARGO_TARGET_DIR/llm-bench`, else the `target/llm-bench` the running executable was
    /// built into, else `./target/llm-bench`.
    pub fn default_location() -> Store {
        Store::open(crate::store::output_root())
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The latest run of scenario `id` (`<id>/new/run.json`).
    pub fn latest(&self, id: &str) -> Result<StoredRun> {
        crate::store::load_new(&self.root, id)
    }

    /// The steps of swept or searched scenario `id` (`<id>/new/sweep.json`), or `None`
    /// when its latest run was not a sweep or a search. Each step's run is
    /// [`latest`](Self::latest) of the step's own id ([`SweepStep::id`]).
    pub fn sweep(&self, id: &str) -> Result<Option<StoredSweep>> {
        crate::store::load_sweep(&self.root, id)
    }

    /// The head-to-head record whose reference (first) scenario is `id`
    /// (`<id>/new/head_to_head.json`, written by `--interleave`), or `None`.
    pub fn head_to_head(&self, id: &str) -> Result<Option<StoredHeadToHead>> {
        crate::store::load_head_to_head(&self.root, id)
    }

    /// The baseline `name` of scenario `id`, or `None` when it was never saved.
    pub fn baseline(&self, id: &str, name: &str) -> Result<Option<StoredRun>> {
        crate::store::load_baseline(&self.root, id, name)
    }

    /// The names of the baselines stored for scenario `id`, sorted.
    pub fn baselines(&self, id: &str) -> Result<Vec<String>> {
        crate::store::baseline_names(&self.root, id)
    }

    /// The latest comparison of scenario `id` with its baseline, if one was made.
    pub fn comparison(&self, id: &str) -> Result<Option<StoredComparison>> {
        crate::store::load_comparison(&self.root, id)
    }

    /// The baseline run the latest comparison of scenario `id` was made with (it stays
    /// what was compared even after the run replaced that baseline).
    pub fn compared_baseline(&self, id: &str) -> Result<Option<StoredRun>> {
        match self.comparison(id)? {
            Some(c) => crate::store::load_compared_baseline(&self.root, id, &c.baseline),
            None => Ok(None),
        }
    }
}
