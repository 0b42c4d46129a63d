//! The pieces request bodies are built from, shared by every provider's `request.rs`.
//!
//! Each provider builds its documented body from a [`ChatRequest`] and the model to ask
//! for, then calls [`finish`]: the extra fields set with [`ChatRequest::field`] are merged
//! last (objects key by key), so they win; `stream: true` is set after them where the
//! provider has the flag.

use serde_json::{json, Map, Value};

use super::request::{ChatRequest, Message};

/// Messages as the chat APIs write them: `[{"role": .., "content": ..}, ...]`.
pub(crate) fn messages_json<'a>(messages: impl IntoIterator<Item = &'a Message>) -> Value {
    Value::Array(
        messages
            .into_iter()
            .map(|m| json!({ "role": m.role, "content": m.content }))
            .collect(),
    )
}

/// Merges `extra` into `body`: a key holding an object in both is merged key by key
/// (recursively); any other value replaces the body's.
pub(crate) fn merge_fields(body: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        match (body.get_mut(k), v) {
            (Some(Value::Object(into)), Value::Object(from)) => merge_fields(into, from),
            _ => {
                body.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The messages as one prompt, for APIs that take text: the contents joined by a blank
/// line (a single user message is sent as it is). For a chat template, use the server's
/// chat endpoint (e.g. TGI's Messages API through the OpenAI-compatible provider).
pub(crate) fn prompt(messages: &[Message]) -> String {
    let parts: Vec<&str> = messages.iter().map(|m| m.content.as_str()).collect();
    parts.join("\n\n")
}

/// The system messages (joined by a blank line) and the others.
pub(crate) fn split_system(messages: &[Message]) -> (Option<String>, Vec<&Message>) {
    let system: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == "system")
        .map(|m| m.content.as_str())
        .collect();
    let others = messages.iter().filter(|m| m.role != "system").collect();
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    (system, others)
}

/// Inserts `temperature` into `map` when the request sets one.
pub(crate) fn temperature(map: &mut Map<String, Value>, req: &ChatRequest) {
    if let Some(t) = req.temperature_setting() {
        map.insert("temperature".into(), json!(t));
    }
}

/// Merges the request's extra fields, then sets `stream: true` if the provider has it.
pub(crate) fn finish(mut body: Map<String, Value>, req: &ChatRequest, stream: bool) -> Value {
    merge_fields(&mut body, req.extra_fields());
    if stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_fields_merge_key_by_key() {
        let mut body = Map::new();
        body.insert("a".into(), json!({"x": 1, "y": {"z": 2}}));
        let mut extra = Map::new();
        extra.insert("a".into(), json!({"y": {"w": 3}}));
        extra.insert("b".into(), json!(4));
        merge_fields(&mut body, &extra);
        assert_eq!(
            Value::Object(body),
            json!({"a": {"x": 1, "y": {"z": 2, "w": 3}}, "b": 4})
        );
    }

    #[test]
    fn a_prompt_joins_the_messages() {
        assert_eq!(prompt(ChatRequest::new("Hi").messages()), "Hi");
        assert_eq!(
            prompt(ChatRequest::new("Hi").system("Be brief.").messages()),
            "Be brief.\n\nHi"
        );
    }

    #[test]
    fn extra_fields_win_but_stream_stays_on() {
        let req = ChatRequest::new("x")
            .field("stream", Value::Bool(false))
            .field("seed", json!(7));
        let body = finish(Map::new(), &req, true);
        assert_eq!(body, json!({"stream": true, "seed": 7}));
        let body = finish(Map::new(), &req, false);
        assert_eq!(body, json!({"stream": false, "seed": 7}));
    }
}
