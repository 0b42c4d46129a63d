//! Streaming clients, and the parsers that turn each provider's events into
//! [`Delta`](crate::Delta)s.

pub mod anthropic;
pub mod cohere;
pub mod gemini;
pub mod ollama;
pub mod openai;
pub mod payload;
pub mod replicate;
mod secret;
pub mod tgi;
pub mod watsonx;
pub mod wire;

pub use secret::ApiKey;
