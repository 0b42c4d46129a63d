use llm_bench::prelude::*;

#[llm_bench(sample = 40)]
async fn typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(samples = 40, base_url = "http://127.0.0.1:8000/v1")]
async fn unrelated(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(description = "A chat turn.")]
async fn description(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
