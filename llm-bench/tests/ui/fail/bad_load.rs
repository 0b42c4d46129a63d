use llm_bench::prelude::*;

#[llm_bench(rate = "fast")]
async fn not_a_rate(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(rate = "20/s", concurrency = 4)]
async fn open_and_closed(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(arrival = "poisson")]
async fn arrival_without_rate(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(arrival = "bursty", rate = "5/s")]
async fn unknown_arrival(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(sweep = "rps 1,2,4")]
async fn sweep_of_nothing(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(search = "rate 1..100")]
async fn search_without_slo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(slo = "p99 ttft >= 500ms")]
async fn slo_lower_bound(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(until = "tfft 5%")]
async fn until_typo(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {}
