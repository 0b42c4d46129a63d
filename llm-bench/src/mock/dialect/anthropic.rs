//! The Anthropic Messages dialect (`POST /v1/messages`): the request it reads, the named
//! events it writes, and Anthropic's error shape.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::{BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::{reasoning_for, Answer, TokenKind};
use crate::mock::api_error::{ApiError, INJECTED, RATE_LIMITED, SHUTTING_DOWN};
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, words};

/// The Anthropic Messages dialect.
pub(crate) struct Anthropic;

impl DialectWriter for Anthropic {
    const DIALECT: Dialect = Dialect::Anthropic;
    const REQUEST_ID_HEADER: &'static str = "request-id";
    const PATHS: &'static [&'static str] = &["/v1/messages"];
    const BASE_PATH: &'static str = "";

    type Request = ();
    type Stream = EventWriter;

    fn read(&self, call: &Call<'_>, profile: &LatencyProfile) -> Result<Reading<()>, ApiError> {
        let r = parse_request(call.body)?;
        let answer = r.answer(profile);
        Ok(Reading::new(
            r.model,
            Some(r.max_tokens),
            r.stream,
            answer,
            (),
        ))
    }

    fn content_type(&self, (): &()) -> &'static str {
        "text/event-stream; charset=utf-8"
    }

    fn start(&self, (): (), reply: &Reply<'_>) -> EventWriter {
        EventWriter::new(&message_id(reply.serial), reply.model, reply.answer)
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
        message_body(&message_id(reply.serial), reply.model, &reply.answer)
    }

    /// `{"type": "error", "error": {"type": kind, "message"}}`.
    fn error_body(&self, error: &ApiError) -> String {
        serde_json::json!({
            "type": "error",
            "error": {"type": error.kind, "message": error.message},
        })
        .to_string()
    }

    fn injected_error(&self) -> ApiError {
        ApiError {
            status: 500,
            message: format!("Internal server error {INJECTED}"),
            kind: "api_error",
            code: "",
        }
    }

    /// Anthropic's 529 `overloaded_error`.
    fn shutdown_error(&self) -> ApiError {
        ApiError {
            status: 529,
            message: SHUTTING_DOWN.into(),
            kind: "overloaded_error",
            code: "",
        }
    }

    /// Anthropic's 429 `rate_limit_error`.
    fn rate_limit_error(&self) -> ApiError {
        ApiError {
            status: 429,
            message: format!("Number of requests has exceeded your rate limit {RATE_LIMITED}"),
            kind: "rate_limit_error",
            code: "",
        }
    }

    /// Anthropic's 529 `overloaded_error`.
    fn overloaded_error(&self, why: &str) -> ApiError {
        ApiError {
            status: 529,
            message: format!("Overloaded {why}"),
            kind: "overloaded_error",
            code: "",
        }
    }
}

/// The id of message number `serial`.
fn message_id(serial: u64) -> String {
    format!("msg_mock{serial:016x}")
}

/// The smallest `thinking.budget_tokens` Anthropic accepts.
const MIN_THINKING_BUDGET: u64 = 1024;

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
struct RawRequest {
    /// `model`: echoed in the answer.
    #[serde(default)]
    model: Option<String>,
    /// `max_tokens`.
    #[serde(default)]
    max_tokens: Option<u32>,
    /// `messages`: required, non-empty.
    #[serde(default)]
    messages: Option<Vec<Value>>,
    /// `system`: a string or text blocks, counted in the prompt.
    #[serde(default)]
    system: Option<Value>,
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
    /// `budget_tokens`: the cap of an `enabled` thinking.
    #[serde(default)]
    budget_tokens: Option<u64>,
}

/// A Messages request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct MessagesRequest {
    /// The model the request names (`None` when absent or empty).
    pub(crate) model: Option<String>,
    /// `max_tokens` (required).
    pub(crate) max_tokens: u32,
    /// The request asked for a stream.
    pub(crate) stream: bool,
    /// The prompt size the mock reports: the whitespace-separated words of its text.
    pub(crate) prompt_tokens: u32,
    /// Thinking enabled (`Some(budget)`; `u32::MAX` for `adaptive`), or not (`None`).
    pub(crate) thinking: Option<u32>,
}

