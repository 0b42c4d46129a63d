//! OpenAI Chat Completions, and every server that speaks it (vLLM, llama.cpp, TGI's Messages
//! API, Ollama's `/v1`, Groq, DeepSeek, Mistral, OpenRouter, ...): the default provider.
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/chat/completions`, the base URL up to `/v1` (`https://api.openai.com/v1`) |
//! | auth | `Authorization: Bearer <key>` |
//! | environment | `OPENAI_BASE_URL`; `OPENAI_API_KEY` |
//! | body | [`request`]: `model`, `messages`, `stream: true`, `stream_options.include_usage` |
//! | framing | SSE, unnamed `data:` chunks ending with `data: [DONE]`; parsed by [`parse`] |
//!
//! Names: `openai` (also `openai_chat`, `openai_compatible`, `chat`, and the empty name);
//! stored runs record `openai_compatible`.

pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Settings, Stateless, Wire};
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};

/// The variables of every OpenAI API (Chat, Responses, legacy Completions).
pub(crate) static ENV: EnvVars = EnvVars {
    endpoint: &["OPENAI_BASE_URL"],
    key: &["OPENAI_API_KEY"],
};

/// OpenAI Chat Completions: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenAiChat;

impl Api for OpenAiChat {
    fn name(&self) -> &'static str {
        "openai_compatible"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["openai", "openai_chat", "openai_compatible", "chat", ""]
    }

    fn env(&self) -> &'static EnvVars {
        &ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        format!("{}/chat/completions", base.root())
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model.unwrap_or_default())
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::OpenAiChat)
    }
}

impl Wire for OpenAiChat {
    fn corpus_name(&self) -> &'static str {
        "openai_chat"
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
            url(Provider::OpenAiChat, "https://h/v1/"),
            "https://h/v1/chat/completions"
        );
        let h = headers(Provider::OpenAiChat);
        assert_secret(&h, "authorization", &format!("Bearer {KEY}"));
        assert_eq!(h.get("accept").unwrap(), "text/event-stream");
    }
}
