//! The built-in streaming client, one [`Client`] per endpoint, for every supported
//! [`Provider`].
//!
//! A client builds the provider's documented request from a provider-neutral
//! [`ChatRequest`] (see [`body`]), sends it with the provider's auth, and reads
//! the stream through one loop for all providers: each read is timestamped as it arrives
//! (before any parsing), fed to the provider's parser ([`StreamParser`], or the generic
//! one), and every resulting [`Delta`] is recorded. A delta with an error ends the request
//! as [`Error::MidStream`]; a terminator event or a clean close ends it successfully.
//!
//! | provider | URL (after the base URL) | auth | framing |
//! |---|---|---|---|
//! | [`Provider::OpenAiChat`] | `/chat/completions` | `Authorization: Bearer` | SSE |
//! | [`Provider::OpenAiResponses`] | `/responses` | `Authorization: Bearer` | SSE |
//! | [`Provider::OpenAiCompletions`] | `/completions` | `Authorization: Bearer` | SSE |
//! | [`Provider::AzureOpenAi`] | `/openai/deployments/{deployment}/chat/completions?api-version=...`, or `/openai/v1/chat/completions` without a deployment | `api-key` | SSE |
//! | [`Provider::Anthropic`] | `/v1/messages` | `x-api-key`, `anthropic-version` | SSE |
//! | [`Provider::Gemini`] | `/v1beta/models/{model}:streamGenerateContent?alt=sse` | `x-goog-api-key` (never in the URL) | SSE |
//! | [`Provider::CohereV2`] | `/v2/chat` | `Authorization: Bearer` | SSE |
//! | [`Provider::CohereV1`] | `/v1/chat` | `Authorization: Bearer` | NDJSON |
//! | [`Provider::Ollama`] | `/api/chat` | `Authorization: Bearer` if a key is set | NDJSON |
//! | [`Provider::Tgi`] | `/generate_stream` | `Authorization: Bearer` if a key is set | SSE |
//! | [`Provider::Generic`] | the base URL is the whole URL | the spec's headers, else Bearer | SSE or NDJSON |
//!
//! Where a base URL already ends in the version segment (`.../v1` for Anthropic or Cohere
//! v1, `.../v2` for Cohere v2, `.../v1beta` for Gemini, `.../api` for Ollama,
//! `.../openai/v1` for Azure), it is not repeated.
//!
//! # Keys
//!
//! Keys are [`ApiKey`]s: `Debug` of a client shows `ApiKey(***)` and no header value. An
//! error body or an error event that echoes the key has it replaced with `***` before it
//! becomes an [`Error`]; errors name the endpoint by host only. Redirects are not followed,
//! so a key header is never sent to another host.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use quanta::Instant;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

use super::body;
use super::generic::{interpolate, GenericFraming, GenericParser, GenericSpec};
use super::openai::ChatRequest;
use super::secret::ApiKey;
use super::wire::{StreamParser, WireFormat};
use crate::delta::{Delta, Usage};
use crate::error::{Error, Result, TimeoutPhase};
use crate::limits::{PhaseLimits, Watchdog};
use crate::metrics::{Recorder, RequestSample};

/// How much of an error response body is kept in an [`Error::HttpStatus`].
const ERROR_BODY_LIMIT: usize = 512;

/// How much of an error body is read: enough past the kept part that a key starting inside
/// it is read whole, and scrubbed, before the body is cut.
const ERROR_BODY_READ_LIMIT: usize = ERROR_BODY_LIMIT + 4096;

/// The `anthropic-version` header sent unless the builder sets another.
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";

/// The Azure OpenAI `api-version` used on deployment URLs unless the builder (or
/// `OPENAI_API_VERSION`) sets another: the latest GA version of the data-plane API when
/// this was written.
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

/// What a streamed completion produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// The answer text (first choice).
    pub text: String,
    /// The reasoning text, for models that stream it.
    pub reasoning: String,
    /// Usage as the API reported it.
    pub usage: Option<Usage>,
    /// The finish reason of the first choice, if reported.
    pub finish_reason: Option<String>,
}

