//! The Cohere chat API v1 dialect (`POST /v1/chat`, an NDJSON stream): the request it
//! reads, the lines it writes, and Cohere's error shape.

use serde::Deserialize;
use serde_json::Value;

use super::{cohere, BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::Answer;
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, uuid_like, words};

/// The Cohere chat API v1 dialect. No reasoning.
pub(crate) struct CohereV1;

impl DialectWriter for CohereV1 {
    const DIALECT: Dialect = Dialect::CohereV1;
    const PATHS: &'static [&'static str] = &["/v1/chat"];
    const BASE_PATH: &'static str = "";

    /// The conversation the answer's `chat_history` repeats.
    type Request = Vec<Value>;
    type Stream = LineWriter;

    fn read(
        &self,
        call: &Call<'_>,
        profile: &LatencyProfile,
    ) -> Result<Reading<Vec<Value>>, ApiError> {
        let r = parse_request(call.body)?;
        let answer = r.answer(profile);
        Ok(Reading::new(
            r.model,
            r.max_tokens,
            r.stream,
            answer,
            r.history,
        ))
    }

    fn content_type(&self, _: &Vec<Value>) -> &'static str {
        "application/stream+json"
    }

    fn start(&self, history: Vec<Value>, reply: &Reply<'_>) -> LineWriter {
        LineWriter::new(
            &uuid_like(reply.serial),
            &generation_id(reply.serial),
            history,
            reply.answer,
        )
    }

    fn head(&self, stream: &mut LineWriter) -> Option<String> {
        Some(stream.head())
    }

    fn token(&self, stream: &mut LineWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut LineWriter) -> Option<String> {
        Some(stream.trailer())
    }

    fn body(&self, history: Vec<Value>, reply: &Reply<'_>, _: BodyTiming) -> String {
        response_body(
            &uuid_like(reply.serial),
            &generation_id(reply.serial),
            &history,
            &reply.answer,
        )
    }

    fn error_body(&self, error: &ApiError) -> String {
        cohere::error_body(error)
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

/// The generation id of answer number `serial` (v1's second id).
fn generation_id(serial: u64) -> String {
    uuid_like(serial ^ 0x6765_6E65_7261_7465)
}

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
struct RawRequest {
    /// `model`: echoed in the answer.
    #[serde(default)]
    model: Option<String>,
    /// `message`: required, not blank.
    #[serde(default)]
    message: Option<String>,
    /// `preamble`: counted in the prompt.
    #[serde(default)]
    preamble: Option<String>,
    /// `chat_history`: counted in the prompt and repeated in the answer.
    #[serde(default)]
    chat_history: Option<Vec<Value>>,
    /// `max_tokens`.
    #[serde(default)]
    max_tokens: Option<u32>,
    /// `stream`.
    #[serde(default)]
    stream: Option<bool>,
}

/// A v1 chat request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct ChatRequest {
    /// The model the request names (`None` when absent or empty).
    pub(crate) model: Option<String>,
    /// The request's cap on output tokens.
    pub(crate) max_tokens: Option<u32>,
    /// The request asked for a stream.
    pub(crate) stream: bool,
    /// The prompt size the mock reports: the whitespace-separated words of its text.
    pub(crate) prompt_tokens: u32,
    /// The conversation the answer's `chat_history` repeats: the request's history, then
    /// the request's message as a `USER` turn.
    pub(crate) history: Vec<Value>,
}

impl ChatRequest {
    /// The answer's plan: v1 has no reasoning, whatever the profile says.
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        Answer::plan(profile, self.max_tokens, 0, true, self.prompt_tokens)
    }
}

/// A 400 with this message, in the dialect's way.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("", message)
}

/// Parses a v1 chat body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| {
        invalid(format!(
            "invalid request: could not parse the JSON body: {e}"
        ))
    })?;
    let message = raw
        .message
        .ok_or_else(|| invalid("invalid request: message must be a string"))?;
    if message.trim().is_empty() {
        return Err(invalid(
            "invalid request: message must be at least 1 token long",
        ));
    }
    if raw.max_tokens == Some(0) {
        return Err(invalid("invalid request: max_tokens must be at least 1"));
    }
    let mut history = raw.chat_history.unwrap_or_default();
    let prompt = raw
        .preamble
        .as_deref()
        .map_or(0, |p| p.split_whitespace().count())
        + message.split_whitespace().count()
        + history
            .iter()
            .map(|m| m.get("message").map_or(0, words))
            .sum::<usize>();
    history.push(serde_json::json!({"role": "USER", "message": message}));
    Ok(ChatRequest {
        model: raw.model.filter(|m| !m.is_empty()),
        max_tokens: raw.max_tokens,
        stream: raw.stream.unwrap_or(false),
        prompt_tokens: count(prompt),
        history,
    })
}

