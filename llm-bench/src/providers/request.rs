//! The provider-neutral chat request a scenario sends through the built-in client: each
//! provider folder's `request.rs` turns it into that API's body.

use serde_json::{Map, Value};

/// One message of a chat conversation ([`ChatRequest::messages`]; add one with
/// [`ChatRequest::message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
#[must_use = "a request does nothing until it is sent: `ctx.stream(request)`"]
pub struct ChatRequest {
    messages: Vec<Message>,
    model: Option<String>,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    reasoning: Option<Reasoning>,
    extra: Map<String, Value>,
}

/// How much a reasoning ("thinking") model should think, in one provider-neutral knob.
///
/// Each provider gets its own documented field (see [`Client`](crate::providers::Client)):
///
/// | provider | `Low` / `Medium` / `High` | `Budget(n)` | `Off` |
/// |---|---|---|---|
/// | OpenAI Chat, Azure | `reasoning_effort` (and `max_completion_tokens`) | effort from the budget: ≤ 2048 low, ≤ 8192 medium, else high | nothing sent |
/// | OpenAI Responses | `reasoning.effort` | as above | nothing sent |
/// | Anthropic | `thinking: {type: enabled, budget_tokens}` with 1024 / 4096 / 16384 | `budget_tokens: n` (at least 1024, the API's minimum) | nothing sent |
/// | Gemini | `thinkingConfig: {includeThoughts: true, thinkingBudget}` (1024 / 4096 / 16384) | `thinkingBudget: n` | `thinkingBudget: 0` |
/// | Cohere v2 | `thinking: {type: enabled, token_budget}` (1024 / 4096 / 16384) | `token_budget: n` | `thinking: {type: disabled}` |
/// | Ollama | `think: true` | `think: true` | `think: false` |
/// | Legacy Completions, Cohere v1, TGI, generic | not sent | not sent | not sent |
///
/// ```
/// use llm_bench::{ChatRequest, Reasoning};
/// let req = ChatRequest::new("Is 1009 prime?").reasoning(Reasoning::Budget(2048));
/// assert_eq!(req.reasoning_setting(), Some(Reasoning::Budget(2048)));
/// assert_eq!(Reasoning::High.budget_tokens(), Some(16384));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reasoning {
    /// Ask the model not to think, where the API can turn thinking off.
    Off,
    /// Low effort (a budget of 1024 tokens where the API takes a budget).
    Low,
    /// Medium effort (4096 tokens).
    Medium,
    /// High effort (16384 tokens).
    High,
    /// A budget of thinking tokens (an effort level where the API takes one).
    Budget(u32),
}

impl Reasoning {
    /// The thinking budget in tokens, `None` for [`Reasoning::Off`].
    pub fn budget_tokens(self) -> Option<u32> {
        match self {
            Reasoning::Off => None,
            Reasoning::Low => Some(1024),
            Reasoning::Medium => Some(4096),
            Reasoning::High => Some(16384),
            Reasoning::Budget(n) => Some(n),
        }
    }

    /// The effort level (`low`, `medium`, `high`), `None` for [`Reasoning::Off`].
    ///
    /// ```
    /// use llm_bench::Reasoning;
    /// assert_eq!(Reasoning::Budget(8000).effort(), Some("medium"));
    /// assert_eq!(Reasoning::Off.effort(), None);
    /// ```
    pub fn effort(self) -> Option<&'static str> {
        match self {
            Reasoning::Off => None,
            Reasoning::Low => Some("low"),
            Reasoning::Medium => Some("medium"),
            Reasoning::High => Some("high"),
            Reasoning::Budget(n) if n <= 2048 => Some("low"),
            Reasoning::Budget(n) if n <= 8192 => Some("medium"),
            Reasoning::Budget(_) => Some("high"),
        }
    }
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
            reasoning: None,
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

    /// How much a reasoning model should think; see [`Reasoning`] for what each provider
    /// is sent.
    pub fn reasoning(mut self, reasoning: Reasoning) -> Self {
        self.reasoning = Some(reasoning);
        self
    }

    /// Any other top-level body field, under the provider's own name (`top_p`, `seed`,
    /// `max_completion_tokens`, Gemini's `safetySettings`, ...). Fields set here win over
    /// the ones above (a JSON object is merged into an object the request already has, key
    /// by key, so `generationConfig` adds to the generated one), except `stream`, which is
    /// always `true` where the provider has it.
    pub fn field(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    /// The model this request names, if any.
    pub fn model_name(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The messages, in order (a system message first when [`ChatRequest::system`] set one).
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The `max_tokens` setting, if any.
    pub fn max_tokens_setting(&self) -> Option<u32> {
        self.max_tokens
    }

    /// The temperature setting, if any.
    pub fn temperature_setting(&self) -> Option<f64> {
        self.temperature
    }

    /// The reasoning setting, if any.
    pub fn reasoning_setting(&self) -> Option<Reasoning> {
        self.reasoning
    }

    /// The extra body fields set with [`ChatRequest::field`].
    pub fn extra_fields(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// The OpenAI Chat Completions JSON body for a streaming request to `model` (used when
    /// the request names none). With [`Reasoning`] set (other than `Off`), the token limit
    /// is sent as `max_completion_tokens` (reasoning models refuse `max_tokens`) and the
    /// effort as `reasoning_effort`.
    pub fn to_body(&self, model: &str) -> Value {
        super::openai_chat::request::body(self, model)
    }
}
