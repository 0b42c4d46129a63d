//! OpenAI legacy Completions (<https://platform.openai.com/docs/api-reference/completions>),
//! also spoken by vLLM, llama.cpp and TGI.
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/completions`, the base URL up to `/v1` |
//! | auth | `Authorization: Bearer <key>` |
//! | environment | the OpenAI variables: `OPENAI_BASE_URL`; `OPENAI_API_KEY` |
//! | body | [`request`]: `prompt` (the messages as text), `max_tokens`, `stream: true`, `stream_options.include_usage` |
//! | framing | SSE, unnamed `data:` chunks ending with `data: [DONE]`; parsed by [`parse`] |
//!
//! Names: `openai_completions` (also `completions`).

pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Settings, Stateless, Wire};
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};

/// OpenAI legacy Completions: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiCompletions;

impl Api for OpenAiCompletions {
    fn name(&self) -> &'static str {
        "openai_completions"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["openai_completions", "completions"]
    }

    fn env(&self) -> &'static EnvVars {
        &super::openai_chat::ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        format!("{}/completions", base.root())
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model.unwrap_or_default())
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::OpenAiCompletions)
    }
}

impl Wire for OpenAiCompletions {
    fn corpus_name(&self) -> &'static str {
        "openai_completions"
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
            url(Provider::OpenAiCompletions, "https://h/v1"),
            "https://h/v1/completions"
        );
    }
}
