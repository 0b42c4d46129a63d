//! Checks that the annotated function has the shape the harness can call:
//! `async fn name(ctx: &mut Ctx) -> R`, or `async fn name(ctx: &mut Ctx, value: T) -> R`
//! for a scenario with `args`, with nothing generic, unsafe or foreign about it.

use proc_macro2::Span;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, ItemFn, PatType, ReturnType, Signature, Type};

/// Names starting with this are reserved for the generated code: a scenario or setup
/// function named so would be shadowed by it.
pub(crate) const RESERVED_PREFIX: &str = "__llm_bench_";

/// The name the generated entry function uses (with `_<index>` for each `args` value).
pub(crate) const ENTRY_NAME: &str = "__llm_bench_entry";

/// The name the generated setup entry function uses.
pub(crate) const SETUP_NAME: &str = "__llm_bench_setup";

/// What code generation needs from a function that passed the checks.
pub(crate) struct Checked<'a> {
    /// Where the context parameter's type is written: a type mismatch is reported there.
    pub(crate) param_ty_span: Span,
    /// Where the return type is written (or the function's name when there is none): an
    /// unsupported return type is reported there.
    pub(crate) output_span: Span,
    /// The function's name.
    pub(crate) ident: &'a syn::Ident,
    /// The second parameter, which takes an `args` value, if there is one.
    pub(crate) value_param: Option<&'a PatType>,
    /// The parentheses around the parameters.
    pub(crate) params_span: Span,
}

/// Checks the function's signature, reporting every problem found at its own span.
pub(crate) fn check(item: &ItemFn) -> syn::Result<Checked<'_>> {
    let sig = &item.sig;
    let mut errors: Vec<syn::Error> = Vec::new();
    check_qualifiers(sig, &mut errors);
    check_generics(sig, &mut errors);
    if sig.ident.unraw().to_string().starts_with(RESERVED_PREFIX) {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            format!(
                "names starting with `{RESERVED_PREFIX}` are reserved for the code #[llm_bench] generates; rename the function"
            ),
        ));
    }
    let param_ty_span = check_context(sig, &mut errors);
    let value_param = check_value(sig, &mut errors);
    check_extra_parameters(sig, &mut errors);

    let output_span = match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };

    match crate::options::combine(errors) {
        Some(error) => Err(error),
        None => Ok(Checked {
            param_ty_span,
            output_span,
            ident: &sig.ident,
            value_param,
            params_span: sig.paren_token.span.join(),
        }),
    }
}

/// Pushes the error at `tokens`.
fn fail(errors: &mut Vec<syn::Error>, tokens: &dyn ToTokens, message: &str) {
    errors.push(syn::Error::new_spanned(tokens, message));
}

/// `async`, and not `const`, `unsafe`, `extern` or variadic.
fn check_qualifiers(sig: &Signature, errors: &mut Vec<syn::Error>) {
    if let Some(token) = &sig.constness {
        fail(errors, token, "#[llm_bench] scenarios cannot be `const fn`");
    }
    if let Some(token) = &sig.unsafety {
        fail(
            errors,
            token,
            "#[llm_bench] scenarios cannot be `unsafe fn`: the harness calls them from safe code",
        );
    }
    if let Some(abi) = &sig.abi {
        fail(
            errors,
            abi,
            "#[llm_bench] scenarios cannot declare an ABI: remove the `extern`",
        );
    }
    if sig.asyncness.is_none() {
        fail(
            errors,
            &sig.fn_token,
            "#[llm_bench] scenarios must be `async fn`",
        );
    }
    if let Some(variadic) = &sig.variadic {
        fail(
            errors,
            variadic,
            "#[llm_bench] scenarios cannot be variadic",
        );
    }
}

/// Lifetimes only, and no `where` clause.
fn check_generics(sig: &Signature, errors: &mut Vec<syn::Error>) {
    if sig
        .generics
        .params
        .iter()
        .any(|param| !matches!(param, GenericParam::Lifetime(_)))
    {
        fail(
            errors,
            &sig.generics,
            "#[llm_bench] scenarios cannot be generic: the harness calls them with a `&mut Ctx` (and the `args` value) and nothing else",
        );
    }
    if let Some(clause) = &sig.generics.where_clause {
        fail(
            errors,
            clause,
            "#[llm_bench] scenarios cannot have a `where` clause",
        );
    }
}

/// The first parameter, `ctx: &mut Ctx`; returns where its type (`Ctx`) is written, or the
/// function's name when it is missing.
fn check_context(sig: &Signature, errors: &mut Vec<syn::Error>) -> Span {
    match sig.inputs.first() {
        None => errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            "#[llm_bench] scenarios take the request context as their first parameter: `ctx: &mut Ctx`",
        )),
        Some(FnArg::Receiver(receiver)) => fail(
            errors,
            receiver,
            "#[llm_bench] scenarios cannot take `self`: write a free function `async fn name(ctx: &mut Ctx)`",
        ),
        Some(FnArg::Typed(param)) => match &*param.ty {
            Type::Reference(reference) if reference.mutability.is_some() => {
                return reference.elem.span();
            }
            other => fail(
                errors,
                other,
                "the parameter of a #[llm_bench] scenario must be `&mut Ctx`",
            ),
        },
    }
    sig.ident.span()
}

/// The second parameter, if any: it takes an `args` value, so its type must be a plain
/// type that a literal can be.
fn check_value<'a>(sig: &'a Signature, errors: &mut Vec<syn::Error>) -> Option<&'a PatType> {
    match sig.inputs.iter().nth(1)? {
        FnArg::Receiver(receiver) => {
            fail(
                errors,
                receiver,
                "#[llm_bench] scenarios cannot take `self`",
            );
            None
        }
        FnArg::Typed(param) => {
            if let Type::ImplTrait(ty) = &*param.ty {
                fail(
                    errors,
                    ty,
                    "the `args` value parameter cannot be `impl Trait`: name its type, e.g. `len: usize` or `prompt: &str`",
                );
            }
            Some(param)
        }
    }
}

/// No third parameter.
fn check_extra_parameters(sig: &Signature, errors: &mut Vec<syn::Error>) {
    if sig.inputs.len() > 2 {
        let extra: Vec<&FnArg> = sig.inputs.iter().skip(2).collect();
        fail(
            errors,
            &quote::quote!(#(#extra),*),
            "#[llm_bench] scenarios take at most two parameters: `ctx: &mut Ctx` and, with `args = [...]`, the value; remove the others",
        );
    }
}
