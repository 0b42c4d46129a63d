//! The parser of Cohere's v2 chat stream (<https://docs.cohere.com/v2/docs/streaming>,
//! <https://docs.cohere.com/docs/tool-use-streaming>): named events, the name equal to
//! `data.type`; the recorded stream also ends with `data: [DONE]`.
//!
//! | wire (v2) | becomes |
//! |---|---|
//! | `content-delta` `delta.message.content.text` | [`Delta::text`] |
//! | `content-delta` `delta.message.content.thinking` (reasoning models) | [`Delta::reasoning`] |
//! | `content-start` with non-empty initial `text` / `thinking` | text / reasoning |
//! | `tool-plan-delta` `delta.message.tool_plan` | [`Delta::reasoning`] |
//! | `tool-call-delta` `delta.message.tool_calls.function.arguments` | [`Delta::tool_arguments`] |
//! | `message-end` `delta.finish_reason`, `delta.usage` | [`Delta::finish_reason`], [`Delta::usage`], [`Delta::done`] |
//! | `[DONE]` | [`Delta::done`] |
//! | an `error` event, or finish reason `ERROR` | [`Delta::error`] |
//!
//! The tool plan is the model's generated reasoning before it calls tools: it is output (the
//! corpus counts the first `tool-plan-delta` as the first output) but not answer text, so it
//! is reasoning here. `tool-call-start` (which names the tool, with empty arguments),
//! `message-start`, `content-end`, `tool-call-end` and citation events are not output, like
//! the start events of the other providers (see [`anthropic`](crate::providers::anthropic)).
//!
//! Usage: `tokens`, else `billed_units` (see [`end`](super::end)); the corpus' v2 sidecars
//! take `tokens` too.

use serde::Deserialize;

use super::end::{finish, CohereUsage};
use crate::delta::Delta;
use crate::providers::payload::{
    done_or_empty, error_message, from_json, Lenient, PayloadError, Text,
};

/// Parses one server-sent event of a Cohere v2 chat stream. Empty data gives an empty delta;
/// unknown event types give an empty delta.
pub(crate) fn parse_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    if event == Some("error") {
        return Ok(Delta {
            error: Some(error_message(data)),
            ..Delta::default()
        });
    }
    if let Some(delta) = done_or_empty(data) {
        return Ok(delta);
    }
    let ev: V2Event<'_> = from_json(data)?;
    let kind = match &ev.kind {
        Some(k) => k.as_str(),
        None => event.unwrap_or_default(),
    };
    let mut delta = Delta::default();
    let Some(d) = ev.delta.0 else {
        if kind == "error" {
            delta.error = Some(error_message(data));
        }
        return Ok(delta);
    };
    let message = d.message.0;
    match kind {
        "content-start" | "content-delta" => {
            if let Some(content) = message.and_then(|m| m.content.0) {
                delta.text.push_str(content.text.as_str());
                delta.reasoning.push_str(content.thinking.as_str());
            }
        }
        "tool-plan-delta" => {
            if let Some(m) = message {
                delta.reasoning.push_str(m.tool_plan.as_str());
            }
        }
        "tool-call-delta" => {
            if let Some(f) = message
                .and_then(|m| m.tool_calls.0)
                .and_then(|c| c.function.0)
            {
                delta.tool_arguments.push_str(f.arguments.as_str());
            }
        }
        "message-end" => {
            delta.done = true;
            finish(&mut delta, d.finish_reason);
            delta.usage = d.usage.0.and_then(CohereUsage::into_usage);
            if let Some(error) = d.error.filter(|e| !e.as_str().is_empty()) {
                delta.error = Some(error.0.into_owned());
            }
        }
        "error" => delta.error = Some(error_message(data)),
        _ => {}
    }
    Ok(delta)
}

/// One v2 event payload, only the fields we read.
#[derive(Deserialize)]
struct V2Event<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    delta: Lenient<V2Delta<'a>>,
}

/// `delta` of a v2 event.
#[derive(Deserialize)]
struct V2Delta<'a> {
    #[serde(default, borrow)]
    message: Lenient<V2Message<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
    #[serde(default)]
    usage: Lenient<CohereUsage>,
    #[serde(default, borrow)]
    error: Option<Text<'a>>,
}

/// `delta.message` of a v2 event.
#[derive(Deserialize)]
struct V2Message<'a> {
    #[serde(default, borrow)]
    content: Lenient<V2Content<'a>>,
    #[serde(default, borrow)]
    tool_plan: Text<'a>,
    #[serde(default, borrow)]
    tool_calls: Lenient<V2ToolCall<'a>>,
}

/// `delta.message.content`: answer text or thinking.
#[derive(Deserialize)]
struct V2Content<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default, borrow)]
    thinking: Text<'a>,
}

/// `delta.message.tool_calls` of a `tool-call-delta`.
#[derive(Deserialize)]
struct V2ToolCall<'a> {
    #[serde(default, borrow)]
    function: Lenient<V2Function<'a>>,
}

/// The function of a tool call: a fragment of its arguments.
#[derive(Deserialize)]
struct V2Function<'a> {
    #[serde(default, borrow)]
    arguments: Text<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_delta() {
        let d = parse_event(
            Some("content-delta"),
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Arrr"}}}}"#,
        )
        .unwrap();
        assert_eq!(d.text, "Arrr");
    }

    fn v2(event: &str, data: &str) -> Delta {
        parse_event(Some(event), data).unwrap()
    }

    #[test]
    fn v2_text_and_end() {
        let d = v2(
            "message-start",
            r#"{"id":"e6","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}"#,
        );
        assert_eq!(d, Delta::default());
        let d = v2(
            "content-start",
            r#"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}"#,
        );
        assert!(!d.is_output());
        let d = v2(
            "content-delta",
            r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Arrrr"}}}}"#,
        );
        assert_eq!(d.text, "Arrrr");
        let d = v2(
            "message-end",
            r#"{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":7,"output_tokens":109},"tokens":{"input_tokens":69,"output_tokens":110}}}}"#,
        );
        assert!(d.done && d.error.is_none());
        assert_eq!(d.finish_reason.as_deref(), Some("COMPLETE"));
        let u = d.usage.unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens),
            (Some(69), Some(110))
        );
        assert!(parse_event(None, "[DONE]").unwrap().done);
    }

    #[test]
    fn v2_tool_plan_and_calls() {
        let d = v2(
            "tool-plan-delta",
            r#"{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will"}}}"#,
        );
        assert_eq!(d.reasoning, "I will");
        assert!(d.is_output() && !d.is_answer());
        let d = v2(
            "tool-call-start",
            r#"{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"t","type":"function","function":{"name":"get_time","arguments":""}}}}}"#,
        );
        assert!(!d.is_output());
        let d = v2(
            "tool-call-delta",
            r#"{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\n    \""}}}}}"#,
        );
        assert_eq!(d.tool_arguments, "{\n    \"");
    }

    #[test]
    fn v2_errors() {
        let d = v2(
            "message-end",
            r#"{"type":"message-end","delta":{"finish_reason":"ERROR"}}"#,
        );
        assert!(d.error.is_some());
        let d = v2("error", r#"{"message":"internal"}"#);
        assert_eq!(d.error.as_deref(), Some("internal"));
        assert!(parse_event(Some("content-delta"), "{").is_err());
    }
}
