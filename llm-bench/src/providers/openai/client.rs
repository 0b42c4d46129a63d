//! The built-in streaming client for OpenAI-compatible Chat Completions.

use std::time::Duration;

use futures_util::StreamExt;
use quanta::Instant;
use reqwest::Url;

use crate::delta::{Delta, Usage};
use crate::error::{Error, Result};
use crate::metrics::Recorder;
use crate::providers::openai::chunk;
use crate::providers::openai::request::ChatRequest;
use crate::providers::secret::ApiKey;
use crate::sse::{SseDecoder, SseEvent};

/// How much of an error response body is kept in an [`Error::HttpStatus`].
const ERROR_BODY_LIMIT: usize = 512;

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

/// A streaming client for an OpenAI-compatible `/chat/completions` endpoint.
///
/// ```
/// use llm_bench::providers::openai::OpenAiClient;
/// let client = OpenAiClient::builder()
///     .base_url("http://127.0.0.1:8000/v1")
///     .model("llama-3.1-8b")
///     .build()
///     .unwrap();
/// assert_eq!(client.host(), "127.0.0.1:8000");
/// ```
#[derive(Clone)]
pub struct OpenAiClient {
    http: reqwest::Client,
    base_url: String,
    completions_url: Url,
    host: String,
    api_key: Option<ApiKey>,
    model: Option<String>,
}

impl std::fmt::Debug for OpenAiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiClient")
            .field("host", &self.host)
            .field("api_key", &self.api_key)
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

/// Builds an [`OpenAiClient`].
#[derive(Debug, Default, Clone)]
pub struct OpenAiClientBuilder {
    base_url: Option<String>,
    api_key: Option<ApiKey>,
    model: Option<String>,
    connect_timeout: Option<Duration>,
}

impl OpenAiClientBuilder {
    /// The API's base URL, up to and including `/v1` (e.g. `https://api.openai.com/v1`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The key sent as `Authorization: Bearer ...`.
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.api_key = Some(key);
        self
    }

    /// The model used when a request names none.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Time limit for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Builds the client; fails on a missing or unusable base URL.
    pub fn build(self) -> Result<OpenAiClient> {
        let raw = self
            .base_url
            .ok_or_else(|| Error::Config("the OpenAI-compatible client needs a base URL".into()))?;
        let base = Url::parse(raw.trim()).map_err(|e| {
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
                "base URL `{}` carries credentials; pass the key with `api_key` (OPENAI_API_KEY) instead",
                redact_url(&raw)
            )));
        }
        let host = host_label(&base);
        let mut path = base.path().trim_end_matches('/').to_string();
        path.push_str("/chat/completions");
        let mut completions_url = base.clone();
        completions_url.set_path(&path);
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        Ok(OpenAiClient {
            http,
            base_url: base.as_str().trim_end_matches('/').to_string(),
            completions_url,
            host,
            api_key: self.api_key,
            model: self.model,
        })
    }
}

impl OpenAiClient {
    /// A builder.
    pub fn builder() -> OpenAiClientBuilder {
        OpenAiClientBuilder::default()
    }

    /// The client the environment describes: `OPENAI_BASE_URL` (required; without it,
    /// `None`), `OPENAI_API_KEY` (optional: self-hosted servers often need none) and
    /// `LLM_BENCH_MODEL`.
    pub fn from_env() -> Result<Option<OpenAiClient>> {
        let Some(base) = std::env::var("OPENAI_BASE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
        else {
            return Ok(None);
        };
        let mut builder = OpenAiClient::builder().base_url(base);
        if let Some(key) = ApiKey::from_env("OPENAI_API_KEY") {
            builder = builder.api_key(key);
        }
        if let Some(model) = std::env::var("LLM_BENCH_MODEL")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            builder = builder.model(model.trim());
        }
        builder.build().map(Some)
    }

    /// Host and port of the endpoint (what reports show; never a key or a path).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The base URL requests go to (up to `/v1`), for a client of your own that should
    /// talk to the same endpoint. Credentials in the URL are not supported by this client.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The default model, if one was configured.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// Sends `req` with `stream: true` and records the stream's timeline into `rec`.
    pub(crate) async fn stream_timed(
        &self,
        req: &ChatRequest,
        fallback_model: Option<&str>,
        rec: &mut Recorder,
    ) -> Result<Completion> {
        let model = req
            .model_name()
            .or(fallback_model)
            .or(self.model.as_deref())
            .ok_or_else(|| {
                Error::Config(
                    "no model: set it in the request, in the attribute (`model = \"...\"`) or in LLM_BENCH_MODEL"
                        .into(),
                )
            })?;
        let body = serde_json::to_vec(&req.to_body(model))
            .map_err(|e| Error::Config(format!("could not encode the request: {e}")))?;
        let mut http_req = self
            .http
            .post(self.completions_url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .body(body);
        if let Some(key) = &self.api_key {
            http_req = http_req.bearer_auth(key.expose());
        }

        rec.start(Instant::now());
        let response = http_req.send().await.map_err(|e| self.transport_error(e))?;
        rec.headers(Instant::now());

        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            let cut = &body[..body.len().min(ERROR_BODY_LIMIT)];
            return Err(Error::HttpStatus {
                status: status.as_u16(),
                endpoint: self.host.clone(),
                body: String::from_utf8_lossy(cut).into_owned(),
            });
        }

        let mut state = StreamState::default();
        let mut decoder = SseDecoder::new();
        let mut events: Vec<SseEvent> = Vec::new();
        let mut bytes = response.bytes_stream();
        while let Some(read) = bytes.next().await {
            let read = read.map_err(|e| {
                Error::Malformed(format!(
                    "the connection broke mid-stream: {}",
                    e.without_url()
                ))
            })?;
            let at = Instant::now();
            decoder
                .feed(&read, &mut events)
                .map_err(|e| Error::Malformed(e.to_string()))?;
            if state.apply(&mut events, at, rec)? {
                rec.end(at);
                return Ok(state.completion);
            }
        }
        let at = Instant::now();
        decoder
            .finish(&mut events)
            .map_err(|e| Error::Malformed(e.to_string()))?;
        state.apply(&mut events, at, rec)?;
        rec.end(at);
        Ok(state.completion)
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
        if e.is_connect() {
            Error::Connect {
                endpoint: self.host.clone(),
                message,
            }
        } else {
            Error::Malformed(format!("request to {} failed: {message}", self.host))
        }
    }
}

