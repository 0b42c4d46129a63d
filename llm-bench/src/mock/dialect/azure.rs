//! The Azure OpenAI dialect (`POST /openai/deployments/{deployment}/chat/completions` and
//! `POST /openai/v1/chat/completions`): OpenAI's chat-completions request
//! ([`openai::parse_request`]) and chunks with Azure's content filter annotations, as the
//! recorded Azure streams have them, and OpenAI's error shape.

use std::fmt::Write as _;

use serde_json::Value;

use super::{openai, BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::{Answer, TokenKind};
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;

/// A deployment's chat completions; the query must have an `api-version`.
const DEPLOYMENT_PATH: &str = "/openai/deployments/{deployment}/chat/completions";

/// Azure OpenAI's v1 API: the model is the body's.
const V1_PATH: &str = "/openai/v1/chat/completions";

/// The Azure OpenAI dialect. Any deployment name and any `api-version` are accepted; a
/// deployment serves the server's model, whatever the body names (as an Azure deployment
/// serves the model it was created with).
pub(crate) struct AzureOpenAi;

impl DialectWriter for AzureOpenAi {
    const DIALECT: Dialect = Dialect::AzureOpenAi;
    const REQUEST_ID_HEADER: &'static str = "apim-request-id";
    const PATHS: &'static [&'static str] = &[DEPLOYMENT_PATH, V1_PATH];
    const BASE_PATH: &'static str = "";

    type Request = ();
    type Stream = ChunkWriter;

    fn read(&self, call: &Call<'_>, profile: &LatencyProfile) -> Result<Reading<()>, ApiError> {
        if call.path != DEPLOYMENT_PATH {
            return Ok(openai::parse_request(call.body)?.reading(profile));
        }
        if !has_api_version(call.query) {
            return Err(ApiError {
                status: 404,
                message: "Resource not found: a deployment URL needs an api-version query parameter (e.g. ?api-version=2024-10-21).".into(),
                kind: "invalid_request_error",
                code: "404",
            });
        }
        let reading = openai::parse_request(call.body)?.reading(profile);
        Ok(Reading {
            model: None,
            ..reading
        })
    }

    fn content_type(&self, (): &()) -> &'static str {
        "text/event-stream; charset=utf-8"
    }

    fn start(&self, (): (), reply: &Reply<'_>) -> ChunkWriter {
        ChunkWriter::new(
            &openai::chat_id(reply.serial),
            reply.created,
            reply.model,
            reply.answer,
            reply.include_usage,
        )
    }

    fn head(&self, stream: &mut ChunkWriter) -> Option<String> {
        Some(stream.head())
    }

    fn token(&self, stream: &mut ChunkWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut ChunkWriter) -> Option<String> {
        Some(stream.trailer())
    }

    fn body(&self, (): (), reply: &Reply<'_>, _: BodyTiming) -> String {
        completion_body(
            &openai::chat_id(reply.serial),
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

/// The query has a non-empty `api-version`.
fn has_api_version(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|kv| {
            kv.strip_prefix("api-version=")
                .is_some_and(|v| !v.is_empty())
        })
    })
}

/// The first chunk of every Azure stream: no choices, the prompt's filter results.
const PROMPT_FILTER_CHUNK: &str = concat!(
    r#"data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":"#,
    r#"{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"detected":false,"filtered":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]}"#,
    "\n\n"
);

/// The filter results of an output chunk: nothing filtered.
const OUTPUT_FILTERS: &str = r#"{"hate":{"filtered":false,"severity":"safe"},"protected_material_code":{"detected":false,"filtered":false},"protected_material_text":{"detected":false,"filtered":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}"#;

/// Writes the SSE events of one streamed answer: Azure's keys in alphabetical order
/// (`choices`, `created`, `id`, `model`, `object`, `system_fingerprint`), each choice with
/// `content_filter_results`.
pub(crate) struct ChunkWriter {
    /// `","created":...,"system_fingerprint":"..."` and `,"usage":null` when usage was asked
    /// for: what follows `choices`, without the closing brace.
    tail: String,
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
            tail: format!(
                r#","created":{created},"id":"{id}","model":{model_json},"object":"chat.completion.chunk","system_fingerprint":"fp_llm_bench_mock""#
            ),
            answer,
            include_usage,
        }
    }

    /// One chunk with this choice.
    fn chunk(&self, s: &mut String, choice: &str) {
        s.push_str("data: {\"choices\":[");
        s.push_str(choice);
        s.push(']');
        s.push_str(&self.tail);
        if self.include_usage {
            s.push_str(",\"usage\":null");
        }
        s.push_str("}\n\n");
    }

    /// Sent at once, with the headers: the prompt filter chunk, then the role-only chunk.
    pub(crate) fn head(&self) -> String {
        let mut s = String::from(PROMPT_FILTER_CHUNK);
        self.chunk(
            &mut s,
            r#"{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}"#,
        );
        s
    }

    /// The chunk of sent token `i`: `delta.reasoning_content` for reasoning, as the OpenAI
    /// dialect, `delta.content` for the answer; with the output's filter results.
    pub(crate) fn token(&self, i: u32) -> String {
        let mut choice = String::with_capacity(420);
        choice.push_str(r#"{"content_filter_results":"#);
        choice.push_str(OUTPUT_FILTERS);
        match self.answer.kind(i).0 {
            TokenKind::Reasoning => choice.push_str(r#","delta":{"reasoning_content":""#),
            TokenKind::Answer => choice.push_str(r#","delta":{"content":""#),
        }
        self.answer.push_token(&mut choice, i);
        choice.push_str(r#""},"finish_reason":null,"index":0,"logprobs":null}"#);
        let mut s = String::with_capacity(choice.len() + self.tail.len() + 40);
        self.chunk(&mut s, &choice);
        s
    }

    /// The end: the finish chunk, the usage chunk (`choices: []`) when asked for, and
    /// `data: [DONE]`.
    pub(crate) fn trailer(&self) -> String {
        let mut s = String::with_capacity(800);
        let finish = format!(
            r#"{{"content_filter_results":{{}},"delta":{{}},"finish_reason":"{}","index":0,"logprobs":null}}"#,
            openai::finish_reason(&self.answer)
        );
        self.chunk(&mut s, &finish);
        if self.include_usage {
            let _ = write!(
                s,
                "data: {{\"choices\":[]{},\"usage\":{}}}\n\n",
                self.tail,
                openai::usage_json(&self.answer)
            );
        }
        s.push_str("data: [DONE]\n\n");
        s
    }
}

/// The body of a non-streaming answer: OpenAI's `chat.completion` with Azure's
/// `prompt_filter_results` and the choice's `content_filter_results`.
pub(crate) fn completion_body(id: &str, created: u64, model: &str, answer: &Answer) -> String {
    let body = openai::completion_body(id, created, model, answer);
    let Ok(mut v) = serde_json::from_str::<Value>(&body) else {
        return body;
    };
    let filters: Value = serde_json::from_str(OUTPUT_FILTERS).unwrap_or(Value::Null);
    if let Some(choice) = v.pointer_mut("/choices/0") {
        choice["content_filter_results"] = filters;
    }
    let prompt_filters = PROMPT_FILTER_CHUNK.trim_start_matches("data: ").trim_end();
    if let Ok(chunk) = serde_json::from_str::<Value>(prompt_filters) {
        v["prompt_filter_results"] = chunk["prompt_filter_results"].clone();
    }
    v.to_string()
}
