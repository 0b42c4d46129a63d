//! The options inside `#[llm_bench(...)]`: parsing, validation, and their error messages.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, ExprPath, ExprUnary, Lit, LitStr, Token, UnOp};

use crate::args::{self, Arg, Code};
use crate::rules::duration::parse_timeout_ms;
use crate::rules::load::{parse_arrival, parse_ramp_up, parse_rate};
use crate::rules::names::{check_id_part, parse_gate_list, PROVIDER_NAMES};
use crate::rules::slo::parse_slos;
use crate::rules::stop::{parse_search_range, parse_sweep, parse_until};
use crate::rules::suggest::closest;
use crate::rules::threshold::parse_thresholds;
use crate::rules::together::conflicts;
use crate::signature::RESERVED_PREFIX;

/// Every option the attribute accepts, in the order the docs list them.
pub(crate) const OPTION_NAMES: &[&str] = &[
    "name",
    "group",
    "args",
    "setup",
    "samples",
    "warmup",
    "concurrency",
    "timeout",
    "connect_timeout",
    "first_byte_timeout",
    "first_token_timeout",
    "idle_timeout",
    "max_consecutive_failures",
    "rate",
    "arrival",
    "ramp_up",
    "seed",
    "duration",
    "max_output_tokens",
    "until",
    "slo",
    "sweep",
    "search",
    "retries",
    "trace",
    "model",
    "gate",
    "threshold",
    "provider",
];

/// The options whose value is a duration string (`"30s"`).
const DURATION_OPTIONS: &[&str] = &[
    "timeout",
    "duration",
    "connect_timeout",
    "first_byte_timeout",
    "first_token_timeout",
    "idle_timeout",
];

/// The options given in the attribute; `None` means "not given".
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) name: Option<String>,
    pub(crate) group: Option<String>,
    /// `args = [...]`: one registration per value, in the order written.
    pub(crate) args: Option<Vec<Arg>>,
    /// `setup = path`: the function run once per scenario id before its warm-up.
    pub(crate) setup: Option<Code<ExprPath>>,
    pub(crate) samples: Option<u32>,
    pub(crate) warmup: Option<u32>,
    pub(crate) concurrency: Option<u32>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) connect_timeout_ms: Option<u64>,
    pub(crate) first_byte_timeout_ms: Option<u64>,
    pub(crate) first_token_timeout_ms: Option<u64>,
    pub(crate) idle_timeout_ms: Option<u64>,
    pub(crate) max_consecutive_failures: Option<u32>,
    /// The rate as written (checked).
    pub(crate) rate: Option<String>,
    /// The arrival in its normal form.
    pub(crate) arrival: Option<String>,
    /// The ramp-up as written (checked).
    pub(crate) ramp_up: Option<String>,
    pub(crate) seed: Option<u64>,
    pub(crate) duration_ms: Option<u64>,
    pub(crate) max_output_tokens: Option<u64>,
    /// The precision rule as written (checked).
    pub(crate) until: Option<String>,
    /// The objectives in their normal form, joined with `", "`.
    pub(crate) slo: Option<String>,
    /// The sweep as written (checked).
    pub(crate) sweep: Option<String>,
    /// The search as written (checked).
    pub(crate) search: Option<String>,
    pub(crate) retries: Option<u32>,
    /// The trace file's path, as written.
    pub(crate) trace: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) gate: Option<String>,
    /// The thresholds in their normal form, joined with `", "`.
    pub(crate) threshold: Option<String>,
    pub(crate) provider: Option<String>,
}

