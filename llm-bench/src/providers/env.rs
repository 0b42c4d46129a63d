//! Each vendor's usual environment variables, read into a [`Client`]: the rules are here,
//! the variables in each provider's folder ([`Api::env`]; the table of the
//! [`providers`](super) module lists them).
//!
//! `LLM_BENCH_PROVIDER` selects the provider (default: OpenAI-compatible; `generic` reads
//! its spec from the file `LLM_BENCH_GENERIC_SPEC`). A provider counts as configured only
//! when its **endpoint** variable is set (a base URL, an Azure endpoint, `OLLAMA_HOST`): a
//! key alone never is, so a benchmark never spends money by accident. `LLM_BENCH_BASE_URL`,
//! when set, is the endpoint of any provider (it wins over the vendor's variable), and the
//! only one of a provider that declares none (TGI, generic).
//!
//! `LLM_BENCH_MODEL` is the default model of every provider.
//!
//! TLS, for every real endpoint: `LLM_BENCH_CA_BUNDLE=<PEM file>` trusts that file's
//! certificates besides the built-in webpki roots ([`ClientBuilder::ca_bundle`]), and
//! `LLM_BENCH_TLS_INSECURE=1` (or `true`, `yes`; `0`, `false`, `no` are off) turns
//! certificate verification off ([`ClientBuilder::danger_accept_invalid_certs`]); the
//! harness then warns on every run ([`insecure_warning`]). `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` are not read: which certificates a benchmark trusts does not depend on
//! variables other programs set.
//!
//! [`ClientBuilder::ca_bundle`]: super::ClientBuilder::ca_bundle
//! [`ClientBuilder::danger_accept_invalid_certs`]: super::ClientBuilder::danger_accept_invalid_certs
//!
//! A scenario may name its own provider (`#[llm_bench(provider = "anthropic")]`): its
//! endpoint is read with [`endpoint_for_provider`], from that vendor's variables;
//! `LLM_BENCH_BASE_URL` counts for it only when `LLM_BENCH_PROVIDER` selects the same
//! provider (so a TGI scenario measures a real server with `LLM_BENCH_PROVIDER=tgi` and
//! `LLM_BENCH_BASE_URL`, and an OpenAI-compatible base URL is never sent Anthropic requests).

use std::path::PathBuf;

use super::client::Client;
use super::generic;
use super::provider::Provider;
use super::secret::ApiKey;
use crate::error::{Error, Result};

/// What the environment says about the endpoint to measure.
#[derive(Debug)]
pub(crate) struct EnvEndpoint {
    /// The provider `LLM_BENCH_PROVIDER` selected.
    pub(crate) provider: Provider,
    /// The client, when the provider's endpoint variable is set; `None` otherwise.
    pub(crate) client: Option<Client>,
    /// The variable that sets the endpoint of this provider (for messages).
    pub(crate) endpoint_var: &'static str,
    /// The key variable that is set, if any (its name, never its value); read by the
    /// announcement of the simulated endpoint.
    #[cfg_attr(not(feature = "simulated"), allow(dead_code))]
    pub(crate) key_var: Option<&'static str>,
    /// `LLM_BENCH_TLS_INSECURE` turned certificate verification off for the client.
    pub(crate) tls_insecure: bool,
}

/// The variable naming a PEM file of CA certificates to trust besides the webpki roots.
pub(crate) const CA_BUNDLE_VAR: &str = "LLM_BENCH_CA_BUNDLE";
/// The variable that turns certificate verification off.
pub(crate) const TLS_INSECURE_VAR: &str = "LLM_BENCH_TLS_INSECURE";

/// What the environment says about TLS.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct EnvTls {
    /// `LLM_BENCH_CA_BUNDLE`, as given (a relative path is from the working directory).
    pub(crate) ca_bundle: Option<PathBuf>,
    /// `LLM_BENCH_TLS_INSECURE` is on.
    pub(crate) insecure: bool,
}

