use llm_bench::prelude::*;

#[llm_bench(samples = 0)]
async fn zero_samples(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(concurrency = 0, warmup = -1)]
async fn zero_concurrency(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(samples = 4294967296)]
async fn too_many(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(timeout = "0s")]
async fn zero_timeout(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
