//! Stored runs and baselines: versioned JSON under `target/llm-bench/`, written atomically.
//!
//! Layout (criterion's), for each scenario:
//!
//! ```text
//! <root>/<scenario id>/new/run.json             the latest run
//! <root>/<scenario id>/<baseline>/run.json      a named baseline (`base` by default)
//! <root>/<scenario id>/change/comparison.json   the latest run against its baseline
//! ```
//!
//! The root is `$LLM_BENCH_HOME`, else `$CARGO_TARGET_DIR/llm-bench`, else the `target/`
//! directory the running bench binary was built into, else `./target/llm-bench`. A scenario
//! id `group/name` becomes two directory levels.
//!
//! Every file is written to a temporary file in the same directory, flushed, and renamed over
//! the old one: a reader (or the next run after a crash) sees the old file or the new one,
//! never a part. A baseline is only replaced by a complete, successful run (the harness's
//! rule), so a run that fails midway leaves the good baseline in place.
//!
//! # Which runs a report shows
//!
//! One store is often shared: several bench targets, earlier `cargo bench` invocations,
//! scenarios since deleted. So every stored run carries its [`RunOrigin`]: the invocation
//! that stored it and its bench target. Every bench binary that one `cargo bench` starts
//! computes the same invocation id, from its parent cargo process (its pid and start time),
//! or from `LLM_BENCH_INVOCATION` when that is set (CI can set it to the job's id); a binary
//! run by hand has an id of its own. Each bench-mode run also writes its target's manifest,
//! `<root>/.targets/<bench target>.json`, with the invocation and every scenario id the
//! target registers:
//!
//! ```text
//! <root>/.targets/<bench target>.json           scenarios a target has, and its last invocation
//! ```
//!
//! After each run the summary, the HTML index, the exports and `$GITHUB_STEP_SUMMARY` are
//! written from the same selection of the latest runs (`new/`):
//!
//! - runs of this invocation (of any of its bench targets) are the report: counted in the
//!   headline, in the main table, exported. `$GITHUB_STEP_SUMMARY` gets one section per
//!   bench target, so the sections of one invocation together are the summary's rows;
//! - runs of an earlier invocation whose target's manifest still lists their scenario are
//!   shown apart as "not run this time", with the date they ran, never counted nor
//!   exported;
//! - runs with no origin (stored before llm-bench recorded it), runs whose target's
//!   manifest does not list them (deleted or renamed scenarios) and runs of a target with no
//!   manifest are left out.
//!
//! `--prune` removes every stored result (`new/`, `change/`, every baseline) of the
//! scenarios the running bench target stored and no longer registers (see the `prune`
//! module; results stored before origins were recorded are never pruned).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorClass, Result};
use crate::metrics::{Metric, RequestSample, Summary};
use crate::stats::{Comparison, Estimates};

mod encoding;
mod head_to_head;
mod manifest;
mod origin;
mod prune;
mod selection;

pub(crate) use encoding::read_stored;
pub use encoding::stored_file;
pub use head_to_head::{
    load_head_to_head, save_head_to_head, StoredHeadToHead, HEAD_TO_HEAD_FILE, HEAD_TO_HEAD_SCHEMA,
};
pub(crate) use manifest::record_target;
pub(crate) use origin::current_origin;
pub(crate) use prune::prune;
pub(crate) use selection::select_runs;

/// The `schema` field of a stored run.
pub const RUN_SCHEMA: &str = "llm-bench/run";
/// The version of the run schema this build writes and reads.
pub const RUN_SCHEMA_VERSION: u32 = 1;
/// File name of a stored run inside its directory; a big run is stored compressed, as
/// `run.json.gz` (see [`stored_run_file`]).
pub const RUN_FILE: &str = "run.json";
/// Directory of the latest run.
pub const NEW_DIR: &str = "new";
/// Directory of the latest comparison.
pub const CHANGE_DIR: &str = "change";
/// File name of a stored comparison.
pub const COMPARISON_FILE: &str = "comparison.json";
/// File name of the baseline run a stored comparison was made with, beside it.
pub const COMPARED_BASELINE_FILE: &str = "baseline.json";
/// The baseline `--save-baseline` writes when given no name (criterion's default).
pub const DEFAULT_BASELINE: &str = "base";
/// The `schema` field of an exported baseline bundle.
pub const BUNDLE_SCHEMA: &str = "llm-bench/baseline";
/// The version of the bundle schema.
pub const BUNDLE_SCHEMA_VERSION: u32 = 1;

/// Which scenario a run measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Full id (`group/name` or `name`).
    pub id: String,
    /// `module_path!()` of the scenario function.
    pub module_path: String,
    /// Source file of the scenario function.
    pub file: String,
    /// Line of the scenario function.
    pub line: u32,
    /// First paragraph of its doc comment.
    pub description: String,
}

/// What a run measured against. Never holds a key or a full URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInfo {
    /// The provider's name (`openai_compatible`, `anthropic`, `gemini`, ...; see
    /// [`crate::Provider::name`]), or for the built-in simulated endpoint `simulated`
    /// (speaking the OpenAI-compatible API) or `simulated_<provider>` (`simulated_anthropic`).
    pub kind: String,
    /// Host and port.
    pub host: String,
    /// The model asked for, when known.
    pub model: Option<String>,
}