/// Feeds a recorded body through the same decode-parse-record path as a live stream, in
/// reads of `read_size` bytes, all stamped now. Used by the overhead benchmarks and tests.
pub(crate) fn replay(body: &[u8], read_size: usize, rec: &mut Recorder) -> Result<Completion> {
    let mut state = StreamState::default();
    let mut decoder = SseDecoder::new();
    let mut events: Vec<SseEvent> = Vec::new();
    for read in body.chunks(read_size.max(1)) {
        let at = Instant::now();
        decoder
            .feed(read, &mut events)
            .map_err(|e| Error::Malformed(e.to_string()))?;
        if state.apply(&mut events, at, rec)? {
            rec.end(at);
            return Ok(state.completion);
        }
    }
    let at = Instant::now();
    decoder
        .finish(&mut events)
        .map_err(|e| Error::Malformed(e.to_string()))?;
    state.apply(&mut events, at, rec)?;
    rec.end(at);
    Ok(state.completion)
}

/// Accumulates what the events of one stream carry.
#[derive(Default)]
struct StreamState {
    completion: Completion,
}

impl StreamState {
    /// Applies decoded events that arrived at `at`; true when the stream's terminator came.
    fn apply(
        &mut self,
        events: &mut Vec<SseEvent>,
        at: Instant,
        rec: &mut Recorder,
    ) -> Result<bool> {
        let mut done = false;
        for event in events.drain(..) {
            if done {
                continue;
            }
            let delta: Delta = chunk::parse_event(event.event.as_deref(), &event.data)
                .map_err(|e| Error::Malformed(e.to_string()))?;
            rec.delta(at, &delta);
            if let Some(message) = delta.error {
                return Err(Error::MidStream(message));
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
        Ok(done)
    }
}

/// `host:port` of a URL, for reports and messages.
fn host_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "<no host>".to_string(),
    }
}

/// A URL without credentials or query string, safe to print.
fn redact_url(raw: &str) -> String {
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

    #[test]
    fn completions_url_appends_to_the_base_path() {
        let c = OpenAiClient::builder()
            .base_url("https://example.invalid/openai/v1/")
            .build()
            .unwrap();
        assert_eq!(
            c.completions_url.as_str(),
            "https://example.invalid/openai/v1/chat/completions"
        );
        assert_eq!(c.host(), "example.invalid");
    }

    #[test]
    fn bad_urls_are_config_errors_without_credentials() {
        let err = OpenAiClient::builder()
            .base_url("ftp://user:hunter2@example.invalid/v1")
            .build()
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("http://"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let err = OpenAiClient::builder()
            .base_url("not a url?key=hunter2")
            .build()
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn credentials_in_the_url_are_refused() {
        let err = OpenAiClient::builder()
            .base_url("https://user:hunter2@example.invalid/v1")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("carries credentials"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn replay_records_output_events_only() {
        let body = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
            ": keep-alive\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n",
            "data: [DONE]\n\n",
        );
        for read_size in [1, 7, 1 << 20] {
            let mut rec = Recorder::new(Instant::now(), false);
            let done = replay(body.as_bytes(), read_size, &mut rec).unwrap();
            assert_eq!(done.text, "Hello");
            let sample = rec.finish(0, Instant::now(), |_| {});
            assert_eq!(sample.output_events, 2, "read size {read_size}");
            assert_eq!(sample.output_tokens, Some(2));
        }
    }

    #[test]
    fn an_error_chunk_ends_the_request_as_mid_stream() {
        let body = "data: {\"error\":{\"message\":\"Token limit reached\",\"code\":400}}\n\ndata: [DONE]\n\n";
        let mut rec = Recorder::new(Instant::now(), false);
        let err = replay(body.as_bytes(), 64, &mut rec).unwrap_err();
        assert_eq!(err.class(), crate::ErrorClass::MidStream);
        assert!(err.to_string().contains("Token limit reached"), "{err}");
    }

    #[test]
    fn debug_hides_the_key() {
        let c = OpenAiClient::builder()
            .base_url("http://127.0.0.1:1/v1")
            .api_key(ApiKey::new("sk-secret-value"))
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("sk-secret-value"));
    }
}
