//! Which endpoint a run measures: the one the environment configures, or the built-in
//! simulated endpoint started in-process.
//!
//! `LLM_BENCH_PROVIDER` selects the provider (default: OpenAI-compatible), and each vendor's
//! usual variables configure it (see [`providers::env`](crate::providers::env)). The rule
//! that does not change: with no endpoint variable set for the chosen provider, the
//! simulated endpoint is used, even when a key is set, so a benchmark never spends money by
//! accident.

use crate::error::{Error, Result};
use crate::mock::{LatencyProfile, MockServer};
use crate::providers::env::{endpoint_from_env, EnvEndpoint};
use crate::providers::{Client, Provider};
use crate::store::EndpointInfo;

/// The model name the simulated endpoint answers to when nothing else is configured.
pub(crate) const SIMULATED_MODEL: &str = "llm-bench-mock";

/// The endpoint kind stored for runs against the simulated endpoint.
const SIMULATED_KIND: &str = "simulated";

/// The endpoint of a run, kept alive for its duration.
pub(crate) struct Endpoint {
    pub client: Client,
    /// What stored runs record as the endpoint kind: the provider's name
    /// ([`Provider::name`]), or `simulated`.
    pub kind: &'static str,
    /// Held so the in-process server lives as long as the run.
    _simulated: Option<MockServer>,
}

impl Endpoint {
    /// What a stored run records about this endpoint for a scenario asking for `model`.
    pub fn info(&self, model: Option<&str>) -> EndpointInfo {
        EndpointInfo {
            kind: self.kind.to_string(),
            host: self.client.host().to_string(),
            model: model.or(self.client.model()).map(str::to_string),
        }
    }
}

/// Resolves the endpoint from the environment, or starts the simulated one and says so in
/// one line.
pub(crate) async fn resolve() -> Result<Endpoint> {
    let env = endpoint_from_env()?;
    if let Some(client) = env.client {
        println!(
            "llm-bench: measuring the {} endpoint at {} ({})",
            describe(client.provider()),
            client.host(),
            env.endpoint_var
        );
        return Ok(Endpoint {
            kind: client.provider().name(),
            client,
            _simulated: None,
        });
    }
    simulated(&env).await
}

/// Starts the simulated endpoint, with a client of the selected provider where the
/// simulated endpoint speaks it (OpenAI Chat, Anthropic, Gemini), else OpenAI Chat.
async fn simulated(env: &EnvEndpoint) -> Result<Endpoint> {
    let profile = LatencyProfile::from_env()
        .map_err(|e| Error::Config(format!("LLM_BENCH_MOCK_PROFILE: {e}")))?
        .unwrap_or_default();
    let server = MockServer::start(profile)
        .await
        .map_err(|e| Error::io("could not start the built-in simulated endpoint", e))?;
    let model = std::env::var("LLM_BENCH_MODEL")
        .ok()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| SIMULATED_MODEL.to_string());
    let (provider, base_url, speaks) = match &env.provider {
        Provider::Anthropic | Provider::Gemini => (
            env.provider.clone(),
            format!("http://{}", server.addr()),
            true,
        ),
        Provider::OpenAiChat => (Provider::OpenAiChat, server.base_url(), true),
        _ => (Provider::OpenAiChat, server.base_url(), false),
    };
    let client = Client::builder()
        .provider(provider.clone())
        .base_url(base_url)
        .model(model)
        .build()?;
    let mut hint = match env.key_var {
        Some(key) => format!(
            " ({key} is set but {} is not: set {} to measure a real one)",
            env.endpoint_var, env.endpoint_var
        ),
        None => format!(" (set {} to measure a real one)", env.endpoint_var),
    };
    if !speaks {
        hint.push_str(&format!(
            "; the simulated endpoint does not speak {}, so requests use OpenAI Chat Completions",
            env.provider.name()
        ));
    }
    let speaking = if provider == Provider::OpenAiChat {
        String::new()
    } else {
        format!(", speaking {}", describe(&provider))
    };
    println!(
        "llm-bench: no endpoint configured; using the built-in simulated endpoint at {}{speaking}{hint}",
        client.base_url(),
    );
    Ok(Endpoint {
        client,
        kind: SIMULATED_KIND,
        _simulated: Some(server),
    })
}

/// A provider's name for messages.
fn describe(provider: &Provider) -> &'static str {
    match provider {
        Provider::OpenAiChat => "OpenAI-compatible",
        Provider::OpenAiResponses => "OpenAI Responses",
        Provider::OpenAiCompletions => "OpenAI Completions",
        Provider::AzureOpenAi => "Azure OpenAI",
        Provider::Anthropic => "Anthropic",
        Provider::Gemini => "Gemini",
        Provider::CohereV2 => "Cohere v2",
        Provider::CohereV1 => "Cohere v1",
        Provider::Ollama => "Ollama",
        Provider::Tgi => "TGI",
        _ => "generic",
    }
}