/// Load settings of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Measured requests asked for.
    pub samples: u32,
    /// Warm-up requests run first and discarded.
    pub warmup: u32,
    /// Requests in flight at once (closed loop); 0 for an open-loop run (see `load`).
    pub concurrency: u32,
    /// The open-loop schedule, for a run whose requests started on one; `None` in closed
    /// loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_loop: Option<OpenLoopSettings>,
    /// Time limit of one invocation, in milliseconds.
    pub timeout_ms: u64,
    /// What counted output tokens where the API reported no usage, and the tokens of each
    /// event (see [`Tokenizer`](crate::Tokenizer)): `estimate`, or an encoding such as `o200k_base`.
    #[serde(default)]
    pub tokenizer: String,
}

/// The open-loop schedule of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpenLoopSettings {
    /// `constant`, `poisson` or `gamma:<shape>`.
    pub arrival: String,
    /// Requests per second offered (after the ramp-up).
    pub rate: f64,
    /// The ramp-up from 0 to `rate`, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_up_ms: Option<u64>,
    /// The seed of the arrival times.
    pub seed: u64,
}

impl RunSettings {
    /// How the load reads in messages: `concurrency 4`, `poisson 200/s`, `constant 50/s,
    /// ramp-up 10 s`.
    pub(crate) fn load_label(&self) -> String {
        load_label(self.concurrency, self.open_loop.as_ref())
    }
}

/// See [`RunSettings::load_label`].
pub(crate) fn load_label(concurrency: u32, open_loop: Option<&OpenLoopSettings>) -> String {
    let Some(open) = open_loop else {
        return format!("concurrency {concurrency}");
    };
    let mut label = format!(
        "{} {}/s",
        open.arrival,
        crate::format::format_num(open.rate)
    );
    if let Some(ms) = open.ramp_up_ms {
        label.push_str(&format!(
            ", ramp-up {}",
            crate::format::format_duration_ns(ms as f64 * 1e6)
        ));
    }
    label
}

/// How the load was delivered, and whether llm-bench's own client kept up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoadReport {
    /// Requests per second the schedule offered (open loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_rate: Option<f64>,
    /// Requests started per second: measured requests over the time from the run's start
    /// to the last actual start.
    pub achieved_rate: f64,
    /// Most requests in flight at once.
    pub peak_in_flight: u32,
    /// Open loop: each request's lag from its intended to its actual start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_lag: Option<Summary>,
    /// How late the runtime ran a task spawned at a known instant, sampled by a probe
    /// every few milliseconds during the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_delay: Option<Summary>,
    /// Set when the client, not the endpoint, limited the run: the figures are distorted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_bound: Option<ClientBound>,
    /// Attempts retried across the run (not counted as requests).
    #[serde(default)]
    pub retries: u64,
}

/// Why a run is marked client-bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientBound {
    /// What was too large: `schedule lag` or `runtime delay`.
    pub what: String,
    /// Its p99, in nanoseconds.
    pub p99_ns: f64,
    /// The limit it exceeded, in nanoseconds: the larger of 1 ms and 1% of the median TTFT.
    pub limit_ns: f64,
}

/// How a run fared against its service-level objectives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SloReport {
    /// Each objective, with what the run achieved.
    pub objectives: Vec<SloResult>,
    /// Measured requests that met every objective (failed requests meet none).
    pub good_requests: u64,
    /// Measured requests, failed ones included.
    pub requests: u64,
    /// `good_requests / requests`.
    pub good_fraction: f64,
    /// Good requests per second of wall time.
    pub goodput_rps: f64,
    /// True when every objective was met.
    pub met: bool,
}

/// One objective, such as `p99 ttft <= 500ms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SloResult {
    /// The objective in its normal form.
    pub objective: String,
    /// The share of requests within its bound (failed requests are outside it).
    pub attained: f64,
    /// The share it asks for (0.99 for `p99`).
    pub required: f64,
    /// The percentile over every measured request, failed ones counted as infinitely
    /// slow, in nanoseconds; `None` when that percentile falls on a failed request.
    pub observed_ns: Option<f64>,
    /// True when `attained >= required`.
    pub met: bool,
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// Every requested sample ran.
    Samples,
    /// The duration given (`duration`, `--duration`) elapsed.
    Duration,
    /// The output-token budget (`max_output_tokens`) was spent.
    OutputTokens,
    /// The median's confidence interval became as narrow as asked (`until`).
    Precision,
    /// The cost budget (`--max-cost`) was spent.
    Cost,
    /// Too many failures in a row, a configuration error, or a failed setup.
    Failures,
    /// Interrupted (Ctrl-C).
    Interrupted,
}

/// A swept or searched scenario: its steps, each stored as its own run under
/// `<id>/<step>`, and what the steps show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredSweep {
    /// Always [`SWEEP_SCHEMA`].
    pub schema: String,
    /// The scenario's id; its steps are `<id>/<step>`.
    pub scenario: String,
    /// `sweep` (every step in order) or `search` (bisection for the highest load meeting
    /// the objectives).
    pub kind: String,
    /// `rate` (requests per second, open loop) or `concurrency` (closed loop).
    pub dimension: String,
    /// The objectives, in their normal form (a search's target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objectives: Vec<String>,
    /// Each step, in the order it ran.
    pub steps: Vec<SweepStep>,
    /// The step value at the knee of the latency-throughput curve: the last step whose
    /// throughput kept up with the load (see docs/load.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knee: Option<f64>,
    /// A search's answer: the highest value that met every objective (`None` when even
    /// the lowest did not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<f64>,
}