impl Options {
    /// Parses the attribute's arguments. Every problem found is reported (combined into one
    /// `syn::Error`), each at the span of the offending key or value.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Options> {
        let mut options = Options::default();
        let mut seen: Vec<String> = Vec::new();
        let mut spans: Vec<(String, proc_macro2::Span)> = Vec::new();
        let mut errors: Vec<syn::Error> = Vec::new();
        let parser = syn::meta::parser(|meta| {
            if let Some(ident) = meta.path.get_ident() {
                spans.push((ident.unraw().to_string(), ident.span()));
            }
            options.parse_one(&meta, &mut seen, &mut errors)
        });
        if let Err(error) = parser.parse2(args) {
            errors.push(error);
        }
        if errors.is_empty() {
            errors.extend(options.check_together(&spans));
        }
        match combine(errors) {
            Some(error) => Err(error),
            None => Ok(options),
        }
    }

    /// Parses one `key = value`. Returns `Err` only for syntax errors that stop parsing;
    /// problems with a well-formed option go to `errors`, so the next options are checked too.
    fn parse_one(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        seen: &mut Vec<String>,
        errors: &mut Vec<syn::Error>,
    ) -> syn::Result<()> {
        let Some(key) = meta.path.get_ident().map(|ident| ident.unraw().to_string()) else {
            errors.push(syn::Error::new_spanned(
                &meta.path,
                unknown_option_message(None),
            ));
            return skip_value(meta);
        };
        if !OPTION_NAMES.contains(&key.as_str()) {
            errors.push(syn::Error::new_spanned(
                &meta.path,
                unknown_option_message(Some(&key)),
            ));
            return skip_value(meta);
        }
        if !meta.input.peek(Token![=]) {
            errors.push(syn::Error::new_spanned(
                &meta.path,
                format!("`{key}` needs a value: write `{key} = {}`", example(&key)),
            ));
            return skip_value(meta);
        }
        if seen.contains(&key) {
            errors.push(syn::Error::new_spanned(
                &meta.path,
                format!("`{key}` is given twice; keep one"),
            ));
            return skip_value(meta);
        }
        seen.push(key.clone());
        let value: Expr = meta.value()?.parse()?;
        if let Err(error) = self.set(&key, &value) {
            errors.push(error);
        }
        Ok(())
    }

    /// Options that are fine alone but not together, each error at the later key.
    fn check_together(&self, spans: &[(String, proc_macro2::Span)]) -> Vec<syn::Error> {
        let span_of = |key: &str| {
            spans
                .iter()
                .find(|(k, _)| k == key)
                .map_or_else(proc_macro2::Span::call_site, |(_, span)| *span)
        };
        conflicts(|key| spans.iter().any(|(k, _)| k == key))
            .into_iter()
            .map(|(key, message)| syn::Error::new(span_of(key), message))
            .collect()
    }

    /// Checks `value` for the option `key` (one of [`OPTION_NAMES`]) and stores it.
    fn set(&mut self, key: &str, value: &Expr) -> syn::Result<()> {
        let value = ungrouped(value);
        match key {
            "name" => id_part(key, value).map(|v| self.name = Some(v)),
            "group" => id_part(key, value).map(|v| self.group = Some(v)),
            "args" => args::parse(value).map(|v| self.args = Some(v)),
            "setup" => setup(value).map(|v| self.setup = Some(v)),
            "samples" => integer(key, value, 1).map(|v| self.samples = Some(v)),
            "warmup" => integer(key, value, 0).map(|v| self.warmup = Some(v)),
            "concurrency" => integer(key, value, 1).map(|v| self.concurrency = Some(v)),
            "timeout" => duration(key, value).map(|v| self.timeout_ms = Some(v)),
            "connect_timeout" => duration(key, value).map(|v| self.connect_timeout_ms = Some(v)),
            "first_byte_timeout" => {
                duration(key, value).map(|v| self.first_byte_timeout_ms = Some(v))
            }
            "first_token_timeout" => {
                duration(key, value).map(|v| self.first_token_timeout_ms = Some(v))
            }
            "idle_timeout" => duration(key, value).map(|v| self.idle_timeout_ms = Some(v)),
            "max_consecutive_failures" => {
                integer(key, value, 0).map(|v| self.max_consecutive_failures = Some(v))
            }
            "rate" => checked(key, value, parse_rate).map(|(v, _)| self.rate = Some(v)),
            "arrival" => {
                checked(key, value, parse_arrival).map(|(_, a)| self.arrival = Some(a.to_string()))
            }
            "ramp_up" => checked(key, value, parse_ramp_up).map(|(v, _)| self.ramp_up = Some(v)),
            "seed" => integer64(key, value).map(|v| self.seed = Some(v)),
            "duration" => duration(key, value).map(|v| self.duration_ms = Some(v)),
            "max_output_tokens" => {
                integer64(key, value).map(|v| self.max_output_tokens = Some(v.max(1)))
            }
            "until" => checked(key, value, parse_until).map(|(v, _)| self.until = Some(v)),
            "slo" => checked(key, value, parse_slos).map(|(_, objectives)| {
                let texts: Vec<String> = objectives.into_iter().map(|o| o.text).collect();
                self.slo = Some(texts.join(", "))
            }),
            "sweep" => checked(key, value, parse_sweep).map(|(v, _)| self.sweep = Some(v)),
            "search" => {
                checked(key, value, parse_search_range).map(|(v, _)| self.search = Some(v))
            }
            "retries" => integer(key, value, 0).map(|v| self.retries = Some(v)),
            "trace" => checked(key, value, |text| {
                if text.trim().is_empty() {
                    Err("the path of a JSON-lines trace file, relative to the package, e.g. \"traces/chat.jsonl\"".to_string())
                } else {
                    Ok(())
                }
            })
            .map(|(v, _)| self.trace = Some(v)),
            "model" => model(value).map(|v| self.model = Some(v)),
            "gate" => gate(value).map(|v| self.gate = Some(v)),
            "threshold" => threshold(value).map(|v| self.threshold = Some(v)),
            "provider" => provider(value).map(|v| self.provider = Some(v)),
            _ => unreachable!("every name in OPTION_NAMES is handled"),
        }
    }
}