/// The API a [`Client`] speaks. See the [module documentation](self) for each one's URL,
/// auth and framing, and [`body`] for its request body.
///
/// ```
/// use llm_bench::providers::Provider;
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
        match self {
            Provider::OpenAiChat => "openai_compatible",
            Provider::OpenAiResponses => "openai_responses",
            Provider::OpenAiCompletions => "openai_completions",
            Provider::AzureOpenAi => "azure_openai",
            Provider::Anthropic => "anthropic",
            Provider::Gemini => "gemini",
            Provider::CohereV2 => "cohere_v2",
            Provider::CohereV1 => "cohere_v1",
            Provider::Ollama => "ollama",
            Provider::Tgi => "tgi",
            Provider::Generic(_) => "generic",
        }
    }

    /// The provider a name designates: `openai` (also `openai_chat`, `openai_compatible`),
    /// `openai_responses` (`responses`), `openai_completions` (`completions`), `azure`
    /// (`azure_openai`), `anthropic`, `gemini` (`google`), `cohere` (`cohere_v2`),
    /// `cohere_v1`, `ollama`, `tgi`. Case, `-` and `_` do not matter. `generic` needs a
    /// spec, so it is not accepted here.
    pub fn from_name(name: &str) -> Result<Provider> {
        let norm = name.trim().to_ascii_lowercase().replace('-', "_");
        Ok(match norm.as_str() {
            "" | "openai" | "openai_chat" | "openai_compatible" | "chat" => Provider::OpenAiChat,
            "openai_responses" | "responses" => Provider::OpenAiResponses,
            "openai_completions" | "completions" => Provider::OpenAiCompletions,
            "azure" | "azure_openai" => Provider::AzureOpenAi,
            "anthropic" => Provider::Anthropic,
            "gemini" | "google" | "google_gemini" => Provider::Gemini,
            "cohere" | "cohere_v2" => Provider::CohereV2,
            "cohere_v1" => Provider::CohereV1,
            "ollama" => Provider::Ollama,
            "tgi" => Provider::Tgi,
            _ => {
                return Err(Error::Config(format!(
                    "unknown provider `{}`: use openai, openai_responses, openai_completions, \
                     azure, anthropic, gemini, cohere, cohere_v1, ollama, tgi or generic",
                    name.chars().take(40).collect::<String>()
                )))
            }
        })
    }

    /// The wire format of the provider's stream; `None` for [`Provider::Generic`].
    pub fn wire_format(&self) -> Option<WireFormat> {
        Some(match self {
            Provider::OpenAiChat | Provider::AzureOpenAi => WireFormat::OpenAiChat,
            Provider::OpenAiResponses => WireFormat::OpenAiResponses,
            Provider::OpenAiCompletions => WireFormat::OpenAiCompletions,
            Provider::Anthropic => WireFormat::Anthropic,
            Provider::Gemini => WireFormat::GeminiSse,
            Provider::CohereV2 => WireFormat::CohereV2,
            Provider::CohereV1 => WireFormat::CohereV1,
            Provider::Ollama => WireFormat::OllamaChat,
            Provider::Tgi => WireFormat::Tgi,
            Provider::Generic(_) => return None,
        })
    }

    /// True when requests must name a model (in the request, the scenario or the client).
    fn needs_model(&self, azure_deployment: bool) -> bool {
        match self {
            Provider::Tgi | Provider::Generic(_) => false,
            Provider::AzureOpenAi => !azure_deployment,
            _ => true,
        }
    }
}

/// A streaming client for one endpoint of one [`Provider`].
///
/// ```
/// use llm_bench::providers::{ApiKey, Client, Provider};
/// let client = Client::builder()
///     .provider(Provider::Anthropic)
///     .base_url("https://api.anthropic.com")
///     .api_key(ApiKey::new("sk-ant-example"))
///     .model("claude-sonnet-4-5")
///     .build()?;
/// assert_eq!(client.host(), "api.anthropic.com");
/// assert!(!format!("{client:?}").contains("sk-ant-example"));
/// # Ok::<(), llm_bench::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    provider: Provider,
    base_url: String,
    /// The URL requests go to; for Gemini and generic clients, with `{{model}}` still in it.
    url_template: String,
    host: String,
    api_key: Option<ApiKey>,
    model: Option<String>,
    headers: BTreeMap<String, String>,
    secret_headers: BTreeMap<String, ApiKey>,
    azure_deployment: Option<String>,
    anthropic_version: String,
    /// The connection time limit the HTTP client was built with.
    connect_timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self
            .headers
            .keys()
            .chain(self.secret_headers.keys())
            .map(String::as_str)
            .collect();
        f.debug_struct("Client")
            .field("provider", &self.provider.name())
            .field("host", &self.host)
            .field("api_key", &self.api_key)
            .field("model", &self.model)
            .field("headers", &header_names)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Every setting but the base URL is optional.
