use llm_bench::prelude::*;

#[llm_bench]
async fn generic<T: Default>(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    let _ = T::default();
    Ok(())
}

#[llm_bench]
async fn with_where<'a>(_ctx: &'a mut Ctx) -> llm_bench::Result<()>
where
    'a: 'a,
{
    Ok(())
}

fn main() {}
