//! Which endpoint each scenario measures: the one the environment configures for its
//! provider, or the built-in simulated endpoint started in-process, speaking that provider's
//! API.
//!
//! A scenario's provider is its attribute's `provider = "..."`, else the one
//! `LLM_BENCH_PROVIDER` selects (default: OpenAI-compatible), and each vendor's usual
//! variables configure it (see [`providers::env`](crate::providers::env)). The rule that
//! does not change: with no endpoint variable set for a provider, the simulated endpoint is
//! used, even when a key is set, so a benchmark never spends money by accident. One
//! simulated endpoint serves every provider of a run (it answers each API on its own paths).

use crate::error::{Error, Result};
use crate::mock::{Dialect, LatencyProfile, MockServer};
use crate::providers::env::{endpoint_for_provider, endpoint_from_env, EnvEndpoint};
use crate::providers::{Client, Provider};
use crate::scenario::Scenario;
use crate::store::EndpointInfo;

/// The model name the simulated endpoint answers to when nothing else is configured.
pub(crate) const SIMULATED_MODEL: &str = "llm-bench-mock";

/// The endpoint kind stored for runs against the simulated endpoint speaking the
/// OpenAI-compatible API; other APIs add their provider's name (`simulated_anthropic`).
const SIMULATED_KIND: &str = "simulated";

/// The Azure deployment and API version clients of the simulated endpoint use.
const SIMULATED_AZURE_DEPLOYMENT: &str = "llm-bench-mock";
const SIMULATED_AZURE_API_VERSION: &str = "2024-10-21";

/// The endpoint of one provider in a run.
pub(crate) struct Endpoint {
    pub client: Client,
    /// What stored runs record as the endpoint kind: the provider's name
    /// ([`Provider::name`]), or `simulated` / `simulated_<provider>`.
    pub kind: String,
}

impl Endpoint {
    /// True for the built-in simulated endpoint.
    pub fn is_simulated(&self) -> bool {
        self.kind.starts_with(SIMULATED_KIND)
    }

    /// What a stored run records about this endpoint for a scenario asking for `model`.
    pub fn info(&self, model: Option<&str>) -> EndpointInfo {
        EndpointInfo {
            kind: self.kind.clone(),
            host: self.client.host().to_string(),
            model: model.or(self.client.model()).map(str::to_string),
        }
    }
}

/// The endpoints of a run: one per provider its scenarios speak, resolved before anything
/// runs, and the simulated endpoint when one of them needs it (kept alive with the run).
pub(crate) struct Endpoints {
    /// The provider of scenarios that name none.
    default: Provider,
    by_provider: Vec<(Provider, Endpoint)>,
    simulated: Option<MockServer>,
}

impl Endpoints {
    /// Resolves the endpoint of every provider the `scenarios` speak, saying in one line
    /// each which real endpoint it is, and in one line for all which providers the
    /// simulated endpoint stands in for. Fails (before any request) on a bad variable.
    pub async fn resolve(scenarios: &[&'static Scenario]) -> Result<Endpoints> {
        let default_env = endpoint_from_env()?;
        let default = default_env.provider.clone();
        // Read once; it is the environment of the default provider's endpoint.
        let mut default_env = Some(default_env);
        let mut wanted: Vec<Provider> = Vec::new();
        for s in scenarios {
            let provider = provider_of(s, &default)?;
            if !wanted.contains(&provider) {
                wanted.push(provider);
            }
        }
        let mut simulated: Option<MockServer> = None;
        let mut notes: Vec<SimulatedNote> = Vec::new();
        let mut by_provider = Vec::new();
        for provider in wanted {
            let env = match default_env.take_if(|env| env.provider == provider) {
                Some(env) => env,
                None => endpoint_for_provider(provider.clone())?,
            };
            let endpoint = match env.client {
                Some(client) => {
                    println!(
                        "llm-bench: measuring the {} endpoint at {} ({})",
                        describe(client.provider()),
                        client.host(),
                        env.endpoint_var
                    );
                    Endpoint {
                        kind: client.provider().name().to_string(),
                        client,
                    }
                }
                None => {
                    if simulated.is_none() {
                        simulated = Some(start_simulated().await?);
                    }
                    let server = simulated
                        .as_ref()
                        .ok_or_else(|| Error::Config("the simulated endpoint is gone".into()))?;
                    let (endpoint, note) = simulated_endpoint(server, &env)?;
                    notes.push(note);
                    endpoint
                }
            };
            by_provider.push((provider, endpoint));
        }
        if let Some(server) = &simulated {
            println!("{}", announce_simulated(&notes, &server.root_url()));
        }
        Ok(Endpoints {
            default,
            by_provider,
            simulated,
        })
    }

    /// Requests the simulated endpoint received so far, when this run started one.
    pub fn simulated_requests(&self) -> Option<u64> {
        self.simulated.as_ref().map(MockServer::requests_received)
    }

    /// The endpoint `scenario` measures.
    pub fn for_scenario(&self, scenario: &Scenario) -> Result<&Endpoint> {
        let provider = provider_of(scenario, &self.default)?;
        self.by_provider
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, e)| e)
            .ok_or_else(|| {
                Error::Config(format!(
                    "no endpoint was resolved for scenario `{}` ({})",
                    scenario.id(),
                    provider.name()
                ))
            })
    }
}

