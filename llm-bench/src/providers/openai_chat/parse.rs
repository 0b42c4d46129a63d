//! The parser of OpenAI-compatible Chat Completions stream chunks.
//!
//! [`parse_event`] turns one decoded server-sent event of a `/v1/chat/completions` stream
//! into a [`Delta`]. The same wire format is spoken, with extensions, by Azure OpenAI,
//! DeepSeek, Groq, Mistral, OpenRouter, vLLM, TGI's Messages API, the Hugging Face router
//! (Cerebras, Fireworks, Novita, SambaNova, Together), Snowflake Cortex and Z.ai; all of
//! them are covered:
//!
//! | wire | becomes |
//! |---|---|
//! | `data: [DONE]` | [`Delta::done`] |
//! | `choices[i].delta.content` (string) | [`Delta::text`] for index 0, else [`Delta::other_choice_text`] |
//! | `delta.content` as parts (Mistral Magistral): `{"type":"text","text":..}` / `{"type":"thinking","thinking":[{"type":"text","text":..}]}` | text / [`Delta::reasoning`] |
//! | `delta.reasoning_content` (DeepSeek, Z.ai, vLLM), else `delta.reasoning` (Groq gpt-oss, OpenRouter, newer vLLM) | [`Delta::reasoning`] |
//! | `delta.refusal` | [`Delta::refusal`] |
//! | `delta.tool_calls[].function.name` and `.arguments` | [`Delta::tool_arguments`] |
//! | `usage` (`prompt_tokens`, `completion_tokens`, `completion_tokens_details.reasoning_tokens`), else Groq's `x_groq.usage` | [`Delta::usage`] |
//! | `choices[i].finish_reason` | [`Delta::finish_reason`] |
//! | an `event: error` event, or a top-level `error` object (OpenRouter) | [`Delta::error`] |
//!
//! What is *not* output (so TTFT does not stop there): a role-only first chunk (`content`
//! `""` or `null`), Azure's first chunk with `choices: []` and `prompt_filter_results`, the
//! `include_usage` chunk with `choices: []`, a `finish_reason`-only chunk. A chunk that only
//! names a tool (`"arguments": ""`) *is* output: the name is generated text, and the
//! recorded corpus' reference counts it so (`first_output_event_index`).
//!
//! Strictness: a payload that is not JSON, or whose known fields have impossible shapes
//! (e.g. `choices` not an array), is a [`PayloadError`]. Unknown fields are ignored, and text
//! fields of unexpected non-string types are read as empty rather than failing the request.
//!
//! Performance: this runs once per token. Chunks are deserialized with serde into borrowed
//! typed structs, so unescaped strings are not copied until they are appended to the
//! [`Delta`], and fields we do not need (logprobs, content filter results, ...) are skipped
//! without being built.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::delta::{Delta, Usage};
use crate::providers::payload::{done_or_empty, error_message, ApiError, PayloadError, Text};

/// Parses one server-sent event of a Chat Completions stream.
///
/// `event` is the SSE event type (`None` for unnamed events, which is what OpenAI sends),
/// `data` its joined data lines.
///
/// - `[DONE]` gives a delta with only [`Delta::done`] set.
/// - An `error` event gives a delta with [`Delta::error`] set, with the API's message (or
///   the start of the raw payload if it has none): such an event is a reported error, not a
///   malformed stream.
/// - An event with empty data gives an empty delta.
/// - Data that is not a chunk object is a [`PayloadError`].
pub(crate) fn parse_event(event: Option<&str>, data: &str) -> Result<Delta, PayloadError> {
    if event == Some("error") {
        return Ok(parse_error_event(data));
    }
    if let Some(delta) = done_or_empty(data) {
        return Ok(delta);
    }
    let chunk: Chunk<'_> = serde_json::from_str(data).map_err(|e| PayloadError::json(&e, data))?;
    Ok(chunk.into_delta())
}

/// An `event: error` event: `{"error": {...}}` (Groq), or `{"message": ...}`, or anything.
fn parse_error_event(data: &str) -> Delta {
    Delta {
        error: Some(error_message(data)),
        ..Delta::default()
    }
}

/// One `chat.completion.chunk`, only the fields we read.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    choices: Option<Vec<Choice<'a>>>,
    #[serde(default)]
    usage: Option<RawUsage>,
    #[serde(default)]
    x_groq: Option<XGroq>,
    #[serde(default, borrow)]
    error: Option<ApiError<'a>>,
}

/// One choice of a chunk.
#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default, borrow)]
    delta: Option<ChoiceDelta<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Text<'a>>,
}

