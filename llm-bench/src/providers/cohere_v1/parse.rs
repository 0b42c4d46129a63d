//! The parser of Cohere's v1 chat stream (<https://docs.cohere.com/v1/docs/streaming>):
//! NDJSON, one object per line with `event_type` and `is_finished`.
//!
//! | wire | becomes |
//! |---|---|
//! | `text-generation` `text` | [`Delta::text`] |
//! | `tool-calls-chunk` `tool_call_delta.parameters` / `text` | [`Delta::tool_arguments`] / [`Delta::reasoning`] |
//! | `tool-calls-generation` `tool_calls[].parameters` (only if no `tool-calls-chunk` came) | [`Delta::tool_arguments`] |
//! | `stream-end` `response.meta`, `finish_reason` | [`Delta::usage`], [`Delta::finish_reason`], [`Delta::done`] |
//!
//! Usage is read as in v2 (see [`cohere_v2`](crate::providers::cohere_v2)): `tokens`, else
//! `billed_units`. The corpus' one v1 sidecar (a reconstructed paste) takes `billed_units`,
//! which the corpus test records as a known disagreement.

use serde::Deserialize;

use crate::delta::Delta;
use crate::providers::cohere_v2::end::{finish, CohereUsage};
use crate::providers::payload::{from_json, Lenient, PayloadError, Text};

/// The parser of a Cohere v1 NDJSON chat stream, one per stream. It remembers whether tool
/// calls were streamed in chunks, so that the complete `tool-calls-generation` that follows
/// them is not counted twice.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parser {
    tool_chunks: bool,
}

impl Parser {
    /// A parser for a new stream.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Parses one NDJSON line.
    pub(crate) fn parse_line(&mut self, line: &str) -> Result<Delta, PayloadError> {
        if line.trim_ascii().is_empty() {
            return Ok(Delta::default());
        }
        let ev: V1Event<'_> = from_json(line)?;
        let mut delta = Delta::default();
        match ev.event_type.as_ref().map(Text::as_str).unwrap_or_default() {
            "text-generation" => delta.text.push_str(ev.text.as_str()),
            "tool-calls-chunk" => {
                self.tool_chunks = true;
                delta.reasoning.push_str(ev.text.as_str());
                if let Some(call) = ev.tool_call_delta.0 {
                    delta.tool_arguments.push_str(call.parameters.as_str());
                }
            }
            "tool-calls-generation" if !self.tool_chunks => {
                for call in ev.tool_calls.into_iter().flatten() {
                    match call.parameters {
                        Some(p) if !p.is_null() => delta.tool_arguments.push_str(&p.to_string()),
                        _ => delta.tool_arguments.push_str("{}"),
                    }
                }
            }
            "stream-end" => {
                delta.done = true;
                let response = ev.response.0;
                let reason = match ev.finish_reason {
                    Some(r) => Some(r),
                    None => response.as_ref().and_then(|r| r.finish_reason.clone()),
                };
                finish(&mut delta, reason.map(|r| Text(r.into())));
                delta.usage = response
                    .and_then(|r| r.meta.0)
                    .and_then(CohereUsage::into_usage);
            }
            _ => {}
        }
        if let Some(error) = ev.error.filter(|e| !e.as_str().is_empty()) {
            delta.error = Some(error.0.into_owned());
        }
        Ok(delta)
    }
}

/// One v1 NDJSON line, only the fields we read.
#[derive(Deserialize)]
struct V1Event<'a> {
    #[serde(default, borrow)]
    event_type: Option<Text<'a>>,
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default, borrow)]
    tool_call_delta: Lenient<V1ToolCallDelta<'a>>,
    #[serde(default)]
    tool_calls: Option<Vec<V1ToolCall>>,
    #[serde(default)]
    response: Lenient<V1Response>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default, borrow)]
    error: Option<Text<'a>>,
}

/// `tool_call_delta` of a `tool-calls-chunk`.
#[derive(Deserialize)]
struct V1ToolCallDelta<'a> {
    #[serde(default, borrow)]
    parameters: Text<'a>,
}

/// A whole tool call of a `tool-calls-generation`.
#[derive(Deserialize)]
struct V1ToolCall {
    #[serde(default)]
    parameters: Option<serde_json::Value>,
}

/// `response` of the `stream-end` line.
#[derive(Deserialize)]
struct V1Response {
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    meta: Lenient<CohereUsage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_generation_line() {
        let mut parser = Parser::new();
        let d = parser
            .parse_line(r#"{"is_finished":false,"event_type":"text-generation","text":"In"}"#)
            .unwrap();
        assert_eq!(d.text, "In");
    }

    #[test]
    fn v1_lines() {
        let mut p = Parser::new();
        let d = p
            .parse_line(r#"{"is_finished":false,"event_type":"stream-start","generation_id":"2c"}"#)
            .unwrap();
        assert_eq!(d, Delta::default());
        let d = p
            .parse_line(r#"{"is_finished":true,"event_type":"stream-end","response":{"text":"x","finish_reason":"COMPLETE","meta":{"billed_units":{"input_tokens":10,"output_tokens":26},"tokens":{"input_tokens":82,"output_tokens":26}}},"finish_reason":"COMPLETE"}"#)
            .unwrap();
        assert!(d.done && !d.is_output());
        assert_eq!(d.finish_reason.as_deref(), Some("COMPLETE"));
        let u = d.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (Some(82), Some(26)));
        // billed_units when tokens is absent.
        let d = p
            .parse_line(r#"{"event_type":"stream-end","response":{"meta":{"billed_units":{"input_tokens":10,"output_tokens":26}}}}"#)
            .unwrap();
        assert_eq!(d.usage.unwrap().prompt_tokens, Some(10));
    }

    #[test]
    fn v1_tool_calls_counted_once() {
        let mut p = Parser::new();
        let d = p
            .parse_line(
                r#"{"event_type":"tool-calls-chunk","tool_call_delta":{"index":0,"name":"f"}}"#,
            )
            .unwrap();
        assert!(!d.is_output());
        let d = p
            .parse_line(r#"{"event_type":"tool-calls-chunk","tool_call_delta":{"index":0,"parameters":"{\"a\""}}"#)
            .unwrap();
        assert_eq!(d.tool_arguments, "{\"a\"");
        let d = p
            .parse_line(r#"{"event_type":"tool-calls-generation","tool_calls":[{"name":"f","parameters":{"a":1}}]}"#)
            .unwrap();
        assert!(!d.is_output());
        // Without chunks, the generation is the output.
        let d = Parser::new()
            .parse_line(r#"{"event_type":"tool-calls-generation","tool_calls":[{"name":"f","parameters":{"a":1}}]}"#)
            .unwrap();
        assert_eq!(d.tool_arguments, r#"{"a":1}"#);
    }
}
