//! The parser of OpenAI Responses API stream events (`/v1/responses` with `stream: true`).
//!
//! Format (<https://platform.openai.com/docs/api-reference/responses-streaming>): each event
//! has an `event:` name equal to `data.type`; newer payloads include `sequence_number`. The
//! typical order is `response.created` → `response.in_progress` →
//! `response.output_item.added` → `response.content_part.added` →
//! `response.output_text.delta`s → `response.output_text.done` → `response.content_part.done`
//! → `response.output_item.done` → `response.completed`. There is no `[DONE]` on
//! api.openai.com. OpenRouter's Responses endpoint sends the same payloads with no `event:`
//! lines, `: OPENROUTER PROCESSING` comments and a final `data: [DONE]`: the parser reads the
//! type from the payload, so both work.
//!
//! | wire (`type`) | becomes |
//! |---|---|
//! | `response.output_text.delta` `.delta` | [`Delta::text`] |
//! | `response.reasoning_text.delta`, `response.reasoning_summary_text.delta` (and the older `response.reasoning.delta`, `response.reasoning_summary.delta`) | [`Delta::reasoning`] |
//! | `response.refusal.delta` | [`Delta::refusal`] |
//! | `response.function_call_arguments.delta`, `response.custom_tool_call_input.delta`, `response.mcp_call_arguments.delta` | [`Delta::tool_arguments`] |
//! | `response.completed`, `response.incomplete` | [`Delta::done`], [`Delta::usage`], [`Delta::finish_reason`] (`completed`, or the incomplete reason) |
//! | `response.failed` | [`Delta::error`] (`response.error.message`), [`Delta::done`], usage |
//! | `error` | [`Delta::error`] (`message`, else `code`) |
//! | `data: [DONE]` (OpenRouter) | [`Delta::done`] |
//!
//! Not output: the lifecycle events (`created`, `in_progress`, `output_item.added` — even of
//! a function call, whose name it carries; the corpus' sidecars count the first arguments
//! delta as the first output —, `content_part.added`, the `*.done` events that repeat the
//! full text, annotations).
//!
//! Usage (`response.usage`): `input_tokens`, `output_tokens` (reasoning included) and
//! `output_tokens_details.reasoning_tokens`.

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{
    done_or_empty, error_message, from_json, ApiError, Count, Lenient, PayloadError, Text,
};

/// Parses one server-sent event of a Responses API stream. Empty data gives an empty delta;
/// unknown event types give an empty delta.
pub(crate) fn parse_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    if let Some(delta) = done_or_empty(data) {
        return Ok(match event {
            // `event: error` with an empty payload: say so, with no message to quote.
            Some("error") if !delta.done => Delta {
                error: Some(error_message(data)),
                ..delta
            },
            _ => delta,
        });
    }
    let ev: Event<'_> = from_json(data)?;
    let kind = match &ev.kind {
        Some(k) => k.as_str(),
        None => event.unwrap_or_default(),
    };
    let mut delta = Delta::default();
    match kind {
        "response.output_text.delta" => delta.text.push_str(ev.delta.as_str()),
        "response.reasoning_text.delta"
        | "response.reasoning_summary_text.delta"
        | "response.reasoning.delta"
        | "response.reasoning_summary.delta" => delta.reasoning.push_str(ev.delta.as_str()),
        "response.refusal.delta" => delta.refusal.push_str(ev.delta.as_str()),
        "response.function_call_arguments.delta"
        | "response.custom_tool_call_input.delta"
        | "response.mcp_call_arguments.delta" => delta.tool_arguments.push_str(ev.delta.as_str()),
        "response.completed" | "response.incomplete" | "response.failed" => {
            delta.done = true;
            if let Some(response) = ev.response.0 {
                delta.usage = response.usage.0.map(Usage::from);
                let incomplete = response
                    .incomplete_details
                    .0
                    .and_then(|d| d.reason)
                    .filter(|r| !r.as_str().is_empty());
                let status = response.status.filter(|s| !s.as_str().is_empty());
                delta.finish_reason = incomplete.or(status).map(|r| r.0.into_owned());
                if kind == "response.failed" {
                    delta.error = Some(match response.error {
                        Some(error) => error.into_message(),
                        None => "response failed".to_owned(),
                    });
                }
            } else if kind == "response.failed" {
                delta.error = Some("response failed".to_owned());
            }
        }
        "error" => {
            delta.error = Some(match ev.error {
                Some(error) => error.into_message(),
                None => error_message(data),
            });
        }
        _ => {}
    }
    Ok(delta)
}

/// One event payload, only the fields we read.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    delta: Text<'a>,
    #[serde(default, borrow)]
    response: Lenient<Response<'a>>,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
}