/// One step of a sweep or one probe of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SweepStep {
    /// The rate or concurrency of this step.
    pub value: f64,
    /// The id its run is stored under.
    pub id: String,
    /// Requests started per second.
    pub achieved_rate: f64,
    /// Successful requests completed per second of wall time.
    pub throughput_rps: f64,
    /// Output tokens per second of wall time.
    pub output_tokens_per_second: f64,
    /// TTFT median and p99, in nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p50_ns: Option<f64>,
    /// TTFT p99, in nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p99_ns: Option<f64>,
    /// TPOT median, in nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpot_p50_ns: Option<f64>,
    /// TPOT p99, in nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tpot_p99_ns: Option<f64>,
    /// Share of failed requests.
    pub error_rate: f64,
    /// Good requests per second, with objectives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput_rps: Option<f64>,
    /// True when every objective was met, with objectives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_met: Option<bool>,
    /// True when the client was the bottleneck of this step.
    #[serde(default)]
    pub client_bound: bool,
}

/// Run-level throughput.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Successful requests per second of wall time.
    pub requests_per_second: f64,
    /// Output tokens of successful requests per second of wall time.
    pub output_tokens_per_second: f64,
}

/// One stored run of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRun {
    /// Always [`RUN_SCHEMA`].
    pub schema: String,
    /// [`RUN_SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// Version of llm-bench that wrote it.
    pub llm_bench_version: String,
    /// The scenario.
    pub scenario: ScenarioInfo,
    /// The endpoint.
    pub endpoint: EndpointInfo,
    /// Load settings.
    pub settings: RunSettings,
    /// When the run started, in milliseconds since the Unix epoch.
    pub started_at_unix_ms: u64,
    /// Wall time of the measured phase, in nanoseconds.
    pub wall_time_ns: u64,
    /// True when the run was stopped early (Ctrl-C): the samples are the finished ones.
    pub interrupted: bool,
    /// True when `--max-cost` stopped the run early: the samples are the finished ones.
    #[serde(default)]
    pub stopped_by_budget: bool,
    /// Why the run stopped before every request ran, when it stopped on its own: too many
    /// failed requests in a row, a configuration error, a failed setup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
    /// Total cost of the run's requests in USD, when the model has a price.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// Every measured request, failed ones included.
    pub samples: Vec<RequestSample>,
    /// All inter-token gaps of successful requests, as HDR buckets `[value_ns, count]`.
    pub itl_histogram: Vec<(u64, u64)>,
    /// The same gaps per token (a gap ending with an event of `k` tokens counted `k` times
    /// as `gap / k`), as HDR buckets; empty unless some event carried several tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub itl_per_token_histogram: Vec<(u64, u64)>,
    /// Summary per metric (only metrics with values).
    pub summary: BTreeMap<Metric, Summary>,
    /// Summary per span name ([`crate::Ctx::span`]): each successful request's total time
    /// in the spans of that name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spans: BTreeMap<String, Summary>,
    /// Bootstrap estimates per metric, over one value per successful request (ITL: each
    /// request's median gap).
    #[serde(default)]
    pub estimates: BTreeMap<Metric, Estimates>,
    /// Failed requests per class.
    pub errors: BTreeMap<ErrorClass, u64>,
    /// Run-level throughput.
    pub throughput: Throughput,
    /// Which `cargo bench` invocation (and bench target) stored this run, so that reports
    /// tell this invocation's scenarios from older ones. `None` in runs stored before
    /// llm-bench recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<RunOrigin>,
    /// The absolute thresholds checked against this run (`threshold = "..."`,
    /// `--threshold`), with what was observed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<ThresholdResult>,
    /// Why the run stopped (`None` in runs stored before llm-bench recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<StopReason>,
    /// How the load was delivered and whether the client kept up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadReport>,
    /// The scenario's service-level objectives and the run's goodput (`slo = "..."`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<SloReport>,
    /// The git commit of the code measured, when known: the first set of the environment
    /// variables `LLM_BENCH_COMMIT`, `GITHUB_SHA`, `CI_COMMIT_SHA` and `BUILDKITE_COMMIT`,
    /// else `git rev-parse HEAD` in the directory the bench ran in. The time-series exports
    /// label their series with it. `None` when none of these said, and in runs stored before
    /// llm-bench recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// Where a stored run came from: the `cargo bench` invocation and the bench target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOrigin {
    /// Identifies one `cargo bench` invocation: every bench binary that one invocation
    /// starts computes the same id (`LLM_BENCH_INVOCATION` when set, else from the parent
    /// cargo process, or `LLM_BENCH_INVOCATION`).
    pub invocation: String,
    /// The bench target's name (`latency` for `benches/latency.rs`): the executable's name
    /// without cargo's hash.
    pub bench_target: String,
}

/// How a run fared against one absolute threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    /// The threshold in its normal form, e.g. `p95 ttft < 800ms` or `errors < 1%`.
    pub threshold: String,
    /// What the run measured: nanoseconds for times, tokens per second, or a share of
    /// requests (0 to 1) for `errors`; `None` when the run has no value for it.
    pub observed: Option<f64>,
    /// The observed figure as printed, e.g. `912.0 ms` or `2.0%` (`-` without a value).
    pub observed_text: String,
    /// The outcome.
    pub outcome: ThresholdOutcome,
}

/// The outcome of one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ThresholdOutcome {
    /// The observed figure meets the threshold.
    Passed,
    /// It does not: the run fails (exit status 3).
    Breached,
    /// The run has no value to check (no successful request measured that metric): the
    /// gate cannot tell.
    NoData,
}

