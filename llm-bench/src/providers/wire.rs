//! One entry point for every streaming wire format: [`StreamParser`] turns the bytes of a
//! response body, in reads of any size, into one [`Delta`] per framing unit.
//!
//! A wire format is a framing plus an event payload:
//!
//! | [`WireFormat`] | framing | event parser |
//! |---|---|---|
//! | `OpenAiChat` | SSE | [`openai::chunk`](super::openai::chunk) |
//! | `OpenAiCompletions` | SSE | [`openai::completions`](super::openai::completions) |
//! | `OpenAiResponses` | SSE | [`openai::responses`](super::openai::responses) |
//! | `Anthropic` | SSE | [`anthropic`] |
//! | `GeminiSse` | SSE | [`gemini`] |
//! | `GeminiJsonArray` | streamed JSON array | [`gemini`] |
//! | `CohereV2` | SSE | [`cohere`] v2 |
//! | `CohereV1` | NDJSON | [`cohere`] v1 |
//! | `OllamaChat`, `OllamaGenerate` | NDJSON | [`ollama`] |
//! | `Tgi` | SSE | [`tgi`] |
//! | `Replicate` | SSE | [`replicate`] |
//! | `Watsonx` | SSE | [`watsonx`] |
//! | `BedrockConverse` | AWS eventstream | [`bedrock`] ConverseStream |
//! | `BedrockInvokeAnthropic` | AWS eventstream | [`bedrock`] Invoke: base64 `chunk`s of [`anthropic`] events |
//!
//! The framings ([`Framing`]) are decoded by the crate's framing layer, which turns bytes into
//! units and knows nothing of providers; this module adds the event parsers. A framing error
//! carries that layer's error type: [`SseError`], [`NdjsonError`], [`JsonArrayError`] or
//! [`EventStreamError`].
//!
//! # Units and indices
//!
//! [`StreamParser`] emits exactly one [`Delta`] per framing unit — per dispatched SSE event,
//! per non-blank NDJSON line, per JSON-array element, per eventstream frame — even when the
//! unit carries nothing (a ping, a role-only chunk). So the `n`-th delta is the `n`-th unit,
//! the index the recorded corpus uses (`first_content_event_index`), and each delta is
//! emitted by the very [`feed`](StreamParser::feed) call whose bytes complete its unit: its
//! arrival time is that read's. An eventstream frame is complete with its last byte (the
//! message CRC), once both of its checksums have been verified.
//!
//! # Usage
//!
//! A delta's [`usage`](Delta::usage) is set on the units that report usage, and is the usage
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
//! a `StreamError` but a delta with [`Delta::error`] set. Messages quote at most 200
//! characters of a payload. After an error the parser is poisoned: every later call returns
//! the same error.
//!
//! ```
//! use llm_bench::providers::wire::{StreamParser, WireFormat};
//!
//! let mut parser = StreamParser::new(WireFormat::Anthropic);
//! let mut deltas = Vec::new();
//! parser.feed(b"event: ping\ndata: {\"type\": \"ping\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_de", &mut deltas)?;
//! assert_eq!(deltas.len(), 1); // the ping, not output
//! parser.feed(b"lta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n", &mut deltas)?;
//! parser.finish(&mut deltas)?;
//! assert_eq!(deltas[1].text, "Hi");
//! # Ok::<(), llm_bench::providers::wire::StreamError>(())
//! ```

use std::fmt;

use super::openai::{chunk, completions, responses};
use super::payload::PayloadError;
use super::{anthropic, bedrock, cohere, gemini, ollama, replicate, tgi, watsonx};
use crate::delta::{Delta, Usage};
use crate::framing::eventstream::{self, EventStreamDecoder, Message};
use crate::framing::json_array::JsonArrayDecoder;
use crate::framing::ndjson::NdjsonDecoder;
use crate::framing::sse::{self, SseDecoder, SseEvent};
use crate::framing::Poisoning;

