//! End to end against the built-in endpoint: save a baseline, slow the endpoint by 30%,
//! compare with `--fail-on-regression` (non-zero exit, "regressed"), rerun unchanged
//! (exit 0); then export, import and re-analyse the stored baseline.
//!
//! One test function: the harness reads its settings from the process environment, which
//! tests running in parallel threads must not share.

use llm_bench::prelude::*;
use llm_bench::stored::Metric;
use llm_bench::stored::Store;
use llm_bench::stored::Verdict;

// The exit statuses the harness documents.
const EXIT_OK: i32 = 0;
const EXIT_USAGE: i32 = 2;
const EXIT_REGRESSED: i32 = 3;

/// A short streamed answer, timed by the built-in client.
#[llm_bench(group = "gate", samples = 30, warmup = 1)]
async fn short_answer(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hello").max_tokens(8)).await?;
    Ok(())
}

const PROFILE: &str = "ttft=30ms,itl=4ms,tokens=8,seed=3";

fn run(args: &[&str]) -> i32 {
    let argv = std::iter::once("bench").chain(args.iter().copied());
    llm_bench::run_with_args(argv)
}

fn verdict(root: &std::path::Path, metric: Metric) -> Verdict {
    let c = Store::open(root)
        .comparison("gate/short_answer")
        .unwrap()
        .expect("a comparison was stored");
    c.metrics[&metric].verdict
}

#[test]
fn a_slower_endpoint_fails_the_gate_and_an_unchanged_one_passes() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    std::env::set_var("LLM_BENCH_HOME", root);
    std::env::remove_var("OPENAI_BASE_URL");
    std::env::remove_var("LLM_BENCH_FAIL_ON_REGRESSION");
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", PROFILE);

    // main branch: save the baseline
    assert_eq!(
        run(&["--bench", "--save-baseline", "main", "--quiet"]),
        EXIT_OK
    );
    let saved = Store::open(root)
        .baseline("gate/short_answer", "main")
        .unwrap()
        .expect("baseline saved");
    assert_eq!(saved.samples.len(), 30);
    assert!(saved.estimates.contains_key(&Metric::Ttft));

    // a pull request that made the endpoint 30% slower
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", format!("{PROFILE},scale=1.3"));
    let code = run(&[
        "--bench",
        "--baseline",
        "main",
        "--fail-on-regression",
        "--quiet",
    ]);
    assert_eq!(code, EXIT_REGRESSED);
    assert_eq!(verdict(root, Metric::Ttft), Verdict::Regressed);
    assert_eq!(verdict(root, Metric::Tpot), Verdict::Regressed);
    // the report and the PR summary say so
    // (tera's escaping writes `/` as `&#x2F;`, which browsers show as `/`)
    let index = std::fs::read_to_string(root.join("report/index.html"))
        .unwrap()
        .replace("&#x2F;", "/");
    assert!(index.contains("gate/short_answer"), "{index}");
    assert!(index.contains("regressed"), "{index}");
    let summary = std::fs::read_to_string(root.join("report/summary.md")).unwrap();
    assert!(summary.contains("gate/short\\_answer"), "{summary}");
    assert!(summary.contains("regressed"), "{summary}");
    // --baseline compares without replacing the baseline
    let still = Store::open(root)
        .baseline("gate/short_answer", "main")
        .unwrap()
        .unwrap();
    assert_eq!(still, saved);

    // the same pull request without the gate flag only reports (here without charts, and
    // with exports)
    let code = run(&[
        "--bench",
        "--baseline",
        "main",
        "--quiet",
        "--noplot",
        "--export",
        "bmf,csv",
    ]);
    assert_eq!(code, EXIT_OK);
    assert!(root.join("report/bencher.json").is_file());
    assert!(root.join("report/requests.csv").is_file());
    assert_eq!(run(&["--bench", "--export", "xml"]), EXIT_USAGE);

    // an unchanged endpoint passes the gate
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", PROFILE);
    let code = run(&[
        "--bench",
        "--baseline",
        "main",
        "--fail-on-regression",
        "--quiet",
    ]);
    assert_eq!(code, EXIT_OK);
    assert_eq!(verdict(root, Metric::Ttft), Verdict::NoChange);

    // a baseline that does not exist is an error with --baseline ...
    assert_eq!(
        run(&["--bench", "--baseline", "nope", "--quiet"]),
        EXIT_USAGE
    );
    // ... and only a note with --baseline-lenient
    assert_eq!(
        run(&["--bench", "--baseline-lenient", "nope", "--quiet"]),
        EXIT_OK
    );

    // export, import under a fresh home, and re-analyse without sending a request
    let bundle = root.join("main.json");
    let code = run(&[
        "--bench",
        "--load-baseline",
        "main",
        "--export-baseline",
        bundle.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, EXIT_OK);
    let other = tempfile::tempdir().unwrap();
    std::env::set_var("LLM_BENCH_HOME", other.path());
    // an endpoint that cannot be reached proves no request is sent
    std::env::set_var("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
    let code = run(&[
        "--bench",
        "--import-baseline",
        bundle.to_str().unwrap(),
        "--load-baseline",
        "main",
        "--baseline",
        "main",
        "--quiet",
    ]);
    std::env::remove_var("OPENAI_BASE_URL");
    assert_eq!(code, EXIT_OK);
    let imported = Store::open(other.path())
        .baseline("gate/short_answer", "main")
        .unwrap()
        .unwrap();
    assert_eq!(imported.samples, saved.samples);
    assert_eq!(verdict(other.path(), Metric::Ttft), Verdict::NoChange);

    // --max-cost: at $1000 per million output tokens, 8 tokens cost $0.008 a request, so a
    // $0.02 budget stops the run cleanly after 3 requests (the warm-up one included)
    let prices = other.path().join("prices.json");
    std::fs::write(
        &prices,
        r#"{"schema":"llm-bench/pricing","models":{"llm-bench-mock":{"input":0,"output":1000}}}"#,
    )
    .unwrap();
    let prices = prices.to_str().unwrap();
    let code = run(&[
        "--bench",
        "--save-baseline",
        "cheap",
        "--pricing",
        prices,
        "--max-cost",
        "0.02",
        "--quiet",
    ]);
    assert_eq!(code, EXIT_OK);
    let stopped = Store::open(other.path())
        .latest("gate/short_answer")
        .unwrap();
    assert!(stopped.stopped_by_budget);
    assert_eq!(stopped.samples.len(), 2);
    let cost = stopped.cost_usd.unwrap();
    assert!((cost - 0.016).abs() < 1e-9, "{cost}");
    // an incomplete run never becomes a baseline
    assert!(Store::open(other.path())
        .baseline("gate/short_answer", "cheap")
        .unwrap()
        .is_none());
    // a budget that cannot be enforced (no price for the model) is refused
    std::env::set_var("LLM_BENCH_MODEL", "a-model-without-a-price");
    assert_eq!(run(&["--bench", "--max-cost", "1", "--quiet"]), EXIT_USAGE);
    std::env::remove_var("LLM_BENCH_MODEL");
}
