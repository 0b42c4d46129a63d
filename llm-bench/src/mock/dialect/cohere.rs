//! The Cohere chat API v2 dialect (`POST /v2/chat`): the request it reads, the named
//! events it writes, and Cohere's error shape (which v1 shares).

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::{BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::{reasoning_for, Answer, TokenKind};
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, uuid_like, words};

/// The Cohere chat API v2 dialect.
pub(crate) struct CohereV2;

impl DialectWriter for CohereV2 {
    const DIALECT: Dialect = Dialect::CohereV2;
    const PATHS: &'static [&'static str] = &["/v2/chat"];
    const BASE_PATH: &'static str = "";

    type Request = ();
    type Stream = EventWriter;

    fn read(&self, call: &Call<'_>, profile: &LatencyProfile) -> Result<Reading<()>, ApiError> {
        let r = parse_request(call.body)?;
        let answer = r.answer(profile);
        Ok(Reading::new(r.model, r.max_tokens, r.stream, answer, ()))
    }

    fn content_type(&self, (): &()) -> &'static str {
        "text/event-stream"
    }

    fn start(&self, (): (), reply: &Reply<'_>) -> EventWriter {
        EventWriter::new(&uuid_like(reply.serial), reply.answer)
    }

    fn head(&self, stream: &mut EventWriter) -> Option<String> {
        Some(stream.head())
    }

    fn token(&self, stream: &mut EventWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut EventWriter) -> Option<String> {
        Some(stream.trailer())
    }

    fn body(&self, (): (), reply: &Reply<'_>, _: BodyTiming) -> String {
        response_body(&uuid_like(reply.serial), &reply.answer)
    }

    fn error_body(&self, error: &ApiError) -> String {
        error_body(error)
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

/// An error's body in Cohere's shape (v1 and v2): `{"message"}`.
pub(crate) fn error_body(error: &ApiError) -> String {
    serde_json::json!({"message": error.message}).to_string()
}

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
struct RawRequest {
    /// `model`: echoed in the answer.
    #[serde(default)]
    model: Option<String>,
    /// `messages`: required, non-empty.
    #[serde(default)]
    messages: Option<Vec<Value>>,
    /// `max_tokens`.
    #[serde(default)]
    max_tokens: Option<u32>,
    /// `stream`.
    #[serde(default)]
    stream: Option<bool>,
    /// `thinking`: the reasoning asked for.
    #[serde(default)]
    thinking: Option<Thinking>,
}

/// The request's `thinking` object.
#[derive(Deserialize)]
struct Thinking {
    /// `type`.
    #[serde(rename = "type", default)]
    kind: Option<String>,
    /// `token_budget`: the cap of an `enabled` thinking.
    #[serde(default)]
    token_budget: Option<u32>,
}

/// A v2 chat request, as far as the mock cares.
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
    /// `thinking.type`: `None` when absent, `Some(false)` for `disabled`, `Some(true)` for
    /// `enabled`.
    pub(crate) thinking: Option<bool>,
    /// `thinking.token_budget`.
    pub(crate) budget: Option<u32>,
}

impl ChatRequest {
    /// The answer's plan: `thinking: {"type": "enabled"}` asks for reasoning (the profile's
    /// count, or the default when that is 0, capped by `token_budget`); `disabled` turns it
    /// off; without `thinking`, the profile's count (Cohere's reasoning models think by
    /// default).
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        let reasoning = reasoning_for(profile, self.thinking, self.budget);
        Answer::plan(
            profile,
            self.max_tokens,
            reasoning,
            true,
            self.prompt_tokens,
        )
    }
}

/// A 400 with this message, in the dialect's way.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("", message)
}

