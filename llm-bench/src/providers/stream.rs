//! What the client's single streaming loop does with each read, and the replay of a
//! recorded body through the same path: [`StreamState`], [`Completion`].

use quanta::Instant;

use super::api::BodyParser;
use super::wire::{StreamParser, WireFormat};
use crate::delta::{Delta, Usage};
use crate::error::{Error, Result};
use crate::metrics::Recorder;

/// What a streamed completion produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Completion {
    /// The answer text (first choice).
    pub text: String,
    /// The reasoning text, for models that stream it.
    pub reasoning: String,
    /// Usage as the API reported it.
    pub usage: Option<Usage>,
    /// The finish reason of the first choice, if reported.
    pub finish_reason: Option<String>,
}

/// Accumulates what the deltas of one stream carry.
#[derive(Default)]
pub(super) struct StreamState {
    /// What the stream has produced so far.
    pub(super) completion: Completion,
    /// The parser's output buffer, reused from read to read.
    deltas: Vec<Delta>,
}

impl StreamState {
    /// Parses a read that arrived at `at` and records its deltas; true when the stream's
    /// terminator came. Deltas completed before a malformed unit are recorded first.
    pub(super) fn apply(
        &mut self,
        parser: &mut dyn BodyParser,
        bytes: Option<&[u8]>,
        at: Instant,
        rec: &mut Recorder,
    ) -> Result<bool> {
        let parsed = parser
            .parse(bytes, &mut self.deltas)
            .map_err(|e| Error::Malformed(e.to_string()));
        let mut deltas = std::mem::take(&mut self.deltas);
        let mut done = false;
        let mut failed = None;
        for delta in deltas.drain(..) {
            if done || failed.is_some() {
                continue;
            }
            rec.delta(at, &delta);
            if let Some(message) = delta.error {
                failed = Some(Error::MidStream(message));
                continue;
            }
            self.completion.text.push_str(&delta.text);
            self.completion.reasoning.push_str(&delta.reasoning);
            if let Some(usage) = delta.usage {
                self.completion.usage = Some(usage);
            }
            if delta.finish_reason.is_some() {
                self.completion.finish_reason = delta.finish_reason;
            }
            done = delta.done;
        }
        self.deltas = deltas;
        if let Some(e) = failed {
            return Err(e);
        }
        if done {
            return Ok(true);
        }
        parsed.map(|()| false)
    }
}

/// Feeds a recorded OpenAI Chat body through the same parse-and-record path as a live
/// stream, in reads of `read_size` bytes, all stamped now. Used by the overhead benchmarks
/// and tests.
pub(crate) fn replay(body: &[u8], read_size: usize, rec: &mut Recorder) -> Result<Completion> {
    replay_format(WireFormat::OpenAiChat, body, read_size, rec)
}

/// [`replay`] for any wire format.
pub(crate) fn replay_format(
    format: WireFormat,
    body: &[u8],
    read_size: usize,
    rec: &mut Recorder,
) -> Result<Completion> {
    let mut parser = StreamParser::new(format);
    let mut state = StreamState::default();
    for read in body.chunks(read_size.max(1)) {
        let at = Instant::now();
        if state.apply(&mut parser, Some(read), at, rec)? {
            rec.end(at);
            return Ok(state.completion);
        }
    }
    let at = Instant::now();
    state.apply(&mut parser, None, at, rec)?;
    rec.end(at);
    Ok(state.completion)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_records_output_events_only() {
        let body = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
            ": keep-alive\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n",
            "data: [DONE]\n\n",
        );
        for read_size in [1, 7, 1 << 20] {
            let mut rec = Recorder::new(Instant::now(), false);
            let done = replay(body.as_bytes(), read_size, &mut rec).unwrap();
            assert_eq!(done.text, "Hello");
            let sample = rec.finish(0, Instant::now(), |_, _| {});
            assert_eq!(sample.output_events, 2, "read size {read_size}");
            assert_eq!(sample.output_tokens, Some(2));
        }
    }

    #[test]
    fn an_error_chunk_ends_the_request_as_mid_stream() {
        let body = "data: {\"error\":{\"message\":\"Token limit reached\",\"code\":400}}\n\ndata: [DONE]\n\n";
        let mut rec = Recorder::new(Instant::now(), false);
        let err = replay(body.as_bytes(), 64, &mut rec).unwrap_err();
        assert_eq!(err.class(), crate::ErrorClass::MidStream);
        assert!(err.to_string().contains("Token limit reached"), "{err}");
    }

    #[test]
    fn replay_anthropic_with_an_error_event() {
        let body = b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let mut rec = Recorder::new(Instant::now(), false);
        let err = replay_format(WireFormat::Anthropic, body, 5, &mut rec).unwrap_err();
        assert!(
            matches!(err, Error::MidStream(ref m) if m == "Overloaded"),
            "{err}"
        );
    }
}