// The framing errors a `StreamError` carries, from the crate's framing layer.
pub use crate::framing::eventstream::EventStreamError;
pub use crate::framing::json_array::JsonArrayError;
pub use crate::framing::ndjson::NdjsonError;
pub use crate::framing::sse::SseError;

/// A streaming wire format: how a provider frames its stream and what its events hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// Every wire format.
    pub const ALL: [WireFormat; 15] = [
        WireFormat::OpenAiChat,
        WireFormat::OpenAiCompletions,
        WireFormat::OpenAiResponses,
        WireFormat::Anthropic,
        WireFormat::GeminiSse,
        WireFormat::GeminiJsonArray,
        WireFormat::CohereV2,
        WireFormat::CohereV1,
        WireFormat::OllamaChat,
        WireFormat::OllamaGenerate,
        WireFormat::Tgi,
        WireFormat::Replicate,
        WireFormat::Watsonx,
        WireFormat::BedrockConverse,
        WireFormat::BedrockInvokeAnthropic,
    ];

    /// The format named by a corpus sidecar's `wire_format` (`"openai_chat"`,
    /// `"gemini_json_array"`, `"bedrock_converse_eventstream"`, ...), or `None` for names
    /// without a parser (`"none"`, the framing-only cases).
    ///
    /// ```
    /// use llm_bench::providers::wire::WireFormat;
    /// assert_eq!(WireFormat::from_corpus_name("cohere_v2"), Some(WireFormat::CohereV2));
    /// assert_eq!(
    ///     WireFormat::from_corpus_name("bedrock_converse_eventstream"),
    ///     Some(WireFormat::BedrockConverse)
    /// );
    /// assert_eq!(WireFormat::from_corpus_name("none"), None);
    /// ```
    pub fn from_corpus_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.corpus_name() == name)
    }

    /// The corpus name of this format (the inverse of [`from_corpus_name`](Self::from_corpus_name)).
    pub fn corpus_name(self) -> &'static str {
        match self {
            WireFormat::OpenAiChat => "openai_chat",
            WireFormat::OpenAiCompletions => "openai_completions",
            WireFormat::OpenAiResponses => "openai_responses",
            WireFormat::Anthropic => "anthropic",
            WireFormat::GeminiSse => "gemini_sse",
            WireFormat::GeminiJsonArray => "gemini_json_array",
            WireFormat::CohereV2 => "cohere_v2",
            WireFormat::CohereV1 => "cohere_v1",
            WireFormat::OllamaChat => "ollama_chat",
            WireFormat::OllamaGenerate => "ollama_generate",
            WireFormat::Tgi => "tgi",
            WireFormat::Replicate => "replicate",
            WireFormat::Watsonx => "watsonx",
            WireFormat::BedrockConverse => "bedrock_converse_eventstream",
            WireFormat::BedrockInvokeAnthropic => "bedrock_invoke_anthropic",
        }
    }

    /// How this format frames its units.
    pub fn framing(self) -> Framing {
        match self {
            WireFormat::GeminiJsonArray => Framing::JsonArray,
            WireFormat::CohereV1 | WireFormat::OllamaChat | WireFormat::OllamaGenerate => {
                Framing::Ndjson
            }
            WireFormat::BedrockConverse | WireFormat::BedrockInvokeAnthropic => {
                Framing::EventStream
            }
            _ => Framing::Sse,
        }
    }
}

impl fmt::Display for WireFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.corpus_name())
    }
}

