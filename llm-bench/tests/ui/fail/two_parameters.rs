use llm_bench::prelude::*;

#[llm_bench]
async fn two_parameters(_ctx: &mut Ctx, _prompt: &str, _n: u32) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