#[derive(Clone, Default)]
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
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("provider", &self.provider.name())
            .field("api_key", &self.api_key)
            .field("model", &self.model)
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

    /// The key, sent the provider's way (see the [module documentation](self)).
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

    /// Azure OpenAI: the `api-version` of deployment URLs (default
    /// [`DEFAULT_AZURE_API_VERSION`]).
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

    /// Anthropic: the `anthropic-version` header (default [`DEFAULT_ANTHROPIC_VERSION`]).
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

    /// Builds the client; fails on a missing or unusable base URL or header.
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
        let azure_deployment = self.deployment.filter(|d| !d.trim().is_empty());
        let api_version = self
            .api_version
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_AZURE_API_VERSION.to_string());
        let url_template = match &self.provider {
            Provider::Generic(_) => raw.clone(),
            provider => endpoint_url(provider, &base, azure_deployment.as_deref(), &api_version)?,
        };
        for (name, value) in &self.headers {
            check_header(name, Some(value))?;
        }
        for name in self.secret_headers.keys() {
            check_header(name, None)?;
        }
        let connect_timeout = self
            .connect_timeout
            .unwrap_or(crate::limits::PhaseLimits::DEFAULT.connect);
        let http = http_client(connect_timeout)?;
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
            azure_deployment,
            anthropic_version: self
                .anthropic_version
                .unwrap_or_else(|| DEFAULT_ANTHROPIC_VERSION.to_string()),
            connect_timeout,
        })
    }
}

/// The HTTP client under every [`Client`]: no redirects (a key header never goes to another
/// host), no Nagle delay.
fn http_client(connect_timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))
}

/// The request URL of a provider (Gemini's still has `{{model}}` in it).
fn endpoint_url(
    provider: &Provider,
    base: &Url,
    deployment: Option<&str>,
    api_version: &str,
) -> Result<String> {
    let root = base.as_str().split(['?', '#']).next().unwrap_or_default();
    let root = root.trim_end_matches('/');
    let path = base.path().trim_end_matches('/');
    let ends = |suffix: &str| path.ends_with(suffix);
    let url = match provider {
        Provider::OpenAiChat => format!("{root}/chat/completions"),
        Provider::OpenAiResponses => format!("{root}/responses"),
        Provider::OpenAiCompletions => format!("{root}/completions"),
        Provider::AzureOpenAi => {
            let root = root
                .trim_end_matches("/openai/v1")
                .trim_end_matches("/openai");
            match deployment {
                Some(d) if !ends("/openai/v1") => format!(
                    "{root}/openai/deployments/{}/chat/completions?api-version={}",
                    encode_segment(d),
                    encode_query(api_version)
                ),
                _ => format!("{root}/openai/v1/chat/completions"),
            }
        }
        Provider::Anthropic if ends("/v1") => format!("{root}/messages"),
        Provider::Anthropic => format!("{root}/v1/messages"),
        Provider::Gemini if ends("/v1beta") || ends("/v1") || ends("/v1alpha") => {
            format!("{root}/models/{{{{model}}}}:streamGenerateContent?alt=sse")
        }
        Provider::Gemini => {
            format!("{root}/v1beta/models/{{{{model}}}}:streamGenerateContent?alt=sse")
        }
        Provider::CohereV2 if ends("/v2") => format!("{root}/chat"),
        Provider::CohereV2 => format!("{root}/v2/chat"),
        Provider::CohereV1 if ends("/v1") => format!("{root}/chat"),
        Provider::CohereV1 => format!("{root}/v1/chat"),
        Provider::Ollama if ends("/api") => format!("{root}/chat"),
        Provider::Ollama => format!("{root}/api/chat"),
        Provider::Tgi => format!("{root}/generate_stream"),
        Provider::Generic(_) => root.to_string(),
    };
    Ok(url)
}

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is
/// percent-encoded, so a value can never end a path segment or a query parameter.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `s`, trimmed, as one URL path segment (`gpt 4o` → `gpt%204o`; uppercase hex).
fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s.trim(), NOT_UNRESERVED).to_string()
}

fn encode_query(s: &str) -> String {
    encode_segment(s)
}

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

