//! The framing layer: the bytes of a streamed response body, in reads of any size, become
//! frames (the units a provider's parser reads).
//!
//! The layer knows wire framings, not providers: what a frame *means* (text, usage, an API
//! error) is the business of the parsers in [`providers`](crate::providers). Four framings
//! cover every supported API:
//!
//! | decoder | body | frame |
//! |---|---|---|
//! | [`sse::SseDecoder`] | `text/event-stream` (WHATWG server-sent events) | [`sse::SseEvent`] |
//! | [`ndjson::NdjsonDecoder`] | newline-delimited JSON | one non-blank line, as text |
//! | [`json_array::JsonArrayDecoder`] | one streamed JSON array (Gemini) | one element's raw text |
//! | [`eventstream::EventStreamDecoder`] | AWS `application/vnd.amazon.eventstream` | [`eventstream::Message`] |
//!
//! # The trait and the shared error handling
//!
//! A decoder implements [`FrameDecoder`]: its own step ([`decode`](FrameDecoder::decode) a
//! read, [`end`](FrameDecoder::end) the body) and what to drop after an error
//! ([`release`](FrameDecoder::release)). Callers never call those directly: they hold a
//! [`Poisoning`] decoder, which adds what every framing shares, written once here:
//!
//! - [`feed`](Poisoning::feed) a read, appending the frames it completes; the frames
//!   completed before an error stay in `out`;
//! - [`finish`](Poisoning::finish) the body: flush an unterminated last frame, or fail if the
//!   body was cut short; then the decoder is ready for a new body;
//! - poisoning: after an error, the decoder's buffers are released and this and every later
//!   call return the same error, so a caller cannot resume a stream that is out of step.
//!
//! # Read splits
//!
//! The result never depends on how the bytes were split into reads: every split of the same
//! body gives the same frames, and a body that is invalid (or breaks a limit) fails for every
//! split with the same error, after the same frames. Each decoder buffers only the unfinished
//! part of a frame, so a UTF-8 sequence (or a CRC) split across reads decodes intact.
//!
//! # Limits
//!
//! Every decoder holds at most one unfinished frame, and bounds it, so a server cannot make
//! the client buffer without end. A limit fails as soon as the buffered part passes it (a
//! server that never ends its line fails early, not at the end of the body); an eventstream
//! frame fails as soon as its prelude announces too long a frame. Each decoder is built with
//! its limit (the parsers take one limit for all: `StreamParser::with_max_unit_len`):
//!
//! | decoder | bounded | default | error |
//! |---|---|---|---|
//! | SSE | one line; one event's joined `data` | 1 MiB each ([`sse::DEFAULT_MAX_LINE_LEN`]) | `LineTooLong`, `EventTooLarge` |
//! | NDJSON | one line (a final CR not counted) | 1 MiB ([`ndjson::DEFAULT_MAX_LINE_LEN`]) | `LineTooLong` |
//! | JSON array | one element | 1 MiB ([`json_array::DEFAULT_MAX_ELEMENT_LEN`]) | `ElementTooLarge` |
//! | eventstream | one frame's announced total length | 16 MiB ([`eventstream::DEFAULT_MAX_FRAME_LEN`]) | `FrameTooLarge` |
//!
//! Each decoder's file gives its rules in full; `splits` holds the property test of the
//! read-split promise, run over all four. Hostile input (random bytes, mutated streams:
//! `mutate`) is checked by `hostile` (every split alike, every buffer within its limit, which
//! each decoder states as `hostile::Bounded`), from the property tests of `hostile_tests`
//! and from the fuzz targets' entry points in `fuzz` (feature `fuzzing`, internal).
//!
//! # Visibility
//!
//! The layer is crate-private. Only the types that public signatures carry are re-exported:
//! the four error types by [`providers::wire`](crate::providers::wire) (inside
//! `StreamError`). The eventstream frame types (`Message`, `Header`, `HeaderValue`) are read
//! by the crate-private Bedrock parsers.

pub(crate) mod eventstream;
pub(crate) mod json_array;
pub(crate) mod ndjson;
pub(crate) mod sse;

#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzz;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod hostile;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
pub(crate) mod mutate;
#[cfg(test)]
pub(crate) mod splits;

/// The step of one framing: how its bytes become frames. Implemented by each decoder, and
/// driven by [`Poisoning`], which owns the error handling (see the [module
/// documentation](self)).
pub(crate) trait FrameDecoder {
    /// One decoded unit of the stream.
    type Frame;
    /// Why the bytes are not a valid stream of this framing (a limit broken, a bad byte, a
    /// body cut short).
    type Error: Clone + std::fmt::Debug;

    /// Decodes the next read of the body, appending the frames it completes to `out`. On
    /// error, `out` keeps the frames completed before the offending bytes. Never called
    /// again after an error.
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<Self::Frame>) -> Result<(), Self::Error>;

    /// Ends the body: appends a last frame that had no terminator, or fails if the body ended
    /// inside a frame. On success, resets the decoder for a new body (limits kept).
    fn end(&mut self, out: &mut Vec<Self::Frame>) -> Result<(), Self::Error>;

    /// Drops the buffers of an unfinished frame after an error: the decoder is never called
    /// again, so its memory is given back at once.
    fn release(&mut self);
}

