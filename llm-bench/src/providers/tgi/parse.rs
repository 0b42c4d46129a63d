//! The parser of Hugging Face Text Generation Inference's `/generate_stream`.
//!
//! Format (<https://huggingface.co/docs/text-generation-inference/conceptual/streaming>):
//! unnamed server-sent events, one per generated token:
//! `data:{"index":..,"token":{"id":..,"text":..,"logprob":..,"special":..},"generated_text":null,"details":null}`.
//! The last event carries the whole `generated_text` and `details` (`finish_reason`,
//! `generated_tokens`, `seed`, and in recent versions `input_length`). There is no `[DONE]`;
//! some builds omit the space after `data:` (the SSE decoder accepts both). TGI's
//! OpenAI-compatible `/v1/chat/completions` is parsed as OpenAI Chat instead.
//!
//! | wire | becomes |
//! |---|---|
//! | `token.text` of a token with `special: false` | [`Delta::text`] |
//! | `details.generated_tokens` / `details.input_length` | [`Delta::usage`] completion / prompt |
//! | `details.finish_reason` | [`Delta::finish_reason`] |
//! | an event with non-null `generated_text` or `details` (the last) | [`Delta::done`] |
//! | `{"error": .., "error_type": ..}`, or an `error` event | [`Delta::error`] |
//!
//! Special tokens (`</s>`, `<|eot_id|>`...) are control tokens, not text: they are not
//! output (the corpus' rule: "first data: event whose token.special is false").
//! `generated_text` repeats the whole text and is not added again.
//!
//! `details.input_length` is TGI's count of prompt tokens, so it is reported as
//! `prompt_tokens`; the corpus' sidecars leave the prompt count empty even where
//! `input_length` is present, which the corpus test records as a known disagreement.

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{
    error_message, from_json, ApiError, Count, Lenient, PayloadError, Text,
};

/// Parses one server-sent event of a TGI `/generate_stream` stream. Empty data gives an
/// empty delta.
pub(crate) fn parse_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
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
    if let Some(token) = ev.token.0 {
        if token.special != Some(true) {
            delta.text.push_str(token.text.as_str());
        }
    }
    delta.done = ev.generated_text.is_some() || ev.details.0.is_some();
    if let Some(details) = ev.details.0 {
        if let Some(reason) = details.finish_reason.filter(|r| !r.as_str().is_empty()) {
            delta.finish_reason = Some(reason.0.into_owned());
        }
        if details.generated_tokens.0.is_some() || details.input_length.0.is_some() {
            delta.usage = Some(Usage {
                prompt_tokens: details.input_length.0,
                completion_tokens: details.generated_tokens.0,
                reasoning_tokens: None,
            });
        }
    }
    delta.error = ev.error.map(ApiError::into_message);
    Ok(delta)
}

/// One event payload, only the fields we read.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(default, borrow)]
    token: Lenient<Token<'a>>,
    #[serde(default, borrow)]
    generated_text: Option<Text<'a>>,
    #[serde(default, borrow)]
    details: Lenient<Details<'a>>,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
}

/// `token` of an event.
#[derive(Deserialize)]
struct Token<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default)]
    special: Option<bool>,
}

/// `details` of the last event.
#[derive(Deserialize)]
struct Details<'a> {
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
    #[serde(default)]
    generated_tokens: Count,
    #[serde(default)]
    input_length: Count,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_event() {
        let d = parse_event(None, r#"{"index":1,"token":{"id":13,"text":".","logprob":-2.8,"special":false},"generated_text":null,"details":null}"#).unwrap();
        assert_eq!(d.text, ".");
    }

    fn parse(data: &str) -> Delta {
        parse_event(None, data).unwrap()
    }

    #[test]
    fn tokens_and_last_event() {
        let d = parse(
            r#"{"index":1,"token":{"id":3,"text":"Deep","logprob":-0.1,"special":false},"generated_text":null,"details":null}"#,
        );
        assert_eq!(d.text, "Deep");
        assert!(!d.done && d.usage.is_none());
        let d = parse(
            r#"{"index":2,"token":{"id":13,"text":".","logprob":-2.8,"special":false},"generated_text":"Deep.","details":{"finish_reason":"length","generated_tokens":2,"seed":null,"input_length":5}}"#,
        );
        assert_eq!(d.text, ".");
        assert!(d.done);
        assert_eq!(d.finish_reason.as_deref(), Some("length"));
        let u = d.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (Some(5), Some(2)));
    }

    #[test]
    fn special_tokens_are_not_output() {
        let d = parse(
            r#"{"index":3,"token":{"id":2,"text":"</s>","logprob":0.0,"special":true},"generated_text":"x","details":{"finish_reason":"eos_token","generated_tokens":3}}"#,
        );
        assert!(!d.is_output() && d.done);
    }

    #[test]
    fn errors() {
        let d = parse(r#"{"error":"Input validation error","error_type":"validation"}"#);
        assert_eq!(d.error.as_deref(), Some("Input validation error"));
        let d = parse_event(Some("error"), r#"{"error":"overloaded"}"#).unwrap();
        assert_eq!(d.error.as_deref(), Some("overloaded"));
        assert!(parse_event(None, "{").is_err());
    }
}