impl Client {
    /// A builder (for the OpenAI-compatible provider unless
    /// [`provider`](ClientBuilder::provider) says otherwise).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The API this client speaks.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// Host and port of the endpoint (what reports show; never a key or a path).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The base URL this client was built with, for a client of your own that should talk
    /// to the same endpoint. Credentials in the URL are not supported by this client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The default model, if one was configured.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// Sends `request` and reads the whole stream, untimed: for checking an endpoint, or
    /// warming it up outside a scenario. Scenarios time requests with
    /// [`Ctx::stream_with`](crate::Ctx::stream_with).
    ///
    /// ```no_run
    /// # async fn demo() -> llm_bench::Result<()> {
    /// use llm_bench::providers::Client;
    /// use llm_bench::ChatRequest;
    /// let client = Client::builder().base_url("http://127.0.0.1:8000/v1").model("m").build()?;
    /// let done = client.complete(&ChatRequest::new("Say hi")).await?;
    /// println!("{}", done.text);
    /// # Ok(()) }
    /// ```
    pub async fn complete(&self, request: &ChatRequest) -> Result<Completion> {
        let mut rec = Recorder::new(Instant::now(), false);
        self.stream_timed(request, None, &mut rec, &PhaseLimits::DEFAULT)
            .await
    }

    /// Sends `request`, times its stream like a scenario's request, and returns what came
    /// back with the measurements (TTFB, TTFT, TTFO, E2E, output events, usage, the error:
    /// what a stored run keeps of one request). The sample's `error` is set when the result
    /// is an error.
    ///
    /// ```no_run
    /// # async fn demo() -> llm_bench::Result<()> {
    /// use llm_bench::providers::Client;
    /// use llm_bench::ChatRequest;
    /// let client = Client::builder().base_url("http://127.0.0.1:8000/v1").model("m").build()?;
    /// let (result, sample) = client.measure(&ChatRequest::new("Say hi")).await;
    /// println!("TTFT {:?} ns: {:?}", sample.ttft_ns, result.map(|c| c.text));
    /// # Ok(()) }
    /// ```
    pub async fn measure(&self, request: &ChatRequest) -> (Result<Completion>, RequestSample) {
        let origin = Instant::now();
        let mut rec = Recorder::new(origin, false);
        let result = self
            .stream_timed(request, None, &mut rec, &PhaseLimits::DEFAULT)
            .await;
        if let Err(e) = &result {
            rec.fail(e);
        }
        (result, rec.finish(0, origin, |_, _| {}))
    }

    /// This client with another connection time limit (a new connection pool), or itself
    /// when it already has that limit.
    pub(crate) fn with_connect_timeout(&self, limit: Duration) -> Result<Client> {
        if limit == self.connect_timeout {
            return Ok(self.clone());
        }
        Ok(Client {
            http: http_client(limit)?,
            connect_timeout: limit,
            ..self.clone()
        })
    }

