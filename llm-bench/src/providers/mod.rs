//! Streaming clients, and the parsers that turn each provider's events into
//! [`Delta`](crate::Delta)s.

pub mod openai;
mod secret;

pub use secret::ApiKey;
