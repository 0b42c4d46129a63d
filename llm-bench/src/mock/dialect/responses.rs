//! The OpenAI Responses dialect (`POST /v1/responses`): the request it reads, the named
//! events it writes, and OpenAI's error shape.

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::{openai, BodyTiming, Call, Dialect, DialectWriter, Reading, Reply};
use crate::mock::answer::{reasoning_for, Answer, TokenKind};
use crate::mock::api_error::ApiError;
use crate::mock::profile::LatencyProfile;
use crate::mock::text::{count, words};

/// The OpenAI Responses dialect.
pub(crate) struct Responses;

impl DialectWriter for Responses {
    const DIALECT: Dialect = Dialect::OpenAiResponses;
    const PATHS: &'static [&'static str] = &["/v1/responses"];
    const BASE_PATH: &'static str = "/v1";

    type Request = Echo;
    type Stream = EventWriter;

    fn read(&self, call: &Call<'_>, profile: &LatencyProfile) -> Result<Reading<Echo>, ApiError> {
        let r = parse_request(call.body)?;
        let answer = r.answer(profile);
        Ok(Reading::new(
            r.model,
            r.max_tokens,
            r.stream,
            answer,
            r.echo,
        ))
    }

    fn content_type(&self, _: &Echo) -> &'static str {
        "text/event-stream; charset=utf-8"
    }

    fn start(&self, echo: Echo, reply: &Reply<'_>) -> EventWriter {
        EventWriter::new(
            &response_id(reply.serial),
            reply.created,
            reply.model,
            echo,
            reply.answer,
        )
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

    fn body(&self, echo: Echo, reply: &Reply<'_>, _: BodyTiming) -> String {
        self.start(echo, reply).response_body()
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

/// The id of response number `serial`.
fn response_id(serial: u64) -> String {
    format!("resp_mock{serial:016x}")
}

/// The request body, as far as the mock reads it (unknown fields are ignored).
#[derive(Deserialize)]
struct RawRequest {
    /// `model`: echoed in the answer.
    #[serde(default)]
    model: Option<String>,
    /// `input`: required, a string or a non-empty array of items.
    #[serde(default)]
    input: Option<Value>,
    /// `instructions`: counted in the prompt and echoed.
    #[serde(default)]
    instructions: Option<String>,
    /// `max_output_tokens`: the cap on output tokens.
    #[serde(default)]
    max_output_tokens: Option<u32>,
    /// `reasoning`.
    #[serde(default)]
    reasoning: Option<ReasoningParam>,
    /// `stream`.
    #[serde(default)]
    stream: Option<bool>,
}

/// The request's `reasoning` object.
#[derive(Deserialize)]
struct ReasoningParam {
    /// `effort`: the reasoning asked for.
    #[serde(default)]
    effort: Option<String>,
    /// `summary`: echoed only.
    #[serde(default)]
    summary: Option<String>,
}

/// The values of `reasoning.effort` OpenAI accepts.
const EFFORTS: [&str; 6] = ["none", "minimal", "low", "medium", "high", "xhigh"];

/// A Responses request, as far as the mock cares.
#[derive(Debug)]
pub(crate) struct ResponsesRequest {
    /// The model the request names (`None` when absent or empty).
    pub(crate) model: Option<String>,
    /// The request's cap on output tokens.
    pub(crate) max_tokens: Option<u32>,
    /// The request asked for a stream.
    pub(crate) stream: bool,
    /// The prompt size the mock reports: the whitespace-separated words of its text.
    pub(crate) prompt_tokens: u32,
    /// `reasoning.effort`: `None` when absent, `Some(false)` for `"none"`, else `Some(true)`.
    pub(crate) reasoning: Option<bool>,
    /// What the response object echoes of the request.
    pub(crate) echo: Echo,
}

/// The request's settings a response object repeats.
#[derive(Debug, Clone, Default)]
pub(crate) struct Echo {
    /// `instructions`.
    instructions: Option<String>,
    /// `max_output_tokens`.
    max_output_tokens: Option<u32>,
    /// `reasoning.effort`.
    effort: Option<String>,
    /// `reasoning.summary`.
    summary: Option<String>,
}

impl ResponsesRequest {
    /// The answer's plan: the reasoning of OpenAI's chat dialect (`reasoning.effort` asks
    /// for it, `"none"` turns it off, else the profile's count), always streamed.
    pub(crate) fn answer(&self, profile: &LatencyProfile) -> Answer {
        let reasoning = reasoning_for(profile, self.reasoning, None);
        Answer::plan(
            profile,
            self.max_tokens,
            reasoning,
            true,
            self.prompt_tokens,
        )
    }
}

/// A 400 with this message and code, in OpenAI's way.
fn invalid(message: impl Into<String>, code: &'static str) -> ApiError {
    ApiError::invalid_request(message, code)
}

/// Whitespace-separated words of `input`: a string, or items whose `content` is a string or
/// parts with `text`.
fn input_words(input: &Value) -> usize {
    match input {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(o) => o.get("content").map_or(0, words),
                other => words(other),
            })
            .sum(),
        other => words(other),
    }
}

