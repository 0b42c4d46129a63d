//! Amazon Bedrock's two streaming APIs: parse only (the client does not sign SigV4
//! requests); recorded streams are parsed with
//! [`WireFormat::BedrockConverse`](crate::providers::wire::WireFormat::BedrockConverse) and
//! [`WireFormat::BedrockInvokeAnthropic`](crate::providers::wire::WireFormat::BedrockInvokeAnthropic),
//! whose frames ([`Message`]s) the crate's AWS event stream framing delivers.
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
//! One frame is one unit: [`StreamParser`](crate::providers::wire::StreamParser) emits one delta per
//! frame, when its last byte (the message CRC) has arrived. A frame of an unknown message or
//! event type gives an empty delta (new event types must not break a benchmark). Payloads
//! carry a `"p"` padding field, which is ignored. No SigV4 signing or HTTP client lives here:
//! only the parsing of a response body.
//!
//! # ConverseStream ([`converse`])
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
//! [`anthropic`](crate::providers::anthropic)), the tool's name is announced by a start event that is
//! not output; the first non-empty `toolUse.input` fragment is. `metadata.metrics.latencyMs`
//! is not read.
//!
//! # InvokeModelWithResponseStream of Anthropic models ([`invoke`])
//!
//! (<https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html>)
//! Every event is a `chunk` whose payload is `{"bytes": "<base64>"}`; the decoded bytes are
//! one event of the model's own streaming format. For Anthropic models that is an Anthropic
//! Messages event (`message_start`, `content_block_delta`, ...), which
//! [`anthropic`](crate::providers::anthropic)'s parser maps exactly as over SSE. Bedrock adds
//! `amazon-bedrock-invocationMetrics` (`inputTokenCount`, `outputTokenCount`,
//! `invocationLatency`, `firstByteLatency`) to the last event, `message_stop`; its token
//! counts become [`Delta::usage`] of that event (they equal what `message_start` and
//! `message_delta` reported).

mod converse;
mod frame;
mod invoke;
#[cfg(test)]
mod tests;

use super::api::{Events, Wire};
use super::payload::PayloadError;
use super::wire::Framing;
use crate::delta::Delta;
use crate::framing::eventstream::Message;

/// ConverseStream's [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BedrockConverse;

/// InvokeModelWithResponseStream of an Anthropic model: its [`Wire`] format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BedrockInvokeAnthropic;

impl Wire for BedrockConverse {
    fn corpus_name(&self) -> &'static str {
        "bedrock_converse_eventstream"
    }

    fn framing(&self) -> Framing {
        Framing::EventStream
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(BedrockConverse)
    }
}

/// ConverseStream's units: frames (an SSE event reads as the `:event-type` and payload).
impl Events for BedrockConverse {
    fn event(&mut self, name: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
        converse::parse_event(name, data)
    }

    fn frame(&mut self, message: &Message) -> Result<Delta, PayloadError> {
        converse::parse_frame(message)
    }

    fn boxed_clone(&self) -> Box<dyn Events> {
        Box::new(*self)
    }
}

impl Wire for BedrockInvokeAnthropic {
    fn corpus_name(&self) -> &'static str {
        "bedrock_invoke_anthropic"
    }

    fn framing(&self) -> Framing {
        Framing::EventStream
    }

    fn events(&self) -> Box<dyn Events> {
        Box::new(BedrockInvokeAnthropic)
    }
}

/// Invoke's units: frames (an SSE event reads as the `:event-type` and payload).
impl Events for BedrockInvokeAnthropic {
    fn event(&mut self, name: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
        invoke::parse_event(name, data)
    }

    fn frame(&mut self, message: &Message) -> Result<Delta, PayloadError> {
        invoke::parse_frame(message)
    }

    fn boxed_clone(&self) -> Box<dyn Events> {
        Box::new(*self)
    }
}