/// All the errors as one (`None` when there are none).
pub(crate) fn combine(errors: impl IntoIterator<Item = syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    })
}

/// Consumes the value of an option that is being reported, so parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren)
        || meta.input.peek(syn::token::Bracket)
        || meta.input.peek(syn::token::Brace)
    {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// The message for an option that does not exist, with a suggestion when one is close.
fn unknown_option_message(key: Option<&str>) -> String {
    let valid = OPTION_NAMES
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(key) = key else {
        return format!("unknown #[llm_bench] option (the options are {valid})");
    };
    let hint = known_mistake(key)
        .or_else(|| closest(key, OPTION_NAMES).map(|near| format!(": did you mean `{near}`?")))
        .unwrap_or_default();
    format!("unknown #[llm_bench] option `{key}`{hint} (the options are {valid})")
}

/// The hint for an option name that users are known to reach for: another tool's name for
/// an option, or an option's name with a unit (`idle_timeout_ms`).
fn known_mistake(key: &str) -> Option<String> {
    if let Some(stem) = key.strip_suffix("_ms") {
        if DURATION_OPTIONS.contains(&stem) {
            return Some(format!(": did you mean `{stem} = \"30s\"`?"));
        }
    }
    let near = match key {
        "description" | "desc" | "doc" => {
            return Some(
                ": the description is the first paragraph of the function's `///` doc comment"
                    .to_owned(),
            )
        }
        "endpoint" | "url" | "base_url" | "host" | "api_key" | "key" => {
            return Some(": the endpoint and key come from the environment (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ...) or from a `Client` of your own passed to `ctx.stream_with`; `provider = \"...\"` chooses the API".to_owned())
        }
        "time_limit" | "deadline" | "request_timeout" => {
            return Some(": did you mean `timeout = \"30s\"`?".to_owned())
        }
        "iterations" | "iters" | "requests" | "runs" | "sample_size" | "n" => "samples",
        "parallelism" | "parallel" | "workers" | "threads" => "concurrency",
        "connect" | "connection_timeout" | "connect_time" | "dial_timeout" => "connect_timeout",
        "first_byte" | "ttfb_timeout" | "header_timeout" | "headers_timeout"
        | "response_timeout" => "first_byte_timeout",
        "first_token" | "ttft_timeout" | "first_event_timeout" => "first_token_timeout",
        "idle" | "idle_time" | "read_timeout" | "stall_timeout" | "itl_timeout"
        | "inter_token_timeout" | "stream_timeout" => "idle_timeout",
        "max_failures" | "max_errors" | "consecutive_failures" | "max_consecutive_errors"
        | "fail_fast" | "stop_after_failures" => "max_consecutive_failures",
        "thresholds" | "assert" | "limits" => "threshold",
        "slos" | "objectives" | "sla" => "slo",
        "request_rate" | "rps" | "qps" | "requests_per_second" => "rate",
        "burstiness" | "arrivals" | "distribution" => "arrival",
        "rampup" | "ramp" | "warmup_time" => "ramp_up",
        "time" | "max_duration" | "max_seconds" | "run_for" => "duration",
        "max_tokens" | "token_budget" | "output_token_budget" => "max_output_tokens",
        "precision" | "confidence" | "stop_when" => "until",
        "sweep_rate" | "sweep_concurrency" | "steps" => "sweep",
        "sla_search" | "find" | "bisect" => "search",
        "retry" | "max_retries" | "attempts" => "retries",
        "replay" | "trace_file" | "workload" => "trace",
        "arg" | "params" | "parameters" | "values" | "inputs" | "cases" | "parametrize"
        | "parameterize" => "args",
        "before" | "before_all" | "init" | "prepare" | "setup_fn" | "fixture" => "setup",
        _ => return None,
    };
    Some(format!(": did you mean `{near}`?"))
}

/// A value that fits the option, for messages.
fn example(key: &str) -> &'static str {
    match key {
        "name" => "\"support\"",
        "group" => "\"chat\"",
        "args" => "[128, 1024, 8192]",
        "setup" => "prepare",
        "samples" => "40",
        "warmup" => "5",
        "concurrency" => "4",
        "max_consecutive_failures" => "10",
        "rate" => "\"20/s\"",
        "arrival" => "\"poisson\"",
        "ramp_up" => "\"10s\"",
        "seed" => "7",
        "max_output_tokens" => "100000",
        "until" => "\"ttft 5%\"",
        "slo" => "\"p99 ttft <= 500ms\"",
        "sweep" => "\"rate 10,20,40\"",
        "search" => "\"rate 1..500\"",
        "retries" => "3",
        "trace" => "\"traces/chat.jsonl\"",
        "gate" => "\"ttft,tpot\"",
        "threshold" => "\"p95 ttft < 800ms, errors < 1%\"",
        "provider" => "\"anthropic\"",
        key if DURATION_OPTIONS.contains(&key) => "\"30s\"",
        _ => "\"gpt-4o-mini\"",
    }
}

