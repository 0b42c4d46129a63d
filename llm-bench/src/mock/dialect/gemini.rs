//! The Gemini dialect (`POST /v1beta/models/{model}:streamGenerateContent` and
//! `:generateContent`, also under `/v1/models/`): the request it reads, the chunks it
//! writes (server-sent events with `alt=sse`, else a streamed JSON array), and Google's
//! error shape.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::{BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::{reasoning_for, Answer, TokenKind};
use crate::mock::api_error::{ApiError, INJECTED, RATE_LIMITED, SHUTTING_DOWN};
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, words};

/// The Gemini dialect. The model is the path's.
pub(crate) struct Gemini;

impl DialectWriter for Gemini {
    const DIALECT: Dialect = Dialect::Gemini;
    /// The second path shares its route with `GET /v1/models/{target}` (the server's model
    /// retrieval): the parameter's name must be the same.
    const PATHS: &'static [&'static str] = &["/v1beta/models/{target}", "/v1/models/{target}"];
    const BASE_PATH: &'static str = "";

    type Request = Framing;
    type Stream = ChunkWriter;

    fn url_model(&self, call: &Call<'_>) -> Option<String> {
        target(call).ok().map(|(model, _)| model.to_owned())
    }

    fn read(
        &self,
        call: &Call<'_>,
        profile: &LatencyProfile,
    ) -> Result<Reading<Framing>, ApiError> {
        let (model, stream) = target(call)?;
        let sse = call
            .query
            .is_some_and(|q| q.split('&').any(|kv| kv == "alt=sse"));
        let framing = if sse {
            Framing::Sse
        } else {
            Framing::JsonArray
        };
        let model = (!model.is_empty()).then(|| model.to_owned());
        let r = parse_request(call.body)?;
        let answer = r.answer(profile);
        Ok(Reading::new(model, r.max_tokens, stream, answer, framing))
    }

    fn content_type(&self, framing: &Framing) -> &'static str {
        match framing {
            Framing::Sse => "text/event-stream",
            Framing::JsonArray => "application/json; charset=UTF-8",
        }
    }

    fn start(&self, framing: Framing, reply: &Reply<'_>) -> ChunkWriter {
        ChunkWriter::new(
            &response_id(reply.serial),
            reply.model,
            reply.answer,
            framing,
        )
    }

    /// None: the headers go out alone (no role-only chunk, unlike OpenAI).
    fn head(&self, _: &mut ChunkWriter) -> Option<String> {
        None
    }

    fn token(&self, stream: &mut ChunkWriter, i: u32) -> String {
        stream.token(i)
    }

    fn trailer(&self, stream: &mut ChunkWriter) -> Option<String> {
        stream.trailer()
    }

    fn body(&self, _: Framing, reply: &Reply<'_>, _: BodyTiming) -> String {
        response_body(&response_id(reply.serial), reply.model, &reply.answer)
    }

    /// `{"error": {"code": status, "message", "status": code}}`.
    fn error_body(&self, error: &ApiError) -> String {
        serde_json::json!({
            "error": {"code": error.status, "message": error.message, "status": error.code},
        })
        .to_string()
    }

    fn injected_error(&self) -> ApiError {
        ApiError::google(
            500,
            "INTERNAL",
            format!("An internal error has occurred {INJECTED}."),
        )
    }

    fn shutdown_error(&self) -> ApiError {
        ApiError::google(503, "UNAVAILABLE", SHUTTING_DOWN)
    }

    fn rate_limit_error(&self) -> ApiError {
        ApiError::google(
            429,
            "RESOURCE_EXHAUSTED",
            format!("Resource has been exhausted (e.g. check quota) {RATE_LIMITED}."),
        )
    }

    fn overloaded_error(&self, why: &str) -> ApiError {
        ApiError::google(
            503,
            "UNAVAILABLE",
            format!("The model is overloaded. Please try again later {why}."),
        )
    }
}

/// The id of response number `serial`.
fn response_id(serial: u64) -> String {
    format!("mock{serial:012x}")
}

/// The path's `{model}:{method}`: the model, and whether the method streams. A 404 for a
/// target without a method or with a method other than `streamGenerateContent` and
/// `generateContent`.
fn target<'a>(call: &Call<'a>) -> Result<(&'a str, bool), ApiError> {
    let target = call.param.unwrap_or_default();
    let Some((model, method)) = target.rsplit_once(':') else {
        return Err(ApiError::google(
            404,
            "NOT_FOUND",
            format!("models/{target} is not found, or is not supported: POST a :generateContent or :streamGenerateContent method."),
        ));
    };
    match method {
        "streamGenerateContent" => Ok((model, true)),
        "generateContent" => Ok((model, false)),
        _ => Err(ApiError::google(
            404,
            "NOT_FOUND",
            format!("Method {method} is not supported by the llm-bench mock."),
        )),
    }
}

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequest {
    /// `contents`: required, non-empty.
    #[serde(default)]
    contents: Option<Vec<Value>>,
    /// `systemInstruction`: counted in the prompt.
    #[serde(default, alias = "system_instruction")]
    system_instruction: Option<Value>,
    /// `generationConfig`.
    #[serde(default, alias = "generation_config")]
    generation_config: Option<GenerationConfig>,
}

