//! `args = [128, 1024, 8192]`: the values of a parameterised scenario, each registered as
//! its own scenario whose id ends with the value (`prompt_len/128`).

use std::fmt;

use quote::ToTokens;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitFloat, UnOp};

use crate::options::combine;
use crate::rules::names::{check_id_part, MAX_ID_LEN};

/// Tokens the attribute copies into the generated code (an `args` value, the `setup`
/// path). They are compared and shown by their text, which is all the tests need.
#[derive(Clone)]
pub(crate) struct Code<T>(pub(crate) T);

impl<T: ToTokens> Code<T> {
    /// The tokens as text.
    fn text(&self) -> String {
        self.0.to_token_stream().to_string()
    }
}

impl<T: ToTokens> PartialEq for Code<T> {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl<T: ToTokens> Eq for Code<T> {}

impl<T: ToTokens> fmt::Debug for Code<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.text())
    }
}

/// What kind of literal an `args` value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgKind {
    Int,
    Float,
    Str,
    Bool,
}

impl ArgKind {
    /// A parameter type that takes this kind of literal, for messages.
    pub(crate) fn type_hint(self) -> &'static str {
        match self {
            ArgKind::Int => "usize",
            ArgKind::Float => "f64",
            ArgKind::Str => "&str",
            ArgKind::Bool => "bool",
        }
    }
}

/// One value of `args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arg {
    /// What the value adds to the scenario's id: numbers as written without a suffix
    /// (`128`, `-1`, `0.5`), strings as their value, `true` or `false`.
    pub(crate) text: String,
    /// The kind of literal.
    pub(crate) kind: ArgKind,
    /// The literal as written, passed to the function (its span is the user's, so that a
    /// type mismatch is reported at it).
    pub(crate) value: Code<Expr>,
}

/// Parses `args = [...]`: a non-empty list of literals whose id texts are distinct. Every
/// bad value is reported, each at its own span.
pub(crate) fn parse(value: &Expr) -> syn::Result<Vec<Arg>> {
    let Expr::Array(array) = value else {
        return Err(syn::Error::new_spanned(
            value,
            "expected a list of values in brackets: write e.g. `args = [128, 1024, 8192]`",
        ));
    };
    if array.elems.is_empty() {
        return Err(syn::Error::new_spanned(
            value,
            "`args` needs at least one value: write e.g. `args = [128, 1024, 8192]`, or remove it",
        ));
    }
    let mut values: Vec<Arg> = Vec::new();
    let mut errors: Vec<syn::Error> = Vec::new();
    for elem in &array.elems {
        match arg(elem) {
            Ok(arg) if values.iter().any(|seen| seen.text == arg.text) => {
                errors.push(syn::Error::new_spanned(
                    elem,
                    format!(
                        "`args` has the value `{}` twice; each value names its own scenario (`<name>/{}`), so keep one",
                        arg.text, arg.text
                    ),
                ));
            }
            Ok(arg) => values.push(arg),
            Err(error) => errors.push(error),
        }
    }
    match combine(errors) {
        Some(error) => Err(error),
        None => Ok(values),
    }
}

/// One value: a literal integer, float, string or bool, or a negative number.
fn arg(elem: &Expr) -> syn::Result<Arg> {
    let (text, kind) = match elem {
        Expr::Lit(ExprLit { attrs, lit }) if attrs.is_empty() => literal(lit)?,
        Expr::Unary(ExprUnary {
            attrs,
            op: UnOp::Neg(_),
            expr,
        }) if attrs.is_empty() => match &**expr {
            Expr::Lit(ExprLit {
                attrs,
                lit: Lit::Int(int),
            }) if attrs.is_empty() => (format!("-{}", int.base10_digits()), ArgKind::Int),
            Expr::Lit(ExprLit {
                attrs,
                lit: Lit::Float(float),
            }) if attrs.is_empty() => (format!("-{}", float_text(float)), ArgKind::Float),
            _ => return Err(not_a_literal(elem)),
        },
        _ => return Err(not_a_literal(elem)),
    };
    if text.len() > MAX_ID_LEN {
        return Err(syn::Error::new_spanned(
            elem,
            format!(
                "the `args` value `{text}` is {} bytes long; the limit is {MAX_ID_LEN}",
                text.len()
            ),
        ));
    }
    Ok(Arg {
        text,
        kind,
        value: Code(elem.clone()),
    })
}

