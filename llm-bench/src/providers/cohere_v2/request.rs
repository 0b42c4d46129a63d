//! The Cohere v2 chat request body.

use serde_json::{json, Map, Value};

use crate::providers::body::{finish, messages_json, temperature};
use crate::providers::request::{ChatRequest, Reasoning};

/// The body of a streaming request to `model`: `model`, `messages` (roles as given:
/// `system`, `user`, `assistant`), `max_tokens`, `temperature`, `thinking: {type,
/// token_budget}`, `stream: true`.
pub(crate) fn body(req: &ChatRequest, model: &str) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("messages".into(), messages_json(req.messages()));
    if let Some(n) = req.max_tokens_setting() {
        body.insert("max_tokens".into(), n.into());
    }
    temperature(&mut body, req);
    match req.reasoning_setting() {
        Some(Reasoning::Off) => {
            body.insert("thinking".into(), json!({ "type": "disabled" }));
        }
        Some(r) => {
            if let Some(b) = r.budget_tokens() {
                body.insert(
                    "thinking".into(),
                    json!({ "type": "enabled", "token_budget": b }),
                );
            }
        }
        None => {}
    }
    finish(body, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_their_roles() {
        let req = ChatRequest::new("first")
            .system("sys")
            .message("assistant", "answer")
            .message("user", "second")
            .max_tokens(32)
            .temperature(0.5);
        let b = body(&req, "command-a");
        assert_eq!(b["messages"][0]["role"], "system");
        assert_eq!(b["stream"], true);
        let b = body(&req.reasoning(Reasoning::Off), "command-a");
        assert_eq!(b["thinking"], json!({"type": "disabled"}));
    }
}
