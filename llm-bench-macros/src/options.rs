//! The options inside `#[llm_bench(...)]`: parsing, validation, and their error messages.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitStr, Token, UnOp};

use crate::rules::duration::parse_timeout_ms;
use crate::rules::suggest::closest;

/// Every option the attribute accepts, in the order the docs list them.
pub(crate) const OPTION_NAMES: &[&str] = &[
    "name",
    "group",
    "samples",
    "warmup",
    "concurrency",
    "timeout",
    "model",
    "gate",
    "provider",
];

/// Metric names `gate` accepts (the metrics whose regression fails the build).
pub(crate) const GATE_METRICS: &[&str] = &[
    "ttfb",
    "ttft",
    "ttfo",
    "itl",
    "itl_per_token",
    "tpot",
    "e2e",
    "tokens_per_second",
];

/// Providers `provider` accepts (the canonical names of `llm_bench::Provider::from_name`;
/// `generic` needs a spec file, so only the environment can select it).
pub(crate) const PROVIDER_NAMES: &[&str] = &[
    "openai",
    "openai_responses",
    "openai_completions",
    "azure",
    "anthropic",
    "gemini",
    "cohere",
    "cohere_v1",
    "ollama",
    "tgi",
];

/// Longest accepted `name` or `group`, in bytes.
const MAX_ID_LEN: usize = 100;

/// The options given in the attribute; `None` means "not given".
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) name: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) samples: Option<u32>,
    pub(crate) warmup: Option<u32>,
    pub(crate) concurrency: Option<u32>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) model: Option<String>,
    pub(crate) gate: Option<String>,
    pub(crate) provider: Option<String>,
}

impl Options {
    /// Parses the attribute's arguments. Every problem found is reported (combined into one
    /// `syn::Error`), each at the span of the offending key or value.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Options> {
        let mut options = Options::default();
        let mut seen: Vec<String> = Vec::new();
        let mut errors: Vec<syn::Error> = Vec::new();
        let parser = syn::meta::parser(|meta| options.parse_one(&meta, &mut seen, &mut errors));
        if let Err(error) = parser.parse2(args) {
            errors.push(error);
        }
        match errors.into_iter().reduce(|mut all, next| {
            all.combine(next);
            all
        }) {
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
        let result = match key.as_str() {
            "name" => id_part(&key, &value).map(|v| self.name = Some(v)),
            "group" => id_part(&key, &value).map(|v| self.group = Some(v)),
            "samples" => integer(&key, &value, 1).map(|v| self.samples = Some(v)),
            "warmup" => integer(&key, &value, 0).map(|v| self.warmup = Some(v)),
            "concurrency" => integer(&key, &value, 1).map(|v| self.concurrency = Some(v)),
            "timeout" => timeout(&value).map(|v| self.timeout_ms = Some(v)),
            "model" => model(&value).map(|v| self.model = Some(v)),
            "gate" => gate(&value).map(|v| self.gate = Some(v)),
            "provider" => provider(&value).map(|v| self.provider = Some(v)),
            _ => unreachable!("every name in OPTION_NAMES is handled"),
        };
        if let Err(error) = result {
            errors.push(error);
        }
        Ok(())
    }
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
    let hint = match key {
        "description" | "desc" | "doc" => {
            ": the description is the first paragraph of the function's `///` doc comment"
                .to_owned()
        }
        "iterations" | "iters" | "requests" | "runs" | "sample_size" | "n" => {
            ": did you mean `samples`?".to_owned()
        }
        "parallelism" | "parallel" | "workers" | "threads" => {
            ": did you mean `concurrency`?".to_owned()
        }
        "endpoint" | "url" | "base_url" | "host" | "api_key" | "key" => {
            ": the endpoint and key come from the environment (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, ...) or from a `Client` of your own passed to `ctx.stream_with`; `provider = \"...\"` chooses the API".to_owned()
        }
        "timeout_ms" | "time_limit" | "deadline" => {
            ": did you mean `timeout = \"30s\"`?".to_owned()
        }
        _ => closest(key, OPTION_NAMES)
            .map(|near| format!(": did you mean `{near}`?"))
            .unwrap_or_default(),
    };
    format!("unknown #[llm_bench] option `{key}`{hint} (the options are {valid})")
}