/// The provider `scenario` speaks: its attribute's, else `default`.
fn provider_of(scenario: &Scenario, default: &Provider) -> Result<Provider> {
    match scenario.config.provider {
        None => Ok(default.clone()),
        Some(name) => Provider::from_name(name)
            .map_err(|e| Error::Config(format!("scenario `{}`: {e}", scenario.id()))),
    }
}

/// Starts the simulated endpoint with the profile of `LLM_BENCH_MOCK_PROFILE`.
async fn start_simulated() -> Result<MockServer> {
    let profile = LatencyProfile::from_env()
        .map_err(|e| Error::Config(format!("LLM_BENCH_MOCK_PROFILE: {e}")))?
        .unwrap_or_default();
    MockServer::start(profile)
        .await
        .map_err(|e| Error::io("could not start the built-in simulated endpoint", e))
}

/// What the announcement of the simulated endpoint says about one provider it stands in for.
struct SimulatedNote {
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
fn announce_simulated(notes: &[SimulatedNote], url: &str) -> String {
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

/// A client of `env.provider` for the simulated endpoint (OpenAI Chat for a provider the
/// simulated endpoint does not speak), with what the announcement says of it.
fn simulated_endpoint(server: &MockServer, env: &EnvEndpoint) -> Result<(Endpoint, SimulatedNote)> {
    let model = std::env::var("LLM_BENCH_MODEL")
        .ok()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| SIMULATED_MODEL.to_string());
    let (provider, base_url, speaks) = match dialect_of(&env.provider) {
        Some(dialect) => (
            env.provider.clone(),
            server.base_url_for_dialect(dialect),
            true,
        ),
        None => (Provider::OpenAiChat, server.base_url(), false),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScenarioConfig;
    use crate::ChatRequest;

    /// Every name the attribute's `provider` accepts (the rule the attribute checks).
    const ATTRIBUTE_PROVIDERS: &[&str] = crate::rules::names::PROVIDER_NAMES;

    fn scenario_speaking(provider: &'static str) -> &'static Scenario {
        fn run(_: &mut crate::Ctx) -> crate::scenario::ScenarioFuture<'_> {
            crate::scenario::into_scenario_future(async {})
        }
        Box::leak(Box::new(Scenario {
            name: provider,
            group: None,
            module_path: module_path!(),
            file: file!(),
            line: line!(),
            description: "",
            config: ScenarioConfig {
                provider: Some(provider),
                ..ScenarioConfig::default()
            },
            arg: None,
            arg_index: 0,
            setup: None,
            run,
        }))
    }

    /// With no vendor variable set, each scenario gets a client of its own provider for
    /// the one simulated endpoint, and a request through it succeeds.
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

    #[tokio::test]
    async fn each_scenario_speaks_its_provider_to_the_simulated_endpoint() {
        let configured = ATTRIBUTE_PROVIDERS.iter().any(|name| {
            let provider = Provider::from_name(name).expect("a provider name");
            endpoint_for_provider(provider).is_ok_and(|e| e.client.is_some())
        });
        if configured || std::env::var_os("LLM_BENCH_PROVIDER").is_some() {
            eprintln!("SKIPPED: a provider's endpoint variable is set in this environment");
            return;
        }
        let scenarios: Vec<&'static Scenario> = ATTRIBUTE_PROVIDERS
            .iter()
            .map(|name| scenario_speaking(name))
            .collect();
        let endpoints = Endpoints::resolve(&scenarios).await.unwrap();
        assert_eq!(endpoints.by_provider.len(), ATTRIBUTE_PROVIDERS.len());
        for s in &scenarios {
            let endpoint = endpoints.for_scenario(s).unwrap();
            let provider = Provider::from_name(s.name).unwrap();
            assert_eq!(endpoint.client.provider(), &provider, "{}", s.name);
            let expected_kind = match provider {
                Provider::OpenAiChat => "simulated".to_string(),
                ref p => format!("simulated_{}", p.name()),
            };
            assert_eq!(endpoint.kind, expected_kind);
            let (result, sample) = endpoint
                .client
                .measure(&ChatRequest::new("Say hi").max_tokens(3))
                .await;
            let done = result.unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert!(!done.text.is_empty(), "{}", s.name);
            assert!(sample.ttft_ns.is_some(), "{}", s.name);
        }
        // A scenario that names no provider speaks the default one (OpenAI-compatible).
        let plain: &'static Scenario = Box::leak(Box::new(Scenario {
            config: ScenarioConfig::default(),
            ..*scenario_speaking("openai")
        }));
        let openai = endpoints.for_scenario(scenario_speaking("openai")).unwrap();
        let default = endpoints.for_scenario(plain).unwrap();
        assert!(std::ptr::eq(openai, default));
        // Only the providers of the selected scenarios are resolved.
        let endpoints = Endpoints::resolve(&[plain]).await.unwrap();
        assert_eq!(endpoints.by_provider.len(), 1);
        assert!(endpoints.for_scenario(scenarios[4]).is_err());
    }
}