/// Reads `LLM_BENCH_CA_BUNDLE` and `LLM_BENCH_TLS_INSECURE`; a value of the latter other
/// than `1`/`true`/`yes` or `0`/`false`/`no` (any case) is an error naming both.
pub(crate) fn tls_from(var: Lookup<'_>) -> Result<EnvTls> {
    let insecure = match var(TLS_INSECURE_VAR) {
        None => false,
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "" | "0" | "false" | "no" => false,
            "1" | "true" | "yes" => true,
            _ => {
                return Err(Error::Config(format!(
                    "{TLS_INSECURE_VAR}: `{}` is not a yes/no value; set it to 1 (or true, yes) to turn TLS certificate verification off, or unset it",
                    v.chars().take(40).collect::<String>()
                )))
            }
        },
    };
    let ca_bundle = var(CA_BUNDLE_VAR)
        .filter(|p| !p.trim().is_empty())
        .map(PathBuf::from);
    Ok(EnvTls {
        ca_bundle,
        insecure,
    })
}

/// The warning every run prints for an `https` endpoint at `host` (`host:port`, or a host
/// whose port is 443) whose certificate is not checked.
pub(crate) fn insecure_warning(host: &str) -> String {
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    let host = if has_port {
        host.to_string()
    } else {
        format!("{host}:443")
    };
    format!(
        "warning: TLS certificate verification is off for {host} ({TLS_INSECURE_VAR}=1): anyone on the path can read and change this traffic, including your API key"
    )
}

/// Where variables come from: the process environment, or a map in tests.
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A non-empty process environment variable, trimmed.
fn process_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The first of `names` that is set, with its value.
pub(crate) fn first(var: Lookup<'_>, names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|n| var(n).map(|v| (*n, v)))
}

/// The provider `LLM_BENCH_PROVIDER` names (default: OpenAI-compatible).
fn provider_from(var: Lookup<'_>) -> Result<Provider> {
    let Some(name) = var("LLM_BENCH_PROVIDER") else {
        return Ok(Provider::OpenAiChat);
    };
    if name.eq_ignore_ascii_case(generic::NAME) {
        return generic::from_env(var);
    }
    Provider::from_name(&name).map_err(|e| match e {
        Error::Config(m) => Error::Config(format!("LLM_BENCH_PROVIDER: {m}")),
        other => other,
    })
}

/// Reads the endpoint the environment describes (see the [module documentation](self)).
pub(crate) fn endpoint_from_env() -> Result<EnvEndpoint> {
    endpoint_from(&process_var)
}

/// Reads the endpoint of `provider` from its vendor's variables (see the
/// [module documentation](self)), whatever `LLM_BENCH_PROVIDER` selects.
pub(crate) fn endpoint_for_provider(provider: Provider) -> Result<EnvEndpoint> {
    endpoint_of(provider, &process_var)
}

/// [`endpoint_for_provider`] with variables from `var`.
fn endpoint_of(provider: Provider, var: Lookup<'_>) -> Result<EnvEndpoint> {
    let selected = provider_from(var)?;
    let generic_url_applies = selected == provider;
    endpoint_with(provider, generic_url_applies, var)
}

/// [`endpoint_from_env`] with variables from `var`.
fn endpoint_from(var: Lookup<'_>) -> Result<EnvEndpoint> {
    let provider = provider_from(var)?;
    endpoint_with(provider, true, var)
}

