//! The SSE decoder and the Chat Completions parser against the recorded corpus
//! (`shared/fixtures/sse`, see its `INDEX.md`): every `X.sse` has a sidecar `X.json` with what
//! a correct parser extracts.
//!
//! The corpus is found at `$LLM_BENCH_FIXTURES`, else at `../../shared/fixtures/sse` from this
//! crate. If it is absent the tests print why and pass, except when `CI=true`, where they fail.
//!
//! Every file is fed whole, one byte at a time and in seeded random splits, and each must give
//! the same result. Failures are collected over all files and reported together.

use std::path::{Path, PathBuf};

use llm_bench::providers::openai::chunk::parse_event;
use llm_bench::sse::{SseDecoder, SseEvent};
use llm_bench::Delta;
use serde_json::Value;

/// The corpus directory, or `None` (after printing why) if it is absent outside CI.
fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("LLM_BENCH_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/fixtures/sse"
            ))
        });
    if dir.is_dir() {
        return Some(dir);
    }
    let message = format!(
        "SSE fixture corpus not found at {} (set LLM_BENCH_FIXTURES)",
        dir.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message}; CI=true, so this is an error");
    }
    eprintln!("SKIPPED: {message}");
    None
}

/// Every `.sse` file under `dir` (one provider folder deep, and deeper), sorted, with its
/// parsed sidecar.
fn corpus(dir: &Path) -> Vec<(String, Vec<u8>, Value)> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "sse") {
                found.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let sidecar = std::fs::read_to_string(path.with_extension("json"))
                .map(|s| serde_json::from_str(&s).unwrap())
                .unwrap_or(Value::Null);
            (name, bytes, sidecar)
        })
        .collect()
}

/// A tiny deterministic PRNG (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// How to cut a body into reads.
#[derive(Debug, Clone, Copy)]
enum Split {
    Whole,
    Bytewise,
    /// Random read sizes (1..=max) from a seed.
    Random {
        seed: u64,
        max: usize,
    },
}

const SPLITS: [Split; 6] = [
    Split::Whole,
    Split::Bytewise,
    Split::Random { seed: 1, max: 7 },
    Split::Random { seed: 2, max: 64 },
    Split::Random { seed: 3, max: 512 },
    Split::Random {
        seed: 0xC0FFEE,
        max: 4096,
    },
];

/// The reads `bytes` is cut into.
fn reads(bytes: &[u8], split: Split) -> Vec<&[u8]> {
    match split {
        Split::Whole => vec![bytes],
        Split::Bytewise => bytes.chunks(1).collect(),
        Split::Random { seed, max } => {
            let mut rng = SplitMix(seed);
            let mut out = Vec::new();
            let mut rest = bytes;
            while !rest.is_empty() {
                let n = (1 + (rng.next() % max as u64) as usize).min(rest.len());
                let (read, tail) = rest.split_at(n);
                out.push(read);
                rest = tail;
            }
            out
        }
    }
}

/// An event and the byte span `[start, end)` of the read that completed it (`None` if it
/// came from `finish`).
struct Timed {
    event: SseEvent,
    read: Option<(usize, usize)>,
}

fn decode(bytes: &[u8], split: Split) -> Result<(Vec<Timed>, usize), String> {
    let mut decoder = SseDecoder::new();
    let mut out = Vec::new();
    let mut timed = Vec::new();
    let mut offset = 0;
    for read in reads(bytes, split) {
        let start = offset;
        offset += read.len();
        decoder
            .feed(read, &mut out)
            .map_err(|e| format!("{split:?}: feed failed: {e}"))?;
        timed.extend(out.drain(..).map(|event| Timed {
            event,
            read: Some((start, offset)),
        }));
    }
    let before_finish = timed.len();
    decoder
        .finish(&mut out)
        .map_err(|e| format!("{split:?}: finish failed: {e}"))?;
    timed.extend(out.drain(..).map(|event| Timed { event, read: None }));
    Ok((timed, before_finish))
}

fn report(failures: &[String], what: &str, checked: usize) {
    assert!(checked > 0, "no {what} file found in the corpus");
    assert!(
        failures.is_empty(),
        "{} failure(s) over {checked} {what} file(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} {what} file(s) passed");
}

