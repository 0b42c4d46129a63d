use llm_bench::prelude::*;

#[llm_bench]
async fn by_value(_ctx: Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench]
async fn shared_ref(_ctx: &Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
