//! The OpenAI Chat Completions dialect (`POST /v1/chat/completions`): the request it reads,
//! the chunks it writes, and the OpenAI error shape (which the Responses, legacy
//! Completions and Azure dialects share), with the model list of `GET /v1/models`.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::{BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::{reasoning_for, Answer, TokenKind};
use crate::mock::api_error::{ApiError, INJECTED, RATE_LIMITED, SHUTTING_DOWN};
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, words};

/// The OpenAI Chat Completions dialect.
pub(crate) struct OpenAiChat;

impl DialectWriter for OpenAiChat {
    const DIALECT: Dialect = Dialect::OpenAi;
    const PATHS: &'static [&'static str] = &["/v1/chat/completions"];
    const BASE_PATH: &'static str = "/v1";

    type Request = ();
    type Stream = ChunkWriter;

    fn read(&self, call: &Call<'_>, profile: &LatencyProfile) -> Result<Reading<()>, ApiError> {
        Ok(parse_request(call.body)?.reading(profile))
    }

    fn content_type(&self, (): &()) -> &'static str {
        "text/event-stream"
    }

    fn start(&self, (): (), reply: &Reply<'_>) -> ChunkWriter {
        ChunkWriter::new(
            &chat_id(reply.serial),
            reply.created,
            reply.model,
            reply.answer,
            reply.include_usage,
        )
    }

    fn head(&self, stream: &mut ChunkWriter) -> Option<String> {
        Some(stream.role())
    }

    fn token(&self, stream: &mut ChunkWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut ChunkWriter) -> Option<String> {
        Some(stream.trailer())
    }

    fn body(&self, (): (), reply: &Reply<'_>, _: BodyTiming) -> String {
        completion_body(
            &chat_id(reply.serial),
            reply.created,
            reply.model,
            &reply.answer,
        )
    }

    fn error_body(&self, error: &ApiError) -> String {
        error_body(error)
    }

    fn injected_error(&self) -> ApiError {
        injected_error()
    }

    fn shutdown_error(&self) -> ApiError {
        shutdown_error()
    }

    fn rate_limit_error(&self) -> ApiError {
        rate_limit_error()
    }

    fn overloaded_error(&self, why: &str) -> ApiError {
        overloaded_error(why)
    }
}

/// The id of chat completion number `serial` (OpenAI's and Azure's).
pub(crate) fn chat_id(serial: u64) -> String {
    format!("chatcmpl-mock{serial:012x}")
}

/// An error's body in OpenAI's shape: `{"error": {"message", "type": kind, "param": null,
/// "code": code}}`.
pub(crate) fn error_body(error: &ApiError) -> String {
    serde_json::json!({
        "error": {
            "message": error.message,
            "type": error.kind,
            "param": null,
            "code": error.code,
        }
    })
    .to_string()
}

/// The injected HTTP 500 of `error_rate`, OpenAI's way.
pub(crate) fn injected_error() -> ApiError {
    ApiError {
        status: 500,
        message: format!("The server had an error while processing your request {INJECTED}."),
        kind: "server_error",
        code: "mock_injected_error",
    }
}

/// The 503 of a non-streaming request cut by shutdown, OpenAI's way.
pub(crate) fn shutdown_error() -> ApiError {
    ApiError {
        status: 503,
        message: SHUTTING_DOWN.into(),
        kind: "server_error",
        code: "shutting_down",
    }
}

/// The 429 of `rate_limited`, OpenAI's way.
pub(crate) fn rate_limit_error() -> ApiError {
    ApiError {
        status: 429,
        message: format!("Rate limit reached for requests {RATE_LIMITED}. Please try again later."),
        kind: "rate_limit_exceeded",
        code: "rate_limit_exceeded",
    }
}

/// The 503 of `server_errors` or a full queue, OpenAI's way; `why` ends the message.
pub(crate) fn overloaded_error(why: &str) -> ApiError {
    ApiError {
        status: 503,
        message: format!("The engine is currently overloaded, please try again later {why}."),
        kind: "server_error",
        code: "overloaded",
    }
}