/// Parses a Responses body. Never panics on any input.
pub(crate) fn parse_request(body: &[u8]) -> Result<ResponsesRequest, ApiError> {
    let raw: RawRequest = serde_json::from_slice(body).map_err(|e| {
        invalid(
            format!("We could not parse the JSON body of your request: {e}"),
            "invalid_json",
        )
    })?;
    let input = match raw.input {
        None | Some(Value::Null) => {
            return Err(invalid(
                "Missing required parameter: 'input'.",
                "missing_required_parameter",
            ))
        }
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(invalid(
                "Invalid 'input': empty array. Expected an array with minimum length 1.",
                "empty_array",
            ))
        }
        Some(v @ (Value::String(_) | Value::Array(_))) => v,
        Some(_) => {
            return Err(invalid(
                "Invalid type for 'input': expected a string or an array of input items.",
                "invalid_type",
            ))
        }
    };
    if raw.max_output_tokens == Some(0) {
        return Err(invalid(
            "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
            "integer_below_min_value",
        ));
    }
    let (effort, summary) = match raw.reasoning {
        Some(r) => (r.effort, r.summary),
        None => (None, None),
    };
    let reasoning = match effort.as_deref() {
        None => None,
        Some("none") => Some(false),
        Some(e) if EFFORTS.contains(&e) => Some(true),
        Some(e) => {
            return Err(invalid(
                format!(
                    "Invalid value: '{e}'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high' and 'xhigh'."
                ),
                "invalid_value",
            ))
        }
    };
    let prompt = input_words(&input)
        + raw
            .instructions
            .as_deref()
            .map_or(0, |i| i.split_whitespace().count());
    Ok(ResponsesRequest {
        model: raw.model.filter(|m| !m.is_empty()),
        max_tokens: raw.max_output_tokens,
        stream: raw.stream.unwrap_or(false),
        prompt_tokens: count(prompt),
        reasoning,
        echo: Echo {
            instructions: raw.instructions,
            max_output_tokens: raw.max_output_tokens,
            effort,
            summary,
        },
    })
}

/// The `usage` object: `output_tokens` counts the reasoning, detailed in
/// `output_tokens_details.reasoning_tokens`.
fn usage_json(answer: &Answer) -> String {
    let (input, output) = (answer.prompt_tokens, answer.total());
    format!(
        r#"{{"input_tokens":{input},"input_tokens_details":{{"cached_tokens":0}},"output_tokens":{output},"output_tokens_details":{{"reasoning_tokens":{}}},"total_tokens":{}}}"#,
        answer.reasoning,
        u64::from(input) + u64::from(output)
    )
}

/// `s` as a JSON string.
fn json_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// `s` as a JSON string, or `null`.
fn opt_json(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_owned(), json_str)
}

/// Builds the events and objects of one answer: the ids, the echoed settings, and the
/// running `sequence_number`.
pub(crate) struct EventWriter {
    /// The answer's id.
    id: String,
    /// When the answer was planned (Unix seconds).
    created: u64,
    /// The model, as a JSON string.
    model_json: String,
    /// The request's settings the response object echoes.
    echo: Echo,
    /// The answer's plan.
    answer: Answer,
    /// The next event's `sequence_number`.
    seq: u64,
}

impl EventWriter {
    /// A writer of response `id`'s events, answering as `model` and echoing `echo`.
    pub(crate) fn new(id: &str, created: u64, model: &str, echo: Echo, answer: Answer) -> Self {
        EventWriter {
            id: id.to_owned(),
            created,
            model_json: json_str(model),
            echo,
            answer,
            seq: 0,
        }
    }

    /// The id of the answer's message item.
    fn message_id(&self) -> String {
        format!("msg_{}", self.id.trim_start_matches("resp_"))
    }

