//! InvokeModelWithResponseStream of an Anthropic model: `chunk` frames wrapping Anthropic
//! Messages events in base64 (see the [module documentation](super)).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::Deserialize;

use super::frame::{event_payload, Frame};
use crate::delta::{Delta, Usage};
use crate::framing::eventstream::Message;
use crate::providers::payload::{excerpt, from_json, Count, Lenient, PayloadError, Text};

/// Standard base64, with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Parses one frame of an InvokeModelWithResponseStream response of an Anthropic model.
///
/// An exception or error frame gives a delta with [`Delta::error`] set; an event frame is
/// parsed by [`parse_event`]. A payload that is not UTF-8 JSON, or whose
/// `bytes` are not base64 of UTF-8, is an error.
pub(crate) fn parse_frame(message: &Message) -> Result<Delta, PayloadError> {
    match event_payload(message)? {
        Frame::Event(event_type, payload) => parse_event(event_type, payload),
        Frame::Delta(delta) => Ok(delta),
    }
}

/// Parses one InvokeModelWithResponseStream event of an Anthropic model, given its
/// `:event-type` and its JSON payload: a `chunk`'s base64 `bytes` are decoded and parsed by
/// [`anthropic`](crate::providers::anthropic)'s parser. See the [module documentation](super). Other event types, and
/// an empty payload, give an empty delta.
pub(crate) fn parse_event(event_type: Option<&str>, payload: &str) -> Result<Delta, PayloadError> {
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
    let mut delta = crate::providers::anthropic::parse::parse_event(None, event)?;
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

/// Bedrock's token counts of an Invoke stream.
#[derive(Deserialize)]
struct InvocationMetrics {
    #[serde(rename = "inputTokenCount", default)]
    input_token_count: Count,
    #[serde(rename = "outputTokenCount", default)]
    output_token_count: Count,
}