/// `value` without the invisible groups a `macro_rules!` fragment (`$provider:literal`,
/// `$n:expr`) is wrapped in when the user's own macro writes the attribute.
fn ungrouped(mut value: &Expr) -> &Expr {
    while let Expr::Group(group) = value {
        value = &group.expr;
    }
    value
}

/// A string literal value, or an error that shows how to write one.
fn string<'a>(key: &str, value: &'a Expr) -> syn::Result<&'a LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Ok(text),
        // `name = support`: the user forgot the quotes.
        Expr::Path(path) if path.path.get_ident().is_some() => {
            let word = path.path.get_ident().map(|i| i.unraw().to_string());
            Err(syn::Error::new_spanned(
                value,
                format!(
                    "expected a string: write `{key} = \"{}\"`",
                    word.unwrap_or_default()
                ),
            ))
        }
        _ => Err(syn::Error::new_spanned(
            value,
            format!("expected a string: write e.g. `{key} = {}`", example(key)),
        )),
    }
}

/// A `name` or `group`: it becomes a directory under `target/llm-bench/` and a filter
/// word on the command line, so it must follow [`check_id_part`].
fn id_part(key: &str, value: &Expr) -> syn::Result<String> {
    let lit = string(key, value)?;
    check_id_part(key, &lit.value()).map_err(|message| syn::Error::new_spanned(lit, message))
}

/// A string option checked with one of the harness's own parsers: the text as written and
/// what the parser made of it; the parser's message becomes the error, at the literal.
fn checked<T>(
    key: &str,
    value: &Expr,
    parse: impl Fn(&str) -> Result<T, String>,
) -> syn::Result<(String, T)> {
    let lit = string(key, value)?;
    let text = lit.value();
    parse(&text)
        .map(|parsed| (text.trim().to_string(), parsed))
        .map_err(|message| syn::Error::new_spanned(lit, format!("invalid `{key}`: {message}")))
}

/// A non-negative integer option that fits in a `u64`.
fn integer64(key: &str, value: &Expr) -> syn::Result<u64> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_digits().parse::<u64>().map_err(|_| {
            syn::Error::new_spanned(value, format!("`{key}` must be at most {}", u64::MAX))
        }),
        _ => integer(key, value, 0).map(u64::from),
    }
}

/// An integer option, at least `min`, that fits in a `u32`.
fn integer(key: &str, value: &Expr, min: u32) -> syn::Result<u32> {
    let error = |message: String| Err(syn::Error::new_spanned(value, message));
    let lower = if min == 0 {
        "cannot be negative".to_owned()
    } else {
        format!("must be at least {min}")
    };
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => match int.base10_digits().parse::<u64>() {
            Ok(n) if n < u64::from(min) => error(format!("`{key}` {lower}, not {n}")),
            Ok(n) => match u32::try_from(n) {
                Ok(n) => Ok(n),
                Err(_) => error(format!("`{key}` must be at most {}", u32::MAX)),
            },
            Err(_) => error(format!("`{key}` must be at most {}", u32::MAX)),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) if matches!(**expr, Expr::Lit(ExprLit { lit: Lit::Int(_), .. })) => {
            error(format!("`{key}` {lower}"))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            let shown = match text.value().trim().parse::<u64>() {
                Ok(n) => n.to_string(),
                Err(_) => example(key).to_owned(),
            };
            error(format!(
                "expected an integer, found a string: write `{key} = {shown}`"
            ))
        }
        Expr::Lit(_) => error(format!(
            "expected an integer: write e.g. `{key} = {}`",
            example(key)
        )),
        _ => error(format!(
            "expected an integer literal such as `{key} = {}` (constants and expressions are not supported here)",
            example(key)
        )),
    }
}

/// A duration option (`timeout = "30s"`, `idle_timeout = "5s"`, ...), in milliseconds.
fn duration(key: &str, value: &Expr) -> syn::Result<u64> {
    let number = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            return parse_timeout_ms(&text.value()).map_err(|message| {
                syn::Error::new_spanned(text, format!("invalid `{key}`: {message}"))
            });
        }
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_digits().to_owned(),
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => float.base10_digits().to_owned(),
        _ => "30".to_owned(),
    };
    Err(syn::Error::new_spanned(
        value,
        format!(
            "expected a duration string with a unit (`ms`, `s` or `m`): write `{key} = \"{number}s\"`"
        ),
    ))
}

