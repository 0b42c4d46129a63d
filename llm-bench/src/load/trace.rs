//! Replaying a recorded trace: when each request was sent, and what it asked for.
//!
//! # Trace files
//!
//! A trace is a [JSON Lines](https://jsonlines.org) file: one JSON object per line, one line
//! per request, in the order the requests start. Blank lines are skipped; a file without
//! any request is an error.
//!
//! ```text
//! {"offset_ms": 0, "prompt": "How do I reset my password?", "output_tokens": 128}
//! {"offset_ms": 250, "prompt_tokens": 512, "output_tokens": 64}
//! {"offset_ms": 250.5, "prompt_tokens": 2048}
//! ```
//!
//! | field | meaning |
//! |---|---|
//! | `offset_ms` | when the request starts, in milliseconds from the start of the run (a number ≥ 0, fractions allowed); required |
//! | `prompt` | the prompt text to send |
//! | `prompt_tokens` | the prompt's length in tokens, when the trace records no text (a whole number ≥ 0) |
//! | `output_tokens` | how many tokens to ask for (a whole number ≥ 0); optional: the scenario's own limit otherwise |
//!
//! Each request needs `prompt` or `prompt_tokens` (or both). Offsets may repeat (requests
//! that start together) but never go down: a line whose offset is below the one before it is
//! an error, not sorted silently, since a shuffled trace is more likely a broken one.
//!
//! Traces in the format of [Mooncake](https://github.com/kvcache-ai/Mooncake)'s public
//! traces are read as they are:
//!
//! ```text
//! {"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47]}
//! ```
//!
//! `timestamp` (milliseconds since the trace's start) is `offset_ms`, `input_length` is
//! `prompt_tokens` and `output_length` is `output_tokens`. A line may use either name of a
//! field but not both. Other fields (`hash_ids`, …) are ignored. Offsets are used as
//! written: a trace whose first request is at 27482 ms starts after 27.5 s.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One request of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TraceEntry {
    /// When the request starts, in nanoseconds from the run's start.
    pub(crate) offset_ns: u64,
    /// The prompt text, if the trace records it.
    pub(crate) prompt: Option<String>,
    /// The prompt's length in tokens, if the trace records it.
    pub(crate) prompt_tokens: Option<u32>,
    /// How many tokens to ask for, if the trace says.
    pub(crate) output_tokens: Option<u32>,
}

/// Why a trace file cannot be replayed. Every message names the file, and the line
/// (1-based) when one line is at fault.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TraceError {
    /// The file cannot be read.
    #[error("cannot read the trace {}: {source}", path.display())]
    Read {
        /// The trace file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file holds no request.
    #[error("the trace {} has no request: write one JSON object per line, e.g. {EXAMPLE}", path.display())]
    Empty {
        /// The trace file.
        path: PathBuf,
    },
    /// A line is not a JSON object of the expected fields and types.
    #[error("{}:{line}:{column}: {message} (each line is one JSON object, e.g. {EXAMPLE})", path.display())]
    Json {
        /// The trace file.
        path: PathBuf,
        /// The line at fault.
        line: usize,
        /// The column within the line where the parser stopped.
        column: usize,
        /// What the JSON parser said, without its position.
        message: String,
    },
    /// A line has no start offset.
    #[error("{}:{line}: the request has no `offset_ms` (or `timestamp`): give its start in milliseconds from the run's start, e.g. {EXAMPLE}", path.display())]
    MissingOffset {
        /// The trace file.
        path: PathBuf,
        /// The line at fault.
        line: usize,
    },
    /// A line's offset is negative, not finite, or too large.
    #[error("{}:{line}: `{field}` is {value}, but must be a number of milliseconds from 0 up", path.display())]
    BadOffset {
        /// The trace file.
        path: PathBuf,
        /// The line at fault.
        line: usize,
        /// The field as written (`offset_ms` or `timestamp`).
        field: &'static str,
        /// The offending value, as JSON.
        value: String,
    },
    /// A line has neither a prompt nor a prompt length.
    #[error("{}:{line}: the request has neither `prompt` nor `prompt_tokens` (or `input_length`): give the text or its length in tokens, e.g. {EXAMPLE}", path.display())]
    MissingPrompt {
        /// The trace file.
        path: PathBuf,
        /// The line at fault.
        line: usize,
    },
    /// A line gives a field under both its names.
    #[error("{}:{line}: the request gives both `{ours}` and `{theirs}`: keep one", path.display())]
    BothNames {
        /// The trace file.
        path: PathBuf,
        /// The line at fault.
        line: usize,
        /// Our name of the field.
        ours: &'static str,
        /// Mooncake's name of the field.
        theirs: &'static str,
    },
    /// A line starts before the line above it.
    #[error("{}:{line}: the offset goes backwards, to {offset_ms} ms after {previous_ms} ms on the line before: a trace lists its requests in the order they start", path.display())]
    Backwards {
        /// The trace file.
        path: PathBuf,
        /// The line at fault.
        line: usize,
        /// Its offset in milliseconds.
        offset_ms: f64,
        /// The offset of the request before it, in milliseconds.
        previous_ms: f64,
    },
}

