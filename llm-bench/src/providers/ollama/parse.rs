//! The parser of Ollama's native streaming API (`/api/chat` and `/api/generate`).
//!
//! Format (<https://github.com/ollama/ollama/blob/main/docs/api.md>): `application/x-ndjson`,
//! one JSON object per line, each with `model` and `created_at`. The last line has
//! `done: true`, `done_reason`, `prompt_eval_count`, `eval_count` and `*_duration` values in
//! nanoseconds. Errors are sent as an `{"error": "..."}` line. One parser serves both
//! endpoints: their text fields differ (`message.content` for chat, `response` for
//! generate) and never appear together.
//!
//! | wire | becomes |
//! |---|---|
//! | `message.content` (chat), `response` (generate) | [`Delta::text`] |
//! | `message.thinking` (chat), `thinking` (generate), for thinking models | [`Delta::reasoning`] |
//! | `message.tool_calls[].function.arguments` (whole objects, as compact JSON) | [`Delta::tool_arguments`] |
//! | `done: true` | [`Delta::done`], with `done_reason` as [`Delta::finish_reason`] |
//! | `prompt_eval_count` / `eval_count` | [`Delta::usage`] prompt / completion |
//! | `error` | [`Delta::error`] |
//!
//! `prompt_eval_count` is absent when the whole prompt came from Ollama's cache; then the
//! prompt count is not reported. `eval_count` includes thinking tokens.

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{from_json, ApiError, Count, Lenient, PayloadError, Text};

/// Parses one NDJSON line of an Ollama `/api/chat` or `/api/generate` stream. A blank line
/// gives an empty delta.
pub(crate) fn parse_line(line: &str) -> Result<Delta, PayloadError> {
    if line.trim_ascii().is_empty() {
        return Ok(Delta::default());
    }
    let ev: Line<'_> = from_json(line)?;
    let mut delta = Delta::default();
    if let Some(message) = ev.message.0 {
        delta.text.push_str(message.content.as_str());
        delta.reasoning.push_str(message.thinking.as_str());
        for call in message.tool_calls.into_iter().flatten() {
            let args = call.function.0.and_then(|f| f.arguments);
            match args {
                Some(serde_json::Value::String(s)) => delta.tool_arguments.push_str(&s),
                Some(a) if !a.is_null() => delta.tool_arguments.push_str(&a.to_string()),
                _ => delta.tool_arguments.push_str("{}"),
            }
        }
    }
    delta.text.push_str(ev.response.as_str());
    delta.reasoning.push_str(ev.thinking.as_str());
    if ev.done == Some(true) {
        delta.done = true;
        if let Some(reason) = ev.done_reason.filter(|r| !r.as_str().is_empty()) {
            delta.finish_reason = Some(reason.0.into_owned());
        }
    }
    if ev.prompt_eval_count.0.is_some() || ev.eval_count.0.is_some() {
        delta.usage = Some(Usage {
            prompt_tokens: ev.prompt_eval_count.0,
            completion_tokens: ev.eval_count.0,
            reasoning_tokens: None,
        });
    }
    delta.error = ev.error.map(ApiError::into_message);
    Ok(delta)
}

/// One NDJSON line, only the fields we read.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default, borrow)]
    message: Lenient<Message<'a>>,
    #[serde(default, borrow)]
    response: Text<'a>,
    #[serde(default, borrow)]
    thinking: Text<'a>,
    #[serde(default)]
    done: Option<bool>,
    #[serde(default, borrow)]
    done_reason: Option<Text<'a>>,
    #[serde(default)]
    prompt_eval_count: Count,
    #[serde(default)]
    eval_count: Count,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
}

/// `message` of a `/api/chat` line.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(default, borrow)]
    content: Text<'a>,
    #[serde(default, borrow)]
    thinking: Text<'a>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

/// One whole tool call.
#[derive(Deserialize)]
struct ToolCall {
    #[serde(default)]
    function: Lenient<Function>,
}

/// A tool call arrives whole, and rarely: building a `Value` costs nothing per token.
#[derive(Deserialize)]
struct Function {
    #[serde(default)]
    arguments: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_line_then_done() {
        let d = parse_line(
            r#"{"model":"llama3","message":{"role":"assistant","content":"Why"},"done":false}"#,
        )
        .unwrap();
        assert_eq!(d.text, "Why");
        let d = parse_line(r#"{"model":"llama3","response":"","done":true,"prompt_eval_count":17,"eval_count":71}"#).unwrap();
        assert!(d.done);
        assert_eq!(d.usage.unwrap().completion_tokens, Some(71));
    }

    fn parse(line: &str) -> Delta {
        parse_line(line).unwrap()
    }

    #[test]
    fn chat_and_generate_text() {
        let d = parse(
            r#"{"model":"llama3","created_at":"2024-05-24T20:26:46.294874Z","message":{"role":"assistant","content":" did"},"done":false}"#,
        );
        assert_eq!(d.text, " did");
        assert!(!d.done && d.usage.is_none());
        let d = parse(r#"{"model":"llama3","created_at":"x","response":"A","done":false}"#);
        assert_eq!(d.text, "A");
    }

    #[test]
    fn final_line() {
        let d = parse(
            r#"{"model":"llama3","created_at":"x","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":1897385625,"load_duration":1631208,"prompt_eval_count":17,"prompt_eval_duration":313560000,"eval_count":50,"eval_duration":1577990000}"#,
        );
        assert!(d.done && !d.is_output());
        assert_eq!(d.finish_reason.as_deref(), Some("stop"));
        assert_eq!(
            d.usage,
            Some(Usage {
                prompt_tokens: Some(17),
                completion_tokens: Some(50),
                reasoning_tokens: None
            })
        );
    }

    #[test]
    fn thinking_and_tools() {
        let d =
            parse(r#"{"message":{"role":"assistant","content":"","thinking":"Hmm"},"done":false}"#);
        assert_eq!(d.reasoning, "Hmm");
        assert!(d.is_output() && !d.is_answer());
        let d = parse(r#"{"response":"","thinking":"So","done":false}"#);
        assert_eq!(d.reasoning, "So");
        let d = parse(
            r#"{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},"done":false}"#,
        );
        assert_eq!(d.tool_arguments, r#"{"city":"Tokyo"}"#);
    }

    #[test]
    fn error_line() {
        let d = parse(r#"{"error":"model 'llama9' not found"}"#);
        assert_eq!(d.error.as_deref(), Some("model 'llama9' not found"));
        assert!(parse_line("{\"done\": tru").is_err());
    }
}
