//! The TGI `/generate_stream` request body.

use serde_json::{Map, Value};

use crate::providers::body::{finish, prompt, temperature};
use crate::providers::request::ChatRequest;

/// The body of a streaming request: `inputs` (the messages as text, see [`prompt`]),
/// `parameters: {max_new_tokens, temperature, details: true}` (`details` makes the last
/// event carry the generated token count). The endpoint streams without a `stream` flag.
pub(crate) fn body(req: &ChatRequest) -> Value {
    let mut body = Map::new();
    body.insert("inputs".into(), prompt(req.messages()).into());
    let mut parameters = Map::new();
    if let Some(n) = req.max_tokens_setting() {
        parameters.insert("max_new_tokens".into(), n.into());
    }
    temperature(&mut parameters, req);
    parameters.insert("details".into(), Value::Bool(true));
    body.insert("parameters".into(), Value::Object(parameters));
    finish(body, req, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_prompt_and_parameters() {
        let b = body(&ChatRequest::new("hi").max_tokens(5));
        assert_eq!(
            b,
            json!({"inputs": "hi", "parameters": {"max_new_tokens": 5, "details": true}})
        );
    }
}