/// A line of our own format, for the error messages.
const EXAMPLE: &str = r#"{"offset_ms": 0, "prompt": "Hello", "output_tokens": 128}"#;

/// One line as written, in either format; unknown fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a JSON object such as {\"offset_ms\": 0, \"prompt\": \"Hello\"}")]
struct RawEntry {
    /// Ours: the start, milliseconds from the run's start.
    offset_ms: Option<serde_json::Number>,
    /// Mooncake's: the start, milliseconds from the trace's start.
    timestamp: Option<serde_json::Number>,
    /// The prompt text.
    prompt: Option<String>,
    /// Ours: the prompt's length in tokens.
    prompt_tokens: Option<u32>,
    /// Mooncake's: the prompt's length in tokens.
    input_length: Option<u32>,
    /// Ours: the tokens to ask for.
    output_tokens: Option<u32>,
    /// Mooncake's: the tokens to ask for.
    output_length: Option<u32>,
}

/// What is wrong with one line, before the file and line number are added.
enum LineError {
    /// See [`TraceError::Json`].
    Json { column: usize, message: String },
    /// See [`TraceError::MissingOffset`].
    MissingOffset,
    /// See [`TraceError::BadOffset`].
    BadOffset { field: &'static str, value: String },
    /// See [`TraceError::MissingPrompt`].
    MissingPrompt,
    /// See [`TraceError::BothNames`].
    BothNames {
        ours: &'static str,
        theirs: &'static str,
    },
}

impl LineError {
    /// The error of `line` of the trace at `path`.
    fn at(self, path: &Path, line: usize) -> TraceError {
        let path = path.to_path_buf();
        match self {
            LineError::Json { column, message } => TraceError::Json {
                path,
                line,
                column,
                message,
            },
            LineError::MissingOffset => TraceError::MissingOffset { path, line },
            LineError::BadOffset { field, value } => TraceError::BadOffset {
                path,
                line,
                field,
                value,
            },
            LineError::MissingPrompt => TraceError::MissingPrompt { path, line },
            LineError::BothNames { ours, theirs } => TraceError::BothNames {
                path,
                line,
                ours,
                theirs,
            },
        }
    }
}

/// Reads the trace at `path` (format: this module's documentation), in file order.
pub(crate) fn read_trace(path: &Path) -> Result<Vec<TraceEntry>, TraceError> {
    let bytes = std::fs::read(path).map_err(|source| TraceError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<TraceEntry> = Vec::new();
    for (index, text) in bytes.split(|&b| b == b'\n').enumerate() {
        let text = text.trim_ascii();
        if text.is_empty() {
            continue;
        }
        let line = index + 1;
        let entry = parse_line(text).map_err(|e| e.at(path, line))?;
        if let Some(previous) = entries.last() {
            if entry.offset_ns < previous.offset_ns {
                return Err(TraceError::Backwards {
                    path: path.to_path_buf(),
                    line,
                    offset_ms: ns_to_ms(entry.offset_ns),
                    previous_ms: ns_to_ms(previous.offset_ns),
                });
            }
        }
        entries.push(entry);
    }
    if entries.is_empty() {
        return Err(TraceError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(entries)
}

/// One non-blank line, in either format.
fn parse_line(text: &[u8]) -> Result<TraceEntry, LineError> {
    // serde would also read a struct from an array, by position: refuse that here.
    if text.first() != Some(&b'{') {
        return Err(LineError::Json {
            column: 1,
            message: "not a JSON object".into(),
        });
    }
    let raw: RawEntry = serde_json::from_slice(text).map_err(json_error)?;
    let (field, offset) = one_of(("offset_ms", raw.offset_ms), ("timestamp", raw.timestamp))?;
    let offset = offset.ok_or(LineError::MissingOffset)?;
    let offset_ns = ms_to_ns(&offset).ok_or_else(|| LineError::BadOffset {
        field,
        value: offset.to_string(),
    })?;
    let (_, prompt_tokens) = one_of(
        ("prompt_tokens", raw.prompt_tokens),
        ("input_length", raw.input_length),
    )?;
    if raw.prompt.is_none() && prompt_tokens.is_none() {
        return Err(LineError::MissingPrompt);
    }
    let (_, output_tokens) = one_of(
        ("output_tokens", raw.output_tokens),
        ("output_length", raw.output_length),
    )?;
    Ok(TraceEntry {
        offset_ns,
        prompt: raw.prompt,
        prompt_tokens,
        output_tokens,
    })
}

/// The value of a field under our name or Mooncake's, with the name it came under (ours
/// when neither is given); an error when both are.
fn one_of<T>(
    ours: (&'static str, Option<T>),
    theirs: (&'static str, Option<T>),
) -> Result<(&'static str, Option<T>), LineError> {
    match (ours, theirs) {
        ((ours, Some(_)), (theirs, Some(_))) => Err(LineError::BothNames { ours, theirs }),
        ((_, None), (name, Some(value))) => Ok((name, Some(value))),
        ((name, value), _) => Ok((name, value)),
    }
}

/// A serde_json error as the message and column of one line (its own line is always 1).
fn json_error(error: serde_json::Error) -> LineError {
    let full = error.to_string();
    let message = match full.rsplit_once(" at line ") {
        Some((message, _)) => message.to_string(),
        None => full,
    };
    LineError::Json {
        column: error.column(),
        message,
    }
}

/// Milliseconds as written (a JSON number) to nanoseconds: exact for whole milliseconds,
/// rounded to the nanosecond otherwise; `None` when negative, not finite or beyond u64.
fn ms_to_ns(ms: &serde_json::Number) -> Option<u64> {
    if let Some(whole) = ms.as_u64() {
        return whole.checked_mul(1_000_000);
    }
    let ns = ms.as_f64()? * 1e6;
    (ns.is_finite() && ns >= 0.0 && ns < u64::MAX as f64).then(|| ns.round() as u64)
}

/// Nanoseconds to milliseconds, for messages.
fn ns_to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A temporary trace file holding `text`.
    fn trace_file(text: impl AsRef<[u8]>) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new()
            .suffix(".jsonl")
            .tempfile()
            .expect("a temporary file");
        file.write_all(text.as_ref()).expect("write the trace");
        file
    }

    /// The error of reading a trace of `text`, as its message, checked to name the file.
    fn error_of(text: impl AsRef<[u8]>) -> String {
        let file = trace_file(text);
        let err = read_trace(file.path()).expect_err("must be refused");
        let message = err.to_string();
        let name = file.path().display().to_string();
        assert!(message.contains(&name), "`{message}` does not name {name}");
        message
    }

    #[test]
    fn reads_our_format() {
        let file = trace_file(concat!(
            "{\"offset_ms\": 0, \"prompt\": \"Hi\", \"output_tokens\": 128}\n",
            "\n",
            "  {\"offset_ms\": 250, \"prompt_tokens\": 512}  \r\n",
            "{\"offset_ms\": 250.5, \"prompt\": \"x\", \"prompt_tokens\": 1, \"extra\": true}",
        ));
        let entries = read_trace(file.path()).unwrap();
        assert_eq!(
            entries,
            [
                TraceEntry {
                    offset_ns: 0,
                    prompt: Some("Hi".into()),
                    prompt_tokens: None,
                    output_tokens: Some(128),
                },
                TraceEntry {
                    offset_ns: 250_000_000,
                    prompt: None,
                    prompt_tokens: Some(512),
                    output_tokens: None,
                },
                TraceEntry {
                    offset_ns: 250_500_000,
                    prompt: Some("x".into()),
                    prompt_tokens: Some(1),
                    output_tokens: None,
                },
            ]
        );
    }

    #[test]
    fn reads_mooncake_traces() {
        let file = trace_file(concat!(
            "{\"timestamp\": 0, \"input_length\": 6755, \"output_length\": 500, \"hash_ids\": [0, 1, 2]}\n",
            "{\"timestamp\": 27482, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": [46, 47]}\n",
        ));
        let entries = read_trace(file.path()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].offset_ns, 27_482_000_000);
        assert_eq!(entries[1].prompt_tokens, Some(6955));
        assert_eq!(entries[1].output_tokens, Some(52));
        assert_eq!(entries[1].prompt, None);
    }

    #[test]
    fn equal_offsets_are_fine_backwards_ones_are_not() {
        let same = trace_file(
            "{\"offset_ms\": 5, \"prompt\": \"a\"}\n{\"offset_ms\": 5, \"prompt\": \"b\"}\n",
        );
        assert_eq!(read_trace(same.path()).unwrap().len(), 2);
        let err = error_of(concat!(
            "{\"offset_ms\": 10, \"prompt\": \"a\"}\n",
            "\n",
            "{\"offset_ms\": 9.5, \"prompt\": \"b\"}\n",
        ));
        assert!(
            err.contains(":3: the offset goes backwards, to 9.5 ms after 10 ms"),
            "{err}"
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let err =
            error_of("{\"offset_ms\": 0, \"prompt\": \"a\"}\n{\"offset_ms\": 1, \"prompt\": }\n");
        assert!(err.contains(":2:"), "{err}");
        assert!(
            err.contains("expected value") && !err.contains("at line"),
            "{err}"
        );
        assert!(err.contains("one JSON object"), "{err}");
        let err = error_of("{\"offset_ms\": 0, \"prompt_tokens\": \"many\"}");
        assert!(err.contains(":1:") && err.contains("invalid type"), "{err}");
        let err = error_of("[0, null, \"a\"]");
        assert!(err.contains(":1:1: not a JSON object"), "{err}");
        let err = error_of(b"{\"offset_ms\": 0, \"prompt\": \"\xff\"}\n");
        assert!(
            err.contains(":1:") && err.contains("invalid unicode"),
            "{err}"
        );
        let err = error_of("{\"offset_ms\": 0, \"prompt\": \"a\u{1}\"}");
        assert!(
            err.contains(":1:") && err.contains("control character"),
            "{err}"
        );
    }

    #[test]
    fn missing_fields_are_named() {
        let err = error_of("{\"offset_ms\": 0, \"prompt\": \"a\"}\n{\"prompt\": \"b\"}");
        assert!(
            err.contains(":2: the request has no `offset_ms` (or `timestamp`)"),
            "{err}"
        );
        let err = error_of("{\"offset_ms\": 0, \"output_tokens\": 3}");
        assert!(
            err.contains(":1: the request has neither `prompt` nor `prompt_tokens`"),
            "{err}"
        );
    }

    #[test]
    fn bad_offsets_are_named() {
        let err = error_of("{\"offset_ms\": -1, \"prompt\": \"a\"}");
        assert!(err.contains(":1: `offset_ms` is -1"), "{err}");
        let err = error_of("{\"timestamp\": 18446744073709551615, \"input_length\": 1}");
        assert!(
            err.contains(":1: `timestamp` is 18446744073709551615"),
            "{err}"
        );
        let err = error_of("{\"offset_ms\": 1e300, \"prompt\": \"a\"}");
        assert!(err.contains("`offset_ms` is 1e+300"), "{err}");
    }

    #[test]
    fn a_field_under_both_names_is_refused() {
        let err = error_of("{\"offset_ms\": 0, \"timestamp\": 0, \"prompt\": \"a\"}");
        assert!(
            err.contains(":1: the request gives both `offset_ms` and `timestamp`"),
            "{err}"
        );
        let err = error_of("{\"offset_ms\": 0, \"prompt_tokens\": 1, \"input_length\": 1}");
        assert!(
            err.contains("both `prompt_tokens` and `input_length`"),
            "{err}"
        );
    }

    #[test]
    fn empty_and_missing_files_are_errors() {
        for text in ["", "\n\n  \n"] {
            let err = error_of(text);
            assert!(err.contains("has no request"), "{err}");
        }
        let missing = std::env::temp_dir().join("llm-bench-no-such-trace.jsonl");
        let err = read_trace(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with("cannot read the trace") && err.contains("llm-bench-no-such-trace"),
            "{err}"
        );
    }
}