    /// Sends `req` and records the stream's timeline into `rec`. The model is the request's,
    /// else `fallback_model` (the scenario's), else the client's. `limits` bounds the
    /// response headers, the first output and the gaps between reads (the connection limit
    /// is the client's own).
    pub(crate) async fn stream_timed(
        &self,
        req: &ChatRequest,
        fallback_model: Option<&str>,
        rec: &mut Recorder,
        limits: &PhaseLimits,
    ) -> Result<Completion> {
        let model = req
            .model_name()
            .or(fallback_model)
            .or(self.model.as_deref());
        let model = match model {
            Some(m) => Some(m),
            None if !self
                .provider
                .needs_model(self.azure_deployment.is_some()) =>
            {
                None
            }
            None => {
                return Err(Error::Config(
                    "no model: set it in the request, in the attribute (`model = \"...\"`) or in LLM_BENCH_MODEL"
                        .into(),
                ))
            }
        };
        rec.set_tokenizer(crate::tokens::Tokenizer::for_model(model));
        let (url, body) = self.request_parts(req, model)?;
        let body = serde_json::to_vec(&body)
            .map_err(|e| Error::Config(format!("could not encode the request: {e}")))?;
        let http_req = self.http.post(url).headers(self.headers_for()?).body(body);

        let start = Instant::now();
        rec.start(start);
        let response = match tokio::time::timeout(limits.first_byte, http_req.send()).await {
            Ok(sent) => sent.map_err(|e| self.transport_error(e))?,
            Err(_) => {
                return Err(Error::Timeout {
                    phase: TimeoutPhase::FirstByte,
                    limit: limits.first_byte,
                })
            }
        };
        rec.headers(Instant::now());

        let status = response.status();
        if !status.is_success() {
            let body = tokio::time::timeout(limits.idle, self.error_body(response))
                .await
                .unwrap_or_else(|_| "(the body did not arrive in time)".into());
            return Err(Error::HttpStatus {
                status: status.as_u16(),
                endpoint: self.host.clone(),
                body,
            });
        }

        let mut parser = self.parser();
        let mut state = StreamState::default();
        let mut bytes = response.bytes_stream();
        let mut watchdog = Watchdog::new(*limits, start);
        // Armed when a read has to wait; a read that arrives first costs no timer work.
        let alarm = tokio::time::sleep(limits.idle.min(limits.first_token));
        tokio::pin!(alarm);
        loop {
            let read = tokio::select! {
                biased;
                read = bytes.next() => read,
                () = &mut alarm => {
                    let left = watchdog.check(Instant::now(), rec.has_output())?;
                    alarm.as_mut().reset(tokio::time::Instant::now() + left);
                    continue;
                }
            };
            let Some(read) = read else { break };
            let read = read.map_err(|e| {
                Error::Malformed(format!(
                    "the connection broke mid-stream: {}",
                    e.without_url()
                ))
            })?;
            let at = Instant::now();
            watchdog.read_at(at);
            let ended = state
                .apply(&mut parser, Some(&read), at, rec)
                .map_err(|e| self.scrub_error(e))?;
            if ended {
                rec.end(at);
                return Ok(state.completion);
            }
        }
        let at = Instant::now();
        state
            .apply(&mut parser, None, at, rec)
            .map_err(|e| self.scrub_error(e))?;
        rec.end(at);
        Ok(state.completion)
    }

    /// The URL and JSON body of a request for `model`.
    fn request_parts(
        &self,
        req: &ChatRequest,
        model: Option<&str>,
    ) -> Result<(Url, serde_json::Value)> {
        let m = model.unwrap_or_default();
        let body = match &self.provider {
            Provider::OpenAiChat => body::openai_chat(req, m),
            Provider::OpenAiResponses => body::openai_responses(req, m),
            Provider::OpenAiCompletions => body::openai_completions(req, m),
            Provider::AzureOpenAi => body::azure_chat(req, model),
            Provider::Anthropic => body::anthropic(req, m),
            Provider::Gemini => body::gemini(req),
            Provider::CohereV2 => body::cohere_v2(req, m),
            Provider::CohereV1 => body::cohere_v1(req, m),
            Provider::Ollama => body::ollama(req, m),
            Provider::Tgi => body::tgi(req),
            Provider::Generic(spec) => spec.render_body(req, model),
        };
        let url = if self.url_template.contains("{{") {
            let model = model
                .map(|m| m.trim().trim_start_matches("models/"))
                .unwrap_or_default();
            let encoded = encode_segment(model);
            interpolate(&self.url_template, |name| {
                (name == "model").then(|| encoded.clone())
            })
        } else {
            self.url_template.clone()
        };
        let url = Url::parse(&url).map_err(|e| {
            Error::Config(format!("request URL for {} is not a URL: {e}", self.host))
        })?;
        Ok((url, body))
    }