/// `delta` of a choice.
#[derive(Deserialize)]
struct ChoiceDelta<'a> {
    #[serde(default, borrow)]
    content: Option<Content<'a>>,
    #[serde(default, borrow)]
    reasoning_content: Option<Text<'a>>,
    #[serde(default, borrow)]
    reasoning: Option<Text<'a>>,
    #[serde(default, borrow)]
    refusal: Option<Text<'a>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<ToolCall<'a>>>,
}

/// One tool call fragment of a delta.
#[derive(Deserialize)]
struct ToolCall<'a> {
    #[serde(default, borrow)]
    function: Option<Function<'a>>,
}

/// The function of a tool call fragment: its name and a fragment of its arguments.
#[derive(Deserialize)]
struct Function<'a> {
    #[serde(default, borrow)]
    name: Option<Text<'a>>,
    #[serde(default, borrow)]
    arguments: Option<Text<'a>>,
}

/// A content part (Mistral): `{"type":"text","text":..}` or
/// `{"type":"thinking","thinking":[parts]}`.
#[derive(Deserialize)]
struct Part<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    text: Option<Text<'a>>,
    #[serde(default, borrow)]
    thinking: Option<Content<'a>>,
}

/// `usage` as the API reports it.
#[derive(Deserialize)]
struct RawUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

/// `completion_tokens_details`.
#[derive(Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

/// Groq's `x_groq` extension, where it reports usage.
#[derive(Deserialize)]
struct XGroq {
    #[serde(default)]
    usage: Option<RawUsage>,
}

impl From<RawUsage> for Usage {
    fn from(u: RawUsage) -> Self {
        Usage {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            reasoning_tokens: u.completion_tokens_details.and_then(|d| d.reasoning_tokens),
        }
    }
}

impl<'a> Chunk<'a> {
    /// The delta of this chunk: every choice's text, the usage, an error.
    fn into_delta(self) -> Delta {
        let mut delta = Delta::default();
        for choice in self.choices.into_iter().flatten() {
            let index = choice.index.unwrap_or(0);
            if let Some(reason) = choice.finish_reason {
                if delta.finish_reason.is_none() && !reason.0.is_empty() {
                    delta.finish_reason = Some(reason.0.into_owned());
                }
            }
            if let Some(d) = choice.delta {
                d.append_to(index, &mut delta);
            }
        }
        delta.usage = self
            .usage
            .or_else(|| self.x_groq.and_then(|x| x.usage))
            .map(Usage::from);
        delta.error = self.error.map(ApiError::into_message);
        delta
    }
}

impl<'a> ChoiceDelta<'a> {
    /// Adds this delta's text, reasoning, refusal and tool arguments to `delta`, for choice
    /// `index`.
    fn append_to(self, index: u32, delta: &mut Delta) {
        match self.content {
            Some(Content::Text(text)) => push_answer(delta, index, &text),
            Some(Content::Parts(parts)) => {
                for part in parts {
                    part.append_to(index, delta);
                }
            }
            None => {}
        }
        // vLLM versions in transition send both fields with the same text: take one.
        match (self.reasoning_content, self.reasoning) {
            (Some(r), _) if !r.0.is_empty() => delta.reasoning.push_str(&r.0),
            (_, Some(r)) => delta.reasoning.push_str(&r.0),
            _ => {}
        }
        if let Some(r) = self.refusal {
            delta.refusal.push_str(&r.0);
        }
        for call in self.tool_calls.into_iter().flatten() {
            if let Some(f) = call.function {
                if let Some(name) = f.name {
                    delta.tool_arguments.push_str(&name.0);
                }
                if let Some(args) = f.arguments {
                    delta.tool_arguments.push_str(&args.0);
                }
            }
        }
    }
}

impl<'a> Part<'a> {
    /// Adds this content part's text or thinking to `delta`, for choice `index`.
    fn append_to(self, index: u32, delta: &mut Delta) {
        match self.kind.as_ref().map(|k| k.0.as_ref()) {
            Some("thinking") => {
                if let Some(thinking) = self.thinking {
                    thinking.append_text(&mut delta.reasoning);
                }
            }
            Some("text") | None => {
                if let Some(text) = self.text {
                    push_answer(delta, index, &text.0);
                }
            }
            Some(_) => {}
        }
    }
}

/// Appends answer text of choice `index`.
fn push_answer(delta: &mut Delta, index: u32, text: &str) {
    if text.is_empty() {
        return;
    }
    if index == 0 {
        delta.text.push_str(text);
    } else if let Some((_, t)) = delta
        .other_choice_text
        .iter_mut()
        .find(|(i, _)| *i == index)
    {
        t.push_str(text);
    } else {
        delta.other_choice_text.push((index, text.to_owned()));
    }
}

/// `delta.content`: a string, or an array of parts.
enum Content<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<Part<'a>>),
}

