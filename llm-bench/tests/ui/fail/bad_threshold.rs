use llm_bench::prelude::*;

#[llm_bench(threshold = "p95 tft < 800ms")]
async fn typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(threshold = "p95 ttft < 800ms, errors 1%")]
async fn no_operator(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(threshold = "p95 ttft < 800")]
async fn no_unit(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(threshold = 800)]
async fn not_a_string(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
