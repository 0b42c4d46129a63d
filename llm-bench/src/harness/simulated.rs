//! The built-in simulated endpoint as a run's stand-in for every provider with no endpoint
//! configured (feature `simulated`): starting it, a client of each provider for it, and the
//! one line that announces it.

use super::endpoint::{describe, Endpoint, SIMULATED_KIND};
use crate::error::{Error, Result};
use crate::mock::{Dialect, LatencyProfile, MockServer};
use crate::providers::env::EnvEndpoint;
use crate::providers::{Client, Provider};

/// The model name the simulated endpoint answers to when nothing else is configured.
pub(crate) const SIMULATED_MODEL: &str = "llm-bench-mock";

/// The Azure deployment and API version clients of the simulated endpoint use.
const SIMULATED_AZURE_DEPLOYMENT: &str = "llm-bench-mock";
const SIMULATED_AZURE_API_VERSION: &str = "2024-10-21";

/// Starts the simulated endpoint with the profile of `LLM_BENCH_MOCK_PROFILE`.
pub(crate) async fn start_simulated() -> Result<MockServer> {
    let profile = LatencyProfile::from_env()
        .map_err(|e| Error::Config(format!("LLM_BENCH_MOCK_PROFILE: {e}")))?
        .unwrap_or_default();
    MockServer::start(profile)
        .await
        .map_err(|e| Error::io("could not start the built-in simulated endpoint", e))
}

/// What the announcement of the simulated endpoint says about one provider it stands in for.
pub(crate) struct SimulatedNote {
    /// The provider's name for messages.
    describe: &'static str,
    /// The variable that would select a real endpoint.
    endpoint_var: &'static str,
    /// The key variable that is set, if any.
    key_var: Option<&'static str>,
    /// The simulated endpoint speaks the provider's API (else OpenAI Chat stands in).
    speaks: bool,
    /// The base URL the provider's client was given.
    url: String,
}

/// The one line that says the simulated endpoint is used, for which providers, and which
/// variables would select real ones.
pub(crate) fn announce_simulated(notes: &[SimulatedNote], url: &str) -> String {
    let mut line = match notes {
        [one] => {
            let speaking = if one.describe == describe(&Provider::OpenAiChat) {
                String::new()
            } else {
                format!(", speaking {}", one.describe)
            };
            format!(
                "llm-bench: no endpoint configured; using the built-in simulated endpoint at {}{speaking}",
                one.url
            )
        }
        _ => format!(
            "llm-bench: no endpoint configured for {}; the built-in simulated endpoint at {url} answers them all",
            notes.iter().map(|n| n.describe).collect::<Vec<_>>().join(", ")
        ),
    };
    let mut vars: Vec<&str> = Vec::new();
    for n in notes {
        if !vars.contains(&n.endpoint_var) {
            vars.push(n.endpoint_var);
        }
    }
    let keys: Vec<&str> = notes.iter().filter_map(|n| n.key_var).collect();
    let vars = vars.join(", ");
    line.push_str(&match keys.as_slice() {
        [] if notes.len() == 1 => format!(" (set {vars} to measure a real one)"),
        [] => format!(" (set {vars} to measure real ones)"),
        [key] if notes.len() == 1 => {
            format!(" ({key} is set but {vars} is not: set {vars} to measure a real one)")
        }
        _ => format!(
            " ({} set, but not {vars}: set the endpoint variable to measure a real one)",
            keys.join(", ")
        ),
    });
    for n in notes.iter().filter(|n| !n.speaks) {
        line.push_str(&format!(
            "; it does not speak {}, so its requests use OpenAI Chat Completions",
            n.describe
        ));
    }
    line
}

/// The variable through which a bench binary running as the worker of another build
/// (`--compare-with`) is given the root URL of the leader's simulated endpoint, so both
/// builds measure the same server. Set by the leader only; not a user setting.
pub(crate) const WORKER_SIMULATED_ENV: &str = "LLM_BENCH_WORKER_SIMULATED_ROOT";

