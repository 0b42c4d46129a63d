use llm_bench::prelude::*;

#[llm_bench]
const fn constant(_ctx: &mut Ctx) {}

#[llm_bench]
async unsafe fn not_safe(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench]
extern "C" fn foreign(_ctx: &mut Ctx) {}

fn main() {}
