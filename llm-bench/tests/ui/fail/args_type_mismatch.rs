use llm_bench::prelude::*;

#[llm_bench(args = [128, "long"])]
async fn string_for_a_number(_ctx: &mut Ctx, _len: usize) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(args = [-1])]
async fn negative_unsigned(_ctx: &mut Ctx, _len: usize) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
