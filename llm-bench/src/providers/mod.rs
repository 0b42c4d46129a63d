//! Streaming clients, and the parsers that turn each provider's events into
//! [`Delta`](crate::Delta)s.
//!
//! [`Client`] is the built-in client for every supported [`Provider`]; [`body`] builds each
//! provider's request from a [`ChatRequest`](crate::ChatRequest); [`env`](mod@env) reads each
//! vendor's environment variables; [`wire`] parses every streaming format.

pub mod anthropic;
pub mod bedrock;
pub mod body;
pub mod client;
pub mod cohere;
pub mod env;
pub mod gemini;
pub mod generic;
pub mod ollama;
pub mod openai;
pub mod payload;
pub mod replicate;
mod secret;
pub mod tgi;
pub mod watsonx;
pub mod wire;

pub use client::{
    Client, ClientBuilder, Completion, Provider, DEFAULT_ANTHROPIC_VERSION,
    DEFAULT_AZURE_API_VERSION,
};
pub use generic::{GenericFraming, GenericSpec};
pub use openai::Reasoning;
pub use secret::ApiKey;