/// A value that fits the option, for messages.
fn example(key: &str) -> &'static str {
    match key {
        "name" => "\"support\"",
        "group" => "\"chat\"",
        "samples" => "40",
        "warmup" => "5",
        "concurrency" => "4",
        "timeout" => "\"30s\"",
        "gate" => "\"ttft,tpot\"",
        "provider" => "\"anthropic\"",
        _ => "\"gpt-4o-mini\"",
    }
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
/// word on the command line, so it is kept to a portable set of characters.
fn id_part(key: &str, value: &Expr) -> syn::Result<String> {
    let lit = string(key, value)?;
    check_id_part(key, &lit.value()).map_err(|message| syn::Error::new_spanned(lit, message))
}

/// Checks a `name` or `group` value; the error is the message for the user.
pub(crate) fn check_id_part(key: &str, text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err(format!("`{key}` must not be empty"));
    }
    if text.len() > MAX_ID_LEN {
        return Err(format!(
            "`{key}` is {} bytes long; the limit is {MAX_ID_LEN}",
            text.len()
        ));
    }
    if let Some(bad) = text
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ')))
    {
        let shown = if bad.is_control() {
            bad.escape_default().to_string()
        } else {
            bad.to_string()
        };
        let hint = if bad == '/' && key == "name" {
            "; to put scenarios in a group, use `group = \"...\"`"
        } else {
            ""
        };
        return Err(format!(
            "`{key}` may contain only ASCII letters, digits, `_`, `-`, `.` and spaces \
             (it names a directory under target/llm-bench/), not `{shown}`{hint}"
        ));
    }
    if text.starts_with(['.', ' ']) || text.ends_with(['.', ' ']) {
        return Err(format!(
            "`{key}` must not start or end with `.` or a space (it names a directory)"
        ));
    }
    if text.starts_with('-') {
        return Err(format!(
            "`{key}` must not start with `-` (it would read as a command-line flag)"
        ));
    }
    Ok(text.to_owned())
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

/// `timeout = "30s"`, in milliseconds.
fn timeout(value: &Expr) -> syn::Result<u64> {
    let number = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => {
            return parse_timeout_ms(&text.value()).map_err(|message| {
                syn::Error::new_spanned(text, format!("invalid `timeout`: {message}"))
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
            "expected a duration string with a unit (`ms`, `s` or `m`): write `timeout = \"{number}s\"`"
        ),
    ))
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
    let mut metrics: Vec<String> = Vec::new();
    for part in lit.value().split(',') {
        let name = part.trim().to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if !GATE_METRICS.contains(&name.as_str()) {
            let hint = closest(&name, GATE_METRICS)
                .map(|near| format!(": did you mean `{near}`?"))
                .unwrap_or_default();
            return Err(syn::Error::new_spanned(
                lit,
                format!(
                    "unknown metric `{name}` in `gate`{hint} (the metrics are {})",
                    GATE_METRICS.join(", ")
                ),
            ));
        }
        if !metrics.contains(&name) {
            metrics.push(name);
        }
    }
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
    use super::{check_id_part, Options};
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
        ))
        .unwrap();
        assert_eq!(
            options,
            Options {
                name: Some("support v2".into()),
                group: Some("chat".into()),
                samples: Some(40),
                warmup: Some(0),
                concurrency: Some(4),
                timeout_ms: Some(2_500),
                model: Some("gpt-4o-mini".into()),
                gate: Some("e2e,ttft".into()),
                provider: Some("cohere_v1".into()),
            }
        );
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

    #[test]
    fn id_parts() {
        assert!(check_id_part("name", "support-v2.1 fast_path").is_ok());
        assert!(check_id_part("name", "")
            .unwrap_err()
            .contains("must not be empty"));
        assert!(check_id_part("name", "a/b")
            .unwrap_err()
            .contains("group = "));
        assert!(check_id_part("group", "a/b")
            .unwrap_err()
            .contains("not `/`"));
        assert!(check_id_part("name", "a:b").is_err());
        assert!(check_id_part("name", "a\\b").is_err());
        assert!(check_id_part("name", "caf\u{e9}").is_err());
        assert!(check_id_part("name", "tab\there")
            .unwrap_err()
            .contains("`\\t`"));
        assert!(check_id_part("name", "..")
            .unwrap_err()
            .contains("start or end"));
        assert!(check_id_part("name", ".hidden").is_err());
        assert!(check_id_part("name", "trailing ").is_err());
        assert!(check_id_part("name", "-flag")
            .unwrap_err()
            .contains("command-line flag"));
        assert!(check_id_part("name", &"x".repeat(101))
            .unwrap_err()
            .contains("limit is 100"));
    }
}
