use llm_bench::prelude::*;

#[llm_bench]
async fn returns_a_number(_ctx: &mut Ctx) -> u32 {
    42
}

fn main() {}
