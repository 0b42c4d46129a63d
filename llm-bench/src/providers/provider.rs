//! [`Provider`]: the user-facing choice of API. Everything a provider is lives in its
//! folder; the [registry](super::registry) maps each variant to it.

use super::api::Api;
use super::generic::{self, GenericSpec};
use super::registry;
use crate::error::{Error, Result};

/// The API a [`Client`](crate::Client) speaks: its URL, auth, environment variables and
/// framing.
///
/// | provider | URL (after the base URL) | auth | variables (endpoint; key) | framing |
/// |---|---|---|---|---|
/// | [`Provider::OpenAiChat`] | `/chat/completions` | `Authorization: Bearer` | `OPENAI_BASE_URL`; `OPENAI_API_KEY` | SSE |
/// | [`Provider::OpenAiResponses`] | `/responses` | `Authorization: Bearer` | `OPENAI_BASE_URL`; `OPENAI_API_KEY` | SSE |
/// | [`Provider::OpenAiCompletions`] | `/completions` | `Authorization: Bearer` | `OPENAI_BASE_URL`; `OPENAI_API_KEY` | SSE |
/// | [`Provider::AzureOpenAi`] | `/openai/deployments/{deployment}/chat/completions?api-version=...`, or `/openai/v1/chat/completions` without a deployment | `api-key` | `AZURE_OPENAI_ENDPOINT`; `AZURE_OPENAI_API_KEY` (and `AZURE_OPENAI_DEPLOYMENT`, `OPENAI_API_VERSION`) | SSE |
/// | [`Provider::Anthropic`] | `/v1/messages` | `x-api-key`, `anthropic-version` | `ANTHROPIC_BASE_URL`; `ANTHROPIC_API_KEY` | SSE |
/// | [`Provider::Gemini`] | `/v1beta/models/{model}:streamGenerateContent?alt=sse` | `x-goog-api-key` (never in the URL) | `GEMINI_BASE_URL`; `GEMINI_API_KEY` (or the `GOOGLE_` ones) | SSE |
/// | [`Provider::CohereV2`] | `/v2/chat` | `Authorization: Bearer` | `COHERE_BASE_URL`; `COHERE_API_KEY` (or `CO_API_URL`; `CO_API_KEY`) | SSE |
/// | [`Provider::CohereV1`] | `/v1/chat` | `Authorization: Bearer` | as Cohere v2 | NDJSON |
/// | [`Provider::Ollama`] | `/api/chat` | `Authorization: Bearer` if a key is set | `OLLAMA_HOST`; `OLLAMA_API_KEY` | NDJSON |
/// | [`Provider::Tgi`] | `/generate_stream` | `Authorization: Bearer` if a key is set | `LLM_BENCH_BASE_URL`; `HF_TOKEN` | SSE |
/// | [`Provider::Generic`] | the base URL is the whole URL | the spec's headers, else Bearer | `LLM_BENCH_BASE_URL`; `LLM_BENCH_API_KEY` | SSE or NDJSON |
///
/// Where a base URL already ends in the version segment (`.../v1` for Anthropic or Cohere
/// v1, `.../v2` for Cohere v2, `.../v1beta` for Gemini, `.../api` for Ollama,
/// `.../openai/v1` for Azure), it is not repeated. `LLM_BENCH_BASE_URL` is also the
/// endpoint of any provider `LLM_BENCH_PROVIDER` selects (see
/// [`Client::from_env`](crate::Client::from_env)).
///
/// ```
/// use llm_bench::Provider;
/// assert_eq!(Provider::from_name("anthropic")?, Provider::Anthropic);
/// assert_eq!(Provider::from_name("Azure-OpenAI")?, Provider::AzureOpenAi);
/// assert_eq!(Provider::Gemini.name(), "gemini");
/// # Ok::<(), llm_bench::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
// A configuration value, built once per client: the generic spec stays inline so that it is
// written `Provider::Generic(spec)`.
#[allow(clippy::large_enum_variant)]
pub enum Provider {
    /// OpenAI Chat Completions and every compatible server (vLLM, llama.cpp, TGI's Messages
    /// API, Ollama's `/v1`, Groq, DeepSeek, Mistral, OpenRouter, ...). The default.
    #[default]
    OpenAiChat,
    /// OpenAI Responses API.
    OpenAiResponses,
    /// OpenAI legacy Completions.
    OpenAiCompletions,
    /// Azure OpenAI (deployment URLs with `api-version`, or the v1 API).
    AzureOpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// Google Gemini API (`streamGenerateContent?alt=sse`).
    Gemini,
    /// Cohere chat, API v2.
    CohereV2,
    /// Cohere chat, API v1 (NDJSON).
    CohereV1,
    /// Ollama's native `/api/chat` (NDJSON).
    Ollama,
    /// Hugging Face Text Generation Inference `/generate_stream`.
    Tgi,
    /// Any other API, described by a [`GenericSpec`].
    Generic(GenericSpec),
}

impl Provider {
    /// The provider's stable name (what `LLM_BENCH_PROVIDER` takes, and what stored runs
    /// record as the endpoint kind; OpenAI Chat is `openai_compatible`).
    pub fn name(&self) -> &'static str {
        self.api().name()
    }

    /// The provider a name designates: `openai` (also `openai_chat`, `openai_compatible`),
    /// `openai_responses` (`responses`), `openai_completions` (`completions`), `azure`
    /// (`azure_openai`), `anthropic`, `gemini` (`google`), `cohere` (`cohere_v2`),
    /// `cohere_v1`, `ollama`, `tgi`. Case, `-` and `_` do not matter. `generic` needs a
    /// spec, so it is not accepted here.
    pub fn from_name(name: &str) -> Result<Provider> {
        let norm = name.trim().to_ascii_lowercase().replace('-', "_");
        registry::named(&norm).ok_or_else(|| {
            let names: Vec<&str> = registry::names().collect();
            Error::Config(format!(
                "unknown provider `{}`: use {} or {}",
                name.chars().take(40).collect::<String>(),
                names.join(", "),
                generic::NAME
            ))
        })
    }

    /// What this provider is: its folder's [`Api`] (a generic provider's is its spec).
    pub(crate) fn api(&self) -> &dyn Api {
        registry::api(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = Provider::from_name("bedrock").unwrap_err();
        assert_eq!(
            err.to_string(),
            Error::Config(
                "unknown provider `bedrock`: use openai, openai_responses, openai_completions, \
                 azure, anthropic, gemini, cohere, cohere_v1, ollama, tgi or generic"
                    .into()
            )
            .to_string()
        );
        assert!(Provider::from_name("generic").is_err());
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(
            Provider::from_name(" Google-Gemini ").ok(),
            Some(Provider::Gemini)
        );
        assert_eq!(Provider::from_name("").ok(), Some(Provider::OpenAiChat));
        assert_eq!(Provider::from_name("COHERE").ok(), Some(Provider::CohereV2));
        assert_eq!(Provider::Generic(GenericSpec::default()).name(), "generic");
    }
}
