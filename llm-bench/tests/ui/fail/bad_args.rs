use llm_bench::prelude::*;

const LEN: usize = 128;

#[llm_bench(args = [LEN, 2 * LEN])]
async fn constants(_ctx: &mut Ctx, _len: usize) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(args = [])]
async fn empty(_ctx: &mut Ctx, _len: usize) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(args = [128, 1024, 128u64])]
async fn duplicate(_ctx: &mut Ctx, _len: u64) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(args = 128)]
async fn not_a_list(_ctx: &mut Ctx, _len: usize) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(args = ['a', "a/b", ""])]
async fn bad_values(_ctx: &mut Ctx, _text: &str) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
