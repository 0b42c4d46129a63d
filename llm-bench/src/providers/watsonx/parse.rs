//! The parser of IBM watsonx.ai text generation streams (`/ml/v1/text/generation_stream`).
//!
//! Format (<https://cloud.ibm.com/apidocs/watsonx-ai>): server-sent events with `id: n` and
//! `event: message`, each carrying
//! `{"model_id":..,"results":[{"generated_text":..,"generated_token_count":..,"input_token_count":..,"stop_reason":..}]}`.
//! There is no terminator; the last event has a `stop_reason` other than `not_finished`.
//!
//! | wire | becomes |
//! |---|---|
//! | `results[0].generated_text` (this event's new text) | [`Delta::text`]; `results[i]`, i > 0, [`Delta::other_choice_text`] |
//! | `results[0].generated_token_count` (cumulative) | [`Delta::usage`] completion |
//! | `results[0].input_token_count`, summed over events | [`Delta::usage`] prompt |
//! | `results[0].stop_reason` other than `not_finished` | [`Delta::finish_reason`] |
//! | `errors[]` (`code`, `message`), or an `error` event | [`Delta::error`] |
//!
//! watsonx reports the input count once, in the first event, and `0` in the others, so the
//! parser sums it over the stream (hence a [`Parser`] with state, one per stream).

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{error_message, from_json, ApiError, Count, PayloadError, Text};

/// The parser of one watsonx.ai stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parser {
    /// The sum of `results[0].input_token_count` so far.
    input_tokens: Option<u64>,
}

impl Parser {
    /// A parser for a new stream.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Parses one server-sent event. Empty data gives an empty delta.
    pub(crate) fn parse_event(
        &mut self,
        event: Option<&str>,
        data: &str,
    ) -> Result<Delta, PayloadError> {
        if event == Some("error") {
            return Ok(Delta {
                error: Some(error_message(data)),
                ..Delta::default()
            });
        }
        if data.trim_ascii().is_empty() {
            return Ok(Delta::default());
        }
        let ev: Event<'_> = from_json(data)?;
        let mut delta = Delta::default();
        for (i, result) in ev.results.into_iter().flatten().enumerate() {
            let text = result.generated_text.as_str();
            if i == 0 {
                delta.text.push_str(text);
                if let Some(n) = result.input_token_count.0 {
                    self.input_tokens = Some(self.input_tokens.unwrap_or(0).saturating_add(n));
                }
                if let Some(reason) = result
                    .stop_reason
                    .filter(|r| !r.as_str().is_empty() && r.as_str() != "not_finished")
                {
                    delta.finish_reason = Some(reason.0.into_owned());
                }
                if result.generated_token_count.0.is_some() || self.input_tokens.is_some() {
                    delta.usage = Some(Usage {
                        prompt_tokens: self.input_tokens,
                        completion_tokens: result.generated_token_count.0,
                        reasoning_tokens: None,
                    });
                }
            } else if !text.is_empty() {
                let index = u32::try_from(i).unwrap_or(u32::MAX);
                delta.other_choice_text.push((index, text.to_owned()));
            }
        }
        if let Some(error) = ev.errors.into_iter().flatten().next() {
            delta.error = Some(error.into_message());
        }
        Ok(delta)
    }
}

/// One event payload, only the fields we read.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow)]
    results: Option<Vec<GenResult<'a>>>,
    #[serde(default, borrow)]
    errors: Option<Vec<ApiError<'a>>>,
}

/// One result of an event.
#[derive(Deserialize)]
struct GenResult<'a> {
    #[serde(default, borrow)]
    generated_text: Text<'a>,
    #[serde(default)]
    generated_token_count: Count,
    #[serde(default)]
    input_token_count: Count,
    #[serde(default, borrow)]
    stop_reason: Option<Text<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_event_reports_the_prompt() {
        let mut parser = Parser::new();
        let d = parser.parse_event(Some("message"), r#"{"results":[{"generated_text":"the","generated_token_count":1,"input_token_count":8,"stop_reason":"not_finished"}]}"#).unwrap();
        assert_eq!(d.text, "the");
        assert_eq!(d.usage.unwrap().prompt_tokens, Some(8));
    }

    #[test]
    fn input_tokens_are_summed_and_stop_reason_kept() {
        let mut p = Parser::new();
        let d = p
            .parse_event(Some("message"), r#"{"model_id":"google/flan-ul2","results":[{"generated_text":"","generated_token_count":0,"input_token_count":8,"stop_reason":"not_finished"}],"system":{"warnings":[{"message":"x"}]}}"#)
            .unwrap();
        assert!(!d.is_output() && d.finish_reason.is_none());
        let d = p
            .parse_event(Some("message"), r#"{"results":[{"generated_text":" sun","generated_token_count":2,"input_token_count":0,"stop_reason":"not_finished"}]}"#)
            .unwrap();
        assert_eq!(d.text, " sun");
        let d = p
            .parse_event(Some("message"), r#"{"results":[{"generated_text":"","generated_token_count":11,"input_token_count":0,"stop_reason":"eos_token"}]}"#)
            .unwrap();
        assert_eq!(d.finish_reason.as_deref(), Some("eos_token"));
        let u = d.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (Some(8), Some(11)));
    }

    #[test]
    fn errors() {
        let mut p = Parser::new();
        let d = p
            .parse_event(None, r#"{"errors":[{"code":"invalid_input_argument","message":"Invalid model_id"}],"trace":"t","status_code":400}"#)
            .unwrap();
        assert_eq!(d.error.as_deref(), Some("Invalid model_id"));
        assert!(p.parse_event(None, "{").is_err());
        let d = p.parse_event(Some("error"), "boom").unwrap();
        assert_eq!(d.error.as_deref(), Some("boom"));
    }
}
