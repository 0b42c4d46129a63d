//! The values the [`Api`](super::Api) methods take and give: a checked base URL, the
//! builder's provider settings, headers, environment variable names.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Url;

/// The environment variables of one provider, first match wins within each list.
#[derive(Debug)]
pub(crate) struct EnvVars {
    /// The variables that set the endpoint (a base URL, an Azure endpoint, `OLLAMA_HOST`);
    /// empty when only `LLM_BENCH_BASE_URL` does.
    pub(crate) endpoint: &'static [&'static str],
    /// The variables that set the key.
    pub(crate) key: &'static [&'static str],
}

/// The builder's settings that only some providers read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Azure OpenAI: the deployment, when set and not blank.
    pub(crate) deployment: Option<String>,
    /// Azure OpenAI: the `api-version`, when set and not blank.
    pub(crate) api_version: Option<String>,
    /// Anthropic: the `anthropic-version` header, when set.
    pub(crate) anthropic_version: Option<String>,
}

/// A checked base URL (an http(s) URL without credentials), as the builder was given it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Base<'a> {
    /// The base URL as given (trimmed), placeholders and all.
    raw: &'a str,
    /// The parsed URL.
    url: &'a Url,
}

impl<'a> Base<'a> {
    /// A base URL: `raw` as given (trimmed), `url` its parsed form.
    pub(crate) fn new(raw: &'a str, url: &'a Url) -> Self {
        Base { raw, url }
    }

    /// The base URL exactly as given (a generic provider's whole request URL).
    pub(crate) fn raw(&self) -> &'a str {
        self.raw
    }

    /// The URL without query, fragment or trailing `/`, for paths to be appended to.
    pub(crate) fn root(&self) -> &'a str {
        let root = self
            .url
            .as_str()
            .split(['?', '#'])
            .next()
            .unwrap_or_default();
        root.trim_end_matches('/')
    }

    /// True when the URL's path (without a trailing `/`) ends with `suffix`.
    pub(crate) fn ends_with(&self, suffix: &str) -> bool {
        self.url.path().trim_end_matches('/').ends_with(suffix)
    }

    /// `root + version + rest`, or `root + rest` when the path already ends in `version`
    /// (so `https://api.anthropic.com/v1` is not given a second `/v1`).
    pub(crate) fn versioned(&self, version: &str, rest: &str) -> String {
        if self.ends_with(version) {
            format!("{}{rest}", self.root())
        } else {
            format!("{}{version}{rest}", self.root())
        }
    }
}

/// One request header a provider asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// The header name.
    pub(crate) name: String,
    /// The value.
    pub(crate) value: String,
    /// True when the value carries a credential (marked sensitive, never shown).
    pub(crate) sensitive: bool,
}

impl Header {
    /// A header carrying a credential.
    pub(crate) fn secret(name: &str, value: &str) -> Self {
        Header {
            name: name.to_owned(),
            value: value.to_owned(),
            sensitive: true,
        }
    }

    /// A header without a credential.
    pub(crate) fn plain(name: &str, value: &str) -> Self {
        Header {
            name: name.to_owned(),
            value: value.to_owned(),
            sensitive: false,
        }
    }
}

/// `Authorization: Bearer <key>` when a key is set: the auth of most APIs.
pub(crate) fn bearer(key: Option<&str>) -> Vec<Header> {
    key.map(|k| Header::secret("authorization", &format!("Bearer {k}")))
        .into_iter()
        .collect()
}

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is
/// percent-encoded, so a value can never end a path segment or a query parameter.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A URL path segment or query value, percent-encoded (everything but unreserved
/// characters, uppercase hex), after trimming: `gpt 4o` → `gpt%204o`.
pub(crate) fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s.trim(), NOT_UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_encode_all_but_the_unreserved_characters() {
        // Every ASCII character and a few multi-byte ones, against the rule written out.
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é€😀");
        let mut want = String::new();
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                want.push(char::from(b));
            } else {
                want.push_str(&format!("%{b:02X}"));
            }
        }
        // Control characters at the ends are whitespace to `trim`; keep them inside.
        let inner = format!("x{text}x");
        assert_eq!(encode_segment(&inner), format!("x{want}x"));
        assert_eq!(encode_segment("  gpt 4o/mini?\n"), "gpt%204o%2Fmini%3F");
        assert_eq!(encode_segment("2025-01-01-preview"), "2025-01-01-preview");
    }

    #[test]
    fn base_roots_drop_the_query_and_trailing_slash() {
        let url = Url::parse("https://h.example/v1/?x=1#f").unwrap();
        let base = Base::new("https://h.example/v1/?x=1#f", &url);
        assert_eq!(base.root(), "https://h.example/v1");
        assert!(base.ends_with("/v1"));
        assert_eq!(base.versioned("/v1", "/chat"), "https://h.example/v1/chat");
        assert_eq!(
            base.versioned("/v2", "/chat"),
            "https://h.example/v1/v2/chat"
        );
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(encode_segment(" gpt 4o/x "), "gpt%204o%2Fx");
        assert_eq!(encode_segment("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn bearer_only_with_a_key() {
        assert!(bearer(None).is_empty());
        assert_eq!(
            bearer(Some("k")),
            [Header::secret("authorization", "Bearer k")]
        );
    }
}
