//! Code generation: the user's function stays as written, and a `const _: () = { ... };`
//! block next to it registers the scenario with `inventory`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::{Ident, Item, ItemFn};

use crate::doc::description;
use crate::options::Options;
use crate::signature::{self, ENTRY_NAME};

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
            return Err(errors
                .reduce(|mut all, next| {
                    all.combine(next);
                    all
                })
                .expect("at least one of them failed"));
        }
    };
    Ok(registration(&function, &options, &checked))
}

/// The `const _` block that registers the scenario.
fn registration(
    function: &ItemFn,
    options: &Options,
    checked: &signature::Checked<'_>,
) -> TokenStream {
    let ident = checked.ident;
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| ident.unraw().to_string());
    let group = optional_str(options.group.as_deref());
    let model = optional_str(options.model.as_deref());
    let gate = optional_str(options.gate.as_deref());
    let provider = optional_str(options.provider.as_deref());
    let samples = optional(options.samples);
    let warmup = optional(options.warmup);
    let concurrency = optional(options.concurrency);
    let timeout_ms = optional(options.timeout_ms);
    let description = description(&function.attrs);
    let line = line_of(ident);
    // `#[cfg]` attributes written below `#[llm_bench]` still apply to the function; they
    // must apply to its registration too.
    let cfgs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));

    let entry = Ident::new(ENTRY_NAME, Span::call_site());
    // The context parameter is hygienic (a function named `ctx` stays reachable), and the
    // argument is located at the user's parameter type, so that a type mismatch
    // (`ctx: &mut String`) is reported there.
    let ctx = Ident::new("ctx", Span::mixed_site());
    let argument = Ident::new("ctx", Span::mixed_site().located_at(checked.param_ty_span));
    // The call is wrapped in a block located at the return type: an unsupported one
    // (`-> u32`) fails the `ScenarioOutput` bound of `into_scenario_future`, and rustc then
    // points at the return type. A future that is not `Send` is reported there too.
    let call = quote_spanned! {checked.output_span=>
        ::llm_bench::__private::into_scenario_future({ #ident(#argument) })
    };

    quote! {
        #(#cfgs)*
        const _: () = {
            #[allow(unused_braces)]
            fn #entry(#ctx: &mut ::llm_bench::__private::Ctx) -> ::llm_bench::__private::ScenarioFuture<'_> {
                #call
            }
            ::llm_bench::__private::inventory::submit! {
                ::llm_bench::__private::Scenario {
                    name: #name,
                    group: #group,
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: #line,
                    description: #description,
                    config: ::llm_bench::__private::ScenarioConfig {
                        samples: #samples,
                        warmup: #warmup,
                        concurrency: #concurrency,
                        timeout_ms: #timeout_ms,
                        model: #model,
                        gate: #gate,
                        provider: #provider,
                        ..::llm_bench::__private::ScenarioConfig::DEFAULT
                    },
                    arg: ::core::option::Option::None,
                    setup: ::core::option::Option::None,
                    run: #entry,
                }
            }
        };
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
}
