//! The parsers of Amazon Bedrock's two streaming APIs, whose frames ([`Message`]s) the
//! crate's AWS event stream framing delivers.
//!
//! Both APIs answer with `application/vnd.amazon.eventstream`: binary frames, each with a
//! prelude (total length, headers length, prelude CRC), string headers, a JSON payload and a
//! message CRC ([`Message::encode`] builds one). The headers say
//! what a frame is:
//!
//! - `:message-type` `event`: `:event-type` names the event, the payload holds it.
//! - `:message-type` `exception`: `:exception-type` names an error the service reports after
//!   HTTP 200 (`throttlingException`, `modelStreamErrorException`, `internalServerException`,
//!   `validationException`, `serviceUnavailableException`, ...), the payload is
//!   `{"message": ...}`. It becomes [`Delta::error`], `"<exception type>: <message>"`.
//! - `:message-type` `error`: the generic event-stream error, with `:error-code` and
//!   `:error-message` headers. Also a [`Delta::error`], `"<code>: <message>"`.
//!
//! One frame is one unit: [`StreamParser`](super::wire::StreamParser) emits one delta per
//! frame, when its last byte (the message CRC) has arrived. A frame of an unknown message or
//! event type gives an empty delta (new event types must not break a benchmark). Payloads
//! carry a `"p"` padding field, which is ignored. No SigV4 signing or HTTP client lives here:
//! only the parsing of a response body.
//!
//! # ConverseStream
//!
//! (<https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html>)
//! Events in order: `messageStart` → for each content block `contentBlockStart` (tool-use
//! blocks only), `contentBlockDelta`s, `contentBlockStop` → `messageStop` → `metadata`.
//!
//! | `:event-type` | payload | becomes |
//! |---|---|---|
//! | `contentBlockDelta` | `delta.text` | [`Delta::text`] |
//! | `contentBlockDelta` | `delta.reasoningContent.text` | [`Delta::reasoning`] |
//! | `contentBlockDelta` | `delta.toolUse.input` (a fragment of the arguments' JSON) | [`Delta::tool_arguments`] |
//! | `messageStop` | `stopReason` (`end_turn`, `tool_use`, `max_tokens`, ...) | [`Delta::finish_reason`] |
//! | `metadata` | `usage.inputTokens` / `.outputTokens` | [`Delta::usage`] (prompt / completion), and [`Delta::done`]: it is the last event |
//!
//! Not output: `messageStart` (the role), `contentBlockStop`, a `reasoningContent` delta's
//! `signature` or `redactedContent`, and `contentBlockStart`, even of a `toolUse` block that
//! names the tool: as with Anthropic's `content_block_start` (see
//! [`anthropic`]), the tool's name is announced by a start event that is
//! not output; the first non-empty `toolUse.input` fragment is. `metadata.metrics.latencyMs`
//! is not read.
//!
//! # InvokeModelWithResponseStream (Anthropic models)
//!
//! (<https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html>)
//! Every event is a `chunk` whose payload is `{"bytes": "<base64>"}`; the decoded bytes are
//! one event of the model's own streaming format. For Anthropic models that is an Anthropic
//! Messages event (`message_start`, `content_block_delta`, ...), which
//! [`anthropic::parse_event`] maps exactly as over SSE. Bedrock adds
//! `amazon-bedrock-invocationMetrics` (`inputTokenCount`, `outputTokenCount`,
//! `invocationLatency`, `firstByteLatency`) to the last event, `message_stop`; its token
//! counts become [`Delta::usage`] of that event (they equal what `message_start` and
//! `message_delta` reported).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::Deserialize;

use super::anthropic;
use super::payload::{error_message, excerpt, from_json, Count, Lenient, PayloadError, Text};
use crate::delta::{Delta, Usage};

// The frame type the parsers read (and `Message::encode` builds, for tests and mock
// servers), from the crate's AWS event stream framing.
pub use crate::framing::eventstream::{Header, HeaderValue, Message};

/// Standard base64, with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Parses one frame of a ConverseStream response.
///
/// An exception or error frame gives a delta with [`Delta::error`] set; an event frame is
/// parsed by [`parse_converse_event`]. A payload that is not UTF-8 JSON is an error.
///
/// ```
/// use llm_bench::providers::bedrock::parse_converse;
/// use llm_bench::providers::bedrock::{HeaderValue, Message};
///
/// let frame = Message::new(br#"{"contentBlockIndex":0,"delta":{"text":"Hi"}}"#.to_vec())
///     .with_header(":event-type", HeaderValue::String("contentBlockDelta".into()))
///     .with_header(":message-type", HeaderValue::String("event".into()));
/// assert_eq!(parse_converse(&frame)?.text, "Hi");
/// # Ok::<(), llm_bench::providers::payload::PayloadError>(())
/// ```
pub fn parse_converse(message: &Message) -> Result<Delta, PayloadError> {
    match event_payload(message)? {
        Frame::Event(event_type, payload) => parse_converse_event(event_type, payload),
        Frame::Delta(delta) => Ok(delta),
    }
}

