use llm_bench::prelude::*;

#[llm_bench(samples = 40, concurrency = 4, samples = 50)]
async fn twice(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
