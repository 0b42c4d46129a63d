//! [`Client`]: the built-in streaming client, one per endpoint, for every
//! [`Provider`](super::Provider).
//!
//! A client builds the provider's documented request from a provider-neutral
//! [`ChatRequest`] (each provider folder's `request.rs`), sends it with the provider's auth,
//! and reads the stream through one loop for all providers: each read is timestamped as it
//! arrives (before any parsing), fed to the provider's parser, and every resulting
//! [`Delta`](crate::Delta) is recorded. A delta with an error ends the request as
//! [`Error::MidStream`]; a terminator event or a clean close ends it successfully.
//!
//! # Keys
//!
//! Keys are [`ApiKey`]s: `Debug` of a client shows `ApiKey(***)` and no header value. An
//! error body or an error event that echoes the key has it replaced with `***` before it
//! becomes an [`Error`]; errors name the endpoint by host only (see [`redact`](super::redact)).
//! Redirects are not followed, so a key header is never sent to another host.
//!
//! # Retries and rate limits
//!
//! Off by default. With [`ClientBuilder::retries`] (or the harness's `--retries`), a request
//! whose attempt fails before any output with 429, 500, 502, 503, 504 or 529, or cannot
//! connect, is sent again after the server's `Retry-After` or a jittered exponential
//! backoff (see `retry.rs`); the recorder keeps the failed attempts and the waits out of
//! latency. Whatever the policy, a request written on a pooled keep-alive connection that
//! the server had closed while it was idle (reset or FIN before any response byte) is sent
//! once more on a new connection, counted as a retry; if that fails too, it is a
//! `transport` error. Client-side rate limits (`rate_limit.rs`) are waited on before the first
//! attempt starts, so they are not latency either.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Error as PoolError;
use quanta::Instant;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;

use super::api::{encode_segment, Settings};
use super::builder::ClientBuilder;
use super::phases::{connection_phases, request_id_scrubbed};
use super::placeholders::interpolate;
use super::provider::Provider;
use super::rate_limit::{request_cost, RateLimits};
use super::request::ChatRequest;
use super::retry::{retry_after, RetryPolicy};
use super::secret::ApiKey;
use super::stream::{Completion, StreamState};
use super::transport::{how_it_broke, wire_log, Transport};
use super::wire::Framing;
use crate::error::{describe_chain, Error, Result, TimeoutPhase};
use crate::limits::{PhaseLimits, Watchdog};
use crate::metrics::{Recorder, RequestSample};

/// A streaming client for one endpoint of one [`Provider`].
///
/// ```
/// use llm_bench::{ApiKey, Client, Provider};
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
    /// The HTTP client (its connection pool).
    pub(super) http: Transport,
    /// The API spoken.
    pub(super) provider: Provider,
    /// The base URL, without a trailing `/`.
    pub(super) base_url: String,
    /// The URL requests go to; for Gemini and generic clients, with `{{model}}` still in it.
    pub(super) url_template: String,
    /// `host:port`, for reports and messages.
    pub(super) host: String,
    /// The key, if any.
    pub(super) api_key: Option<ApiKey>,
    /// The default model, if any.
    pub(super) model: Option<String>,
    /// Extra headers without credentials.
    pub(super) headers: BTreeMap<String, String>,
    /// Extra headers carrying credentials.
    pub(super) secret_headers: BTreeMap<String, ApiKey>,
    /// The settings only some providers read.
    pub(super) settings: Settings,
    /// The connection time limit the HTTP client was built with.
    pub(super) connect_timeout: Duration,
    /// How failed attempts are retried (by default, not at all).
    pub(super) retry: RetryPolicy,
    /// The run's client-side rate limits, shared by every clone; `None`: no limits.
    pub(super) rate_limits: Option<Arc<RateLimits>>,
}