    /// The id of the answer's reasoning item.
    fn reasoning_id(&self) -> String {
        format!("rs_{}", self.id.trim_start_matches("resp_"))
    }

    /// The output index of the message item: 1 after a reasoning item, else 0.
    fn message_index(&self) -> u32 {
        u32::from(self.answer.reasoning > 0)
    }

    /// Appends one named event, `type` equal to its name, with the next `sequence_number`;
    /// `fields` are the payload's other fields (JSON object members, no braces).
    fn event(&mut self, out: &mut String, name: &str, fields: &str) {
        let _ = write!(
            out,
            "event: {name}\ndata: {{\"type\":\"{name}\",\"sequence_number\":{},{fields}}}\n\n",
            self.seq
        );
        self.seq += 1;
    }

    /// The response object, in the field order of the recorded streams.
    fn response_json(&self, status: &str, output: &str, usage: Option<&str>) -> String {
        let incomplete = if status == "incomplete" {
            r#"{"reason":"max_output_tokens"}"#
        } else {
            "null"
        };
        let e = &self.echo;
        format!(
            r#"{{"id":"{}","object":"response","created_at":{},"status":"{status}","background":false,"error":null,"incomplete_details":{incomplete},"instructions":{},"max_output_tokens":{},"max_tool_calls":null,"model":{},"output":{output},"parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"reasoning":{{"effort":{},"summary":{}}},"safety_identifier":null,"service_tier":"default","store":true,"temperature":1.0,"text":{{"format":{{"type":"text"}},"verbosity":"medium"}},"tool_choice":"auto","tools":[],"top_logprobs":0,"top_p":1.0,"truncation":"disabled","usage":{},"user":null,"metadata":{{}}}}"#,
            self.id,
            self.created,
            opt_json(e.instructions.as_deref()),
            e.max_output_tokens
                .map_or_else(|| "null".to_owned(), |n| n.to_string()),
            self.model_json,
            opt_json(e.effort.as_deref()),
            opt_json(e.summary.as_deref()),
            usage.unwrap_or("null"),
        )
    }

    /// The finished reasoning item.
    fn reasoning_item(&self) -> String {
        format!(
            r#"{{"id":"{}","type":"reasoning","summary":[{{"type":"summary_text","text":{}}}]}}"#,
            self.reasoning_id(),
            json_str(&self.answer.reasoning_text())
        )
    }

    /// The message item: in progress and empty, or finished with the whole text.
    fn message_item(&self, done: bool) -> String {
        if done {
            let status = if self.answer.cut {
                "incomplete"
            } else {
                "completed"
            };
            format!(
                r#"{{"id":"{}","type":"message","status":"{status}","content":[{{"type":"output_text","annotations":[],"logprobs":[],"text":{}}}],"role":"assistant"}}"#,
                self.message_id(),
                json_str(&self.answer.answer_text())
            )
        } else {
            format!(
                r#"{{"id":"{}","type":"message","status":"in_progress","content":[],"role":"assistant"}}"#,
                self.message_id()
            )
        }
    }

    /// The finished output items.
    fn output(&self) -> String {
        let mut items = Vec::new();
        if self.answer.reasoning > 0 {
            items.push(self.reasoning_item());
        }
        if self.answer.answer > 0 {
            items.push(self.message_item(true));
        }
        format!("[{}]", items.join(","))
    }

