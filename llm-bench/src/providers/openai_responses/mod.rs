//! The OpenAI Responses API (<https://platform.openai.com/docs/api-reference/responses>).
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/responses`, the base URL up to `/v1` |
//! | auth | `Authorization: Bearer <key>` |
//! | environment | the OpenAI variables: `OPENAI_BASE_URL`; `OPENAI_API_KEY` |
//! | body | [`request`]: `input`, `instructions`, `max_output_tokens`, `reasoning.effort`, `stream: true` |
//! | framing | SSE, named events (`response.output_text.delta`, ...); parsed by [`parse`] |
//!
//! Names: `openai_responses` (also `responses`).

pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Settings, Stateless, Wire};
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};

/// The OpenAI Responses API: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiResponses;

impl Api for OpenAiResponses {
    fn name(&self) -> &'static str {
        "openai_responses"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["openai_responses", "responses"]
    }

    fn env(&self) -> &'static EnvVars {
        &super::openai_chat::ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        format!("{}/responses", base.root())
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model.unwrap_or_default())
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::OpenAiResponses)
    }
}

impl Wire for OpenAiResponses {
    fn corpus_name(&self) -> &'static str {
        "openai_responses"
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
    use crate::providers::testing::url;
    use crate::providers::Provider;

    #[test]
    fn request_url() {
        assert_eq!(
            url(Provider::OpenAiResponses, "https://h/v1"),
            "https://h/v1/responses"
        );
    }
}
