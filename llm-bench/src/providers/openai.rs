//! The former paths of the shared types (`providers::openai::*`), kept while callers move
//! to the crate root's names: no provider knowledge lives here (OpenAI Chat is
//! `openai_chat/`).

pub use super::request::{ChatRequest, Message, Reasoning};
pub use super::stream::Completion;

pub(crate) use super::stream::replay;

/// The built-in client under its former name: with no
/// [`provider`](super::ClientBuilder::provider) set, it speaks OpenAI-compatible Chat
/// Completions.
pub type OpenAiClient = super::Client;

/// Builds an [`OpenAiClient`] (a [`ClientBuilder`](super::ClientBuilder)).
pub type OpenAiClientBuilder = super::ClientBuilder;
