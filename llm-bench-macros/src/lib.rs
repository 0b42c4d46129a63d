//! The `#[llm_bench]` attribute of [llm-bench](https://docs.rs/llm-bench).
//!
//! Use it through the `llm-bench` crate (`use llm_bench::prelude::*;`): the code it
//! generates names items of `llm_bench`, so this crate is of no use on its own.

#![warn(missing_docs)]

mod args;
mod doc;
mod expand;
mod options;
/// Shared with the `llm-bench` crate (a symbolic link to its `src/rules`).
mod rules;
mod signature;

use proc_macro::TokenStream;

/// Registers an `async fn` as a benchmark scenario.
///
/// The function must have the shape `async fn name(ctx: &mut Ctx) -> R`, where `R` is
/// `()` or `Result<(), E>` for any error `E` that converts into
/// `Box<dyn Error + Send + Sync>` (llm-bench's own `Error`, `anyhow::Error`,
/// `std::io::Error`, ...). With `args = [...]` it takes the value as a second parameter:
/// `async fn name(ctx: &mut Ctx, value: T) -> R`. Its future must be `Send`. It may not be
/// generic, `const`, `unsafe`, `extern`, or a method. The function is left exactly as
/// written; the attribute adds a registration next to it, which `llm_bench::main!()` finds
/// at run time.
///
/// The harness calls the function once per request, with a fresh `Ctx`.
///
/// ```ignore
/// use llm_bench::prelude::*;
///
/// /// A chat turn as the product sends it.
/// ///
/// /// Only this first paragraph becomes the scenario's description.
/// #[llm_bench(samples = 40, concurrency = 4, timeout = "30s", group = "chat", name = "support")]
/// async fn support_answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
///     ctx.stream(ChatRequest::new("How do I reset my password?").max_tokens(128)).await?;
///     Ok(())
/// }
///
/// /// Every option left to the harness defaults.
/// #[llm_bench]
/// async fn plain(ctx: &mut Ctx) -> llm_bench::Result<()> {
///     Ok(())
/// }
///
/// /// One scenario per prompt length: `prompt_len/128`, `prompt_len/1024`, `prompt_len/8192`,
/// /// each failing the run when its p95 TTFT reaches 800ms or more than 1% of requests fail.
/// #[llm_bench(args = [128, 1024, 8192], setup = warm_up_cache, threshold = "p95 ttft < 800ms, errors < 1%")]
/// async fn prompt_len(ctx: &mut Ctx, len: usize) -> llm_bench::Result<()> {
///     ctx.stream(ChatRequest::new("x ".repeat(len)).max_tokens(64)).await?;
///     Ok(())
/// }
///
/// /// Runs once per scenario id, before its warm-up.
/// async fn warm_up_cache(ctx: &mut Ctx) -> llm_bench::Result<()> {
///     ctx.stream(ChatRequest::new("hello").max_tokens(1)).await?;
///     Ok(())
/// }
///
/// llm_bench::main!();
/// ```
///
/// # Options
///
/// All options are optional, written `key = value` and separated by commas, in any order.
/// An option left out takes the harness default (which command-line flags may change).
///
/// | Option | Value | Example | Meaning |
/// |---|---|---|---|
/// | `name` | string | `name = "support"` | The scenario's name. Default: the function's name. |
/// | `group` | string | `group = "chat"` | A group; the scenario's id becomes `group/name`. Default: none. |
/// | `args` | list of literals | `args = [128, 1024, 8192]` | A parameterised scenario: one scenario per value, whose id ends with `/<value>` (`prompt_len/128`, `group/prompt_len/1024`); the function takes the value as its second parameter. |
/// | `setup` | path | `setup = fixtures::prepare` | An `async fn prepare(ctx: &mut Ctx) -> R` (same `R` as a scenario) run once per scenario id before its warm-up; if it fails, the scenario is skipped. |
/// | `samples` | integer ≥ 1 | `samples = 40` | Measured requests per run. |
/// | `warmup` | integer ≥ 0 | `warmup = 5` | Requests run first and discarded. |
/// | `concurrency` | integer ≥ 1 | `concurrency = 4` | Requests in flight at once (closed loop). |
/// | `timeout` | duration string | `timeout = "30s"` | Time limit of one invocation. |
/// | `connect_timeout` | duration string | `connect_timeout = "5s"` | Time limit for opening a connection (built-in client). |
/// | `first_byte_timeout` | duration string | `first_byte_timeout = "10s"` | Time limit from a request's start to the response headers (built-in client). |
/// | `first_token_timeout` | duration string | `first_token_timeout = "10s"` | Time limit from a request's start to the first output event. |
/// | `idle_timeout` | duration string | `idle_timeout = "5s"` | Longest gap allowed between two events of a stream. |
/// | `max_consecutive_failures` | integer ≥ 0 | `max_consecutive_failures = 10` | Stop the scenario after this many failed requests in a row; `0` never stops early. |
/// | `rate` | rate string | `rate = "20/s"` | Open loop: requests start on a schedule at this rate (`200`, `200/s`, `600/min`), instead of a fixed concurrency. Not with `concurrency`. |
/// | `arrival` | string | `arrival = "gamma:0.5"` | Open loop: `constant`, `poisson` (default) or `gamma:<shape>` gaps. Needs `rate`. |
/// | `ramp_up` | duration string | `ramp_up = "10s"` | Open loop: the rate rises linearly from 0 over this time. Needs `rate`. |
/// | `seed` | integer ≥ 0 | `seed = 7` | Seed of the open-loop schedule (default 0). |
/// | `duration` | duration string | `duration = "60s"` | No request starts after this time; in open loop without `samples`, `rate × duration` requests. |
/// | `max_output_tokens` | integer ≥ 1 | `max_output_tokens = 100000` | No request starts once this many output tokens came back. |
/// | `until` | string | `until = "ttft 5%"` | Stop once the 95% interval of the metric's median is within ±5% of it (`samples` is the cap). |
/// | `slo` | string | `slo = "p99 ttft <= 500ms, p90 tpot <= 50ms"` | Service-level objectives: goodput, attainment, and what `search` must meet. |
/// | `sweep` | string | `sweep = "rate 10,20,40"` | Run once per step (`rate` or `concurrency`; a list, `10..100:10` or `1..64:7 log`), each stored as `<id>/rate-10`. |
/// | `search` | string | `search = "rate 1..500"` | Find the highest rate (or concurrency) meeting `slo` by bisection. Needs `slo`; not with `sweep`. |
/// | `retries` | integer ≥ 0 | `retries = 3` | Retry a request answered 429, 5xx or refused, honouring `Retry-After` (built-in client); retried attempts are counted, not timed. |
/// | `trace` | string | `trace = "traces/chat.jsonl"` | Replay a JSON-lines trace (relative to the package): each request starts at its line's offset; `ctx.trace_request()` gives its entry. Not with `rate` or `concurrency`. |
/// | `model` | string | `model = "gpt-4o-mini"` | Model to ask for, unless a request names its own. |
/// | `gate` | string | `gate = "ttft,e2e"` | Metrics whose median regression fails `--fail-on-regression` (default `ttft,tpot`; `""` gates none). Names: `ttfb`, `ttft`, `ttfo`, `itl`, `itl_per_token`, `tpot`, `e2e`, `tokens_per_second`. |
/// | `threshold` | string | `threshold = "p95 ttft < 800ms, errors < 1%"` | Absolute limits the run must meet (the grammar of `--threshold`). |
/// | `provider` | string | `provider = "anthropic"` | The API the scenario's `ctx.stream` speaks: `openai`, `openai_responses`, `openai_completions`, `azure`, `anthropic`, `gemini`, `cohere`, `cohere_v1`, `ollama`, `tgi`. Its endpoint comes from that vendor's environment variables, else the built-in simulated endpoint speaks it. Default: the provider `LLM_BENCH_PROVIDER` selects. |
///
/// - `name` and `group` name a directory under `target/llm-bench/` and are matched by
///   command-line filters, so they may contain only ASCII letters, digits, `_`, `-`, `.`
///   and spaces; they must not be empty, must not start or end with `.` or a space, must
///   not start with `-`, and are at most 100 bytes long. Use `group` rather than a `/` in
///   the name. Two scenarios with the same id are an error when the bench starts.
/// - No part of an id (`name`, `group`, the function's name when there is no `name`, or a
///   string in `args`) may be `new`, `base`, `change` or `report`, in any case: llm-bench
///   stores each scenario's runs in `<id>/new`, `<id>/base` (and other saved baselines)
///   and `<id>/change`, and the HTML report in `report/`.
/// - `args` is a non-empty list of literals, all of the type of the function's second
///   parameter: integers (`-1` too), floats, strings or bools (`args = ["short", "long"]`
///   with `prompt: &str`, `args = [0.5, 1.0]` with `t: f32`). Each value is passed as
///   written, and rustc reports a literal that does not fit the parameter's type at the
///   literal. It adds to the id as written without a type suffix (`128`, `-1`, `0.5`), a
///   string as its value (which follows the rules of `name`), a bool as `true` or `false`;
///   no two values may give the same id. Constants and expressions are not supported.
///   Every other option applies to each of the scenarios.
/// - `setup` names a function by its path (`prepare`, `super::fixtures::prepare`), not a
///   string or a closure; rustc reports a wrong signature or return type at the path.
/// - Integers are plain literals (`samples = 40`, not `"40"` or a constant) and fit in a
///   `u32`.
/// - `timeout` and the `*_timeout` options are a positive decimal number followed by a
///   unit: `ms`, `s` or `m` (`"500ms"`, `"2.5s"`, `"1m"`), a whole number of milliseconds.
/// - `threshold` is a comma-separated list of `[statistic] metric operator value`: the
///   statistic `p50`, `p95`, `p99.9`, ..., `median` (the default), `mean`, `min` or `max`;
///   a metric of `gate`, or `errors` (the share of failed requests, with no statistic);
///   `<`, `<=`, `>` or `>=`; a time with a unit (`ns`, `us`, `ms`, `s`, `m`), a plain
///   number for `tokens_per_second`, a percentage for `errors`. It is checked at compile
///   time and stored normalised (`"p95 ttft < 800ms, errors < 1%"`).
/// - `model` is any non-empty string.
///
/// The scenario's description (shown in reports) is the first paragraph of the function's
/// `///` doc comment, its lines joined with spaces; it is empty when there is none.
///
/// # Errors
///
/// Mistakes are compile errors at the offending code: an unknown option (with a suggestion
/// for a likely typo: `sample` → `samples`, `idle` → `idle_timeout`), a value of the wrong
/// type (`samples = "40"`, `timeout = 30`, `setup = "prepare"`), a value out of range
/// (`samples = 0`), an option given twice, a bad `name`, `group` or `args` value, a bad
/// `threshold`, `args` without a second parameter (or a second parameter without `args`),
/// and a function of the wrong shape. A parameter type other than `&mut Ctx` is reported
/// by rustc at that type, an unsupported return type at the return type, an `args` value
/// of the wrong type at the value, and a `setup` function of the wrong shape at its path.
#[proc_macro_attribute]
pub fn llm_bench(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}