/// Why a stream could not be parsed. A malformed stream, as opposed to an error the API
/// reported inside the stream (which is a [`Delta::error`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// The SSE framing is invalid (a line or event over the limit).
    #[error("malformed {format} stream: {source}")]
    Sse {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the SSE decoder reported.
        #[source]
        source: SseError,
    },
    /// The NDJSON framing is invalid (a line over the limit).
    #[error("malformed {format} stream: {source}")]
    Ndjson {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the NDJSON decoder reported.
        #[source]
        source: NdjsonError,
    },
    /// The JSON-array framing is invalid (not an array, an element over the limit, cut
    /// short).
    #[error("malformed {format} stream: {source}")]
    JsonArray {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the JSON-array decoder reported.
        #[source]
        source: JsonArrayError,
    },
    /// The AWS eventstream framing is invalid (a bad prelude or message CRC, a frame over
    /// the limit, a bad header, a frame cut short).
    #[error("malformed {format} stream: {source}")]
    EventStream {
        /// The wire format being parsed.
        format: WireFormat,
        /// What the eventstream decoder reported.
        #[source]
        source: EventStreamError,
    },
    /// A unit's payload is not valid for the format (not JSON, impossible field shapes).
    #[error("invalid {format} event #{index}: {source}")]
    Payload {
        /// The wire format being parsed.
        format: WireFormat,
        /// The 0-based index of the unit in the stream.
        index: u64,
        /// What was wrong, with the start of the payload.
        #[source]
        source: PayloadError,
    },
}

impl StreamError {
    /// The error is in the framing (the bytes do not form units), not in a unit's payload.
    pub fn is_framing(&self) -> bool {
        !matches!(self, StreamError::Payload { .. })
    }

    /// The wire format that was being parsed.
    pub fn format(&self) -> WireFormat {
        match self {
            StreamError::Sse { format, .. }
            | StreamError::Ndjson { format, .. }
            | StreamError::JsonArray { format, .. }
            | StreamError::EventStream { format, .. }
            | StreamError::Payload { format, .. } => *format,
        }
    }
}

/// The framing decoder of a [`StreamParser`], with its reusable output buffer.
#[derive(Debug, Clone)]
enum Decoder {
    Sse(Poisoning<SseDecoder>, Vec<SseEvent>),
    Ndjson(Poisoning<NdjsonDecoder>, Vec<String>),
    JsonArray(Poisoning<JsonArrayDecoder>, Vec<String>),
    EventStream(Poisoning<EventStreamDecoder>, Vec<Message>),
}

/// The per-stream state of the event parsers that have some.
#[derive(Debug, Clone, Default)]
struct State {
    cohere_v1: cohere::V1Parser,
    watsonx: watsonx::Parser,
}

/// Parses a streaming response body of one [`WireFormat`] into [`Delta`]s: the framing
/// decoder and the event parser in one. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct StreamParser {
    format: WireFormat,
    decoder: Decoder,
    state: State,
    /// Units emitted so far in this stream.
    units: u64,
    /// Usage known so far in this stream.
    usage: Option<Usage>,
    poisoned: Option<StreamError>,
}

impl StreamParser {
    /// A parser of `format`, with the framing decoders' default limits (1 MiB per line,
    /// event or element; 16 MiB per eventstream frame).
    pub fn new(format: WireFormat) -> Self {
        let limit = match format.framing() {
            Framing::EventStream => eventstream::DEFAULT_MAX_FRAME_LEN,
            _ => sse::DEFAULT_MAX_LINE_LEN,
        };
        Self::with_max_unit_len(format, limit)
    }

    /// A parser of `format` whose framing limit (of an SSE line and event, an NDJSON line,
    /// a JSON-array element, an eventstream frame) is `max_unit_len` bytes. Raise it for
    /// streams with large events (e.g. Gemini chunks with inline images).
    pub fn with_max_unit_len(format: WireFormat, max_unit_len: usize) -> Self {
        let decoder = match format.framing() {
            Framing::Sse => Decoder::Sse(
                Poisoning::new(SseDecoder::with_max_line_len(max_unit_len)),
                Vec::new(),
            ),
            Framing::Ndjson => Decoder::Ndjson(
                Poisoning::new(NdjsonDecoder::with_max_line_len(max_unit_len)),
                Vec::new(),
            ),
            Framing::JsonArray => Decoder::JsonArray(
                Poisoning::new(JsonArrayDecoder::with_max_element_len(max_unit_len)),
                Vec::new(),
            ),
            Framing::EventStream => Decoder::EventStream(
                Poisoning::new(EventStreamDecoder::with_max_frame_len(max_unit_len)),
                Vec::new(),
            ),
        };
        StreamParser {
            format,
            decoder,
            state: State::default(),
            units: 0,
            usage: None,
            poisoned: None,
        }
    }

