//! llm-bench's own scenarios: `cargo bench` at the repository root runs them against the
//! built-in simulated endpoint (or the endpoint the environment names: `OPENAI_BASE_URL`,
//! and for the `providers/*` scenarios each vendor's own variables).

use std::time::Duration;

use futures_util::stream::{self, Stream};
use llm_bench::prelude::*;

/// A short chat turn: what a support widget sends.
#[llm_bench(group = "chat", samples = 20)]
async fn short_turn(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let prompt = format!("How do I reset my password? (ticket {})", ctx.index());
    ctx.stream(ChatRequest::new(prompt).max_tokens(24)).await?;
    Ok(())
}

/// A long generation, four at a time: what a report writer sends.
#[llm_bench(group = "chat", samples = 12, concurrency = 4, timeout = "60s")]
async fn long_generation(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let req = ChatRequest::new("Write a detailed incident report.")
        .system("You are a site reliability engineer.")
        .max_tokens(200);
    ctx.stream(req).await?;
    Ok(())
}

/// A stream from the user's own client, timed item by item with `ctx.track`. Here the
/// "client" is an in-process generator standing in for a local model: 30 ms to the first
/// token, then 5 ms per token.
#[llm_bench(group = "own_client", samples = 20)]
async fn tracked_local_model(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let text = ctx.track(local_model(40)).await?;
    if text.is_empty() {
        return Err(llm_bench::Error::scenario(
            "the local model produced no text",
        ));
    }
    Ok(())
}

fn local_model(tokens: u32) -> impl Stream<Item = Result<String, std::io::Error>> + Send {
    stream::unfold(0u32, move |i| async move {
        if i == tokens {
            return None;
        }
        let delay = if i == 0 { 30 } else { 5 };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Some((Ok(format!("tok{i} ")), i + 1))
    })
}

/// The same short answer in every API llm-bench speaks: with no endpoint configured, the
/// built-in simulated endpoint answers each in its own wire format (set the vendor's
/// variables, e.g. `ANTHROPIC_BASE_URL` and `ANTHROPIC_API_KEY`, to measure the real one).
async fn short_answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let prompt = format!("Name three uses of a paperclip. ({})", ctx.index());
    ctx.stream(ChatRequest::new(prompt).max_tokens(24)).await?;
    Ok(())
}

/// OpenAI's Responses API.
#[llm_bench(group = "providers", samples = 10, provider = "openai_responses")]
async fn openai_responses(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// OpenAI's legacy Completions API.
#[llm_bench(group = "providers", samples = 10, provider = "openai_completions")]
async fn openai_completions(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// Azure OpenAI (a deployment URL with `api-version`).
#[llm_bench(group = "providers", samples = 10, provider = "azure")]
async fn azure(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// Anthropic Messages.
#[llm_bench(group = "providers", samples = 10, provider = "anthropic")]
async fn anthropic(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// Anthropic Messages with extended thinking: TTFT stops at the first thinking token, TTFO
/// at the first answer token.
#[llm_bench(group = "providers", samples = 10, provider = "anthropic")]
async fn anthropic_thinking(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let req = ChatRequest::new("Is 1001 prime?")
        .max_tokens(1100)
        .reasoning(llm_bench::Reasoning::Budget(1024));
    ctx.stream(req).await?;
    Ok(())
}

/// Gemini `streamGenerateContent`.
#[llm_bench(group = "providers", samples = 10, provider = "gemini")]
async fn gemini(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// Cohere v2 chat.
#[llm_bench(group = "providers", samples = 10, provider = "cohere")]
async fn cohere(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// Cohere v1 chat (NDJSON).
#[llm_bench(group = "providers", samples = 10, provider = "cohere_v1")]
async fn cohere_v1(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// Ollama's native chat API (NDJSON).
#[llm_bench(group = "providers", samples = 10, provider = "ollama")]
async fn ollama(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

/// Hugging Face Text Generation Inference `generate_stream`.
#[llm_bench(group = "providers", samples = 10, provider = "tgi")]
async fn tgi(ctx: &mut Ctx) -> llm_bench::Result<()> {
    short_answer(ctx).await
}

llm_bench::main!();
