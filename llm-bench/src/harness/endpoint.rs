//! Which endpoint a run measures: the one the environment configures, or the built-in
//! simulated endpoint started in-process.

use crate::error::{Error, Result};
use crate::mock::{LatencyProfile, MockServer};
use crate::providers::openai::OpenAiClient;
use crate::store::EndpointInfo;

/// The model name the simulated endpoint answers to when nothing else is configured.
pub(crate) const SIMULATED_MODEL: &str = "llm-bench-mock";

/// The endpoint of a run, kept alive for its duration.
pub(crate) struct Endpoint {
    pub client: OpenAiClient,
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

/// Resolves the endpoint from the environment (`OPENAI_BASE_URL`, `OPENAI_API_KEY`,
/// `LLM_BENCH_MODEL`), or starts the simulated one and says so in one line.
pub(crate) async fn resolve() -> Result<Endpoint> {
    if let Some(client) = OpenAiClient::from_env()? {
        println!(
            "llm-bench: measuring the OpenAI-compatible endpoint at {} (OPENAI_BASE_URL)",
            client.host()
        );
        return Ok(Endpoint {
            client,
            kind: "openai_compatible",
            _simulated: None,
        });
    }
    let profile = LatencyProfile::from_env()
        .map_err(|e| Error::Config(format!("LLM_BENCH_MOCK_PROFILE: {e}")))?
        .unwrap_or_default();
    let server = MockServer::start(profile)
        .await
        .map_err(|e| Error::io("could not start the built-in simulated endpoint", e))?;
    let model = std::env::var("LLM_BENCH_MODEL")
        .ok()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| SIMULATED_MODEL.to_string());
    let client = OpenAiClient::builder()
        .base_url(server.base_url())
        .model(model)
        .build()?;
    let hint = if std::env::var_os("OPENAI_API_KEY").is_some() {
        " (OPENAI_API_KEY is set but OPENAI_BASE_URL is not: set OPENAI_BASE_URL=https://api.openai.com/v1 to measure OpenAI)"
    } else {
        " (set OPENAI_BASE_URL to measure a real one)"
    };
    println!(
        "llm-bench: no endpoint configured; using the built-in simulated endpoint at {}{hint}",
        server.base_url()
    );
    Ok(Endpoint {
        client,
        kind: "simulated",
        _simulated: Some(server),
    })
}