/// (a) Every `.sse` file: the dispatched event count matches `expected.unit_count`, whatever
/// the read split.
///
/// The corpus' reference parser follows the strict WHATWG end-of-stream rule (an event with
/// no final blank line is dropped), while `finish` flushes it, as the SDKs do. So the events
/// dispatched by `feed` must equal `unit_count`, and `finish` must add exactly one event
/// where the sidecar says `framing.incomplete_trailing_event`, none elsewhere.
#[test]
fn every_stream_dispatches_the_expected_event_count() {
    let Some(dir) = corpus_dir() else { return };
    let files = corpus(&dir);
    let mut failures = Vec::new();
    for (name, bytes, sidecar) in &files {
        let unit_count = sidecar["expected"]["unit_count"].as_u64();
        let trailing = sidecar["framing"]["incomplete_trailing_event"].as_bool() == Some(true);
        let mut reference: Option<Vec<SseEvent>> = None;
        for split in SPLITS {
            let (timed, before_finish) = match decode(bytes, split) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    break;
                }
            };
            let flushed = timed.len() - before_finish;
            if let Some(units) = unit_count {
                if before_finish as u64 != units {
                    failures.push(format!(
                        "{name}: {split:?}: {before_finish} events before finish, expected.unit_count is {units}"
                    ));
                }
            }
            if flushed != usize::from(trailing) {
                failures.push(format!(
                    "{name}: {split:?}: finish() flushed {flushed} event(s), incomplete_trailing_event is {trailing}"
                ));
            }
            let events: Vec<SseEvent> = timed.into_iter().map(|t| t.event).collect();
            match &reference {
                None => reference = Some(events),
                Some(r) if *r != events => {
                    failures.push(format!(
                        "{name}: {split:?}: events differ from a whole read"
                    ));
                }
                Some(_) => {}
            }
        }
    }
    report(&failures, ".sse", files.len());
}

/// What the sidecar expects of an `openai_chat` stream.
struct Expected {
    text: String,
    per_choice: Option<Vec<(u32, String)>>,
    reasoning: String,
    refusal: String,
    usage: Option<(Option<u64>, Option<u64>)>,
    has_errors: bool,
    /// Event indices of the errors, where the sidecar gives them.
    error_indices: Vec<u64>,
    done: bool,
    finish_reasons: Option<Vec<String>>,
    first_content: Option<(usize, usize)>,
    first_output: Option<(usize, usize)>,
}

