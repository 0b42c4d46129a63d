//! Incremental decoding of a streamed JSON array, Gemini's default streaming body.
//!
//! Without `?alt=sse`, Gemini's `models.streamGenerateContent`
//! (<https://ai.google.dev/api/generate-content>) and Vertex AI stream one JSON array whose
//! elements are `GenerateContentResponse` objects, written as they are generated:
//! `[{…}\n,\n{…}\n]` (see also
//! <https://discuss.google.dev/t/streamgeneratecontent-method-of-gemini-rest-apis-giving-multiple-json-objects/146282>).
//! A whole-body JSON parser would see nothing until the end, so [`JsonArrayDecoder`] scans the
//! bytes as they arrive and emits the raw text of each top-level element **as soon as its
//! closing brace arrives**, for the provider's parser (driven by
//! [`Poisoning`](super::Poisoning), like every [framing](super)).
//!
//! - Whitespace (space, tab, CR, LF) is allowed anywhere between tokens; a UTF-8 byte order
//!   mark at the very start of the body is dropped.
//! - Elements must be objects (or arrays); the decoder tracks nesting, strings and escapes
//!   (`"}"` and `"\""` inside strings do not end an element). It checks the array's own
//!   punctuation (`[`, `,`, `]`) but not the JSON inside elements: that is the provider
//!   parser's job.
//! - Bytes are buffered until their element ends, so a UTF-8 sequence split across reads
//!   decodes intact; invalid UTF-8 is replaced by U+FFFD.
//! - [`finish`](super::Poisoning::finish) checks that the array was closed: a body cut short
//!   (or empty) is [`JsonArrayError::Incomplete`], after the elements that did arrive.
//!
//! The result never depends on how the bytes were split into reads: every split of the same
//! body yields the same elements and the same error, after the same elements.
//!
//! # Limits
//!
//! The decoder holds at most one element. An element longer than the limit
//! ([`DEFAULT_MAX_ELEMENT_LEN`], 1 MiB, unless set with
//! [`JsonArrayDecoder::with_max_element_len`]) fails with [`JsonArrayError::ElementTooLarge`]
//! as soon as its buffered part passes the limit. After an error,
//! [`Poisoning`](super::Poisoning) refuses further input, repeating the error.

use super::FrameDecoder;

/// The default limit of one element, in bytes (1 MiB).
pub(crate) const DEFAULT_MAX_ELEMENT_LEN: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why a streamed JSON array could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonArrayError {
    /// A byte that the array's structure does not allow at that point.
    #[error("streamed JSON array: expected {expected}, found {found} at byte {offset}")]
    Unexpected {
        /// What was allowed there.
        expected: &'static str,
        /// The byte found, as a character, or `\xNN` when not printable ASCII.
        found: String,
        /// Its 0-based offset in the body.
        offset: u64,
    },
    /// One element was longer than the decoder's limit.
    #[error("streamed JSON array element longer than {limit} bytes")]
    ElementTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body ended before the array's closing `]` (or was empty).
    #[error("streamed JSON array ended before its closing bracket")]
    Incomplete,
}

/// Where the decoder is in the array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[` (BOM and whitespace allowed).
    Start,
    /// After `[`: the first element or `]`.
    FirstValueOrEnd,
    /// After `,`: an element.
    Value,
    /// Inside an element.
    Element,
    /// After an element: `,` or `]`.
    CommaOrEnd,
    /// After the closing `]`: only whitespace.
    Done,
}

/// An incremental, bounded decoder of a streamed JSON array of objects. See the [module
/// documentation](self) for the rules it follows.
#[derive(Debug, Clone)]
pub(crate) struct JsonArrayDecoder {
    state: State,
    /// Bytes of an element whose end has not arrived yet.
    element: Vec<u8>,
    /// Nesting depth inside the current element (1 just after its opening brace).
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Bytes of the body seen in earlier reads.
    offset: u64,
    /// How many bytes of a BOM the body started with (0 to 3).
    bom_bytes: usize,
    max_element_len: usize,
}