/// The id text and kind of a literal, or why it cannot be an `args` value.
fn literal(lit: &Lit) -> syn::Result<(String, ArgKind)> {
    match lit {
        Lit::Int(int) => Ok((int.base10_digits().to_owned(), ArgKind::Int)),
        Lit::Float(float) => Ok((float_text(float), ArgKind::Float)),
        Lit::Bool(bool) => Ok((bool.value.to_string(), ArgKind::Bool)),
        Lit::Str(text) => check_id_part("args", &text.value())
            .map(|text| (text, ArgKind::Str))
            .map_err(|message| syn::Error::new_spanned(text, message)),
        other => Err(syn::Error::new_spanned(
            other,
            "`args` values are integers, floats, strings or bools: write e.g. `args = [128, 1024]` or `args = [\"short\", \"long\"]`",
        )),
    }
}

/// A float's id text: its digits without the suffix, and without a trailing `.` or an
/// exponent's `+`, which do not belong in a directory name (`1.` → `1`, `1e+3` → `1e3`).
fn float_text(float: &LitFloat) -> String {
    let digits = float.base10_digits().replace("e+", "e").replace("E+", "E");
    digits.strip_suffix('.').unwrap_or(&digits).to_owned()
}

/// The error for a value that is not a literal.
fn not_a_literal(elem: &Expr) -> syn::Error {
    syn::Error::new_spanned(
        elem,
        "`args` values must be literals (integers, floats, strings or bools); constants and expressions are not supported here: write each value, e.g. `args = [128, 1024]`",
    )
}

#[cfg(test)]
mod tests {
    use super::{parse, ArgKind};
    use quote::quote;

    fn texts(tokens: proc_macro2::TokenStream) -> Result<Vec<(String, ArgKind)>, String> {
        let expr: syn::Expr = syn::parse2(tokens).map_err(|e| e.to_string())?;
        parse(&expr)
            .map(|args| args.into_iter().map(|a| (a.text, a.kind)).collect())
            .map_err(|error| {
                error
                    .into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
    }

    fn ok(tokens: proc_macro2::TokenStream) -> Vec<String> {
        texts(tokens).unwrap().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn every_kind_of_literal() {
        assert_eq!(
            texts(quote!([128, -1, 0.5, "short prompt", true, false])).unwrap(),
            [
                ("128".to_owned(), ArgKind::Int),
                ("-1".to_owned(), ArgKind::Int),
                ("0.5".to_owned(), ArgKind::Float),
                ("short prompt".to_owned(), ArgKind::Str),
                ("true".to_owned(), ArgKind::Bool),
                ("false".to_owned(), ArgKind::Bool),
            ]
        );
    }

    #[test]
    fn numbers_lose_their_suffix() {
        assert_eq!(ok(quote!([128u32, 1_024, 0x10])), ["128", "1024", "16"]);
        assert_eq!(ok(quote!([2.5f32, -0.25, 1e3])), ["2.5", "-0.25", "1e3"]);
        assert_eq!(ok(quote!([1.])), ["1"]);
        assert_eq!(ok(quote!([1e+3f64])), ["1e3"]);
    }

    #[test]
    fn rejects_what_is_not_a_list_of_literals() {
        let err = texts(quote!(128)).unwrap_err();
        assert!(err.contains("list of values in brackets"), "{err}");
        let err = texts(quote!([])).unwrap_err();
        assert!(err.contains("at least one value"), "{err}");
        let err = texts(quote!([LEN, 1 + 1, -LEN])).unwrap_err();
        assert_eq!(err.lines().count(), 3, "{err}");
        assert!(
            err.contains("constants and expressions are not supported"),
            "{err}"
        );
        let err = texts(quote!(['a', b"x"])).unwrap_err();
        assert_eq!(err.lines().count(), 2, "{err}");
        assert!(err.contains("integers, floats, strings or bools"), "{err}");
    }

    #[test]
    fn rejects_duplicate_ids() {
        let err = texts(quote!([128, 1024, 128u64, "1024"])).unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(lines[0].contains("the value `128` twice"), "{err}");
        assert!(lines[1].contains("the value `1024` twice"), "{err}");
    }

    #[test]
    fn strings_follow_the_name_rules() {
        let err = texts(quote!(["a/b", "", "New"])).unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        assert!(lines[0].contains("may contain only"), "{err}");
        assert!(lines[1].contains("must not be empty"), "{err}");
        assert!(lines[2].contains("is reserved"), "{err}");
    }
}