fn expected(sidecar: &Value) -> Result<Expected, String> {
    let e = &sidecar["expected"];
    let string = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
    let first = |index: &str, range: &str| -> Result<Option<(usize, usize)>, String> {
        match e[index].as_u64() {
            None => Ok(None),
            Some(i) => {
                let end = e[range][1]
                    .as_u64()
                    .ok_or_else(|| format!("sidecar has {index} but no {range}"))?;
                Ok(Some((i as usize, end as usize)))
            }
        }
    };
    let per_choice = e["per_choice_text"].as_object().map(|m| {
        let mut v: Vec<(u32, String)> = m
            .iter()
            .map(|(k, t)| (k.parse().unwrap(), t.as_str().unwrap().to_owned()))
            .collect();
        v.sort();
        v
    });
    let usage = e["usage_normalized"].as_object().map(|u| {
        (
            u.get("prompt_tokens").and_then(Value::as_u64),
            u.get("completion_tokens").and_then(Value::as_u64),
        )
    });
    Ok(Expected {
        text: string("text"),
        per_choice,
        reasoning: string("reasoning_text"),
        refusal: string("refusal_text"),
        usage,
        has_errors: e["errors"].as_array().is_some_and(|a| !a.is_empty()),
        error_indices: e["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|err| err["index"].as_u64())
            .collect(),
        done: e["done"].as_bool() == Some(true),
        finish_reasons: e["finish_reasons"].as_array().map(|a| {
            a.iter()
                .map(|r| r.as_str().unwrap_or_default().to_owned())
                .collect()
        }),
        first_content: first(
            "first_content_event_index",
            "first_content_event_byte_range",
        )?,
        first_output: first("first_output_event_index", "first_output_event_byte_range")?,
    })
}

/// Parses every event of one decoding and checks it against the sidecar.
fn check_chat(name: &str, bytes: &[u8], want: &Expected, split: Split) -> Vec<String> {
    let mut failures = Vec::new();
    let mut fail = |what: String| failures.push(format!("{name}: {split:?}: {what}"));
    let (timed, before_finish) = match decode(bytes, split) {
        Ok(r) => r,
        Err(e) => {
            fail(e);
            return failures;
        }
    };
    let mut text = String::new();
    let mut per_choice: Vec<(u32, String)> = Vec::new();
    let mut reasoning = String::new();
    let mut refusal = String::new();
    let mut usage = None;
    let mut errors = Vec::new();
    let mut error_indices = Vec::new();
    let mut done_before_finish = false;
    let mut finish_reasons = Vec::new();
    let mut first_answer = None;
    let mut first_output = None;
    for (i, t) in timed.iter().enumerate() {
        let delta: Delta = match parse_event(t.event.event.as_deref(), &t.event.data) {
            Ok(d) => d,
            Err(e) => {
                fail(format!("event #{i}: {e}"));
                continue;
            }
        };
        if delta.is_answer() && first_answer.is_none() {
            first_answer = Some((i, t.read));
        }
        if delta.is_output() && first_output.is_none() {
            first_output = Some((i, t.read));
        }
        text.push_str(&delta.text);
        if !delta.text.is_empty() {
            add_choice_text(&mut per_choice, 0, &delta.text);
        }
        for (index, t) in &delta.other_choice_text {
            add_choice_text(&mut per_choice, *index, t);
        }
        reasoning.push_str(&delta.reasoning);
        refusal.push_str(&delta.refusal);
        if let Some(u) = delta.usage {
            usage = Some((u.prompt_tokens, u.completion_tokens));
        }
        if delta.error.is_some() {
            error_indices.push(i as u64);
        }
        errors.extend(delta.error);
        done_before_finish |= delta.done && i < before_finish;
        finish_reasons.extend(delta.finish_reason);
    }
    if text != want.text {
        fail(format!(
            "text differs:\n  got      {text:?}\n  expected {:?}",
            want.text
        ));
    }
    if let Some(want_per_choice) = &want.per_choice {
        per_choice.sort();
        if &per_choice != want_per_choice {
            fail(format!(
                "per_choice_text differs: got {per_choice:?}, expected {want_per_choice:?}"
            ));
        }
    }
    if reasoning != want.reasoning {
        fail(format!(
            "reasoning differs:\n  got      {reasoning:?}\n  expected {:?}",
            want.reasoning
        ));
    }
    if refusal != want.refusal {
        fail(format!(
            "refusal differs: got {refusal:?}, expected {:?}",
            want.refusal
        ));
    }
    if usage != want.usage {
        fail(format!(
            "usage (prompt, completion) differs: got {usage:?}, expected {:?}",
            want.usage
        ));
    }
    let has_errors = !errors.is_empty();
    if has_errors != want.has_errors {
        fail(format!(
            "errors: got {errors:?}, expected some: {}",
            want.has_errors
        ));
    }
    if !want.error_indices.is_empty() && error_indices != want.error_indices {
        fail(format!(
            "errors at events {error_indices:?}, expected at {:?}",
            want.error_indices
        ));
    }
    // The reference parser drops an unterminated last event, so compare what came before
    // `finish` (a `[DONE]` flushed by `finish` is ours only).
    if done_before_finish != want.done {
        fail(format!(
            "[DONE] before finish: {done_before_finish}, expected.done is {}",
            want.done
        ));
    }
    if let Some(want_reasons) = &want.finish_reasons {
        if &finish_reasons != want_reasons {
            fail(format!(
                "finish reasons: got {finish_reasons:?}, expected {want_reasons:?}"
            ));
        }
    }
    for (what, got, want) in [
        ("first answer (is_answer)", first_answer, want.first_content),
        ("first output (is_output)", first_output, want.first_output),
    ] {
        match (got, want) {
            (None, None) => {}
            (Some((i, read)), Some((want_i, end))) => {
                // The event is complete once byte `end - 1` has arrived: the read that
                // delivers that byte (and no earlier one) must dispatch it.
                let last = end - 1;
                if i != want_i {
                    fail(format!("{what} is event #{i}, expected #{want_i}"));
                } else if !read.is_some_and(|(start, stop)| start <= last && last < stop) {
                    fail(format!(
                        "{what} event #{i} was dispatched by the read of bytes {read:?}, expected by the read delivering byte {last} (range [.., {end}))"
                    ));
                }
            }
            (got, want) => fail(format!("{what}: got {got:?}, expected {want:?}")),
        }
    }
    failures
}

fn add_choice_text(per_choice: &mut Vec<(u32, String)>, index: u32, text: &str) {
    match per_choice.iter_mut().find(|(i, _)| *i == index) {
        Some((_, t)) => t.push_str(text),
        None => per_choice.push((index, text.to_owned())),
    }
}

/// (b) Every `openai_chat` stream: SseDecoder + parse_event reproduce the sidecar's text,
/// per-choice text, reasoning, refusal, usage (prompt and completion tokens), errors (and
/// the events carrying them), `[DONE]`, finish reasons, and the index of the first answer
/// and first output event, for every read split. That event must be dispatched by the very
/// read that delivers the last byte of its `first_*_event_byte_range` (byte by byte: exactly
/// that byte).
#[test]
fn openai_chat_streams_match_their_sidecars() {
    let Some(dir) = corpus_dir() else { return };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, bytes, sidecar) in corpus(&dir) {
        if sidecar["wire_format"].as_str() != Some("openai_chat") {
            continue;
        }
        checked += 1;
        let want = match expected(&sidecar) {
            Ok(w) => w,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        for split in SPLITS {
            failures.extend(check_chat(&name, &bytes, &want, split));
        }
    }
    report(&failures, "openai_chat", checked);
}

/// Guards against a wrong directory silently testing nothing: INDEX.md lists 69 `.sse`
/// streams, 37 of them `openai_chat`.
#[test]
fn corpus_has_the_expected_streams() {
    let Some(dir) = corpus_dir() else { return };
    let files = corpus(&dir);
    let chat = files
        .iter()
        .filter(|(_, _, s)| s["wire_format"].as_str() == Some("openai_chat"))
        .count();
    assert!(
        files.len() >= 69 && chat >= 37,
        "{} .sse files, {chat} openai_chat",
        files.len()
    );
}
