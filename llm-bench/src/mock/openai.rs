//! The OpenAI Chat Completions wire format the simulated endpoint reads and writes.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::answer::{Answer, TokenKind};
use super::api_error::ApiError;
use super::text::{count, words};

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

#[derive(Deserialize)]
struct RawRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    messages: Option<Vec<Value>>,
    #[serde(default)]
    max_tokens: Option<u32>,
    #[serde(default)]
    max_completion_tokens: Option<u32>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    reasoning_effort: Option<String>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

/// The values of `reasoning_effort` OpenAI accepts.
const EFFORTS: [&str; 6] = ["none", "minimal", "low", "medium", "high", "xhigh"];

/// A chat-completions request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct ChatRequest {
    pub(crate) model: Option<String>,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) stream: bool,
    pub(crate) include_usage: bool,
    pub(crate) prompt_tokens: u32,
    /// `reasoning_effort`: `None` when absent, `Some(false)` for `"none"`, else `Some(true)`.
    pub(crate) reasoning: Option<bool>,
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
    answer: Answer,
    include_usage: bool,
}

impl ChunkWriter {
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
