//! The load options reach the scenario's configuration in their normal form.

use llm_bench::__private::Scenario;
use llm_bench::prelude::*;

#[llm_bench(rate = "20/s", arrival = "gamma:0.5", ramp_up = "10s", seed = 7, duration = "1m", max_output_tokens = 100000, until = "ttft 5%", slo = "P99 TTFT <= 500 ms", search = "rate 1..100", retries = 3)]
async fn open_loop(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

#[llm_bench(trace = "traces/chat.jsonl", sweep = "concurrency 1..8:4 log")]
async fn replayed(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    Ok(())
}

fn main() {
    let all: Vec<&Scenario> = llm_bench::__private::registered();
    let open = all.iter().find(|s| s.name == "open_loop").unwrap();
    assert_eq!(
        open.config,
        llm_bench::__private::ScenarioConfig {
            rate: Some("20/s"),
            arrival: Some("gamma:0.5"),
            ramp_up: Some("10s"),
            seed: Some(7),
            duration_ms: Some(60_000),
            max_output_tokens: Some(100_000),
            until: Some("ttft 5%"),
            slo: Some("p99 ttft <= 500ms"),
            search: Some("rate 1..100"),
            retries: Some(3),
            ..llm_bench::__private::ScenarioConfig::DEFAULT
        }
    );
    let replayed = all.iter().find(|s| s.name == "replayed").unwrap();
    assert_eq!(replayed.config.trace, Some("traces/chat.jsonl"));
    assert_eq!(replayed.config.sweep, Some("concurrency 1..8:4 log"));
}
