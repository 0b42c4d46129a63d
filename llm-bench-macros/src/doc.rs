//! The scenario's description: the first paragraph of the function's doc comment.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The first paragraph of the `///` (or `/** */`) doc comment in `attrs`: its lines trimmed
/// and joined with single spaces; `""` when there is none. `#[doc = ...]` attributes whose
/// value is not a string literal (e.g. `include_str!`) are skipped.
pub(crate) fn description(attrs: &[Attribute]) -> String {
    let mut paragraph: Vec<String> = Vec::new();
    for text in attrs.iter().filter_map(doc_text) {
        for line in text.split('\n') {
            let line = line.trim();
            if !line.is_empty() {
                paragraph.push(line.to_owned());
            } else if !paragraph.is_empty() {
                return paragraph.join(" ");
            }
        }
    }
    paragraph.join(" ")
}

/// The text of one `#[doc = "..."]` attribute.
fn doc_text(attr: &Attribute) -> Option<String> {
    match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::description;
    use syn::ItemFn;

    fn of(source: &str) -> String {
        let item: ItemFn = syn::parse_str(source).expect("test source parses");
        description(&item.attrs)
    }

    #[test]
    fn none_is_empty() {
        assert_eq!(of("async fn f() {}"), "");
        assert_eq!(of("#[inline] async fn f() {}"), "");
        assert_eq!(of("///\n///   \nasync fn f() {}"), "");
    }

    #[test]
    fn single_line() {
        assert_eq!(
            of("/// A chat turn as the product sends it.\nasync fn f() {}"),
            "A chat turn as the product sends it."
        );
    }

    #[test]
    fn first_paragraph_joined() {
        let source = "///\n/// A chat turn\n///   as the product   \n/// sends it.\n///\n/// Details.\nasync fn f() {}";
        assert_eq!(of(source), "A chat turn as the product sends it.");
    }

    #[test]
    fn block_comment_and_other_attributes() {
        let source =
            "/** First line\n   second line\n\n   More. */\n#[allow(dead_code)]\nasync fn f() {}";
        assert_eq!(of(source), "First line second line");
        let source = "/// One\n#[allow(dead_code)]\n/// two\nasync fn f() {}";
        assert_eq!(of(source), "One two");
    }

    #[test]
    fn non_literal_docs_are_skipped() {
        let source = "#[doc = include_str!(\"x.md\")]\n/// Text.\nasync fn f() {}";
        assert_eq!(of(source), "Text.");
    }
}
