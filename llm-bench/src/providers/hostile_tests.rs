//! Hostile input to every provider's parse path: each recorded stream of the corpus (read by
//! `corpus_tests`' loader), mutated (`framing::mutate`: flips, insertions, deletions,
//! duplicated chunks, truncation, line-end rewrites, invalid UTF-8, huge lines), fed whole,
//! split at random points and (when short) byte by byte, through
//!
//! - its framing decoder: no panic, the same frames or error, no buffer over its limit;
//! - [`StreamParser`]: the same deltas and the same error;
//! - the client's loop ([`StreamState::apply`] over the format's parser, as `replay` runs
//!   it): the same completion or error, and the same recorded output.
//!
//! Limits are the defaults or small ones that the recorded lines and frames break. A
//! generic provider (`GenericSpec`, SSE and NDJSON) runs the client's loop over the same
//! mutated streams. Without the corpus the tests print why and pass (`CI=true`: fail), as
//! the corpus tests do.

use proptest::prelude::*;
use quanta::Instant;

use super::api::BodyParser;
use super::corpus_tests::{load, FILES};
use super::generic::{GenericFraming, GenericSpec};
use super::registry;
use super::stream::{Completion, StreamState};
use super::wire::{Framing, StreamParser, WireFormat};
use super::Provider;
use crate::delta::{Delta, Usage};
use crate::framing::eventstream::EventStreamDecoder;
use crate::framing::hostile::check_splits;
use crate::framing::json_array::JsonArrayDecoder;
use crate::framing::mutate::{cuts, mutated, property, resolve};
use crate::framing::ndjson::NdjsonDecoder;
use crate::framing::sse::SseDecoder;
use crate::metrics::Recorder;

/// Mutated cases per recorded stream.
const CASES_PER_STREAM: u32 = 10;
/// Bodies up to this length are also fed byte by byte.
const BYTEWISE_UP_TO: usize = 6 * 1024;
/// The longest run a huge-line mutation inserts (over the small limits).
const HUGE: usize = 5000;

/// One corpus stream: its file, format (`None` for the framing-only edge cases, read as
/// SSE) and bytes.
struct Recorded {
    file: &'static str,
    format: Option<WireFormat>,
    bytes: Vec<u8>,
}

impl Recorded {
    /// How the stream is framed.
    fn framing(&self) -> Framing {
        self.format.map_or(Framing::Sse, WireFormat::framing)
    }
}

/// The corpus streams of `framing` (none when the corpus is absent).
fn recorded(framing: Framing) -> Vec<Recorded> {
    FILES
        .iter()
        .filter_map(|&file| {
            let (bytes, sidecar) = load(file)?;
            let wire = sidecar["wire_format"].as_str().unwrap_or_default();
            let format = WireFormat::from_corpus_name(wire);
            assert!(
                format.is_some() || wire == "none",
                "{file}: no parser for {wire:?}"
            );
            Some(Recorded {
                file,
                format,
                bytes,
            })
        })
        .filter(|r| r.framing() == framing)
        .collect()
}

/// What one parse gave: every delta, and `Ok` or the error's message.
type Parsed = (Vec<Delta>, Result<(), String>);

/// Feeds `body` to a fresh parser of `format` (framing limit `limit`) in reads ending at
/// `cuts`, then finishes; stops at the first error.
fn parse(format: WireFormat, limit: usize, body: &[u8], cuts: &[usize]) -> Parsed {
    let mut parser = StreamParser::with_max_unit_len(format, limit);
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
        if let Err(e) = parser.feed(&body[start..cut], &mut out) {
            return (out, Err(e.to_string()));
        }
        start = cut;
    }
    let result = parser.finish(&mut out).map_err(|e| e.to_string());
    (out, result)
}

/// What the client's loop made of a body: the completion or the error's message, and what
/// the recorder counted (output events, output tokens, usage).
type Received = (
    Result<Completion, String>,
    (u32, Option<u64>, Option<Usage>),
);

/// Runs `body` through the client's loop ([`StreamState::apply`], as `replay` does) over
/// `parser`, in reads ending at `cuts`: stops at the terminator or the first error.
fn receive(mut parser: Box<dyn BodyParser>, body: &[u8], cuts: &[usize]) -> Received {
    let start = Instant::now();
    let mut rec = Recorder::new(start, false);
    let mut state = StreamState::default();
    let mut from = 0;
    let reads = cuts
        .iter()
        .chain(std::iter::once(&body.len()))
        .map(|&cut| {
            let read = Some(&body[from..cut]);
            from = cut;
            read
        })
        .chain(std::iter::once(None))
        .collect::<Vec<_>>();
    let mut result = Ok(());
    for read in reads {
        match state.apply(parser.as_mut(), read, Instant::now(), &mut rec) {
            Ok(false) => {}
            Ok(true) => break,
            Err(e) => {
                result = Err(e.to_string());
                break;
            }
        }
    }
    rec.end(Instant::now());
    let sample = rec.finish(0, start, |_, _| {});
    let counted = (sample.output_events, sample.output_tokens, sample.usage);
    (result.map(|()| state.completion), counted)
}