    /// Opens the message item: `response.output_item.added` and
    /// `response.content_part.added`.
    fn open_message(&mut self, s: &mut String) {
        let (index, item) = (self.message_index(), self.message_item(false));
        self.event(
            s,
            "response.output_item.added",
            &format!(r#""output_index":{index},"item":{item}"#),
        );
        let id = self.message_id();
        self.event(
            s,
            "response.content_part.added",
            &format!(
                r#""item_id":"{id}","output_index":{index},"content_index":0,"part":{{"type":"output_text","annotations":[],"logprobs":[],"text":""}}"#
            ),
        );
    }

    /// Closes the reasoning item: the summary text's and part's `done`, then the item's.
    fn close_reasoning(&mut self, s: &mut String) {
        let id = self.reasoning_id();
        let text = json_str(&self.answer.reasoning_text());
        self.event(
            s,
            "response.reasoning_summary_text.done",
            &format!(r#""item_id":"{id}","output_index":0,"summary_index":0,"text":{text}"#),
        );
        self.event(
            s,
            "response.reasoning_summary_part.done",
            &format!(
                r#""item_id":"{id}","output_index":0,"summary_index":0,"part":{{"type":"summary_text","text":{text}}}"#
            ),
        );
        let item = self.reasoning_item();
        self.event(
            s,
            "response.output_item.done",
            &format!(r#""output_index":0,"item":{item}"#),
        );
    }

    /// Sent at once, with the headers: `response.created`, `response.in_progress`, and the
    /// first output item's `added` events (the reasoning item and its summary part, or the
    /// message item and its content part).
    pub(crate) fn head(&mut self) -> String {
        let mut s = String::with_capacity(2400);
        let response = self.response_json("in_progress", "[]", None);
        self.event(
            &mut s,
            "response.created",
            &format!(r#""response":{response}"#),
        );
        self.event(
            &mut s,
            "response.in_progress",
            &format!(r#""response":{response}"#),
        );
        if self.answer.reasoning > 0 {
            let id = self.reasoning_id();
            self.event(
                &mut s,
                "response.output_item.added",
                &format!(
                    r#""output_index":0,"item":{{"id":"{id}","type":"reasoning","summary":[]}}"#
                ),
            );
            self.event(
                &mut s,
                "response.reasoning_summary_part.added",
                &format!(
                    r#""item_id":"{id}","output_index":0,"summary_index":0,"part":{{"type":"summary_text","text":""}}"#
                ),
            );
        } else {
            self.open_message(&mut s);
        }
        s
    }

    /// The event of sent token `i`: `response.reasoning_summary_text.delta` for reasoning,
    /// `response.output_text.delta` for the answer. The first answer token after reasoning
    /// comes after the reasoning item's close and the message item's opening.
    pub(crate) fn token(&mut self, i: u32) -> String {
        let mut s = String::with_capacity(256);
        let mut delta = String::with_capacity(16);
        self.answer.push_token(&mut delta, i);
        match self.answer.kind(i) {
            (TokenKind::Reasoning, _) => {
                let id = self.reasoning_id();
                self.event(
                    &mut s,
                    "response.reasoning_summary_text.delta",
                    &format!(
                        r#""item_id":"{id}","output_index":0,"summary_index":0,"delta":"{delta}""#
                    ),
                );
            }
            (TokenKind::Answer, j) => {
                if j == 0 && self.answer.reasoning > 0 {
                    self.close_reasoning(&mut s);
                    self.open_message(&mut s);
                }
                let (id, index) = (self.message_id(), self.message_index());
                self.event(
                    &mut s,
                    "response.output_text.delta",
                    &format!(
                        r#""item_id":"{id}","output_index":{index},"content_index":0,"delta":"{delta}","logprobs":[]"#
                    ),
                );
            }
        }
        s
    }

    /// The end: the open item's `done` events (text, content part, item; or the reasoning
    /// item's when `max_output_tokens` cut the answer during the reasoning), then
    /// `response.completed`, or `response.incomplete` with
    /// `incomplete_details.reason: "max_output_tokens"`, with the usage. No `[DONE]`.
    pub(crate) fn trailer(&mut self) -> String {
        let mut s = String::with_capacity(3000);
        if self.answer.answer == 0 {
            self.close_reasoning(&mut s);
        } else {
            let (id, index) = (self.message_id(), self.message_index());
            let text = json_str(&self.answer.answer_text());
            self.event(
                &mut s,
                "response.output_text.done",
                &format!(
                    r#""item_id":"{id}","output_index":{index},"content_index":0,"text":{text},"logprobs":[]"#
                ),
            );
            self.event(
                &mut s,
                "response.content_part.done",
                &format!(
                    r#""item_id":"{id}","output_index":{index},"content_index":0,"part":{{"type":"output_text","annotations":[],"logprobs":[],"text":{text}}}"#
                ),
            );
            let item = self.message_item(true);
            self.event(
                &mut s,
                "response.output_item.done",
                &format!(r#""output_index":{index},"item":{item}"#),
            );
        }
        let (name, status) = if self.answer.cut {
            ("response.incomplete", "incomplete")
        } else {
            ("response.completed", "completed")
        };
        let response = self.response_json(status, &self.output(), Some(&usage_json(&self.answer)));
        self.event(&mut s, name, &format!(r#""response":{response}"#));
        s
    }

    /// The body of a non-streaming answer: the final response object.
    pub(crate) fn response_body(&self) -> String {
        let status = if self.answer.cut {
            "incomplete"
        } else {
            "completed"
        };
        self.response_json(status, &self.output(), Some(&usage_json(&self.answer)))
    }
}
