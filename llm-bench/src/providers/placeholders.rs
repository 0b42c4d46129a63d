//! `{{name}}` placeholders: in a request URL template (Gemini's and a generic provider's
//! `{{model}}`), and in a generic provider's body and headers.

/// `name` when `s` is exactly `{{name}}`.
pub(crate) fn whole_placeholder(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner.trim())
}

/// Replaces every `{{name}}` that `lookup` knows; leaves the others as they are.
pub(crate) fn interpolate(s: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_replaced_and_others_kept() {
        let lookup = |name: &str| (name == "model").then(|| "m1".to_string());
        assert_eq!(
            interpolate("a/{{model}}/{{ model }}/{{x}}", lookup),
            "a/m1/m1/{{x}}"
        );
        assert_eq!(interpolate("open {{model", lookup), "open {{model");
        assert_eq!(whole_placeholder("{{ user }}"), Some("user"));
        assert_eq!(whole_placeholder("x {{user}}"), None);
    }
}
