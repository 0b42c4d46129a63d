//! Incremental decoding of Server-Sent Events (`text/event-stream`).
//!
//! [`SseDecoder`] turns the bytes of a response body, in reads of any size, into
//! [`SseEvent`]s, driven by [`Poisoning`](super::Poisoning) like every [framing](super). It
//! follows the event-stream interpretation of the WHATWG HTML standard
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html>):
//!
//! - A line ends in CRLF, LF or CR. A CR that ends one read and an LF that starts the next
//!   are one line end (the decoder remembers the CR), never an extra blank line.
//! - A UTF-8 byte order mark at the very start of the stream is dropped, even when it is split
//!   across reads. A BOM anywhere else is kept.
//! - A line that starts with `:` is a comment: ignored (the decoder counts them).
//! - `name: value` lines set a field; one space after the colon is dropped (`data:x` works
//!   too). A line without a colon is a field name with an empty value. The fields are `event`,
//!   `data`, `id` (ignored when it contains NUL) and `retry` (ignored unless ASCII digits
//!   only); other names are ignored.
//! - Several `data` lines of one event are joined with LF.
//! - Bytes are buffered until their line ends, so a UTF-8 sequence split across reads decodes
//!   intact; invalid UTF-8 is replaced by U+FFFD (lossy decoding, as the standard's decoder).
//!
//! The result never depends on how the bytes were split into reads: every read split of the
//! same body yields the same events, and a body that breaks a limit fails for every split,
//! after the same events.
//!
//! # Dispatch rule
//!
//! A blank line dispatches the event under construction **if the block had at least one
//! field line** that the decoder applied: `event`, `data`, a valid `id` or a valid `retry`.
//! A block of only comments, only unknown fields, or nothing (consecutive blank lines) is not
//! an event.
//!
//! This is the rule of the Stainless-generated SDKs (OpenAI's and Anthropic's), not the
//! browser's `EventSource`, which drops blocks without `data`. We follow the SDKs because
//! (1) the recorded corpus' reference parser does — `edge_cases/synthetic_event_without_data`
//! counts two events that carry only `event:` lines, and every `*_event_index` in the corpus
//! counts such events — and (2) a bench must see what the SDKs that products use see, e.g.
//! an Anthropic-style `event: ping` with no data still is an event, with its own arrival time.
//! (Unlike the Stainless decoder, a remembered `id` does not make later empty blocks
//! dispatch.)
//!
//! At the end of the body, [`finish`](super::Poisoning::finish) flushes an unterminated last
//! event (no final blank line, maybe no final newline), as the SDKs do; a strict
//! `EventSource` would drop it. Several recorded SDK fixtures (and a Java text block from an
//! Azure capture) end that way.
//!
//! # Limits
//!
//! The decoder holds at most one line and one event's data in memory. A line longer than
//! the line limit fails with [`SseError::LineTooLong`] (as soon as the buffered part of the
//! line passes the limit, so a server that never sends a newline cannot exhaust memory);
//! an event whose joined data would pass the event limit (counted as decoded: an invalid
//! byte is a 3-byte U+FFFD) fails with [`SseError::EventTooLarge`]. Both limits default to [`DEFAULT_MAX_LINE_LEN`] (1 MiB).
//! After an error, [`Poisoning`](super::Poisoning) refuses further input, repeating the
//! error.
//!
//! # Performance
//!
//! Line ends are found with a slice search; lines that arrive whole in one read are parsed
//! in place without copying; only partial lines are buffered, in a buffer that is reused.
//! Each dispatched event allocates its own strings (the caller owns them); the decoder's
//! buffers keep their capacity.

use super::FrameDecoder;

