//! The spec of a generic provider: its body template, framing, headers and the JSON
//! pointers its parser reads (see the [module documentation](super)).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a generic stream frames its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GenericFraming {
    /// Server-sent events: each event's `data` is one JSON event.
    #[default]
    Sse,
    /// Newline-delimited JSON: each non-blank line is one JSON event.
    Ndjson,
}

/// A provider for any streaming JSON API: a body template, SSE or NDJSON framing, and
/// JSON-pointer paths that pick the text, reasoning, usage and errors out of each event.
/// This spec is the provider ([`Provider::Generic`](crate::Provider::Generic)).
///
/// | | |
/// |---|---|
/// | endpoint | `POST {base}`: the base URL is the whole request URL (it may contain `{{model}}`) |
/// | auth | the spec's `headers` (`{{api_key}}` in a value is the key), else `Authorization: Bearer <key>` |
/// | environment | `LLM_BENCH_BASE_URL`; `LLM_BENCH_API_KEY`; `LLM_BENCH_GENERIC_SPEC`, the path of a JSON spec file |
/// | body | the spec's template (see below) |
/// | framing | the spec's: SSE or NDJSON, each event read with its JSON pointers |
///
/// Name: `generic`, selected by `LLM_BENCH_PROVIDER` only (it needs a spec file).
///
/// A spec can be written in code or read from a JSON file (`LLM_BENCH_GENERIC_SPEC` for the
/// environment):
///
/// ```
/// use llm_bench::{GenericFraming, GenericSpec};
/// use serde_json::json;
///
/// let spec: GenericSpec = serde_json::from_value(json!({
///     "framing": "sse",
///     "body": {"model": "{{model}}", "messages": "{{messages}}", "max_tokens": "{{max_tokens}}", "stream": true},
///     "headers": {"authorization": "Bearer {{api_key}}"},
///     "text": "/choices/0/delta/content",
///     "completion_tokens": "/usage/completion_tokens",
///     "done": "[DONE]"
/// }))?;
/// assert_eq!(spec.framing, GenericFraming::Sse);
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Placeholders
///
/// In the body template, a string that is exactly a placeholder is replaced by a JSON value:
/// `"{{messages}}"` by `[{"role", "content"}, ...]`, `"{{max_tokens}}"` and
/// `"{{temperature}}"` by numbers (the key is removed when the request sets none),
/// `"{{model}}"`, `"{{prompt}}"` (the messages as text, joined by blank lines), `"{{system}}"` and `"{{user}}"` (the last user
/// message) by strings (`{{system}}` is removed when there is none). A placeholder inside a
/// longer string is replaced by its text. `{{api_key}}` is replaced only in header values,
/// never in the body or the URL; when no header uses it, a key is sent as
/// `Authorization: Bearer ...`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericSpec {
    /// SSE (default) or NDJSON.
    #[serde(default)]
    pub framing: GenericFraming,
    /// The JSON body template.
    pub body: Value,
    /// Request headers (values may contain `{{api_key}}`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON pointer (RFC 6901) to the answer text of an event, e.g. `/choices/0/delta/content`.
    #[serde(default)]
    pub text: Option<String>,
    /// JSON pointer to the reasoning text of an event.
    #[serde(default)]
    pub reasoning: Option<String>,
    /// JSON pointer to the prompt token count, in the events that report it.
    #[serde(default)]
    pub prompt_tokens: Option<String>,
    /// JSON pointer to the completion token count, in the events that report it.
    #[serde(default)]
    pub completion_tokens: Option<String>,
    /// JSON pointer to an error the API reports inside the stream (a string, or an object
    /// with a `message`); a non-null value ends the request as a mid-stream error.
    #[serde(default)]
    pub error: Option<String>,
    /// The end of the stream: a pointer (starting with `/`) whose value `true` (or any
    /// non-null, non-false value) marks the last event, or the exact `data` of a terminator
    /// event such as `[DONE]`. Without it, the stream ends when the connection closes.
    #[serde(default)]
    pub done: Option<String>,
}

impl GenericSpec {
    /// Reads a spec from a JSON file.
    pub fn from_file(path: &std::path::Path) -> crate::Result<GenericSpec> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            crate::Error::Config(format!(
                "could not read the generic provider spec {}: {e}",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            crate::Error::Config(format!(
                "the generic provider spec {} is not valid: {e}",
                path.display()
            ))
        })
    }

    /// True when a header value uses `{{api_key}}`.
    pub(crate) fn uses_key_in_headers(&self) -> bool {
        self.headers.values().any(|v| v.contains("{{api_key}}"))
    }
}
