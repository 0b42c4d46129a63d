//! A gate that never says "fine" when it cannot tell: an inconclusive gated metric fails
//! `--fail-on-regression` (exit status 4) unless `--allow-inconclusive`; a run with too many
//! failed requests never becomes a baseline; absolute thresholds fail the run (exit status
//! 3) with the figure stored.
//!
//! One test function: the harness reads its settings from the process environment.

use llm_bench::prelude::*;
use llm_bench::stored::Metric;
use llm_bench::stored::Verdict;
use llm_bench::stored::{Store, StoredRun, ThresholdOutcome};

// The exit statuses the harness documents.
const EXIT_OK: i32 = 0;
const EXIT_REGRESSED: i32 = 3;
const EXIT_INCONCLUSIVE: i32 = 4;

/// A short streamed answer.
#[llm_bench(group = "verdicts")]
async fn answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hello").max_tokens(8)).await?;
    Ok(())
}

/// One invocation in five panics: 20% failed, four times the 5% a comparison accepts.
#[llm_bench(group = "verdicts", samples = 5, warmup = 0)]
async fn flaky(ctx: &mut Ctx) -> llm_bench::Result<()> {
    if ctx.index() == 2 {
        panic!("the third request breaks");
    }
    ctx.stream(ChatRequest::new("hello").max_tokens(8)).await?;
    Ok(())
}

fn run(args: &[&str]) -> i32 {
    let argv = std::iter::once("bench").chain(args.iter().copied());
    llm_bench::run_with_args(argv)
}

#[test]
fn the_gate_fails_when_it_cannot_tell() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    std::env::set_var("LLM_BENCH_HOME", root);
    for var in [
        "OPENAI_BASE_URL",
        "LLM_BENCH_FAIL_ON_REGRESSION",
        "LLM_BENCH_ALLOW_INCONCLUSIVE",
    ] {
        std::env::remove_var(var);
    }
    let profile = "ttft=10ms,itl=2ms,tokens=8,seed=5";
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", profile);

    // Three samples a side, and the endpoint twice as slow: the data cannot support a
    // verdict, so the gate must not pass.
    let few = [
        "--bench",
        "--exact",
        "verdicts/answer",
        "--samples",
        "3",
        "--quiet",
    ];
    assert_eq!(
        run(&[&few[..], &["--save-baseline", "few"]].concat()),
        EXIT_OK
    );
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", format!("{profile},scale=2"));
    let gate = [&few[..], &["--baseline", "few", "--fail-on-regression"]].concat();
    assert_eq!(run(&gate), EXIT_INCONCLUSIVE);
    let comparison = Store::open(root)
        .comparison("verdicts/answer")
        .unwrap()
        .unwrap();
    assert!(matches!(
        comparison.metrics[&Metric::Tpot].verdict,
        Verdict::Inconclusive(_)
    ));
    assert!(!comparison.regressed);
    // Opting out is explicit; without --fail-on-regression the status stays 0.
    assert_eq!(
        run(&[&gate[..], &["--allow-inconclusive"]].concat()),
        EXIT_OK
    );
    assert_eq!(run(&[&few[..], &["--baseline", "few"]].concat()), EXIT_OK);

    // 1 of 5 requests failed: stored as the latest run, never as a baseline.
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", profile);
    run(&[
        "--bench",
        "--exact",
        "verdicts/flaky",
        "--save-baseline",
        "flaky",
        "--quiet",
    ]);
    let latest = Store::open(root).latest("verdicts/flaky").unwrap();
    assert_eq!(latest.samples.iter().filter(|s| !s.is_ok()).count(), 1);
    assert!(Store::open(root)
        .baseline("verdicts/flaky", "flaky")
        .unwrap()
        .is_none());

    // Absolute thresholds gate with or without --fail-on-regression, and keep the figure.
    let one = [
        "--bench",
        "--exact",
        "verdicts/answer",
        "--samples",
        "5",
        "--discard-baseline",
        "--quiet",
    ];
    let breach = [&one[..], &["--threshold", "p95 ttft < 1ms, errors < 1%"]].concat();
    assert_eq!(run(&breach), EXIT_REGRESSED);
    let stored = Store::open(root).latest("verdicts/answer").unwrap();
    assert_eq!(stored.thresholds.len(), 2);
    assert_eq!(stored.thresholds[0].threshold, "p95 ttft < 1ms");
    assert_eq!(stored.thresholds[0].outcome, ThresholdOutcome::Breached);
    let observed = stored.thresholds[0].observed.unwrap();
    assert!(observed > 10e6, "TTFT p95 was {observed} ns");
    assert_eq!(stored.thresholds[1].outcome, ThresholdOutcome::Passed);
    let met = [&one[..], &["--threshold", "p95 ttft < 10s"]].concat();
    assert_eq!(run(&met), EXIT_OK);

    // The default run compares with `base`, then saves itself as `base`: the report still
    // shows the baseline it was compared with, not the run that replaced it.
    let default = [
        "--bench",
        "--exact",
        "verdicts/answer",
        "--samples",
        "10",
        "--quiet",
    ];
    assert_eq!(run(&default), EXIT_OK);
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", format!("{profile},scale=2"));
    assert_eq!(run(&default), EXIT_OK);
    let ttft = |r: &StoredRun| r.summary[&Metric::Ttft].p50;
    let new = Store::open(root).latest("verdicts/answer").unwrap();
    let saved = Store::open(root)
        .baseline("verdicts/answer", "base")
        .unwrap()
        .unwrap();
    let compared = Store::open(root)
        .compared_baseline("verdicts/answer")
        .unwrap()
        .unwrap();
    assert_eq!(ttft(&saved), ttft(&new), "the new run is the base now");
    assert!(
        ttft(&compared) < ttft(&new) * 0.7,
        "{} vs {}",
        ttft(&compared),
        ttft(&new)
    );
}
