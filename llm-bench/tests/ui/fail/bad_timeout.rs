use llm_bench::prelude::*;

#[llm_bench(timeout = "30sec")]
async fn unknown_unit(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(timeout = "30")]
async fn no_unit(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(timeout = "0.5ms")]
async fn sub_millisecond(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