/// The default limit of one line, and of the data of one event, in bytes (1 MiB).
pub(crate) const DEFAULT_MAX_LINE_LEN: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One dispatched server-sent event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field (the event type), if the block had one with a non-empty value.
    /// `None` means the default type, `message`.
    pub event: Option<String>,
    /// The `data` lines of the block, joined with LF (empty if it had none).
    pub data: String,
    /// The `id` field of this block, if it had a valid one. (The WHATWG "last event ID",
    /// which persists across events, is the decoder's `last_event_id`.)
    pub id: Option<String>,
    /// The `retry` field of this block (reconnection time in ms), if it had a valid one.
    pub retry: Option<u64>,
}

/// Why a stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// A line (without its line end) was longer than the decoder's line limit.
    #[error("server-sent events line longer than {limit} bytes")]
    LineTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The joined `data` of one event was longer than the decoder's event limit.
    #[error("server-sent event data longer than {limit} bytes")]
    EventTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// An incremental, bounded decoder of `text/event-stream` bodies. See the [module
/// documentation](self) for the rules it follows.
#[derive(Debug, Clone)]
pub(crate) struct SseDecoder {
    /// Bytes of a line whose end has not arrived yet.
    line: Vec<u8>,
    /// The last read ended in CR: an LF at the start of the next read ends no line.
    after_cr: bool,
    /// No line has been completed yet (the BOM check is still to do).
    at_stream_start: bool,
    max_line_len: usize,
    max_event_len: usize,

    // The event under construction.
    data: String,
    has_data: bool,
    event: String,
    has_event: bool,
    id: String,
    has_id: bool,
    retry: Option<u64>,
    has_field: bool,

    last_event_id: String,
    comments: u64,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder with the default limits ([`DEFAULT_MAX_LINE_LEN`] for a line and for the data
    /// of an event).
    pub(crate) fn new() -> Self {
        Self::with_max_line_len(DEFAULT_MAX_LINE_LEN)
    }

    /// A decoder whose line limit, and event-data limit, is `max_line_len` bytes.
    /// (Tests change the event limit afterwards with `with_max_event_len`.)
    pub(crate) fn with_max_line_len(max_line_len: usize) -> Self {
        SseDecoder {
            line: Vec::new(),
            after_cr: false,
            at_stream_start: true,
            max_line_len,
            max_event_len: max_line_len,
            data: String::new(),
            has_data: false,
            event: String::new(),
            has_event: false,
            id: String::new(),
            has_id: false,
            retry: None,
            has_field: false,
            last_event_id: String::new(),
            comments: 0,
        }
    }

    /// Sets the limit of the joined `data` of one event, in bytes.
    #[cfg(test)]
    pub(crate) fn with_max_event_len(mut self, max_event_len: usize) -> Self {
        self.max_event_len = max_event_len;
        self
    }

    /// The limit of one line, in bytes.
    #[cfg(test)]
    pub(crate) fn max_line_len(&self) -> usize {
        self.max_line_len
    }

    /// The limit of the data of one event, in bytes.
    #[cfg(test)]
    pub(crate) fn max_event_len(&self) -> usize {
        self.max_event_len
    }

    /// The number of comment lines (`:` lines, e.g. keep-alives) seen so far.
    #[cfg(test)]
    pub(crate) fn comment_count(&self) -> u64 {
        self.comments
    }

    /// The WHATWG "last event ID": the value of the last valid `id` field seen, which,
    /// unlike [`SseEvent::id`], persists across events (a client sends it as
    /// `Last-Event-ID` when it reconnects). Empty if none.
    #[cfg(test)]
    pub(crate) fn last_event_id(&self) -> &str {
        &self.last_event_id
    }
}

impl FrameDecoder for SseDecoder {
    type Frame = SseEvent;
    type Error = SseError;

