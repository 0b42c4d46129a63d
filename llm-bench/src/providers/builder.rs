//! [`ClientBuilder`]: the settings of one [`Client`], checked once when it is built.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Url;

use super::transport::{TlsConfig, TlsOptions, Transport};

use super::api::{Base, Settings};
use super::client::Client;
use super::placeholders::interpolate;
use super::provider::Provider;
use super::redact::{host_label, redact_url};
use super::secret::ApiKey;
use crate::error::{Error, Result};

/// Builds a [`Client`]. Every setting but the base URL is optional.
#[derive(Clone, Default)]
#[must_use = "a builder does nothing until `.build()` is called"]
pub struct ClientBuilder {
    provider: Provider,
    base_url: Option<String>,
    api_key: Option<ApiKey>,
    model: Option<String>,
    headers: BTreeMap<String, String>,
    secret_headers: BTreeMap<String, ApiKey>,
    api_version: Option<String>,
    deployment: Option<String>,
    anthropic_version: Option<String>,
    connect_timeout: Option<Duration>,
    max_retries: u32,
    tls: TlsOptions,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("provider", &self.provider.name())
            .field("api_key", &self.api_key)
            .field("model", &self.model)
            .field("ca_bundle", &self.tls.ca_bundle)
            .field("accept_invalid_certs", &self.tls.accept_invalid_certs)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API to speak (default: [`Provider::OpenAiChat`]).
    pub fn provider(mut self, provider: Provider) -> Self {
        self.provider = provider;
        self
    }

    /// The endpoint's base URL: up to `/v1` for the OpenAI APIs (`https://api.openai.com/v1`),
    /// the resource endpoint for Azure (`https://my-resource.openai.azure.com`), the host
    /// for Anthropic (`https://api.anthropic.com`), Gemini
    /// (`https://generativelanguage.googleapis.com`), Cohere (`https://api.cohere.com`),
    /// Ollama (`http://localhost:11434`) and TGI; the whole request URL for a generic
    /// provider (it may contain `{{model}}`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The key, sent the provider's way (see the table of [`Provider`](crate::Provider)).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.api_key = Some(key);
        self
    }

    /// The model used when neither the request nor the scenario names one.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// An extra request header (e.g. `OpenAI-Organization`, `anthropic-beta`). Its value is
    /// shown nowhere but is not treated as a secret: use [`secret_header`](Self::secret_header)
    /// for credentials.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// An extra request header that carries a credential (a gateway key, say): redacted in
    /// `Debug`, and scrubbed from error messages like the API key.
    pub fn secret_header(mut self, name: impl Into<String>, value: ApiKey) -> Self {
        self.secret_headers.insert(name.into(), value);
        self
    }

    /// Azure OpenAI: the `api-version` of deployment URLs (default `2024-10-21`, the latest
    /// GA version of the data-plane API when this was written).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Azure OpenAI: the deployment name. Without it, the client uses Azure's v1 API
    /// (`/openai/v1/chat/completions`, the model in the body).
    pub fn deployment(mut self, deployment: impl Into<String>) -> Self {
        self.deployment = Some(deployment.into());
        self
    }

    /// Anthropic: the `anthropic-version` header (default `2023-06-01`).
    pub fn anthropic_version(mut self, version: impl Into<String>) -> Self {
        self.anthropic_version = Some(version.into());
        self
    }

    /// Time limit for opening a connection (default 10 s); a connection not made in time
    /// fails the request as `connect_timeout`.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Retries a request at most `max` times (default 0: no retries) when an attempt fails
    /// before any output with HTTP 429, 500, 502, 503, 504 or 529, or cannot connect
    /// (refused, DNS, TLS). Any other status, a timeout, and any failure after the first
    /// output event are final. Before a retry the client waits for the server's
    /// `Retry-After` (or `retry-after-ms`) when it sends one, else a jittered exponential
    /// backoff from 500 ms; at most 30 s either way. When the retries are spent, the last
    /// error is returned.
    ///
    /// The failed attempts and the waits are not latency: TTFT and E2E count from the start
    /// of the attempt that succeeded, and the request's sample records how many retries it
    /// took and how long they took (`retries`, `retry_ns`). Each attempt has its own phase
    /// time limits; the scenario's `timeout` bounds them all.
    ///
    /// ```
    /// use llm_bench::Client;
    /// let client = Client::builder().base_url("http://127.0.0.1:8000/v1").retries(3).build()?;
    /// # Ok::<(), llm_bench::Error>(())
    /// ```
    pub fn retries(mut self, max: u32) -> Self {
        self.max_retries = max;
        self
    }

    /// Trusts the certificates of the PEM file at `path` (one or more
    /// `-----BEGIN CERTIFICATE-----` blocks; other blocks are skipped) **in addition to** the
    /// built-in webpki roots, as reqwest's `add_root_certificate` and curl's `--cacert` do:
    /// for endpoints whose certificate a private CA signed. Certificate verification stays
    /// on. A later call replaces the file. The file is read by [`build`](Self::build): a
    /// missing or unreadable file, or one without a certificate, is an
    /// [`Error::Config`] naming it. The harness's `LLM_BENCH_CA_BUNDLE` sets it.
    ///
    /// ```
    /// use llm_bench::{Client, Error};
    /// let err = Client::builder()
    ///     .base_url("https://llm.internal.example/v1")
    ///     .ca_bundle("/nonexistent/internal-ca.pem")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(&err, Error::Config(m) if m.contains("/nonexistent/internal-ca.pem")));
    /// ```
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_bundle = Some(path.into());
        self
    }

    /// Turns certificate verification off when `accept` is true (default: false): any
    /// certificate is accepted, for any host name, expired or self-signed. The handshake's
    /// signatures are still checked, but anyone on the path can pose as the server, read
    /// the traffic (your API key included) and change it. Only for self-signed test or
    /// in-cluster endpoints; prefer [`ca_bundle`](Self::ca_bundle). The harness's
    /// `LLM_BENCH_TLS_INSECURE=1` sets it and warns on every run.
    ///
    /// ```
    /// use llm_bench::Client;
    /// let client = Client::builder()
    ///     .base_url("https://10.0.0.7:8443/v1")
    ///     .danger_accept_invalid_certs(true)
    ///     .build()?;
    /// # Ok::<(), llm_bench::Error>(())
    /// ```
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.tls.accept_invalid_certs = accept;
        self
    }

    /// Builds the client; fails on a missing or unusable base URL, header or CA bundle.
    pub fn build(self) -> Result<Client> {
        let raw = self.base_url.ok_or_else(|| {
            Error::Config(format!(
                "the {} client needs a base URL",
                self.provider.name()
            ))
        })?;
        let raw = raw.trim().to_string();
        // Placeholders (generic URLs) are checked with a stand-in value.
        let checked = interpolate(&raw, |_| Some("model".into()));
        let base = Url::parse(&checked).map_err(|e| {
            Error::Config(format!("base URL `{}` is not a URL: {e}", redact_url(&raw)))
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL `{}` must start with http:// or https://",
                redact_url(&raw)
            )));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(Error::Config(format!(
                "base URL `{}` carries credentials; pass the key with `api_key` instead",
                redact_url(&raw)
            )));
        }
        if base
            .query_pairs()
            .any(|(k, _)| matches!(k.as_ref(), "key" | "api_key" | "api-key" | "apikey"))
        {
            return Err(Error::Config(format!(
                "base URL `{}` carries a key in its query; pass it with `api_key` instead (it is sent in a header)",
                redact_url(&raw)
            )));
        }
        let host = host_label(&base);
        let settings = Settings {
            deployment: self.deployment.filter(|d| !d.trim().is_empty()),
            api_version: self.api_version.filter(|v| !v.trim().is_empty()),
            anthropic_version: self.anthropic_version,
        };
        let url_template = self.provider.api().url(&Base::new(&raw, &base), &settings);
        for (name, value) in &self.headers {
            check_header(name, Some(value))?;
        }
        for name in self.secret_headers.keys() {
            check_header(name, None)?;
        }
        let connect_timeout = self
            .connect_timeout
            .unwrap_or(crate::limits::PhaseLimits::DEFAULT.connect);
        let tls = TlsConfig::new(&self.tls).map_err(|e| Error::Config(e.to_string()))?;
        let http = transport(connect_timeout, &tls)?;
        Ok(Client {
            http,
            provider: self.provider,
            base_url: base.as_str().trim_end_matches('/').to_string(),
            url_template,
            host,
            api_key: self.api_key,
            model: self.model.filter(|m| !m.trim().is_empty()),
            headers: self.headers,
            secret_headers: self.secret_headers,
            settings,
            connect_timeout,
            retry: super::retry::RetryPolicy::new(self.max_retries),
            rate_limits: None,
        })
    }
}