/// Parses one frame of an InvokeModelWithResponseStream response of an Anthropic model.
///
/// An exception or error frame gives a delta with [`Delta::error`] set; an event frame is
/// parsed by [`parse_invoke_anthropic_event`]. A payload that is not UTF-8 JSON, or whose
/// `bytes` are not base64 of UTF-8, is an error.
///
/// ```
/// use llm_bench::providers::bedrock::parse_invoke_anthropic;
/// use llm_bench::providers::bedrock::{HeaderValue, Message};
///
/// // base64 of {"type":"message_stop"}
/// let frame = Message::new(br#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="}"#.to_vec())
///     .with_header(":event-type", HeaderValue::String("chunk".into()))
///     .with_header(":message-type", HeaderValue::String("event".into()));
/// assert!(parse_invoke_anthropic(&frame)?.done);
///
/// let throttled = Message::new(br#"{"message":"Too many requests"}"#.to_vec())
///     .with_header(":exception-type", HeaderValue::String("throttlingException".into()))
///     .with_header(":message-type", HeaderValue::String("exception".into()));
/// assert_eq!(
///     parse_invoke_anthropic(&throttled)?.error.as_deref(),
///     Some("throttlingException: Too many requests")
/// );
/// # Ok::<(), llm_bench::providers::payload::PayloadError>(())
/// ```
pub fn parse_invoke_anthropic(message: &Message) -> Result<Delta, PayloadError> {
    match event_payload(message)? {
        Frame::Event(event_type, payload) => parse_invoke_anthropic_event(event_type, payload),
        Frame::Delta(delta) => Ok(delta),
    }
}

/// Parses one ConverseStream event, given its `:event-type` and its JSON payload. See the
/// [module documentation](self) for the mapping. An empty payload gives an empty delta.
pub fn parse_converse_event(
    event_type: Option<&str>,
    payload: &str,
) -> Result<Delta, PayloadError> {
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

/// Parses one InvokeModelWithResponseStream event of an Anthropic model, given its
/// `:event-type` and its JSON payload: a `chunk`'s base64 `bytes` are decoded and parsed by
/// [`anthropic::parse_event`]. See the [module documentation](self). Other event types, and
/// an empty payload, give an empty delta.
pub fn parse_invoke_anthropic_event(
    event_type: Option<&str>,
    payload: &str,
) -> Result<Delta, PayloadError> {
    if event_type != Some("chunk") || payload.trim_ascii().is_empty() {
        return Ok(Delta::default());
    }
    let chunk: Chunk<'_> = from_json(payload)?;
    let decoded = BASE64
        .decode(chunk.bytes.as_str())
        .map_err(|e| PayloadError {
            reason: format!("`bytes` is not base64: {e}"),
            excerpt: excerpt(payload),
        })?;
    let event = std::str::from_utf8(&decoded).map_err(|_| PayloadError {
        reason: "`bytes` do not decode to UTF-8".to_owned(),
        excerpt: excerpt(payload),
    })?;
    let mut delta = anthropic::parse_event(None, event)?;
    if delta.usage.is_none() && event.contains(METRICS) {
        let metrics: WithMetrics = from_json(event)?;
        delta.usage = metrics.metrics.0.map(|m| Usage {
            prompt_tokens: m.input_token_count.0,
            completion_tokens: m.output_token_count.0,
            reasoning_tokens: None,
        });
    }
    Ok(delta)
}

/// The key of Bedrock's invocation metrics in the last event of an Invoke stream.
const METRICS: &str = "amazon-bedrock-invocationMetrics";

/// A frame, sorted by its `:message-type`.
enum Frame<'a> {
    /// An event (or a frame without `:message-type`): its `:event-type` and UTF-8 payload.
    Event(Option<&'a str>, &'a str),
    /// An exception or error, already a delta; or a message type we do not know, empty.
    Delta(Delta),
}