    /// Splits the read into lines (a CR at its end waits for the next read, which may start
    /// with its LF), interprets the complete ones and buffers the rest.
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let mut rest = bytes;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let mut next = pos + 1;
            if rest[pos] == b'\r' {
                match rest.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            let part = &rest[..pos];
            if self.line.is_empty() {
                if part.len() > self.max_line_len {
                    return Err(SseError::LineTooLong {
                        limit: self.max_line_len,
                    });
                }
                self.process_line(part, out)?;
            } else {
                if self.line.len() + part.len() > self.max_line_len {
                    return Err(SseError::LineTooLong {
                        limit: self.max_line_len,
                    });
                }
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(part);
                let result = self.process_line(&line, out);
                line.clear();
                self.line = line;
                result?;
            }
            rest = &rest[next..];
        }
        if !rest.is_empty() {
            if self.line.len() + rest.len() > self.max_line_len {
                return Err(SseError::LineTooLong {
                    limit: self.max_line_len,
                });
            }
            self.line.extend_from_slice(rest);
        }
        Ok(())
    }

    /// Interprets a last line that had no line end and dispatches an event that had no final
    /// blank line. Then resets for a new stream (limits and comment count kept, last event
    /// ID cleared).
    fn end(&mut self, out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let result = self.process_line(&line, out);
            self.line = line;
            self.line.clear();
            result?;
        }
        self.dispatch(out);
        self.after_cr = false;
        self.at_stream_start = true;
        self.last_event_id.clear();
        Ok(())
    }

    /// Drops the partial line and the event under construction.
    fn release(&mut self) {
        self.line = Vec::new();
        self.data = String::new();
        self.reset_event();
    }
}

