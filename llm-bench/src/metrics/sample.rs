//! One request's measurements, as recorded and as stored.

use serde::{Deserialize, Serialize};

use crate::delta::Usage;
use crate::error::ErrorClass;

/// Where a request's output token count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The API's own usage report.
    Usage,
    /// Counted by llm-bench from the streamed text, with the run's tokenizer (see
    /// [`Tokenizer`](crate::Tokenizer)): exact for OpenAI models with the `tiktoken` feature, otherwise an
    /// estimate.
    Counted,
}

/// A failed request: its class and message (never an API key), how long it ran and the
/// phase it failed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestError {
    /// The class the error is counted under.
    pub class: ErrorClass,
    /// What went wrong.
    pub message: String,
    /// From the request's start (where its latency would count from) to the failure, in
    /// nanoseconds. Kept out of every latency figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ns: Option<u64>,
    /// The phase the request was in when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<FailedPhase>,
}

impl RequestError {
    /// When and where it failed, for listings: "after 1.20 s, mid-stream"; `None` for an
    /// error stored without them (runs recorded before llm-bench kept them).
    pub(crate) fn when(&self) -> Option<String> {
        let after = self
            .after_ns
            .map(|ns| format!("after {}", crate::format::format_duration_ns(ns as f64)));
        let phase = self.phase.map(|p| p.describe().to_string());
        match (after, phase) {
            (Some(a), Some(p)) => Some(format!("{a}, {p}")),
            (a, p) => a.or(p),
        }
    }
}

/// The phase a failed request was in: how far it got.
///
/// ```
/// use llm_bench::stored::FailedPhase;
/// assert_eq!(serde_json::to_string(&FailedPhase::FirstToken).unwrap(), "\"first_token\"");
/// assert_eq!(FailedPhase::Stream.describe(), "mid-stream");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailedPhase {
    /// Opening the connection.
    Connect,
    /// The request was sent (or being sent); no response headers yet.
    Request,
    /// Response headers arrived; no output yet.
    FirstToken,
    /// Output had begun.
    Stream,
}

impl FailedPhase {
    /// The stable name, as in stored runs (`first_token`).
    pub fn as_str(self) -> &'static str {
        match self {
            FailedPhase::Connect => "connect",
            FailedPhase::Request => "request",
            FailedPhase::FirstToken => "first_token",
            FailedPhase::Stream => "stream",
        }
    }

    /// Where the request was, for messages: "while connecting", "before the response
    /// headers", "before the first token", "mid-stream".
    pub fn describe(self) -> &'static str {
        match self {
            FailedPhase::Connect => "while connecting",
            FailedPhase::Request => "before the response headers",
            FailedPhase::FirstToken => "before the first token",
            FailedPhase::Stream => "mid-stream",
        }
    }
}

/// A named part of an invocation timed with [`Ctx::span`](crate::Ctx::span).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanTiming {
    /// The span's name.
    pub name: String,
    /// When it began, in nanoseconds since the invocation started.
    pub start_ns: u64,
    /// How long it took, in nanoseconds.
    pub duration_ns: u64,
}

/// How the built-in client's request was carried: on a new connection or a reused one, and
/// how long opening it took. Durations are nanoseconds.
///
/// A request that opens a connection pays for it inside its TTFB, TTFT and E2E: they count
/// from the request's start, before name resolution and connect (README "Metrics"). The
/// warm-up requests open the connections a measured phase then reuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HttpPhases {
    /// The connection's number within the run's process: requests with the same number
    /// shared a connection.
    pub connection_id: u64,
    /// The connection was opened for this request (false: reused from the pool).
    pub new_connection: bool,
    /// The connection speaks HTTP/2 (ALPN); else HTTP/1.1.
    pub http2: bool,
    /// Name resolution and TCP connect, for a new connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ns: Option<u64>,
    /// The TLS handshake, for a new `https` connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ns: Option<u64>,
    /// From the start of the request's attempt to the completion of its last write (head
    /// and body handed to the kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_written_ns: Option<u64>,
}

