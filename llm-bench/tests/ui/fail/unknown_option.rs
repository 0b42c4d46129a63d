use llm_bench::prelude::*;

#[llm_bench(sample = 40)]
async fn typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(samples = 40, provider = "openai")]
async fn unrelated(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(description = "A chat turn.")]
async fn description(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