/// An attempt that failed: its error, and how long the server asked to wait before the
/// next one (`Retry-After`), if it did.
struct Failed {
    error: Error,
    retry_after: Option<Duration>,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed {
            error,
            retry_after: None,
        }
    }
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
            .field("max_retries", &self.retry.max_retries)
            .field("rate_limits", &self.rate_limits)
            .finish_non_exhaustive()
    }
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
    /// use llm_bench::Client;
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
    /// use llm_bench::Client;
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
            http: self.http.with_connect_timeout(limit)?,
            connect_timeout: limit,
            ..self.clone()
        })
    }

    /// This client retrying as `policy` says (a policy of 0 retries turns retries off),
    /// sharing the connection pool: for the harness's `--retries`.
    pub(crate) fn with_retries(&self, policy: RetryPolicy) -> Client {
        Client {
            retry: policy,
            ..self.clone()
        }
    }

    /// This client waiting on `limits` before each request (and each retry, for the
    /// request rate). The limits are shared with every clone of the returned client and
    /// with every other client given the same `Arc`: they are the run's, not one task's.
    pub(crate) fn with_rate_limits(&self, limits: Arc<RateLimits>) -> Client {
        Client {
            rate_limits: Some(limits),
            ..self.clone()
        }
    }

    /// Sends `req` and records the stream's timeline into `rec`. The model is the request's,
    /// else `fallback_model` (the scenario's), else the client's. `limits` bounds the
    /// response headers, the first output and the gaps between reads of each attempt (the
    /// connection limit is the client's own).
    ///
    /// The rate limits are waited on before the first attempt starts. An attempt that
    /// fails in a retryable way before any output (see `retry.rs`) is noted with
    /// [`Recorder::retry`], then retried after the server's `Retry-After` or the backoff
    /// (at most the policy's `max_delay`) and the request rate limit; when the retries are
    /// spent, the last attempt's error is returned.
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
            None if !self.provider.api().needs_model(&self.settings) => None,
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
        let body = Bytes::from(body);
        let headers = self.headers_for()?;

        if let Some(rate) = &self.rate_limits {
            let tokens = if rate.limits_tokens() {
                request_cost(req, rec.tokenizer())
            } else {
                0
            };
            rate.until_ready(tokens).await;
        }
        let mut backoff = None;
        let mut retries = 0;
        loop {
            let failed = match self.attempt(&url, &headers, &body, rec, limits).await {
                Ok(done) => return Ok(done),
                Err(failed) => failed,
            };
            if !self
                .retry
                .should_retry(retries, &failed.error, rec.has_output())
            {
                return Err(failed.error);
            }
            let backoff = backoff.get_or_insert_with(|| self.retry.backoff());
            let wait = self.retry.delay(failed.retry_after, backoff);
            rec.retry();
            retries += 1;
            tokio::time::sleep(wait).await;
            if let Some(rate) = &self.rate_limits {
                rate.until_request_ready().await;
            }
        }
    }

    /// One attempt at a request: starts the request clock, sends it, and reads the stream
    /// into `rec`. A failed attempt carries the server's `Retry-After`, if any; its response
    /// body has been read (at most the start of it) or dropped, which closes the connection.
    /// A request whose pooled connection turns out dead (reset or closed before any
    /// response byte) is sent once more on a new connection, noted with
    /// [`Recorder::retry`]; when that fails too, the attempt is an [`Error::Transport`].
    ///
    /// Every time is taken where the bytes arrive: the response's first byte and each body
    /// frame by the read of the connection that delivered it (`transport::stamped`), not
    /// when this task got to them.
    async fn attempt(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: &Bytes,
        rec: &mut Recorder,
        limits: &PhaseLimits,
    ) -> Result<Completion, Failed> {
        let mut start = Instant::now();
        rec.start(start);
        let sent = self.send(url, headers, body, limits, false).await?;
        let response = match sent.map_err(|e| self.transport_error(e, start)) {
            Ok(response) => response,
            Err((dead, true)) => {
                // A pooled connection the server had closed while it was idle: once more on
                // a new connection, whatever the retry policy (the request was not answered).
                rec.retry();
                start = Instant::now();
                rec.start(start);
                let sent = self.send(url, headers, body, limits, true).await?;
                match sent.map_err(|e| self.transport_error(e, start)) {
                    Ok(response) => response,
                    Err((again, _)) => {
                        return Err(Error::Transport {
                            endpoint: self.host.clone(),
                            message: format!(
                            "{dead}; retried once on a new connection, which failed too: {again}"
                        ),
                        }
                        .into())
                    }
                }
            }
            Err((error, false)) => return Err(error.into()),
        };
        let wire = wire_log(&response);
        let (written, first_byte) = wire.as_ref().map_or((None, None), |w| w.exchange());
        rec.headers(first_byte.unwrap_or_else(Instant::now));
        rec.connection(connection_phases(wire.as_deref(), start, written));
        // A server may echo anything there, the key too.
        if let Some(id) = request_id_scrubbed(response.headers(), |id| self.scrub(id)) {
            rec.set_request_id(id);
        }

        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers(), SystemTime::now());
            let body = tokio::time::timeout(limits.idle, self.error_body(response.into_body()))
                .await
                .unwrap_or_else(|_| "(the body did not arrive in time)".into());
            return Err(Failed {
                error: Error::HttpStatus {
                    status: status.as_u16(),
                    endpoint: self.host.clone(),
                    body,
                },
                retry_after,
            });
        }

        let delimited = response.version() == hyper::Version::HTTP_2
            || response
                .headers()
                .contains_key(hyper::header::CONTENT_LENGTH)
            || response
                .headers()
                .contains_key(hyper::header::TRANSFER_ENCODING);
        let api = self.provider.api();
        let mut parser = api.parser();
        let mut state = StreamState::default();
        let mut body = response.into_body();
        let mut watchdog = Watchdog::new(*limits, start);
        // Armed when a read has to wait; a read that arrives first costs no timer work.
        let alarm = tokio::time::sleep(limits.idle.min(limits.first_token));
        tokio::pin!(alarm);
        loop {
            let frame = tokio::select! {
                biased;
                frame = body.frame() => frame,
                () = &mut alarm => {
                    let left = watchdog.check(Instant::now(), rec.has_output())?;
                    alarm.as_mut().reset(tokio::time::Instant::now() + left);
                    continue;
                }
            };
            let Some(frame) = frame else { break };
            let frame = frame.map_err(|e| {
                let how = how_it_broke(&e).unwrap_or("broken");
                Error::Truncated(format!(
                    "the connection was {how} mid-stream, before the stream's end: {}",
                    describe_chain(&e)
                ))
            })?;
            let Ok(read) = frame.into_data() else {
                continue; // trailers
            };
            let at = wire
                .as_ref()
                .and_then(|w| w.arrival_of(&read))
                .unwrap_or_else(Instant::now);
            watchdog.read_at(at);
            let ended = state
                .apply(parser.as_mut(), Some(&read), at, rec)
                .map_err(|e| self.scrub_error(e))?;
            if ended {
                rec.end(at);
                return Ok(state.completion);
            }
        }
        let at = Instant::now();
        // The body's end: the server's end of a delimited body (chunked, a length, HTTP/2),
        // or its close of the connection (FIN) for one delimited by the close.
        let ended = if delimited {
            "the response ended"
        } else {
            "the connection was closed by the server (FIN)"
        };
        match state.apply(parser.as_mut(), None, at, rec) {
            Ok(true) => {
                // The terminator was in the last, unterminated event.
                rec.end(at);
                return Ok(state.completion);
            }
            Ok(false) => {}
            // The decoders fail at the end only on the last unit, flushed unfinished: the
            // end cut it short (its detail says what was left).
            Err(Error::Malformed(cut)) => {
                return Err(self
                    .scrub_error(Error::Truncated(format!(
                        "{ended} inside the last event, before the stream's end: {cut}"
                    )))
                    .into())
            }
            Err(e) => return Err(self.scrub_error(e).into()),
        }
        if api.marks_its_end() && state.completion.finish_reason.is_none() {
            return Err(Error::Truncated(format!(
                "{ended} before the stream's end: no terminator event or finish reason arrived"
            ))
            .into());
        }
        rec.end(at);
        Ok(state.completion)
    }

    /// Sends one request within the first-byte limit, on a pooled connection or, when
    /// `fresh`, on a new one. The outer error is the timeout (or a request that cannot be
    /// built), the inner one what the transport said.
    async fn send(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: &Bytes,
        limits: &PhaseLimits,
        fresh: bool,
    ) -> Result<std::result::Result<hyper::Response<hyper::body::Incoming>, PoolError>> {
        let mut request = hyper::Request::post(url.as_str())
            .body(Full::new(body.clone()))
            .map_err(|e| Error::Config(format!("could not build the request: {e}")))?;
        *request.headers_mut() = headers.clone();
        let sent = if fresh {
            tokio::time::timeout(limits.first_byte, self.http.send_fresh(request)).await
        } else {
            tokio::time::timeout(limits.first_byte, self.http.send(request)).await
        };
        sent.map_err(|_| Error::Timeout {
            phase: TimeoutPhase::FirstByte,
            limit: limits.first_byte,
        })
    }

    /// The URL and JSON body of a request for `model`.
    pub(super) fn request_parts(
        &self,
        req: &ChatRequest,
        model: Option<&str>,
    ) -> Result<(Url, serde_json::Value)> {
        let body = self.provider.api().body(req, model);
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

    /// The request headers: content type, accept, the provider's auth and version
    /// headers, then the extra headers.
    pub(super) fn headers_for(&self) -> Result<HeaderMap> {
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
        let api = self.provider.api();
        put("content-type", "application/json", false)?;
        let accept = match api.framing() {
            Framing::Ndjson => "application/x-ndjson",
            _ => "text/event-stream",
        };
        put("accept", accept, false)?;
        let key = self.api_key.as_ref().map(ApiKey::expose);
        for header in api.auth(key, &self.settings) {
            put(&header.name, &header.value, header.sensitive)?;
        }
        for (name, value) in &self.headers {
            put(name, value, false)?;
        }
        for (name, value) in &self.secret_headers {
            put(name, value.expose(), true)?;
        }
        Ok(headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let c = Client::builder()
            .base_url("http://127.0.0.1:1/v1")
            .api_key(ApiKey::new("sk-secret-value"))
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("sk-secret-value"));
    }

    #[test]
    fn extra_headers_come_after_the_provider_s() {
        let c = Client::builder()
            .provider(Provider::Anthropic)
            .base_url("https://h")
            .header("anthropic-version", "2099-01-01")
            .secret_header("x-gateway-key", ApiKey::new("gw"))
            .build()
            .unwrap();
        let h = c.headers_for().unwrap();
        assert_eq!(h.get("anthropic-version").unwrap(), "2099-01-01");
        assert!(h.get("x-gateway-key").unwrap().is_sensitive());
        assert_eq!(h.get("content-type").unwrap(), "application/json");
    }
}
