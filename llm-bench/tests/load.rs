//! A rate sweep and an SLA search against the built-in endpoint with a capacity model, run
//! as a user runs them: scenarios with `sweep` and `search`, `cargo bench`'s arguments, the
//! stored results read back through `llm_bench::stored`.
//!
//! One test function: the harness reads its settings from the process environment.
//!
//! It is timing-sensitive (a 20 ms budget over a 2 ms token gap), so it is ignored in the
//! debug `cargo test --workspace`, where a busy 2-core runner made a debug-build client miss
//! the budget below the capacity; `.ci/run` runs it in a release build:
//! `cargo test --release -p llm-bench --test load -- --ignored`.

use llm_bench::prelude::*;
use llm_bench::stored::Store;

/// 4 slots, 20 ms to the first token, 9 more tokens 2 ms apart: a request holds a slot for
/// 38 ms, so the endpoint serves at most 4 / 0.038 s = 105.3 requests/s.
const PROFILE: &str = "ttft=20ms,itl=2ms,tokens=10,slots=4,seed=1";
const CAPACITY: f64 = 4.0 / 0.038;

/// One second of constant arrivals per step, below and above the capacity.
#[llm_bench(
    group = "load",
    name = "sweep",
    rate = "10/s",
    arrival = "constant",
    duration = "1s",
    warmup = 0,
    sweep = "rate 25,50,100,150,200"
)]
async fn swept(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hi").max_tokens(10)).await?;
    Ok(())
}

/// The highest rate whose first tokens all come within 50 ms: above the capacity the queue
/// grows by the excess every second (at 1.05 times the capacity the last request waits
/// 47 ms more), so it is the capacity, give or take a few percent; below it a request waits
/// only for the client's and the endpoint's jitter, which the 30 ms of slack absorbs.
#[llm_bench(
    group = "load",
    name = "search",
    rate = "10/s",
    arrival = "constant",
    duration = "1s",
    warmup = 0,
    slo = "p99 ttft <= 50ms",
    search = "rate 20..200"
)]
async fn searched(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hi").max_tokens(10)).await?;
    Ok(())
}

fn run(args: &[&str]) -> i32 {
    let argv = std::iter::once("bench").chain(args.iter().copied());
    llm_bench::run_with_args(argv)
}

#[test]
#[ignore = "timing-sensitive: .ci/run runs it in a release build"]
fn the_knee_and_the_searched_rate_are_where_the_capacity_says() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    std::env::set_var("LLM_BENCH_HOME", root);
    std::env::remove_var("OPENAI_BASE_URL");
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", PROFILE);
    assert_eq!(run(&["--bench", "--quiet", "--nresamples", "0"]), 0);
    let store = Store::open(root);

    let sweep = store
        .sweep("load/sweep")
        .unwrap()
        .expect("the sweep was stored");
    let values: Vec<f64> = sweep.steps.iter().map(|s| s.value).collect();
    assert_eq!(values, [25.0, 50.0, 100.0, 150.0, 200.0]);
    for step in &sweep.steps {
        let run = store.latest(&step.id).unwrap();
        assert_eq!(run.scenario.id, step.id);
        eprintln!(
            "rate {}: {:.1} req/s, TTFT p99 {:.1} ms",
            step.value,
            step.throughput_rps,
            step.ttft_p99_ns.unwrap_or(f64::NAN) / 1e6
        );
    }
    assert_eq!(
        sweep.knee,
        Some(100.0),
        "the last step at or below {CAPACITY:.1}/s"
    );
    let above = &sweep.steps[4];
    assert!(
        (above.throughput_rps - CAPACITY).abs() < 0.15 * CAPACITY,
        "saturated at the capacity: {}",
        above.throughput_rps
    );

    let search = store
        .sweep("load/search")
        .unwrap()
        .expect("the search was stored");
    let best = search.best.expect("a rate met the objective");
    let probes: Vec<f64> = search.steps.iter().map(|s| s.value).collect();
    eprintln!("search probes {probes:?}: best {best}");
    assert!(
        (best / CAPACITY - 1.0).abs() <= 0.10,
        "found {best}/s, the capacity is {CAPACITY:.1}/s"
    );
    assert_eq!(search.objectives, ["p99 ttft <= 50ms"]);
}
