//! The Google Gemini API (<https://ai.google.dev/api/generate-content>), and Vertex AI's
//! same shapes.
//!
//! | | |
//! |---|---|
//! | endpoint | `POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`, the base URL the host (`https://generativelanguage.googleapis.com`); one ending in `/v1beta`, `/v1` or `/v1alpha` keeps its version; a `models/` prefix of the model is dropped |
//! | auth | `x-goog-api-key: <key>`, never in the URL |
//! | environment | `GEMINI_BASE_URL` (or `GOOGLE_GEMINI_BASE_URL`); `GEMINI_API_KEY`, else `GOOGLE_API_KEY` |
//! | body | [`request`]: `contents`, `systemInstruction`, `generationConfig`; no model, no stream flag (both are in the URL) |
//! | framing | SSE (`alt=sse`, [`Gemini`]) or, without it, one streamed JSON array ([`GeminiJsonArray`]); chunks parsed by [`parse`] |
//!
//! Names: `gemini` (also `google`, `google_gemini`).

pub(crate) mod parse;
pub(crate) mod request;

use serde_json::Value;

use super::api::{Api, Base, EnvVars, Events, Header, Settings, Stateless, Wire};
use super::payload::PayloadError;
use super::request::ChatRequest;
use super::wire::{Framing, WireFormat};
use crate::delta::Delta;

/// The Gemini API: the [`Api`], and the [`Wire`] format of its SSE stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gemini;

/// Gemini's `streamGenerateContent` without `alt=sse`: the chunks in one streamed JSON
/// array (a [`Wire`] format only: the client asks for SSE).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GeminiJsonArray;

impl Api for Gemini {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["gemini", "google", "google_gemini"]
    }

    fn env(&self) -> &'static EnvVars {
        static ENV: EnvVars = EnvVars {
            endpoint: &["GEMINI_BASE_URL", "GOOGLE_GEMINI_BASE_URL"],
            key: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        };
        &ENV
    }

    fn url(&self, base: &Base<'_>, _settings: &Settings) -> String {
        const METHOD: &str = "/models/{{model}}:streamGenerateContent?alt=sse";
        if base.ends_with("/v1beta") || base.ends_with("/v1") || base.ends_with("/v1alpha") {
            format!("{}{METHOD}", base.root())
        } else {
            format!("{}/v1beta{METHOD}", base.root())
        }
    }

    fn body(&self, req: &ChatRequest, _model: Option<&str>) -> Value {
        request::body(req)
    }

    fn auth(&self, key: Option<&str>, _settings: &Settings) -> Vec<Header> {
        key.map(|k| Header::secret("x-goog-api-key", k))
            .into_iter()
            .collect()
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::GeminiSse)
    }
}

/// Parses one chunk, whatever carries it (an SSE event's data, an array element).
fn parse_chunk(_event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    parse::parse_chunk(data)
}

impl Wire for Gemini {
    fn corpus_name(&self) -> &'static str {
        "gemini_sse"
    }

    fn framing(&self) -> Framing {
        Framing::Sse
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(Stateless(parse_chunk))
    }
}

impl Wire for GeminiJsonArray {
    fn corpus_name(&self) -> &'static str {
        "gemini_json_array"
    }

    fn framing(&self) -> Framing {
        Framing::JsonArray
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(Stateless(parse_chunk))
    }
}

#[cfg(test)]
mod tests {
    use crate::providers::testing::{assert_secret, headers, url, KEY};
    use crate::providers::Provider;

    #[test]
    fn the_model_is_in_the_url_and_the_key_is_not() {
        for base in ["https://g.example", "https://g.example/v1beta/"] {
            assert_eq!(
                url(Provider::Gemini, base),
                "https://g.example/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
            );
        }
        assert_secret(&headers(Provider::Gemini), "x-goog-api-key", KEY);
    }
}
