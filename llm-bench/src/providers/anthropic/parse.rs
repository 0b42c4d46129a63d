//! The parser of Anthropic Messages stream events.
//!
//! Format (<https://platform.claude.com/docs/build-with-claude/streaming>): server-sent
//! events, each named, with the name equal to `data.type`: `message_start` → for each content
//! block `content_block_start`, `content_block_delta`s, `content_block_stop` → `message_delta`
//! → `message_stop`. `ping` can come anywhere; an `error` event (e.g. `overloaded_error`) can
//! arrive after HTTP 200. There is no `[DONE]`. Events often carry whitespace padding inside
//! their JSON, which is fine.
//!
//! | wire | becomes |
//! |---|---|
//! | `message_start` `message.usage.input_tokens` / `.output_tokens` | [`Delta::usage`] (prompt / completion so far) |
//! | `content_block_delta` `text_delta` `.text` | [`Delta::text`] |
//! | `content_block_delta` `thinking_delta` `.thinking` | [`Delta::reasoning`] |
//! | `content_block_delta` `input_json_delta` `.partial_json` | [`Delta::tool_arguments`] |
//! | `content_block_start` of a `text` / `thinking` block with non-empty initial text | text / reasoning |
//! | `message_delta` `delta.stop_reason`, `usage.output_tokens` (cumulative), `usage.input_tokens` (when sent) | [`Delta::finish_reason`], [`Delta::usage`] |
//! | `message_stop` | [`Delta::done`] |
//! | `error` event (or a payload of type `error`) | [`Delta::error`]: `error.message` (else its type) |
//!
//! Not output: `message_start`, `ping`, `content_block_stop`, `signature_delta` (an opaque
//! signature of the thinking), `citations_delta` (a citation object that points into the
//! documents, not generated text), and `content_block_start` of a `tool_use` block. That the
//! tool's name does not stop TTFT follows the corpus' reference rule ("message_start,
//! content_block_start, ping carry no tokens") and the Responses API sidecars, where the
//! equivalent `output_item.added` is not output either; the first `input_json_delta` with
//! non-empty `partial_json` is. (OpenAI Chat Completions differs: there the chunk naming a
//! tool is the first of the call's chunks and counts as output, as its corpus says.)
//!
//! Usage: `input_tokens` is what Anthropic calls input (it excludes prompt-cache reads and
//! writes, `cache_read_input_tokens` / `cache_creation_input_tokens`); `output_tokens`
//! includes thinking tokens (Anthropic does not report them separately). Each event reports
//! only what it carries; [`StreamParser`](crate::providers::wire::StreamParser) merges the
//! `message_start` prompt count into the later `message_delta` usage.

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{
    error_message, from_json, ApiError, Count, Lenient, PayloadError, Text,
};

/// Parses one server-sent event of an Anthropic Messages stream.
///
/// `event` is the SSE event name, `data` its joined data lines. An event with empty data (a
/// bare `event: ping`) gives an empty delta. Unknown event types give an empty delta (new
/// event types must not break a benchmark).
pub(crate) fn parse_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    if event == Some("error") {
        return Ok(Delta {
            error: Some(error_message(data)),
            ..Delta::default()
        });
    }
    if data.trim_ascii().is_empty() {
        return Ok(Delta::default());
    }
    let ev: Event<'_> = from_json(data)?;
    let mut delta = Delta::default();
    let kind = match &ev.kind {
        Some(k) => k.as_str(),
        None => event.unwrap_or_default(),
    };
    match kind {
        "message_start" => {
            if let Some(usage) = ev.message.0.and_then(|m| m.usage.0) {
                delta.usage = Some(usage.into());
            }
        }
        "content_block_start" => {
            if let Some(block) = ev.content_block.0 {
                match block.kind.as_ref().map(Text::as_str) {
                    Some("text") => delta.text.push_str(block.text.as_str()),
                    Some("thinking") => delta.reasoning.push_str(block.thinking.as_str()),
                    _ => {}
                }
            }
        }
        "content_block_delta" => {
            if let Some(d) = ev.delta.0 {
                match d.kind.as_ref().map(Text::as_str) {
                    Some("text_delta") => delta.text.push_str(d.text.as_str()),
                    Some("thinking_delta") => delta.reasoning.push_str(d.thinking.as_str()),
                    Some("input_json_delta") => {
                        delta.tool_arguments.push_str(d.partial_json.as_str());
                    }
                    _ => {}
                }
            }
        }
        "message_delta" => {
            if let Some(d) = ev.delta.0 {
                if let Some(reason) = d.stop_reason.filter(|r| !r.as_str().is_empty()) {
                    delta.finish_reason = Some(reason.0.into_owned());
                }
            }
            delta.usage = ev.usage.0.map(Usage::from);
        }
        "message_stop" => delta.done = true,
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
    #[serde(default)]
    message: Lenient<Message>,
    #[serde(default, borrow)]
    content_block: Lenient<Block<'a>>,
    #[serde(default, borrow)]
    delta: Lenient<EventDelta<'a>>,
    #[serde(default)]
    usage: Lenient<RawUsage>,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
}

