//! The legacy Completions request body.

use serde_json::{json, Map, Value};

use crate::providers::body::{finish, prompt, temperature};
use crate::providers::request::ChatRequest;

/// The body of a streaming request to `model`: `model`, `prompt` (the messages as text, see
/// [`prompt`]), `max_tokens`, `temperature`, `stream: true`, `stream_options.include_usage`.
pub(crate) fn body(req: &ChatRequest, model: &str) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("prompt".into(), prompt(req.messages()).into());
    if let Some(n) = req.max_tokens_setting() {
        body.insert("max_tokens".into(), n.into());
    }
    temperature(&mut body, req);
    body.insert("stream_options".into(), json!({ "include_usage": true }));
    finish(body, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_and_usage() {
        let body = body(&ChatRequest::new("hi"), "davinci-002");
        assert_eq!(body["prompt"], "hi");
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["stream"], true);
    }
}