impl MessagesRequest {
    /// The answer's plan: thinking only when the request enables it (the profile's
    /// reasoning count, or the default when that is 0, capped by `budget_tokens`).
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        let reasoning = match self.thinking {
            None => 0,
            Some(budget) => reasoning_for(profile, Some(true), Some(budget)),
        };
        Answer::plan(
            profile,
            Some(self.max_tokens),
            reasoning,
            true,
            self.prompt_tokens,
        )
    }
}

/// A 400 with this message, in the dialect's way.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid_request(message, "")
}

/// Parses a Messages body, with Anthropic's validation of what the mock reads. Never panics
/// on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<MessagesRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("There was an error parsing the body: {e}")))?;
    let max_tokens = raw
        .max_tokens
        .ok_or_else(|| invalid("max_tokens: Field required"))?;
    if max_tokens == 0 {
        return Err(invalid(
            "max_tokens: Input should be greater than or equal to 1",
        ));
    }
    let messages = raw
        .messages
        .ok_or_else(|| invalid("messages: Field required"))?;
    if messages.is_empty() {
        return Err(invalid("messages: at least one message is required"));
    }
    let thinking = match raw.thinking {
        None => None,
        Some(t) => match t.kind.as_deref() {
            Some("enabled") => {
                let budget = t
                    .budget_tokens
                    .ok_or_else(|| invalid("thinking.enabled.budget_tokens: Field required"))?;
                if budget < MIN_THINKING_BUDGET {
                    return Err(invalid(format!(
                        "thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}"
                    )));
                }
                if budget >= u64::from(max_tokens) {
                    return Err(invalid(
                        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
                    ));
                }
                Some(u32::try_from(budget).unwrap_or(u32::MAX))
            }
            Some("adaptive") => Some(u32::MAX),
            Some("disabled") => None,
            other => {
                return Err(invalid(format!(
                    "thinking: Input tag '{}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'",
                    other.unwrap_or("")
                )))
            }
        },
    };
    let system = raw.system.as_ref().map_or(0, words);
    let prompt: usize = messages
        .iter()
        .map(|m| m.get("content").map_or(0, words))
        .sum();
    Ok(MessagesRequest {
        model: raw.model.filter(|m| !m.is_empty()),
        max_tokens,
        stream: raw.stream.unwrap_or(false),
        prompt_tokens: count(system + prompt),
        thinking,
    })
}

/// The stop reason of an answer.
fn stop_reason(answer: &Answer) -> &'static str {
    if answer.cut {
        "max_tokens"
    } else {
        "end_turn"
    }
}

/// The opaque signature that closes a thinking block (not a real one: nothing checks it).
fn signature(answer: &Answer) -> String {
    format!(
        "RXFsbG1iZW5jaG1vY2s{:016x}{:08x}",
        answer.seed, answer.reasoning
    )
}

/// The usage object of `message_delta` and of a non-streaming message: `output_tokens`
/// counts thinking too, as Anthropic does.
fn usage_json(answer: &Answer, output_tokens: u32) -> String {
    format!(
        r#"{{"input_tokens":{},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":{output_tokens}}}"#,
        answer.prompt_tokens
    )
}

/// Appends one named event: `event: {name}` and its `data` line.
fn event(out: &mut String, name: &str, data: &str) {
    let _ = write!(out, "event: {name}\ndata: {data}\n\n");
}

/// Writes the named SSE events of one streamed Messages answer.
pub(crate) struct EventWriter {
    /// The answer's id.
    id: String,
    /// The model, as a JSON string.
    model_json: String,
    /// The answer's plan.
    answer: Answer,
}