/// Sorts `message` by its `:message-type`; for an event, checks the payload is UTF-8.
fn event_payload(message: &Message) -> Result<Frame<'_>, PayloadError> {
    match message.str_header(":message-type") {
        None | Some("event") => {
            let payload = std::str::from_utf8(&message.payload).map_err(|_| PayloadError {
                reason: "the payload is not UTF-8".to_owned(),
                excerpt: excerpt(&String::from_utf8_lossy(&message.payload)),
            })?;
            Ok(Frame::Event(message.str_header(":event-type"), payload))
        }
        Some("exception") => {
            let kind = message
                .str_header(":exception-type")
                .filter(|k| !k.is_empty())
                .unwrap_or("exception");
            let payload = String::from_utf8_lossy(&message.payload);
            let error = if payload.trim().is_empty() {
                kind.to_owned()
            } else {
                format!("{kind}: {}", error_message(&payload))
            };
            Ok(Frame::Delta(Delta {
                error: Some(error),
                ..Delta::default()
            }))
        }
        Some("error") => {
            let code = message.str_header(":error-code").unwrap_or("error");
            let error = match message.str_header(":error-message") {
                Some(m) if !m.is_empty() => format!("{code}: {}", excerpt(m)),
                _ => code.to_owned(),
            };
            Ok(Frame::Delta(Delta {
                error: Some(error),
                ..Delta::default()
            }))
        }
        Some(_) => Ok(Frame::Delta(Delta::default())),
    }
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

#[derive(Deserialize)]
struct ReasoningDelta<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
}

#[derive(Deserialize)]
struct ToolUseDelta<'a> {
    #[serde(default, borrow)]
    input: Text<'a>,
}

#[derive(Deserialize)]
struct ConverseUsage {
    #[serde(rename = "inputTokens", default)]
    input_tokens: Count,
    #[serde(rename = "outputTokens", default)]
    output_tokens: Count,
}

/// The payload of an Invoke `chunk` frame.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    bytes: Text<'a>,
}

/// A decoded Invoke event that may carry Bedrock's invocation metrics.
#[derive(Deserialize)]
struct WithMetrics {
    #[serde(rename = "amazon-bedrock-invocationMetrics", default)]
    metrics: Lenient<InvocationMetrics>,
}

