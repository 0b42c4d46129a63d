//! The Azure OpenAI chat-completions wire format: OpenAI's chunks with Azure's content
//! filter annotations, as the recorded Azure streams have them. Requests are read as OpenAI
//! chat-completions requests ([`super::openai::parse_request`]).

use std::fmt::Write as _;

use serde_json::Value;

use super::answer::{Answer, TokenKind};
use super::openai;

/// The first chunk of every Azure stream: no choices, the prompt's filter results.
const PROMPT_FILTER_CHUNK: &str = concat!(
    r#"data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":"#,
    r#"{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"detected":false,"filtered":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]}"#,
    "\n\n"
);

/// The filter results of an output chunk: nothing filtered.
const OUTPUT_FILTERS: &str = r#"{"hate":{"filtered":false,"severity":"safe"},"protected_material_code":{"detected":false,"filtered":false},"protected_material_text":{"detected":false,"filtered":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}"#;

/// Writes the SSE events of one streamed answer: Azure's keys in alphabetical order
/// (`choices`, `created`, `id`, `model`, `object`, `system_fingerprint`), each choice with
/// `content_filter_results`.
pub(crate) struct ChunkWriter {
    /// `","created":...,"system_fingerprint":"..."` and `,"usage":null` when usage was asked
    /// for: what follows `choices`, without the closing brace.
    tail: String,
    answer: Answer,
    include_usage: bool,
}

impl ChunkWriter {
    pub(crate) fn new(
        id: &str,
        created: u64,
        model: &str,
        answer: Answer,
        include_usage: bool,
    ) -> Self {
        let model_json = Value::String(model.to_owned()).to_string();
        ChunkWriter {
            tail: format!(
                r#","created":{created},"id":"{id}","model":{model_json},"object":"chat.completion.chunk","system_fingerprint":"fp_llm_bench_mock""#
            ),
            answer,
            include_usage,
        }
    }

    /// One chunk with this choice.
    fn chunk(&self, s: &mut String, choice: &str) {
        s.push_str("data: {\"choices\":[");
        s.push_str(choice);
        s.push(']');
        s.push_str(&self.tail);
        if self.include_usage {
            s.push_str(",\"usage\":null");
        }
        s.push_str("}\n\n");
    }

    /// Sent at once, with the headers: the prompt filter chunk, then the role-only chunk.
    pub(crate) fn head(&self) -> String {
        let mut s = String::from(PROMPT_FILTER_CHUNK);
        self.chunk(
            &mut s,
            r#"{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}"#,
        );
        s
    }

    /// The chunk of sent token `i`: `delta.reasoning_content` for reasoning, as the OpenAI
    /// dialect, `delta.content` for the answer; with the output's filter results.
    pub(crate) fn token(&self, i: u32) -> String {
        let mut choice = String::with_capacity(420);
        choice.push_str(r#"{"content_filter_results":"#);
        choice.push_str(OUTPUT_FILTERS);
        match self.answer.kind(i).0 {
            TokenKind::Reasoning => choice.push_str(r#","delta":{"reasoning_content":""#),
            TokenKind::Answer => choice.push_str(r#","delta":{"content":""#),
        }
        self.answer.push_token(&mut choice, i);
        choice.push_str(r#""},"finish_reason":null,"index":0,"logprobs":null}"#);
        let mut s = String::with_capacity(choice.len() + self.tail.len() + 40);
        self.chunk(&mut s, &choice);
        s
    }

    /// The end: the finish chunk, the usage chunk (`choices: []`) when asked for, and
    /// `data: [DONE]`.
    pub(crate) fn trailer(&self) -> String {
        let mut s = String::with_capacity(800);
        let finish = format!(
            r#"{{"content_filter_results":{{}},"delta":{{}},"finish_reason":"{}","index":0,"logprobs":null}}"#,
            openai::finish_reason(&self.answer)
        );
        self.chunk(&mut s, &finish);
        if self.include_usage {
            let _ = write!(
                s,
                "data: {{\"choices\":[]{},\"usage\":{}}}\n\n",
                self.tail,
                openai::usage_json(&self.answer)
            );
        }
        s.push_str("data: [DONE]\n\n");
        s
    }
}

/// The body of a non-streaming answer: OpenAI's `chat.completion` with Azure's
/// `prompt_filter_results` and the choice's `content_filter_results`.
pub(crate) fn completion_body(id: &str, created: u64, model: &str, answer: &Answer) -> String {
    let body = openai::completion_body(id, created, model, answer);
    let Ok(mut v) = serde_json::from_str::<Value>(&body) else {
        return body;
    };
    let filters: Value = serde_json::from_str(OUTPUT_FILTERS).unwrap_or(Value::Null);
    if let Some(choice) = v.pointer_mut("/choices/0") {
        choice["content_filter_results"] = filters;
    }
    let prompt_filters = PROMPT_FILTER_CHUNK.trim_start_matches("data: ").trim_end();
    if let Ok(chunk) = serde_json::from_str::<Value>(prompt_filters) {
        v["prompt_filter_results"] = chunk["prompt_filter_results"].clone();
    }
    v.to_string()
}