/// `response` of a `response.completed`, `.incomplete` or `.failed` event.
#[derive(Deserialize)]
struct Response<'a> {
    #[serde(default, borrow)]
    status: Option<Text<'a>>,
    #[serde(default)]
    usage: Lenient<RawUsage>,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
    #[serde(default, borrow)]
    incomplete_details: Lenient<Incomplete<'a>>,
}

/// `incomplete_details`: why the response stopped early.
#[derive(Deserialize)]
struct Incomplete<'a> {
    #[serde(default, borrow)]
    reason: Option<Text<'a>>,
}

/// `usage` as the API reports it.
#[derive(Deserialize)]
struct RawUsage {
    #[serde(default)]
    input_tokens: Count,
    #[serde(default)]
    output_tokens: Count,
    #[serde(default)]
    output_tokens_details: Lenient<OutputDetails>,
}

/// `output_tokens_details`.
#[derive(Deserialize)]
struct OutputDetails {
    #[serde(default)]
    reasoning_tokens: Count,
}

impl From<RawUsage> for Usage {
    fn from(u: RawUsage) -> Self {
        Usage {
            prompt_tokens: u.input_tokens.0,
            completion_tokens: u.output_tokens.0,
            reasoning_tokens: u.output_tokens_details.0.and_then(|d| d.reasoning_tokens.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_text_delta() {
        let d = parse_event(
            Some("response.output_text.delta"),
            r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"2 +"}"#,
        ).unwrap();
        assert_eq!(d.text, "2 +");
    }

    fn parse(data: &str) -> Delta {
        parse_event(None, data).unwrap()
    }

    #[test]
    fn deltas() {
        let d = parse(
            r#"{"type":"response.reasoning_text.delta","output_index":0,"item_id":"rs","content_index":0,"delta":"The","sequence_number":4}"#,
        );
        assert_eq!(d.reasoning, "The");
        assert!(d.is_output() && !d.is_answer());
        let d = parse(r#"{"type":"response.reasoning_summary_text.delta","delta":"**Plan**"}"#);
        assert_eq!(d.reasoning, "**Plan**");
        let d = parse(r#"{"type":"response.refusal.delta","delta":"I can't"}"#);
        assert_eq!(d.refusal, "I can't");
        let d = parse(
            r#"{"type":"response.function_call_arguments.delta","item_id":"fc","output_index":0,"delta":"{\""}"#,
        );
        assert_eq!(d.tool_arguments, "{\"");
    }

    #[test]
    fn lifecycle_events_are_not_output() {
        for data in [
            r#"{"type":"response.created","response":{"id":"r","status":"in_progress","error":null,"output":[],"usage":null}}"#,
            r#"{"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","id":"fc","name":"get_capital","arguments":"","status":"in_progress"}}"#,
            r#"{"type":"response.content_part.added","item_id":"m","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}"#,
            r#"{"type":"response.output_text.done","item_id":"m","output_index":0,"content_index":0,"text":"2 + 2 equals 4."}"#,
            r#"{"type":"response.function_call_arguments.done","item_id":"fc","output_index":0,"arguments":"{}"}"#,
        ] {
            assert_eq!(parse(data), Delta::default(), "{data}");
        }
    }

    #[test]
    fn completed_with_usage() {
        let d = parse_event(
            Some("response.completed"),
            r#"{"type":"response.completed","response":{"id":"r","status":"completed","error":null,"incomplete_details":null,"usage":{"input_tokens":53,"input_tokens_details":{"cached_tokens":0},"output_tokens":469,"output_tokens_details":{"reasoning_tokens":448},"total_tokens":522}}}"#,
        )
        .unwrap();
        assert!(d.done && d.error.is_none());
        assert_eq!(d.finish_reason.as_deref(), Some("completed"));
        assert_eq!(
            d.usage,
            Some(Usage {
                prompt_tokens: Some(53),
                completion_tokens: Some(469),
                reasoning_tokens: Some(448)
            })
        );
        let d = parse(
            r#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}"#,
        );
        assert_eq!(d.finish_reason.as_deref(), Some("max_output_tokens"));
    }

    #[test]
    fn failures() {
        let d = parse(
            r#"{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"The model failed"}}}"#,
        );
        assert_eq!(d.error.as_deref(), Some("The model failed"));
        assert!(d.done);
        let d = parse_event(
            Some("error"),
            r#"{"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null}"#,
        )
        .unwrap();
        assert_eq!(d.error.as_deref(), Some("Slow down"));
        assert!(parse_event(None, "[DONE]").unwrap().done);
        assert!(parse_event(None, "{\"type\":").is_err());
    }
}
