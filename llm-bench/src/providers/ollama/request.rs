//! The Ollama `/api/chat` request body.

use serde_json::{Map, Value};

use crate::providers::body::{finish, messages_json, temperature};
use crate::providers::request::{ChatRequest, Reasoning};

/// The body of a streaming request to `model`: `model`, `messages`, `options:
/// {num_predict, temperature}`, `think`, `stream: true`.
pub(crate) fn body(req: &ChatRequest, model: &str) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("messages".into(), messages_json(req.messages()));
    let mut options = Map::new();
    if let Some(n) = req.max_tokens_setting() {
        options.insert("num_predict".into(), n.into());
    }
    temperature(&mut options, req);
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    if let Some(r) = req.reasoning_setting() {
        body.insert("think".into(), Value::Bool(r != Reasoning::Off));
    }
    finish(body, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_and_think() {
        let req = ChatRequest::new("first")
            .system("sys")
            .max_tokens(32)
            .temperature(0.5)
            .reasoning(Reasoning::Off);
        let b = body(&req, "llama3");
        assert_eq!(b["options"]["num_predict"], 32);
        assert_eq!(b["options"]["temperature"], 0.5);
        assert_eq!(b["think"], false);
        assert_eq!(b["stream"], true);
    }
}