    /// The wire format this parser reads.
    pub fn format(&self) -> WireFormat {
        self.format
    }

    /// The number of units (deltas) emitted so far in this stream.
    pub fn units(&self) -> u64 {
        self.units
    }

    /// The usage known so far in this stream (the last usage emitted), if any.
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    /// Decodes the next read of the body, appending one delta per unit it completes to
    /// `out`.
    ///
    /// On error, `out` keeps the deltas of the units before the offending one, and the
    /// parser is poisoned (this and every later call return the same error).
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Delta>) -> Result<(), StreamError> {
        self.run(Some(bytes), out)
    }

    /// Ends the body: emits the delta of a last unit that had no terminator (an SSE event
    /// without its blank line, an NDJSON line without its newline), and checks that the
    /// framing is complete (a JSON array must be closed, an eventstream must not end inside
    /// a frame). The parser is then reset, ready
    /// for a new stream of the same format.
    pub fn finish(&mut self, out: &mut Vec<Delta>) -> Result<(), StreamError> {
        self.run(None, out)?;
        self.state = State::default();
        self.units = 0;
        self.usage = None;
        Ok(())
    }

    /// Feeds `bytes` to the framing decoder (or finishes it, for `None`), then parses the
    /// units it completed.
    fn run(&mut self, bytes: Option<&[u8]>, out: &mut Vec<Delta>) -> Result<(), StreamError> {
        if let Some(e) = &self.poisoned {
            return Err(e.clone());
        }
        let format = self.format;
        let framing = match &mut self.decoder {
            Decoder::Sse(decoder, events) => decoder
                .feed_or_finish(bytes, events)
                .map_err(|source| StreamError::Sse { format, source }),
            Decoder::Ndjson(decoder, lines) => decoder
                .feed_or_finish(bytes, lines)
                .map_err(|source| StreamError::Ndjson { format, source }),
            Decoder::JsonArray(decoder, elements) => decoder
                .feed_or_finish(bytes, elements)
                .map_err(|source| StreamError::JsonArray { format, source }),
            Decoder::EventStream(decoder, messages) => decoder
                .feed_or_finish(bytes, messages)
                .map_err(|source| StreamError::EventStream { format, source }),
        };
        // The units completed before a framing error are still parsed and emitted; a payload
        // error among them comes first.
        let result = self.parse_pending(out).and(framing);
        if let Err(e) = &result {
            self.poisoned = Some(e.clone());
        }
        result
    }

    /// Parses the units the decoder has completed, in order, appending their deltas; stops
    /// at the first invalid payload (the units after it are dropped: the parser is about to
    /// be poisoned).
    fn parse_pending(&mut self, out: &mut Vec<Delta>) -> Result<(), StreamError> {
        let format = self.format;
        let start = out.len();
        let state = &mut self.state;
        let mut failed = None;
        match &mut self.decoder {
            Decoder::Sse(_, events) => {
                for event in events.drain(..) {
                    if failed.is_none() {
                        match parse_sse(format, state, &event) {
                            Ok(delta) => out.push(delta),
                            Err(e) => failed = Some(e),
                        }
                    }
                }
            }
            Decoder::Ndjson(_, units) | Decoder::JsonArray(_, units) => {
                for unit in units.drain(..) {
                    if failed.is_none() {
                        match parse_text(format, state, &unit) {
                            Ok(delta) => out.push(delta),
                            Err(e) => failed = Some(e),
                        }
                    }
                }
            }
            Decoder::EventStream(_, messages) => {
                for message in messages.drain(..) {
                    if failed.is_none() {
                        match parse_message(format, state, &message) {
                            Ok(delta) => out.push(delta),
                            Err(e) => failed = Some(e),
                        }
                    }
                }
            }
        }
        // Merge each new delta's usage with what the stream reported before.
        for delta in &mut out[start..] {
            self.units += 1;
            if let Some(u) = delta.usage {
                let merged = match self.usage {
                    Some(old) => Usage {
                        prompt_tokens: u.prompt_tokens.or(old.prompt_tokens),
                        completion_tokens: u.completion_tokens.or(old.completion_tokens),
                        reasoning_tokens: u.reasoning_tokens.or(old.reasoning_tokens),
                    },
                    None => u,
                };
                self.usage = Some(merged);
                delta.usage = Some(merged);
            }
        }
        match failed {
            None => Ok(()),
            Some(source) => Err(StreamError::Payload {
                format,
                index: self.units,
                source,
            }),
        }
    }
}