/// The request's `generationConfig`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    /// `max_output_tokens` / `maxOutputTokens`: the cap on output tokens.
    #[serde(default, alias = "max_output_tokens")]
    max_output_tokens: Option<u32>,
    /// `thinkingConfig`.
    #[serde(default, alias = "thinking_config")]
    thinking_config: Option<ThinkingConfig>,
}

/// The request's `generationConfig.thinkingConfig`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThinkingConfig {
    /// `includeThoughts`.
    #[serde(default, alias = "include_thoughts")]
    include_thoughts: Option<bool>,
    /// `thinkingBudget`: `-1` dynamic, `0` off, else a cap.
    #[serde(default, alias = "thinking_budget")]
    thinking_budget: Option<i64>,
}

/// A `generateContent` request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct GenerateRequest {
    /// The request's cap on output tokens.
    pub(crate) max_tokens: Option<u32>,
    /// The prompt size the mock reports: the whitespace-separated words of its text.
    pub(crate) prompt_tokens: u32,
    /// `thinkingConfig.includeThoughts`: the thoughts are streamed.
    pub(crate) include_thoughts: bool,
    /// `thinkingBudget`: `None` when absent or `-1` (dynamic), else the cap (0 turns
    /// thinking off).
    pub(crate) thinking_budget: Option<u32>,
}

impl GenerateRequest {
    /// The answer's plan. `includeThoughts: true` asks for reasoning (the profile's count,
    /// or the default when that is 0) and streams it as thought parts; without it the model
    /// still thinks the profile's count, silently (it takes its time and is counted in
    /// `thoughtsTokenCount`); a `thinkingBudget` caps it, and 0 turns it off.
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        let asked = if self.thinking_budget == Some(0) {
            Some(false)
        } else if self.include_thoughts {
            Some(true)
        } else {
            None
        };
        let reasoning = reasoning_for(profile, asked, self.thinking_budget);
        Answer::plan(
            profile,
            self.max_tokens,
            reasoning,
            self.include_thoughts,
            self.prompt_tokens,
        )
    }
}

/// A 400 with this message, in the dialect's way.
fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::google(400, "INVALID_ARGUMENT", message)
}

/// Parses a `generateContent` body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<GenerateRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("Invalid JSON payload received. {e}")))?;
    let contents = raw.contents.unwrap_or_default();
    if contents.is_empty() {
        return Err(invalid(
            "* GenerateContentRequest.contents: contents is not specified\n",
        ));
    }
    let config = raw.generation_config;
    let max_tokens = config.as_ref().and_then(|c| c.max_output_tokens);
    if max_tokens == Some(0) {
        return Err(invalid(
            "* GenerateContentRequest.generation_config.max_output_tokens: max_output_tokens must be positive.\n",
        ));
    }
    let thinking = config.and_then(|c| c.thinking_config);
    let include_thoughts = thinking
        .as_ref()
        .and_then(|t| t.include_thoughts)
        .unwrap_or(false);
    let thinking_budget = match thinking.and_then(|t| t.thinking_budget) {
        None | Some(-1) => None,
        Some(b) if b >= 0 => Some(u32::try_from(b).unwrap_or(u32::MAX)),
        Some(b) => {
            return Err(invalid(format!(
                "Unable to submit request because thinking_budget {b} is invalid: use -1 (dynamic), 0 (off) or a positive budget."
            )))
        }
    };
    let parts_words = |v: &Value| v.get("parts").map_or(0, words);
    let system = raw.system_instruction.as_ref().map_or(0, parts_words);
    let prompt: usize = contents.iter().map(parts_words).sum();
    Ok(GenerateRequest {
        max_tokens,
        prompt_tokens: count(system + prompt),
        include_thoughts,
        thinking_budget,
    })
}

/// How a Gemini stream is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `?alt=sse`: one unnamed event per chunk, framed with CRLF.
    Sse,
    /// No `alt=sse`: one streamed JSON array, `[{…}\n,\n{…}\n]`.
    JsonArray,
}

/// The finish reason of an answer.
fn finish_reason(answer: &Answer) -> &'static str {
    if answer.cut {
        "MAX_TOKENS"
    } else {
        "STOP"
    }
}

