use llm_bench::prelude::*;

#[llm_bench(provider = "antropic")]
async fn typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(provider = "claude")]
async fn vendor_nickname(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(provider = "generic")]
async fn needs_a_spec(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(provider = gemini)]
async fn unquoted(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
