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
//! The table of each provider's URL, auth, variables and framing is in [`Provider`]'s
//! documentation.
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
#[cfg(test)]
mod corpus_tests;
pub(crate) mod env;
#[cfg(test)]
mod hostile_tests;
pub(crate) mod payload;
pub(crate) mod phases;
pub(crate) mod placeholders;
pub(crate) mod provider;
pub(crate) mod rate_limit;
pub(crate) mod redact;
pub(crate) mod registry;
pub(crate) mod request;
pub(crate) mod retry;
mod secret;
pub(crate) mod stream;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod transport;
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

pub use builder::ClientBuilder;
pub use client::Client;
pub use generic::{GenericFraming, GenericSpec};
pub use provider::Provider;
pub use request::{ChatRequest, Message, Reasoning};
pub use secret::ApiKey;
pub(crate) use stream::replay;
pub use stream::Completion;
