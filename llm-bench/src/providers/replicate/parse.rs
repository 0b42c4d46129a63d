//! The parser of Replicate's prediction streams.
//!
//! Format (<https://replicate.com/docs/topics/predictions/streaming>): server-sent events
//! named `output` (the data is plain text, not JSON), `error` and `done`, each with an `id:`.
//! A newline in the text is sent as an extra `data:` line, so the SSE decoder's joining of
//! data lines with LF restores it. Comments (`: hi`) keep the connection open.
//!
//! | wire | becomes |
//! |---|---|
//! | `output` data, as is (several lines joined with LF) | [`Delta::text`] |
//! | `done` | [`Delta::done`]; its `reason` (`canceled`, `error`), if any, is [`Delta::finish_reason`] |
//! | `error` | [`Delta::error`]: the `detail` of a JSON payload, else the text |
//!
//! An `output` event with empty data (Replicate sends one first) is not output. Other event
//! names (`logs`) are ignored. Replicate reports no token usage in the stream.

use serde::Deserialize;

use crate::delta::Delta;
use crate::providers::payload::{error_message, Text};

/// Parses one server-sent event of a Replicate prediction stream. Infallible: output is
/// plain text, and a `done` payload that is not JSON only loses its reason.
pub(crate) fn parse_event(event: Option<&str>, data: &str) -> Delta {
    match event {
        Some("output") => Delta {
            text: data.to_owned(),
            ..Delta::default()
        },
        Some("done") => {
            /// The payload of a `done` event.
            #[derive(Deserialize)]
            struct Done<'a> {
                #[serde(default, borrow)]
                reason: Option<Text<'a>>,
            }
            let reason = serde_json::from_str::<Done<'_>>(data)
                .ok()
                .and_then(|d| d.reason)
                .filter(|r| !r.as_str().is_empty())
                .map(|r| r.0.into_owned());
            Delta {
                error: (reason.as_deref() == Some("error"))
                    .then(|| "prediction failed (done with reason error)".to_owned()),
                finish_reason: reason,
                done: true,
                ..Delta::default()
            }
        }
        Some("error") => Delta {
            error: Some(error_message(data)),
            ..Delta::default()
        },
        _ => Delta::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_done() {
        assert_eq!(parse_event(Some("output"), ":\n\nWhy").text, ":\n\nWhy");
        assert!(parse_event(Some("done"), "{}").done);
    }

    #[test]
    fn output_is_plain_text() {
        assert_eq!(parse_event(Some("output"), "Sure").text, "Sure");
        assert_eq!(parse_event(Some("output"), "{\"a\":1}").text, "{\"a\":1}");
        assert!(!parse_event(Some("output"), "").is_output());
        assert_eq!(parse_event(Some("output"), "\n\nB").text, "\n\nB");
    }

    #[test]
    fn done_and_errors() {
        let d = parse_event(Some("done"), "{}");
        assert!(d.done && d.finish_reason.is_none() && d.error.is_none());
        let d = parse_event(Some("done"), r#"{"reason":"canceled"}"#);
        assert_eq!(d.finish_reason.as_deref(), Some("canceled"));
        let d = parse_event(Some("done"), r#"{"reason":"error"}"#);
        assert!(d.error.is_some());
        let d = parse_event(Some("error"), r#"{"detail":"CUDA out of memory"}"#);
        assert_eq!(d.error.as_deref(), Some("CUDA out of memory"));
        assert_eq!(parse_event(Some("logs"), "loading"), Delta::default());
        assert_eq!(parse_event(None, "x"), Delta::default());
    }
}