/// The endpoint of `provider`; `LLM_BENCH_BASE_URL` counts only when `generic_url_applies`.
fn endpoint_with(
    provider: Provider,
    generic_url_applies: bool,
    var: Lookup<'_>,
) -> Result<EnvEndpoint> {
    let api = provider.api();
    let vars = api.env();
    let endpoint_var = vars
        .endpoint
        .first()
        .copied()
        .unwrap_or("LLM_BENCH_BASE_URL");
    let key = first(var, vars.key);
    let key_var = key.as_ref().map(|(n, _)| *n);
    let generic_url = if generic_url_applies {
        first(var, &["LLM_BENCH_BASE_URL"])
    } else {
        None
    };
    let endpoint = generic_url.or_else(|| first(var, vars.endpoint));
    let tls = tls_from(var)?;
    let Some((found_var, raw)) = endpoint else {
        return Ok(EnvEndpoint {
            provider,
            client: None,
            endpoint_var,
            key_var,
            tls_insecure: false,
        });
    };
    let base = api.env_base_url(found_var, raw);
    let mut builder = Client::builder().provider(provider.clone()).base_url(base);
    if let Some((_, k)) = key {
        builder = builder.api_key(ApiKey::new(k));
    }
    if let Some(model) = var("LLM_BENCH_MODEL") {
        builder = builder.model(model);
    }
    builder = api.env_settings(var, builder);
    if let Some(path) = &tls.ca_bundle {
        builder = builder.ca_bundle(path);
    }
    builder = builder.danger_accept_invalid_certs(tls.insecure);
    // A CA bundle's error names its file: it is the bundle variable's, not the endpoint's.
    let bundle = tls.ca_bundle.as_ref().map(|p| format!("`{}`", p.display()));
    let client = builder.build().map_err(|e| match e {
        Error::Config(m) if bundle.as_ref().is_some_and(|b| m.contains(b.as_str())) => {
            Error::Config(format!("{CA_BUNDLE_VAR}: {m}"))
        }
        Error::Config(m) => Error::Config(format!("{found_var}: {m}")),
        other => other,
    })?;
    Ok(EnvEndpoint {
        provider,
        client: Some(client),
        endpoint_var: found_var,
        key_var,
        tls_insecure: tls.insecure,
    })
}

