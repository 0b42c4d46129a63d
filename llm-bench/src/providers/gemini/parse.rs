//! The parser of Google Gemini (and Vertex AI) `GenerateContentResponse` stream chunks.
//!
//! Format (<https://ai.google.dev/api/generate-content>, `models.streamGenerateContent`):
//! with `?alt=sse`, each unnamed server-sent event carries one `GenerateContentResponse`
//! (framed with CRLF in every recording); without it the body is one streamed JSON array of
//! them (decoded by the crate's JSON-array framing). Either way each chunk is parsed by
//! [`parse_chunk`]. There is no terminator: the stream ends when the connection closes.
//! Vertex AI (aiplatform.googleapis.com) uses the same shapes.
//!
//! | wire | becomes |
//! |---|---|
//! | `candidates[i].content.parts[].text` | [`Delta::text`] for candidate 0, else [`Delta::other_choice_text`] |
//! | a part with `thought: true` | its text goes to [`Delta::reasoning`] |
//! | a part with `functionCall` | its `args`, as compact JSON (`{}` when absent), to [`Delta::tool_arguments`] |
//! | `candidates[i].finishReason` (else `promptFeedback.blockReason`) | [`Delta::finish_reason`] |
//! | `usageMetadata` | [`Delta::usage`] (see below) |
//! | a top-level `error` object (`code`, `message`, `status`) | [`Delta::error`] |
//!
//! A function call arrives whole in one part, so it is output on its own (the corpus' Gemini
//! tool-call stream counts it so). `thoughtSignature`, `inlineData`, `executableCode` and
//! `codeExecutionResult` parts carry no text and are not output.
//!
//! Usage: `usageMetadata` may ride on every chunk; it is cumulative and the last one is
//! authoritative. `promptTokenCount` becomes `prompt_tokens`, `thoughtsTokenCount`
//! `reasoning_tokens`, and `candidatesTokenCount` `completion_tokens`, which for Gemini
//! **excludes the thinking tokens** (unlike OpenAI, whose `completion_tokens` includes
//! reasoning): all generated tokens are `completion_tokens + reasoning_tokens`. This matches
//! the corpus' `usage_normalized` ("thoughtsTokenCount counted separately") and Gemini's own
//! fields; `totalTokenCount` is prompt + candidates + thoughts (+ tool-use prompt).

use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{from_json, ApiError, Count, Lenient, PayloadError, Text};

/// Parses one `GenerateContentResponse` chunk: the `data` of an SSE event, or one element of
/// the streamed JSON array. Empty data gives an empty delta.
pub(crate) fn parse_chunk(data: &str) -> Result<Delta, PayloadError> {
    if data.trim_ascii().is_empty() {
        return Ok(Delta::default());
    }
    let chunk: Chunk<'_> = from_json(data)?;
    let mut delta = Delta::default();
    for (position, candidate) in chunk.candidates.into_iter().flatten().enumerate() {
        let index = candidate
            .index
            .0
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(u32::try_from(position).unwrap_or(u32::MAX));
        if let Some(reason) = candidate.finish_reason.filter(|r| !r.as_str().is_empty()) {
            delta
                .finish_reason
                .get_or_insert_with(|| reason.0.into_owned());
        }
        let parts = candidate
            .content
            .0
            .and_then(|c| c.parts)
            .unwrap_or_default();
        for part in parts {
            if let Some(call) = part.function_call.0 {
                match call.args {
                    Some(args) if !args.is_null() => {
                        delta.tool_arguments.push_str(&args.to_string());
                    }
                    _ => delta.tool_arguments.push_str("{}"),
                }
            }
            let text = part.text.as_str();
            if text.is_empty() {
                continue;
            }
            if part.thought == Some(true) {
                delta.reasoning.push_str(text);
            } else if index == 0 {
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
    }
    if delta.finish_reason.is_none() {
        if let Some(reason) = chunk
            .prompt_feedback
            .0
            .and_then(|f| f.block_reason)
            .filter(|r| !r.as_str().is_empty())
        {
            delta.finish_reason = Some(reason.0.into_owned());
        }
    }
    delta.usage = chunk.usage_metadata.0.map(|u| Usage {
        prompt_tokens: u.prompt_token_count.0,
        completion_tokens: u.candidates_token_count.0,
        reasoning_tokens: u.thoughts_token_count.0,
    });
    delta.error = chunk.error.map(ApiError::into_message);
    Ok(delta)
}

/// One `GenerateContentResponse`, only the fields we read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Chunk<'a> {
    #[serde(default, borrow)]
    candidates: Option<Vec<Candidate<'a>>>,
    #[serde(default)]
    usage_metadata: Lenient<UsageMetadata>,
    #[serde(default, borrow)]
    prompt_feedback: Lenient<PromptFeedback<'a>>,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
}

/// One candidate (answer) of a chunk.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate<'a> {
    #[serde(default, borrow)]
    content: Lenient<Content<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
    #[serde(default)]
    index: Count,
}

