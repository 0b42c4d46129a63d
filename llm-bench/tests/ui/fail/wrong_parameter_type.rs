use llm_bench::prelude::*;

#[llm_bench]
async fn wrong_type(_ctx: &mut u32) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
