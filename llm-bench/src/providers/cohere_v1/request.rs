//! The Cohere v1 chat request body.

use serde_json::{json, Map, Value};

use crate::providers::body::{finish, split_system, temperature};
use crate::providers::request::ChatRequest;

/// The body of a streaming request to `model`: `model`, `message` (the last user message),
/// `preamble` (the system messages), `chat_history` (the messages before it, roles `USER` /
/// `CHATBOT` / `SYSTEM`), `max_tokens`, `temperature`, `stream: true`.
pub(crate) fn body(req: &ChatRequest, model: &str) -> Value {
    let (system, messages) = split_system(req.messages());
    let last_user = messages.iter().rposition(|m| m.role == "user");
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    let message = last_user
        .map(|i| messages[i].content.clone())
        .unwrap_or_default();
    body.insert("message".into(), message.into());
    if let Some(system) = system {
        body.insert("preamble".into(), system.into());
    }
    let history: Vec<Value> = messages
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != last_user)
        .map(|(_, m)| {
            let role = match m.role.as_str() {
                "assistant" | "chatbot" => "CHATBOT",
                "system" => "SYSTEM",
                _ => "USER",
            };
            json!({ "role": role, "message": m.content })
        })
        .collect();
    if !history.is_empty() {
        body.insert("chat_history".into(), Value::Array(history));
    }
    if let Some(n) = req.max_tokens_setting() {
        body.insert("max_tokens".into(), n.into());
    }
    temperature(&mut body, req);
    finish(body, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_history() {
        let req = ChatRequest::new("first")
            .system("sys")
            .message("assistant", "answer")
            .message("user", "second")
            .max_tokens(32)
            .temperature(0.5);
        let b = body(&req, "command-r");
        assert_eq!(b["message"], "second");
        assert_eq!(b["preamble"], "sys");
        assert_eq!(
            b["chat_history"],
            json!([{"role": "USER", "message": "first"}, {"role": "CHATBOT", "message": "answer"}])
        );
    }
}
