use llm_bench::prelude::*;

struct Suite;

impl Suite {
    #[llm_bench]
    async fn method(&mut self) -> llm_bench::Result<()> {
        Ok(())
    }
}

fn main() {}
