//! A parameterised scenario (`args = [...]`) is one scenario per value: each value is
//! listed, measured, stored and compared on its own, after the scenario's setup ran once
//! per value.
//!
//! One test function: the harness reads its settings from the process environment.

use std::sync::atomic::{AtomicU32, Ordering};

use llm_bench::prelude::*;
use llm_bench::stored::Metric;
use llm_bench::stored::Store;

// The exit statuses the harness documents.
const EXIT_OK: i32 = 0;

static SETUPS: AtomicU32 = AtomicU32::new(0);

/// Runs once per scenario id, before its warm-up.
async fn count_setup(_ctx: &mut Ctx) -> llm_bench::Result<()> {
    SETUPS.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// The same request with three output lengths.
#[llm_bench(group = "param", args = [2, 4, 8], samples = 12, warmup = 1, setup = count_setup)]
async fn output_len(ctx: &mut Ctx, tokens: u32) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("count").max_tokens(tokens))
        .await?;
    Ok(())
}

fn run(args: &[&str]) -> i32 {
    let argv = std::iter::once("bench").chain(args.iter().copied());
    llm_bench::run_with_args(argv)
}

#[test]
fn three_values_are_three_scenarios_stored_and_compared_on_their_own() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    std::env::set_var("LLM_BENCH_HOME", root);
    std::env::remove_var("OPENAI_BASE_URL");
    std::env::remove_var("LLM_BENCH_FAIL_ON_REGRESSION");
    // The simulated endpoint streams as many tokens as a request's max_tokens asks for.
    std::env::set_var(
        "LLM_BENCH_MOCK_PROFILE",
        "ttft=5ms,itl=2ms,tokens=64,seed=2",
    );

    let ids = [
        "param/output_len/2",
        "param/output_len/4",
        "param/output_len/8",
    ];
    assert_eq!(
        run(&["--bench", "param", "--save-baseline", "main", "--quiet"]),
        EXIT_OK
    );
    assert_eq!(SETUPS.load(Ordering::SeqCst), 3, "one setup per value");
    let mut e2e = Vec::new();
    for id in ids {
        let run = Store::open(root).baseline(id, "main").unwrap().expect(id);
        assert_eq!(run.scenario.id, id);
        assert_eq!(run.samples.len(), 12);
        let tokens = id.rsplit('/').next().unwrap().parse::<u64>().unwrap();
        assert!(
            run.samples.iter().all(|s| s.output_tokens == Some(tokens)),
            "{id}: each value reached the scenario"
        );
        e2e.push(run.summary[&Metric::E2e].p50);
    }
    assert!(e2e[0] < e2e[1] && e2e[1] < e2e[2], "{e2e:?}");

    assert_eq!(
        run(&["--bench", "param", "--baseline", "main", "--quiet"]),
        EXIT_OK
    );
    for id in ids {
        let c = Store::open(root).comparison(id).unwrap().expect(id);
        assert_eq!(c.scenario, id);
        assert_eq!(c.baseline, "main");
        assert!(c.metrics.contains_key(&Metric::Ttft));
    }
    // The values filter and list like any scenario id.
    assert_eq!(run(&["--list", "output_len/4"]), EXIT_OK);
}