    /// The request headers: content type, accept, auth, version and extra headers.
    fn headers_for(&self) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        let mut put = |name: &str, value: &str, sensitive: bool| -> Result<()> {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Config(format!("`{name}` is not a valid header name")))?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                Error::Config(format!(
                    "the value of header `{name}` is not valid (keys must be printable ASCII)"
                ))
            })?;
            value.set_sensitive(sensitive);
            headers.insert(name, value);
            Ok(())
        };
        put("content-type", "application/json", false)?;
        let ndjson = match &self.provider {
            Provider::Generic(spec) => spec.framing == GenericFraming::Ndjson,
            p => matches!(
                p.wire_format().map(WireFormat::framing),
                Some(super::wire::Framing::Ndjson)
            ),
        };
        put(
            "accept",
            if ndjson {
                "application/x-ndjson"
            } else {
                "text/event-stream"
            },
            false,
        )?;
        let key = self.api_key.as_ref().map(ApiKey::expose);
        match &self.provider {
            Provider::AzureOpenAi => {
                if let Some(k) = key {
                    put("api-key", k, true)?;
                }
            }
            Provider::Anthropic => {
                if let Some(k) = key {
                    put("x-api-key", k, true)?;
                }
                put("anthropic-version", &self.anthropic_version, false)?;
            }
            Provider::Gemini => {
                if let Some(k) = key {
                    put("x-goog-api-key", k, true)?;
                }
            }
            Provider::Generic(spec) => {
                for (name, value) in &spec.headers {
                    let uses_key = value.contains("{{api_key}}");
                    let value = interpolate(value, |n| {
                        (n == "api_key").then(|| key.unwrap_or_default().to_string())
                    });
                    put(name, &value, uses_key)?;
                }
                if !spec.uses_key_in_headers() {
                    if let Some(k) = key {
                        put("authorization", &format!("Bearer {k}"), true)?;
                    }
                }
            }
            _ => {
                if let Some(k) = key {
                    put("authorization", &format!("Bearer {k}"), true)?;
                }
            }
        }
        for (name, value) in &self.headers {
            put(name, value, false)?;
        }
        for (name, value) in &self.secret_headers {
            put(name, value.expose(), true)?;
        }
        Ok(headers)
    }

    fn parser(&self) -> Parser {
        match &self.provider {
            Provider::Generic(spec) => Parser::Generic(GenericParser::new(spec.clone())),
            p => Parser::Wire(StreamParser::new(
                p.wire_format().unwrap_or(WireFormat::OpenAiChat),
            )),
        }
    }

    /// Reads at most [`ERROR_BODY_READ_LIMIT`] bytes of an error body, scrubs the secrets
    /// from it, and keeps at most [`ERROR_BODY_LIMIT`] bytes.
    async fn error_body(&self, response: reqwest::Response) -> String {
        let mut buf: Vec<u8> = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            let room = ERROR_BODY_READ_LIMIT - buf.len();
            buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if buf.len() >= ERROR_BODY_READ_LIMIT {
                break;
            }
        }
        let text = self.scrub(&String::from_utf8_lossy(&buf));
        let mut cut = text.len().min(ERROR_BODY_LIMIT);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut_short = cut < text.len();
        let mut kept = if cut_short {
            crate::error::cut_between_words(&text, text[..cut].chars().count()).to_string()
        } else {
            text
        };
        // A key cut off at the end of the kept part would still show its start.
        for secret in self.secrets() {
            for len in (4..secret.len()).rev() {
                if kept.ends_with(&secret[..len]) {
                    kept.truncate(kept.len() - len);
                    kept.push_str("***");
                    break;
                }
            }
        }
        if cut_short {
            kept.push('…');
        }
        kept
    }

    /// Every credential this client sends.
    fn secrets(&self) -> impl Iterator<Item = &str> {
        self.api_key
            .iter()
            .chain(self.secret_headers.values())
            .map(ApiKey::expose)
            .filter(|s| !s.is_empty())
    }

    /// `text` with every credential of this client replaced by `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets() {
            if out.contains(secret) {
                out = out.replace(secret, "***");
            }
        }
        out
    }

    fn scrub_error(&self, e: Error) -> Error {
        match e {
            Error::MidStream(m) => Error::MidStream(self.scrub(&m)),
            Error::Malformed(m) => Error::Malformed(self.scrub(&m)),
            other => other,
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> Error {
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        let message = self.scrub(&message);
        if e.is_connect() && e.is_timeout() {
            Error::Timeout {
                phase: TimeoutPhase::Connect,
                limit: self.connect_timeout,
            }
        } else if e.is_connect() {
            Error::Connect {
                endpoint: self.host.clone(),
                message,
            }
        } else {
            Error::Malformed(format!("request to {} failed: {message}", self.host))
        }
    }
}

/// The parser of one response body: a known wire format, or a generic spec.
enum Parser {
    Wire(StreamParser),
    Generic(GenericParser),
}

impl Parser {
    /// Feeds a read (`None`: the end of the body), appending its deltas.
    fn run(&mut self, bytes: Option<&[u8]>, out: &mut Vec<Delta>) -> Result<()> {
        match self {
            Parser::Wire(p) => match bytes {
                Some(b) => p.feed(b, out),
                None => p.finish(out),
            }
            .map_err(|e| Error::Malformed(e.to_string())),
            Parser::Generic(p) => p.run(bytes, out).map_err(Error::Malformed),
        }
    }
}

/// Accumulates what the deltas of one stream carry.
#[derive(Default)]
struct StreamState {
    completion: Completion,
    deltas: Vec<Delta>,
}

impl StreamState {
    /// Parses a read that arrived at `at` and records its deltas; true when the stream's
    /// terminator came. Deltas completed before a malformed unit are recorded first.
    fn apply(
        &mut self,
        parser: &mut Parser,
        bytes: Option<&[u8]>,
        at: Instant,
        rec: &mut Recorder,
    ) -> Result<bool> {
        let parsed = parser.run(bytes, &mut self.deltas);
        let mut deltas = std::mem::take(&mut self.deltas);
        let mut done = false;
        let mut failed = None;
        for delta in deltas.drain(..) {
            if done || failed.is_some() {
                continue;
            }
            rec.delta(at, &delta);
            if let Some(message) = delta.error {
                failed = Some(Error::MidStream(message));
                continue;
            }
            self.completion.text.push_str(&delta.text);
            self.completion.reasoning.push_str(&delta.reasoning);
            if let Some(usage) = delta.usage {
                self.completion.usage = Some(usage);
            }
            if delta.finish_reason.is_some() {
                self.completion.finish_reason = delta.finish_reason;
            }
            done = delta.done;
        }
        self.deltas = deltas;
        if let Some(e) = failed {
            return Err(e);
        }
        if done {
            return Ok(true);
        }
        parsed.map(|()| false)
    }
}

/// Feeds a recorded OpenAI Chat body through the same parse-and-record path as a live
/// stream, in reads of `read_size` bytes, all stamped now. Used by the overhead benchmarks
/// and tests.
pub(crate) fn replay(body: &[u8], read_size: usize, rec: &mut Recorder) -> Result<Completion> {
    replay_format(WireFormat::OpenAiChat, body, read_size, rec)
}

/// [`replay`] for any wire format.
pub(crate) fn replay_format(
    format: WireFormat,
    body: &[u8],
    read_size: usize,
    rec: &mut Recorder,
) -> Result<Completion> {
    let mut parser = Parser::Wire(StreamParser::new(format));
    let mut state = StreamState::default();
    for read in body.chunks(read_size.max(1)) {
        let at = Instant::now();
        if state.apply(&mut parser, Some(read), at, rec)? {
            rec.end(at);
            return Ok(state.completion);
        }
    }
    let at = Instant::now();
    state.apply(&mut parser, None, at, rec)?;
    rec.end(at);
    Ok(state.completion)
}

/// `host:port` of a URL, for reports and messages.
fn host_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "<no host>".to_string(),
    }
}