/// `setup = path::to::prepare`: the path of the function to run before the warm-up.
fn setup(value: &Expr) -> syn::Result<Code<ExprPath>> {
    let error = |message: String| Err(syn::Error::new_spanned(value, message));
    match value {
        Expr::Path(path) if path.attrs.is_empty() => {
            let shadowed = path.qself.is_none()
                && path
                    .path
                    .get_ident()
                    .is_some_and(|ident| ident.unraw().to_string().starts_with(RESERVED_PREFIX));
            if shadowed {
                return error(format!(
                    "names starting with `{RESERVED_PREFIX}` are reserved for the code #[llm_bench] generates; rename the setup function"
                ));
            }
            Ok(Code(path.clone()))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            let shown = syn::parse_str::<syn::Path>(&text.value())
                .map(|path| quote::ToTokens::to_token_stream(&path).to_string().replace(' ', ""))
                .unwrap_or_else(|_| example("setup").to_owned());
            error(format!(
                "expected the path of a function, not a string: write `setup = {shown}`, without quotes"
            ))
        }
        Expr::Call(call) if matches!(*call.func, Expr::Path(_)) => {
            let func = &call.func;
            let shown = quote::quote!(#func).to_string().replace(' ', "");
            error(format!(
                "write the function's path without calling it: `setup = {shown}` (the harness calls it with the `&mut Ctx`)"
            ))
        }
        Expr::Closure(_) | Expr::Async(_) | Expr::Block(_) => error(
            "`setup` takes the path of an `async fn prepare(ctx: &mut Ctx)` written elsewhere, not a closure or block: write `setup = prepare`".to_owned(),
        ),
        _ => error(
            "expected the path of an `async fn prepare(ctx: &mut Ctx)`, such as `setup = prepare` or `setup = common::prepare`".to_owned(),
        ),
    }
}

/// `threshold = "p95 ttft < 800ms, errors < 1%"`, checked with the harness's own grammar and
/// stored in its normal form (`p95 ttft < 800ms, errors < 1%`).
fn threshold(value: &Expr) -> syn::Result<String> {
    let lit = string("threshold", value)?;
    let thresholds = parse_thresholds(&lit.value()).map_err(|message| {
        syn::Error::new_spanned(lit, format!("invalid `threshold`: {message}"))
    })?;
    let texts: Vec<&str> = thresholds.iter().map(|t| t.text.as_str()).collect();
    Ok(texts.join(", "))
}

/// `model = "..."`: any non-empty string.
fn model(value: &Expr) -> syn::Result<String> {
    let lit = string("model", value)?;
    let text = lit.value();
    if text.trim().is_empty() {
        return Err(syn::Error::new_spanned(lit, "`model` must not be empty"));
    }
    Ok(text)
}

/// `gate = "ttft,tpot"`: a comma-separated list of metric names, normalised (trimmed,
/// lower case, no duplicates). An empty list gates nothing.
fn gate(value: &Expr) -> syn::Result<String> {
    let lit = string("gate", value)?;
    let metrics = parse_gate_list(&lit.value(), "gate")
        .map_err(|unknown| syn::Error::new_spanned(lit, unknown))?;
    Ok(metrics.join(","))
}

/// `provider = "anthropic"`: one of [`PROVIDER_NAMES`] (case, `-` and `_` do not matter).
fn provider(value: &Expr) -> syn::Result<String> {
    let lit = string("provider", value)?;
    let name = lit.value().trim().to_ascii_lowercase().replace('-', "_");
    if PROVIDER_NAMES.contains(&name.as_str()) {
        return Ok(name);
    }
    let hint = match name.as_str() {
        "generic" => ": a generic provider needs a spec file, so select it with \
                      LLM_BENCH_PROVIDER=generic and LLM_BENCH_GENERIC_SPEC"
            .to_owned(),
        "claude" => ": did you mean `anthropic`?".to_owned(),
        "google" | "vertex" => ": did you mean `gemini`?".to_owned(),
        "azure_openai" => ": did you mean `azure`?".to_owned(),
        "chat" | "openai_chat" | "openai_compatible" | "vllm" => {
            ": did you mean `openai` (any OpenAI-compatible server)?".to_owned()
        }
        _ => closest(&name, PROVIDER_NAMES)
            .map(|near| format!(": did you mean `{near}`?"))
            .unwrap_or_default(),
    };
    Err(syn::Error::new_spanned(
        lit,
        format!(
            "unknown provider `{name}`{hint} (the providers are {})",
            PROVIDER_NAMES.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::Options;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> Result<Options, String> {
        Options::parse(tokens).map_err(|error| {
            error
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
    }

    #[test]
    fn values_written_by_a_declarative_macro_are_read_through_their_invisible_group() {
        use proc_macro2::{Delimiter, Group};
        let invisible = |tokens| Group::new(Delimiter::None, tokens);
        let (provider, samples) = (invisible(quote!("anthropic")), invisible(quote!(8)));
        let options = parse(quote!(provider = #provider, samples = #samples)).unwrap();
        assert_eq!(options.provider.as_deref(), Some("anthropic"));
        assert_eq!(options.samples, Some(8));
    }

    #[test]
    fn empty() {
        assert_eq!(parse(quote!()), Ok(Options::default()));
    }

    #[test]
    fn every_option() {
        let options = parse(quote!(
            samples = 40,
            warmup = 0,
            concurrency = 4,
            timeout = "2.5s",
            group = "chat",
            name = "support v2",
            model = "gpt-4o-mini",
            gate = "E2E, ttft,e2e,",
            provider = "Cohere-V1",
            args = [128, 1024],
            setup = common::prepare,
            threshold = "P95 TTFT < 800 ms,errors<1%",
            connect_timeout = "5s",
            first_byte_timeout = "10s",
            first_token_timeout = "15s",
            idle_timeout = "500ms",
            max_consecutive_failures = 0,
        ))
        .unwrap();
        let args = options.args.as_ref().unwrap();
        assert_eq!(
            args.iter().map(|a| a.text.as_str()).collect::<Vec<_>>(),
            ["128", "1024"]
        );
        assert_eq!(
            format!("{:?}", options.setup.as_ref().unwrap()),
            "`common :: prepare`"
        );
        assert_eq!(
            options,
            Options {
                name: Some("support v2".into()),
                group: Some("chat".into()),
                args: options.args.clone(),
                setup: options.setup.clone(),
                samples: Some(40),
                warmup: Some(0),
                concurrency: Some(4),
                timeout_ms: Some(2_500),
                connect_timeout_ms: Some(5_000),
                first_byte_timeout_ms: Some(10_000),
                first_token_timeout_ms: Some(15_000),
                idle_timeout_ms: Some(500),
                max_consecutive_failures: Some(0),
                model: Some("gpt-4o-mini".into()),
                gate: Some("e2e,ttft".into()),
                threshold: Some("p95 ttft < 800ms, errors < 1%".into()),
                provider: Some("cohere_v1".into()),
                ..Options::default()
            }
        );
    }

    #[test]
    fn every_load_option() {
        let options = parse(quote!(
            rate = "20/s",
            arrival = "gamma:0.5",
            ramp_up = "10s",
            seed = 7,
            duration = "1m",
            max_output_tokens = 100000,
            until = "ttft 5%",
            slo = "P99 TTFT <= 500 ms,p90 tpot<50ms",
            sweep = "rate 10,20,40",
            retries = 3,
        ))
        .unwrap();
        assert_eq!(
            options,
            Options {
                rate: Some("20/s".into()),
                arrival: Some("gamma:0.5".into()),
                ramp_up: Some("10s".into()),
                seed: Some(7),
                duration_ms: Some(60_000),
                max_output_tokens: Some(100_000),
                until: Some("ttft 5%".into()),
                slo: Some("p99 ttft <= 500ms, p90 tpot < 50ms".into()),
                sweep: Some("rate 10,20,40".into()),
                retries: Some(3),
                ..Options::default()
            }
        );
        let traced = parse(quote!(trace = "traces/chat.jsonl")).unwrap();
        assert_eq!(traced.trace.as_deref(), Some("traces/chat.jsonl"));
    }

    #[test]
    fn load_options_that_do_not_go_together_are_refused() {
        let e = parse(quote!(rate = "20/s", concurrency = 4)).unwrap_err();
        assert!(e.contains("not both"), "{e}");
        let e = parse(quote!(arrival = "poisson")).unwrap_err();
        assert!(e.contains("give `rate = \"...\"` too"), "{e}");
        let e = parse(quote!(search = "rate 1..100")).unwrap_err();
        assert!(e.contains("give them too"), "{e}");
        let e = parse(quote!(trace = "t.jsonl", rate = "5/s")).unwrap_err();
        assert!(e.contains("leave out `rate` and `concurrency`"), "{e}");
        let e = parse(quote!(rate = "fast")).unwrap_err();
        assert!(e.starts_with("invalid `rate`:"), "{e}");
        let e = parse(quote!(slo = "errors < 1%")).unwrap_err();
        assert!(e.contains("bounds the latency of each request"), "{e}");
        let e = parse(quote!(rps = "5/s")).unwrap_err();
        assert!(e.contains("did you mean `rate`?"), "{e}");
    }

    #[test]
    fn threshold_is_checked_and_normalised() {
        let options = parse(quote!(
            threshold = "median e2e <= 2s , tokens_per_second > 40,"
        ));
        assert_eq!(
            options.unwrap().threshold.as_deref(),
            Some("p50 e2e <= 2s, p50 tokens_per_second > 40")
        );
        let err = parse(quote!(threshold = "p95 tft < 800ms")).unwrap_err();
        assert!(
            err.starts_with("invalid `threshold`: threshold `p95 tft < 800ms`: unknown metric `tft`: did you mean `ttft`?"),
            "{err}"
        );
        let err = parse(quote!(threshold = "")).unwrap_err();
        assert!(err.contains("no threshold given"), "{err}");
        let err = parse(quote!(threshold = 800)).unwrap_err();
        assert!(err.contains("expected a string"), "{err}");
    }

    #[test]
    fn phase_timeouts_are_durations() {
        let err = parse(quote!(idle_timeout = 5)).unwrap_err();
        assert!(err.contains("write `idle_timeout = \"5s\"`"), "{err}");
        let err = parse(quote!(connect_timeout = "5 sec")).unwrap_err();
        assert!(
            err.starts_with("invalid `connect_timeout`: unknown unit `sec`"),
            "{err}"
        );
        let err = parse(quote!(first_byte_timeout = "0s")).unwrap_err();
        assert!(err.contains("greater than zero"), "{err}");
        let err = parse(quote!(first_token_timeout)).unwrap_err();
        assert!(
            err.contains("write `first_token_timeout = \"30s\"`"),
            "{err}"
        );
    }

    #[test]
    fn max_consecutive_failures_is_a_count() {
        let options = parse(quote!(max_consecutive_failures = 25)).unwrap();
        assert_eq!(options.max_consecutive_failures, Some(25));
        let err = parse(quote!(max_consecutive_failures = -1)).unwrap_err();
        assert!(
            err.contains("`max_consecutive_failures` cannot be negative"),
            "{err}"
        );
        let err = parse(quote!(max_consecutive_failures = "3")).unwrap_err();
        assert!(
            err.contains("write `max_consecutive_failures = 3`"),
            "{err}"
        );
    }

    #[test]
    fn setup_is_a_path() {
        let options = parse(quote!(setup = prepare)).unwrap();
        assert_eq!(format!("{:?}", options.setup.unwrap()), "`prepare`");
        let options = parse(quote!(setup = super::fixtures::prepare)).unwrap();
        assert_eq!(
            format!("{:?}", options.setup.unwrap()),
            "`super :: fixtures :: prepare`"
        );
        let err = parse(quote!(setup = "fixtures::prepare")).unwrap_err();
        assert!(
            err.contains("not a string: write `setup = fixtures::prepare`, without quotes"),
            "{err}"
        );
        let err = parse(quote!(setup = prepare(ctx))).unwrap_err();
        assert!(
            err.contains("without calling it: `setup = prepare`"),
            "{err}"
        );
        let err = parse(quote!(setup = |ctx| async {})).unwrap_err();
        assert!(err.contains("not a closure or block"), "{err}");
        let err = parse(quote!(setup = 3)).unwrap_err();
        assert!(err.contains("expected the path of an `async fn"), "{err}");
        let err = parse(quote!(setup = __llm_bench_setup)).unwrap_err();
        assert!(err.contains("reserved"), "{err}");
    }

    #[test]
    fn args_are_parsed_in_order() {
        let options = parse(quote!(args = ["short", "long prompt"])).unwrap();
        let texts: Vec<String> = options.args.unwrap().into_iter().map(|a| a.text).collect();
        assert_eq!(texts, ["short", "long prompt"]);
        let err = parse(quote!(args = [LEN])).unwrap_err();
        assert!(
            err.contains("constants and expressions are not supported"),
            "{err}"
        );
        let err = parse(quote!(args = [])).unwrap_err();
        assert!(err.contains("at least one value"), "{err}");
    }

    #[test]
    fn reserved_names() {
        let err = parse(quote!(name = "Report")).unwrap_err();
        assert!(err.starts_with("`name` is reserved"), "{err}");
        assert!(err.contains("`name = \"Report_1\"`"), "{err}");
        let err = parse(quote!(group = "base")).unwrap_err();
        assert!(err.starts_with("`group` is reserved"), "{err}");
        let err = parse(quote!(args = [1, "change"])).unwrap_err();
        assert!(
            err.starts_with("the `args` value \"change\" is reserved"),
            "{err}"
        );
    }

    #[test]
    fn new_options_suggest_for_typos() {
        for (typo, option) in [
            ("idle", "idle_timeout"),
            ("connect", "connect_timeout"),
            ("first_token", "first_token_timeout"),
            ("ttfb_timeout", "first_byte_timeout"),
            ("idle_timout", "idle_timeout"),
            ("max_failures", "max_consecutive_failures"),
            ("thresholds", "threshold"),
            ("params", "args"),
            ("arg", "args"),
            ("before_all", "setup"),
        ] {
            let key = quote::format_ident!("{}", typo);
            let err = parse(quote!(#key = 1)).unwrap_err();
            assert!(
                err.contains(&format!("did you mean `{option}`?")),
                "{typo}: {err}"
            );
        }
        let err = parse(quote!(idle_timeout_ms = 500)).unwrap_err();
        assert!(
            err.contains("did you mean `idle_timeout = \"30s\"`?"),
            "{err}"
        );
        let err = parse(quote!(timeout_ms = 500)).unwrap_err();
        assert!(err.contains("did you mean `timeout = \"30s\"`?"), "{err}");
    }

    #[test]
    fn provider_names_a_known_api() {
        let err = parse(quote!(provider = "gemeni")).unwrap_err();
        assert!(err.contains("did you mean `gemini`?"), "{err}");
        let err = parse(quote!(provider = "generic")).unwrap_err();
        assert!(err.contains("LLM_BENCH_GENERIC_SPEC"), "{err}");
    }

    #[test]
    fn gate_rejects_unknown_metrics_with_a_suggestion() {
        let err = parse(quote!(gate = "ttft,tpotx")).unwrap_err();
        assert!(
            err.contains("unknown metric `tpotx` in `gate`: did you mean `tpot`?"),
            "{err}"
        );
        assert_eq!(parse(quote!(gate = "")).unwrap().gate, Some(String::new()));
    }

    #[test]
    fn unknown_option_suggests() {
        let err = parse(quote!(sample = 40)).unwrap_err();
        assert!(
            err.contains("unknown #[llm_bench] option `sample`"),
            "{err}"
        );
        assert!(err.contains("did you mean `samples`?"), "{err}");
        assert!(err.contains("`concurrency`"), "{err}");
        let err = parse(quote!(description = "x")).unwrap_err();
        assert!(err.contains("doc comment"), "{err}");
        let err = parse(quote!(iterations = 3)).unwrap_err();
        assert!(err.contains("did you mean `samples`?"), "{err}");
    }

    #[test]
    fn reports_every_error() {
        let err = parse(quote!(samples = 0, warmup = -1, bogus = 3, timeout = 30)).unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 4, "{err}");
        assert!(lines[0].contains("`samples` must be at least 1, not 0"));
        assert!(lines[1].contains("`warmup` cannot be negative"));
        assert!(lines[2].contains("unknown #[llm_bench] option `bogus`"));
        assert!(lines[3].contains("write `timeout = \"30s\"`"));
    }

    #[test]
    fn mistyped_values() {
        let err = parse(quote!(samples = "40")).unwrap_err();
        assert!(err.contains("expected an integer, found a string: write `samples = 40`"));
        assert!(parse(quote!(concurrency = 1.5))
            .unwrap_err()
            .contains("expected an integer"));
        assert!(parse(quote!(samples = N))
            .unwrap_err()
            .contains("constants"));
        assert!(parse(quote!(timeout = 2.5))
            .unwrap_err()
            .contains("`timeout = \"2.5s\"`"));
        assert!(parse(quote!(name = support))
            .unwrap_err()
            .contains("`name = \"support\"`"));
        assert!(parse(quote!(model = 4))
            .unwrap_err()
            .contains("expected a string"));
        assert!(parse(quote!(model = ""))
            .unwrap_err()
            .contains("must not be empty"));
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse(quote!(samples = 4294967295)).unwrap().samples,
            Some(u32::MAX)
        );
        assert!(parse(quote!(samples = 4294967296))
            .unwrap_err()
            .contains("at most"));
        assert!(parse(quote!(samples = 99999999999999999999999))
            .unwrap_err()
            .contains("at most"));
        assert!(parse(quote!(concurrency = 0))
            .unwrap_err()
            .contains("at least 1"));
        assert_eq!(parse(quote!(warmup = 0)).unwrap().warmup, Some(0));
    }

    #[test]
    fn duplicates_and_missing_values() {
        let err = parse(quote!(samples = 1, samples = 2)).unwrap_err();
        assert!(err.contains("`samples` is given twice"), "{err}");
        let err = parse(quote!(samples)).unwrap_err();
        assert!(
            err.contains("`samples` needs a value: write `samples = 40`"),
            "{err}"
        );
        let err = parse(quote!(samples(40))).unwrap_err();
        assert!(err.contains("`samples` needs a value"), "{err}");
    }

    #[test]
    fn raw_identifiers_are_unrawed() {
        assert_eq!(
            parse(quote!(r#name = "x")).unwrap().name.as_deref(),
            Some("x")
        );
    }
}
