//! The Azure OpenAI request body: OpenAI Chat's.

use serde_json::Value;

use crate::providers::openai_chat;
use crate::providers::request::ChatRequest;

/// The Chat Completions body; on a deployment URL the model comes from the deployment, so
/// `model` is sent only when one is known.
pub(crate) fn body(req: &ChatRequest, model: Option<&str>) -> Value {
    let mut body = openai_chat::request::body(req, model.unwrap_or_default());
    if model.is_none() && req.model_name().is_none() {
        if let Some(map) = body.as_object_mut() {
            map.remove("model");
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_body_may_omit_the_model() {
        let b = body(&ChatRequest::new("hi"), None);
        assert!(b.get("model").is_none());
        let b = body(&ChatRequest::new("hi"), Some("gpt-4o"));
        assert_eq!(b["model"], "gpt-4o");
    }
}
