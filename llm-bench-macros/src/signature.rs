//! Checks that the annotated function has the shape the harness can call:
//! `async fn name(ctx: &mut Ctx) -> R`, with nothing generic, unsafe or foreign about it.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, ItemFn, ReturnType, Type};

/// The name the generated entry function uses; a scenario cannot share it.
pub(crate) const ENTRY_NAME: &str = "__llm_bench_entry";

/// What code generation needs from a function that passed the checks.
pub(crate) struct Checked<'a> {
    /// Where the parameter's type is written: a type mismatch is reported there.
    pub(crate) param_ty_span: Span,
    /// Where the return type is written (or the function's name when there is none): an
    /// unsupported return type is reported there.
    pub(crate) output_span: Span,
    /// The function's name.
    pub(crate) ident: &'a syn::Ident,
}

/// Checks the function's signature, reporting every problem found at its own span.
pub(crate) fn check(item: &ItemFn) -> syn::Result<Checked<'_>> {
    let sig = &item.sig;
    let mut errors: Vec<syn::Error> = Vec::new();
    let mut fail = |tokens: &dyn ToTokens, message: &str| {
        errors.push(syn::Error::new_spanned(tokens, message));
    };

    if let Some(token) = &sig.constness {
        fail(token, "#[llm_bench] scenarios cannot be `const fn`");
    }
    if let Some(token) = &sig.unsafety {
        fail(
            token,
            "#[llm_bench] scenarios cannot be `unsafe fn`: the harness calls them from safe code",
        );
    }
    if let Some(abi) = &sig.abi {
        fail(
            abi,
            "#[llm_bench] scenarios cannot declare an ABI: remove the `extern`",
        );
    }
    if sig.asyncness.is_none() {
        fail(&sig.fn_token, "#[llm_bench] scenarios must be `async fn`");
    }
    if sig
        .generics
        .params
        .iter()
        .any(|param| !matches!(param, GenericParam::Lifetime(_)))
    {
        fail(
            &sig.generics,
            "#[llm_bench] scenarios cannot be generic: the harness calls them with a `&mut Ctx` and nothing else",
        );
    }
    if let Some(clause) = &sig.generics.where_clause {
        fail(
            clause,
            "#[llm_bench] scenarios cannot have a `where` clause",
        );
    }
    if sig.ident == ENTRY_NAME {
        fail(
            &sig.ident,
            "this name is reserved for the code #[llm_bench] generates; rename the function",
        );
    }

    let mut param_ty_span = sig.ident.span();
    match sig.inputs.first() {
        None => errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            "#[llm_bench] scenarios take one parameter, the request context: `ctx: &mut Ctx`",
        )),
        Some(FnArg::Receiver(receiver)) => errors.push(syn::Error::new_spanned(
            receiver,
            "#[llm_bench] scenarios cannot take `self`: write a free function `async fn name(ctx: &mut Ctx)`",
        )),
        Some(FnArg::Typed(param)) => match &*param.ty {
            Type::Reference(reference) if reference.mutability.is_some() => {
                param_ty_span = reference.elem.span();
            }
            other => errors.push(syn::Error::new_spanned(
                other,
                "the parameter of a #[llm_bench] scenario must be `&mut Ctx`",
            )),
        },
    }
    if sig.inputs.len() > 1 {
        let extra: Vec<&FnArg> = sig.inputs.iter().skip(1).collect();
        errors.push(syn::Error::new_spanned(
            quote::quote!(#(#extra),*),
            "#[llm_bench] scenarios take exactly one parameter, `ctx: &mut Ctx`; remove the others",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "#[llm_bench] scenarios cannot be variadic",
        ));
    }

    let output_span = match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };

    match errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    }) {
        Some(error) => Err(error),
        None => Ok(Checked {
            param_ty_span,
            output_span,
            ident: &sig.ident,
        }),
    }
}