/// Parses one SSE event with the parser of `format`.
fn parse_sse(
    format: WireFormat,
    state: &mut State,
    event: &SseEvent,
) -> Result<Delta, PayloadError> {
    let name = event.event.as_deref();
    let data = event.data.as_str();
    match format {
        WireFormat::OpenAiChat => chunk::parse_event(name, data).map_err(|e| match e {
            chunk::ChunkError::InvalidJson { reason, excerpt } => PayloadError { reason, excerpt },
        }),
        WireFormat::OpenAiCompletions => completions::parse_event(name, data),
        WireFormat::OpenAiResponses => responses::parse_event(name, data),
        WireFormat::Anthropic => anthropic::parse_event(name, data),
        WireFormat::GeminiSse | WireFormat::GeminiJsonArray => gemini::parse_chunk(data),
        WireFormat::CohereV2 => cohere::parse_v2_event(name, data),
        WireFormat::Tgi => tgi::parse_event(name, data),
        WireFormat::Replicate => Ok(replicate::parse_event(name, data)),
        WireFormat::Watsonx => state.watsonx.parse_event(name, data),
        // NDJSON formats never have SSE events; parse the data as their line.
        WireFormat::CohereV1 | WireFormat::OllamaChat | WireFormat::OllamaGenerate => {
            parse_text(format, state, data)
        }
        // Eventstream formats never have SSE events; read the event name as the
        // `:event-type` and the data as the payload.
        WireFormat::BedrockConverse => bedrock::parse_converse_event(name, data),
        WireFormat::BedrockInvokeAnthropic => bedrock::parse_invoke_anthropic_event(name, data),
    }
}

/// Parses one eventstream frame with the parser of `format`.
fn parse_message(
    format: WireFormat,
    state: &mut State,
    message: &Message,
) -> Result<Delta, PayloadError> {
    match format {
        WireFormat::BedrockConverse => bedrock::parse_converse(message),
        WireFormat::BedrockInvokeAnthropic => bedrock::parse_invoke_anthropic(message),
        // Other formats never have frames; parse the payload as their text unit.
        _ => parse_text(format, state, &String::from_utf8_lossy(&message.payload)),
    }
}

