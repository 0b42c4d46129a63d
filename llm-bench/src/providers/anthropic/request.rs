//! The Anthropic Messages request body.

use serde_json::{json, Map, Value};

use crate::providers::body::{finish, messages_json, split_system, temperature};
use crate::providers::request::{ChatRequest, Reasoning};

/// `max_tokens` sent when the request sets none: the Messages API requires it. With
/// thinking on, the default is the thinking budget plus this much.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 1024;

/// Anthropic's smallest accepted thinking budget.
pub(crate) const MIN_THINKING_BUDGET: u32 = 1024;

/// The body of a streaming request to `model`: `model`, `max_tokens` (required by the API:
/// defaults to [`DEFAULT_MAX_TOKENS`], or the thinking budget plus that with thinking on),
/// top-level `system` (system messages joined by a blank line), `messages`, `temperature`,
/// `thinking: {type: enabled, budget_tokens}`, `stream: true`.
pub(crate) fn body(req: &ChatRequest, model: &str) -> Value {
    let (system, messages) = split_system(req.messages());
    let budget = req
        .reasoning_setting()
        .and_then(Reasoning::budget_tokens)
        .map(|b| b.max(MIN_THINKING_BUDGET));
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    let max_tokens = req.max_tokens_setting().unwrap_or(match budget {
        Some(b) => b.saturating_add(DEFAULT_MAX_TOKENS),
        None => DEFAULT_MAX_TOKENS,
    });
    body.insert("max_tokens".into(), max_tokens.into());
    if let Some(system) = system {
        body.insert("system".into(), system.into());
    }
    body.insert("messages".into(), messages_json(messages.iter().copied()));
    temperature(&mut body, req);
    if let Some(b) = budget {
        body.insert(
            "thinking".into(),
            json!({ "type": "enabled", "budget_tokens": b }),
        );
    }
    finish(body, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_max_tokens_and_lifts_system() {
        let b = body(&ChatRequest::new("hi"), "claude");
        assert_eq!(b["max_tokens"], DEFAULT_MAX_TOKENS);
        assert!(b.get("system").is_none());
        assert_eq!(b["stream"], true);
        let req = ChatRequest::new("first")
            .system("sys")
            .message("assistant", "answer")
            .message("user", "second")
            .max_tokens(32)
            .temperature(0.5);
        let b = body(&req, "claude");
        assert_eq!(b["system"], "sys");
        assert_eq!(b["max_tokens"], 32);
        assert_eq!(b["messages"].as_array().map(Vec::len), Some(3));
        assert_eq!(b["messages"][0]["role"], "user");
        let b = body(
            &ChatRequest::new("hi").reasoning(Reasoning::Budget(100)),
            "claude",
        );
        assert_eq!(
            b["thinking"],
            json!({"type": "enabled", "budget_tokens": 1024})
        );
        assert_eq!(b["max_tokens"], 2048);
    }
}
