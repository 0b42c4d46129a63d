use llm_bench::prelude::*;

#[llm_bench(samples = 40)]
struct Scenario {
    _samples: u32,
}

fn main() {}
