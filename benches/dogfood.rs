//! llm-bench's own scenarios: `cargo bench` at the repository root runs them against the
//! built-in simulated endpoint (or the endpoint the environment names: `OPENAI_BASE_URL`,
//! and for the `providers/*` scenarios each vendor's own variables).

use std::time::Duration;

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

/// A RAG answer through the team's own client (the examples crate's `SupportBot`), timed
/// item by item with `ctx.track`: its retrieval step is a span, and the client is pointed
/// at the endpoint the scenario measures (`ctx.client().base_url()`), so with nothing
/// configured it talks to the simulated endpoint, never to a real API.
#[llm_bench(group = "own_client", samples = 20, provider = "openai")]
async fn rag_support_bot(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let passages = ctx.span("retrieval", retrieve("reset password")).await;
    let bot = my_app::SupportBot::new(
        ctx.client().base_url(),
        ctx.model().unwrap_or("llm-bench-mock"),
    );
    let question = format!("How do I reset my password? Context: {passages}");
    let answer = bot
        .answer(&question)
        .await
        .map_err(llm_bench::Error::other)?;
    let text = ctx.track(answer).await?;
    if text.is_empty() {
        return Err(llm_bench::Error::scenario("the bot answered nothing"));
    }
    Ok(())
}

/// Stands in for a vector search: 15 ms.
async fn retrieve(_query: &str) -> &'static str {
    tokio::time::sleep(Duration::from_millis(15)).await;
    "The account page has a reset link."
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
