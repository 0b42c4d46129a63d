use llm_bench::prelude::*;

#[llm_bench(idle_timeout = 5)]
async fn number(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(connect_timeout = "5sec")]
async fn unknown_unit(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(first_byte_timeout = "0ms", first_token_timeout = "0.1ms")]
async fn zero_and_sub_millisecond(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(idle = "5s")]
async fn typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(idle_timeout_ms = 500)]
async fn with_unit_in_name(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
