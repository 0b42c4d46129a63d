//! ConverseStream: frames of named JSON events (see the [module documentation](super) for
//! the mapping).

use serde::Deserialize;

use super::frame::{event_payload, Frame};
use crate::delta::{Delta, Usage};
use crate::framing::eventstream::Message;
use crate::providers::payload::{from_json, Count, Lenient, PayloadError, Text};

/// Parses one frame of a ConverseStream response.
///
/// An exception or error frame gives a delta with [`Delta::error`] set; an event frame is
/// parsed by [`parse_event`]. A payload that is not UTF-8 JSON is an error.
pub(crate) fn parse_frame(message: &Message) -> Result<Delta, PayloadError> {
    match event_payload(message)? {
        Frame::Event(event_type, payload) => parse_event(event_type, payload),
        Frame::Delta(delta) => Ok(delta),
    }
}

/// Parses one ConverseStream event, given its `:event-type` and its JSON payload. See the
/// [module documentation](super) for the mapping. An empty payload gives an empty delta.
pub(crate) fn parse_event(event_type: Option<&str>, payload: &str) -> Result<Delta, PayloadError> {
    let mut delta = Delta::default();
    if payload.trim_ascii().is_empty() {
        return Ok(delta);
    }
    let ev: ConverseEvent<'_> = from_json(payload)?;
    match event_type.unwrap_or_default() {
        "contentBlockDelta" => {
            if let Some(d) = ev.delta.0 {
                delta.text.push_str(d.text.as_str());
                if let Some(reasoning) = d.reasoning_content.0 {
                    delta.reasoning.push_str(reasoning.text.as_str());
                }
                if let Some(tool) = d.tool_use.0 {
                    delta.tool_arguments.push_str(tool.input.as_str());
                }
            }
        }
        "messageStop" => {
            delta.finish_reason = ev
                .stop_reason
                .filter(|r| !r.as_str().is_empty())
                .map(|r| r.0.into_owned());
        }
        "metadata" => {
            delta.usage = ev.usage.0.map(|u| Usage {
                prompt_tokens: u.input_tokens.0,
                completion_tokens: u.output_tokens.0,
                reasoning_tokens: None,
            });
            delta.done = true;
        }
        _ => {}
    }
    Ok(delta)
}

/// A ConverseStream event payload, only the fields we read.
#[derive(Deserialize)]
struct ConverseEvent<'a> {
    #[serde(default, borrow)]
    delta: Lenient<BlockDelta<'a>>,
    #[serde(rename = "stopReason", default, borrow)]
    stop_reason: Option<Text<'a>>,
    #[serde(default)]
    usage: Lenient<ConverseUsage>,
}

/// `delta` of a `contentBlockDelta`.
#[derive(Deserialize)]
struct BlockDelta<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(rename = "reasoningContent", default, borrow)]
    reasoning_content: Lenient<ReasoningDelta<'a>>,
    #[serde(rename = "toolUse", default, borrow)]
    tool_use: Lenient<ToolUseDelta<'a>>,
}

/// `reasoningContent` of a `contentBlockDelta`.
#[derive(Deserialize)]
struct ReasoningDelta<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
}

/// `toolUse` of a `contentBlockDelta`: a fragment of the arguments.
#[derive(Deserialize)]
struct ToolUseDelta<'a> {
    #[serde(default, borrow)]
    input: Text<'a>,
}

/// `usage` of the `metadata` event.
#[derive(Deserialize)]
struct ConverseUsage {
    #[serde(rename = "inputTokens", default)]
    input_tokens: Count,
    #[serde(rename = "outputTokens", default)]
    output_tokens: Count,
}