impl StoredRun {
    /// Parses a stored run, refusing other schemas and newer versions with a clear message.
    pub fn from_json(text: &str, origin: &Path) -> Result<StoredRun> {
        #[derive(Deserialize)]
        struct Head {
            schema: Option<String>,
            schema_version: Option<u32>,
        }
        let head: Head = serde_json::from_str(text).map_err(|e| {
            let what = if e.is_eof() {
                "is cut short (its write was cut off, or the disk was full)"
            } else {
                "is not a stored llm-bench run (not valid JSON)"
            };
            Error::Config(format!("{} {what}: {e}", origin.display()))
        })?;
        if head.schema.as_deref() != Some(RUN_SCHEMA) {
            return Err(Error::Config(format!(
                "{} is not a stored llm-bench run (schema {:?})",
                origin.display(),
                head.schema
            )));
        }
        match head.schema_version {
            Some(RUN_SCHEMA_VERSION) => {}
            other => {
                let written = match other {
                    Some(v) if v > RUN_SCHEMA_VERSION => {
                        format!("run schema version {v}, from a newer llm-bench")
                    }
                    Some(v) => format!("run schema version {v}"),
                    None => "no run schema version".to_string(),
                };
                return Err(Error::Config(format!(
                    "{} has {written}; this llm-bench ({}) reads version {RUN_SCHEMA_VERSION}",
                    origin.display(),
                    env!("CARGO_PKG_VERSION")
                )));
            }
        }
        serde_json::from_str(text).map_err(|e| {
            Error::Config(format!("{} is a damaged stored run: {e}", origin.display()))
        })
    }
}

/// A run compared with a baseline, as stored in `<scenario>/change/comparison.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredComparison {
    /// Always [`RUN_SCHEMA`] with a `/comparison` suffix.
    pub schema: String,
    /// [`RUN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The scenario id.
    pub scenario: String,
    /// Name of the baseline compared with.
    pub baseline: String,
    /// The comparison of each metric present on both sides.
    pub metrics: BTreeMap<Metric, Comparison>,
    /// The metrics whose regression fails the build under `--fail-on-regression`.
    pub gated: Vec<Metric>,
    /// True when a gated metric regressed.
    pub regressed: bool,
}

/// Every scenario of one baseline in one file, to commit or to pass between CI jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineBundle {
    /// Always [`BUNDLE_SCHEMA`].
    pub schema: String,
    /// [`BUNDLE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The baseline's name.
    pub baseline: String,
    /// One stored run per scenario.
    pub runs: Vec<StoredRun>,
}

/// Checks a baseline name: a single, plain directory name that is not a reserved one.
pub fn check_baseline_name(name: &str) -> Result<()> {
    let plain = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !plain {
        return Err(Error::Config(format!(
            "baseline name `{name}` must be letters, digits, `_`, `-` or `.` (not starting with `.`)"
        )));
    }
    if name == NEW_DIR || name == CHANGE_DIR {
        return Err(Error::Config(format!(
            "`{name}` is reserved for llm-bench's own files; choose another baseline name"
        )));
    }
    Ok(())
}

/// Where stored runs live (see the module docs for the order of precedence).
pub fn output_root() -> PathBuf {
    if let Some(home) = std::env::var_os("LLM_BENCH_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(target).join("llm-bench");
    }
    if let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|exe| target_dir_of(&exe))
    {
        return target.join("llm-bench");
    }
    PathBuf::from("target").join("llm-bench")
}

/// `<target>` for an executable at `<target>/<profile>/deps/<bin>` (how cargo lays out bench
/// and test binaries), or `<target>/<triple>/<profile>/deps/<bin>`.
fn target_dir_of(exe: &Path) -> Option<PathBuf> {
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    let mut dir = deps.parent()?.parent()?;
    // A cross-compiled layout has a target-triple level in between.
    if !dir.join("CACHEDIR.TAG").exists() && dir.parent()?.join("CACHEDIR.TAG").exists() {
        dir = dir.parent()?;
    }
    Some(dir.to_path_buf())
}

/// The directory of a scenario's results: one level per `/`-separated part of its id, each
/// part reduced to `[A-Za-z0-9_.-]`.
pub fn scenario_dir(root: &Path, scenario_id: &str) -> PathBuf {
    let mut dir = root.to_path_buf();
    for part in scenario_id.split('/') {
        let clean: String = part
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let clean = clean.trim_start_matches('.');
        dir.push(if clean.is_empty() { "_" } else { clean });
    }
    dir
}

/// The file of a swept or searched scenario's steps, beside its steps' folders.
pub const SWEEP_FILE: &str = "sweep.json";

/// The schema name of [`StoredSweep`] files.
pub const SWEEP_SCHEMA: &str = "llm-bench-sweep";

/// Writes `sweep` as `<root>/<id>/new/sweep.json`, atomically; returns the path.
pub fn save_sweep(root: &Path, sweep: &StoredSweep) -> Result<PathBuf> {
    let path = scenario_dir(root, &sweep.scenario)
        .join(NEW_DIR)
        .join(SWEEP_FILE);
    write_json(&path, sweep)?;
    Ok(path)
}

/// Reads `<root>/<id>/new/sweep.json`, when the scenario was swept or searched.
pub fn load_sweep(root: &Path, scenario_id: &str) -> Result<Option<StoredSweep>> {
    let path = scenario_dir(root, scenario_id)
        .join(NEW_DIR)
        .join(SWEEP_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("could not read {}", path.display()), e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::Config(format!("{} is a damaged sweep: {e}", path.display())))
}