/// A [`FrameDecoder`] with the error handling that every framing shares: after an error it
/// refuses further input, repeating that error. See the [module documentation](self).
#[derive(Debug, Clone)]
pub(crate) struct Poisoning<D: FrameDecoder> {
    decoder: D,
    poisoned: Option<D::Error>,
}

impl<D: FrameDecoder + Default> Default for Poisoning<D> {
    /// The decoder's defaults (its default limits).
    fn default() -> Self {
        Poisoning::new(D::default())
    }
}

impl<D: FrameDecoder> Poisoning<D> {
    /// Wraps `decoder`, which must not have seen an error yet.
    pub(crate) fn new(decoder: D) -> Self {
        Poisoning {
            decoder,
            poisoned: None,
        }
    }

    /// The wrapped decoder, for its settings and counters.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn get_ref(&self) -> &D {
        &self.decoder
    }

    /// Decodes the next read of the body, appending the frames it completes to `out`.
    ///
    /// On error, `out` keeps the frames completed before the offending bytes, and the decoder
    /// is poisoned (this and every later call return the same error).
    pub(crate) fn feed(&mut self, bytes: &[u8], out: &mut Vec<D::Frame>) -> Result<(), D::Error> {
        self.guarded(|decoder| decoder.decode(bytes, out))
    }

    /// Ends the body (see [`FrameDecoder::end`]); the decoder is then ready for a new body.
    /// An error poisons it, as in [`feed`](Self::feed).
    pub(crate) fn finish(&mut self, out: &mut Vec<D::Frame>) -> Result<(), D::Error> {
        self.guarded(|decoder| decoder.end(out))
    }

    /// [`feed`](Self::feed)s `Some(bytes)`, or [`finish`](Self::finish)es for `None` (the end
    /// of the body), as a read loop delivers them.
    pub(crate) fn feed_or_finish(
        &mut self,
        bytes: Option<&[u8]>,
        out: &mut Vec<D::Frame>,
    ) -> Result<(), D::Error> {
        match bytes {
            Some(bytes) => self.feed(bytes, out),
            None => self.finish(out),
        }
    }

    /// Runs one step of the decoder unless it is poisoned, and poisons it if the step fails.
    fn guarded(
        &mut self,
        step: impl FnOnce(&mut D) -> Result<(), D::Error>,
    ) -> Result<(), D::Error> {
        if let Some(e) = &self.poisoned {
            return Err(e.clone());
        }
        let result = step(&mut self.decoder);
        if let Err(e) = &result {
            self.poisoned = Some(e.clone());
            self.decoder.release();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames are single bytes; `!` is invalid; the body must not end after `+`.
    #[derive(Debug, Default)]
    struct Bytes {
        pending_plus: bool,
        releases: u32,
        resets: u32,
    }

    impl FrameDecoder for Bytes {
        type Frame = u8;
        type Error = String;

        fn decode(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
            for &b in bytes {
                if b == b'!' {
                    return Err("bang".into());
                }
                self.pending_plus = b == b'+';
                out.push(b);
            }
            Ok(())
        }

        fn end(&mut self, _out: &mut Vec<u8>) -> Result<(), String> {
            if self.pending_plus {
                return Err("cut short".into());
            }
            self.resets += 1;
            Ok(())
        }

        fn release(&mut self) {
            self.releases += 1;
        }
    }

    #[test]
    fn an_error_poisons_feed_and_finish_with_the_same_error() {
        let mut decoder = Poisoning::new(Bytes::default());
        let mut out = Vec::new();
        decoder.feed(b"ab", &mut out).unwrap();
        assert_eq!(decoder.feed(b"c!d", &mut out), Err("bang".to_owned()));
        assert_eq!(out, b"abc", "the frames before the error are kept");
        assert_eq!(decoder.get_ref().releases, 1);
        assert_eq!(decoder.feed(b"e", &mut out), Err("bang".to_owned()));
        assert_eq!(decoder.finish(&mut out), Err("bang".to_owned()));
        assert_eq!(out, b"abc");
        assert_eq!(decoder.get_ref().releases, 1, "released once");
        assert_eq!(decoder.get_ref().resets, 0);
    }

    #[test]
    fn finish_resets_or_poisons() {
        let mut decoder = Poisoning::new(Bytes::default());
        let mut out = Vec::new();
        decoder.feed_or_finish(Some(b"a"), &mut out).unwrap();
        decoder.feed_or_finish(None, &mut out).unwrap();
        assert_eq!(decoder.get_ref().resets, 1);
        decoder.feed(b"+", &mut out).unwrap();
        let err = decoder.feed_or_finish(None, &mut out).unwrap_err();
        assert_eq!(err, "cut short");
        assert_eq!(decoder.get_ref().releases, 1);
        assert_eq!(decoder.feed(b"a", &mut out), Err(err));
        assert_eq!(out, b"a+");
    }
}