/// A URL reduced to scheme, host and path (no credentials, no query), safe to print.
pub(crate) fn redact_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            host_label(&u),
            u.path().trim_end_matches('/')
        ),
        Err(_) => {
            let cut: String = raw.chars().take(40).collect();
            let cut = cut.split(['?', '@']).next().unwrap_or_default().to_string();
            format!("{cut}…")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::openai::ChatRequest;

    fn build(provider: Provider, base: &str) -> Client {
        Client::builder()
            .provider(provider)
            .base_url(base)
            .api_key(ApiKey::new("sk-secret-value"))
            .build()
            .unwrap()
    }

    fn url(client: &Client, model: Option<&str>) -> String {
        client
            .request_parts(&ChatRequest::new("hi"), model)
            .unwrap()
            .0
            .to_string()
    }

    #[test]
    fn urls_per_provider() {
        let cases = [
            (
                Provider::OpenAiChat,
                "https://h/v1/",
                "https://h/v1/chat/completions",
            ),
            (
                Provider::OpenAiResponses,
                "https://h/v1",
                "https://h/v1/responses",
            ),
            (
                Provider::OpenAiCompletions,
                "https://h/v1",
                "https://h/v1/completions",
            ),
            (
                Provider::AzureOpenAi,
                "https://r.openai.azure.com/",
                "https://r.openai.azure.com/openai/v1/chat/completions",
            ),
            (
                Provider::AzureOpenAi,
                "https://r.openai.azure.com/openai/v1",
                "https://r.openai.azure.com/openai/v1/chat/completions",
            ),
            (
                Provider::Anthropic,
                "https://api.anthropic.com",
                "https://api.anthropic.com/v1/messages",
            ),
            (
                Provider::Anthropic,
                "http://127.0.0.1:9/v1",
                "http://127.0.0.1:9/v1/messages",
            ),
            (
                Provider::Gemini,
                "https://g.example",
                "https://g.example/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            ),
            (
                Provider::Gemini,
                "https://g.example/v1beta/",
                "https://g.example/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            ),
            (
                Provider::CohereV2,
                "https://api.cohere.com",
                "https://api.cohere.com/v2/chat",
            ),
            (
                Provider::CohereV1,
                "https://api.cohere.com/v1",
                "https://api.cohere.com/v1/chat",
            ),
            (
                Provider::Ollama,
                "http://localhost:11434",
                "http://localhost:11434/api/chat",
            ),
            (
                Provider::Tgi,
                "http://tgi:8080",
                "http://tgi:8080/generate_stream",
            ),
        ];
        for (provider, base, want) in cases {
            let c = build(provider.clone(), base);
            assert_eq!(
                url(&c, Some("models/gemini-2.5-flash")),
                want,
                "{provider:?}"
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
            url(&azure, None),
            "https://r.openai.azure.com/openai/deployments/gpt%204o/chat/completions?api-version=2025-01-01-preview"
        );
    }

    #[test]
    fn segments_encode_all_but_the_unreserved_characters() {
        // Every ASCII character and a few multi-byte ones, against the rule written out.
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é€😀");
        let mut want = String::new();
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                want.push(char::from(b));
            } else {
                want.push_str(&format!("%{b:02X}"));
            }
        }
        // Control characters at the ends are whitespace to `trim`; keep them inside.
        let inner = format!("x{text}x");
        assert_eq!(encode_segment(&inner), format!("x{want}x"));
        assert_eq!(encode_segment("  gpt 4o/mini?\n"), "gpt%204o%2Fmini%3F");
        assert_eq!(encode_query("2025-01-01-preview"), "2025-01-01-preview");
    }

    #[test]
    fn auth_headers_per_provider() {
        let key = "sk-secret-value";
        let cases: [(Provider, &str, String); 5] = [
            (
                Provider::OpenAiChat,
                "authorization",
                format!("Bearer {key}"),
            ),
            (Provider::AzureOpenAi, "api-key", key.to_string()),
            (Provider::Anthropic, "x-api-key", key.to_string()),
            (Provider::Gemini, "x-goog-api-key", key.to_string()),
            (Provider::CohereV2, "authorization", format!("Bearer {key}")),
        ];
        for (provider, name, value) in cases {
            let h = build(provider.clone(), "https://h").headers_for().unwrap();
            assert_eq!(h.get(name).unwrap(), value.as_str(), "{provider:?}");
            assert!(h.get(name).unwrap().is_sensitive());
        }
        let h = build(Provider::Anthropic, "https://h")
            .headers_for()
            .unwrap();
        assert_eq!(
            h.get("anthropic-version").unwrap(),
            DEFAULT_ANTHROPIC_VERSION
        );
        assert!(h.get("authorization").is_none());
        let h = build(Provider::CohereV1, "https://h")
            .headers_for()
            .unwrap();
        assert_eq!(h.get("accept").unwrap(), "application/x-ndjson");
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

    #[test]
    fn scrub_replaces_every_secret() {
        let c = Client::builder()
            .base_url("http://127.0.0.1:1/v1")
            .api_key(ApiKey::new("sk-abc"))
            .secret_header("x-gateway-key", ApiKey::new("gw-123"))
            .header("x-trace", "visible")
            .build()
            .unwrap();
        assert_eq!(c.scrub("a sk-abc b gw-123 c sk-abc"), "a *** b *** c ***");
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("gw-123") && !debug.contains("sk-abc"),
            "{debug}"
        );
        assert!(!debug.contains("visible"), "{debug}");
        assert!(debug.contains("x-gateway-key"), "{debug}");
    }

    #[test]
    fn replay_anthropic_with_an_error_event() {
        let body = b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let mut rec = Recorder::new(Instant::now(), false);
        let err = replay_format(WireFormat::Anthropic, body, 5, &mut rec).unwrap_err();
        assert!(
            matches!(err, Error::MidStream(ref m) if m == "Overloaded"),
            "{err}"
        );
    }
}
