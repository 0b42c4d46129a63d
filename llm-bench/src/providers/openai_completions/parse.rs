//! The parser of OpenAI legacy Completions stream chunks (`/v1/completions`).
//!
//! Format (<https://platform.openai.com/docs/api-reference/completions/create>): unnamed
//! `data:` events carrying `text_completion` objects, then `data: [DONE]`. Many
//! OpenAI-compatible servers (vLLM, llama.cpp, TGI) speak it too.
//!
//! | wire | becomes |
//! |---|---|
//! | `choices[i].text` | [`Delta::text`] for index 0, else [`Delta::other_choice_text`] |
//! | `choices[i].finish_reason` | [`Delta::finish_reason`] |
//! | `usage` (`prompt_tokens`, `completion_tokens`; sent only with `stream_options.include_usage`) | [`Delta::usage`] |
//! | `data: [DONE]` | [`Delta::done`] |
//! | an `event: error` event, or a top-level `error` object | [`Delta::error`] |

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{
    done_or_empty, error_message, from_json, ApiError, Count, Lenient, PayloadError, Text,
};

/// Parses one server-sent event of a legacy Completions stream. Empty data gives an empty
/// delta.
pub(crate) fn parse_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    if event == Some("error") {
        return Ok(Delta {
            error: Some(error_message(data)),
            ..Delta::default()
        });
    }
    if let Some(delta) = done_or_empty(data) {
        return Ok(delta);
    }
    let chunk: Chunk<'_> = from_json(data)?;
    let mut delta = Delta::default();
    for choice in chunk.choices.into_iter().flatten() {
        let index = choice
            .index
            .0
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(0);
        if let Some(reason) = choice.finish_reason.filter(|r| !r.as_str().is_empty()) {
            delta
                .finish_reason
                .get_or_insert_with(|| reason.0.into_owned());
        }
        let text = choice.text.as_str();
        if text.is_empty() {
            continue;
        }
        if index == 0 {
            delta.text.push_str(text);
        } else {
            match delta
                .other_choice_text
                .iter_mut()
                .find(|(i, _)| *i == index)
            {
                Some((_, t)) => t.push_str(text),
                None => delta.other_choice_text.push((index, text.to_owned())),
            }
        }
    }
    delta.usage = chunk.usage.0.map(|u| Usage {
        prompt_tokens: u.prompt_tokens.0,
        completion_tokens: u.completion_tokens.0,
        reasoning_tokens: None,
    });
    delta.error = chunk.error.map(ApiError::into_message);
    Ok(delta)
}

/// One `text_completion` chunk, only the fields we read.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    choices: Option<Vec<Choice<'a>>>,
    #[serde(default)]
    usage: Lenient<RawUsage>,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
}

/// One choice of a chunk.
#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default)]
    index: Count,
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
}

/// `usage` as the API reports it.
#[derive(Deserialize)]
struct RawUsage {
    #[serde(default)]
    prompt_tokens: Count,
    #[serde(default)]
    completion_tokens: Count,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_chunk() {
        let d = parse_event(None, r#"{"object":"text_completion","choices":[{"text":"-common","index":0,"logprobs":null,"finish_reason":null}]}"#).unwrap();
        assert_eq!(d.text, "-common");
    }

    fn parse(data: &str) -> Delta {
        parse_event(None, data).unwrap()
    }

    #[test]
    fn text_finish_and_done() {
        let d = parse(
            r#"{"id":"cmpl","object":"text_completion","created":1,"choices":[{"text":" order","index":0,"logprobs":null,"finish_reason":"length"}],"model":"davinci-002"}"#,
        );
        assert_eq!(d.text, " order");
        assert_eq!(d.finish_reason.as_deref(), Some("length"));
        assert!(parse("[DONE]").done);
    }

    #[test]
    fn choices_usage_and_errors() {
        let d =
            parse(r#"{"choices":[{"text":"a","index":1},{"text":"b","index":0}],"usage":null}"#);
        assert_eq!(d.text, "b");
        assert_eq!(d.other_choice_text, vec![(1, "a".to_owned())]);
        let d = parse(
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":16,"total_tokens":21}}"#,
        );
        assert!(!d.is_output());
        let u = d.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (Some(5), Some(16)));
        let d = parse(r#"{"error":{"message":"overloaded","type":"server_error"}}"#);
        assert_eq!(d.error.as_deref(), Some("overloaded"));
        let d = parse_event(Some("error"), r#"{"error":{"message":"x"}}"#).unwrap();
        assert_eq!(d.error.as_deref(), Some("x"));
        assert!(parse_event(None, "{\"choices\": 1}").is_err());
    }
}
