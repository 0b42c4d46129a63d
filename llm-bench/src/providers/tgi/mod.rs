//! Hugging Face Text Generation Inference's `/generate_stream`
//! (<https://huggingface.github.io/text-generation-inference/>). TGI's Messages API
//! (`/v1/chat/completions`) is the OpenAI-compatible provider instead.
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/generate_stream`, the base URL the server |
//! | auth | `Authorization: Bearer <key>` when a key is set |
//! | environment | `LLM_BENCH_BASE_URL` (TGI has no variable of its own); `HF_TOKEN`, else `LLM_BENCH_API_KEY` |
//! | body | [`request`]: `inputs` (the messages as text), `parameters`; the server serves one model, so none is needed |
//! | framing | SSE, unnamed events, one per token; parsed by [`parse`] |
//!
//! Name: `tgi`.

pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Settings, Stateless, Wire};
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};

/// TGI `/generate_stream`: the [`Api`] and its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tgi;

impl Api for Tgi {
    fn name(&self) -> &'static str {
        "tgi"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["tgi"]
    }

    fn env(&self) -> &'static EnvVars {
        static ENV: EnvVars = EnvVars {
            endpoint: &[],
            key: &["HF_TOKEN", "LLM_BENCH_API_KEY"],
        };
        &ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        format!("{}/generate_stream", base.root())
    }

    fn body(&self, req: &ChatRequest, _model: Option<&str>) -> Value {
        request::body(req)
    }

    fn needs_model(&self, _settings: &Settings) -> bool {
        false
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::Tgi)
    }
}

impl Wire for Tgi {
    fn corpus_name(&self) -> &'static str {
        "tgi"
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
            url(Provider::Tgi, "http://tgi:8080"),
            "http://tgi:8080/generate_stream"
        );
    }
}