/// `usageMetadata` after `candidates` answer and `thoughts` reasoning tokens (zero counts are
/// left out, as Gemini does).
fn usage_json(answer: &Answer, candidates: u32, thoughts: u32) -> String {
    let prompt = answer.prompt_tokens;
    let total = u64::from(prompt) + u64::from(candidates) + u64::from(thoughts);
    let mut s = format!(r#"{{"promptTokenCount": {prompt}"#);
    if candidates > 0 {
        let _ = write!(s, r#","candidatesTokenCount": {candidates}"#);
    }
    let _ = write!(
        s,
        r#","totalTokenCount": {total},"promptTokensDetails": [{{"modality": "TEXT","tokenCount": {prompt}}}]"#
    );
    if thoughts > 0 {
        let _ = write!(s, r#","thoughtsTokenCount": {thoughts}"#);
    }
    s.push('}');
    s
}

/// Writes the chunks of one streamed answer, `GenerateContentResponse`s in the byte style of
/// the recorded Gemini streams (`"key": value` pairs joined by `,`).
pub(crate) struct ChunkWriter {
    /// `,"modelVersion": "...","responseId": "..."}`
    suffix: String,
    /// The answer's plan.
    answer: Answer,
    /// How the chunks are framed.
    framing: Framing,
    /// Chunks written so far.
    written: u32,
}

impl ChunkWriter {
    /// A writer of response `id`'s chunks, answering as `model`, framed by `framing`.
    pub(crate) fn new(id: &str, model: &str, answer: Answer, framing: Framing) -> Self {
        let model_json = Value::String(model.to_owned()).to_string();
        ChunkWriter {
            suffix: format!(r#","modelVersion": {model_json},"responseId": "{id}"}}"#),
            answer,
            framing,
            written: 0,
        }
    }

    /// Frames one chunk's JSON.
    fn frame(&mut self, json: &str) -> String {
        let mut s = String::with_capacity(json.len() + 10);
        match self.framing {
            Framing::Sse => {
                s.push_str("data: ");
                s.push_str(json);
                s.push_str("\r\n\r\n");
            }
            Framing::JsonArray => {
                s.push_str(if self.written == 0 { "[" } else { "\n,\n" });
                s.push_str(json);
            }
        }
        self.written += 1;
        s
    }

    /// The chunk of sent token `i`: one part (`"thought": true` for reasoning), cumulative
    /// `usageMetadata`, and on the last token the `finishReason`.
    pub(crate) fn token(&mut self, i: u32) -> String {
        let a = self.answer;
        let mut json = String::with_capacity(400);
        json.push_str(r#"{"candidates": [{"content": {"parts": [{"text": ""#);
        a.push_token(&mut json, i);
        json.push('"');
        if a.kind(i).0 == TokenKind::Reasoning {
            json.push_str(r#","thought": true"#);
        }
        json.push_str(r#"}],"role": "model"}"#);
        if i + 1 == a.streamed() {
            let _ = write!(json, r#","finishReason": "{}""#, finish_reason(&a));
        }
        let sent = i + 1;
        let thoughts = a.hidden() + sent.min(a.streamed_reasoning());
        let candidates = sent.saturating_sub(a.streamed_reasoning());
        let _ = write!(
            json,
            r#","index": 0}}],"usageMetadata": {}"#,
            usage_json(&a, candidates, thoughts)
        );
        json.push_str(&self.suffix);
        self.frame(&json)
    }

    /// The end: nothing for SSE (the last token's chunk had the finish reason, and the
    /// stream just ends), `\n]` for the JSON array. When no token was sent at all (the
    /// thinking used up `maxOutputTokens`), first a chunk with no parts and the finish reason.
    pub(crate) fn trailer(&mut self) -> Option<String> {
        let a = self.answer;
        let mut s = String::new();
        if a.streamed() == 0 {
            let json = format!(
                r#"{{"candidates": [{{"content": {{"role": "model"}},"finishReason": "{}","index": 0}}],"usageMetadata": {}{}"#,
                finish_reason(&a),
                usage_json(&a, a.answer, a.reasoning),
                self.suffix
            );
            s = self.frame(&json);
        }
        if self.framing == Framing::JsonArray {
            s.push_str("\n]");
        }
        (!s.is_empty()).then_some(s)
    }
}

/// The body of a non-streaming `generateContent` answer.
pub(crate) fn response_body(id: &str, model: &str, answer: &Answer) -> String {
    let mut parts = Vec::new();
    if answer.reasoning_streamed && answer.reasoning > 0 {
        parts.push(serde_json::json!({"text": answer.reasoning_text(), "thought": true}));
    }
    if answer.answer > 0 {
        parts.push(serde_json::json!({"text": answer.answer_text()}));
    }
    let usage: Value = serde_json::from_str(&usage_json(answer, answer.answer, answer.reasoning))
        .unwrap_or(Value::Null);
    let content = if parts.is_empty() {
        serde_json::json!({"role": "model"})
    } else {
        serde_json::json!({"parts": parts, "role": "model"})
    };
    serde_json::json!({
        "candidates": [{
            "content": content,
            "finishReason": finish_reason(answer),
            "index": 0,
        }],
        "usageMetadata": usage,
        "modelVersion": model,
        "responseId": id,
    })
    .to_string()
}