impl Default for JsonArrayDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonArrayDecoder {
    /// A decoder with the default element limit ([`DEFAULT_MAX_ELEMENT_LEN`]).
    pub(crate) fn new() -> Self {
        Self::with_max_element_len(DEFAULT_MAX_ELEMENT_LEN)
    }

    /// A decoder whose element limit is `max_element_len` bytes.
    pub(crate) fn with_max_element_len(max_element_len: usize) -> Self {
        JsonArrayDecoder {
            state: State::Start,
            element: Vec::new(),
            depth: 0,
            in_string: false,
            escape: false,
            offset: 0,
            bom_bytes: 0,
            max_element_len,
        }
    }

    /// The limit of one element, in bytes.
    #[cfg(test)]
    pub(crate) fn max_element_len(&self) -> usize {
        self.max_element_len
    }
}

impl FrameDecoder for JsonArrayDecoder {
    type Frame = String;
    type Error = JsonArrayError;

    /// Follows the array's punctuation byte by byte and scans elements, emitting each one
    /// whose closing brace arrives; buffers the rest of an unfinished element.
    fn decode(&mut self, bytes: &[u8], out: &mut Vec<String>) -> Result<(), JsonArrayError> {
        let mut i = 0;
        while i < bytes.len() {
            if self.state == State::Element {
                i = self.scan_element(bytes, i, out)?;
                continue;
            }
            let b = bytes[i];
            let at = i;
            i += 1;
            if self.state == State::Start && self.offset + (at as u64) < 3 {
                // A BOM is allowed only as the very first bytes of the body.
                let matched = self.offset as usize + at;
                if b == BOM[matched] && (matched == 0 || self.bom_bytes == matched) {
                    self.bom_bytes = matched + 1;
                    continue;
                }
                if self.bom_bytes > 0 && self.bom_bytes < 3 {
                    return Err(self.unexpected("the rest of a byte order mark", b, at));
                }
            }
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                continue;
            }
            match self.state {
                State::Start => {
                    if b != b'[' {
                        return Err(self.unexpected("'[' (a JSON array)", b, at));
                    }
                    self.state = State::FirstValueOrEnd;
                }
                State::FirstValueOrEnd | State::Value => {
                    if b == b']' && self.state == State::FirstValueOrEnd {
                        self.state = State::Done;
                    } else if b == b'{' || b == b'[' {
                        self.state = State::Element;
                        self.depth = 0;
                        self.in_string = false;
                        self.escape = false;
                        i = at; // the element scanner takes its opening brace
                    } else {
                        return Err(self.unexpected("an object", b, at));
                    }
                }
                State::CommaOrEnd => match b {
                    b',' => self.state = State::Value,
                    b']' => self.state = State::Done,
                    _ => return Err(self.unexpected("',' or ']'", b, at)),
                },
                State::Done => return Err(self.unexpected("nothing after ']'", b, at)),
                State::Element => {}
            }
        }
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Fails with [`JsonArrayError::Incomplete`] unless the array was closed; otherwise
    /// resets for a new body (the limit is kept).
    fn end(&mut self, _out: &mut Vec<String>) -> Result<(), JsonArrayError> {
        if self.state != State::Done {
            return Err(JsonArrayError::Incomplete);
        }
        self.state = State::Start;
        self.offset = 0;
        self.bom_bytes = 0;
        Ok(())
    }

    /// Drops the partial element.
    fn release(&mut self) {
        self.element = Vec::new();
    }
}

impl JsonArrayDecoder {
    /// The error for `byte`, at `at` in the current read, where `expected` was due.
    fn unexpected(&self, expected: &'static str, byte: u8, at: usize) -> JsonArrayError {
        let found = if byte.is_ascii_graphic() {
            format!("'{}'", char::from(byte))
        } else {
            format!("\\x{byte:02X}")
        };
        JsonArrayError::Unexpected {
            expected,
            found,
            offset: self.offset + at as u64,
        }
    }

