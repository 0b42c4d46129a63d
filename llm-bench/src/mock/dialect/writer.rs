//! The one trait every dialect implements, and what it is given and gives back.

use std::time::Duration;

use super::Dialect;
use crate::mock::answer::Answer;
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;

/// One API the simulated endpoint speaks, said in one place: its paths, how it reads a
/// request, how it frames an answer (the frame sent with the headers, each token's, the
/// end), its content type and its error shape. The server does the rest the same way for
/// every dialect: pacing, the injected errors of `error_rate` and the other faults,
/// capacity, shutdown and the truth.
///
/// Each dialect is a unit struct in its own file, listed once in
/// [`DIALECTS`](super::DIALECTS).
pub(crate) trait DialectWriter: Sync + 'static {
    /// The dialect, as the truth records it.
    const DIALECT: Dialect;
    /// The paths it answers with `POST`, in axum's syntax. A path may have one parameter
    /// (`/v1beta/models/{target}`), handed to [`read`](Self::read) as [`Call::param`].
    const PATHS: &'static [&'static str];
    /// The part of its paths a client's base URL holds: `/v1` for the OpenAI APIs, whose
    /// clients append `/chat/completions`, `/responses`, `/completions`; empty for the
    /// others, whose clients append the whole path.
    const BASE_PATH: &'static str;
    /// The header every response carries the request id in (the provider's own:
    /// Anthropic's `request-id`, Azure's `apim-request-id`; `x-request-id` by default, as
    /// OpenAI's and most OpenAI-compatible servers').
    const REQUEST_ID_HEADER: &'static str = "x-request-id";

    /// What [`read`](Self::read) keeps of a request for the answer (Gemini's framing,
    /// Ollama's endpoint, the settings a Responses object echoes, ...).
    type Request: Send + 'static;
    /// The state of one streamed answer: its frames' writer.
    type Stream: Send + Unpin + 'static;

    /// The model the URL names, recorded in the truth even when the request is refused
    /// (Gemini's `models/{model}:method`). `None` (the default): the URL names none.
    fn url_model(&self, _call: &Call<'_>) -> Option<String> {
        None
    }

    /// Reads a request (its URL and body: prompt size, max tokens, the reasoning it asks
    /// for, stream or not) into the answer's plan, or the error to answer with. Never
    /// panics on any input.
    ///
    /// # Errors
    ///
    /// The dialect's refusal (a 400, or a 404 for a URL it does not serve), written with
    /// [`error_body`](Self::error_body).
    fn read(
        &self,
        call: &Call<'_>,
        profile: &LatencyProfile,
    ) -> Result<Reading<Self::Request>, ApiError>;

    /// The content type of a streamed answer.
    fn content_type(&self, request: &Self::Request) -> &'static str;

    /// Starts writing a streamed answer.
    fn start(&self, request: Self::Request, reply: &Reply<'_>) -> Self::Stream;

    /// The frame sent at once, with the headers; `None` for a dialect whose first frame is
    /// the first token's.
    fn head(&self, stream: &mut Self::Stream) -> Option<String>;

    /// The frame of sent token `i`: reasoning tokens come first, then the answer's
    /// ([`Answer::kind`]).
    fn token(&self, stream: &mut Self::Stream, i: u32) -> String;

    /// What is sent at once after the last token (the finish reason, usage, a
    /// terminator), if anything.
    fn trailer(&self, stream: &mut Self::Stream) -> Option<String>;

    /// The whole body of a non-streaming answer.
    fn body(&self, request: Self::Request, reply: &Reply<'_>, timing: BodyTiming) -> String;

    /// An error's body, in the dialect's shape.
    fn error_body(&self, error: &ApiError) -> String;

    /// The HTTP 500 of a request that `error_rate` picked.
    fn injected_error(&self) -> ApiError;

    /// The answer to a non-streaming request that shutdown cut short.
    fn shutdown_error(&self) -> ApiError;

    /// The HTTP 429 of a request that `rate_limited` picked (the server adds `Retry-After`).
    fn rate_limit_error(&self) -> ApiError;

    /// The overloaded answer (503; Anthropic's 529) of a request that `server_errors`
    /// picked or a full queue refused; `why` ends the message.
    fn overloaded_error(&self, why: &str) -> ApiError;
}

/// One request, as its route received it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'a> {
    /// The path it came by, as the dialect listed it in
    /// [`PATHS`](DialectWriter::PATHS) (not the request's URL).
    pub(crate) path: &'static str,
    /// The value of the path's parameter, when it has one (percent-decoded).
    pub(crate) param: Option<&'a str>,
    /// The query string, when there is one.
    pub(crate) query: Option<&'a str>,
    /// The body, as received.
    pub(crate) body: &'a [u8],
}

/// A valid request, as its dialect read it.
#[derive(Debug)]
pub(crate) struct Reading<R> {
    /// The model the request names, if any (else the truth keeps the URL's or the
    /// server's).
    pub(crate) model: Option<String>,
    /// The request's cap on output tokens, as the truth records it.
    pub(crate) max_tokens: Option<u32>,
    /// The request asked for a stream.
    pub(crate) stream: bool,
    /// The stream reports usage.
    pub(crate) include_usage: bool,
    /// The answer's plan.
    pub(crate) answer: Answer,
    /// What the dialect keeps for the answer.
    pub(crate) request: R,
}

impl<R> Reading<R> {
    /// A reading whose stream reports usage exactly when it is streamed (every dialect but
    /// OpenAI Chat, Azure and legacy Completions, where the request asks for it, and TGI,
    /// where `parameters.details` does).
    pub(crate) fn new(
        model: Option<String>,
        max_tokens: Option<u32>,
        stream: bool,
        answer: Answer,
        request: R,
    ) -> Self {
        Reading {
            model,
            max_tokens,
            stream,
            include_usage: stream,
            answer,
            request,
        }
    }
}

/// What an answer's frames name besides the request: its number, time and model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reply<'a> {
    /// The answer's number on the server (0, 1, ... over the answers, not counting
    /// errors); every id of the answer derives from it.
    pub(crate) serial: u64,
    /// When it was planned, in seconds since the Unix epoch (OpenAI's `created`).
    pub(crate) created: u64,
    /// The model it answers as.
    pub(crate) model: &'a str,
    /// The answer's plan.
    pub(crate) answer: Answer,
    /// The stream reports usage.
    pub(crate) include_usage: bool,
    /// When the request was received.
    pub(crate) received_at: quanta::Instant,
}

/// When a non-streaming answer's tokens were due, as offsets from the request's receipt:
/// the body is sent after the last.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTiming {
    /// The first token's offset (the time to first token).
    pub(crate) ttft: Duration,
    /// The last token's offset.
    pub(crate) last: Duration,
}