/// `content` of a candidate.
#[derive(Deserialize)]
struct Content<'a> {
    #[serde(default, borrow)]
    parts: Option<Vec<Part<'a>>>,
}

/// One part of a content: text, a thought or a function call.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part<'a> {
    #[serde(default, borrow)]
    text: Text<'a>,
    #[serde(default)]
    thought: Option<bool>,
    #[serde(default)]
    function_call: Lenient<FunctionCall>,
}

/// A function call: only the arguments are kept. They arrive whole, as a JSON object, and
/// are rare, so building a `Value` here costs nothing per token.
#[derive(Deserialize)]
struct FunctionCall {
    #[serde(default)]
    args: Option<serde_json::Value>,
}

/// `promptFeedback`: why a prompt was blocked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback<'a> {
    #[serde(default, borrow)]
    block_reason: Option<Text<'a>>,
}

/// `usageMetadata`, cumulative.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: Count,
    #[serde(default)]
    candidates_token_count: Count,
    #[serde(default)]
    thoughts_token_count: Count,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thought_part_is_reasoning() {
        let d = parse_chunk(
            r#"{"candidates":[{"content":{"parts":[{"text":"Let me think","thought":true}]}}]}"#,
        )
        .unwrap();
        assert_eq!(d.reasoning, "Let me think");
        assert!(d.is_output() && !d.is_answer());
    }

    fn parse(data: &str) -> Delta {
        parse_chunk(data).unwrap()
    }

    #[test]
    fn text_and_usage() {
        let d = parse(
            r#"{"candidates": [{"content": {"parts": [{"text": "The capital"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 13,"totalTokenCount": 13},"modelVersion": "gemini-2.0-flash-exp"}"#,
        );
        assert_eq!(d.text, "The capital");
        assert_eq!(
            d.usage,
            Some(Usage {
                prompt_tokens: Some(13),
                completion_tokens: None,
                reasoning_tokens: None
            })
        );
    }

    #[test]
    fn thoughts_are_reasoning_and_counted_apart() {
        let d = parse(
            r#"{"candidates":[{"content":{"parts":[{"text":"**Plan**","thought":true},{"text":"Answer"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":34,"candidatesTokenCount":469,"thoughtsTokenCount":787,"totalTokenCount":1290}}"#,
        );
        assert_eq!(d.reasoning, "**Plan**");
        assert_eq!(d.text, "Answer");
        assert_eq!(d.finish_reason.as_deref(), Some("STOP"));
        let u = d.usage.unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.reasoning_tokens),
            (Some(34), Some(469), Some(787))
        );
    }

    #[test]
    fn function_call_is_output() {
        let d = parse(
            r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"CiQB"}],"role":"model"}}]}"#,
        );
        assert_eq!(d.tool_arguments, r#"{"city":"Paris"}"#);
        assert!(d.is_output() && !d.is_answer());
        let d =
            parse(r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"now"}}]}}]}"#);
        assert_eq!(d.tool_arguments, "{}");
    }

    #[test]
    fn empty_and_signature_parts_are_not_output() {
        for data in [
            r#"{"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":5}}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"abc"}]}}]}"#,
            r#"{"candidates":[{"content":{"role":"model"}}]}"#,
            r#"{"candidates":[]}"#,
            "",
        ] {
            assert!(!parse(data).is_output(), "{data}");
        }
    }

    #[test]
    fn other_candidates() {
        let d = parse(
            r#"{"candidates":[{"index":1,"content":{"parts":[{"text":"b"}]}},{"content":{"parts":[{"text":"a"}]},"index":0}]}"#,
        );
        assert_eq!(d.text, "a");
        assert_eq!(d.other_choice_text, vec![(1, "b".to_owned())]);
    }

    #[test]
    fn errors_and_blocked_prompts() {
        let d = parse(
            r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#,
        );
        assert_eq!(d.error.as_deref(), Some("The model is overloaded."));
        let d = parse(
            r#"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4}}"#,
        );
        assert_eq!(d.finish_reason.as_deref(), Some("SAFETY"));
        assert!(!d.is_output());
        assert!(parse_chunk("{\"candidates\": 3}").is_err());
        assert!(parse_chunk("not json").is_err());
    }
}
