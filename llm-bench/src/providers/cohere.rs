//! The parsers of Cohere's chat streams: v2 (named server-sent events) and v1 (NDJSON).
//!
//! **v2** (<https://docs.cohere.com/v2/docs/streaming>,
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
//! the start events of the other providers (see [`anthropic`](super::anthropic)).
//!
//! **v1** (<https://docs.cohere.com/v1/docs/streaming>): NDJSON, one object per line with
//! `event_type` and `is_finished`.
//!
//! | wire (v1) | becomes |
//! |---|---|
//! | `text-generation` `text` | [`Delta::text`] |
//! | `tool-calls-chunk` `tool_call_delta.parameters` / `text` | [`Delta::tool_arguments`] / [`Delta::reasoning`] |
//! | `tool-calls-generation` `tool_calls[].parameters` (only if no `tool-calls-chunk` came) | [`Delta::tool_arguments`] |
//! | `stream-end` `response.meta`, `finish_reason` | [`Delta::usage`], [`Delta::finish_reason`], [`Delta::done`] |
//!
//! Usage, both versions: `tokens` (the model's real input/output token counts) when present,
//! else `billed_units`. Cohere bills fewer input tokens than the model reads (its own system
//! preamble is free), so the two differ; a benchmark measures the model, hence `tokens`.
//! The corpus' v2 sidecars take `tokens` too; its one v1 sidecar (a reconstructed paste)
//! takes `billed_units`, which the corpus test records as a known disagreement.

use serde::Deserialize;

use super::payload::{done_or_empty, error_message, from_json, Count, Lenient, PayloadError, Text};
use crate::delta::{Delta, Usage};

/// Parses one server-sent event of a Cohere v2 chat stream. Empty data gives an empty delta;
/// unknown event types give an empty delta.
///
/// ```
/// use llm_bench::providers::cohere::parse_v2_event;
///
/// let d = parse_v2_event(
///     Some("content-delta"),
///     r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Arrr"}}}}"#,
/// )?;
/// assert_eq!(d.text, "Arrr");
/// # Ok::<(), llm_bench::providers::payload::PayloadError>(())
/// ```
pub fn parse_v2_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
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

/// Sets the finish reason, and an error when it is `ERROR` (Cohere's "the generation
/// failed").
fn finish(delta: &mut Delta, reason: Option<Text<'_>>) {
    if let Some(reason) = reason.filter(|r| !r.as_str().is_empty()) {
        if reason.as_str() == "ERROR" && delta.error.is_none() {
            delta.error = Some("generation failed (finish_reason ERROR)".to_owned());
        }
        delta.finish_reason = Some(reason.0.into_owned());
    }
}

/// The parser of a Cohere v1 NDJSON chat stream, one per stream. It remembers whether tool
/// calls were streamed in chunks, so that the complete `tool-calls-generation` that follows
/// them is not counted twice.
#[derive(Debug, Clone, Default)]
pub struct V1Parser {
    tool_chunks: bool,
}

impl V1Parser {
    /// A parser for a new stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one NDJSON line.
    ///
    /// ```
    /// use llm_bench::providers::cohere::V1Parser;
    ///
    /// let mut parser = V1Parser::new();
    /// let d = parser.parse_line(r#"{"is_finished":false,"event_type":"text-generation","text":"In"}"#)?;
    /// assert_eq!(d.text, "In");
    /// # Ok::<(), llm_bench::providers::payload::PayloadError>(())
    /// ```
    pub fn parse_line(&mut self, line: &str) -> Result<Delta, PayloadError> {
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

#[derive(Deserialize)]
struct V2Event<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    delta: Lenient<V2Delta<'a>>,
}

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

#[derive(Deserialize)]
struct V2Message<'a> {
    #[serde(default, borrow)]
    content: Lenient<V2Content<'a>>,
    #[serde(default, borrow)]
    tool_plan: Text<'a>,
    #[serde(default, borrow)]
    tool_calls: Lenient<V2ToolCall<'a>>,
}

#[derive(Deserialize)]
struct V2Content<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default, borrow)]
    thinking: Text<'a>,
}

#[derive(Deserialize)]
struct V2ToolCall<'a> {
    #[serde(default, borrow)]
    function: Lenient<V2Function<'a>>,
}

#[derive(Deserialize)]
struct V2Function<'a> {
    #[serde(default, borrow)]
    arguments: Text<'a>,
}

/// `usage` (v2 `message-end`) or `meta` (v1 `stream-end`): `tokens` and `billed_units`.
#[derive(Deserialize)]
struct CohereUsage {
    #[serde(default)]
    tokens: Lenient<Units>,
    #[serde(default)]
    billed_units: Lenient<Units>,
}

#[derive(Deserialize)]
struct Units {
    #[serde(default)]
    input_tokens: Count,
    #[serde(default)]
    output_tokens: Count,
}

impl CohereUsage {
    fn into_usage(self) -> Option<Usage> {
        let units = self.tokens.0.or(self.billed_units.0)?;
        Some(Usage {
            prompt_tokens: units.input_tokens.0,
            completion_tokens: units.output_tokens.0,
            reasoning_tokens: None,
        })
    }
}

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

#[derive(Deserialize)]
struct V1ToolCallDelta<'a> {
    #[serde(default, borrow)]
    parameters: Text<'a>,
}

#[derive(Deserialize)]
struct V1ToolCall {
    #[serde(default)]
    parameters: Option<serde_json::Value>,
}

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

    fn v2(event: &str, data: &str) -> Delta {
        parse_v2_event(Some(event), data).unwrap()
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
        assert!(parse_v2_event(None, "[DONE]").unwrap().done);
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
        assert!(parse_v2_event(Some("content-delta"), "{").is_err());
    }

    #[test]
    fn v1_lines() {
        let mut p = V1Parser::new();
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
        let mut p = V1Parser::new();
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
        let d = V1Parser::new()
            .parse_line(r#"{"event_type":"tool-calls-generation","tool_calls":[{"name":"f","parameters":{"a":1}}]}"#)
            .unwrap();
        assert_eq!(d.tool_arguments, r#"{"a":1}"#);
    }
}
