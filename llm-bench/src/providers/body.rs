//! The documented request body of each provider, built from a provider-neutral
//! [`ChatRequest`].
//!
//! Every builder takes the request and the model to ask for (already resolved), and returns
//! the JSON body with streaming switched on. Extra fields set with
//! [`ChatRequest::field`] are merged last (objects key by key), so they win; `stream` is
//! set after them where the provider has it.
//!
//! ```
//! use llm_bench::providers::body;
//! use llm_bench::ChatRequest;
//! let req = ChatRequest::new("Hi").system("Be brief.").max_tokens(64);
//! let anthropic = body::anthropic(&req, "claude-sonnet-4-5");
//! assert_eq!(anthropic["system"], "Be brief.");
//! assert_eq!(anthropic["messages"][0]["role"], "user");
//! let gemini = body::gemini(&req);
//! assert_eq!(gemini["generationConfig"]["maxOutputTokens"], 64);
//! ```

use serde_json::{json, Map, Value};

use super::openai::request::{merge_fields, messages_json};
use super::openai::{ChatRequest, Message, Reasoning};

/// `max_tokens` sent to Anthropic when the request sets none: the Messages API requires
/// it. With thinking on, the default is the thinking budget plus this much.
pub const ANTHROPIC_DEFAULT_MAX_TOKENS: u32 = 1024;

/// Anthropic's smallest accepted thinking budget.
pub const ANTHROPIC_MIN_THINKING_BUDGET: u32 = 1024;

/// OpenAI Chat Completions (also Azure OpenAI and every compatible server): `model`,
/// `messages`, `stream: true`, `stream_options.include_usage`. See
/// [`ChatRequest::to_body`].
pub fn openai_chat(req: &ChatRequest, model: &str) -> Value {
    req.to_body(model)
}

/// The body of an Azure OpenAI deployment URL: the Chat Completions body; the model comes
/// from the deployment, so `model` is sent only when one is known.
pub fn azure_chat(req: &ChatRequest, model: Option<&str>) -> Value {
    let mut body = req.to_body(model.unwrap_or_default());
    if model.is_none() && req.model_name().is_none() {
        if let Some(map) = body.as_object_mut() {
            map.remove("model");
        }
    }
    body
}

/// OpenAI Responses API: `model`, `input` (the messages; a system message becomes
/// `instructions`), `max_output_tokens`, `reasoning.effort`, `stream: true`.
pub fn openai_responses(req: &ChatRequest, model: &str) -> Value {
    let (system, messages) = split_system(req.messages());
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    if let Some(system) = system {
        body.insert("instructions".into(), system.into());
    }
    body.insert("input".into(), messages_json(messages.iter().copied()));
    if let Some(n) = req.max_tokens_setting() {
        body.insert("max_output_tokens".into(), n.into());
    }
    if let Some(t) = req.temperature_setting() {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(effort) = req.reasoning_setting().and_then(Reasoning::effort) {
        body.insert("reasoning".into(), json!({ "effort": effort }));
    }
    finish(body, req, true)
}

/// OpenAI legacy Completions: `model`, `prompt` (the messages as text, see [`prompt`]),
/// `max_tokens`, `stream: true`, `stream_options.include_usage`.
pub fn openai_completions(req: &ChatRequest, model: &str) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("prompt".into(), prompt(req.messages()).into());
    if let Some(n) = req.max_tokens_setting() {
        body.insert("max_tokens".into(), n.into());
    }
    if let Some(t) = req.temperature_setting() {
        body.insert("temperature".into(), json!(t));
    }
    body.insert("stream_options".into(), json!({ "include_usage": true }));
    finish(body, req, true)
}