/// Writes `run` as `<root>/<id>/new/run.json`, atomically; returns the path.
pub fn save_new(root: &Path, run: &StoredRun) -> Result<PathBuf> {
    save_as(root, run, NEW_DIR)
}

/// Writes `run` as the baseline `name` of its scenario, atomically; returns the path.
pub fn save_baseline(root: &Path, run: &StoredRun, name: &str) -> Result<PathBuf> {
    check_baseline_name(name)?;
    save_as(root, run, name)
}

fn save_as(root: &Path, run: &StoredRun, dir_name: &str) -> Result<PathBuf> {
    let path = scenario_dir(root, &run.scenario.id)
        .join(dir_name)
        .join(RUN_FILE);
    encoding::write_stored(&path, run, encoding::Big::Compress)
}

/// The run file stored in a run directory (`<root>/<id>/new`, `<root>/<id>/<baseline>`):
/// `run.json`, or `run.json.gz` for a big run; `None` when there is none.
pub fn stored_run_file(dir: &Path) -> Option<PathBuf> {
    stored_file(&dir.join(RUN_FILE))
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let json = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::Config(format!("could not encode {}: {e}", path.display())))?;
    write_atomic(path, &json)
}

/// Reads `<root>/<id>/new/run.json`.
pub fn load_new(root: &Path, scenario_id: &str) -> Result<StoredRun> {
    load_run(&scenario_dir(root, scenario_id).join(NEW_DIR).join(RUN_FILE))
}

/// Reads the baseline `name` of a scenario; `Ok(None)` when it was never saved.
pub fn load_baseline(root: &Path, scenario_id: &str, name: &str) -> Result<Option<StoredRun>> {
    check_baseline_name(name)?;
    match stored_run_file(&scenario_dir(root, scenario_id).join(name)) {
        Some(path) => load_run(&path).map(Some),
        None => Ok(None),
    }
}

/// The names of the baselines stored for a scenario, sorted.
pub fn baseline_names(root: &Path, scenario_id: &str) -> Result<Vec<String>> {
    let dir = scenario_dir(root, scenario_id);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("could not list {}", dir.display()), e)),
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| stored_run_file(&e.path()).is_some())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name != NEW_DIR)
        .collect();
    names.sort();
    Ok(names)
}

/// Deletes a scenario's stored comparison (and the baseline run it compared with), so a
/// stale one is never read as current.
pub fn remove_comparison(root: &Path, scenario_id: &str) -> Result<()> {
    let dir = scenario_dir(root, scenario_id).join(CHANGE_DIR);
    let compared = dir.join(COMPARED_BASELINE_FILE);
    for path in [
        dir.join(COMPARISON_FILE),
        encoding::compressed_path(&compared),
        compared,
    ] {
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(format!("could not remove {}", path.display()), e))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Keeps the baseline run a comparison was made with, as
/// `<root>/<id>/change/baseline.json`: saving the new run as that baseline afterwards (the
/// default `base`) must not change what the report shows as the baseline.
pub fn save_compared_baseline(root: &Path, scenario_id: &str, base: &StoredRun) -> Result<PathBuf> {
    let path = scenario_dir(root, scenario_id)
        .join(CHANGE_DIR)
        .join(COMPARED_BASELINE_FILE);
    encoding::write_stored(&path, base, encoding::Big::Compress)
}

/// The baseline run the latest comparison of a scenario was made with: the one kept by
/// [`save_compared_baseline`], else (runs stored by earlier versions) the baseline of that
/// name as stored now.
pub fn load_compared_baseline(
    root: &Path,
    scenario_id: &str,
    name: &str,
) -> Result<Option<StoredRun>> {
    let path = scenario_dir(root, scenario_id)
        .join(CHANGE_DIR)
        .join(COMPARED_BASELINE_FILE);
    if let Some(path) = stored_file(&path) {
        return load_run(&path).map(Some);
    }
    load_baseline(root, scenario_id, name)
}

/// Writes a scenario's comparison to `<root>/<id>/change/comparison.json`.
pub fn save_comparison(root: &Path, comparison: &StoredComparison) -> Result<PathBuf> {
    let path = scenario_dir(root, &comparison.scenario)
        .join(CHANGE_DIR)
        .join(COMPARISON_FILE);
    write_json(&path, comparison)?;
    Ok(path)
}

/// Reads a scenario's latest comparison, if any.
pub fn load_comparison(root: &Path, scenario_id: &str) -> Result<Option<StoredComparison>> {
    let path = scenario_dir(root, scenario_id)
        .join(CHANGE_DIR)
        .join(COMPARISON_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path)
        .map_err(|e| Error::io(format!("could not read {}", path.display()), e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::Config(format!("{} is a damaged comparison: {e}", path.display())))
}

/// Reads one stored run file, plain or compressed; `.../run.json` also finds the
/// `run.json.gz` a big run is stored as.
pub fn load_run(path: &Path) -> Result<StoredRun> {
    let path = stored_file(path).unwrap_or_else(|| path.to_path_buf());
    let text = read_stored(&path)?;
    StoredRun::from_json(&text, &path)
}

/// Every stored run of baseline `name` under `root`, whichever bench binary wrote it,
/// sorted by scenario id.
pub fn baseline_runs(root: &Path, name: &str) -> Result<Vec<StoredRun>> {
    check_baseline_name(name)?;
    runs_in_dirs_named(root, name)
}

/// Orders ids as people read them: runs of digits by their value, so that the steps of a
/// sweep come in order (`chat/rate-20` before `chat/rate-160`).
pub(crate) fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> impl Iterator<Item = (bool, &str)> {
        let mut rest = s;
        std::iter::from_fn(move || {
            let first = rest.chars().next()?;
            let digits = first.is_ascii_digit();
            let end = rest
                .find(|c: char| c.is_ascii_digit() != digits)
                .unwrap_or(rest.len());
            let (chunk, tail) = rest.split_at(end);
            rest = tail;
            Some((digits, chunk))
        })
    }
    let (mut x, mut y) = (chunks(a), chunks(b));
    loop {
        let order = match (x.next(), y.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some((true, m)), Some((true, n))) => {
                let (m, n) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                m.len().cmp(&n.len()).then_with(|| m.cmp(n))
            }
            (Some((_, m)), Some((_, n))) => m.cmp(n),
        };
        if order.is_ne() {
            return order;
        }
    }
}

