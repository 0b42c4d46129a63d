//! Code generation: the user's function stays as written, and a `const _: () = { ... };`
//! block next to it registers the scenario with `inventory` (once per `args` value).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::{Expr, ExprPath, Ident, Item, ItemFn};

use crate::doc::description;
use crate::options::{combine, Options};
use crate::rules::names::{check_id_part, is_reserved};
use crate::signature::{self, Checked, ENTRY_NAME, SETUP_NAME};

/// Expands `#[llm_bench(args)] item`. On error, the item is emitted unchanged next to the
/// errors, so that the rest of the crate still sees the function.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let generated = match try_expand(args, &item) {
        Ok(registration) => registration,
        Err(error) => error.to_compile_error(),
    };
    let mut output = item;
    output.extend(generated);
    output
}

/// The registration block, or every error found in the attribute and the function.
fn try_expand(args: TokenStream, item: &TokenStream) -> syn::Result<TokenStream> {
    let function = match syn::parse2::<Item>(item.clone())? {
        Item::Fn(function) => function,
        other => return Err(not_a_function(&other)),
    };
    let options = Options::parse(args);
    let checked = signature::check(&function);
    let twice = applied_twice(&function);
    let (options, checked) = match (options, checked, twice) {
        (Ok(options), Ok(checked), None) => (options, checked),
        (options, checked, twice) => {
            let errors = [options.err(), checked.err(), twice].into_iter().flatten();
            return Err(combine(errors).expect("at least one of them failed"));
        }
    };
    let mismatches = [
        args_match_parameters(&options, &checked),
        default_name(&options, &checked),
    ];
    if let Some(error) = combine(mismatches.into_iter().flatten()) {
        return Err(error);
    }
    Ok(registration(&function, &options, &checked))
}

/// An error when `args` and the function's second parameter do not go together: each
/// needs the other.
fn args_match_parameters(options: &Options, checked: &Checked<'_>) -> Option<syn::Error> {
    let name = checked.ident.unraw();
    match (&options.args, checked.value_param) {
        (Some(args), None) => {
            let ty = args.first().map_or("usize", |arg| arg.kind.type_hint());
            Some(syn::Error::new(
                checked.params_span,
                format!(
                    "`args` passes each value to the scenario as a second parameter, but `{name}` takes only the context: add one, e.g. `async fn {name}(ctx: &mut Ctx, value: {ty})`"
                ),
            ))
        }
        (None, Some(param)) => Some(syn::Error::new_spanned(
            param,
            "a #[llm_bench] scenario's second parameter takes its value from `args`, which is not given: add e.g. `#[llm_bench(args = [128, 1024])]`, one scenario per value, or remove the parameter",
        )),
        _ => None,
    }
}

/// An error when the scenario takes its name from the function (no `name = "..."`) and
/// that name breaks the rules of `name` (a reserved or non-ASCII name), at the name.
fn default_name(options: &Options, checked: &Checked<'_>) -> Option<syn::Error> {
    if options.name.is_some() {
        return None;
    }
    let name = checked.ident.unraw().to_string();
    let message = check_id_part("name", &name).err()?;
    let message = if is_reserved(&name) {
        format!("the scenario takes its name from the function, and {message}")
    } else {
        format!(
            "the scenario takes its name from the function, and {message}; give it another with `name = \"...\"`"
        )
    };
    Some(syn::Error::new(checked.ident.span(), message))
}

/// The `const _` block that registers the scenario: its setup entry function, if any, and
/// one entry function and one `inventory` submission per registration.
fn registration(function: &ItemFn, options: &Options, checked: &Checked<'_>) -> TokenStream {
    // `#[cfg]` attributes written below `#[llm_bench]` still apply to the function; they
    // must apply to its registration too.
    let cfgs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));
    let setup_fn = options.setup.as_ref().map(|path| {
        let name = Ident::new(SETUP_NAME, Span::call_site());
        entry_fn(&name, setup_call(&path.0))
    });
    let setup = optional(
        setup_fn
            .as_ref()
            .map(|_| Ident::new(SETUP_NAME, Span::call_site())),
    );
    let fields = scenario_fields(function, options, checked);

    let mut items = Vec::new();
    match &options.args {
        None => {
            let entry = Ident::new(ENTRY_NAME, Span::call_site());
            items.push(entry_fn(&entry, scenario_call(checked, None)));
            items.push(submission(&fields, &optional_str(None), 0, &setup, &entry));
        }
        Some(args) => {
            for (index, arg) in args.iter().enumerate() {
                let entry = format_ident!("{ENTRY_NAME}_{index}");
                items.push(entry_fn(&entry, scenario_call(checked, Some(&arg.value.0))));
                let value = optional_str(Some(&arg.text));
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                items.push(submission(&fields, &value, index, &setup, &entry));
            }
        }
    }

    // Every config field is written out and `..DEFAULT` still follows (for fields added
    // later), which clippy's `needless_update` would flag in the user's crate.
    quote! {
        #(#cfgs)*
        #[allow(clippy::needless_update)]
        const _: () = {
            #setup_fn
            #(#items)*
        };
    }
}