/// The measurements of one request (one scenario invocation). Durations are nanoseconds.
///
/// Definitions (DESIGN §4, printed in the README): `ttft_ns` is start to the first event
/// that carries output of any kind; `ttfo_ns` start to the first answer text; `e2e_ns`
/// start to the end of the stream; ITL gaps are between consecutive output events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestSample {
    /// 0-based index among the measured requests of the run.
    pub index: u32,
    /// When the request started, in nanoseconds since the run started.
    pub started_at_ns: u64,
    /// Start to response headers, when the request went through the built-in client.
    pub ttfb_ns: Option<u64>,
    /// Start to the first output event.
    pub ttft_ns: Option<u64>,
    /// Start to the first answer-text event (equals TTFT for plain models).
    pub ttfo_ns: Option<u64>,
    /// Start to the end of the stream (terminator event or clean close).
    pub e2e_ns: Option<u64>,
    /// Number of events that carried output.
    pub output_events: u32,
    /// Output tokens: usage when reported, else counted (see `token_source`).
    pub output_tokens: Option<u64>,
    /// Where `output_tokens` came from.
    pub token_source: Option<TokenSource>,
    /// Output tokens as llm-bench counted them from the streamed text (see
    /// [`Tokenizer`](crate::Tokenizer)), whether or not the API reported usage; compare with `usage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted_tokens: Option<u64>,
    /// Usage as the API reported it, if it did.
    pub usage: Option<Usage>,
    /// Median of this request's gaps between output events: the middle gap of an odd
    /// count, else the mean of the two middle gaps rounded half up to whole nanoseconds
    /// (docs/statistics.md, "Definitions").
    pub itl_median_ns: Option<u64>,
    /// The longest of this request's gaps between output events (the stall its reader
    /// saw): what an ITL objective bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl_max_ns: Option<u64>,
    /// Median of this request's gaps per token: a gap that ended with an event of `k`
    /// tokens counts as `k` gaps of `gap / k` (the median of that multiset, defined and
    /// rounded as `itl_median_ns`). Set only when some event carried more than one token
    /// (else it equals `itl_median_ns`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl_per_token_median_ns: Option<u64>,
    /// Arrival of each output event, in nanoseconds since the request started; kept for the
    /// first few requests of a run only (token timelines), `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals_ns: Option<Vec<u64>>,
    /// Open loop: from the intended start (the schedule's) to the actual one, in
    /// nanoseconds. Latency figures count from the intended start, so this lag is inside
    /// them; a large lag means the client, not the endpoint, fell behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_lag_ns: Option<u64>,
    /// Attempts retried (429, 5xx, connection errors) before the one measured.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
    /// With retries: the time the failed attempts and the waits between them took, kept
    /// out of every latency figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_ns: Option<u64>,
    /// Set when the request failed; a failed request adds nothing to latency figures.
    pub error: Option<RequestError>,
    /// What the request cost in USD, when its model has a price (`--pricing`, `--max-cost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// The named parts of the invocation timed with [`Ctx::span`](crate::Ctx::span), in
    /// the order they ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<SpanTiming>,
    /// Where the request's latency counts from (its start; for open loop, its intended
    /// start), on the machine's monotonic clock: nanoseconds of `CLOCK_MONOTONIC` on Linux,
    /// the clock `std::time::Instant` and other processes' logs on the same machine use.
    /// An event at offset `t` (e.g. `ttft_ns`) happened at `start_monotonic_ns + t`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_monotonic_ns: Option<u64>,
    /// The same moment as UTC wall time, in nanoseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_unix_ns: Option<u64>,
    /// The id the server gave the request, from the first response header of
    /// `x-request-id`, `request-id`, `x-amzn-requestid`, `apim-request-id`,
    /// `x-ms-request-id` and `cf-ray` that it sent (built-in client): the key to the
    /// provider's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// How the request was carried (built-in client): connection new or reused, connect
    /// and TLS times, request written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpPhases>,
    /// The machine that sent the request, in a run that `llm-bench merge` combined from
    /// several machines' runs (the name given to merge); `None` in a run of one machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl RequestSample {
    /// Time per output token: `(E2E - TTFT) / (output_tokens - 1)`, for more than one token.
    ///
    /// ```
    /// # use llm_bench::stored::RequestSample;
    /// # let mut s: RequestSample = serde_json::from_str(r#"{"index":0,"started_at_ns":0,
    /// #   "ttfb_ns":null,"ttft_ns":null,"ttfo_ns":null,"e2e_ns":null,"output_events":0,
    /// #   "output_tokens":null,"token_source":null,"usage":null,"itl_median_ns":null,
    /// #   "error":null}"#).unwrap();
    /// s.ttft_ns = Some(50_000_000);
    /// s.e2e_ns = Some(240_000_000);
    /// s.output_tokens = Some(20);
    /// assert_eq!(s.tpot_ns(), Some(10_000_000));
    /// ```
    pub fn tpot_ns(&self) -> Option<u64> {
        let (ttft, e2e, tokens) = (self.ttft_ns?, self.e2e_ns?, self.output_tokens?);
        (tokens > 1 && e2e >= ttft).then(|| (e2e - ttft) / (tokens - 1))
    }

    /// Output tokens per second of this request: `output_tokens / E2E`.
    pub fn tokens_per_second(&self) -> Option<f64> {
        let (e2e, tokens) = (self.e2e_ns?, self.output_tokens?);
        (e2e > 0).then(|| tokens as f64 * 1e9 / e2e as f64)
    }

    /// The total time of the spans called `name` in this request, if it had any.
    pub fn span_ns(&self, name: &str) -> Option<u64> {
        self.spans
            .iter()
            .filter(|s| s.name == name)
            .map(|s| s.duration_ns)
            .reduce(|a, b| a + b)
    }

    /// True when the request succeeded.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}
