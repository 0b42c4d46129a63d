//! The dialect of Hugging Face Text Generation Inference's `POST /generate_stream`: the
//! request it reads, the token events it writes, and TGI's error shape.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::{BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::Answer;
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{answer_token_id, count};

/// The TGI dialect. It always streams; no reasoning.
pub(crate) struct Tgi;

impl DialectWriter for Tgi {
    const DIALECT: Dialect = Dialect::Tgi;
    const PATHS: &'static [&'static str] = &["/generate_stream"];
    const BASE_PATH: &'static str = "";

    /// `parameters.details`: the last event carries `details`.
    type Request = bool;
    type Stream = EventWriter;

    /// The stream reports usage when `parameters.details` asks.
    fn read(&self, call: &Call<'_>, profile: &LatencyProfile) -> Result<Reading<bool>, ApiError> {
        let r = parse_request(call.body)?;
        let answer = r.answer(profile);
        Ok(Reading {
            include_usage: r.details,
            ..Reading::new(None, r.max_tokens, true, answer, r.details)
        })
    }

    fn content_type(&self, _: &bool) -> &'static str {
        "text/event-stream"
    }

    fn start(&self, details: bool, reply: &Reply<'_>) -> EventWriter {
        EventWriter::new(reply.answer, details)
    }

    /// None: the first event is the first token's.
    fn head(&self, _: &mut EventWriter) -> Option<String> {
        None
    }

    fn token(&self, stream: &mut EventWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut EventWriter) -> Option<String> {
        stream.trailer()
    }

    /// Empty: `/generate_stream` always streams.
    fn body(&self, _: bool, _: &Reply<'_>, _: BodyTiming) -> String {
        String::new()
    }

    /// `{"error": message, "error_type": kind}`.
    fn error_body(&self, error: &ApiError) -> String {
        serde_json::json!({"error": error.message, "error_type": error.kind}).to_string()
    }

    fn injected_error(&self) -> ApiError {
        ApiError::generation_failed()
    }

    fn shutdown_error(&self) -> ApiError {
        ApiError::overloaded()
    }

    fn rate_limit_error(&self) -> ApiError {
        ApiError::too_many_requests()
    }

    fn overloaded_error(&self, why: &str) -> ApiError {
        ApiError::busy(why)
    }
}

/// The end-of-sequence token sent after a natural end (`special: true`: not text).
const EOS: &str = r#"{"id":2,"text":"</s>","logprob":-0.01,"special":true}"#;

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
struct RawRequest {
    /// `inputs`: required, not blank.
    #[serde(default)]
    inputs: Option<String>,
    /// `parameters`.
    #[serde(default)]
    parameters: Option<Parameters>,
}

/// The request's `parameters`.
#[derive(Deserialize)]
struct Parameters {
    /// `max_new_tokens`: the cap on output tokens.
    #[serde(default)]
    max_new_tokens: Option<u32>,
    /// `details`: the last event carries `details`.
    #[serde(default)]
    details: Option<bool>,
}

/// A `/generate_stream` request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct GenerateRequest {
    /// `parameters.max_new_tokens`.
    pub(crate) max_tokens: Option<u32>,
    /// `parameters.details`: the last event carries `details`.
    pub(crate) details: bool,
    /// The prompt size the mock reports: the whitespace-separated words of its text.
    pub(crate) prompt_tokens: u32,
}

impl GenerateRequest {
    /// The answer's plan: no reasoning (TGI streams tokens, whatever they are).
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        Answer::plan(profile, self.max_tokens, 0, true, self.prompt_tokens)
    }
}

/// A 400 with this message, in the dialect's way.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("validation", message)
}

/// Parses a `/generate_stream` body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<GenerateRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| {
        invalid(format!(
            "Failed to deserialize the JSON body into the target type: {e}"
        ))
    })?;
    let inputs = raw.inputs.ok_or_else(|| {
        invalid("Failed to deserialize the JSON body into the target type: missing field `inputs`")
    })?;
    if inputs.trim().is_empty() {
        return Err(invalid("Input validation error: `inputs` cannot be empty"));
    }
    let parameters = raw.parameters;
    let max_tokens = parameters.as_ref().and_then(|p| p.max_new_tokens);
    if max_tokens == Some(0) {
        return Err(invalid(
            "Input validation error: `max_new_tokens` must be strictly positive",
        ));
    }
    Ok(GenerateRequest {
        max_tokens,
        details: parameters.and_then(|p| p.details).unwrap_or(false),
        prompt_tokens: count(inputs.split_whitespace().count()),
    })
}

/// Writes the SSE events of one `/generate_stream` answer: `data:` with no space after the
/// colon, as TGI's server writes it.
pub(crate) struct EventWriter {
    /// The answer's plan.
    answer: Answer,
    /// `parameters.details` was asked for.
    details: bool,
}

impl EventWriter {
    /// A writer of the events of an answer; `details`: the last one carries `details`.
    pub(crate) fn new(answer: Answer, details: bool) -> Self {
        EventWriter { answer, details }
    }

    /// `generated_text` and `details` of the last event: the whole text, and (when asked
    /// for) the finish reason, the generated tokens (the end-of-sequence token counts, as
    /// TGI counts it) and the prompt's length.
    fn end_fields(&self) -> String {
        let a = &self.answer;
        let text = Value::String(a.answer_text());
        if !self.details {
            return format!(r#""generated_text":{text},"details":null"#);
        }
        let (reason, generated) = if a.cut {
            ("length", a.answer)
        } else {
            ("eos_token", a.answer.saturating_add(1))
        };
        format!(
            r#""generated_text":{text},"details":{{"finish_reason":"{reason}","generated_tokens":{generated},"seed":null,"input_length":{}}}"#,
            a.prompt_tokens
        )
    }

    /// The event of sent token `i`. When `max_new_tokens` cut the answer, the last token's
    /// event carries `generated_text` and `details`.
    pub(crate) fn token(&self, i: u32) -> String {
        let id = answer_token_id(self.answer.seed, i);
        let mut s = String::with_capacity(160);
        let _ = write!(
            s,
            r#"data:{{"index":{},"token":{{"id":{id},"text":""#,
            i + 1
        );
        self.answer.push_token(&mut s, i);
        let _ = write!(
            s,
            r#"","logprob":-{}.{:04},"special":false}},"#,
            id % 3,
            (id * 7919) % 10_000
        );
        if self.answer.cut && i + 1 == self.answer.streamed() {
            s.push_str(&self.end_fields());
        } else {
            s.push_str(r#""generated_text":null,"details":null"#);
        }
        s.push_str("}\n\n");
        s
    }

    /// The end after a natural stop: the end-of-sequence token's event, with
    /// `generated_text` and `details` (`finish_reason: "eos_token"`). Nothing when
    /// `max_new_tokens` cut the answer (its last token's event ended it).
    pub(crate) fn trailer(&self) -> Option<String> {
        if self.answer.cut {
            return None;
        }
        Some(format!(
            "data:{{\"index\":{},\"token\":{EOS},{}}}\n\n",
            self.answer.answer.saturating_add(1),
            self.end_fields()
        ))
    }
}
