use llm_bench::prelude::*;

#[llm_bench(samples = "40")]
async fn string_samples(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(timeout = 30)]
async fn integer_timeout(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(concurrency = 2.5, warmup = WARMUP)]
async fn float_and_constant(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(name = support, model = 4)]
async fn unquoted(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(samples)]
async fn missing_value(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

const WARMUP: u32 = 3;

fn main() {}
