//! The Gemini `streamGenerateContent` request body.

use serde_json::{json, Map, Value};

use crate::providers::body::{finish, split_system, temperature};
use crate::providers::request::{ChatRequest, Reasoning};

/// The body of a streaming request: `contents: [{role: user|model, parts: [{text}]}]`,
/// `systemInstruction: {parts: [{text}]}`, `generationConfig: {maxOutputTokens,
/// temperature, thinkingConfig: {includeThoughts, thinkingBudget}}`. The model is in the
/// URL, and streaming is the URL's method (`:streamGenerateContent?alt=sse`): the body has
/// neither.
pub(crate) fn body(req: &ChatRequest) -> Value {
    let (system, messages) = split_system(req.messages());
    let mut body = Map::new();
    let contents: Vec<Value> = messages
        .iter()
        .map(|m| {
            let role = match m.role.as_str() {
                "assistant" | "model" => "model",
                _ => "user",
            };
            json!({ "role": role, "parts": [{ "text": m.content }] })
        })
        .collect();
    body.insert("contents".into(), Value::Array(contents));
    if let Some(system) = system {
        body.insert(
            "systemInstruction".into(),
            json!({ "parts": [{ "text": system }] }),
        );
    }
    let mut config = Map::new();
    if let Some(n) = req.max_tokens_setting() {
        config.insert("maxOutputTokens".into(), n.into());
    }
    temperature(&mut config, req);
    match req.reasoning_setting() {
        Some(Reasoning::Off) => {
            config.insert("thinkingConfig".into(), json!({ "thinkingBudget": 0 }));
        }
        Some(r) => {
            if let Some(b) = r.budget_tokens() {
                config.insert(
                    "thinkingConfig".into(),
                    json!({ "includeThoughts": true, "thinkingBudget": b }),
                );
            }
        }
        None => {}
    }
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    finish(body, req, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_roles_system_and_config() {
        let req = ChatRequest::new("first")
            .system("sys")
            .message("assistant", "answer")
            .message("user", "second")
            .max_tokens(32)
            .temperature(0.5)
            .reasoning(Reasoning::Low);
        let b = body(&req);
        assert_eq!(b["contents"][1]["role"], "model");
        assert_eq!(b["contents"][2]["parts"][0]["text"], "second");
        assert_eq!(b["systemInstruction"]["parts"][0]["text"], "sys");
        assert_eq!(b["generationConfig"]["maxOutputTokens"], 32);
        assert_eq!(
            b["generationConfig"]["thinkingConfig"],
            json!({"includeThoughts": true, "thinkingBudget": 1024})
        );
        assert!(b.get("stream").is_none());
        let b = body(&ChatRequest::new("x").field("generationConfig", json!({"topK": 3})));
        assert_eq!(b["generationConfig"], json!({"topK": 3}));
        let b = body(&ChatRequest::new("Hi").system("Be brief.").max_tokens(64));
        assert_eq!(b["generationConfig"]["maxOutputTokens"], 64);
    }
}