/// Anthropic Messages: `model`, `max_tokens` (required by the API: defaults to
/// [`ANTHROPIC_DEFAULT_MAX_TOKENS`], or the thinking budget plus that with thinking on),
/// top-level `system` (system messages joined by a blank line), `messages`,
/// `thinking: {type: enabled, budget_tokens}`, `stream: true`.
pub fn anthropic(req: &ChatRequest, model: &str) -> Value {
    let (system, messages) = split_system(req.messages());
    let budget = req
        .reasoning_setting()
        .and_then(Reasoning::budget_tokens)
        .map(|b| b.max(ANTHROPIC_MIN_THINKING_BUDGET));
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    let max_tokens = req.max_tokens_setting().unwrap_or(match budget {
        Some(b) => b.saturating_add(ANTHROPIC_DEFAULT_MAX_TOKENS),
        None => ANTHROPIC_DEFAULT_MAX_TOKENS,
    });
    body.insert("max_tokens".into(), max_tokens.into());
    if let Some(system) = system {
        body.insert("system".into(), system.into());
    }
    body.insert("messages".into(), messages_json(messages.iter().copied()));
    if let Some(t) = req.temperature_setting() {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(b) = budget {
        body.insert(
            "thinking".into(),
            json!({ "type": "enabled", "budget_tokens": b }),
        );
    }
    finish(body, req, true)
}

/// Gemini `streamGenerateContent`: `contents: [{role: user|model, parts: [{text}]}]`,
/// `systemInstruction: {parts: [{text}]}`, `generationConfig: {maxOutputTokens,
/// temperature, thinkingConfig: {includeThoughts, thinkingBudget}}`. The model is in the
/// URL, and streaming is the URL's method (`:streamGenerateContent?alt=sse`): the body has
/// neither.
pub fn gemini(req: &ChatRequest) -> Value {
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
    if let Some(t) = req.temperature_setting() {
        config.insert("temperature".into(), json!(t));
    }
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

/// Cohere v2 chat: `model`, `messages` (roles as given: `system`, `user`, `assistant`),
/// `max_tokens`, `temperature`, `thinking: {type, token_budget}`, `stream: true`.
pub fn cohere_v2(req: &ChatRequest, model: &str) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("messages".into(), messages_json(req.messages()));
    if let Some(n) = req.max_tokens_setting() {
        body.insert("max_tokens".into(), n.into());
    }
    if let Some(t) = req.temperature_setting() {
        body.insert("temperature".into(), json!(t));
    }
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

/// Cohere v1 chat: `model`, `message` (the last user message), `preamble` (the system
/// messages), `chat_history` (the messages before it, roles `USER` / `CHATBOT` /
/// `SYSTEM`), `max_tokens`, `temperature`, `stream: true`. The stream is NDJSON.
pub fn cohere_v1(req: &ChatRequest, model: &str) -> Value {
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
    if let Some(t) = req.temperature_setting() {
        body.insert("temperature".into(), json!(t));
    }
    finish(body, req, true)
}

/// Ollama `/api/chat`: `model`, `messages`, `options: {num_predict, temperature}`,
/// `think`, `stream: true`. The stream is NDJSON.
pub fn ollama(req: &ChatRequest, model: &str) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), model.into());
    body.insert("messages".into(), messages_json(req.messages()));
    let mut options = Map::new();
    if let Some(n) = req.max_tokens_setting() {
        options.insert("num_predict".into(), n.into());
    }
    if let Some(t) = req.temperature_setting() {
        options.insert("temperature".into(), json!(t));
    }
    if !options.is_empty() {
        body.insert("options".into(), Value::Object(options));
    }
    if let Some(r) = req.reasoning_setting() {
        body.insert("think".into(), Value::Bool(r != Reasoning::Off));
    }
    finish(body, req, true)
}

/// Hugging Face TGI `/generate_stream`: `inputs` (the messages as text, see [`prompt`]),
/// `parameters: {max_new_tokens, temperature, details: true}` (`details` makes the last
/// event carry the generated token count). The endpoint streams without a `stream` flag.
pub fn tgi(req: &ChatRequest) -> Value {
    let mut body = Map::new();
    body.insert("inputs".into(), prompt(req.messages()).into());
    let mut parameters = Map::new();
    if let Some(n) = req.max_tokens_setting() {
        parameters.insert("max_new_tokens".into(), n.into());
    }
    if let Some(t) = req.temperature_setting() {
        parameters.insert("temperature".into(), json!(t));
    }
    parameters.insert("details".into(), Value::Bool(true));
    body.insert("parameters".into(), Value::Object(parameters));
    finish(body, req, false)
}

/// The messages as one prompt, for APIs that take text: the contents joined by a blank
/// line (a single user message is sent as it is). For a chat template, use the server's
/// chat endpoint (e.g. TGI's Messages API through the OpenAI-compatible provider).
///
/// ```
/// use llm_bench::providers::body::prompt;
/// use llm_bench::ChatRequest;
/// assert_eq!(prompt(ChatRequest::new("Hi").messages()), "Hi");
/// assert_eq!(prompt(ChatRequest::new("Hi").system("Be brief.").messages()), "Be brief.\n\nHi");
/// ```
pub fn prompt(messages: &[Message]) -> String {
    let parts: Vec<&str> = messages.iter().map(|m| m.content.as_str()).collect();
    parts.join("\n\n")
}

