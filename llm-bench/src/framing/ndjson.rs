//! Incremental decoding of newline-delimited JSON (`application/x-ndjson`, JSON Lines).
//!
//! Ollama's native API (<https://github.com/ollama/ollama/blob/main/docs/api.md>) and Cohere's
//! v1 chat stream (<https://docs.cohere.com/v1/docs/streaming>) send one JSON object per line.
//! [`NdjsonDecoder`] turns the bytes of such a body, in reads of any size, into lines (driven
//! by [`Poisoning`](super::Poisoning), like every [framing](super)):
//!
//! - A line ends in LF; a CR just before the LF is dropped (CRLF works). A lone CR is kept as
//!   part of the line (JSON allows it as whitespace).
//! - Blank lines (empty, or only ASCII whitespace) are skipped: they are not units, so they
//!   do not shift line indices.
//! - A UTF-8 byte order mark at the very start of the body is dropped, even when split across
//!   reads.
//! - Bytes are buffered until their line ends, so a UTF-8 sequence split across reads decodes
//!   intact; invalid UTF-8 is replaced by U+FFFD.
//! - [`finish`](super::Poisoning::finish) emits a last line that had no final newline.
//!
//! The decoder does not parse JSON: each line is handed on as text, for the provider's parser.
//!
//! The result never depends on how the bytes were split into reads: every split of the same
//! body yields the same lines, and a body that breaks the limit fails for every split, after
//! the same lines.
//!
//! # Limits
//!
//! The decoder holds at most one line. A line longer than the limit
//! ([`DEFAULT_MAX_LINE_LEN`], 1 MiB, unless set with [`NdjsonDecoder::with_max_line_len`])
//! fails with [`NdjsonError::LineTooLong`] as soon as its buffered part passes the limit.
//! After an error, [`Poisoning`](super::Poisoning) refuses further input, repeating the error.

use super::FrameDecoder;

/// The default limit of one line, in bytes (1 MiB).
pub(crate) const DEFAULT_MAX_LINE_LEN: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a newline-delimited JSON body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdjsonError {
    /// A line (without its line end) was longer than the decoder's limit.
    #[error("NDJSON line longer than {limit} bytes")]
    LineTooLong {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// An incremental, bounded decoder of newline-delimited JSON bodies. See the [module
/// documentation](self) for the rules it follows.
#[derive(Debug, Clone)]
pub(crate) struct NdjsonDecoder {
    /// Bytes of a line whose end has not arrived yet.
    line: Vec<u8>,
    /// No line has been completed yet (the BOM check is still to do).
    at_stream_start: bool,
    max_line_len: usize,
}

impl Default for NdjsonDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl NdjsonDecoder {
    /// A decoder with the default line limit ([`DEFAULT_MAX_LINE_LEN`]).
    pub(crate) fn new() -> Self {
        Self::with_max_line_len(DEFAULT_MAX_LINE_LEN)
    }

    /// A decoder whose line limit is `max_line_len` bytes.
    pub(crate) fn with_max_line_len(max_line_len: usize) -> Self {
        NdjsonDecoder {
            line: Vec::new(),
            at_stream_start: true,
            max_line_len,
        }
    }

    /// The limit of one line, in bytes.
    #[cfg(test)]
    pub(crate) fn max_line_len(&self) -> usize {
        self.max_line_len
    }
}

impl FrameDecoder for NdjsonDecoder {
    type Frame = String;
    type Error = NdjsonError;

    /// Splits the read into lines, emits the complete non-blank ones (without their line
    /// ends) and buffers the rest.
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<String>) -> Result<(), NdjsonError> {
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            let part = &rest[..pos];
            self.check_len(part)?;
            if self.line.is_empty() {
                self.emit(part, out);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(part);
                self.emit(&line, out);
                line.clear();
                self.line = line;
            }
            rest = &rest[pos + 1..];
        }
        if !rest.is_empty() {
            self.check_len(rest)?;
            self.line.extend_from_slice(rest);
        }
        Ok(())
    }

    /// Emits a last line that had no final newline (unless blank), then resets for a new
    /// body (the limit is kept).
    fn end(&mut self, out: &mut Vec<String>) -> Result<(), NdjsonError> {
        let line = std::mem::take(&mut self.line);
        self.emit(&line, out);
        self.line = line;
        self.line.clear();
        self.at_stream_start = true;
        Ok(())
    }

    /// Drops the partial line.
    fn release(&mut self) {
        self.line = Vec::new();
    }
}

impl NdjsonDecoder {
    /// Fails if the buffered line followed by `more` is longer than the limit. A final CR is
    /// not counted: it may be (or is) the CR of a CRLF line end. So the check of every prefix
    /// of a line passes when the check of the whole line does, whatever the read split.
    fn check_len(&self, more: &[u8]) -> Result<(), NdjsonError> {
        let last = more.last().or(self.line.last());
        let len = self.line.len() + more.len() - usize::from(last == Some(&b'\r'));
        if len > self.max_line_len {
            return Err(NdjsonError::LineTooLong {
                limit: self.max_line_len,
            });
        }
        Ok(())
    }

    /// Emits one complete line (without its LF), unless it is blank.
    fn emit(&mut self, line: &[u8], out: &mut Vec<String>) {
        let mut line = line;
        if self.at_stream_start {
            self.at_stream_start = false;
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        out.push(match std::str::from_utf8(line) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(line).into_owned(),
        });
    }
}

