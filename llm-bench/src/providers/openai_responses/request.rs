//! The Responses API request body.

use serde_json::{json, Map, Value};

use crate::providers::body::{finish, messages_json, split_system, temperature};
use crate::providers::request::{ChatRequest, Reasoning};

/// The body of a streaming request to `model`: `model`, `input` (the messages; a system
/// message becomes `instructions`), `max_output_tokens`, `temperature`, `reasoning.effort`,
/// `stream: true`.
pub(crate) fn body(req: &ChatRequest, model: &str) -> Value {
    let (system, messages) = split_system(req.messages());
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    if let Some(system) = system {
        body.insert("instructions".into(), system.into());
    }
    body.insert("input".into(), messages_json(messages.iter().copied()));
    if let Some(n) = req.max_tokens_setting() {
        body.insert("max_output_tokens".into(), n.into());
    }
    temperature(&mut body, req);
    if let Some(effort) = req.reasoning_setting().and_then(Reasoning::effort) {
        body.insert("reasoning".into(), json!({ "effort": effort }));
    }
    finish(body, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_input_and_effort() {
        let req = ChatRequest::new("first")
            .system("sys")
            .message("assistant", "answer")
            .message("user", "second")
            .max_tokens(32)
            .temperature(0.5)
            .reasoning(Reasoning::Medium);
        let body = body(&req, "o4-mini");
        assert_eq!(body["instructions"], "sys");
        assert_eq!(body["input"].as_array().map(Vec::len), Some(3));
        assert_eq!(body["max_output_tokens"], 32);
        assert_eq!(body["reasoning"]["effort"], "medium");
        assert_eq!(body["stream"], true);
    }
}
