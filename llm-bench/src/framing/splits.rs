//! Read splits, for the tests of every framing: [`run`] feeds a body in given reads, and
//! [`every_read_split_gives_the_same_frames`] checks, for all four decoders, the promise of
//! the [framing layer](super): how a body is split into reads never changes its frames, nor
//! its error.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

use super::eventstream::{self, EventStreamDecoder, HeaderValue, Message};
use super::json_array::{self, JsonArrayDecoder};
use super::ndjson::{self, NdjsonDecoder};
use super::sse::{self, SseDecoder};
use super::{FrameDecoder, Poisoning};

/// What a decoder made of a body: the frames, and `Ok` or the first error.
pub(crate) type Outcome<D> = (
    Vec<<D as FrameDecoder>::Frame>,
    Result<(), <D as FrameDecoder>::Error>,
);

/// Feeds `input` to `decoder` (wrapped in [`Poisoning`]) in reads that end at `cuts` (sorted,
/// in range) and at the end of `input`, then finishes the body. Stops at the first error.
pub(crate) fn run<D: FrameDecoder>(decoder: D, input: &[u8], cuts: &[usize]) -> Outcome<D> {
    let mut decoder = Poisoning::new(decoder);
    let mut out = Vec::new();
    let mut start = 0;
    let mut result = Ok(());
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        result = result.and_then(|()| decoder.feed(&input[start..cut], &mut out));
        start = cut;
    }
    result = result.and_then(|()| decoder.finish(&mut out));
    (out, result)
}

/// The cuts that feed a body of `len` bytes one byte per read.
pub(crate) fn bytewise(len: usize) -> Vec<usize> {
    (1..len).collect()
}

/// The property, for one decoder: for every body of `bodies` and limit of `limits`, any split
/// into reads, and the byte-by-byte split, give what the whole body in one read gives.
fn same_frames_for_every_split<D>(
    name: &str,
    decoder: impl Fn(usize) -> D,
    bodies: impl Strategy<Value = Vec<u8>>,
    limits: impl Strategy<Value = usize>,
) where
    D: FrameDecoder,
    D::Frame: PartialEq + Debug,
    D::Error: PartialEq,
{
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let cuts = prop::collection::vec(any::<Index>(), 0..12);
    let result =
        TestRunner::new(config).run(&(bodies, limits, cuts), |(input, limit, raw_cuts)| {
            let mut cuts: Vec<usize> = raw_cuts.iter().map(|i| i.index(input.len() + 1)).collect();
            cuts.sort_unstable();
            let whole = run(decoder(limit), &input, &[]);
            let split = run(decoder(limit), &input, &cuts);
            prop_assert_eq!(&split, &whole, "reads ending at {:?}", cuts);
            let one_by_one = run(decoder(limit), &input, &bytewise(input.len()));
            prop_assert_eq!(&one_by_one, &whole, "byte by byte");
            Ok(())
        });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn every_read_split_gives_the_same_frames() {
    same_frames_for_every_split(
        "sse",
        SseDecoder::with_max_line_len,
        bodies(sse_piece()),
        prop_oneof![Just(sse::DEFAULT_MAX_LINE_LEN), 8usize..40],
    );
    same_frames_for_every_split(
        "ndjson",
        NdjsonDecoder::with_max_line_len,
        bodies(ndjson_piece()),
        prop_oneof![Just(ndjson::DEFAULT_MAX_LINE_LEN), 4usize..40],
    );
    same_frames_for_every_split(
        "json_array",
        JsonArrayDecoder::with_max_element_len,
        prop_oneof![bodies(json_array_piece()), json_arrays()],
        prop_oneof![Just(json_array::DEFAULT_MAX_ELEMENT_LEN), 2usize..30],
    );
    same_frames_for_every_split(
        "eventstream",
        EventStreamDecoder::with_max_frame_len,
        prop_oneof![
            3 => event_streams(),
            1 => prop::collection::vec(any::<u8>(), 0..64),
        ],
        prop_oneof![Just(eventstream::DEFAULT_MAX_FRAME_LEN), 16usize..80],
    );
}

/// Bodies of up to 40 pieces.
pub(super) fn bodies(piece: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// SSE pieces that stress the rules: every line end, BOM, comments, split UTF-8, fields.
pub(super) fn sse_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"data".to_vec()),
        Just(b"event: ping".to_vec()),
        Just(b"id: 4".to_vec()),
        Just(b"retry: 10".to_vec()),
        Just(b": comment".to_vec()),
        Just(b"foo: bar".to_vec()),
        Just("звезда ✓ \u{2028}".as_bytes().to_vec()),
        Just(b"\xFF\xE2\x82".to_vec()),
        Just(b"{\"a\":[1,2]}".to_vec()),
        Just(b"[DONE]".to_vec()),
        "[ -~]{0,12}".prop_map(String::into_bytes),
    ]
}

/// NDJSON pieces: line ends, blank lines, BOM, split and invalid UTF-8.
pub(super) fn ndjson_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"{\"message\":{\"content\":\"Hi\"},\"done\":false}".to_vec()),
        Just("星期一 \u{2028}".as_bytes().to_vec()),
        Just(b"\xFF\xE2\x82".to_vec()),
        "[ -~]{0,12}".prop_map(String::into_bytes),
    ]
}

/// JSON-array pieces: the array's punctuation, nesting, strings and escapes, BOM, UTF-8.
pub(super) fn json_array_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"\\\"".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"{\"text\": \"a}\\\"b\"}".to_vec()),
        Just("🍌 星".as_bytes().to_vec()),
        Just(b"\xFF".to_vec()),
        "[ -~]{0,8}".prop_map(String::into_bytes),
    ]
}

/// Well-formed streamed arrays of Gemini-shaped chunks.
pub(super) fn json_arrays() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop::collection::vec("[ -~é🍌\n]{0,10}", 0..6).prop_map(|texts| {
        let elements: Vec<String> = texts
            .iter()
            .map(|t| {
                serde_json::json!({"candidates": [{"content": {"parts": [{"text": t}]}}]})
                    .to_string()
            })
            .collect();
        format!("[{}]", elements.join("\n,\n")).into_bytes()
    })
}

/// Event streams of valid frames, with one bit flipped in about half of them.
pub(super) fn event_streams() -> impl Strategy<Value = Vec<u8>> {
    let payloads = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..6);
    (payloads, prop::option::of(any::<Index>())).prop_map(|(payloads, flip)| {
        let mut body: Vec<u8> = payloads
            .into_iter()
            .flat_map(|p| {
                Message::new(p)
                    .with_header(":event-type", HeaderValue::String("chunk".into()))
                    .encode()
                    .unwrap_or_default()
            })
            .collect();
        if let Some(i) = flip.filter(|_| !body.is_empty()) {
            let at = i.index(body.len());
            body[at] ^= 0x80;
        }
        body
    })
}
