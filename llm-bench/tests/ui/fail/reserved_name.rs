use llm_bench::prelude::*;

#[llm_bench(name = "new")]
async fn named_new(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(group = "Report")]
async fn in_report_group(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(args = ["main", "base"])]
async fn baseline_arg(_ctx: &mut Ctx, _branch: &str) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench]
async fn change(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench]
async fn café(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
