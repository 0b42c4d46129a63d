use llm_bench::prelude::*;

#[llm_bench]
async fn no_parameter() -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
