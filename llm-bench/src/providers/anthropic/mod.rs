//! Anthropic Messages (<https://docs.claude.com/en/api/messages>).
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/v1/messages`, the base URL the host (`https://api.anthropic.com`); one ending in `/v1` is not given a second |
//! | auth | `x-api-key: <key>`, and `anthropic-version` (default [`DEFAULT_VERSION`]) |
//! | environment | `ANTHROPIC_BASE_URL`; `ANTHROPIC_API_KEY` |
//! | body | [`request`]: top-level `system`, `max_tokens` always, `thinking`, `stream: true` |
//! | framing | SSE, named events ending with `message_stop`; parsed by [`parse`] |
//!
//! Name: `anthropic`.

pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Header, Settings, Stateless, Wire};
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};

/// The `anthropic-version` header sent unless the builder sets another.
pub(crate) const DEFAULT_VERSION: &str = "2023-06-01";

/// Anthropic Messages: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Anthropic;

impl Api for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["anthropic"]
    }

    fn env(&self) -> &'static EnvVars {
        static ENV: EnvVars = EnvVars {
            endpoint: &["ANTHROPIC_BASE_URL"],
            key: &["ANTHROPIC_API_KEY"],
        };
        &ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        base.versioned("/v1", "/messages")
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model.unwrap_or_default())
    }

    fn auth(&self, key: Option<&str>, settings: &Settings) -> Vec<Header> {
        let version = settings
            .anthropic_version
            .as_deref()
            .unwrap_or(DEFAULT_VERSION);
        key.map(|k| Header::secret("x-api-key", k))
            .into_iter()
            .chain([Header::plain("anthropic-version", version)])
            .collect()
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::Anthropic)
    }
}

impl Wire for Anthropic {
    fn corpus_name(&self) -> &'static str {
        "anthropic"
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(Stateless(parse::parse_event))
    }
}

#[cfg(test)]
mod tests {
    use super::DEFAULT_VERSION;
    use crate::providers::testing::{assert_secret, headers, url, KEY};
    use crate::providers::Provider;

    #[test]
    fn url_with_or_without_the_version() {
        assert_eq!(
            url(Provider::Anthropic, "https://api.anthropic.com"),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            url(Provider::Anthropic, "http://127.0.0.1:9/v1"),
            "http://127.0.0.1:9/v1/messages"
        );
    }

    #[test]
    fn the_key_and_the_version_headers() {
        let h = headers(Provider::Anthropic);
        assert_secret(&h, "x-api-key", KEY);
        assert_eq!(h.get("anthropic-version").unwrap(), DEFAULT_VERSION);
        assert!(h.get("authorization").is_none());
    }
}