/// The property, for one mutated body: the framing, the stream parser and the client's loop
/// each give the same result for every split. `Err` says which did not.
fn check_body(stream: &Recorded, limit: usize, body: &[u8], cuts: &[usize]) -> Result<(), String> {
    let bytewise = body.len() <= BYTEWISE_UP_TO;
    match stream.framing() {
        Framing::Sse => check_splits(
            || SseDecoder::with_max_line_len(limit),
            body,
            cuts,
            bytewise,
        ),
        Framing::Ndjson => check_splits(
            || NdjsonDecoder::with_max_line_len(limit),
            body,
            cuts,
            bytewise,
        ),
        Framing::JsonArray => check_splits(
            || JsonArrayDecoder::with_max_element_len(limit),
            body,
            cuts,
            bytewise,
        ),
        Framing::EventStream => check_splits(
            || EventStreamDecoder::with_max_frame_len(limit),
            body,
            cuts,
            bytewise,
        ),
    }
    .map_err(|e| format!("framing: {e}"))?;
    let Some(format) = stream.format else {
        return Ok(());
    };
    let whole = parse(format, limit, body, &[]);
    let split = parse(format, limit, body, cuts);
    if split != whole {
        return Err(format!(
            "parser, reads ending at {cuts:?}: {split:?}, one read: {whole:?}"
        ));
    }
    if bytewise {
        let bytes: Vec<usize> = (1..body.len()).collect();
        let one_by_one = parse(format, limit, body, &bytes);
        if one_by_one != whole {
            return Err(format!(
                "parser, byte by byte: {one_by_one:?}, one read: {whole:?}"
            ));
        }
    }
    let client = |cuts: &[usize]| {
        receive(
            Box::new(StreamParser::with_max_unit_len(format, limit)),
            body,
            cuts,
        )
    };
    let (whole, split) = (client(&[]), client(cuts));
    if split != whole {
        return Err(format!(
            "client, reads ending at {cuts:?}: {split:?}, one read: {whole:?}"
        ));
    }
    Ok(())
}

/// Runs [`check_body`] on mutated copies of every recorded stream of `framing`.
fn hostile_corpus(framing: Framing) {
    for stream in recorded(framing) {
        let limit = prop_oneof![
            2 => Just(crate::framing::sse::DEFAULT_MAX_LINE_LEN),
            1 => 16usize..4096,
        ];
        let body = mutated(Just(stream.bytes.clone()), HUGE);
        property(
            stream.file,
            CASES_PER_STREAM,
            (body, limit, cuts()),
            |(body, limit, raw)| check_body(&stream, limit, &body, &resolve(&raw, body.len())),
        );
    }
}

#[test]
fn mutated_sse_streams_parse_the_same_for_every_split() {
    hostile_corpus(Framing::Sse);
}

#[test]
fn mutated_ndjson_streams_parse_the_same_for_every_split() {
    hostile_corpus(Framing::Ndjson);
}

#[test]
fn mutated_json_array_streams_parse_the_same_for_every_split() {
    hostile_corpus(Framing::JsonArray);
}

#[test]
fn mutated_eventstreams_parse_the_same_for_every_split() {
    hostile_corpus(Framing::EventStream);
}

/// A generic provider reading OpenAI-Chat-shaped events (SSE) or Ollama-shaped lines
/// (NDJSON), with a `[DONE]` marker or a `/done` pointer.
fn generic_spec(framing: GenericFraming) -> GenericSpec {
    let sse = framing == GenericFraming::Sse;
    GenericSpec {
        framing,
        text: Some(
            if sse {
                "/choices/0/delta/content"
            } else {
                "/message/content"
            }
            .into(),
        ),
        reasoning: Some("/choices/0/delta/reasoning_content".into()),
        prompt_tokens: Some("/usage/prompt_tokens".into()),
        completion_tokens: Some("/usage/completion_tokens".into()),
        error: Some("/error".into()),
        done: Some(if sse { "[DONE]" } else { "/done" }.into()),
        ..GenericSpec::default()
    }
}

#[test]
fn a_generic_provider_parses_mutated_streams_the_same_for_every_split() {
    let cases = [
        (
            GenericFraming::Sse,
            Framing::Sse,
            Some(WireFormat::OpenAiChat),
        ),
        (GenericFraming::Ndjson, Framing::Ndjson, None),
    ];
    for (generic, framing, only) in cases {
        let provider = Provider::Generic(generic_spec(generic));
        let streams = recorded(framing)
            .into_iter()
            .filter(|s| only.is_none() || s.format == only);
        for stream in streams {
            let body = mutated(Just(stream.bytes.clone()), HUGE);
            property(stream.file, 3, (body, cuts()), |(body, raw)| {
                let cuts = resolve(&raw, body.len());
                let client =
                    |cuts: &[usize]| receive(registry::api(&provider).parser(), &body, cuts);
                let (whole, split) = (client(&[]), client(&cuts));
                if split != whole {
                    return Err(format!(
                        "generic client, reads ending at {cuts:?}: {split:?}, one read: {whole:?}"
                    ));
                }
                Ok(())
            });
        }
    }
}

/// Regression: a generic stream dropped the events completed in a read whose later bytes
/// broke the framing, so one read recorded fewer output events than the same body split
/// before the bad line.
#[test]
fn a_generic_stream_keeps_the_events_before_a_framing_error() {
    let provider = Provider::Generic(generic_spec(GenericFraming::Sse));
    let mut body = b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: ".to_vec();
    body.resize(body.len() + crate::framing::sse::DEFAULT_MAX_LINE_LEN, b'x');
    let client = |cuts: &[usize]| receive(registry::api(&provider).parser(), &body, cuts);
    let whole = client(&[]);
    assert_eq!(whole, client(&[50]));
    let (result, (events, _, _)) = whole;
    assert!(result.is_err_and(|e| e.contains("longer than")));
    assert_eq!(events, 1, "the event before the long line is recorded");
}
