use llm_bench::prelude::*;

#[llm_bench(name = "chat/support")]
async fn slash(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(name = "")]
async fn empty(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(group = "a:b")]
async fn colon_in_group(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(name = "..")]
async fn dots(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