/// The latest run (`new/`) of every scenario stored under `root`, sorted by scenario id.
#[cfg(test)]
pub fn latest_runs(root: &Path) -> Result<Vec<StoredRun>> {
    runs_in_dirs_named(root, NEW_DIR)
}

/// The latest runs under `root` that can be read, and an error naming each stored run file
/// that cannot (damaged, cut short, of another schema or a newer version).
pub fn readable_latest_runs(root: &Path) -> Result<(Vec<StoredRun>, Vec<Error>)> {
    scan_dirs_named(root, NEW_DIR)
}

/// Every run stored in a directory called `name` under `root`; the first unreadable one is
/// the error.
fn runs_in_dirs_named(root: &Path, name: &str) -> Result<Vec<StoredRun>> {
    let (runs, damaged) = scan_dirs_named(root, name)?;
    match damaged.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(runs),
    }
}

/// Every run stored in a directory called `name` under `root`, sorted by scenario id, and
/// the errors of the run files that could not be read. A directory that cannot be listed
/// is the error.
fn scan_dirs_named(root: &Path, name: &str) -> Result<(Vec<StoredRun>, Vec<Error>)> {
    let mut runs = Vec::new();
    let mut damaged = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("could not list {}", dir.display()), e)),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if entry.file_name() == name {
                if let Some(file) = stored_run_file(&path) {
                    match load_run(&file) {
                        Ok(run) => runs.push(run),
                        Err(e) => damaged.push(e),
                    }
                    continue;
                }
            }
            if entry.file_name() != NEW_DIR && entry.file_name() != CHANGE_DIR {
                stack.push(path);
            }
        }
    }
    runs.sort_by(|a, b| natural_cmp(&a.scenario.id, &b.scenario.id));
    Ok((runs, damaged))
}

/// Writes every scenario of baseline `name` into one bundle file; returns how many.
pub fn export_baseline(root: &Path, name: &str, file: &Path) -> Result<usize> {
    let runs = baseline_runs(root, name)?;
    if runs.is_empty() {
        return Err(Error::Config(format!(
            "there is no stored baseline `{name}` under {} to export",
            root.display()
        )));
    }
    let count = runs.len();
    let bundle = BaselineBundle {
        schema: BUNDLE_SCHEMA.into(),
        schema_version: BUNDLE_SCHEMA_VERSION,
        baseline: name.into(),
        runs,
    };
    encoding::write_stored(file, &bundle, encoding::Big::KeepName)?;
    Ok(count)
}

/// The runs a file holds: a stored run (`run.json`, or `run.json.gz` also when named
/// `run.json`) or an exported baseline bundle (`baseline export`), plain or compressed.
pub fn load_runs_file(path: &Path) -> Result<Vec<StoredRun>> {
    let path = stored_file(path).unwrap_or_else(|| path.to_path_buf());
    let text = read_stored(&path)?;
    #[derive(Deserialize)]
    struct Head {
        schema: Option<String>,
    }
    let schema = serde_json::from_str::<Head>(&text)
        .ok()
        .and_then(|h| h.schema);
    if schema.as_deref() == Some(BUNDLE_SCHEMA) {
        return Ok(parse_bundle(&text, &path)?.runs);
    }
    StoredRun::from_json(&text, &path).map(|run| vec![run])
}

/// A bundle's text parsed and its schemas checked.
fn parse_bundle(text: &str, file: &Path) -> Result<BaselineBundle> {
    let bundle: BaselineBundle = serde_json::from_str(text).map_err(|e| {
        Error::Config(format!(
            "{} is not an exported llm-bench baseline: {e}",
            file.display()
        ))
    })?;
    if bundle.schema != BUNDLE_SCHEMA || bundle.schema_version != BUNDLE_SCHEMA_VERSION {
        return Err(Error::Config(format!(
            "{} has schema {} version {}; this llm-bench reads {BUNDLE_SCHEMA} version {BUNDLE_SCHEMA_VERSION}",
            file.display(),
            bundle.schema,
            bundle.schema_version
        )));
    }
    for run in &bundle.runs {
        if run.schema != RUN_SCHEMA || run.schema_version != RUN_SCHEMA_VERSION {
            return Err(Error::Config(format!(
                "{}: the run of `{}` has an unsupported schema",
                file.display(),
                run.scenario.id
            )));
        }
    }
    Ok(bundle)
}