/// `message` of a `message_start`: its usage.
#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    usage: Lenient<RawUsage>,
}

/// `content_block` of a `content_block_start`.
#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default, borrow)]
    thinking: Text<'a>,
}

/// `delta` of a `content_block_delta` (typed) or of a `message_delta` (stop reason).
#[derive(Deserialize)]
struct EventDelta<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default, borrow)]
    thinking: Text<'a>,
    #[serde(default, borrow)]
    partial_json: Text<'a>,
    #[serde(default, borrow)]
    stop_reason: Option<Text<'a>>,
}

/// `usage` as Anthropic reports it.
#[derive(Deserialize)]
struct RawUsage {
    #[serde(default)]
    input_tokens: Count,
    #[serde(default)]
    output_tokens: Count,
}

impl From<RawUsage> for Usage {
    fn from(u: RawUsage) -> Self {
        Usage {
            prompt_tokens: u.input_tokens.0,
            completion_tokens: u.output_tokens.0,
            reasoning_tokens: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_delta_then_stop() {
        let d = parse_event(
            Some("content_block_delta"),
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
        )
        .unwrap();
        assert_eq!(d.text, "Hi");
        assert!(
            parse_event(Some("message_stop"), r#"{"type":"message_stop"}"#)
                .unwrap()
                .done
        );
    }

    fn parse(event: &str, data: &str) -> Delta {
        parse_event(Some(event), data).unwrap()
    }

    #[test]
    fn text_thinking_and_tool_deltas() {
        let d = parse(
            "content_block_delta",
            r#"{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}"#,
        );
        assert_eq!(d.text, "Hello");
        assert!(d.is_answer());
        let d = parse(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me"}}"#,
        );
        assert_eq!(d.reasoning, "Let me");
        assert!(d.is_output() && !d.is_answer());
        let d = parse(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"loc"}}"#,
        );
        assert_eq!(d.tool_arguments, "{\"loc");
        assert!(d.is_output());
        // An empty fragment is not output.
        let d = parse(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        );
        assert!(!d.is_output());
    }

    #[test]
    fn non_output_events() {
        for (event, data) in [
            ("ping", r#"{"type": "ping"}"#),
            ("ping", ""),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"get_weather","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            ("future_event", r#"{"type":"future_event","x":[1]}"#),
        ] {
            assert_eq!(parse(event, data), Delta::default(), "{data}");
        }
    }

    #[test]
    fn usage_and_stop() {
        let d = parse(
            "message_start",
            r#"{"type":"message_start","message":{"id":"m","content":[],"usage":{"input_tokens":17,"cache_read_input_tokens":0,"output_tokens":3}}}"#,
        );
        assert!(!d.is_output());
        assert_eq!(
            d.usage,
            Some(Usage {
                prompt_tokens: Some(17),
                completion_tokens: Some(3),
                reasoning_tokens: None
            })
        );
        let d = parse(
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":171}}"#,
        );
        assert_eq!(d.finish_reason.as_deref(), Some("end_turn"));
        let u = d.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (None, Some(171)));
        let d = parse("message_stop", r#"{"type":"message_stop"}"#);
        assert!(d.done && !d.is_output());
    }

    #[test]
    fn error_event() {
        let d = parse(
            "error",
            r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
        );
        assert_eq!(d.error.as_deref(), Some("Overloaded"));
        // Without the event name, the payload type says it.
        let d = parse_event(
            None,
            r#"{"type":"error","error":{"details":null,"type":"overloaded_error"}}"#,
        )
        .unwrap();
        assert_eq!(d.error.as_deref(), Some("overloaded_error"));
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(parse_event(Some("content_block_delta"), "{\"type\":").is_err());
        assert!(parse_event(
            Some("message_delta"),
            r#"{"type":"message_delta","delta":{"stop_reason":"x"},"usage":{"output_tokens":1}"#
        )
        .is_err());
    }
}
