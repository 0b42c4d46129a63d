use llm_bench::prelude::*;

#[llm_bench(max_consecutive_failures = -1)]
async fn negative(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(max_consecutive_failures = "5")]
async fn string(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(max_failures = 5)]
async fn typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
