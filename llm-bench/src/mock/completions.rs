//! The OpenAI legacy Completions wire format (`POST /v1/completions`) the simulated endpoint
//! reads and writes.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::answer::Answer;
use super::api_error::ApiError;
use super::profile::LatencyProfile;
use super::text::{count, words};

#[derive(Deserialize)]
struct RawRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    prompt: Option<Value>,
    #[serde(default)]
    max_tokens: Option<u32>,
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

/// A legacy completions request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct CompletionRequest {
    pub(crate) model: Option<String>,
    pub(crate) max_tokens: Option<u32>,
    pub(crate) stream: bool,
    pub(crate) include_usage: bool,
    pub(crate) prompt_tokens: u32,
}

impl CompletionRequest {
    /// The answer's plan: no reasoning (the legacy API has none).
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        Answer::plan(profile, self.max_tokens, 0, true, self.prompt_tokens)
    }
}

/// Parses a completions body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<CompletionRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_request(
            format!("We could not parse the JSON body of your request: {e}"),
            "invalid_json",
        )
    })?;
    let prompt = match raw.prompt {
        Some(p @ (Value::String(_) | Value::Array(_))) => p,
        _ => {
            return Err(ApiError::invalid_request(
                "Missing required parameter: 'prompt'.",
                "missing_required_parameter",
            ))
        }
    };
    if raw.max_tokens == Some(0) {
        return Err(ApiError::invalid_request(
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
            "integer_below_min_value",
        ));
    }
    let stream = raw.stream.unwrap_or(false);
    Ok(CompletionRequest {
        model: raw.model.filter(|m| !m.is_empty()),
        max_tokens: raw.max_tokens,
        stream,
        include_usage: stream
            && raw
                .stream_options
                .and_then(|o| o.include_usage)
                .unwrap_or(false),
        prompt_tokens: count(words(&prompt)),
    })
}

/// The finish reason of an answer.
fn finish_reason(answer: &Answer) -> &'static str {
    if answer.cut {
        "length"
    } else {
        "stop"
    }
}

fn usage_json(answer: &Answer) -> String {
    let (prompt, completion) = (answer.prompt_tokens, answer.answer);
    format!(
        r#"{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{}}}"#,
        u64::from(prompt) + u64::from(completion)
    )
}

/// Writes the SSE events of one streamed answer, `text_completion` chunks in the field order
/// of the recorded streams (`id`, `object`, `created`, `choices`, `model`).
pub(crate) struct ChunkWriter {
    /// `data: {"id":...,"created":...,"choices":[`
    prefix: String,
    /// `],"model":"..."}\n\n`, with `"usage":null` when usage was asked for.
    suffix: String,
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
        ChunkWriter {
            prefix: format!(
                r#"data: {{"id":"{id}","object":"text_completion","created":{created},"choices":["#
            ),
            suffix: if include_usage {
                format!("],\"model\":{model_json},\"usage\":null}}\n\n")
            } else {
                format!("],\"model\":{model_json}}}\n\n")
            },
            answer,
            include_usage,
        }
    }

    /// The chunk of sent token `i`; when `max_tokens` cut the answer, the last token's chunk
    /// carries `finish_reason: "length"` (as the recorded streams do).
    pub(crate) fn token(&self, i: u32) -> String {
        let mut s = String::with_capacity(self.prefix.len() + self.suffix.len() + 80);
        s.push_str(&self.prefix);
        s.push_str(r#"{"text":""#);
        self.answer.push_token(&mut s, i);
        let last_cut = self.answer.cut && i + 1 == self.answer.streamed();
        s.push_str(if last_cut {
            r#"","index":0,"logprobs":null,"finish_reason":"length"}"#
        } else {
            r#"","index":0,"logprobs":null,"finish_reason":null}"#
        });
        s.push_str(&self.suffix);
        s
    }

    /// The end: after a natural stop a chunk with empty text and `finish_reason: "stop"`,
    /// the usage chunk (`choices: []`) when asked for, and `data: [DONE]`.
    pub(crate) fn trailer(&self) -> String {
        let mut s = String::new();
        if !self.answer.cut {
            s.push_str(&self.prefix);
            s.push_str(r#"{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}"#);
            s.push_str(&self.suffix);
        }
        if self.include_usage {
            s.push_str(&self.prefix);
            // The suffix without its `"usage":null` and end: `],"model":"..."`.
            let model_part = self
                .suffix
                .trim_end_matches("}\n\n")
                .trim_end_matches(",\"usage\":null");
            s.push_str(model_part);
            let _ = write!(s, ",\"usage\":{}}}\n\n", usage_json(&self.answer));
        }
        s.push_str("data: [DONE]\n\n");
        s
    }
}

/// The body of a non-streaming `text_completion`.
pub(crate) fn completion_body(id: &str, created: u64, model: &str, answer: &Answer) -> String {
    let usage: Value = serde_json::from_str(&usage_json(answer)).unwrap_or(Value::Null);
    serde_json::json!({
        "id": id,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [{
            "text": answer.answer_text(),
            "index": 0,
            "logprobs": null,
            "finish_reason": finish_reason(answer),
        }],
        "usage": usage,
    })
    .to_string()
}