    /// Scans element bytes from `bytes[start..]`; returns where scanning stopped (after the
    /// element's closing brace, or the end of the read).
    fn scan_element(
        &mut self,
        bytes: &[u8],
        start: usize,
        out: &mut Vec<String>,
    ) -> Result<usize, JsonArrayError> {
        let mut end = None;
        for (i, &b) in bytes.iter().enumerate().skip(start) {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        let stop = end.unwrap_or(bytes.len());
        let part = &bytes[start..stop];
        if self.element.len() + part.len() > self.max_element_len {
            return Err(JsonArrayError::ElementTooLarge {
                limit: self.max_element_len,
            });
        }
        if end.is_some() {
            if self.element.is_empty() {
                out.push(lossy(part));
            } else {
                self.element.extend_from_slice(part);
                out.push(lossy(&self.element));
                self.element.clear();
            }
            self.state = State::CommaOrEnd;
        } else {
            self.element.extend_from_slice(part);
        }
        Ok(stop)
    }
}

fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// The unfinished element.
#[cfg(any(test, feature = "fuzzing"))]
impl super::hostile::Bounded for JsonArrayDecoder {
    fn buffers(&self) -> Vec<(&'static str, usize, usize)> {
        vec![("element", self.element.len(), self.max_element_len)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::splits::{self, bytewise};
    use crate::framing::Poisoning;
    use proptest::prelude::*;

    type Run = (Vec<String>, Result<(), JsonArrayError>);

    /// Decodes `input` split at the given offsets (sorted, in range), plus `finish`.
    fn run(input: &[u8], cuts: &[usize], limit: usize) -> Run {
        splits::run(JsonArrayDecoder::with_max_element_len(limit), input, cuts)
    }

    fn decode(input: &[u8]) -> Run {
        run(input, &[], DEFAULT_MAX_ELEMENT_LEN)
    }

    #[test]
    fn module_example() {
        let mut decoder = Poisoning::new(JsonArrayDecoder::new());
        let mut elements = Vec::new();
        decoder
            .feed(b"[{\"text\": \"a}\"}\n,\n{\"te", &mut elements)
            .unwrap();
        assert_eq!(elements, ["{\"text\": \"a}\"}"]);
        decoder.feed(b"xt\": \"b\"}\n]", &mut elements).unwrap();
        assert_eq!(elements[1], "{\"text\": \"b\"}");
        decoder.finish(&mut elements).unwrap();
    }

    #[test]
    fn gemini_shape() {
        let input = b"[{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Banana\"}]}}]\n}\n,\n{\"usageMetadata\": {\"promptTokenCount\": 3}}\n]";
        let (out, result) = decode(input);
        result.unwrap();
        assert_eq!(out.len(), 2);
        assert!(out[0].starts_with('{') && out[0].ends_with('}'));
        assert_eq!(out[1], "{\"usageMetadata\": {\"promptTokenCount\": 3}}");
        assert_eq!(run(input, &bytewise(input.len()), 1 << 20).0, out);
    }

    #[test]
    fn element_emitted_when_its_closing_brace_arrives() {
        let mut decoder = Poisoning::new(JsonArrayDecoder::new());
        let mut out = Vec::new();
        decoder.feed(b"[{\"a\":{\"b\":[1,{}]}", &mut out).unwrap();
        assert!(out.is_empty());
        decoder.feed(b"}", &mut out).unwrap();
        assert_eq!(out, ["{\"a\":{\"b\":[1,{}]}}"]);
        decoder.feed(b",{}]", &mut out).unwrap();
        decoder.finish(&mut out).unwrap();
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn strings_and_escapes_do_not_end_elements() {
        let input = br#"[{"t":"}]{[\"\\"},{"u":"\\\"}"}]"#;
        let (out, result) = decode(input);
        result.unwrap();
        assert_eq!(out, [r#"{"t":"}]{[\"\\"}"#, r#"{"u":"\\\"}"}"#]);
        for cut in 1..input.len() {
            assert_eq!(run(input, &[cut], 64).0, out, "{cut}");
        }
    }

    #[test]
    fn empty_array_whitespace_bom_and_arrays_as_elements() {
        assert_eq!(decode(b" \r\n[ ] \n"), (vec![], Ok(())));
        assert_eq!(decode(b"\xEF\xBB\xBF[{}]").0, ["{}"]);
        assert_eq!(decode(b"[[1,2],{}]").0, ["[1,2]", "{}"]);
        let utf8 = "[{\"text\":\" 🍌 \"}]".as_bytes();
        for cut in 1..utf8.len() {
            assert_eq!(run(utf8, &[cut], 64).0, ["{\"text\":\" 🍌 \"}"]);
        }
    }

    #[test]
    fn structure_errors() {
        let unexpected = |input: &[u8]| match decode(input).1 {
            Err(JsonArrayError::Unexpected { .. }) => {}
            other => panic!("{input:?}: {other:?}"),
        };
        unexpected(b"{\"a\":1}");
        unexpected(b"[1]");
        unexpected(b"[{},]");
        unexpected(b"[{}{}]");
        unexpected(b"[{}] x");
        unexpected(b"[,{}]");
        unexpected(b" \xEF\xBB\xBF[]");
        unexpected(b"\xEF\xBB[]");
        let (out, result) = decode(b"[{\"a\":1},\n x");
        assert_eq!(out, ["{\"a\":1}"]);
        assert_eq!(
            result.unwrap_err().to_string(),
            "streamed JSON array: expected an object, found 'x' at byte 11"
        );
    }

    #[test]
    fn cut_short_is_incomplete_after_the_complete_elements() {
        for input in [&b""[..], b"[", b"[{}", b"[{}, {\"a\":", b"[{},"] {
            let (out, result) = decode(input);
            assert_eq!(result, Err(JsonArrayError::Incomplete), "{input:?}");
            assert_eq!(out.len(), usize::from(input.len() > 2), "{input:?}");
        }
    }

    #[test]
    fn element_limit_and_poisoning() {
        assert_eq!(run(b"[{\"a\":1}]", &[], 7).1, Ok(()));
        for cuts in [vec![], vec![3], (1..12).collect()] {
            let (out, result) = run(b"[{}, {\"ab\":1}]", &cuts, 7);
            assert_eq!(
                result,
                Err(JsonArrayError::ElementTooLarge { limit: 7 }),
                "{cuts:?}"
            );
            assert_eq!(out, ["{}"]);
        }
        let mut decoder = Poisoning::new(JsonArrayDecoder::with_max_element_len(4));
        let mut out = Vec::new();
        let err = decoder.feed(b"[{\"abc", &mut out).unwrap_err();
        assert_eq!(decoder.feed(b"\"}]", &mut out), Err(err.clone()));
        assert_eq!(decoder.finish(&mut out), Err(err));
        assert_eq!(
            JsonArrayDecoder::default().max_element_len(),
            DEFAULT_MAX_ELEMENT_LEN
        );
    }

    #[test]
    fn finish_resets_for_a_new_body() {
        let mut decoder = Poisoning::new(JsonArrayDecoder::new());
        let mut out = Vec::new();
        decoder.feed(b"[{}]", &mut out).unwrap();
        decoder.finish(&mut out).unwrap();
        decoder.feed(b"\xEF\xBB\xBF[{\"b\":2}]", &mut out).unwrap();
        decoder.finish(&mut out).unwrap();
        assert_eq!(out, ["{}", "{\"b\":2}"]);
    }

    proptest! {
        #[test]
        fn well_formed_arrays_round_trip(
            texts in prop::collection::vec("[ -~é🍌\n]{0,10}", 0..6),
            raw_cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let elements: Vec<String> = texts
                .iter()
                .map(|t| serde_json::json!({"candidates": [{"content": {"parts": [{"text": t}]}}]}).to_string())
                .collect();
            let input = format!("[{}]", elements.join("\n,\n")).into_bytes();
            let mut cuts: Vec<usize> = raw_cuts.iter().map(|i| i.index(input.len() + 1)).collect();
            cuts.sort_unstable();
            let (out, result) = run(&input, &cuts, DEFAULT_MAX_ELEMENT_LEN);
            prop_assert_eq!(result, Ok(()));
            prop_assert_eq!(out, elements);
        }
    }
}