/// The prompt size the mock reports: whitespace-separated words of every text of the
/// messages (string contents and the `text` of content parts).
pub(crate) fn estimate_prompt_tokens(messages: &[Value]) -> u32 {
    count(
        messages
            .iter()
            .map(|m| m.get("content").map_or(0, words))
            .sum(),
    )
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
    /// `max_completion_tokens`: preferred over `max_tokens`.
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    /// `stream`.
    #[serde(default)]
    stream: Option<bool>,
    /// `stream_options`: `include_usage`.
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    /// `reasoning_effort`: the reasoning asked for.
    #[serde(default)]
    reasoning_effort: Option<String>,
}

/// The request's `stream_options`.
#[derive(Deserialize)]
struct StreamOptions {
    /// `include_usage`: a usage chunk ends the stream.
    #[serde(default)]
    include_usage: Option<bool>,
}

/// The values of `reasoning_effort` OpenAI accepts.
const EFFORTS: [&str; 6] = ["none", "minimal", "low", "medium", "high", "xhigh"];

/// A chat-completions request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct ChatRequest {
    /// The model the request names (`None` when absent or empty).
    pub(crate) model: Option<String>,
    /// The request's cap on output tokens.
    pub(crate) max_tokens: Option<u32>,
    /// The request asked for a stream.
    pub(crate) stream: bool,
    /// The stream reports usage (`stream_options.include_usage`).
    pub(crate) include_usage: bool,
    /// The prompt size the mock reports: the whitespace-separated words of its text.
    pub(crate) prompt_tokens: u32,
    /// `reasoning_effort`: `None` when absent, `Some(false)` for `"none"`, else `Some(true)`.
    pub(crate) reasoning: Option<bool>,
}

impl ChatRequest {
    /// The answer's plan: `reasoning_effort` asks for reasoning (the profile's count, or the
    /// default when that is 0), `"none"` turns it off, else the profile's count; the stream
    /// reports usage when `stream_options.include_usage` asks.
    pub(crate) fn reading(self, profile: &LatencyProfile) -> Reading<()> {
        let reasoning = reasoning_for(profile, self.reasoning, None);
        let answer = Answer::plan(
            profile,
            self.max_tokens,
            reasoning,
            true,
            self.prompt_tokens,
        );
        Reading {
            include_usage: self.include_usage,
            ..Reading::new(self.model, self.max_tokens, self.stream, answer, ())
        }
    }
}

/// Parses a chat-completions body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_request(
            format!("We could not parse the JSON body of your request: {e}"),
            "invalid_json",
        )
    })?;
    let messages = raw.messages.ok_or_else(|| {
        ApiError::invalid_request(
            "Missing required parameter: 'messages'.",
            "missing_required_parameter",
        )
    })?;
    if messages.is_empty() {
        return Err(ApiError::invalid_request(
            "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            "empty_array",
        ));
    }
    let max_tokens = raw.max_completion_tokens.or(raw.max_tokens);
    if max_tokens == Some(0) {
        return Err(ApiError::invalid_request(
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
            "integer_below_min_value",
        ));
    }
    let reasoning = match raw.reasoning_effort.as_deref() {
        None => None,
        Some("none") => Some(false),
        Some(e) if EFFORTS.contains(&e) => Some(true),
        Some(e) => {
            return Err(ApiError::invalid_request(
                format!(
                    "Invalid value: '{e}'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high' and 'xhigh'."
                ),
                "invalid_value",
            ))
        }
    };
    let stream = raw.stream.unwrap_or(false);
    Ok(ChatRequest {
        model: raw.model.filter(|m| !m.is_empty()),
        max_tokens,
        stream,
        include_usage: stream
            && raw
                .stream_options
                .and_then(|o| o.include_usage)
                .unwrap_or(false),
        prompt_tokens: estimate_prompt_tokens(&messages),
        reasoning,
    })
}

/// The `usage` object: `completion_tokens` counts reasoning too, and
/// `completion_tokens_details.reasoning_tokens` is written when there was reasoning.
pub(crate) fn usage_json(answer: &Answer) -> String {
    let (prompt, completion) = (answer.prompt_tokens, answer.total());
    let mut s = format!(
        r#"{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{}"#,
        u64::from(prompt) + u64::from(completion)
    );
    if answer.reasoning > 0 {
        let _ = write!(
            s,
            r#","completion_tokens_details":{{"reasoning_tokens":{}}}"#,
            answer.reasoning
        );
    }
    s.push('}');
    s
}

