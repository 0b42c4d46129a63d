//! [`StreamParser`]: a framing decoder and a format's event parser in one.

use super::{Framing, StreamError, WireFormat};
use crate::delta::{Delta, Usage};
use crate::framing::eventstream::{self, EventStreamDecoder, Message};
use crate::framing::json_array::JsonArrayDecoder;
use crate::framing::ndjson::NdjsonDecoder;
use crate::framing::sse::{self, SseDecoder, SseEvent};
use crate::framing::Poisoning;
use crate::providers::api::{BodyError, BodyParser, Events};
use crate::providers::registry;

/// The framing decoder of a [`StreamParser`], with its reusable output buffer.
#[derive(Debug, Clone)]
enum Decoder {
    Sse(Poisoning<SseDecoder>, Vec<SseEvent>),
    Ndjson(Poisoning<NdjsonDecoder>, Vec<String>),
    JsonArray(Poisoning<JsonArrayDecoder>, Vec<String>),
    EventStream(Poisoning<EventStreamDecoder>, Vec<Message>),
}

/// Parses a streaming response body of one [`WireFormat`] into [`Delta`]s: the framing
/// decoder and the event parser in one. See the [module documentation](super).
#[derive(Debug)]
pub struct StreamParser {
    format: WireFormat,
    decoder: Decoder,
    /// The format's event parser, with its state in this stream.
    events: Box<dyn Events>,
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
            events: registry::wire(format).events(),
            units: 0,
            usage: None,
            poisoned: None,
        }
    }

    /// The number of units (deltas) emitted so far in this stream.
    #[cfg(test)]
    pub fn units(&self) -> u64 {
        self.units
    }

    /// The usage known so far in this stream (the last usage emitted), if any.
    #[cfg(test)]
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
        self.events = registry::wire(self.format).events();
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
        let parser = &mut self.events;
        let mut failed = None;
        match &mut self.decoder {
            Decoder::Sse(_, events) => {
                for event in events.drain(..) {
                    if failed.is_none() {
                        match parser.event(event.event.as_deref(), &event.data) {
                            Ok(delta) => out.push(delta),
                            Err(e) => failed = Some(e),
                        }
                    }
                }
            }
            Decoder::Ndjson(_, units) | Decoder::JsonArray(_, units) => {
                for unit in units.drain(..) {
                    if failed.is_none() {
                        match parser.text(&unit) {
                            Ok(delta) => out.push(delta),
                            Err(e) => failed = Some(e),
                        }
                    }
                }
            }
            Decoder::EventStream(_, messages) => {
                for message in messages.drain(..) {
                    if failed.is_none() {
                        match parser.frame(&message) {
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

impl Clone for StreamParser {
    fn clone(&self) -> Self {
        StreamParser {
            format: self.format,
            decoder: self.decoder.clone(),
            events: self.events.boxed_clone(),
            units: self.units,
            usage: self.usage,
            poisoned: self.poisoned.clone(),
        }
    }
}

/// The client's streaming loop reads a known wire format through this.
impl BodyParser for StreamParser {
    fn parse(&mut self, bytes: Option<&[u8]>, out: &mut Vec<Delta>) -> Result<(), BodyError> {
        match bytes {
            Some(b) => self.feed(b, out),
            None => self.finish(out),
        }
        .map_err(BodyError::from)
    }
}
