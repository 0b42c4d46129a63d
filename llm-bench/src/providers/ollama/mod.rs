//! Ollama's native chat API (<https://github.com/ollama/ollama/blob/main/docs/api.md>).
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/api/chat`, the base URL the server (`http://localhost:11434`); one ending in `/api` is not given a second |
//! | auth | `Authorization: Bearer <key>` when a key is set (a proxy's; Ollama has none) |
//! | environment | `OLLAMA_HOST` (`host:port`, scheme optional: see [`host`]); `OLLAMA_API_KEY` |
//! | body | [`request`]: `messages`, `options`, `think`, `stream: true` |
//! | framing | NDJSON (`accept: application/x-ndjson`); `/api/chat` lines ([`Ollama`]) and `/api/generate` lines ([`OllamaGenerate`]) parsed by [`parse`] |
//!
//! Name: `ollama`.

pub(crate) mod host;
pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Settings, Stateless, Wire};
use super::payload::PayloadError;
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};
use crate::delta::Delta;

/// Ollama's `/api/chat`: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ollama;

/// Ollama's `/api/generate` stream (a [`Wire`] format only).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OllamaGenerate;

impl Api for Ollama {
    fn name(&self) -> &'static str {
        "ollama"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["ollama"]
    }

    fn env(&self) -> &'static EnvVars {
        static ENV: EnvVars = EnvVars {
            endpoint: &["OLLAMA_HOST"],
            key: &["OLLAMA_API_KEY"],
        };
        &ENV
    }

    fn env_base_url(&self, var: &'static str, value: String) -> String {
        if var == "OLLAMA_HOST" {
            host::url(&value)
        } else {
            value
        }
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        base.versioned("/api", "/chat")
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model.unwrap_or_default())
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::OllamaChat)
    }
}

/// Parses one NDJSON line (an SSE event's data reads as one).
fn parse_line(_event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    parse::parse_line(data)
}

impl Wire for Ollama {
    fn corpus_name(&self) -> &'static str {
        "ollama_chat"
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(Stateless(parse_line))
    }
}

impl Wire for OllamaGenerate {
    fn corpus_name(&self) -> &'static str {
        "ollama_generate"
    }

    fn framing(&self) -> Framing {
        Framing::Ndjson
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(Stateless(parse_line))
    }
}

#[cfg(test)]
mod tests {
    use crate::providers::testing::url;
    use crate::providers::Provider;

    #[test]
    fn request_url() {
        assert_eq!(
            url(Provider::Ollama, "http://localhost:11434"),
            "http://localhost:11434/api/chat"
        );
    }
}
