//! The `#[llm_bench]` attribute of [llm-bench](https://docs.rs/llm-bench).
//!
//! Use it through the `llm-bench` crate (`use llm_bench::prelude::*;`): the code it
//! generates names items of `llm_bench`, so this crate is of no use on its own.

#![warn(missing_docs)]

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
/// `std::io::Error`, ...). Its future must be `Send`. It may not be generic, `const`,
/// `unsafe`, `extern`, or a method. The function is left exactly as written; the attribute
/// adds a registration next to it, which `llm_bench::main!()` finds at run time.
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
/// | `samples` | integer ≥ 1 | `samples = 40` | Measured requests per run. |
/// | `warmup` | integer ≥ 0 | `warmup = 5` | Requests run first and discarded. |
/// | `concurrency` | integer ≥ 1 | `concurrency = 4` | Requests in flight at once (closed loop). |
/// | `timeout` | duration string | `timeout = "30s"` | Time limit of one invocation. |
/// | `model` | string | `model = "gpt-4o-mini"` | Model to ask for, unless a request names its own. |
/// | `gate` | string | `gate = "ttft,e2e"` | Metrics whose median regression fails `--fail-on-regression` (default `ttft,tpot`; `""` gates none). Names: `ttfb`, `ttft`, `ttfo`, `itl`, `itl_per_token`, `tpot`, `e2e`, `tokens_per_second`. |
/// | `provider` | string | `provider = "anthropic"` | The API the scenario's `ctx.stream` speaks: `openai`, `openai_responses`, `openai_completions`, `azure`, `anthropic`, `gemini`, `cohere`, `cohere_v1`, `ollama`, `tgi`. Its endpoint comes from that vendor's environment variables, else the built-in simulated endpoint speaks it. Default: the provider `LLM_BENCH_PROVIDER` selects. |
///
/// - `name` and `group` name a directory under `target/llm-bench/` and are matched by
///   command-line filters, so they may contain only ASCII letters, digits, `_`, `-`, `.`
///   and spaces; they must not be empty, must not start or end with `.` or a space, must
///   not start with `-`, and are at most 100 bytes long. Use `group` rather than a `/` in
///   the name. Two scenarios with the same id are an error when the bench starts.
/// - Integers are plain literals (`samples = 40`, not `"40"` or a constant) and fit in a
///   `u32`.
/// - `timeout` is a positive decimal number followed by a unit: `ms`, `s` or `m`
///   (`"500ms"`, `"2.5s"`, `"1m"`), a whole number of milliseconds.
/// - `model` is any non-empty string.
///
/// The scenario's description (shown in reports) is the first paragraph of the function's
/// `///` doc comment, its lines joined with spaces; it is empty when there is none.
///
/// # Errors
///
/// Mistakes are compile errors at the offending code: an unknown option (with a suggestion
/// for a likely typo: `sample` → `samples`), a value of the wrong type (`samples = "40"`,
/// `timeout = 30`), a value out of range (`samples = 0`), an option given twice, a bad
/// `name`, and a function of the wrong shape. A parameter type other than `&mut Ctx` is
/// reported by rustc at that type, and an unsupported return type at the return type.
#[proc_macro_attribute]
pub fn llm_bench(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}
