//! The chat request a scenario sends through the built-in client.

use serde_json::{json, Map, Value};

/// One message of a chat conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `system`, `user`, `assistant`, ...
    pub role: String,
    /// The message text.
    pub content: String,
}

/// A Chat Completions request, built fluently.
///
/// ```
/// use llm_bench::ChatRequest;
/// let req = ChatRequest::new("How do I reset my password?")
///     .system("You are a support agent.")
///     .max_tokens(128)
///     .temperature(0.0);
/// let body = req.to_body("gpt-4o-mini");
/// assert_eq!(body["stream"], true);
/// assert_eq!(body["stream_options"]["include_usage"], true);
/// assert_eq!(body["messages"][0]["role"], "system");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    messages: Vec<Message>,
    model: Option<String>,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    extra: Map<String, Value>,
}

impl ChatRequest {
    /// A request with one user message.
    pub fn new(user_message: impl Into<String>) -> Self {
        ChatRequest {
            messages: vec![Message {
                role: "user".into(),
                content: user_message.into(),
            }],
            model: None,
            max_tokens: None,
            temperature: None,
            extra: Map::new(),
        }
    }

    /// Puts a system message first.
    pub fn system(mut self, content: impl Into<String>) -> Self {
        self.messages.insert(
            0,
            Message {
                role: "system".into(),
                content: content.into(),
            },
        );
        self
    }

    /// Appends a message with any role (for multi-turn conversations).
    pub fn message(mut self, role: impl Into<String>, content: impl Into<String>) -> Self {
        self.messages.push(Message {
            role: role.into(),
            content: content.into(),
        });
        self
    }

    /// The model to ask for; otherwise the scenario's `model`, then `LLM_BENCH_MODEL`.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Upper bound of generated tokens (`max_tokens`).
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Sampling temperature.
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Any other body field (`top_p`, `seed`, `max_completion_tokens`, ...). Fields set here
    /// win over the ones above, except `stream`, which is always `true`.
    pub fn field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    /// The model this request names, if any.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The JSON body for a streaming request to `model` (used when the request names none).
    pub fn to_body(&self, model: &str) -> Value {
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|m| json!({ "role": m.role, "content": m.content }))
            .collect();
        let mut body = Map::new();
        body.insert(
            "model".into(),
            Value::String(self.model.clone().unwrap_or_else(|| model.to_string())),
        );
        body.insert("messages".into(), Value::Array(messages));
        if let Some(n) = self.max_tokens {
            body.insert("max_tokens".into(), n.into());
        }
        if let Some(t) = self.temperature {
            body.insert("temperature".into(), json!(t));
        }
        body.insert("stream_options".into(), json!({ "include_usage": true }));
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        body.insert("stream".into(), Value::Bool(true));
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_the_requested_model_over_the_default() {
        let body = ChatRequest::new("hi").model("m1").to_body("default");
        assert_eq!(body["model"], "m1");
        let body = ChatRequest::new("hi").to_body("default");
        assert_eq!(body["model"], "default");
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn extra_fields_cannot_turn_streaming_off() {
        let body = ChatRequest::new("hi")
            .field("stream", Value::Bool(false))
            .field("seed", json!(7))
            .to_body("m");
        assert_eq!(body["stream"], true);
        assert_eq!(body["seed"], 7);
    }

    #[test]
    fn multi_turn_keeps_order() {
        let body = ChatRequest::new("first")
            .message("assistant", "answer")
            .message("user", "second")
            .to_body("m");
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
    }
}