/// A client of `env.provider` for the simulated endpoint at `root` (e.g.
/// `http://127.0.0.1:41234`; OpenAI Chat for a provider the simulated endpoint does not
/// speak), with what the announcement says of it.
pub(crate) fn simulated_endpoint(
    root: &str,
    env: &EnvEndpoint,
) -> Result<(Endpoint, SimulatedNote)> {
    let model = std::env::var("LLM_BENCH_MODEL")
        .ok()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| SIMULATED_MODEL.to_string());
    let (provider, base_url, speaks) = match dialect_of(&env.provider) {
        Some(dialect) => (
            env.provider.clone(),
            format!("{root}{}", dialect.base_path()),
            true,
        ),
        None => (
            Provider::OpenAiChat,
            format!("{root}{}", Dialect::OpenAi.base_path()),
            false,
        ),
    };
    let mut builder = Client::builder()
        .provider(provider.clone())
        .base_url(base_url)
        .model(model);
    if provider == Provider::AzureOpenAi {
        builder = builder
            .deployment(SIMULATED_AZURE_DEPLOYMENT)
            .api_version(SIMULATED_AZURE_API_VERSION);
    }
    let client = builder.build()?;
    let note = SimulatedNote {
        describe: describe(&env.provider),
        endpoint_var: env.endpoint_var,
        key_var: env.key_var,
        speaks,
        url: client.base_url().to_string(),
    };
    let kind = if provider == Provider::OpenAiChat {
        SIMULATED_KIND.to_string()
    } else {
        format!("{SIMULATED_KIND}_{}", provider.name())
    };
    Ok((Endpoint { client, kind }, note))
}

/// The simulated endpoint's dialect of `provider`'s API; `None` for a provider it does
/// not speak ([`Provider::Generic`], whose URL is the whole request URL).
pub(crate) fn dialect_of(provider: &Provider) -> Option<Dialect> {
    match provider {
        Provider::OpenAiChat => Some(Dialect::OpenAi),
        Provider::OpenAiResponses => Some(Dialect::OpenAiResponses),
        Provider::OpenAiCompletions => Some(Dialect::OpenAiCompletions),
        Provider::AzureOpenAi => Some(Dialect::AzureOpenAi),
        Provider::Anthropic => Some(Dialect::Anthropic),
        Provider::Gemini => Some(Dialect::Gemini),
        Provider::CohereV2 => Some(Dialect::CohereV2),
        Provider::CohereV1 => Some(Dialect::CohereV1),
        Provider::Ollama => Some(Dialect::Ollama),
        Provider::Tgi => Some(Dialect::Tgi),
        Provider::Generic(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the announcement says of `provider` with these facts.
    fn note(provider: Provider, key_var: Option<&'static str>, speaks: bool) -> SimulatedNote {
        let endpoint_var = match provider {
            Provider::Anthropic => "ANTHROPIC_BASE_URL",
            Provider::Tgi => "LLM_BENCH_BASE_URL",
            _ => "OPENAI_BASE_URL",
        };
        SimulatedNote {
            describe: describe(&provider),
            endpoint_var,
            key_var,
            speaks,
            url: "http://127.0.0.1:9/v1".into(),
        }
    }

    #[test]
    fn one_line_announces_the_simulated_endpoint() {
        let openai = note(Provider::OpenAiChat, None, true);
        assert_eq!(
            announce_simulated(&[openai], "http://127.0.0.1:9"),
            "llm-bench: no endpoint configured; using the built-in simulated endpoint at \
             http://127.0.0.1:9/v1 (set OPENAI_BASE_URL to measure a real one)"
        );
        let keyed = note(Provider::Anthropic, Some("ANTHROPIC_API_KEY"), true);
        assert_eq!(
            announce_simulated(&[keyed], "http://127.0.0.1:9"),
            "llm-bench: no endpoint configured; using the built-in simulated endpoint at \
             http://127.0.0.1:9/v1, speaking Anthropic (ANTHROPIC_API_KEY is set but \
             ANTHROPIC_BASE_URL is not: set ANTHROPIC_BASE_URL to measure a real one)"
        );
        let several = [
            note(Provider::OpenAiChat, None, true),
            note(Provider::OpenAiResponses, None, true),
            note(Provider::Anthropic, Some("ANTHROPIC_API_KEY"), true),
            note(Provider::Tgi, None, false),
        ];
        assert_eq!(
            announce_simulated(&several, "http://127.0.0.1:9"),
            "llm-bench: no endpoint configured for OpenAI-compatible, OpenAI Responses, \
             Anthropic, TGI; the built-in simulated endpoint at http://127.0.0.1:9 answers them all \
             (ANTHROPIC_API_KEY set, but not OPENAI_BASE_URL, ANTHROPIC_BASE_URL, \
             LLM_BENCH_BASE_URL: set the endpoint variable to measure a real one); it does not \
             speak TGI, so its requests use OpenAI Chat Completions"
        );
    }
}
