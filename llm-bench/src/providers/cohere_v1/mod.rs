//! Cohere chat, API v1 (<https://docs.cohere.com/v1/reference/chat>).
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/v1/chat`, the base URL the host (`https://api.cohere.com`); one ending in `/v1` is not given a second |
//! | auth | `Authorization: Bearer <key>` |
//! | environment | the Cohere variables (see [`cohere_v2`](super::cohere_v2)): `COHERE_BASE_URL` (or `CO_API_URL`); `COHERE_API_KEY`, else `CO_API_KEY` |
//! | body | [`request`]: `message`, `preamble`, `chat_history`, `stream: true` |
//! | framing | NDJSON (`accept: application/x-ndjson`); parsed by [`parse`] |
//!
//! Name: `cohere_v1`.

pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Settings, Wire};
use super::payload::PayloadError;
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};
use crate::delta::Delta;

/// Cohere chat v1: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CohereV1;

impl Api for CohereV1 {
    fn name(&self) -> &'static str {
        "cohere_v1"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["cohere_v1"]
    }

    fn env(&self) -> &'static EnvVars {
        &super::cohere_v2::ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        base.versioned("/v1", "/chat")
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model.unwrap_or_default())
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::CohereV1)
    }
}

impl Wire for CohereV1 {
    fn corpus_name(&self) -> &'static str {
        "cohere_v1"
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(parse::Parser::new())
    }
}

impl Events for parse::Parser {
    fn event(&mut self, _name: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
        self.parse_line(data)
    }

    fn boxed_clone(&self) -> Box<dyn Events> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use crate::providers::testing::{headers, url};
    use crate::providers::Provider;

    #[test]
    fn url_and_ndjson() {
        assert_eq!(
            url(Provider::CohereV1, "https://api.cohere.com/v1"),
            "https://api.cohere.com/v1/chat"
        );
        assert_eq!(
            headers(Provider::CohereV1).get("accept").unwrap(),
            "application/x-ndjson"
        );
    }
}
