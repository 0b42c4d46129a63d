//! Hostile input to every framing decoder: random bytes, and valid streams mutated
//! ([`mutate`](super::mutate)), each fed whole, split at random points and byte by byte
//! ([`check_splits`]): no panic, the same frames and error for every split, and no buffer
//! over its limit. Limits are the defaults or small ones, so that huge lines and frames
//! break them. The providers' `hostile_tests` do the same with the recorded corpus.

use proptest::prelude::*;

use super::eventstream::{self, EventStreamDecoder, Header, HeaderValue, Message};
use super::hostile::{check_splits, run_bounded};
use super::json_array::{self, JsonArrayDecoder, JsonArrayError};
use super::mutate::{cuts, mutated, property, resolve};
use super::ndjson::{self, NdjsonDecoder, NdjsonError};
use super::splits;
use super::sse::{self, SseDecoder, SseError};
use super::FrameDecoder;

/// Cases per property and body kind.
const CASES: u32 = 48;
/// Bodies up to this length are also fed byte by byte.
const BYTEWISE_UP_TO: usize = 4096;
/// The longest run a huge-line mutation inserts (the small limits are below it).
const HUGE: usize = 3000;

/// Random bytes, random sequences of the framing's own pieces, and mutated valid streams.
fn hostile(
    pieces: impl Strategy<Value = Vec<u8>> + 'static,
    valid: impl Strategy<Value = Vec<u8>> + Clone + 'static,
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..600),
        1 => splits::bodies(pieces),
        1 => valid.clone(),
        4 => mutated(valid, HUGE),
    ]
}

/// A limit: the default, or a small one that real lines pass.
fn limits(default: usize) -> impl Strategy<Value = usize> {
    prop_oneof![Just(default), 1usize..64, 64usize..2048]
}

/// The property for one decoder over `bodies`.
fn hostile_splits<D>(
    name: &str,
    make: impl Fn(usize) -> D,
    bodies: impl Strategy<Value = Vec<u8>>,
    limits: impl Strategy<Value = usize>,
) where
    D: FrameDecoder + super::hostile::Bounded,
    D::Frame: PartialEq + std::fmt::Debug,
    D::Error: PartialEq,
{
    property(
        name,
        CASES * 4,
        (bodies, limits, cuts()),
        |(body, limit, raw)| {
            let cuts = resolve(&raw, body.len());
            let bytewise = body.len() <= BYTEWISE_UP_TO;
            check_splits(|| make(limit), &body, &cuts, bytewise)
        },
    );
}

#[test]
fn sse_survives_hostile_input() {
    hostile_splits(
        "sse",
        SseDecoder::with_max_line_len,
        hostile(splits::sse_piece(), sse_streams()),
        limits(sse::DEFAULT_MAX_LINE_LEN),
    );
}

#[test]
fn ndjson_survives_hostile_input() {
    hostile_splits(
        "ndjson",
        NdjsonDecoder::with_max_line_len,
        hostile(splits::ndjson_piece(), ndjson_streams()),
        limits(ndjson::DEFAULT_MAX_LINE_LEN),
    );
}

#[test]
fn json_array_survives_hostile_input() {
    hostile_splits(
        "json_array",
        JsonArrayDecoder::with_max_element_len,
        hostile(splits::json_array_piece(), splits::json_arrays()),
        limits(json_array::DEFAULT_MAX_ELEMENT_LEN),
    );
}

#[test]
fn eventstream_survives_hostile_input() {
    hostile_splits(
        "eventstream",
        EventStreamDecoder::with_max_frame_len,
        hostile(splits::event_streams(), event_streams()),
        limits(eventstream::DEFAULT_MAX_FRAME_LEN),
    );
}

/// Valid SSE streams: events with a type, several data lines, an id, comments, one line-end
/// style, maybe a BOM.
fn sse_streams() -> impl Strategy<Value = Vec<u8>> + Clone {
    let event = (
        prop::option::of("[a-z_.]{1,12}"),
        prop::collection::vec("[ -~é✓🍌]{0,24}", 1..4),
        prop::option::of("[0-9]{1,4}"),
        any::<bool>(),
    );
    let styles = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    (prop::collection::vec(event, 0..12), styles, any::<bool>()).prop_map(|(events, eol, bom)| {
        let mut out = String::new();
        if bom {
            out.push('\u{FEFF}');
        }
        for (name, data, id, comment) in events {
            if comment {
                out.push_str(": keep-alive");
                out.push_str(eol);
            }
            if let Some(name) = name {
                out.push_str(&format!("event: {name}{eol}"));
            }
            for line in data {
                out.push_str(&format!("data: {line}{eol}"));
            }
            if let Some(id) = id {
                out.push_str(&format!("id: {id}{eol}"));
            }
            out.push_str(eol);
        }
        out.into_bytes()
    })
}

/// Valid NDJSON streams of Ollama-shaped lines, LF or CRLF, with blank lines.
fn ndjson_streams() -> impl Strategy<Value = Vec<u8>> + Clone {
    let line = ("[ -~é🍌\n]{0,16}", any::<bool>(), any::<bool>());
    (
        prop::collection::vec(line, 0..10),
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(lines, eol)| {
            let mut out = String::new();
            for (text, done, blank) in lines {
                let json = serde_json::json!({"message": {"content": text}, "done": done});
                out.push_str(&format!("{json}{eol}"));
                if blank {
                    out.push_str(eol);
                }
            }
            out.into_bytes()
        })
}

