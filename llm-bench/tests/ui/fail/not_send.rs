use llm_bench::prelude::*;

#[llm_bench]
async fn holds_rc(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    let shared = std::rc::Rc::new(1);
    std::future::ready(()).await;
    drop(shared);
    Ok(())
}

fn main() {}
