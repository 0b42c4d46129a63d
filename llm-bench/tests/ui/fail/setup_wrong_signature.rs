use llm_bench::prelude::*;

async fn returns_a_number(_ctx: &mut Ctx) -> u32 {
    42
}

async fn no_context() -> llm_bench::Result<()> {
    Ok(())
}

fn not_async(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

mod fixtures {
    pub async fn wrong_parameter(_text: &mut u32) {}
}

#[llm_bench(setup = returns_a_number)]
async fn a(_ctx: &mut Ctx) {}

#[llm_bench(setup = no_context)]
async fn b(_ctx: &mut Ctx) {}

#[llm_bench(setup = not_async)]
async fn c(_ctx: &mut Ctx) {}

#[llm_bench(setup = fixtures::wrong_parameter)]
async fn d(_ctx: &mut Ctx) {}

#[llm_bench(setup = missing)]
async fn e(_ctx: &mut Ctx) {}

fn main() {}
