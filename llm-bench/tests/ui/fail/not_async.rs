use llm_bench::prelude::*;

#[llm_bench]
fn not_async(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
