//! Azure OpenAI (<https://learn.microsoft.com/azure/ai-foundry/openai/reference>): Chat
//! Completions on a resource endpoint.
//!
//! | | |
//! |---|---|
//! | endpoint | with a deployment, `POST {base}/openai/deployments/{deployment}/chat/completions?api-version={version}` (version default [`DEFAULT_API_VERSION`]); without one, or when the base URL ends in `/openai/v1`, the v1 API `POST {base}/openai/v1/chat/completions` |
//! | auth | `api-key: <key>` |
//! | environment | `AZURE_OPENAI_ENDPOINT`; `AZURE_OPENAI_API_KEY`; `AZURE_OPENAI_DEPLOYMENT`, `OPENAI_API_VERSION` (or `AZURE_OPENAI_API_VERSION`) |
//! | body | [`request`]: the Chat Completions body; on a deployment URL without a model, no `model` |
//! | framing | the Chat Completions stream (SSE), parsed by [`openai_chat`](super::openai_chat) |
//!
//! Names: `azure` (also `azure_openai`); stored runs record `azure_openai`.

pub(crate) mod request;

use serde_json::Value;

use super::api::{encode_segment, Api, Base, EnvVars, Header, Settings};
use super::builder::ClientBuilder;
use super::env::{first, Lookup};
use super::request::ChatRequest;
use super::wire::WireFormat;

/// The Azure OpenAI `api-version` used on deployment URLs unless the builder (or
/// `OPENAI_API_VERSION`) sets another: the latest GA version of the data-plane API when
/// this was written.
pub(crate) const DEFAULT_API_VERSION: &str = "2024-10-21";

/// Azure OpenAI's [`Api`]; its stream is OpenAI Chat's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AzureOpenAi;

impl Api for AzureOpenAi {
    fn name(&self) -> &'static str {
        "azure_openai"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["azure", "azure_openai"]
    }

    fn env(&self) -> &'static EnvVars {
        static ENV: EnvVars = EnvVars {
            endpoint: &["AZURE_OPENAI_ENDPOINT"],
            key: &["AZURE_OPENAI_API_KEY"],
        };
        &ENV
    }

    fn env_settings(&self, var: Lookup<'_>, mut builder: ClientBuilder) -> ClientBuilder {
        if let Some(d) = var("AZURE_OPENAI_DEPLOYMENT") {
            builder = builder.deployment(d);
        }
        if let Some((_, v)) = first(var, &["OPENAI_API_VERSION", "AZURE_OPENAI_API_VERSION"]) {
            builder = builder.api_version(v);
        }
        builder
    }

    fn url(&self, base: &Base<'_>, settings: &Settings) -> String {
        let root = base
            .root()
            .trim_end_matches("/openai/v1")
            .trim_end_matches("/openai");
        match settings.deployment.as_deref() {
            Some(d) if !base.ends_with("/openai/v1") => format!(
                "{root}/openai/deployments/{}/chat/completions?api-version={}",
                encode_segment(d),
                encode_segment(
                    settings
                        .api_version
                        .as_deref()
                        .unwrap_or(DEFAULT_API_VERSION)
                )
            ),
            _ => format!("{root}/openai/v1/chat/completions"),
        }
    }

    fn body(&self, req: &ChatRequest, model: Option<&str>) -> Value {
        request::body(req, model)
    }

    fn auth(&self, key: Option<&str>, _settings: &Settings) -> Vec<Header> {
        key.map(|k| Header::secret("api-key", k))
            .into_iter()
            .collect()
    }

    fn needs_model(&self, settings: &Settings) -> bool {
        settings.deployment.is_none()
    }

    fn wire_format(&self) -> Option<WireFormat> {
        Some(WireFormat::OpenAiChat)
    }
}

#[cfg(test)]
mod tests {
    use crate::providers::testing::{assert_secret, headers, url, url_of, KEY};
    use crate::providers::{Client, Provider};

    #[test]
    fn v1_and_deployment_urls() {
        for base in [
            "https://r.openai.azure.com/",
            "https://r.openai.azure.com/openai/v1",
        ] {
            assert_eq!(
                url(Provider::AzureOpenAi, base),
                "https://r.openai.azure.com/openai/v1/chat/completions"
            );
        }
        let azure = Client::builder()
            .provider(Provider::AzureOpenAi)
            .base_url("https://r.openai.azure.com")
            .deployment("gpt 4o")
            .api_version("2025-01-01-preview")
            .build()
            .unwrap();
        assert_eq!(
            url_of(&azure, None),
            "https://r.openai.azure.com/openai/deployments/gpt%204o/chat/completions?api-version=2025-01-01-preview"
        );
    }

    #[test]
    fn the_key_is_an_api_key_header() {
        let h = headers(Provider::AzureOpenAi);
        assert_secret(&h, "api-key", KEY);
        assert!(h.get("authorization").is_none());
    }
}
