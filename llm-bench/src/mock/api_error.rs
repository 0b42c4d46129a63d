//! Error answers: a status and what the body says. Each dialect writes the body in its own
//! shape ([`DialectWriter::error_body`](super::dialect::DialectWriter::error_body)).

/// Why an injected error happened, as its message says.
pub(crate) const INJECTED: &str = "(injected by the llm-bench mock's error_rate)";

/// Why a rate-limited answer happened, as its message says.
pub(crate) const RATE_LIMITED: &str = "(injected by the llm-bench mock's rate_limited)";

/// Why an overloaded answer of `server_errors` happened, as its message says.
pub(crate) const SERVER_ERROR: &str = "(injected by the llm-bench mock's server_errors)";

/// Why a request was refused because the slot queue was full, as its message says.
pub(crate) const QUEUE_FULL: &str =
    "(the llm-bench mock's queue is full: more than max_queue requests wait for a slot)";

/// The message of a non-streaming request that shutdown cut short.
pub(crate) const SHUTTING_DOWN: &str = "The llm-bench mock is shutting down.";

/// An error answer: its status and what its body says. Which fields a body shows is the
/// dialect's choice: OpenAI's shows `kind` as `type` and `code`; Anthropic's `kind`;
/// Gemini's `code` as `status`; Cohere's and Ollama's the message alone; TGI's `kind` as
/// `error_type`.
#[derive(Debug)]
pub(crate) struct ApiError {
    /// The HTTP status.
    pub(crate) status: u16,
    /// What went wrong, for people.
    pub(crate) message: String,
    /// The error's type (OpenAI and Anthropic `type`, TGI `error_type`).
    pub(crate) kind: &'static str,
    /// The error's code (OpenAI `code`, Gemini's `google.rpc.Code` name in `status`).
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

    /// The injected HTTP 500 of the dialects whose error body is a message (Cohere,
    /// Ollama, TGI).
    pub(crate) fn generation_failed() -> Self {
        ApiError {
            status: 500,
            message: format!("internal server error {INJECTED}"),
            kind: "generation",
            code: "",
        }
    }

    /// The 429 of `rate_limited`, in the dialects whose error body is a message (Cohere,
    /// Ollama, TGI; TGI's `error_type` is `overloaded`, the type of its own 429s).
    pub(crate) fn too_many_requests() -> Self {
        ApiError {
            status: 429,
            message: format!("Too many requests, please retry later {RATE_LIMITED}"),
            kind: "overloaded",
            code: "",
        }
    }

    /// The 503 of `server_errors` or a full queue (`why` ends the message), in the dialects
    /// whose error body is a message (Cohere, Ollama, TGI).
    pub(crate) fn busy(why: &str) -> Self {
        ApiError {
            status: 503,
            message: format!("The server is overloaded, please retry later {why}"),
            kind: "overloaded",
            code: "",
        }
    }

    /// The 503 of a non-streaming request cut by shutdown, in the dialects whose error body
    /// is a message (Cohere, Ollama, TGI).
    pub(crate) fn overloaded() -> Self {
        ApiError {
            status: 503,
            message: SHUTTING_DOWN.into(),
            kind: "overloaded",
            code: "",
        }
    }
}