/// The line, whose final CR (perhaps the first half of a CRLF) the limit does not count.
#[cfg(any(test, feature = "fuzzing"))]
impl super::hostile::Bounded for NdjsonDecoder {
    fn buffers(&self) -> Vec<(&'static str, usize, usize)> {
        let cr = usize::from(self.line.last() == Some(&b'\r'));
        vec![("line", self.line.len(), self.max_line_len + cr)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::splits::{self, bytewise as bytewise_cuts};
    use crate::framing::Poisoning;

    /// Decodes `input` split at the given offsets (sorted, in range), plus `finish`.
    fn run(input: &[u8], cuts: &[usize], limit: usize) -> (Vec<String>, Result<(), NdjsonError>) {
        splits::run(NdjsonDecoder::with_max_line_len(limit), input, cuts)
    }

    fn decode(input: &[u8]) -> Vec<String> {
        let (out, result) = run(input, &[], DEFAULT_MAX_LINE_LEN);
        result.unwrap();
        out
    }

    fn bytewise(input: &[u8]) -> Vec<String> {
        let (out, result) = run(input, &bytewise_cuts(input.len()), DEFAULT_MAX_LINE_LEN);
        result.unwrap();
        out
    }

    #[test]
    fn module_example() {
        let mut decoder = Poisoning::new(NdjsonDecoder::new());
        let mut lines = Vec::new();
        decoder
            .feed(b"{\"response\":\"Hi\"}\r\n\n{\"do", &mut lines)
            .unwrap();
        decoder.feed(b"ne\":true}", &mut lines).unwrap();
        assert_eq!(lines, ["{\"response\":\"Hi\"}"]);
        decoder.finish(&mut lines).unwrap(); // the unterminated last line
        assert_eq!(lines[1], "{\"done\":true}");
    }

    #[test]
    fn lf_and_crlf_lines() {
        for input in [
            &b"{\"a\":1}\n{\"b\":2}\n"[..],
            b"{\"a\":1}\r\n{\"b\":2}\r\n",
        ] {
            assert_eq!(decode(input), ["{\"a\":1}", "{\"b\":2}"], "{input:?}");
            assert_eq!(bytewise(input), ["{\"a\":1}", "{\"b\":2}"], "{input:?}");
        }
        // A lone CR is not a line end (JSON whitespace, kept).
        assert_eq!(decode(b"{\"a\":\r1}\n"), ["{\"a\":\r1}"]);
    }

    #[test]
    fn blank_lines_are_skipped() {
        assert_eq!(decode(b"\n\n{}\n \t\n\r\n{}\n\n"), ["{}", "{}"]);
        assert_eq!(decode(b""), Vec::<String>::new());
        assert_eq!(decode(b"\n\r\n  "), Vec::<String>::new());
    }

    #[test]
    fn finish_flushes_the_unterminated_last_line() {
        let mut decoder = Poisoning::new(NdjsonDecoder::new());
        let mut out = Vec::new();
        decoder
            .feed(b"{\"a\":1}\n{\"done\":true}", &mut out)
            .unwrap();
        assert_eq!(out, ["{\"a\":1}"]);
        decoder.finish(&mut out).unwrap();
        assert_eq!(out, ["{\"a\":1}", "{\"done\":true}"]);
        // An unterminated last line with a CR: the CR is dropped.
        assert_eq!(decode(b"{}\r"), ["{}"]);
        // Reset for a new stream: the BOM is dropped again.
        decoder.feed(b"\xEF\xBB\xBF{}\n", &mut out).unwrap();
        assert_eq!(out[2], "{}");
    }

    #[test]
    fn bom_only_at_start() {
        assert_eq!(
            decode(b"\xEF\xBB\xBF{}\n\xEF\xBB\xBF{}\n"),
            ["{}", "\u{FEFF}{}"]
        );
        for cut in 1..4 {
            let (out, result) = run(b"\xEF\xBB\xBF{}\n", &[cut], 64);
            result.unwrap();
            assert_eq!(out, ["{}"], "{cut}");
        }
    }

    #[test]
    fn utf8_split_across_reads_and_invalid_utf8() {
        let input = "{\"text\":\"星期一\"}\n".as_bytes();
        for cut in 1..input.len() {
            let (out, result) = run(input, &[cut], 64);
            result.unwrap();
            assert_eq!(out, ["{\"text\":\"星期一\"}"]);
        }
        assert_eq!(decode(b"a\xFFb\n"), ["a\u{FFFD}b"]);
    }

    #[test]
    fn line_limit() {
        // At the limit is fine, CRLF or not; one more byte fails, whole or split.
        assert_eq!(run(b"12345678\r\n", &[], 8).0, ["12345678"]);
        assert_eq!(run(b"12345678\r\n", &[9], 8).0, ["12345678"]);
        assert_eq!(run(b"12345678", &[], 8).0, ["12345678"]);
        for cuts in [vec![], vec![3], vec![4, 9], (1..13).collect()] {
            let (out, result) = run(b"{}\n123456789\n{}\n", &cuts, 8);
            assert_eq!(
                result,
                Err(NdjsonError::LineTooLong { limit: 8 }),
                "{cuts:?}"
            );
            assert_eq!(out, ["{}"], "{cuts:?}");
        }
        // A server that never sends a newline fails as soon as the limit is passed.
        let mut decoder = Poisoning::new(NdjsonDecoder::with_max_line_len(8));
        let mut out = Vec::new();
        decoder.feed(b"12345", &mut out).unwrap();
        let err = decoder.feed(b"6789", &mut out).unwrap_err();
        assert_eq!(err.to_string(), "NDJSON line longer than 8 bytes");
        // Poisoned.
        assert_eq!(decoder.finish(&mut out), Err(err.clone()));
        assert_eq!(decoder.feed(b"\n", &mut out), Err(err));
        assert_eq!(
            NdjsonDecoder::default().max_line_len(),
            DEFAULT_MAX_LINE_LEN
        );
    }
}