impl EventWriter {
    /// A writer of message `id`'s events, answering as `model`.
    pub(crate) fn new(id: &str, model: &str, answer: Answer) -> Self {
        EventWriter {
            id: id.to_owned(),
            model_json: Value::String(model.to_owned()).to_string(),
            answer,
        }
    }

    /// The index of the text block: 1 after a thinking block, else 0.
    fn text_index(&self) -> u32 {
        u32::from(self.answer.reasoning > 0)
    }

    /// `message_start`, the first `content_block_start` (thinking when there is reasoning,
    /// else text) and a `ping`: sent at once, with the headers.
    pub(crate) fn head(&self) -> String {
        let mut s = String::with_capacity(600);
        event(
            &mut s,
            "message_start",
            &format!(
                r#"{{"type":"message_start","message":{{"model":{},"id":"{}","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{}}}}}"#,
                self.model_json,
                self.id,
                usage_json(&self.answer, 1)
            ),
        );
        let block = if self.answer.reasoning > 0 {
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#
        } else {
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
        };
        event(&mut s, "content_block_start", block);
        event(&mut s, "ping", r#"{"type": "ping"}"#);
        s
    }

    /// Closes the thinking block: its signature, then `content_block_stop`.
    fn close_thinking(&self, s: &mut String) {
        event(
            s,
            "content_block_delta",
            &format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"signature_delta","signature":"{}"}}}}"#,
                signature(&self.answer)
            ),
        );
        event(
            s,
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        );
    }

    /// The event of sent token `i`: a `thinking_delta` or a `text_delta`. The first answer
    /// token after thinking comes after the thinking block's close and the text block's
    /// start.
    pub(crate) fn token(&self, i: u32) -> String {
        let mut s = String::with_capacity(160);
        match self.answer.kind(i) {
            (TokenKind::Reasoning, _) => {
                s.push_str("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"");
            }
            (TokenKind::Answer, j) => {
                let index = self.text_index();
                if j == 0 && index == 1 {
                    self.close_thinking(&mut s);
                    event(
                        &mut s,
                        "content_block_start",
                        r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
                    );
                }
                let _ = write!(s, "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"text_delta\",\"text\":\"");
            }
        }
        self.answer.push_token(&mut s, i);
        s.push_str("\"}}\n\n");
        s
    }

    /// The end: the open block's `content_block_stop` (a thinking block cut by `max_tokens`
    /// gets its signature first), `message_delta` with the stop reason and the output
    /// tokens, `message_stop`.
    pub(crate) fn trailer(&self) -> String {
        let mut s = String::with_capacity(400);
        if self.answer.answer == 0 {
            self.close_thinking(&mut s);
        } else {
            event(
                &mut s,
                "content_block_stop",
                &format!(
                    r#"{{"type":"content_block_stop","index":{}}}"#,
                    self.text_index()
                ),
            );
        }
        event(
            &mut s,
            "message_delta",
            &format!(
                r#"{{"type":"message_delta","delta":{{"stop_reason":"{}","stop_sequence":null}},"usage":{}}}"#,
                stop_reason(&self.answer),
                usage_json(&self.answer, self.answer.total())
            ),
        );
        event(&mut s, "message_stop", r#"{"type":"message_stop"}"#);
        s
    }
}

/// The body of a non-streaming Messages answer.
pub(crate) fn message_body(id: &str, model: &str, answer: &Answer) -> String {
    let mut content = Vec::new();
    if answer.reasoning > 0 {
        content.push(serde_json::json!({
            "type": "thinking",
            "thinking": answer.reasoning_text(),
            "signature": signature(answer),
        }));
    }
    if answer.answer > 0 {
        content.push(serde_json::json!({"type": "text", "text": answer.answer_text()}));
    }
    let usage: Value =
        serde_json::from_str(&usage_json(answer, answer.total())).unwrap_or(Value::Null);
    serde_json::json!({
        "model": model,
        "id": id,
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": stop_reason(answer),
        "stop_sequence": null,
        "usage": usage,
    })
    .to_string()
}
