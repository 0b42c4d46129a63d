use llm_bench::prelude::*;

#[llm_bench(samples = 10)]
#[llm_bench(samples = 20)]
async fn twice(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
