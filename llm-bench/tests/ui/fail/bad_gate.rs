use llm_bench::prelude::*;

#[llm_bench(gate = "ttft,tpotx")]
async fn typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(gate = "latency")]
async fn unknown(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(gate = ttft)]
async fn unquoted(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