/// The finish reason of an answer.
pub(crate) fn finish_reason(answer: &Answer) -> &'static str {
    if answer.cut {
        "length"
    } else {
        "stop"
    }
}

/// Writes the SSE events of one streamed answer, shaped like OpenAI's
/// `chat.completion.chunk`s.
pub(crate) struct ChunkWriter {
    /// `data: {"id":...,"model":...,"choices":[`
    prefix: String,
    /// `}\n\n`, or `,"usage":null}\n\n` when usage was asked for (as OpenAI writes it).
    suffix: &'static str,
    /// The answer's plan.
    answer: Answer,
    /// The stream reports usage.
    include_usage: bool,
}

impl ChunkWriter {
    /// A writer of chunks of completion `id`, answering as `model`.
    pub(crate) fn new(
        id: &str,
        created: u64,
        model: &str,
        answer: Answer,
        include_usage: bool,
    ) -> Self {
        let model_json = Value::String(model.to_owned()).to_string();
        let prefix = format!(
            "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":{created},\"model\":{model_json},\"system_fingerprint\":\"fp_llm_bench_mock\",\"choices\":["
        );
        ChunkWriter {
            prefix,
            suffix: if include_usage {
                ",\"usage\":null}\n\n"
            } else {
                "}\n\n"
            },
            answer,
            include_usage,
        }
    }

    /// The first chunk: role only, no output.
    pub(crate) fn role(&self) -> String {
        let mut s = self.prefix.clone();
        s.push_str(r#"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#);
        s.push_str(self.suffix);
        s
    }

    /// The chunk of sent token `i`: `delta.reasoning_content` for reasoning tokens (as
    /// DeepSeek and vLLM write it), `delta.content` for answer tokens.
    pub(crate) fn token(&self, i: u32) -> String {
        let mut s = String::with_capacity(self.prefix.len() + 96);
        s.push_str(&self.prefix);
        match self.answer.kind(i).0 {
            TokenKind::Reasoning => s.push_str(r#"{"index":0,"delta":{"reasoning_content":""#),
            TokenKind::Answer => s.push_str(r#"{"index":0,"delta":{"content":""#),
        }
        self.answer.push_token(&mut s, i);
        s.push_str(r#""},"logprobs":null,"finish_reason":null}]"#);
        s.push_str(self.suffix);
        s
    }

    /// The end of the stream: the finish chunk, the usage chunk when asked for, `[DONE]`.
    pub(crate) fn trailer(&self) -> String {
        let mut s = self.prefix.clone();
        let _ = write!(
            s,
            r#"{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"{}"}}]"#,
            finish_reason(&self.answer)
        );
        s.push_str(self.suffix);
        if self.include_usage {
            s.push_str(&self.prefix);
            let _ = write!(s, r#"],"usage":{}}}"#, usage_json(&self.answer));
            s.push_str("\n\n");
        }
        s.push_str("data: [DONE]\n\n");
        s
    }
}

/// The body of a non-streaming `chat.completion` (with `message.reasoning_content` when
/// there was reasoning).
pub(crate) fn completion_body(id: &str, created: u64, model: &str, answer: &Answer) -> String {
    let mut message = serde_json::json!({
        "role": "assistant",
        "content": answer.answer_text(),
        "refusal": null,
    });
    if answer.reasoning > 0 {
        message["reasoning_content"] = Value::String(answer.reasoning_text());
    }
    let usage: Value = serde_json::from_str(&usage_json(answer)).unwrap_or(Value::Null);
    serde_json::json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_llm_bench_mock",
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(answer),
        }],
        "usage": usage,
    })
    .to_string()
}

/// The body of `GET /v1/models`.
pub(crate) fn models_body(models: &[String], created: u64) -> String {
    let data: Vec<Value> = models.iter().map(|m| model_object(m, created)).collect();
    serde_json::json!({ "object": "list", "data": data }).to_string()
}

/// One model object.
pub(crate) fn model_object(model: &str, created: u64) -> Value {
    serde_json::json!({
        "id": model,
        "object": "model",
        "created": created,
        "owned_by": "llm-bench",
    })
}