impl Client {
    /// The client the environment configures, or `None` when the selected provider's
    /// endpoint variable is unset (even if a key is set: a key alone never selects a real
    /// endpoint).
    ///
    /// `LLM_BENCH_PROVIDER` selects the provider (default: OpenAI-compatible; `generic`
    /// reads its spec from the file `LLM_BENCH_GENERIC_SPEC`). The provider's endpoint and
    /// key variables (see the table of [`Provider`](crate::Provider)) give the base URL and the key;
    /// `LLM_BENCH_BASE_URL`, when set, wins over the endpoint variable. `LLM_BENCH_MODEL`
    /// is the default model. `LLM_BENCH_CA_BUNDLE` and `LLM_BENCH_TLS_INSECURE` set its
    /// TLS ([`ClientBuilder::ca_bundle`](super::ClientBuilder::ca_bundle),
    /// [`danger_accept_invalid_certs`](super::ClientBuilder::danger_accept_invalid_certs));
    /// the harness warns about the latter on every run, this function does not.
    ///
    /// ```no_run
    /// // ANTHROPIC_BASE_URL=https://api.anthropic.com ANTHROPIC_API_KEY=... LLM_BENCH_PROVIDER=anthropic
    /// let client = llm_bench::Client::from_env()?;
    /// # Ok::<(), llm_bench::Error>(())
    /// ```
    pub fn from_env() -> Result<Option<Client>> {
        endpoint_from_env().map(|e| e.client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(vars: &[(&str, &str)]) -> Result<EnvEndpoint> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        endpoint_from(&move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn a_key_without_an_endpoint_never_selects_a_real_endpoint() {
        let cases: [&[(&str, &str)]; 5] = [
            &[("OPENAI_API_KEY", "sk-1")],
            &[
                ("LLM_BENCH_PROVIDER", "anthropic"),
                ("ANTHROPIC_API_KEY", "sk-ant"),
                ("OPENAI_BASE_URL", "https://api.openai.com/v1"),
            ],
            &[("LLM_BENCH_PROVIDER", "gemini"), ("GOOGLE_API_KEY", "g")],
            &[
                ("LLM_BENCH_PROVIDER", "azure"),
                ("AZURE_OPENAI_API_KEY", "a"),
                ("AZURE_OPENAI_DEPLOYMENT", "d"),
            ],
            &[("LLM_BENCH_PROVIDER", "cohere"), ("CO_API_KEY", "c")],
        ];
        for vars in cases {
            let e = resolve(vars).unwrap();
            assert!(e.client.is_none(), "{vars:?}");
            assert!(e.key_var.is_some(), "{vars:?}");
        }
        let e = resolve(&[("LLM_BENCH_PROVIDER", "gemini")]).unwrap();
        assert_eq!((e.endpoint_var, e.key_var), ("GEMINI_BASE_URL", None));
    }

    fn resolve_for(provider: Provider, vars: &[(&str, &str)]) -> Result<EnvEndpoint> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        endpoint_of(provider, &move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn a_scenario_s_provider_reads_its_own_vendor_s_variables() {
        let vars = [
            ("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
            ("LLM_BENCH_BASE_URL", "http://127.0.0.1:9000/v1"),
            ("ANTHROPIC_API_KEY", "sk-ant"),
        ];
        // The default provider (OpenAI-compatible) takes LLM_BENCH_BASE_URL first.
        let e = resolve(&vars).unwrap();
        assert_eq!(e.client.unwrap().host(), "127.0.0.1:9000");
        // An Anthropic scenario: no ANTHROPIC_BASE_URL, so no real endpoint, whatever the
        // OpenAI variables or LLM_BENCH_BASE_URL say.
        let e = resolve_for(Provider::Anthropic, &vars).unwrap();
        assert!(e.client.is_none());
        assert_eq!(
            (e.endpoint_var, e.key_var),
            ("ANTHROPIC_BASE_URL", Some("ANTHROPIC_API_KEY"))
        );
        let mut with_url = vars.to_vec();
        with_url.push(("ANTHROPIC_BASE_URL", "http://127.0.0.1:7000"));
        let c = resolve_for(Provider::Anthropic, &with_url)
            .unwrap()
            .client
            .unwrap();
        assert_eq!(
            (c.provider(), c.host()),
            (&Provider::Anthropic, "127.0.0.1:7000")
        );
        // LLM_BENCH_BASE_URL counts for a scenario's provider when LLM_BENCH_PROVIDER
        // selects the same one.
        let tgi = [
            ("LLM_BENCH_PROVIDER", "tgi"),
            ("LLM_BENCH_BASE_URL", "http://127.0.0.1:8080"),
        ];
        assert!(resolve_for(Provider::Tgi, &tgi).unwrap().client.is_some());
        assert!(resolve_for(Provider::Tgi, &tgi[1..])
            .unwrap()
            .client
            .is_none());
        // And the OpenAI scenario of a run whose default is TGI does not take it.
        assert!(resolve_for(Provider::OpenAiChat, &tgi)
            .unwrap()
            .client
            .is_none());
    }

    #[test]
    fn each_vendor_s_variables_configure_its_client() {
        let e = resolve(&[
            ("LLM_BENCH_PROVIDER", "Azure"),
            ("AZURE_OPENAI_ENDPOINT", "https://r.openai.azure.com"),
            ("AZURE_OPENAI_API_KEY", "secret-a"),
            ("AZURE_OPENAI_DEPLOYMENT", "dep"),
            ("OPENAI_API_VERSION", "2025-01-01-preview"),
        ])
        .unwrap();
        let c = e.client.unwrap();
        assert_eq!(c.provider(), &Provider::AzureOpenAi);
        assert_eq!(c.host(), "r.openai.azure.com");
        assert!(!format!("{c:?}").contains("secret-a"));
        let e = resolve(&[
            ("LLM_BENCH_PROVIDER", "gemini"),
            (
                "GOOGLE_GEMINI_BASE_URL",
                "https://generativelanguage.googleapis.com",
            ),
            ("GOOGLE_API_KEY", "g"),
            ("LLM_BENCH_MODEL", "gemini-2.5-flash"),
        ])
        .unwrap();
        assert_eq!(e.key_var, Some("GOOGLE_API_KEY"));
        assert_eq!(e.client.unwrap().model(), Some("gemini-2.5-flash"));
        let e = resolve(&[("LLM_BENCH_PROVIDER", "ollama"), ("OLLAMA_HOST", "0.0.0.0")]).unwrap();
        assert_eq!(e.client.unwrap().host(), "127.0.0.1:11434");
        let e = resolve(&[
            ("LLM_BENCH_PROVIDER", "tgi"),
            ("LLM_BENCH_BASE_URL", "http://tgi.local:8080"),
        ])
        .unwrap();
        assert_eq!(e.client.unwrap().host(), "tgi.local:8080");
        let e = resolve(&[("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")]).unwrap();
        assert_eq!(e.client.unwrap().provider().name(), "openai_compatible");
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let err = resolve(&[("LLM_BENCH_PROVIDER", "bedrock")]).unwrap_err();
        assert!(err.to_string().contains("LLM_BENCH_PROVIDER"), "{err}");
        let err = resolve(&[("LLM_BENCH_PROVIDER", "generic")]).unwrap_err();
        assert!(err.to_string().contains("LLM_BENCH_GENERIC_SPEC"), "{err}");
        let err =
            resolve(&[("ANTHROPIC_BASE_URL", "x"), ("OPENAI_BASE_URL", "ftp://h")]).unwrap_err();
        assert!(err.to_string().contains("OPENAI_BASE_URL"), "{err}");
    }

    fn tls(vars: &[(&str, &str)]) -> Result<EnvTls> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tls_from(&move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn tls_variables_are_read_strictly() {
        assert_eq!(tls(&[]).unwrap(), EnvTls::default());
        for on in ["1", "true", "YES", " yes "] {
            assert!(
                tls(&[("LLM_BENCH_TLS_INSECURE", on)]).unwrap().insecure,
                "{on}"
            );
        }
        for off in ["0", "false", "No"] {
            assert!(
                !tls(&[("LLM_BENCH_TLS_INSECURE", off)]).unwrap().insecure,
                "{off}"
            );
        }
        for bad in ["2", "on", "ture"] {
            let err = tls(&[("LLM_BENCH_TLS_INSECURE", bad)]).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{err:?}");
            let msg = err.to_string();
            assert!(
                msg.contains("LLM_BENCH_TLS_INSECURE") && msg.contains(&format!("`{bad}`")),
                "{msg}"
            );
        }
        let e = tls(&[("LLM_BENCH_CA_BUNDLE", "certs/internal-ca.pem")]).unwrap();
        assert_eq!(e.ca_bundle, Some(PathBuf::from("certs/internal-ca.pem")));
        assert!(!e.insecure);
    }

    #[test]
    fn tls_variables_reach_the_client() {
        let url = ("OPENAI_BASE_URL", "https://10.0.0.7:8443/v1");
        let e = resolve(&[url, ("LLM_BENCH_TLS_INSECURE", "1")]).unwrap();
        assert!(e.tls_insecure && e.client.is_some());
        assert!(!resolve(&[url]).unwrap().tls_insecure);
        // A bad value fails even before an endpoint is configured.
        assert!(resolve(&[("LLM_BENCH_TLS_INSECURE", "maybe")]).is_err());
        let err = resolve(&[url, ("LLM_BENCH_CA_BUNDLE", "/nonexistent/ca.pem")]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("LLM_BENCH_CA_BUNDLE: could not read")
                && msg.contains("`/nonexistent/ca.pem`"),
            "{msg}"
        );
    }

    #[test]
    fn the_insecure_warning_names_host_and_port() {
        assert_eq!(
            insecure_warning("api.example.com"),
            "warning: TLS certificate verification is off for api.example.com:443 (LLM_BENCH_TLS_INSECURE=1): anyone on the path can read and change this traffic, including your API key"
        );
        assert!(insecure_warning("10.0.0.7:8443").contains("off for 10.0.0.7:8443 ("));
        assert!(insecure_warning("[::1]").contains("off for [::1]:443 ("));
    }

    #[test]
    fn every_named_provider_has_variables() {
        // every name the attribute accepts, and two aliases
        let names = crate::rules::names::PROVIDER_NAMES.iter().copied();
        for name in names.chain(["responses", "completions"]) {
            let p = Provider::from_name(name).unwrap();
            let v = p.api().env();
            assert!(!v.key.is_empty(), "{name}");
        }
        assert!(Provider::from_name("bedrock").is_err());
    }
}
