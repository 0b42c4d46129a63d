use llm_bench::prelude::*;

async fn prepare(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(setup = "prepare")]
async fn quoted(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(setup = prepare(ctx))]
async fn called(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(setup = |_ctx| async {})]
async fn closure(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(setup = 42)]
async fn number(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(setup = __llm_bench_setup)]
async fn shadowed(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {
    let _ = prepare;
}