/// The fields every registration of the function shares, from `name` to `config`.
fn scenario_fields(function: &ItemFn, options: &Options, checked: &Checked<'_>) -> TokenStream {
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| checked.ident.unraw().to_string());
    let group = optional_str(options.group.as_deref());
    let description = description(&function.attrs);
    let line = line_of(checked.ident);
    let config = config(options);
    quote! {
        name: #name,
        group: #group,
        module_path: ::core::module_path!(),
        file: ::core::file!(),
        line: #line,
        description: #description,
        config: #config,
    }
}

/// The `ScenarioConfig` of the options, starting from its `DEFAULT` so that settings added
/// to the library later need no change here.
fn config(options: &Options) -> TokenStream {
    let samples = optional(options.samples);
    let warmup = optional(options.warmup);
    let concurrency = optional(options.concurrency);
    let timeout_ms = optional(options.timeout_ms);
    let model = optional_str(options.model.as_deref());
    let gate = optional_str(options.gate.as_deref());
    let provider = optional_str(options.provider.as_deref());
    let threshold = optional_str(options.threshold.as_deref());
    let connect_timeout_ms = optional(options.connect_timeout_ms);
    let first_byte_timeout_ms = optional(options.first_byte_timeout_ms);
    let first_token_timeout_ms = optional(options.first_token_timeout_ms);
    let idle_timeout_ms = optional(options.idle_timeout_ms);
    let max_consecutive_failures = optional(options.max_consecutive_failures);
    let rate = optional_str(options.rate.as_deref());
    let arrival = optional_str(options.arrival.as_deref());
    let ramp_up = optional_str(options.ramp_up.as_deref());
    let seed = optional(options.seed);
    let duration_ms = optional(options.duration_ms);
    let max_output_tokens = optional(options.max_output_tokens);
    let until = optional_str(options.until.as_deref());
    let slo = optional_str(options.slo.as_deref());
    let sweep = optional_str(options.sweep.as_deref());
    let search = optional_str(options.search.as_deref());
    let retries = optional(options.retries);
    let trace = optional_str(options.trace.as_deref());
    quote! {
        ::llm_bench::__private::ScenarioConfig {
            samples: #samples,
            warmup: #warmup,
            concurrency: #concurrency,
            timeout_ms: #timeout_ms,
            model: #model,
            gate: #gate,
            provider: #provider,
            threshold: #threshold,
            connect_timeout_ms: #connect_timeout_ms,
            first_byte_timeout_ms: #first_byte_timeout_ms,
            first_token_timeout_ms: #first_token_timeout_ms,
            idle_timeout_ms: #idle_timeout_ms,
            max_consecutive_failures: #max_consecutive_failures,
            rate: #rate,
            arrival: #arrival,
            ramp_up: #ramp_up,
            seed: #seed,
            duration_ms: #duration_ms,
            max_output_tokens: #max_output_tokens,
            until: #until,
            slo: #slo,
            sweep: #sweep,
            search: #search,
            retries: #retries,
            trace: #trace,
            ..::llm_bench::__private::ScenarioConfig::DEFAULT
        }
    }
}

/// One `inventory` submission of a `Scenario`.
fn submission(
    fields: &TokenStream,
    arg: &TokenStream,
    arg_index: u32,
    setup: &TokenStream,
    entry: &Ident,
) -> TokenStream {
    quote! {
        ::llm_bench::__private::inventory::submit! {
            ::llm_bench::__private::Scenario {
                #fields
                arg: #arg,
                arg_index: #arg_index,
                setup: #setup,
                run: #entry,
            }
        }
    }
}

