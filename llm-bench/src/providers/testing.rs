//! Helpers for the providers' unit tests: a client of a provider with a known key, its
//! request URL and its headers.

use reqwest::header::HeaderMap;

use super::{ApiKey, ChatRequest, Client, Provider};

/// The key every test client sends.
pub(crate) const KEY: &str = "sk-secret-value";

/// A client of `provider` at `base`, with [`KEY`].
pub(crate) fn client(provider: Provider, base: &str) -> Client {
    Client::builder()
        .provider(provider)
        .base_url(base)
        .api_key(ApiKey::new(KEY))
        .build()
        .unwrap()
}

/// The URL `client` sends a request for `model` to.
pub(crate) fn url_of(client: &Client, model: Option<&str>) -> String {
    client
        .request_parts(&ChatRequest::new("hi"), model)
        .unwrap()
        .0
        .to_string()
}

/// The URL a client of `provider` at `base` sends a request for
/// `models/gemini-2.5-flash` to.
pub(crate) fn url(provider: Provider, base: &str) -> String {
    url_of(&client(provider, base), Some("models/gemini-2.5-flash"))
}

/// The headers of a request of a client of `provider` with [`KEY`].
pub(crate) fn headers(provider: Provider) -> HeaderMap {
    client(provider, "https://h").headers_for().unwrap()
}

/// Asserts that `headers` has `name: value`, marked sensitive.
pub(crate) fn assert_secret(headers: &HeaderMap, name: &str, value: &str) {
    let got = headers.get(name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(got, value);
    assert!(got.is_sensitive(), "{name} is not sensitive");
}
