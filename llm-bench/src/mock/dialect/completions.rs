//! The OpenAI legacy Completions dialect (`POST /v1/completions`): the request it reads,
//! the `text_completion` chunks it writes, and OpenAI's error shape.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::{openai, BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::Answer;
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, words};

/// The OpenAI legacy Completions dialect. No reasoning.
pub(crate) struct Completions;

impl DialectWriter for Completions {
    const DIALECT: Dialect = Dialect::OpenAiCompletions;
    const PATHS: &'static [&'static str] = &["/v1/completions"];
    const BASE_PATH: &'static str = "/v1";

    type Request = ();
    type Stream = ChunkWriter;

    fn read(&self, call: &Call<'_>, profile: &LatencyProfile) -> Result<Reading<()>, ApiError> {
        let r = parse_request(call.body)?;
        let answer = r.answer(profile);
        Ok(Reading {
            include_usage: r.include_usage,
            ..Reading::new(r.model, r.max_tokens, r.stream, answer, ())
        })
    }

    fn content_type(&self, (): &()) -> &'static str {
        "text/event-stream"
    }

    fn start(&self, (): (), reply: &Reply<'_>) -> ChunkWriter {
        ChunkWriter::new(
            &completion_id(reply.serial),
            reply.created,
            reply.model,
            reply.answer,
            reply.include_usage,
        )
    }

    /// None: the first frame is the first token's.
    fn head(&self, _: &mut ChunkWriter) -> Option<String> {
        None
    }

    fn token(&self, stream: &mut ChunkWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut ChunkWriter) -> Option<String> {
        Some(stream.trailer())
    }

    fn body(&self, (): (), reply: &Reply<'_>, _: BodyTiming) -> String {
        completion_body(
            &completion_id(reply.serial),
            reply.created,
            reply.model,
            &reply.answer,
        )
    }

    fn error_body(&self, error: &ApiError) -> String {
        openai::error_body(error)
    }

    fn injected_error(&self) -> ApiError {
        openai::injected_error()
    }

    fn shutdown_error(&self) -> ApiError {
        openai::shutdown_error()
    }

    fn rate_limit_error(&self) -> ApiError {
        openai::rate_limit_error()
    }

    fn overloaded_error(&self, why: &str) -> ApiError {
        openai::overloaded_error(why)
    }
}

/// The id of completion number `serial`.
fn completion_id(serial: u64) -> String {
    format!("cmpl-mock{serial:012x}")
}

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
struct RawRequest {
    /// `model`: echoed in the answer.
    #[serde(default)]
    model: Option<String>,
    /// `prompt`: required, a string or an array.
    #[serde(default)]
    prompt: Option<Value>,
    /// `max_tokens`.
    #[serde(default)]
    max_tokens: Option<u32>,
    /// `stream`.
    #[serde(default)]
    stream: Option<bool>,
    /// `stream_options`: `include_usage`.
    #[serde(default)]
    stream_options: Option<StreamOptions>,
}

/// The request's `stream_options`.
#[derive(Deserialize)]
struct StreamOptions {
    /// `include_usage`: a usage chunk ends the stream.
    #[serde(default)]
    include_usage: Option<bool>,
}

/// A legacy completions request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct CompletionRequest {
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

/// The `usage` object: the prompt's and the answer's tokens.
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
