//! OpenAI-compatible Chat Completions: the request, the streaming client (the
//! provider-neutral [`Client`](crate::providers::Client) under its historical name) and the
//! chunk parsers.
//!
//! Works with OpenAI, Azure OpenAI's v1 endpoint, and any server that speaks the same
//! protocol (vLLM, llama.cpp, TGI's Messages API, Ollama's `/v1`, Groq, DeepSeek, Mistral,
//! OpenRouter, ...).

pub mod chunk;
mod client;
pub mod completions;
pub(crate) mod request;
pub mod responses;

pub(crate) use client::replay;
pub use client::{Completion, OpenAiClient, OpenAiClientBuilder};
pub use request::{ChatRequest, Message, Reasoning};
