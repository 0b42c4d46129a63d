//! The Chat Completions request body (also Azure OpenAI's, and every compatible server's).

use serde_json::{json, Map, Value};

use crate::providers::body::{finish, messages_json, temperature};
use crate::providers::request::{ChatRequest, Reasoning};

/// The body of a streaming request to `model` (the request's own model wins): `model`,
/// `messages`, `max_tokens`, `temperature`, `stream: true`, `stream_options.include_usage`.
/// With [`Reasoning`] set (other than `Off`), the token limit is sent as
/// `max_completion_tokens` (reasoning models refuse `max_tokens`) and the effort as
/// `reasoning_effort`.
pub(crate) fn body(req: &ChatRequest, model: &str) -> Value {
    let mut body = Map::new();
    body.insert(
        "model".into(),
        Value::String(req.model_name().unwrap_or(model).to_string()),
    );
    body.insert("messages".into(), messages_json(req.messages()));
    let effort = req.reasoning_setting().and_then(Reasoning::effort);
    if let Some(n) = req.max_tokens_setting() {
        let key = if effort.is_some() {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(key.into(), n.into());
    }
    if let Some(effort) = effort {
        body.insert("reasoning_effort".into(), effort.into());
    }
    temperature(&mut body, req);
    body.insert("stream_options".into(), json!({ "include_usage": true }));
    finish(body, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_fields() {
        let req = ChatRequest::new("How do I reset my password?")
            .system("You are a support agent.")
            .max_tokens(128)
            .temperature(0.0);
        let body = body(&req, "gpt-4o-mini");
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body, req.to_body("gpt-4o-mini"));
    }

    #[test]
    fn reasoning_uses_max_completion_tokens_and_effort() {
        let req = ChatRequest::new("hi")
            .max_tokens(50)
            .reasoning(Reasoning::Budget(10_000));
        let body = body(&req, "o3");
        assert_eq!(body["max_completion_tokens"], 50);
        assert!(body.get("max_tokens").is_none());
        assert_eq!(body["reasoning_effort"], "high");
        let req = ChatRequest::new("hi")
            .max_tokens(50)
            .reasoning(Reasoning::Off);
        let body = super::body(&req, "m");
        assert_eq!(body["max_tokens"], 50);
        assert!(body.get("reasoning_effort").is_none());
    }

    #[test]
    fn body_names_the_requested_model_over_the_default() {
        let b = body(&ChatRequest::new("hi").model("m1"), "default");
        assert_eq!(b["model"], "m1");
        let b = body(&ChatRequest::new("hi"), "default");
        assert_eq!(b["model"], "default");
        assert!(b.get("max_tokens").is_none());
    }

    #[test]
    fn extra_fields_cannot_turn_streaming_off() {
        let req = ChatRequest::new("hi")
            .field("stream", Value::Bool(false))
            .field("seed", json!(7));
        let b = body(&req, "m");
        assert_eq!(b["stream"], true);
        assert_eq!(b["seed"], 7);
    }

    #[test]
    fn multi_turn_keeps_order() {
        let req = ChatRequest::new("first")
            .message("assistant", "answer")
            .message("user", "second");
        let b = body(&req, "m");
        let roles: Vec<&str> = b["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
    }
}
