//! One entry point for every streaming wire format: [`StreamParser`] turns the bytes of a
//! response body, in reads of any size, into one [`Delta`](crate::Delta) per framing unit.
//!
//! A wire format is a framing plus an event payload:
//!
//! | [`WireFormat`] | framing | event parser |
//! |---|---|---|
//! | `OpenAiChat` | SSE | `openai_chat/` |
//! | `OpenAiCompletions` | SSE | `openai_completions/` |
//! | `OpenAiResponses` | SSE | `openai_responses/` |
//! | `Anthropic` | SSE | `anthropic/` |
//! | `GeminiSse` | SSE | `gemini/` |
//! | `GeminiJsonArray` | streamed JSON array | `gemini/` |
//! | `CohereV2` | SSE | `cohere_v2/` |
//! | `CohereV1` | NDJSON | `cohere_v1/` |
//! | `OllamaChat`, `OllamaGenerate` | NDJSON | `ollama/` |
//! | `Tgi` | SSE | `tgi/` |
//! | `Replicate` | SSE | `replicate/` |
//! | `Watsonx` | SSE | `watsonx/` |
//! | `BedrockConverse` | AWS eventstream | `bedrock/` ConverseStream |
//! | `BedrockInvokeAnthropic` | AWS eventstream | `bedrock/` Invoke: base64 `chunk`s of Anthropic events |
//!
//! Each format's name, framing and event parser live in its provider's folder (a
//! crate-private `Wire`), tied to its variant by the providers' registry. The
//! framings ([`Framing`]) are decoded by the crate's framing layer, which turns bytes into
//! units and knows nothing of providers; [`StreamParser`] feeds the units to the format's
//! parser. A framing error carries that layer's error type: [`SseError`], [`NdjsonError`],
//! [`JsonArrayError`] or [`EventStreamError`].
//!
//! This module is reachable from outside the crate only for the corpus and HTTP tests; it
//! is not part of the API.
//!
//! # Units and indices
//!
//! [`StreamParser`] emits exactly one [`Delta`](crate::Delta) per framing unit — per dispatched SSE event,
//! per non-blank NDJSON line, per JSON-array element, per eventstream frame — even when the
//! unit carries nothing (a ping, a role-only chunk). So the `n`-th delta is the `n`-th unit,
//! the index the recorded corpus uses (`first_content_event_index`), and each delta is
//! emitted by the very [`feed`](StreamParser::feed) call whose bytes complete its unit: its
//! arrival time is that read's. An eventstream frame is complete with its last byte (the
//! message CRC), once both of its checksums have been verified.
//!
//! # Usage
//!
//! A delta's [`usage`](crate::Delta::usage) is set on the units that report usage, and is the usage
//! **known so far** in the stream: fields this unit does not report are taken from earlier
//! units. So Anthropic's `message_delta` (output tokens) also carries the prompt tokens of
//! `message_start`, and the last usage seen is the request's usage, whatever the provider.
//!
//! # Errors
//!
//! [`StreamError`] separates framing errors (the bytes are not a valid stream: a line,
//! element or frame over the limit, a JSON array or eventstream frame cut short, a bad
//! eventstream checksum) from payload errors (a unit that is not valid JSON for its format,
//! or an eventstream `chunk` whose `bytes` are not base64). Both are malformed streams; an
//! error the API *reports* in the stream (an `error` event, an eventstream exception) is not
//! a `StreamError` but a delta with [`Delta::error`](crate::Delta::error) set. Messages quote at most 200
//! characters of a payload. After an error the parser is poisoned: every later call returns
//! the same error.

mod error;
mod parser;
#[cfg(test)]
mod tests;

use std::fmt;

pub use error::StreamError;
pub use parser::StreamParser;

// The framing errors a `StreamError` carries, from the crate's framing layer, and the
// payload error of the event parsers.
pub use super::payload::PayloadError;
pub use crate::framing::eventstream::EventStreamError;
pub use crate::framing::json_array::JsonArrayError;
pub use crate::framing::ndjson::NdjsonError;
pub use crate::framing::sse::SseError;

use super::registry;

/// A streaming wire format: how a provider frames its stream and what its events hold.
///
/// Some formats have a parser but no client yet (Gemini's JSON array, Ollama's generate,
/// Replicate, watsonx, Bedrock, which needs SigV4 signing): the recorded-stream tests read
/// them, nothing else constructs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(not(test), allow(dead_code))]
pub enum WireFormat {
    /// OpenAI Chat Completions chunks (and every compatible server: Azure OpenAI, vLLM, Groq,
    /// DeepSeek, Mistral, OpenRouter, TGI's Messages API, ...), over SSE.
    OpenAiChat,
    /// OpenAI legacy Completions (`choices[].text`), over SSE.
    OpenAiCompletions,
    /// OpenAI Responses API named events (also OpenRouter's variant), over SSE.
    OpenAiResponses,
    /// Anthropic Messages events, over SSE.
    Anthropic,
    /// Gemini `streamGenerateContent?alt=sse`: `GenerateContentResponse` chunks over SSE.
    GeminiSse,
    /// Gemini `streamGenerateContent` without `alt=sse`: one streamed JSON array of chunks.
    GeminiJsonArray,
    /// Cohere v2 chat: named events over SSE.
    CohereV2,
    /// Cohere v1 chat: NDJSON.
    CohereV1,
    /// Ollama `/api/chat`: NDJSON.
    OllamaChat,
    /// Ollama `/api/generate`: NDJSON.
    OllamaGenerate,
    /// Hugging Face TGI `/generate_stream`, over SSE.
    Tgi,
    /// Replicate prediction stream (plain-text `output` events), over SSE.
    Replicate,
    /// IBM watsonx.ai text generation stream, over SSE.
    Watsonx,
    /// Amazon Bedrock ConverseStream: `application/vnd.amazon.eventstream` frames.
    BedrockConverse,
    /// Amazon Bedrock InvokeModelWithResponseStream of an Anthropic model:
    /// `application/vnd.amazon.eventstream` `chunk` frames wrapping Anthropic Messages events
    /// in base64.
    BedrockInvokeAnthropic,
}

/// How a wire format frames its units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Server-sent events (`text/event-stream`): a unit is a dispatched event.
    Sse,
    /// Newline-delimited JSON: a unit is a non-blank line.
    Ndjson,
    /// One streamed JSON array: a unit is a top-level element.
    JsonArray,
    /// AWS binary event stream (`application/vnd.amazon.eventstream`): a unit is a frame.
    EventStream,
}

impl WireFormat {
    /// The format named by a corpus sidecar's `wire_format` (`"openai_chat"`,
    /// `"gemini_json_array"`, `"bedrock_converse_eventstream"`, ...), or `None` for names
    /// without a parser (`"none"`, the framing-only cases).
    #[cfg(test)]
    pub fn from_corpus_name(name: &str) -> Option<Self> {
        registry::FORMATS
            .iter()
            .copied()
            .find(|f| f.corpus_name() == name)
    }

    /// The corpus name of this format (the inverse of [`from_corpus_name`](Self::from_corpus_name)).
    pub fn corpus_name(self) -> &'static str {
        registry::wire(self).corpus_name()
    }

    /// How this format frames its units.
    pub fn framing(self) -> Framing {
        registry::wire(self).framing()
    }
}

impl fmt::Display for WireFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.corpus_name())
    }
}
