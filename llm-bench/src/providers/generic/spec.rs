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

/// Everything the generic provider needs to know about an API. See the [module
/// documentation](super).
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