/// Reads a bundle and stores each of its runs as baseline `as_name` (the bundle's own name
/// when `None`); returns the name used and how many scenarios were written.
pub fn import_baseline(root: &Path, file: &Path, as_name: Option<&str>) -> Result<(String, usize)> {
    let bundle = parse_bundle(&read_stored(file)?, file)?;
    let name = as_name.unwrap_or(&bundle.baseline).to_string();
    check_baseline_name(&name)?;
    for run in &bundle.runs {
        save_as(root, run, &name)?;
    }
    Ok((name, bundle.runs.len()))
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a part:
/// a temporary file in the same directory, flushed to disk, then renamed over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Config(format!("{} has no parent directory", path.display())))?;
    fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("could not create {}", dir.display()), e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = fs::remove_file(&tmp);
        Error::io(format!("could not write {}", path.display()), e)
    })
}

#[cfg(test)]
pub(crate) mod tests {

    #[test]
    fn ids_sort_with_their_numbers_by_value() {
        let mut ids = vec![
            "chat/rate-160",
            "chat/rate-20",
            "chat/rate-54.8",
            "chat/rate-104",
            "a",
            "chat",
        ];
        ids.sort_by(|a, b| super::natural_cmp(a, b));
        assert_eq!(
            ids,
            [
                "a",
                "chat",
                "chat/rate-20",
                "chat/rate-54.8",
                "chat/rate-104",
                "chat/rate-160"
            ]
        );
    }
    use super::*;

    /// The origin of runs of bench target `target` in invocation `invocation`.
    pub(crate) fn origin(invocation: &str, target: &str) -> RunOrigin {
        RunOrigin {
            invocation: invocation.into(),
            bench_target: target.into(),
        }
    }

    /// A minimal stored run of `id` (no samples), with no origin.
    pub(crate) fn sample_run(id: &str) -> StoredRun {
        StoredRun {
            schema: RUN_SCHEMA.into(),
            schema_version: RUN_SCHEMA_VERSION,
            llm_bench_version: env!("CARGO_PKG_VERSION").into(),
            scenario: ScenarioInfo {
                id: id.into(),
                module_path: "m".into(),
                file: "f.rs".into(),
                line: 1,
                description: String::new(),
            },
            endpoint: EndpointInfo {
                kind: "simulated".into(),
                host: "127.0.0.1:1".into(),
                model: None,
            },
            settings: RunSettings {
                samples: 1,
                warmup: 0,
                concurrency: 1,
                open_loop: None,
                timeout_ms: 1000,
                tokenizer: "estimate".into(),
            },
            started_at_unix_ms: 0,
            wall_time_ns: 0,
            interrupted: false,
            stopped_by_budget: false,
            stopped_early: None,
            cost_usd: None,
            samples: vec![],
            itl_histogram: vec![(10, 2)],
            itl_per_token_histogram: vec![],
            summary: BTreeMap::new(),
            spans: BTreeMap::new(),
            estimates: BTreeMap::new(),
            errors: BTreeMap::new(),
            throughput: Throughput {
                requests_per_second: 0.0,
                output_tokens_per_second: 0.0,
            },
            origin: None,
            thresholds: Vec::new(),
            stop_reason: None,
            load: None,
            slo: None,
            commit: None,
        }
    }

