//! The line protocol between a bench binary and the other build it compares with
//! (`--compare-with PATH`): one JSON message per line, each prefixed with
//! `llm-bench-worker/<version> `, on the worker's stdin (to it) and stdout (from it).
//!
//! Lines without the prefix are a scenario's own output and are ignored, so a scenario that
//! prints cannot break the protocol. A worker speaks first: [`FromWorker::Hello`] with its
//! protocol version and scenario ids; the leader refuses a worker whose version differs.
//! Then the leader asks it to prepare a scenario (its endpoint, its setup), to run single
//! invocations (several may be in flight), and finally to quit (or closes its stdin).

use serde::{Deserialize, Serialize};

use crate::metrics::RequestSample;
use crate::store::EndpointInfo;

/// The version of this protocol. A change to any message below increments it.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// What every protocol line starts with, followed by the version and a space.
const PREFIX: &str = "llm-bench-worker/";

/// A message from the leader to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ToWorker {
    /// Build the scenario's client and run its setup; answered by [`FromWorker::Prepared`].
    Prepare {
        /// The scenario id.
        scenario: String,
    },
    /// Run one invocation; answered by [`FromWorker::Sample`].
    Invoke {
        /// The scenario id (prepared before).
        scenario: String,
        /// The request's index (the pair's), which the sample carries back.
        index: u32,
        /// A warm-up request (not measured).
        warmup: bool,
    },
    /// Exit once the invocations in flight are answered.
    Quit,
}

/// A message from the worker to the leader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FromWorker {
    /// The first line a worker writes.
    Hello {
        /// [`PROTOCOL_VERSION`] of the worker's build.
        protocol: u32,
        /// The worker's llm-bench version.
        version: String,
        /// The ids of the scenarios the worker's build has (after the filter).
        scenarios: Vec<String>,
    },
    /// The answer to [`ToWorker::Prepare`].
    Prepared {
        /// The scenario id.
        scenario: String,
        /// The endpoint the worker measures for it, when it could prepare it.
        endpoint: Option<EndpointInfo>,
        /// Why it could not, if it could not.
        error: Option<String>,
    },
    /// The answer to [`ToWorker::Invoke`].
    Sample {
        /// The scenario id.
        scenario: String,
        /// The index of the invocation asked for.
        index: u32,
        /// A warm-up request.
        warmup: bool,
        /// What the worker measured.
        sample: Box<RequestSample>,
        /// Every gap between output events, with the tokens of the event that ended it (the
        /// run's ITL histogram is made of them).
        gaps: Vec<(u64, u32)>,
    },
    /// The worker cannot go on (a message it did not understand, an unknown scenario).
    Fatal {
        /// What went wrong.
        message: String,
    },
}

/// One protocol line (without the newline) carrying `message`.
pub(crate) fn encode<T: Serialize>(message: &T) -> String {
    // These types serialise infallibly (no maps with non-string keys, no custom impls).
    let json = serde_json::to_string(message).unwrap_or_else(|e| {
        format!("{{\"fatal\":{{\"message\":\"could not encode a message: {e}\"}}}}")
    });
    format!("{PREFIX}{PROTOCOL_VERSION} {json}")
}

/// What a line read from the other side is.
#[derive(Debug, PartialEq)]
pub(crate) enum Line<T> {
    /// Not a protocol line: a scenario's own output.
    Other,
    /// A protocol line of another version, which this build cannot read.
    Version(u32),
    /// A protocol line this build cannot parse.
    Garbled(String),
    /// A message.
    Message(T),
}

/// Reads one line from the other side.
pub(crate) fn decode<T: for<'de> Deserialize<'de>>(line: &str) -> Line<T> {
    let Some(rest) = line.trim_end().strip_prefix(PREFIX) else {
        return Line::Other;
    };
    let (version, json) = rest.split_once(' ').unwrap_or((rest, ""));
    match version.parse::<u32>() {
        Ok(v) if v == PROTOCOL_VERSION => match serde_json::from_str(json) {
            Ok(message) => Line::Message(message),
            Err(e) => Line::Garbled(format!("{e}: {}", shorten(json, 200))),
        },
        Ok(v) => Line::Version(v),
        Err(_) => Line::Garbled(format!("no protocol version in `{}`", shorten(line, 80))),
    }
}

/// At most `max` characters of `text`, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_a_round_trip_and_other_lines_are_ignored() {
        let m = ToWorker::Invoke {
            scenario: "g/s".into(),
            index: 7,
            warmup: false,
        };
        let line = encode(&m);
        assert!(line.starts_with("llm-bench-worker/1 {"), "{line}");
        assert_eq!(decode::<ToWorker>(&line), Line::Message(m));
        assert_eq!(decode::<ToWorker>("hello from a scenario"), Line::Other);
        let sample = FromWorker::Sample {
            scenario: "s".into(),
            index: 1,
            warmup: true,
            sample: Box::new(RequestSample {
                ttft_ns: Some(5),
                ..RequestSample::default()
            }),
            gaps: vec![(10, 1), (20, 2)],
        };
        assert_eq!(
            decode::<FromWorker>(&encode(&sample)),
            Line::Message(sample)
        );
    }

    #[test]
    fn another_version_or_a_garbled_line_is_named() {
        assert_eq!(
            decode::<ToWorker>("llm-bench-worker/2 {\"quit\":null}"),
            Line::Version(2)
        );
        assert!(matches!(
            decode::<ToWorker>("llm-bench-worker/1 {\"nonsense\":1}"),
            Line::Garbled(_)
        ));
        assert!(matches!(
            decode::<ToWorker>("llm-bench-worker/x"),
            Line::Garbled(_)
        ));
    }
}