/// The finish reason of an answer.
fn finish_reason(answer: &Answer) -> &'static str {
    if answer.cut {
        "MAX_TOKENS"
    } else {
        "COMPLETE"
    }
}

/// `meta`: the API version, `billed_units` and `tokens` (the same counts).
fn meta_json(answer: &Answer) -> String {
    let units = format!(
        r#"{{"input_tokens":{},"output_tokens":{}}}"#,
        answer.prompt_tokens, answer.answer
    );
    format!(r#"{{"api_version":{{"version":"1"}},"billed_units":{units},"tokens":{units}}}"#)
}

/// The `response` of `stream-end` and the body of a non-streaming answer, in the order of the
/// recorded stream: `response_id`, `text`, `generation_id`, `chat_history` (the request's,
/// with its message and the answer appended), `finish_reason`, `meta`.
fn response_json(id: &str, generation_id: &str, history: &[Value], answer: &Answer) -> String {
    let text = Value::String(answer.answer_text()).to_string();
    let mut turns: Vec<String> = history.iter().map(turn_json).collect();
    turns.push(format!(r#"{{"role":"CHATBOT","message":{text}}}"#));
    format!(
        r#"{{"response_id":"{id}","text":{text},"generation_id":"{generation_id}","chat_history":[{}],"finish_reason":"{}","meta":{}}}"#,
        turns.join(","),
        finish_reason(answer),
        meta_json(answer)
    )
}

/// One turn of `chat_history`, `role` before `message` as Cohere writes it (other shapes
/// as they came).
fn turn_json(turn: &Value) -> String {
    let role = turn.get("role").and_then(Value::as_str);
    let message = turn.get("message").and_then(Value::as_str);
    match (role, message) {
        (Some(role), Some(message)) if turn.as_object().is_some_and(|o| o.len() == 2) => {
            format!(
                r#"{{"role":{},"message":{}}}"#,
                Value::String(role.to_owned()),
                Value::String(message.to_owned())
            )
        }
        _ => turn.to_string(),
    }
}

/// Writes the NDJSON lines of one streamed v1 chat answer, as the recorded Cohere v1 stream
/// has them.
pub(crate) struct LineWriter {
    /// The response's id.
    response_id: String,
    /// The generation's id.
    generation_id: String,
    /// The conversation `stream-end` repeats.
    history: Vec<Value>,
    /// The answer's plan.
    answer: Answer,
}

impl LineWriter {
    /// A writer of the lines of response `response_id` (generation `generation_id`), which repeats `history`.
    pub(crate) fn new(
        response_id: &str,
        generation_id: &str,
        history: Vec<Value>,
        answer: Answer,
    ) -> Self {
        LineWriter {
            response_id: response_id.to_owned(),
            generation_id: generation_id.to_owned(),
            history,
            answer,
        }
    }

    /// `stream-start`, sent at once with the headers.
    pub(crate) fn head(&self) -> String {
        format!(
            "{{\"is_finished\":false,\"event_type\":\"stream-start\",\"generation_id\":\"{}\"}}\n",
            self.generation_id
        )
    }

    /// The `text-generation` line of sent token `i`.
    pub(crate) fn token(&self, i: u32) -> String {
        let mut s = String::with_capacity(80);
        s.push_str(r#"{"is_finished":false,"event_type":"text-generation","text":""#);
        self.answer.push_token(&mut s, i);
        s.push_str("\"}\n");
        s
    }

    /// The `stream-end` line: the whole response, its finish reason and usage.
    pub(crate) fn trailer(&self) -> String {
        format!(
            "{{\"is_finished\":true,\"event_type\":\"stream-end\",\"response\":{},\"finish_reason\":\"{}\"}}\n",
            response_json(
                &self.response_id,
                &self.generation_id,
                &self.history,
                &self.answer
            ),
            finish_reason(&self.answer)
        )
    }
}

/// The body of a non-streaming v1 chat answer.
pub(crate) fn response_body(
    response_id: &str,
    generation_id: &str,
    history: &[Value],
    answer: &Answer,
) -> String {
    response_json(response_id, generation_id, history, answer)
}