impl Content<'_> {
    /// Appends all text in it (a string, or the `text` of its parts, recursively).
    fn append_text(self, out: &mut String) {
        match self {
            Content::Text(t) => out.push_str(&t),
            Content::Parts(parts) => {
                for part in parts {
                    if let Some(t) = part.text {
                        out.push_str(&t.0);
                    }
                    if let Some(inner) = part.thinking {
                        inner.append_text(out);
                    }
                }
            }
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = Content<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an array of content parts")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Content::Text(Cow::Borrowed("")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(part) = seq.next_element::<Part<'de>>()? {
                    parts.push(part);
                }
                Ok(Content::Parts(parts))
            }
        }
        deserializer.deserialize_any(ContentVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(data: &str) -> Delta {
        parse_event(None, data).unwrap()
    }

    #[test]
    fn a_text_chunk_then_done() {
        let d = parse(r#"{"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#);
        assert_eq!(d.text, "Hi");
        assert!(parse("[DONE]").done);
    }

    #[test]
    fn done_sentinel() {
        let d = parse("[DONE]");
        assert!(d.done && !d.is_output());
        assert!(parse(" [DONE] ").done);
    }

    #[test]
    fn plain_content() {
        let d = parse(
            r#"{"id":"x","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}"#,
        );
        assert_eq!(d.text, "Hello");
        assert!(d.is_answer() && d.is_output());
        assert_eq!(d.finish_reason, None);
    }

    #[test]
    fn escaped_content_is_unescaped() {
        let d =
            parse(r#"{"choices":[{"index":0,"delta":{"content":"a\"b\n\u00e9\ud83d\ude00"}}]}"#);
        assert_eq!(d.text, "a\"b\né😀");
    }

    #[test]
    fn role_only_first_chunk_is_not_output() {
        for data in [
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":null},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#,
            r#"{"choices":[{"delta":{"content":"","refusal":"","role":"assistant","tool_calls":null},"index":0}]}"#,
        ] {
            let d = parse(data);
            assert!(!d.is_output(), "{data}");
            assert_eq!(d, Delta::default(), "{data}");
        }
    }

    #[test]
    fn usage_only_last_chunk_is_not_output() {
        let d = parse(
            r#"{"id":"c","choices":[],"usage":{"prompt_tokens":79,"completion_tokens":11,"total_tokens":90,"completion_tokens_details":{"reasoning_tokens":3}}}"#,
        );
        assert!(!d.is_output());
        assert_eq!(
            d.usage,
            Some(Usage {
                prompt_tokens: Some(79),
                completion_tokens: Some(11),
                reasoning_tokens: Some(3),
            })
        );
    }

    #[test]
    fn null_usage_is_none() {
        let d = parse(r#"{"choices":[{"index":0,"delta":{"content":"a"}}],"usage":null}"#);
        assert_eq!(d.usage, None);
    }

    #[test]
    fn azure_empty_choices_first_chunk_is_not_output() {
        let d = parse(
            r#"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}"#,
        );
        assert_eq!(d, Delta::default());
    }

    #[test]
    fn finish_reason_only_chunk_is_not_output() {
        let d =
            parse(r#"{"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#);
        assert!(!d.is_output());
        assert_eq!(d.finish_reason.as_deref(), Some("stop"));
    }

    #[test]
    fn other_choices() {
        let d = parse(
            r#"{"choices":[{"index":1,"delta":{"content":"b"}},{"index":2,"delta":{"content":"c"}},{"index":1,"delta":{"content":"B"}}]}"#,
        );
        assert_eq!(d.text, "");
        assert_eq!(d.other_choice_text, vec![(1, "bB".into()), (2, "c".into())]);
        assert!(d.is_answer());
    }

    #[test]
    fn mistral_content_parts() {
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"Okay"}]}]},"finish_reason":null}]}"#,
        );
        assert_eq!(d.reasoning, "Okay");
        assert!(d.is_output() && !d.is_answer());
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"To cross"},{"type":"image_url","image_url":"x"}]}}]}"#,
        );
        assert_eq!(d.text, "To cross");
        assert!(d.is_answer());
    }

    #[test]
    fn reasoning_content_and_reasoning() {
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Hmm"}}]}"#,
        );
        assert_eq!(d.reasoning, "Hmm");
        assert!(d.is_output() && !d.is_answer());
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{"reasoning":"We need","channel":"analysis"}}]}"#,
        );
        assert_eq!(d.reasoning, "We need");
        // Both fields with the same text (vLLM in transition): counted once.
        let d =
            parse(r#"{"choices":[{"index":0,"delta":{"reasoning_content":"x","reasoning":"x"}}]}"#);
        assert_eq!(d.reasoning, "x");
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":null,"reasoning":"y"}}]}"#,
        );
        assert_eq!(d.reasoning, "y");
    }

    #[test]
    fn refusal() {
        let d = parse(r#"{"choices":[{"index":0,"delta":{"refusal":"I'm sorry"}}]}"#);
        assert_eq!(d.refusal, "I'm sorry");
        assert!(d.is_output() && !d.is_answer());
    }

    #[test]
    fn tool_calls_name_counts_as_output() {
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null}}]}"#,
        );
        assert_eq!(d.tool_arguments, "get_weather");
        assert!(d.is_output() && !d.is_answer());
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\""}},{"index":1,"function":{"arguments":"x"}}]}}]}"#,
        );
        assert_eq!(d.tool_arguments, "{\"x");
    }

    #[test]
    fn groq_x_groq_usage() {
        let d = parse(
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"r","usage":{"queue_time":0.28,"prompt_tokens":18,"prompt_time":0.002,"completion_tokens":73,"completion_time":0.06,"total_tokens":91,"total_time":0.06}}}"#,
        );
        let u = d.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (Some(18), Some(73)));
        // Top-level usage wins when both are present.
        let d = parse(
            r#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2},"x_groq":{"usage":{"prompt_tokens":3,"completion_tokens":4}}}"#,
        );
        assert_eq!(d.usage.unwrap().prompt_tokens, Some(1));
    }

    #[test]
    fn error_event() {
        let d = parse_event(
            Some("error"),
            r#"{"error":{"message":"Tool choice is required","type":"invalid_request_error","code":"tool_use_failed"}}"#,
        )
        .unwrap();
        assert_eq!(d.error.as_deref(), Some("Tool choice is required"));
        assert!(!d.is_output());
        let d = parse_event(Some("error"), "upstream overloaded").unwrap();
        assert_eq!(d.error.as_deref(), Some("upstream overloaded"));
        let d = parse_event(Some("error"), "").unwrap();
        assert!(d.error.is_some());
        let d = parse_event(Some("error"), r#"{"error":{"code":503}}"#).unwrap();
        assert_eq!(d.error.as_deref(), Some("503"));
    }

    #[test]
    fn top_level_error_in_chunk() {
        let d = parse(
            r#"{"id":"gen","error":{"code":400,"message":"Token limit reached"},"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":43,"completion_tokens":10}}"#,
        );
        assert_eq!(d.error.as_deref(), Some("Token limit reached"));
        assert_eq!(d.usage.unwrap().completion_tokens, Some(10));
        let d = parse(r#"{"error":"rate limited"}"#);
        assert_eq!(d.error.as_deref(), Some("rate limited"));
    }

    #[test]
    fn comment_lines_do_not_count_as_output() {
        // Comments never reach the parser: the SSE decoder drops them, and a block of only
        // comments dispatches no event.
        let mut decoder = crate::framing::Poisoning::new(crate::framing::sse::SseDecoder::new());
        let mut events = Vec::new();
        decoder
            .feed(b": OPENROUTER PROCESSING\n\n: keep-alive\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n", &mut events)
            .unwrap();
        assert_eq!(events.len(), 1);
        let d = parse_event(events[0].event.as_deref(), &events[0].data).unwrap();
        assert!(d.is_output());
        // And if an empty-data event reaches the parser, it is not output.
        assert_eq!(parse_event(None, "").unwrap(), Delta::default());
        assert_eq!(parse_event(Some("ping"), "").unwrap(), Delta::default());
    }

    #[test]
    fn unknown_fields_ignored() {
        let d = parse(
            r#"{"obfuscation":"abc","p":"pad","x":{"y":[1,2]},"choices":[{"index":0,"text":"Deep","seed":null,"delta":{"token_id":5,"content":"Deep","channel":"final"},"logprobs":{"content":[]},"content_filter_results":{}}]}"#,
        );
        assert_eq!(d.text, "Deep");
    }

    #[test]
    fn odd_shapes_of_text_fields_are_empty() {
        let d =
            parse(r#"{"choices":[{"index":0,"delta":{"reasoning":{"summary":"x"},"refusal":7}}]}"#);
        assert!(!d.is_output());
    }

    #[test]
    fn not_json_is_an_error_with_a_short_message() {
        let err = parse_event(None, "not json").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("not json"), "{msg}");
        let huge = format!("{{\"choices\": 5, \"pad\": \"{}\"}}", "é".repeat(10_000));
        let err = parse_event(None, &huge).unwrap_err();
        let msg = err.to_string();
        assert!(msg.len() < 600, "{msg}");
        assert!(msg.ends_with("..."), "{msg}");
        assert!(msg.contains("invalid type"), "{msg}");
        assert!(parse_event(None, "{\"choices\":[").is_err());
    }
}