/// Valid event streams: frames with headers of every type and JSON payloads.
fn event_streams() -> impl Strategy<Value = Vec<u8>> + Clone {
    let value = prop_oneof![
        any::<bool>().prop_map(HeaderValue::Bool),
        any::<i8>().prop_map(HeaderValue::Byte),
        any::<i16>().prop_map(HeaderValue::Short),
        any::<i32>().prop_map(HeaderValue::Int),
        any::<i64>().prop_map(HeaderValue::Long),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(HeaderValue::Bytes),
        "[ -~é]{0,12}".prop_map(HeaderValue::String),
        any::<i64>().prop_map(HeaderValue::Timestamp),
        any::<[u8; 16]>().prop_map(HeaderValue::Uuid),
    ];
    let header = ("[:a-z-]{1,14}", value).prop_map(|(name, value)| Header { name, value });
    let frame = (prop::collection::vec(header, 0..4), "[ -~é]{0,40}");
    prop::collection::vec(frame, 0..6).prop_map(|frames| {
        frames
            .into_iter()
            .flat_map(|(headers, text)| {
                let payload = serde_json::json!({"delta": {"text": text}}).to_string();
                Message {
                    headers,
                    payload: payload.into_bytes(),
                }
                .encode()
                .unwrap_or_default()
            })
            .collect()
    })
}

/// A line of `len` bytes of `x` with no line end, after a valid first line.
fn unterminated(first: &[u8], len: usize) -> Vec<u8> {
    let mut body = first.to_vec();
    body.resize(first.len() + len, b'x');
    body
}

/// Reads of 64 KiB, as a socket delivers them.
fn socket_cuts(len: usize) -> Vec<usize> {
    (1..=len / 65_536).map(|i| i * 65_536).collect()
}

#[test]
fn a_huge_line_fails_at_the_default_limits_without_buffering_it() {
    let over = sse::DEFAULT_MAX_LINE_LEN + 1;
    let body = unterminated(b"data: a\n\n", over);
    let cuts = socket_cuts(body.len());
    check_splits(SseDecoder::new, &body, &cuts, false).unwrap();
    let (frames, result) = run_bounded(SseDecoder::new(), &body, &cuts).unwrap();
    assert_eq!(frames.len(), 1);
    let limit = sse::DEFAULT_MAX_LINE_LEN;
    assert_eq!(result, Err(SseError::LineTooLong { limit }));

    let body = unterminated(b"{}\n", over);
    check_splits(NdjsonDecoder::new, &body, &socket_cuts(body.len()), false).unwrap();
    let (_, result) = run_bounded(NdjsonDecoder::new(), &body, &[]).unwrap();
    let limit = ndjson::DEFAULT_MAX_LINE_LEN;
    assert_eq!(result, Err(NdjsonError::LineTooLong { limit }));

    let mut body = b"[{\"a\": \"".to_vec();
    body.resize(json_array::DEFAULT_MAX_ELEMENT_LEN + 16, b'x');
    check_splits(
        JsonArrayDecoder::new,
        &body,
        &socket_cuts(body.len()),
        false,
    )
    .unwrap();
    let (_, result) = run_bounded(JsonArrayDecoder::new(), &body, &[]).unwrap();
    let limit = json_array::DEFAULT_MAX_ELEMENT_LEN;
    assert_eq!(result, Err(JsonArrayError::ElementTooLarge { limit }));
}

#[test]
fn an_eventstream_prelude_announcing_a_huge_frame_fails_before_its_body() {
    // A valid prelude (its CRC right) announcing 4 GiB: refused after its 12 bytes.
    let mut prelude = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0].to_vec();
    let crc = crc32fast::hash(&prelude);
    prelude.extend_from_slice(&crc.to_be_bytes());
    let body = unterminated(&prelude, 100_000);
    check_splits(EventStreamDecoder::new, &body, &[5, 12, 13], true).unwrap();
    let (frames, result) = run_bounded(EventStreamDecoder::new(), &body, &[]).unwrap();
    assert!(frames.is_empty());
    assert!(
        matches!(
            result,
            Err(eventstream::EventStreamError::FrameTooLarge { len: u32::MAX, .. })
        ),
        "{result:?}"
    );
}

/// Regression: the event-data limit counted a `data` value's raw bytes but kept it decoded,
/// each invalid byte a 3-byte U+FFFD, so the data held up to three times the limit.
#[test]
fn sse_event_data_limit_counts_decoded_bytes() {
    let decoder = || SseDecoder::with_max_line_len(16);
    let body = b"data: \xFF\xFF\xFF\xFF\xFF\xFF\n\n";
    let (frames, result) = run_bounded(decoder(), body, &[]).unwrap();
    assert!(frames.is_empty(), "{frames:?}");
    assert_eq!(result, Err(SseError::EventTooLarge { limit: 16 }));
    check_splits(decoder, body, &[7, 9], true).unwrap();
    // Five invalid bytes decode to 15 bytes: within the limit.
    let (frames, result) = run_bounded(decoder(), b"data: \xFF\xFF\xFF\xFF\xFF\n\n", &[]).unwrap();
    assert_eq!(result, Ok(()));
    assert_eq!(frames[0].data, "\u{FFFD}".repeat(5));
}
