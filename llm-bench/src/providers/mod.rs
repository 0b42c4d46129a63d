//! The built-in streaming [`Client`] and every [`Provider`] it speaks.
//!
//! Each provider lives in its own folder (`openai_chat/`, `anthropic/`, ...), which holds its
//! request body, URL, auth headers, environment variables, wire format and parser behind one
//! crate-private trait (`api::Api`); `registry.rs` lists every provider and wire format once.
//! Shared, and called by all of them: the builder (`builder.rs`) and the single streaming
//! loop (`client.rs`, `stream.rs`), key scrubbing (`redact.rs`, `secret.rs`), the request
//! (`request.rs`) and body pieces (`body.rs`), the environment's rules (`env.rs`), the event
//! parsers' helpers (`payload.rs`) and the stream parser (`wire/`).
//!
//! | provider | URL (after the base URL) | auth | variables (endpoint; key) | framing |
//! |---|---|---|---|---|
//! | [`Provider::OpenAiChat`] (`openai_chat/`) | `/chat/completions` | `Authorization: Bearer` | `OPENAI_BASE_URL`; `OPENAI_API_KEY` | SSE |
//! | [`Provider::OpenAiResponses`] (`openai_responses/`) | `/responses` | `Authorization: Bearer` | `OPENAI_BASE_URL`; `OPENAI_API_KEY` | SSE |
//! | [`Provider::OpenAiCompletions`] (`openai_completions/`) | `/completions` | `Authorization: Bearer` | `OPENAI_BASE_URL`; `OPENAI_API_KEY` | SSE |
//! | [`Provider::AzureOpenAi`] (`azure/`) | `/openai/deployments/{deployment}/chat/completions?api-version=...`, or `/openai/v1/chat/completions` without a deployment | `api-key` | `AZURE_OPENAI_ENDPOINT`; `AZURE_OPENAI_API_KEY` (and `AZURE_OPENAI_DEPLOYMENT`, `OPENAI_API_VERSION`) | SSE |
//! | [`Provider::Anthropic`] (`anthropic/`) | `/v1/messages` | `x-api-key`, `anthropic-version` | `ANTHROPIC_BASE_URL`; `ANTHROPIC_API_KEY` | SSE |
//! | [`Provider::Gemini`] (`gemini/`) | `/v1beta/models/{model}:streamGenerateContent?alt=sse` | `x-goog-api-key` (never in the URL) | `GEMINI_BASE_URL`; `GEMINI_API_KEY` (or the `GOOGLE_` ones) | SSE |
//! | [`Provider::CohereV2`] (`cohere_v2/`) | `/v2/chat` | `Authorization: Bearer` | `COHERE_BASE_URL`; `COHERE_API_KEY` (or `CO_API_URL`; `CO_API_KEY`) | SSE |
//! | [`Provider::CohereV1`] (`cohere_v1/`) | `/v1/chat` | `Authorization: Bearer` | as Cohere v2 | NDJSON |
//! | [`Provider::Ollama`] (`ollama/`) | `/api/chat` | `Authorization: Bearer` if a key is set | `OLLAMA_HOST`; `OLLAMA_API_KEY` | NDJSON |
//! | [`Provider::Tgi`] (`tgi/`) | `/generate_stream` | `Authorization: Bearer` if a key is set | `LLM_BENCH_BASE_URL`; `HF_TOKEN` | SSE |
//! | [`Provider::Generic`] (`generic/`) | the base URL is the whole URL | the spec's headers, else Bearer | `LLM_BENCH_BASE_URL`; `LLM_BENCH_API_KEY` | SSE or NDJSON |
//!
//! Where a base URL already ends in the version segment (`.../v1` for Anthropic or Cohere
//! v1, `.../v2` for Cohere v2, `.../v1beta` for Gemini, `.../api` for Ollama,
//! `.../openai/v1` for Azure), it is not repeated. `LLM_BENCH_BASE_URL` is also the
//! endpoint of any provider `LLM_BENCH_PROVIDER` selects (see
//! [`Client::from_env`]).
//!
//! Parse-only formats (no client): Bedrock (`bedrock/`), Replicate (`replicate/`) and
//! watsonx.ai (`watsonx/`).
//!
//! # Adding a provider
//!
//! A folder with a unit struct implementing `api::Api` (and `api::Wire` for a new wire
//! format), its `mod` line here, its variant in [`Provider`] (and `wire::WireFormat`), its
//! line in `registry.rs`, and its name in the attribute's list (`rules/names.rs`, which a
//! registry test keeps in sync).

pub(crate) mod api;
pub(crate) mod body;
pub(crate) mod builder;
pub(crate) mod client;
pub(crate) mod env;
pub(crate) mod payload;
pub(crate) mod placeholders;
pub(crate) mod provider;
pub(crate) mod redact;
pub(crate) mod registry;
pub(crate) mod request;
mod secret;
pub(crate) mod stream;
#[cfg(test)]
pub(crate) mod testing;
pub mod wire;

pub(crate) mod anthropic;
pub(crate) mod azure;
pub(crate) mod bedrock;
pub(crate) mod cohere_v1;
pub(crate) mod cohere_v2;
pub(crate) mod gemini;
pub mod generic;
pub(crate) mod ollama;
pub(crate) mod openai_chat;
pub(crate) mod openai_completions;
pub(crate) mod openai_responses;
pub(crate) mod replicate;
pub(crate) mod tgi;
pub(crate) mod watsonx;

#[doc(hidden)]
pub mod openai;

pub use builder::ClientBuilder;
pub use client::Client;
pub use generic::{GenericFraming, GenericSpec};
pub use provider::Provider;
pub use request::{ChatRequest, Message, Reasoning};
pub use secret::ApiKey;
pub use stream::Completion;