    #[test]
    fn save_then_load_round_trips() {
        let root = tempfile::tempdir().unwrap();
        let run = sample_run("chat/short turn");
        let path = save_new(root.path(), &run).unwrap();
        assert!(
            path.ends_with("chat/short_turn/new/run.json"),
            "{}",
            path.display()
        );
        assert_eq!(load_new(root.path(), "chat/short turn").unwrap(), run);
        // no temporary file is left behind
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("run.json")]);
    }

    #[test]
    fn ids_cannot_escape_the_root() {
        let root = Path::new("/r");
        assert_eq!(scenario_dir(root, "../../etc"), Path::new("/r/_/_/etc"));
        assert_eq!(scenario_dir(root, "a b/c:d"), Path::new("/r/a_b/c_d"));
    }

    #[test]
    fn other_schemas_and_versions_are_refused() {
        let p = Path::new("x.json");
        let err = StoredRun::from_json(r#"{"schema":"other"}"#, p).unwrap_err();
        assert!(
            err.to_string().contains("not a stored llm-bench run"),
            "{err}"
        );
        let err = StoredRun::from_json(r#"{"schema":"llm-bench/run","schema_version":99}"#, p)
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("x.json has run schema version 99, from a newer llm-bench"),
            "{err}"
        );
        let err = StoredRun::from_json(r#"{"schema":"llm-bench/run","#, p).unwrap_err();
        assert!(err.to_string().contains("x.json is cut short"), "{err}");
    }

    #[test]
    fn baselines_save_load_list_export_import() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let a = sample_run("chat/a");
        let mut b = sample_run("b");
        b.wall_time_ns = 7;
        save_baseline(root, &a, "main").unwrap();
        save_baseline(root, &b, "main").unwrap();
        save_new(root, &b).unwrap();
        assert_eq!(
            load_baseline(root, "chat/a", "main").unwrap(),
            Some(a.clone())
        );
        assert_eq!(load_baseline(root, "chat/a", "other").unwrap(), None);
        assert_eq!(latest_runs(root).unwrap(), vec![b.clone()]);
        let ids: Vec<String> = baseline_runs(root, "main")
            .unwrap()
            .into_iter()
            .map(|r| r.scenario.id)
            .collect();
        assert_eq!(ids, ["b", "chat/a"]);

        let file = root.join("exported.json");
        assert_eq!(export_baseline(root, "main", &file).unwrap(), 2);
        let elsewhere = tempfile::tempdir().unwrap();
        let (name, n) = import_baseline(elsewhere.path(), &file, None).unwrap();
        assert_eq!((name.as_str(), n), ("main", 2));
        assert_eq!(
            load_baseline(elsewhere.path(), "b", "main").unwrap(),
            Some(b.clone())
        );
        let (name, _) = import_baseline(elsewhere.path(), &file, Some("pr")).unwrap();
        assert_eq!(name, "pr");
        assert!(load_baseline(elsewhere.path(), "chat/a", "pr")
            .unwrap()
            .is_some());

        let err = export_baseline(root, "missing", &root.join("x.json")).unwrap_err();
        assert!(
            err.to_string().contains("no stored baseline `missing`"),
            "{err}"
        );
    }

    #[test]
    fn compressed_runs_and_bundles_are_read_by_their_plain_names() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        let run = sample_run("g/s");
        let dir = scenario_dir(root, "g/s").join("main");
        let gz = dir.join("run.json.gz");
        let written = encoding::write_stored(&gz, &run, encoding::Big::KeepName).unwrap();
        assert_eq!(written, gz);
        assert_eq!(stored_run_file(&dir), Some(gz.clone()));
        assert_eq!(baseline_names(root, "g/s").unwrap(), ["main"]);
        assert_eq!(
            load_baseline(root, "g/s", "main").unwrap(),
            Some(run.clone())
        );
        assert_eq!(
            load_runs_file(&dir.join(RUN_FILE)).unwrap(),
            std::slice::from_ref(&run)
        );

        let bundle = root.join("main.json.gz");
        export_baseline(root, "main", &bundle).unwrap();
        assert!(fs::read(&bundle).unwrap().starts_with(&[0x1f, 0x8b]));
        assert_eq!(load_runs_file(&bundle).unwrap(), std::slice::from_ref(&run));
        let elsewhere = tempfile::tempdir().unwrap();
        import_baseline(elsewhere.path(), &bundle, Some("pr")).unwrap();
        assert_eq!(
            load_baseline(elsewhere.path(), "g/s", "pr").unwrap(),
            Some(run.clone())
        );

        let compared = scenario_dir(root, "g/s")
            .join(CHANGE_DIR)
            .join("baseline.json.gz");
        encoding::write_stored(&compared, &run, encoding::Big::KeepName).unwrap();
        assert_eq!(
            load_compared_baseline(root, "g/s", "none").unwrap(),
            Some(run)
        );
        remove_comparison(root, "g/s").unwrap();
        assert!(
            !compared.exists(),
            "a compressed compared baseline is removed too"
        );
    }

    #[test]
    fn comparisons_are_saved_and_removed() {
        let root = tempfile::tempdir().unwrap();
        let c = StoredComparison {
            schema: "llm-bench/run/comparison".into(),
            schema_version: RUN_SCHEMA_VERSION,
            scenario: "g/s".into(),
            baseline: "base".into(),
            metrics: BTreeMap::new(),
            gated: vec![Metric::Ttft],
            regressed: false,
        };
        save_comparison(root.path(), &c).unwrap();
        assert_eq!(load_comparison(root.path(), "g/s").unwrap(), Some(c));
        remove_comparison(root.path(), "g/s").unwrap();
        assert_eq!(load_comparison(root.path(), "g/s").unwrap(), None);
        remove_comparison(root.path(), "g/s").unwrap(); // nothing to remove is fine
    }

    #[test]
    fn reserved_and_odd_baseline_names_are_refused() {
        for bad in ["new", "change", "", ".hidden", "a/b", "../x", "a b"] {
            assert!(check_baseline_name(bad).is_err(), "{bad:?}");
        }
        for good in ["base", "main", "pr-12", "v1.2_rc"] {
            assert!(check_baseline_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn an_interrupted_save_leaves_the_old_baseline_intact() {
        let root = tempfile::tempdir().unwrap();
        let old = sample_run("s");
        let path = save_baseline(root.path(), &old, "main").unwrap();
        // A crash mid-write leaves a partial temporary file beside the baseline...
        let dir = path.parent().unwrap();
        fs::write(dir.join(".run.json.tmp-99999"), b"{\"schema\": \"llm-be").unwrap();
        assert_eq!(
            load_baseline(root.path(), "s", "main").unwrap(),
            Some(old.clone())
        );
        // ...and a write that fails before its rename changes nothing either.
        let blocked = dir.join(format!(".run.json.tmp-{}", std::process::id()));
        fs::create_dir(&blocked).unwrap(); // the temporary file cannot be created
        let mut newer = sample_run("s");
        newer.wall_time_ns = 42;
        assert!(save_baseline(root.path(), &newer, "main").is_err());
        assert_eq!(load_baseline(root.path(), "s", "main").unwrap(), Some(old));
    }

    #[test]
    fn a_damaged_bundle_is_refused_before_anything_is_written() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("b.json");
        fs::write(&file, r#"{"schema":"llm-bench/baseline","schema_version":1,"baseline":"main","runs":[{"schema":"x"}]}"#).unwrap();
        assert!(import_baseline(root.path(), &file, None).is_err());
        fs::write(&file, "not json").unwrap();
        let err = import_baseline(root.path(), &file, None).unwrap_err();
        assert!(
            err.to_string()
                .contains("not an exported llm-bench baseline"),
            "{err}"
        );
        assert!(baseline_runs(root.path(), "main").unwrap().is_empty());
    }

    #[test]
    fn target_dir_is_found_from_a_bench_binary_path() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("CACHEDIR.TAG"), "").unwrap();
        let exe = t.path().join("release/deps/dogfood-123");
        assert_eq!(target_dir_of(&exe).unwrap(), t.path());
        assert_eq!(target_dir_of(Path::new("/usr/bin/x")), None);
    }
}
