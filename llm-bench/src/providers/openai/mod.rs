//! OpenAI-compatible Chat Completions: request, streaming client and chunk parser.

/// A chat request (stub).
#[derive(Debug, Clone)]
pub struct ChatRequest;

pub mod chunk;
