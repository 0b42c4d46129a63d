//! # llm-bench
//!
//! A criterion-style benchmark harness for the latency of streaming LLM APIs.
//!
//! Write scenarios as async functions marked `#[llm_bench]`, end the bench file with
//! [`main!`], and `cargo bench` times every streaming call token by token: time to first
//! token (TTFT), inter-token latency (ITL), time per output token (TPOT), end-to-end latency
//! (E2E) and throughput. With no endpoint configured, scenarios run against a built-in
//! simulated endpoint ([`mock`]), so a fresh clone works with no key and no network.
//!
//! ```no_run
//! // benches/latency.rs, with `[[bench]] name = "latency"` and `harness = false`
//! use llm_bench::prelude::*;
//!
//! /// A chat turn as the product sends it.
//! #[llm_bench(samples = 40, concurrency = 4)]
//! async fn support_answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
//!     ctx.stream(ChatRequest::new("How do I reset my password?").max_tokens(128)).await?;
//!     Ok(())
//! }
//!
//! llm_bench::main!();
//! ```
//!
//! The README and `docs/` explain the workflow; `ARCHITECTURE.md` at the top of the
//! repository maps the code (modules, what each owns, which way dependencies point).
//!
//! ## Features
//!
//! * `simulated` (default): the built-in simulated endpoint ([`mock`]); without it every
//!   provider a run uses needs a configured endpoint.
//! * `html-report` (default): the HTML report and its charts; without it a run writes the
//!   Markdown summary and the exports.
//! * `tiktoken`: exact token counts for OpenAI models ([`Tokenizer`]).
#![warn(missing_docs)]

mod clock;
mod context;
mod cost;
mod delta;
mod error;
mod export;
mod format;
mod framing;
mod harness;
mod limits;
mod load;
mod metrics;
#[cfg(feature = "simulated")]
pub mod mock;
mod providers;
mod report;
mod rng;
mod rules;
mod scenario;
mod stats;
mod store;
pub mod stored;
mod tokens;

#[doc(hidden)]
pub mod bench_support;

/// The entry points of the fuzz targets in `fuzz/` (internal feature `fuzzing`). Not a
/// public API: it may change in any release.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz {
    pub use crate::framing::fuzz::{eventstream, json_array, ndjson, sse};
}

pub use context::{Ctx, TokenText, Tracked};
pub use delta::{Delta, Usage};
pub use error::{Error, ErrorClass, Result, TimeoutPhase};
pub use harness::run_with_args;
pub use llm_bench_macros::llm_bench;
pub use load::request::TraceRequest;
pub use providers::{
    ApiKey, ChatRequest, Client, ClientBuilder, Completion, GenericFraming, GenericSpec, Message,
    Provider, Reasoning,
};
pub use tokens::Tokenizer;

/// Shared by tests that measure time: they take [`test_support::exclusive`] so that the
/// heaviest tests do not run beside them and distort what they measure.
#[cfg(test)]
pub(crate) mod test_support {
    static EXCLUSIVE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    /// Holds off other timing-sensitive or heavy tests while the guard lives.
    #[cfg(any(feature = "simulated", feature = "html-report"))]
    pub(crate) async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
        EXCLUSIVE.lock().await
    }

    /// [`exclusive`] for a test outside any async runtime: a heavy synchronous test (the
    /// property tests) takes it so that it never runs beside one that measures time.
    pub(crate) fn exclusive_blocking() -> tokio::sync::MutexGuard<'static, ()> {
        EXCLUSIVE.blocking_lock()
    }
}

/// The names a bench file needs: `use llm_bench::prelude::*;`.
pub mod prelude {
    pub use crate::{llm_bench, ChatRequest, Client, Ctx};
}

/// Items the generated code names. Not a public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::context::Ctx;
    pub use crate::harness::run_main;
    pub use crate::scenario::{
        into_scenario_future, registered, Scenario, ScenarioConfig, ScenarioFuture, ScenarioOutput,
    };
    pub use inventory;
}

/// What the `llm-bench` command (crate `llm-bench-cli`) builds its config-file scenarios
/// with: the same runner, store and report as `#[llm_bench]` scenarios. Not a public API:
/// it may change in any release.
#[doc(hidden)]
pub mod __cli {
    pub use crate::harness::merge::{merge_origin, merge_runs, save_merged, MachineRun};
    pub use crate::harness::reporting::{rebuild_report, Written};
    pub use crate::harness::run_scenarios_with_args;
    pub use crate::scenario::{Scenario, ScenarioConfig, ScenarioFn, ScenarioFuture};
    pub use crate::store::{
        baseline_runs, check_baseline_name, export_baseline, import_baseline, load_run,
        load_runs_file, readable_latest_runs, save_baseline, scenario_dir, stored_file,
        stored_run_file, CHANGE_DIR, NEW_DIR, RUN_FILE,
    };
}

/// Expands to the `main` function of a bench target: runs every `#[llm_bench]` scenario
/// linked into it. Put it at the end of a bench file whose `[[bench]]` entry has
/// `harness = false`.
///
/// `cargo bench` measures and stores; `cargo test --benches` runs each scenario once.
/// Arguments after `--` are the harness's (`cargo bench -- --help` lists them): a filter, `--exact`,
/// `--list`, `--samples N`, `--warmup N`, `--concurrency N`, `--quiet`.
#[macro_export]
macro_rules! main {
    () => {
        fn main() {
            ::std::process::exit($crate::__private::run_main())
        }
    };
}
