//! How a team benchmarks its support bot. Run with `cargo bench -p llm-bench-examples`.

use llm_bench::prelude::*;

/// The question as the product sends it, through llm-bench's built-in client.
#[llm_bench(samples = 20, concurrency = 2)]
async fn support_answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let req = ChatRequest::new("How do I reset my password?").max_tokens(48);
    ctx.stream(req).await?;
    Ok(())
}

/// Support traffic as it arrives: 10 questions a second (Poisson arrivals, open loop), the
/// latency counted from when each user asked. The objectives give the goodput: how many
/// answers a second came fast enough.
#[llm_bench(
    rate = "10/s",
    samples = 30,
    slo = "p99 ttft <= 500ms, p90 tpot <= 50ms"
)]
async fn support_traffic(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let req = ChatRequest::new("How do I reset my password?").max_tokens(48);
    ctx.stream(req).await?;
    Ok(())
}

/// The same question through the team's own client: llm-bench times the stream it yields.
/// The bot is pointed at the endpoint this scenario measures (the simulated one unless one
/// is configured) and at its model; a client that ignored them would call whatever API it
/// is configured for. The bot speaks OpenAI Chat Completions, so the scenario says so:
/// `provider = "openai"` keeps its endpoint an OpenAI-compatible one whatever
/// `LLM_BENCH_PROVIDER` selects.
#[llm_bench(samples = 20, provider = "openai")]
async fn support_answer_own_client(ctx: &mut Ctx) -> llm_bench::Result<()> {
    let bot = my_app::SupportBot::new(
        ctx.client().base_url(),
        ctx.model().unwrap_or("llm-bench-mock"),
    );
    let answer = bot
        .answer("How do I reset my password?")
        .await
        .map_err(llm_bench::Error::other)?;
    ctx.track(answer).await?;
    Ok(())
}

llm_bench::main!();