/// The system messages (joined by a blank line) and the others.
pub(crate) fn split_system(messages: &[Message]) -> (Option<String>, Vec<&Message>) {
    let system: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == "system")
        .map(|m| m.content.as_str())
        .collect();
    let others = messages.iter().filter(|m| m.role != "system").collect();
    let system = (!system.is_empty()).then(|| system.join("\n\n"));
    (system, others)
}

/// Merges the request's extra fields, then sets `stream: true` if the provider has it.
fn finish(mut body: Map<String, Value>, req: &ChatRequest, stream: bool) -> Value {
    merge_fields(&mut body, req.extra_fields());
    if stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> ChatRequest {
        ChatRequest::new("first")
            .system("sys")
            .message("assistant", "answer")
            .message("user", "second")
            .max_tokens(32)
            .temperature(0.5)
    }

    #[test]
    fn anthropic_defaults_max_tokens_and_lifts_system() {
        let body = anthropic(&ChatRequest::new("hi"), "claude");
        assert_eq!(body["max_tokens"], ANTHROPIC_DEFAULT_MAX_TOKENS);
        assert!(body.get("system").is_none());
        assert_eq!(body["stream"], true);
        let body = anthropic(&req(), "claude");
        assert_eq!(body["system"], "sys");
        assert_eq!(body["max_tokens"], 32);
        assert_eq!(body["messages"].as_array().map(Vec::len), Some(3));
        let body = anthropic(
            &ChatRequest::new("hi").reasoning(Reasoning::Budget(100)),
            "claude",
        );
        assert_eq!(
            body["thinking"],
            json!({"type": "enabled", "budget_tokens": 1024})
        );
        assert_eq!(body["max_tokens"], 2048);
    }

    #[test]
    fn gemini_maps_roles_system_and_config() {
        let body = gemini(&req().reasoning(Reasoning::Low));
        assert_eq!(body["contents"][1]["role"], "model");
        assert_eq!(body["contents"][2]["parts"][0]["text"], "second");
        assert_eq!(body["systemInstruction"]["parts"][0]["text"], "sys");
        assert_eq!(body["generationConfig"]["maxOutputTokens"], 32);
        assert_eq!(
            body["generationConfig"]["thinkingConfig"],
            json!({"includeThoughts": true, "thinkingBudget": 1024})
        );
        assert!(body.get("stream").is_none());
        let body = gemini(&ChatRequest::new("x").field("generationConfig", json!({"topK": 3})));
        assert_eq!(body["generationConfig"], json!({"topK": 3}));
    }

    #[test]
    fn cohere_v1_splits_history() {
        let body = cohere_v1(&req(), "command-r");
        assert_eq!(body["message"], "second");
        assert_eq!(body["preamble"], "sys");
        assert_eq!(
            body["chat_history"],
            json!([{"role": "USER", "message": "first"}, {"role": "CHATBOT", "message": "answer"}])
        );
    }

    #[test]
    fn text_apis_take_a_prompt() {
        let body = tgi(&ChatRequest::new("hi").max_tokens(5));
        assert_eq!(
            body,
            json!({"inputs": "hi", "parameters": {"max_new_tokens": 5, "details": true}})
        );
        let body = openai_completions(&ChatRequest::new("hi"), "davinci-002");
        assert_eq!(body["prompt"], "hi");
        assert_eq!(body["stream_options"]["include_usage"], true);
    }

    #[test]
    fn responses_ollama_cohere_v2_shapes() {
        let body = openai_responses(&req().reasoning(Reasoning::Medium), "o4-mini");
        assert_eq!(body["instructions"], "sys");
        assert_eq!(body["input"].as_array().map(Vec::len), Some(3));
        assert_eq!(body["max_output_tokens"], 32);
        assert_eq!(body["reasoning"]["effort"], "medium");
        let body = ollama(&req().reasoning(Reasoning::Off), "llama3");
        assert_eq!(body["options"]["num_predict"], 32);
        assert_eq!(body["think"], false);
        let body = cohere_v2(&req(), "command-a");
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["stream"], true);
    }

    #[test]
    fn azure_deployment_body_may_omit_the_model() {
        let body = azure_chat(&ChatRequest::new("hi"), None);
        assert!(body.get("model").is_none());
        let body = azure_chat(&ChatRequest::new("hi"), Some("gpt-4o"));
        assert_eq!(body["model"], "gpt-4o");
    }
}