/// A function of the `ScenarioFn` type whose body is `call`, with the context parameter
/// `ctx` (hygienic: a function named `ctx` stays reachable).
fn entry_fn(name: &Ident, call: TokenStream) -> TokenStream {
    let ctx = Ident::new("ctx", Span::mixed_site());
    quote! {
        #[allow(unused_braces)]
        fn #name(#ctx: &mut ::llm_bench::__private::Ctx) -> ::llm_bench::__private::ScenarioFuture<'_> {
            #call
        }
    }
}

/// The call of the scenario function, with the `args` value if there is one.
///
/// The context argument is located at the user's parameter type, so that a type mismatch
/// (`ctx: &mut String`) is reported there; the value keeps the literal's own span, so that
/// a mismatch with the value parameter is reported at the literal. The call is wrapped in
/// a block located at the return type: an unsupported one (`-> u32`) fails the
/// `ScenarioOutput` bound of `into_scenario_future`, and rustc then points at the return
/// type. A future that is not `Send` is reported there too.
fn scenario_call(checked: &Checked<'_>, value: Option<&Expr>) -> TokenStream {
    let ident = checked.ident;
    let argument = Ident::new("ctx", Span::mixed_site().located_at(checked.param_ty_span));
    let value = value.map(|value| quote!(, #value));
    quote_spanned! {checked.output_span=>
        ::llm_bench::__private::into_scenario_future({ #ident(#argument #value) })
    }
}

/// The call of the `setup` function, located at the last segment of its path (the
/// function's name), where rustc then reports a wrong signature or return type.
fn setup_call(path: &ExprPath) -> TokenStream {
    let span = path
        .path
        .segments
        .last()
        .map_or_else(Span::call_site, |segment| segment.ident.span());
    let argument = Ident::new("ctx", Span::mixed_site().located_at(span));
    quote_spanned! {span=>
        ::llm_bench::__private::into_scenario_future({ #path(#argument) })
    }
}

/// `Some(value)` or `None`, as an expression.
fn optional<T: ToTokens>(value: Option<T>) -> TokenStream {
    if let Some(value) = value {
        quote!(::core::option::Option::Some(#value))
    } else {
        quote!(::core::option::Option::None)
    }
}

/// `Some("text")` or `None`, as an expression.
fn optional_str(value: Option<&str>) -> TokenStream {
    optional(value)
}

/// The line of the function's name, as a `u32` literal. `line!()` in generated code would
/// give the attribute's line; the span's own line is exact and the same on every build.
/// Outside a compiler invocation (the unit tests) it falls back to `line!()`.
fn line_of(ident: &Ident) -> TokenStream {
    if proc_macro::is_available() {
        let line = u32::try_from(ident.span().unwrap().line()).unwrap_or(u32::MAX);
        quote!(#line)
    } else {
        quote!(::core::line!())
    }
}

/// An error when `#[llm_bench]` is also written a second time on the same function.
fn applied_twice(function: &ItemFn) -> Option<syn::Error> {
    function
        .attrs
        .iter()
        .find(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|segment| segment.ident == "llm_bench")
        })
        .map(|attr| {
            syn::Error::new_spanned(
                attr,
                "#[llm_bench] is written twice on this function; keep one",
            )
        })
}

/// The error for an attribute placed on an item that is not a function, at the item's
/// keyword and name.
fn not_a_function(item: &Item) -> syn::Error {
    fn header(keyword: &dyn ToTokens, name: &dyn ToTokens) -> TokenStream {
        quote!(#keyword #name)
    }
    let (kind, tokens) = match item {
        Item::Struct(i) => ("a struct", header(&i.struct_token, &i.ident)),
        Item::Enum(i) => ("an enum", header(&i.enum_token, &i.ident)),
        Item::Union(i) => ("a union", header(&i.union_token, &i.ident)),
        Item::Trait(i) => ("a trait", header(&i.trait_token, &i.ident)),
        Item::TraitAlias(i) => ("a trait alias", header(&i.trait_token, &i.ident)),
        Item::Type(i) => ("a type alias", header(&i.type_token, &i.ident)),
        Item::Const(i) => ("a constant", header(&i.const_token, &i.ident)),
        Item::Static(i) => ("a static", header(&i.static_token, &i.ident)),
        Item::Mod(i) => ("a module", header(&i.mod_token, &i.ident)),
        Item::Impl(i) => ("an impl block", header(&i.impl_token, &i.self_ty)),
        Item::Use(i) => ("a `use` declaration", i.use_token.to_token_stream()),
        Item::ExternCrate(i) => ("an `extern crate`", header(&i.extern_token, &i.ident)),
        Item::ForeignMod(i) => ("an `extern` block", i.abi.to_token_stream()),
        Item::Macro(i) => ("a macro invocation", i.mac.path.to_token_stream()),
        _ => ("this item", item.to_token_stream()),
    };
    syn::Error::new_spanned(
        tokens,
        format!("#[llm_bench] applies to an `async fn` scenario, not to {kind}"),
    )
}

#[cfg(test)]
mod tests {
    use super::expand;
    use quote::quote;

    fn expanded(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> String {
        expand(args, item).to_string()
    }

    #[test]
    fn keeps_the_function_and_registers_it() {
        let item = quote! {
            /// A chat turn.
            ///
            /// More.
            async fn support_answer(ctx: &mut Ctx) -> llm_bench::Result<()> { Ok(()) }
        };
        let out = expanded(
            quote!(samples = 40, group = "chat", timeout = "1.5s"),
            item.clone(),
        );
        assert!(out.starts_with(&item.to_string()), "{out}");
        for piece in [
            "const _ : () =",
            "fn __llm_bench_entry",
            ":: llm_bench :: __private :: into_scenario_future ({ support_answer (ctx) })",
            ":: llm_bench :: __private :: inventory :: submit !",
            "name : \"support_answer\"",
            "group : :: core :: option :: Option :: Some (\"chat\")",
            "description : \"A chat turn.\"",
            "samples : :: core :: option :: Option :: Some (40u32)",
            "warmup : :: core :: option :: Option :: None",
            "timeout_ms : :: core :: option :: Option :: Some (1500u64)",
            "run : __llm_bench_entry",
        ] {
            assert!(out.contains(piece), "missing `{piece}` in {out}");
        }
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn copies_cfg_attributes_to_the_registration() {
        let out = expanded(
            quote!(),
            quote!(
                #[cfg(feature = "live")]
                async fn live(ctx: &mut Ctx) {}
            ),
        );
        assert_eq!(
            out.matches("# [cfg (feature = \"live\")]").count(),
            2,
            "{out}"
        );
    }

    #[test]
    fn errors_keep_the_item() {
        let item = quote!(
            fn not_async(ctx: &mut Ctx) {}
        );
        let out = expanded(quote!(sample = 1), item.clone());
        assert!(out.starts_with(&item.to_string()), "{out}");
        assert!(out.contains("did you mean `samples`?"), "{out}");
        assert!(out.contains("must be `async fn`"), "{out}");
        assert!(!out.contains("submit"), "{out}");
    }

    #[test]
    fn rejects_items_that_are_not_functions() {
        let out = expanded(
            quote!(),
            quote!(
                enum Scenario {}
            ),
        );
        assert!(out.contains("not to an enum"), "{out}");
        let out = expanded(
            quote!(),
            quote!(
                const X: u32 = 1;
            ),
        );
        assert!(out.contains("not to a constant"), "{out}");
    }

    #[test]
    fn rejects_the_reserved_name() {
        let out = expanded(
            quote!(),
            quote!(
                async fn __llm_bench_entry(ctx: &mut Ctx) {}
            ),
        );
        assert!(out.contains("reserved"), "{out}");
    }

    #[test]
    fn registers_once_per_arg() {
        let out = expanded(
            quote!(args = [128, -1, "short"], group = "g"),
            quote!(
                async fn prompt_len(ctx: &mut Ctx, len: usize) -> llm_bench::Result<()> {
                    Ok(())
                }
            ),
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert_eq!(out.matches("inventory :: submit !").count(), 3, "{out}");
        for piece in [
            "fn __llm_bench_entry_0",
            "fn __llm_bench_entry_1",
            "fn __llm_bench_entry_2",
            "{ prompt_len (ctx , 128) }",
            "{ prompt_len (ctx , - 1) }",
            "{ prompt_len (ctx , \"short\") }",
            "arg : :: core :: option :: Option :: Some (\"128\")",
            "arg : :: core :: option :: Option :: Some (\"-1\")",
            "arg : :: core :: option :: Option :: Some (\"short\")",
            "run : __llm_bench_entry_2",
            "setup : :: core :: option :: Option :: None",
        ] {
            assert!(out.contains(piece), "missing `{piece}` in {out}");
        }
        assert!(!out.contains("fn __llm_bench_entry ("), "{out}");
    }

    #[test]
    fn registers_the_setup_function() {
        let out = expanded(
            quote!(setup = fixtures::prepare),
            quote!(
                async fn chat(ctx: &mut Ctx) {}
            ),
        );
        for piece in [
            "fn __llm_bench_setup (ctx : & mut :: llm_bench :: __private :: Ctx) -> :: llm_bench :: __private :: ScenarioFuture < '_ >",
            ":: llm_bench :: __private :: into_scenario_future ({ fixtures :: prepare (ctx) })",
            "setup : :: core :: option :: Option :: Some (__llm_bench_setup)",
            "arg : :: core :: option :: Option :: None",
            "run : __llm_bench_entry",
        ] {
            assert!(out.contains(piece), "missing `{piece}` in {out}");
        }
        let out = expanded(
            quote!(setup = prepare, args = [1, 2]),
            quote!(
                async fn chat(ctx: &mut Ctx, n: u8) {}
            ),
        );
        assert_eq!(out.matches("fn __llm_bench_setup").count(), 1, "{out}");
        assert_eq!(out.matches("Some (__llm_bench_setup)").count(), 2, "{out}");
    }

    #[test]
    fn fills_every_config_field() {
        let out = expanded(
            quote!(
                threshold = "p95 ttft<800ms",
                connect_timeout = "1s",
                first_byte_timeout = "2s",
                first_token_timeout = "3s",
                idle_timeout = "4s",
                max_consecutive_failures = 5
            ),
            quote!(
                async fn chat(ctx: &mut Ctx) {}
            ),
        );
        for piece in [
            "threshold : :: core :: option :: Option :: Some (\"p95 ttft < 800ms\")",
            "connect_timeout_ms : :: core :: option :: Option :: Some (1000u64)",
            "first_byte_timeout_ms : :: core :: option :: Option :: Some (2000u64)",
            "first_token_timeout_ms : :: core :: option :: Option :: Some (3000u64)",
            "idle_timeout_ms : :: core :: option :: Option :: Some (4000u64)",
            "max_consecutive_failures : :: core :: option :: Option :: Some (5u32)",
            ".. :: llm_bench :: __private :: ScenarioConfig :: DEFAULT",
        ] {
            assert!(out.contains(piece), "missing `{piece}` in {out}");
        }
    }

    #[test]
    fn args_and_the_value_parameter_go_together() {
        let out = expanded(
            quote!(args = ["a", "b"]),
            quote!(
                async fn prompt(ctx: &mut Ctx) {}
            ),
        );
        assert!(
            out.contains("add one, e.g. `async fn prompt(ctx: &mut Ctx, value: &str)`"),
            "{out}"
        );
        let out = expanded(
            quote!(),
            quote!(
                async fn prompt(ctx: &mut Ctx, len: usize) {}
            ),
        );
        assert!(
            out.contains("takes its value from `args`, which is not given"),
            "{out}"
        );
        let out = expanded(
            quote!(args = [1]),
            quote!(
                async fn prompt(ctx: &mut Ctx, len: usize, extra: u8) {}
            ),
        );
        assert!(out.contains("at most two parameters"), "{out}");
        let out = expanded(
            quote!(args = [1]),
            quote!(
                async fn prompt(ctx: &mut Ctx, len: impl Into<usize>) {}
            ),
        );
        assert!(out.contains("cannot be `impl Trait`"), "{out}");
        assert!(!out.contains("submit"), "{out}");
    }

    #[test]
    fn the_function_name_follows_the_name_rules() {
        let out = expanded(
            quote!(),
            quote!(
                async fn report(ctx: &mut Ctx) {}
            ),
        );
        assert!(
            out.contains("the scenario takes its name from the function, and `name` is reserved"),
            "{out}"
        );
        assert!(!out.contains("submit"), "{out}");
        let out = expanded(
            quote!(name = "daily"),
            quote!(
                async fn report(ctx: &mut Ctx) {}
            ),
        );
        assert!(!out.contains("compile_error"), "{out}");
    }
}
