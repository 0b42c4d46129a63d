//! llm-bench's own scenarios: `cargo bench` at the repository root runs them against the
//! built-in simulated endpoint (or the endpoint `OPENAI_BASE_URL` names).

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

llm_bench::main!();
