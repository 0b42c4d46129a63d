//! The OpenAI wire format the simulated endpoint reads and writes, and its deterministic text.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::profile::splitmix64;

/// The words answers are made of: one word is one token.
const WORDS: [&str; 64] = [
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "latency", "token", "stream",
    "model", "answer", "request", "server", "client", "bench", "measure", "time", "first", "byte",
    "output", "input", "prompt", "context", "window", "cache", "batch", "queue", "load", "rate",
    "burst", "steady", "signal", "noise", "sample", "median", "tail", "mean", "spread", "delta",
    "chunk", "event", "frame", "socket", "packet", "route", "region", "edge", "core", "thread",
    "task", "future", "async", "await", "poll", "ready", "pending", "wake", "sleep", "tick",
    "clock", "drift", "skew",
];

/// The text of output token `index` (0-based) of every answer of a profile with this seed:
/// a word from a fixed list, with a leading space for every token but the first.
///
/// ```
/// use llm_bench::mock::{expected_text, token_text};
/// let text: String = (0..5).map(|i| token_text(7, i)).collect();
/// assert_eq!(text, expected_text(7, 5));
/// assert!(!text.starts_with(' ') && text.split(' ').count() == 5);
/// ```
pub fn token_text(seed: u64, index: u32) -> String {
    let mut s = String::new();
    push_token(&mut s, seed, index);
    s
}

/// The whole answer text of `tokens` tokens for a profile with this seed (what a client
/// should reassemble from the stream).
pub fn expected_text(seed: u64, tokens: u32) -> String {
    let mut s = String::with_capacity(tokens as usize * 8);
    for i in 0..tokens {
        push_token(&mut s, seed, i);
    }
    s
}

fn push_token(out: &mut String, seed: u64, index: u32) {
    if index > 0 {
        out.push(' ');
    }
    let h = splitmix64(seed ^ splitmix64(0x746F_6B65_6E00_0000 | u64::from(index)));
    out.push_str(WORDS[(h % WORDS.len() as u64) as usize]);
}

/// The prompt size the mock reports: whitespace-separated words of every text of the
/// messages (string contents and the `text` of content parts).
pub(crate) fn estimate_prompt_tokens(messages: &[Value]) -> u32 {
    fn words(v: &Value) -> usize {
        match v {
            Value::String(s) => s.split_whitespace().count(),
            Value::Array(parts) => parts
                .iter()
                .map(|p| match p {
                    Value::String(_) => words(p),
                    Value::Object(o) => o.get("text").map_or(0, words),
                    _ => 0,
                })
                .sum(),
            _ => 0,
        }
    }
    let n: usize = messages
        .iter()
        .map(|m| m.get("content").map_or(0, words))
        .sum();
    u32::try_from(n).unwrap_or(u32::MAX)
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
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: Option<bool>,
}

/// A chat-completions request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct ChatRequest {
    pub(crate) model: Option<String>,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) stream: bool,
    pub(crate) include_usage: bool,
    pub(crate) prompt_tokens: u32,
}

/// An OpenAI-style error answer: status and `{"error": {"message", "type", "code"}}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) kind: &'static str,
    pub(crate) code: &'static str,
}

impl ApiError {
    pub(crate) fn invalid_request(message: impl Into<String>, code: &'static str) -> Self {
        ApiError {
            status: 400,
            message: message.into(),
            kind: "invalid_request_error",
            code,
        }
    }

    pub(crate) fn body(&self) -> String {
        serde_json::json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": null,
                "code": self.code,
            }
        })
        .to_string()
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
    })
}

/// Writes the SSE events of one streamed answer, shaped like OpenAI's
/// `chat.completion.chunk`s.
pub(crate) struct ChunkWriter {
    /// `data: {"id":...,"model":...,"choices":[`
    prefix: String,
    /// `}\n\n`, or `,"usage":null}\n\n` when usage was asked for (as OpenAI writes it).
    suffix: &'static str,
    seed: u64,
}

impl ChunkWriter {
    pub(crate) fn new(id: &str, created: u64, model: &str, seed: u64, include_usage: bool) -> Self {
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
            seed,
        }
    }

    /// The first chunk: role only, no output.
    pub(crate) fn role(&self) -> String {
        let mut s = self.prefix.clone();
        s.push_str(r#"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#);
        s.push_str(self.suffix);
        s
    }

    /// The chunk of output token `index`.
    pub(crate) fn token(&self, index: u32) -> String {
        let mut s = String::with_capacity(self.prefix.len() + 96);
        s.push_str(&self.prefix);
        s.push_str(r#"{"index":0,"delta":{"content":""#);
        push_token(&mut s, self.seed, index); // words need no JSON escaping
        s.push_str(r#""},"logprobs":null,"finish_reason":null}]"#);
        s.push_str(self.suffix);
        s
    }

    /// The end of the stream: the finish chunk, the usage chunk when asked for, `[DONE]`.
    pub(crate) fn trailer(&self, finish_reason: &str, usage: Option<(u32, u32)>) -> String {
        let mut s = self.prefix.clone();
        let _ = write!(
            s,
            r#"{{"index":0,"delta":{{}},"logprobs":null,"finish_reason":"{finish_reason}"}}]"#
        );
        s.push_str(self.suffix);
        if let Some((prompt, completion)) = usage {
            s.push_str(&self.prefix);
            let _ = write!(
                s,
                r#"],"usage":{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{}}}}}"#,
                u64::from(prompt) + u64::from(completion)
            );
            s.push_str("\n\n");
        }
        s.push_str("data: [DONE]\n\n");
        s
    }
}

/// The body of a non-streaming `chat.completion`.
pub(crate) fn completion_body(
    id: &str,
    created: u64,
    model: &str,
    seed: u64,
    tokens: u32,
    finish_reason: &str,
    prompt_tokens: u32,
) -> String {
    serde_json::json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_llm_bench_mock",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": expected_text(seed, tokens), "refusal": null},
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": tokens,
            "total_tokens": u64::from(prompt_tokens) + u64::from(tokens),
        },
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
