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
//!
//! A real endpoint is announced on stdout; with `LLM_BENCH_TLS_INSECURE` on, an `https`
//! one also gets a warning on stderr, on every run.

#[cfg(feature = "simulated")]
use super::simulated::{
    announce_simulated, simulated_endpoint, start_simulated, SimulatedNote, WORKER_SIMULATED_ENV,
};
use crate::error::{Error, Result};
use crate::providers::env::{endpoint_for_provider, endpoint_from_env, insecure_warning};
use crate::providers::{Client, Provider};
use crate::scenario::Scenario;
use crate::store::EndpointInfo;

/// The endpoint kind stored for runs against the simulated endpoint speaking the
/// OpenAI-compatible API; other APIs add their provider's name (`simulated_anthropic`).
pub(crate) const SIMULATED_KIND: &str = "simulated";

/// The simulated endpoint, when the `simulated` feature built it; else a type with no
/// value, so that `Option<Simulated>` is always `None`.
#[cfg(feature = "simulated")]
type Simulated = crate::mock::MockServer;
#[cfg(not(feature = "simulated"))]
enum Simulated {}

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
    simulated: Option<Simulated>,
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
        #[cfg_attr(not(feature = "simulated"), allow(unused_mut))]
        let mut simulated: Option<Simulated> = None;
        #[cfg(feature = "simulated")]
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
                    // Every run, once per endpoint: an unverified endpoint is never silent.
                    if env.tls_insecure && client.base_url().starts_with("https:") {
                        eprintln!("{}", insecure_warning(client.host()));
                    }
                    Endpoint {
                        kind: client.provider().name().to_string(),
                        client,
                    }
                }
                #[cfg(feature = "simulated")]
                None => {
                    // A worker of another build measures its leader's simulated endpoint.
                    let root = match std::env::var(WORKER_SIMULATED_ENV) {
                        Ok(root) if !root.is_empty() => root,
                        _ => {
                            if simulated.is_none() {
                                simulated = Some(start_simulated().await?);
                            }
                            simulated
                                .as_ref()
                                .ok_or_else(|| {
                                    Error::Config("the simulated endpoint is gone".into())
                                })?
                                .root_url()
                        }
                    };
                    let (endpoint, note) = simulated_endpoint(&root, &env)?;
                    notes.push(note);
                    endpoint
                }
                #[cfg(not(feature = "simulated"))]
                None => {
                    return Err(Error::Config(format!(
                        "no endpoint is configured for the {} API, and llm-bench was built without its `simulated` feature (the built-in simulated endpoint): set {}",
                        describe(&provider),
                        env.endpoint_var
                    )))
                }
            };
            by_provider.push((provider, endpoint));
        }
        #[cfg(feature = "simulated")]
        if let Some(server) = &simulated {
            println!("{}", announce_simulated(&notes, &server.root_url()));
        }
        Ok(Endpoints {
            default,
            by_provider,
            simulated,
        })
    }

    /// The root URL of the simulated endpoint this run started, if it started one: what a
    /// worker of another build is pointed at (`--compare-with`).
    pub fn simulated_root(&self) -> Option<String> {
        #[cfg(feature = "simulated")]
        return self.simulated.as_ref().map(Simulated::root_url);
        #[cfg(not(feature = "simulated"))]
        return self.simulated.as_ref().map(|never| match *never {});
    }

    /// Requests the simulated endpoint received so far, when this run started one.
    pub fn simulated_requests(&self) -> Option<u64> {
        #[cfg(feature = "simulated")]
        return self.simulated.as_ref().map(Simulated::requests_received);
        #[cfg(not(feature = "simulated"))]
        return self.simulated.as_ref().map(|never| match *never {});
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

/// A provider's name for messages.
pub(crate) fn describe(provider: &Provider) -> &'static str {
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

#[cfg(all(test, feature = "simulated"))]
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
