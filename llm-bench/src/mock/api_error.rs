//! Error answers, in the shape of each dialect.

use super::truth::Dialect;

/// An error answer: its status and what each dialect's body says.
///
/// - OpenAI: `{"error": {"message", "type": kind, "param": null, "code": code}}`.
/// - Anthropic: `{"type": "error", "error": {"type": kind, "message"}}`.
/// - Gemini: `{"error": {"code": status, "message", "status": code}}` (`code` is then a
///   `google.rpc.Code` name such as `INVALID_ARGUMENT`).
/// - OpenAI Responses, legacy Completions and Azure OpenAI: the OpenAI shape.
/// - Cohere (v1 and v2): `{"message"}`.
/// - Ollama: `{"error": message}`.
/// - TGI: `{"error": message, "error_type": kind}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) kind: &'static str,
    pub(crate) code: &'static str,
}

impl ApiError {
    /// A 400 `invalid_request_error` (OpenAI and Anthropic type) with this code.
    pub(crate) fn invalid_request(message: impl Into<String>, code: &'static str) -> Self {
        ApiError {
            status: 400,
            message: message.into(),
            kind: "invalid_request_error",
            code,
        }
    }

    /// A Gemini error: status and its `google.rpc.Code` name.
    pub(crate) fn google(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            kind: "",
            code,
        }
    }

    /// A 400 of a dialect whose error body is a message (and, for TGI, an error type):
    /// Cohere, Ollama, TGI.
    pub(crate) fn bad_request(kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            message: message.into(),
            kind,
            code: "",
        }
    }

    /// The injected HTTP 500 of `error_rate`.
    pub(crate) fn injected(dialect: Dialect) -> Self {
        const WHY: &str = "(injected by the llm-bench mock's error_rate)";
        match dialect {
            Dialect::OpenAi
            | Dialect::OpenAiResponses
            | Dialect::OpenAiCompletions
            | Dialect::AzureOpenAi => ApiError {
                status: 500,
                message: format!("The server had an error while processing your request {WHY}."),
                kind: "server_error",
                code: "mock_injected_error",
            },
            Dialect::Anthropic => ApiError {
                status: 500,
                message: format!("Internal server error {WHY}"),
                kind: "api_error",
                code: "",
            },
            Dialect::Gemini => ApiError::google(
                500,
                "INTERNAL",
                format!("An internal error has occurred {WHY}."),
            ),
            Dialect::CohereV2 | Dialect::CohereV1 | Dialect::Ollama | Dialect::Tgi => ApiError {
                status: 500,
                message: format!("internal server error {WHY}"),
                kind: "generation",
                code: "",
            },
        }
    }

    /// A non-streaming request cut by shutdown.
    pub(crate) fn shutting_down(dialect: Dialect) -> Self {
        const WHY: &str = "The llm-bench mock is shutting down.";
        match dialect {
            Dialect::OpenAi
            | Dialect::OpenAiResponses
            | Dialect::OpenAiCompletions
            | Dialect::AzureOpenAi => ApiError {
                status: 503,
                message: WHY.into(),
                kind: "server_error",
                code: "shutting_down",
            },
            Dialect::Anthropic => ApiError {
                status: 529,
                message: WHY.into(),
                kind: "overloaded_error",
                code: "",
            },
            Dialect::Gemini => ApiError::google(503, "UNAVAILABLE", WHY),
            Dialect::CohereV2 | Dialect::CohereV1 | Dialect::Ollama | Dialect::Tgi => ApiError {
                status: 503,
                message: WHY.into(),
                kind: "overloaded",
                code: "",
            },
        }
    }

    /// The body, in the dialect's shape.
    pub(crate) fn body(&self, dialect: Dialect) -> String {
        match dialect {
            Dialect::OpenAi
            | Dialect::OpenAiResponses
            | Dialect::OpenAiCompletions
            | Dialect::AzureOpenAi => serde_json::json!({
                "error": {
                    "message": self.message,
                    "type": self.kind,
                    "param": null,
                    "code": self.code,
                }
            }),
            Dialect::Anthropic => serde_json::json!({
                "type": "error",
                "error": {"type": self.kind, "message": self.message},
            }),
            Dialect::Gemini => serde_json::json!({
                "error": {"code": self.status, "message": self.message, "status": self.code},
            }),
            Dialect::CohereV2 | Dialect::CohereV1 => serde_json::json!({"message": self.message}),
            Dialect::Ollama => serde_json::json!({"error": self.message}),
            Dialect::Tgi => serde_json::json!({"error": self.message, "error_type": self.kind}),
        }
        .to_string()
    }
}