impl SseDecoder {
    /// Interprets one complete line (without its line end).
    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseError> {
        let line = if self.at_stream_start {
            self.at_stream_start = false;
            line.strip_prefix(BOM).unwrap_or(line)
        } else {
            line
        };
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            self.comments += 1;
            return Ok(());
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => {
                // The limit counts the data as kept: decoded, each invalid byte a 3-byte
                // U+FFFD.
                let value = String::from_utf8_lossy(value);
                let sep = usize::from(self.has_data);
                if self.data.len() + sep + value.len() > self.max_event_len {
                    return Err(SseError::EventTooLarge {
                        limit: self.max_event_len,
                    });
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
                self.has_field = true;
            }
            b"event" => {
                self.event.clear();
                push_lossy(&mut self.event, value);
                self.has_event = true;
                self.has_field = true;
            }
            b"id" if !value.contains(&0) => {
                self.id.clear();
                push_lossy(&mut self.id, value);
                self.last_event_id.clear();
                self.last_event_id.push_str(&self.id);
                self.has_id = true;
                self.has_field = true;
            }
            b"retry" => {
                if let Some(ms) = parse_retry(value) {
                    self.retry = Some(ms);
                    self.has_field = true;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Emits the event under construction if its block had a field, then resets it.
    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if self.has_field {
            out.push(SseEvent {
                event: (self.has_event && !self.event.is_empty()).then(|| self.event.clone()),
                data: self.data.clone(),
                id: self.has_id.then(|| self.id.clone()),
                retry: self.retry,
            });
        }
        self.reset_event();
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event.clear();
        self.has_event = false;
        self.id.clear();
        self.has_id = false;
        self.retry = None;
        self.has_field = false;
    }
}

/// Appends `bytes` decoded as UTF-8, with U+FFFD for invalid sequences.
fn push_lossy(buf: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => buf.push_str(s),
        Err(_) => buf.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// A `retry` value: ASCII digits only, and within `u64`.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// The line (and the `event` and `id` values, decoded from one line each: at most three
/// times its bytes, as each invalid byte becomes a 3-byte U+FFFD) and the event's data.
#[cfg(any(test, feature = "fuzzing"))]
impl super::hostile::Bounded for SseDecoder {
    fn buffers(&self) -> Vec<(&'static str, usize, usize)> {
        let field = self.max_line_len.saturating_mul(3);
        vec![
            ("line", self.line.len(), self.max_line_len),
            ("data", self.data.len(), self.max_event_len),
            ("event", self.event.len(), field),
            ("id", self.id.len(), field),
            ("last event ID", self.last_event_id.len(), field),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::splits::{bytewise, run};
    use crate::framing::Poisoning;

    /// Decodes `input` in one read, plus `finish`.
    fn decode(input: &[u8]) -> Vec<SseEvent> {
        decode_split(input, &[])
    }

    /// Decodes `input` split at the given offsets (sorted, in range), plus `finish`.
    fn decode_split(input: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
        let (out, result) = run(SseDecoder::new(), input, cuts);
        result.unwrap();
        out
    }

    fn decode_bytewise(input: &[u8]) -> Vec<SseEvent> {
        decode_split(input, &bytewise(input.len()))
    }

    /// A decoder as the parsers hold it.
    fn decoder() -> Poisoning<SseDecoder> {
        Poisoning::new(SseDecoder::new())
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            ..SseEvent::default()
        }
    }

    #[test]
    fn module_example() {
        let mut decoder = decoder();
        let mut events = Vec::new();
        decoder.feed(b"data: {\"a\":1}\r", &mut events).unwrap();
        decoder
            .feed(b"\n\r\nevent: ping\ndata: x", &mut events)
            .unwrap();
        assert_eq!(events.len(), 1);
        decoder.finish(&mut events).unwrap(); // the unterminated `ping` event
        assert_eq!(events[0].data, "{\"a\":1}");
        assert_eq!(events[1].event.as_deref(), Some("ping"));
    }

    #[test]
    fn lf_crlf_and_cr_line_ends() {
        for input in [
            &b"data: a\n\ndata: b\n\n"[..],
            b"data: a\r\n\r\ndata: b\r\n\r\n",
            b"data: a\r\rdata: b\r\r",
            b"data: a\r\n\rdata: b\n\r\n",
        ] {
            assert_eq!(data(&decode(input)), ["a", "b"], "{input:?}");
            assert_eq!(data(&decode_bytewise(input)), ["a", "b"], "{input:?}");
        }
    }

    #[test]
    fn cr_at_end_of_read_then_lf_is_one_line_end() {
        let mut decoder = decoder();
        let mut out = Vec::new();
        decoder.feed(b"data: a\r", &mut out).unwrap();
        decoder.feed(b"\ndata: b\r", &mut out).unwrap();
        assert!(out.is_empty(), "the CR LF must not make a blank line");
        decoder.feed(b"\n", &mut out).unwrap();
        decoder.feed(b"", &mut out).unwrap();
        assert!(out.is_empty());
        decoder.feed(b"\r", &mut out).unwrap();
        assert_eq!(data(&out), ["a\nb"]);
    }

    #[test]
    fn cr_then_empty_read_then_lf() {
        let input = b"data: a\r\n\r\n";
        assert_eq!(data(&decode_split(input, &[8, 8, 9])), ["a"]);
    }

    #[test]
    fn bom_dropped_at_start_only_even_when_split() {
        let input = b"\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n";
        let expected = [ev(None, "a")];
        for cuts in [&[][..], &[1], &[2], &[1, 2], &[3]] {
            let events = decode_split(input, cuts);
            assert_eq!(events[..1], expected[..], "{cuts:?}");
            // A BOM later in the stream is part of a field name: unknown field, ignored.
            assert_eq!(events.len(), 1, "{cuts:?}");
        }
        // Without the BOM at start, a lone partial BOM is not stripped.
        assert_eq!(decode(b"\xEF\xBBdata: a\n\n"), vec![]);
    }

    #[test]
    fn comments_are_ignored_and_counted() {
        let mut decoder = decoder();
        let mut out = Vec::new();
        decoder
            .feed(
                b": OPENROUTER PROCESSING\n\n:\n\ndata: x\n:mid\n\n",
                &mut out,
            )
            .unwrap();
        assert_eq!(out, vec![ev(None, "x")]);
        assert_eq!(decoder.get_ref().comment_count(), 3);
    }

    #[test]
    fn fields_and_space_after_colon() {
        let events = decode(b"event: e1\ndata:no-space\nid: 7\nretry: 1500\n\n");
        assert_eq!(
            events,
            vec![SseEvent {
                event: Some("e1".into()),
                data: "no-space".into(),
                id: Some("7".into()),
                retry: Some(1500),
            }]
        );
        // Only one space is dropped.
        assert_eq!(data(&decode(b"data:  two\n\n")), [" two"]);
        // A value may contain colons.
        assert_eq!(data(&decode(b"data: a:b: c\n\n")), ["a:b: c"]);
    }

    #[test]
    fn line_without_colon_is_field_with_empty_value() {
        assert_eq!(data(&decode(b"data\n\n")), [""]);
        assert_eq!(data(&decode(b"data\ndata\n\n")), ["\n"]);
        let events = decode(b"event\ndata: x\n\n");
        assert_eq!(events, vec![ev(None, "x")]);
    }

    #[test]
    fn unknown_fields_ignored() {
        assert_eq!(decode(b"foo: bar\n\n"), vec![]);
        assert_eq!(
            decode(b"foo: bar\ndata: x\nDATA: y\n\n"),
            vec![ev(None, "x")]
        );
    }

    #[test]
    fn retry_must_be_digits() {
        assert_eq!(decode(b"retry: 12a\n\n"), vec![]);
        assert_eq!(decode(b"retry: -1\ndata: x\n\n")[0].retry, None);
        assert_eq!(decode(b"retry:\ndata: x\n\n")[0].retry, None);
        assert_eq!(
            decode(b"retry: 99999999999999999999999\ndata: x\n\n")[0].retry,
            None
        );
        assert_eq!(decode(b"retry: 0\n\n")[0].retry, Some(0));
    }

    #[test]
    fn id_with_nul_ignored_and_last_event_id_persists() {
        let mut decoder = decoder();
        let mut out = Vec::new();
        decoder
            .feed(b"id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n", &mut out)
            .unwrap();
        assert_eq!(out[0].id.as_deref(), Some("1"));
        assert_eq!(out[1].id, None);
        assert_eq!(decoder.get_ref().last_event_id(), "1");
    }

    #[test]
    fn data_lines_joined_with_lf() {
        let input = b"event: ping\ndata: {\ndata: \"foo\":\ndata: \ndata:\ndata: true}\n\n\n";
        assert_eq!(
            decode(input),
            vec![ev(Some("ping"), "{\n\"foo\":\n\n\ntrue}")]
        );
    }

    #[test]
    fn dispatch_when_any_field_seen() {
        // Event-only blocks dispatch (SDK rule), as the corpus counts them.
        let events = decode(b"event: ping\n\nevent: completion\n\n");
        assert_eq!(
            events,
            vec![ev(Some("ping"), ""), ev(Some("completion"), "")]
        );
        assert_eq!(decode(b"id: 3\n\n").len(), 1);
        assert_eq!(decode(b"retry: 3\n\n").len(), 1);
        // Blank lines, comments and unknown fields alone do not.
        assert_eq!(decode(b"\n\n\n: c\n\nfoo\n\n"), vec![]);
        // The id does not make later empty blocks dispatch.
        assert_eq!(decode(b"id: 1\ndata: a\n\n: hi\n\n\n").len(), 1);
    }

    #[test]
    fn finish_flushes_unterminated_event() {
        assert_eq!(data(&decode(b"data: a\n\ndata: [DONE]")), ["a", "[DONE]"]);
        assert_eq!(data(&decode(b"data: a\n\ndata: [DONE]\n")), ["a", "[DONE]"]);
        assert_eq!(data(&decode(b"data: a\n\ndata: [DONE]\r")), ["a", "[DONE]"]);
        assert_eq!(data(&decode(b"data: a\n\n")), ["a"]);
        assert_eq!(data(&decode(b"data: a\n\n: bye")), ["a"]);
    }

    #[test]
    fn finish_resets_for_a_new_stream() {
        let mut decoder = decoder();
        let mut out = Vec::new();
        decoder.feed(b"data: a\r", &mut out).unwrap();
        decoder.finish(&mut out).unwrap();
        decoder
            .feed(b"\xEF\xBB\xBF\ndata: b\n\n", &mut out)
            .unwrap();
        assert_eq!(data(&out), ["a", "b"]);
    }

    #[test]
    fn utf8_split_across_reads() {
        let input = "data: {\"content\":\"известни\"}\n\n".as_bytes();
        for cut in 1..input.len() {
            assert_eq!(
                data(&decode_split(input, &[cut])),
                ["{\"content\":\"известни\"}"]
            );
        }
    }

    #[test]
    fn invalid_utf8_replaced() {
        assert_eq!(
            data(&decode(b"data: a\xFFb\xE2\x82\n\n")),
            ["a\u{FFFD}b\u{FFFD}"]
        );
        assert_eq!(
            decode(b"event: \xFF\n\n")[0].event.as_deref(),
            Some("\u{FFFD}")
        );
    }

    #[test]
    fn u2028_is_not_a_line_end() {
        let input = "data: {\"content\":\" \u{2028}\"}\n\n".as_bytes();
        assert_eq!(data(&decode(input)), ["{\"content\":\" \u{2028}\"}"]);
    }

    #[test]
    fn line_too_long_whole_and_split() {
        let mut long = b"data: ".to_vec();
        long.extend(std::iter::repeat_n(b'x', 100));
        long.extend_from_slice(b"\n\n");
        let input = [&b"data: ok\n\n"[..], &long].concat();
        for cuts in [vec![], vec![12], vec![12, 40], (1..input.len()).collect()] {
            let mut decoder = Poisoning::new(SseDecoder::with_max_line_len(64));
            let mut out = Vec::new();
            let mut start = 0;
            let mut result = Ok(());
            for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
                result = result.and(decoder.feed(&input[start..cut], &mut out));
                start = cut;
            }
            assert_eq!(result, Err(SseError::LineTooLong { limit: 64 }), "{cuts:?}");
            assert_eq!(data(&out), ["ok"], "{cuts:?}");
            // Poisoned.
            assert_eq!(
                decoder.finish(&mut out),
                Err(SseError::LineTooLong { limit: 64 })
            );
        }
    }

    #[test]
    fn line_at_limit_is_fine_and_unterminated_long_line_fails() {
        let mut decoder = Poisoning::new(SseDecoder::with_max_line_len(8));
        let mut out = Vec::new();
        decoder.feed(b"data: 12\r\n\r\n", &mut out).unwrap();
        assert_eq!(data(&out), ["12"]);
        let err = decoder.feed(b"data: 123", &mut out).unwrap_err();
        assert_eq!(err, SseError::LineTooLong { limit: 8 });
        assert_eq!(
            err.to_string(),
            "server-sent events line longer than 8 bytes"
        );
    }

    #[test]
    fn event_data_is_bounded() {
        let mut decoder = Poisoning::new(SseDecoder::with_max_line_len(16).with_max_event_len(10));
        let mut out = Vec::new();
        decoder
            .feed(b"data: 12345\ndata: 1234\n\n", &mut out)
            .unwrap();
        assert_eq!(data(&out), ["12345\n1234"]);
        let err = decoder
            .feed(b"data: 12345\ndata: 12345\n\n", &mut out)
            .unwrap_err();
        assert_eq!(err, SseError::EventTooLarge { limit: 10 });
        assert_eq!(decoder.get_ref().max_event_len(), 10);
        assert_eq!(decoder.get_ref().max_line_len(), 16);
    }

    #[test]
    fn default_limit_is_one_mib() {
        assert_eq!(SseDecoder::default().max_line_len(), 1 << 20);
        assert_eq!(SseDecoder::new().max_event_len(), 1 << 20);
    }
}
