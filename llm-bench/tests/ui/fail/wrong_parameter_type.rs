use llm_bench::prelude::*;

#[llm_bench]
async fn wrong_type(_ctx: &mut String) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