/// Parses one NDJSON line or JSON-array element with the parser of `format`.
fn parse_text(format: WireFormat, state: &mut State, text: &str) -> Result<Delta, PayloadError> {
    match format {
        WireFormat::CohereV1 => state.cohere_v1.parse_line(text),
        WireFormat::OllamaChat | WireFormat::OllamaGenerate => ollama::parse_line(text),
        WireFormat::GeminiSse | WireFormat::GeminiJsonArray => gemini::parse_chunk(text),
        // SSE formats never have text units; parse the text as an unnamed event's data.
        _ => parse_sse(
            format,
            state,
            &SseEvent {
                data: text.to_owned(),
                ..SseEvent::default()
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(format: WireFormat, body: &[u8]) -> Result<Vec<Delta>, StreamError> {
        let mut parser = StreamParser::new(format);
        let mut out = Vec::new();
        parser.feed(body, &mut out)?;
        parser.finish(&mut out)?;
        Ok(out)
    }

    fn text(deltas: &[Delta]) -> String {
        deltas.iter().map(|d| d.text.as_str()).collect()
    }

    #[test]
    fn corpus_names_round_trip() {
        for format in WireFormat::ALL {
            assert_eq!(
                WireFormat::from_corpus_name(format.corpus_name()),
                Some(format)
            );
            assert_eq!(format.to_string(), format.corpus_name());
        }
        assert_eq!(WireFormat::from_corpus_name("none"), None);
        assert_eq!(
            WireFormat::from_corpus_name("bedrock_invoke_anthropic"),
            Some(WireFormat::BedrockInvokeAnthropic)
        );
        assert_eq!(WireFormat::GeminiJsonArray.framing(), Framing::JsonArray);
        assert_eq!(WireFormat::BedrockConverse.framing(), Framing::EventStream);
        assert_eq!(WireFormat::OllamaChat.framing(), Framing::Ndjson);
        assert_eq!(WireFormat::Replicate.framing(), Framing::Sse);
    }

    #[test]
    fn every_format_yields_one_delta_per_unit() {
        let cases: [(WireFormat, &[u8], usize, &str); 13] = [
            (WireFormat::OpenAiChat, b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n", 2, "a"),
            (WireFormat::OpenAiCompletions, b"data: {\"choices\":[{\"index\":0,\"text\":\"a\"}]}\n\ndata: [DONE]\n\n", 2, "a"),
            (WireFormat::OpenAiResponses, b"event: response.created\ndata: {\"type\":\"response.created\"}\n\nevent: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"a\"}\n\n", 2, "a"),
            (WireFormat::Anthropic, b"event: ping\ndata: {\"type\":\"ping\"}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"}}\n\n", 2, "a"),
            (WireFormat::GeminiSse, b"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n", 1, "a"),
            (WireFormat::GeminiJsonArray, b"[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n,\n{}]", 2, "a"),
            (WireFormat::CohereV2, b"event: content-delta\ndata: {\"type\":\"content-delta\",\"delta\":{\"message\":{\"content\":{\"text\":\"a\"}}}}\n\ndata: [DONE]\n\n", 2, "a"),
            (WireFormat::CohereV1, b"{\"event_type\":\"stream-start\"}\n{\"event_type\":\"text-generation\",\"text\":\"a\"}\n", 2, "a"),
            (WireFormat::OllamaChat, b"{\"message\":{\"content\":\"a\"},\"done\":false}\n\n{\"message\":{\"content\":\"\"},\"done\":true}", 2, "a"),
            (WireFormat::OllamaGenerate, b"{\"response\":\"a\",\"done\":false}\r\n", 1, "a"),
            (WireFormat::Tgi, b"data:{\"token\":{\"text\":\"a\",\"special\":false},\"generated_text\":null,\"details\":null}\n\n", 1, "a"),
            (WireFormat::Replicate, b": hi\n\nevent: output\ndata: \n\nevent: output\ndata: a\n\nevent: done\ndata: {}\n\n", 3, "a"),
            (WireFormat::Watsonx, b"id: 1\nevent: message\ndata: {\"results\":[{\"generated_text\":\"a\",\"generated_token_count\":1,\"input_token_count\":2}]}\n\n", 1, "a"),
        ];
        for (format, body, units, want) in cases {
            let deltas = parse_all(format, body).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert_eq!(deltas.len(), units, "{format}");
            assert_eq!(text(&deltas), want, "{format}");
        }
    }

    /// An eventstream body of `(message type, event type, payload)` frames.
    fn eventstream(frames: &[(&str, &str, &str)]) -> Vec<u8> {
        use crate::framing::eventstream::HeaderValue;
        frames
            .iter()
            .flat_map(|(message_type, event_type, payload)| {
                let type_header = if *message_type == "exception" {
                    ":exception-type"
                } else {
                    ":event-type"
                };
                Message::new(payload.as_bytes().to_vec())
                    .with_header(type_header, HeaderValue::String((*event_type).into()))
                    .with_header(":message-type", HeaderValue::String((*message_type).into()))
                    .encode()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn bedrock_formats_yield_one_delta_per_frame() {
        let body = eventstream(&[
            ("event", "messageStart", r#"{"role":"assistant"}"#),
            (
                "event",
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"a"}}"#,
            ),
            ("event", "messageStop", r#"{"stopReason":"end_turn"}"#),
            (
                "event",
                "metadata",
                r#"{"usage":{"inputTokens":3,"outputTokens":1}}"#,
            ),
        ]);
        let deltas = parse_all(WireFormat::BedrockConverse, &body).unwrap();
        assert_eq!(deltas.len(), 4);
        assert_eq!(text(&deltas), "a");
        assert!(deltas[3].done);
        let mut parser = StreamParser::new(WireFormat::BedrockConverse);
        let mut out = Vec::new();
        for byte in &body {
            parser.feed(std::slice::from_ref(byte), &mut out).unwrap();
        }
        assert_eq!(out, deltas);
        assert_eq!(
            parser.usage(),
            Some(Usage {
                prompt_tokens: Some(3),
                completion_tokens: Some(1),
                reasoning_tokens: None
            })
        );
        // base64 of {"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}
        let body = eventstream(&[
            (
                "event",
                "chunk",
                r#"{"bytes":"eyJ0eXBlIjoiY29udGVudF9ibG9ja19kZWx0YSIsImRlbHRhIjp7InR5cGUiOiJ0ZXh0X2RlbHRhIiwidGV4dCI6ImEifX0="}"#,
            ),
            (
                "exception",
                "throttlingException",
                r#"{"message":"slow down"}"#,
            ),
        ]);
        let deltas = parse_all(WireFormat::BedrockInvokeAnthropic, &body).unwrap();
        assert_eq!(text(&deltas), "a");
        assert_eq!(
            deltas[1].error.as_deref(),
            Some("throttlingException: slow down")
        );
    }

    #[test]
    fn bedrock_errors_are_framing_or_payload_errors() {
        let body = eventstream(&[
            ("event", "contentBlockDelta", r#"{"delta":{"text":"a"}}"#),
            ("event", "contentBlockDelta", r#"{"delta":"#),
        ]);
        let err = parse_all(WireFormat::BedrockConverse, &body).unwrap_err();
        assert!(!err.is_framing());
        assert!(
            matches!(err, StreamError::Payload { index: 1, .. }),
            "{err:?}"
        );
        // A corrupt frame: the frames before it are kept, and the parser is poisoned.
        let mut body = eventstream(&[
            ("event", "contentBlockDelta", r#"{"delta":{"text":"a"}}"#),
            ("event", "contentBlockDelta", r#"{"delta":{"text":"b"}}"#),
        ]);
        let last = body.len() - 1;
        body[last] ^= 1;
        let mut parser = StreamParser::new(WireFormat::BedrockConverse);
        let mut out = Vec::new();
        let err = parser.feed(&body, &mut out).unwrap_err();
        assert!(err.is_framing());
        assert_eq!(err.format(), WireFormat::BedrockConverse);
        assert_eq!(text(&out), "a");
        assert!(
            err.to_string().starts_with(
                "malformed bedrock_converse_eventstream stream: eventstream frame at byte "
            ),
            "{err}"
        );
        assert_eq!(parser.finish(&mut out), Err(err));
        // Cut short.
        let body = eventstream(&[("event", "chunk", "{}")]);
        let err =
            parse_all(WireFormat::BedrockInvokeAnthropic, &body[..body.len() - 1]).unwrap_err();
        assert!(matches!(
            err,
            StreamError::EventStream {
                source: EventStreamError::Incomplete { .. },
                ..
            }
        ));
        // Frames over the limit.
        let mut parser = StreamParser::with_max_unit_len(WireFormat::BedrockConverse, 64);
        let body = eventstream(&[("event", "metadata", &"x".repeat(64))]);
        let err = parser.feed(&body, &mut Vec::new()).unwrap_err();
        assert!(matches!(
            err,
            StreamError::EventStream {
                source: EventStreamError::FrameTooLarge { limit: 64, .. },
                ..
            }
        ));
    }

    #[test]
    fn usage_is_merged_over_the_stream() {
        let body = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":17,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":171}}\n\n";
        let mut parser = StreamParser::new(WireFormat::Anthropic);
        let mut out = Vec::new();
        parser.feed(body, &mut out).unwrap();
        let want = Usage {
            prompt_tokens: Some(17),
            completion_tokens: Some(171),
            reasoning_tokens: None,
        };
        assert_eq!(out[1].usage, Some(want));
        assert_eq!(parser.usage(), Some(want));
        assert_eq!(parser.units(), 2);
        parser.finish(&mut out).unwrap();
        // Reset for a new stream.
        assert_eq!((parser.usage(), parser.units()), (None, 0));
    }

    #[test]
    fn payload_errors_carry_the_unit_index_and_poison() {
        let mut parser = StreamParser::new(WireFormat::OpenAiChat);
        let mut out = Vec::new();
        let body = b"data: {\"choices\":[]}\n\ndata: {\"choices\":[]}\n\ndata: not json\n\ndata: [DONE]\n\n";
        let err = parser.feed(body, &mut out).unwrap_err();
        assert_eq!(out.len(), 2);
        assert!(!err.is_framing());
        assert_eq!(err.format(), WireFormat::OpenAiChat);
        assert!(
            matches!(err, StreamError::Payload { index: 2, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("invalid openai_chat event #2: "),
            "{err}"
        );
        assert_eq!(parser.feed(b"data: [DONE]\n\n", &mut out), Err(err.clone()));
        assert_eq!(parser.finish(&mut out), Err(err));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn framing_errors_keep_the_units_before_them() {
        let mut parser = StreamParser::with_max_unit_len(WireFormat::OllamaChat, 64);
        let mut out = Vec::new();
        let mut body = b"{\"message\":{\"content\":\"a\"}}\n".to_vec();
        body.extend(std::iter::repeat_n(b'x', 100));
        let err = parser.feed(&body, &mut out).unwrap_err();
        assert!(err.is_framing());
        assert_eq!(text(&out), "a");
        assert_eq!(
            err.to_string(),
            "malformed ollama_chat stream: NDJSON line longer than 64 bytes"
        );
        let err = parse_all(WireFormat::GeminiJsonArray, b"[{\"candidates\":[]}").unwrap_err();
        assert!(matches!(
            err,
            StreamError::JsonArray {
                source: JsonArrayError::Incomplete,
                ..
            }
        ));
        let err = parse_all(WireFormat::GeminiSse, &[b'x'; 2 << 20]).unwrap_err();
        assert!(matches!(err, StreamError::Sse { .. }));
    }

    #[test]
    fn error_messages_are_short() {
        let body = format!(
            "data: {{\"choices\": 5, \"pad\": \"{}\"}}\n\n",
            "é".repeat(100_000)
        );
        let err = parse_all(WireFormat::OpenAiChat, body.as_bytes()).unwrap_err();
        assert!(err.to_string().len() < 700, "{}", err.to_string().len());
        let body = format!("{{\"response\": 5, \"x\": [{}]}}\n", "1,".repeat(100_000));
        let err = parse_all(WireFormat::OllamaGenerate, body.as_bytes()).unwrap_err();
        assert!(err.to_string().len() < 700);
    }

    #[test]
    fn api_errors_are_deltas_not_stream_errors() {
        let deltas = parse_all(
            WireFormat::Anthropic,
            b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
        )
        .unwrap();
        assert_eq!(deltas[0].error.as_deref(), Some("Overloaded"));
        let deltas = parse_all(WireFormat::OllamaChat, b"{\"error\":\"out of memory\"}\n").unwrap();
        assert_eq!(deltas[0].error.as_deref(), Some("out of memory"));
    }
}
