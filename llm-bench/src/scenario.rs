//! The scenario registry: what `#[llm_bench]` registers, and how the harness finds it.
//!
//! The attribute expands to an [`inventory`] submission of a [`Scenario`]; the harness
//! collects them with [`registered`], in a stable order (module path, file, line).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::context::Ctx;
use crate::error::{Error, Result};

/// The boxed future a scenario returns for one invocation.
pub type ScenarioFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// The entry point the attribute generates for a scenario function.
pub type ScenarioFn = for<'a> fn(&'a mut Ctx) -> ScenarioFuture<'a>;

/// Settings given in the attribute; `None` means "use the harness default".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScenarioConfig {
    /// Measured requests per run.
    pub samples: Option<u32>,
    /// Requests run before measuring, then discarded.
    pub warmup: Option<u32>,
    /// Requests in flight at once (closed loop).
    pub concurrency: Option<u32>,
    /// Time limit of one invocation, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Model to ask for, unless the scenario's request names one.
    pub model: Option<&'static str>,
    /// Metrics whose regression fails `--fail-on-regression`, comma-separated metric names
    /// (checked by the attribute); `None` means the default (TTFT and TPOT).
    pub gate: Option<&'static str>,
    /// The provider the scenario's requests speak (a name [`Provider::from_name`]
    /// accepts, checked by the attribute); `None` means the one `LLM_BENCH_PROVIDER`
    /// selects.
    ///
    /// [`Provider::from_name`]: crate::providers::Provider::from_name
    pub provider: Option<&'static str>,
}

impl ScenarioConfig {
    /// The invocation time limit, if the attribute set one.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }
}

/// One registered scenario.
#[derive(Debug)]
pub struct Scenario {
    /// The scenario's name (the function name unless `name = "..."` was given).
    pub name: &'static str,
    /// Its group, if any; the full id is `group/name`.
    pub group: Option<&'static str>,
    /// `module_path!()` of the function.
    pub module_path: &'static str,
    /// `file!()` of the function.
    pub file: &'static str,
    /// `line!()` of the function.
    pub line: u32,
    /// The function's doc comment, first paragraph (may be empty).
    pub description: &'static str,
    /// Settings from the attribute.
    pub config: ScenarioConfig,
    /// The function to call, once per request.
    pub run: ScenarioFn,
}

inventory::collect!(Scenario);

impl Scenario {
    /// The full id: `group/name`, or `name` without a group. Filters match against it, and
    /// its stored results live under `target/llm-bench/<id>/`.
    pub fn id(&self) -> String {
        match self.group {
            Some(group) => format!("{group}/{}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// Every scenario linked into this binary, sorted by module path, file and line.
pub fn registered() -> Vec<&'static Scenario> {
    let mut all: Vec<&'static Scenario> = inventory::iter::<Scenario>.into_iter().collect();
    all.sort_by(|a, b| {
        (a.module_path, a.file, a.line, a.name).cmp(&(b.module_path, b.file, b.line, b.name))
    });
    all
}

/// Fails when two scenarios share an id, naming both places.
pub(crate) fn check_unique(scenarios: &[&'static Scenario]) -> Result<()> {
    let mut seen: std::collections::HashMap<String, &Scenario> = Default::default();
    for s in scenarios {
        if let Some(first) = seen.insert(s.id(), s) {
            return Err(Error::Config(format!(
                "two scenarios are named `{}`: {}:{} and {}:{}; give one of them `name = \"...\"` or a `group`",
                s.id(),
                first.file,
                first.line,
                s.file,
                s.line
            )));
        }
    }
    Ok(())
}

/// What a scenario function may return: `()` or `Result<(), E>` for an error type that
/// converts into `Box<dyn Error + Send + Sync>` (llm-bench's own [`Error`], `anyhow::Error`,
/// `std::io::Error`, ...).
#[diagnostic::on_unimplemented(
    message = "a #[llm_bench] scenario must return `()` or `Result<(), E>`, not `{Self}`",
    label = "this return type is not supported",
    note = "return `llm_bench::Result<()>` and end with `Ok(())`"
)]
pub trait ScenarioOutput {
    /// Converts the scenario's return value into llm-bench's result.
    fn into_result(self) -> Result<()>;
}

impl ScenarioOutput for () {
    fn into_result(self) -> Result<()> {
        Ok(())
    }
}

impl<E> ScenarioOutput for std::result::Result<(), E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn into_result(self) -> Result<()> {
        self.map_err(|e| {
            let boxed: Box<dyn std::error::Error + Send + Sync> = e.into();
            match boxed.downcast::<Error>() {
                Ok(ours) => *ours,
                Err(other) => Error::Scenario(other.to_string()),
            }
        })
    }
}

/// Boxes a scenario's future and converts its output; called by generated code.
#[doc(hidden)]
pub fn into_scenario_future<'a, F>(fut: F) -> ScenarioFuture<'a>
where
    F: Future + Send + 'a,
    F::Output: ScenarioOutput,
{
    Box::pin(async move { fut.await.into_result() })
}
