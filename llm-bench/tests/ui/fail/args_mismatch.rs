use llm_bench::prelude::*;

#[llm_bench(args = [128, 1024])]
async fn no_value_parameter(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(samples = 10)]
async fn no_args(_ctx: &mut Ctx, _len: usize) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(args = [1, 2])]
async fn impl_trait(_ctx: &mut Ctx, _len: impl Into<u64>) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