/// The HTTP client under every [`Client`]: no redirects (a key header never goes to another
/// host), no Nagle delay, every read stamped where it arrives.
fn transport(connect_timeout: Duration, tls: &TlsConfig) -> Result<Transport> {
    Transport::new(connect_timeout, tls)
        .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))
}

/// Checks a header name, and its value when it is known here (a secret header's is checked
/// when it is sent).
fn check_header(name: &str, value: Option<&str>) -> Result<()> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::Config(format!(
            "`{}` is not a valid header name",
            name.chars().take(40).collect::<String>()
        ))
    })?;
    if let Some(value) = value {
        HeaderValue::from_str(value)
            .map_err(|_| Error::Config(format!("the value of header `{name}` is not valid")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_is_kept_without_its_trailing_slash() {
        let c = Client::builder()
            .base_url("https://example.invalid/openai/v1/")
            .build()
            .unwrap();
        assert_eq!(c.host(), "example.invalid");
        assert_eq!(c.base_url(), "https://example.invalid/openai/v1");
    }

    #[test]
    fn bad_urls_are_config_errors_without_credentials() {
        let err = Client::builder()
            .base_url("ftp://user:hunter2@example.invalid/v1")
            .build()
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("http://"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let err = Client::builder()
            .base_url("not a url?key=hunter2")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn credentials_in_the_url_are_refused() {
        let err = Client::builder()
            .base_url("https://user:hunter2@example.invalid/v1")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("carries credentials"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn keys_in_the_url_are_refused() {
        for base in [
            "https://user:hunter2@example.invalid/v1",
            "https://example.invalid/v1beta?key=hunter2",
        ] {
            let err = Client::builder().base_url(base).build().unwrap_err();
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
