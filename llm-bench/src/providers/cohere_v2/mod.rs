//! Cohere chat, API v2 (<https://docs.cohere.com/v2/reference/chat-stream>).
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/v2/chat`, the base URL the host (`https://api.cohere.com`); one ending in `/v2` is not given a second |
//! | auth | `Authorization: Bearer <key>` |
//! | environment | `COHERE_BASE_URL` (or `CO_API_URL`); `COHERE_API_KEY`, else `CO_API_KEY` (shared with v1) |
//! | body | [`request`]: `messages` as given, `thinking`, `stream: true` |
//! | framing | SSE, named events, `data: [DONE]` last; parsed by [`parse`] ([`end`] is shared with v1) |
//!
//! Names: `cohere` (also `cohere_v2`); stored runs record `cohere_v2`.

pub(crate) mod end;
pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Settings, Stateless, Wire};
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};

/// The variables of both Cohere APIs.
pub(crate) static ENV: EnvVars = EnvVars {
    endpoint: &["COHERE_BASE_URL", "CO_API_URL"],
    key: &["COHERE_API_KEY", "CO_API_KEY"],
};

/// Cohere chat v2: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CohereV2;

impl Api for CohereV2 {
    fn name(&self) -> &'static str {
        "cohere_v2"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["cohere", "cohere_v2"]
    }

    fn env(&self) -> &'static EnvVars {
        &ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        base.versioned("/v2", "/chat")
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model.unwrap_or_default())
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::CohereV2)
    }
}

impl Wire for CohereV2 {
    fn corpus_name(&self) -> &'static str {
        "cohere_v2"
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
    use crate::providers::testing::{assert_secret, headers, url, KEY};
    use crate::providers::Provider;

    #[test]
    fn url_and_auth() {
        assert_eq!(
            url(Provider::CohereV2, "https://api.cohere.com"),
            "https://api.cohere.com/v2/chat"
        );
        assert_secret(
            &headers(Provider::CohereV2),
            "authorization",
            &format!("Bearer {KEY}"),
        );
    }
}