#[derive(Deserialize)]
struct InvocationMetrics {
    #[serde(rename = "inputTokenCount", default)]
    input_token_count: Count,
    #[serde(rename = "outputTokenCount", default)]
    output_token_count: Count,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, payload: &str) -> Message {
        Message::new(payload.as_bytes().to_vec())
            .with_header(":event-type", HeaderValue::String(event_type.into()))
            .with_header(
                ":content-type",
                HeaderValue::String("application/json".into()),
            )
            .with_header(":message-type", HeaderValue::String("event".into()))
    }

    fn chunk(anthropic_event: &str) -> Message {
        event(
            "chunk",
            &format!(
                r#"{{"bytes":"{}","p":"abcd"}}"#,
                base64::engine::general_purpose::STANDARD.encode(anthropic_event)
            ),
        )
    }

    fn usage(prompt: u64, completion: u64) -> Option<Usage> {
        Some(Usage {
            prompt_tokens: Some(prompt),
            completion_tokens: Some(completion),
            reasoning_tokens: None,
        })
    }

    #[test]
    fn converse_text_reasoning_and_tool_deltas() {
        let d = parse_converse(&event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"Okay"},"p":"abcdefghijklmnopqrstuvwxyzABCDE"}"#,
        ))
        .unwrap();
        assert_eq!(d.text, "Okay");
        assert!(d.is_answer());
        let d = parse_converse(&event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Let me"}}}"#,
        ))
        .unwrap();
        assert_eq!(d.reasoning, "Let me");
        assert!(d.is_output() && !d.is_answer());
        let d = parse_converse(&event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"locati"}}}"#,
        ))
        .unwrap();
        assert_eq!(d.tool_arguments, "{\"locati");
        assert!(d.is_output() && !d.is_answer());
    }

    #[test]
    fn converse_non_output_events() {
        for (event_type, payload) in [
            (
                "messageStart",
                r#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHI","role":"assistant"}"#,
            ),
            (
                "contentBlockStart",
                r#"{"contentBlockIndex":1,"start":{"toolUse":{"name":"get_weather","toolUseId":"tooluse_yypYDr71TwCwByoyao4-Vg"}}}"#,
            ),
            (
                "contentBlockDelta",
                r#"{"contentBlockIndex":1,"delta":{"toolUse":{"input":""}}}"#,
            ),
            (
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"EqQB"}}}"#,
            ),
            ("contentBlockStop", r#"{"contentBlockIndex":0,"p":"abc"}"#),
            ("futureEvent", r#"{"delta":{"text":"not text"}}"#),
            ("messageStart", ""),
        ] {
            let d = parse_converse(&event(event_type, payload)).unwrap();
            assert_eq!(d, Delta::default(), "{event_type} {payload}");
        }
    }

    #[test]
    fn converse_stop_and_metadata() {
        let d = parse_converse(&event(
            "messageStop",
            r#"{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS","stopReason":"tool_use"}"#,
        ))
        .unwrap();
        assert_eq!(d.finish_reason.as_deref(), Some("tool_use"));
        assert!(!d.done && !d.is_output());
        let d = parse_converse(&event(
            "metadata",
            r#"{"metrics":{"latencyMs":1176},"usage":{"inputTokens":236,"outputTokens":58,"serverToolUsage":{},"totalTokens":294}}"#,
        ))
        .unwrap();
        assert_eq!(d.usage, usage(236, 58));
        assert!(d.done && !d.is_output());
    }

    #[test]
    fn exceptions_and_errors_are_deltas() {
        let exception = Message::new(
            br#"{"message":"Too many requests, please wait before trying again."}"#.to_vec(),
        )
        .with_header(
            ":exception-type",
            HeaderValue::String("throttlingException".into()),
        )
        .with_header(
            ":content-type",
            HeaderValue::String("application/json".into()),
        )
        .with_header(":message-type", HeaderValue::String("exception".into()));
        for parse in [parse_converse, parse_invoke_anthropic] {
            let d = parse(&exception).unwrap();
            assert_eq!(
                d.error.as_deref(),
                Some("throttlingException: Too many requests, please wait before trying again.")
            );
        }
        let bare = Message::new(Vec::new())
            .with_header(":message-type", HeaderValue::String("exception".into()))
            .with_header(
                ":exception-type",
                HeaderValue::String("internalServerException".into()),
            );
        assert_eq!(
            parse_converse(&bare).unwrap().error.as_deref(),
            Some("internalServerException")
        );
        let error = Message::new(Vec::new())
            .with_header(":message-type", HeaderValue::String("error".into()))
            .with_header(":error-code", HeaderValue::String("InternalFailure".into()))
            .with_header(":error-message", HeaderValue::String("boom".into()));
        assert_eq!(
            parse_converse(&error).unwrap().error.as_deref(),
            Some("InternalFailure: boom")
        );
        // An unknown message type is skipped.
        let other = Message::new(b"\xff".to_vec())
            .with_header(":message-type", HeaderValue::String("future".into()));
        assert_eq!(parse_converse(&other).unwrap(), Delta::default());
    }

    #[test]
    fn invoke_reuses_the_anthropic_mapping() {
        let d = parse_invoke_anthropic(&chunk(
            r#"{"type":"message_start","message":{"id":"msg_bdrk_014eJfxWXNnxFKhmuiT8FYf7","type":"message","role":"assistant","content":[],"usage":{"input_tokens":16,"output_tokens":1}}}"#,
        ))
        .unwrap();
        assert_eq!(d.usage, usage(16, 1));
        assert!(!d.is_output());
        let d = parse_invoke_anthropic(&chunk(
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ))
        .unwrap();
        assert!(!d.is_output());
        let d = parse_invoke_anthropic(&chunk(
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Why"}}"#,
        ))
        .unwrap();
        assert_eq!(d.text, "Why");
        let d = parse_invoke_anthropic(&chunk(
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a"}}"#,
        ))
        .unwrap();
        assert_eq!(d.tool_arguments, "{\"a");
        let d = parse_invoke_anthropic(&chunk(
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":21}}"#,
        ))
        .unwrap();
        assert_eq!(d.finish_reason.as_deref(), Some("end_turn"));
        // The invocation metrics of the last event give its usage.
        let d = parse_invoke_anthropic(&chunk(
            r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":16,"outputTokenCount":21,"invocationLatency":738,"firstByteLatency":378}}"#,
        ))
        .unwrap();
        assert!(d.done);
        assert_eq!(d.usage, usage(16, 21));
        // An Anthropic error event, wrapped.
        let d = parse_invoke_anthropic(&chunk(
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ))
        .unwrap();
        assert_eq!(d.error.as_deref(), Some("Overloaded"));
        // Other event types are skipped.
        assert_eq!(
            parse_invoke_anthropic(&event("future", "{}")).unwrap(),
            Delta::default()
        );
    }

    #[test]
    fn invalid_payloads_are_errors() {
        for (event_type, payload) in [
            ("contentBlockDelta", &b"{\"delta\":"[..]),
            ("contentBlockDelta", b"{\"delta\":{\"text\":\"\xff\"}}"),
        ] {
            let frame = Message::new(payload.to_vec())
                .with_header(":event-type", HeaderValue::String(event_type.into()));
            assert!(parse_converse(&frame).is_err(), "{payload:?}");
        }
        for payload in [
            r#"{"bytes":"not base64!"}"#,
            r#"{"bytes":"/w=="}"#,         // 0xFF: not UTF-8
            r#"{"bytes":"eyJ0eXBlIjo="}"#, // {"type": (cut JSON)
            r#"{"bytes":"#,
        ] {
            let err = parse_invoke_anthropic(&event("chunk", payload)).unwrap_err();
            assert!(!err.excerpt.is_empty(), "{payload}: {err}");
        }
        // Padding is optional.
        let d = parse_invoke_anthropic(&event(
            "chunk",
            r#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0"}"#,
        ))
        .unwrap();
        assert!(d.done);
    }
}