/// Parses a v2 chat body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| {
        invalid(format!(
            "invalid request: could not parse the JSON body: {e}"
        ))
    })?;
    let messages = raw
        .messages
        .ok_or_else(|| invalid("invalid request: messages is required"))?;
    if messages.is_empty() {
        return Err(invalid(
            "invalid request: messages must contain at least one message",
        ));
    }
    if raw.max_tokens == Some(0) {
        return Err(invalid("invalid request: max_tokens must be at least 1"));
    }
    let (thinking, budget) = match raw.thinking {
        None => (None, None),
        Some(t) => match t.kind.as_deref() {
            Some("enabled") => (Some(true), t.token_budget),
            Some("disabled") => (Some(false), None),
            other => {
                return Err(invalid(format!(
                "invalid request: thinking.type must be one of 'enabled' or 'disabled', got '{}'",
                other.unwrap_or("")
            )))
            }
        },
    };
    let prompt: usize = messages
        .iter()
        .map(|m| m.get("content").map_or(0, words))
        .sum();
    Ok(ChatRequest {
        model: raw.model.filter(|m| !m.is_empty()),
        max_tokens: raw.max_tokens,
        stream: raw.stream.unwrap_or(false),
        prompt_tokens: count(prompt),
        thinking,
        budget,
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

/// The `usage` object: `billed_units` and `tokens`, the same counts (the mock bills every
/// token); `output_tokens` counts thinking too.
pub(crate) fn usage_json(answer: &Answer) -> String {
    let units = format!(
        r#"{{"input_tokens":{},"output_tokens":{}}}"#,
        answer.prompt_tokens,
        answer.total()
    );
    format!(r#"{{"billed_units":{units},"tokens":{units}}}"#)
}

/// Appends one named event: `event: {name}` and its `data` line.
fn event(out: &mut String, name: &str, data: &str) {
    let _ = write!(out, "event: {name}\ndata: {data}\n\n");
}

/// Writes the named SSE events of one streamed v2 chat answer, as the recorded Cohere
/// streams have them.
pub(crate) struct EventWriter {
    /// The answer's id.
    id: String,
    /// The answer's plan.
    answer: Answer,
}

impl EventWriter {
    /// A writer of message `id`'s events.
    pub(crate) fn new(id: &str, answer: Answer) -> Self {
        EventWriter {
            id: id.to_owned(),
            answer,
        }
    }

    /// The index of the text content: 1 after a thinking content, else 0.
    fn text_index(&self) -> u32 {
        u32::from(self.answer.reasoning > 0)
    }

    /// `message-start` and the first `content-start` (thinking when there is reasoning,
    /// else text): sent at once, with the headers.
    pub(crate) fn head(&self) -> String {
        let mut s = String::with_capacity(400);
        event(
            &mut s,
            "message-start",
            &format!(
                r#"{{"id":"{}","type":"message-start","delta":{{"message":{{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}}}}"#,
                self.id
            ),
        );
        let start = if self.answer.reasoning > 0 {
            r#"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"thinking","thinking":""}}}}"#
        } else {
            r#"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}"#
        };
        event(&mut s, "content-start", start);
        s
    }

    /// The event of sent token `i`: a `content-delta` with `thinking` or `text`. The first
    /// answer token after thinking comes after the thinking content's `content-end` and the
    /// text content's `content-start`.
    pub(crate) fn token(&self, i: u32) -> String {
        let mut s = String::with_capacity(200);
        match self.answer.kind(i) {
            (TokenKind::Reasoning, _) => s.push_str(
                "event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"thinking\":\"",
            ),
            (TokenKind::Answer, j) => {
                let index = self.text_index();
                if j == 0 && index == 1 {
                    event(&mut s, "content-end", r#"{"type":"content-end","index":0}"#);
                    event(
                        &mut s,
                        "content-start",
                        r#"{"type":"content-start","index":1,"delta":{"message":{"content":{"type":"text","text":""}}}}"#,
                    );
                }
                let _ = write!(
                    s,
                    "event: content-delta\ndata: {{\"type\":\"content-delta\",\"index\":{index},\"delta\":{{\"message\":{{\"content\":{{\"text\":\""
                );
            }
        }
        self.answer.push_token(&mut s, i);
        s.push_str("\"}}}}\n\n");
        s
    }

    /// The end: the open content's `content-end`, `message-end` with the finish reason and
    /// usage, and `data: [DONE]` (as the recorded streams end).
    pub(crate) fn trailer(&self) -> String {
        let mut s = String::with_capacity(400);
        let open = if self.answer.answer == 0 {
            0
        } else {
            self.text_index()
        };
        event(
            &mut s,
            "content-end",
            &format!(r#"{{"type":"content-end","index":{open}}}"#),
        );
        event(
            &mut s,
            "message-end",
            &format!(
                r#"{{"type":"message-end","delta":{{"finish_reason":"{}","usage":{}}}}}"#,
                finish_reason(&self.answer),
                usage_json(&self.answer)
            ),
        );
        s.push_str("data: [DONE]\n\n");
        s
    }
}

/// The body of a non-streaming v2 chat answer.
pub(crate) fn response_body(id: &str, answer: &Answer) -> String {
    let mut content = Vec::new();
    if answer.reasoning > 0 {
        content.push(serde_json::json!({"type": "thinking", "thinking": answer.reasoning_text()}));
    }
    if answer.answer > 0 {
        content.push(serde_json::json!({"type": "text", "text": answer.answer_text()}));
    }
    let usage: Value = serde_json::from_str(&usage_json(answer)).unwrap_or(Value::Null);
    serde_json::json!({
        "id": id,
        "message": {"role": "assistant", "content": content},
        "finish_reason": finish_reason(answer),
        "usage": usage,
    })
    .to_string()
}
