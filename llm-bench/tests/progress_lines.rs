//! Progress where people look: when stderr is not a terminal (a CI log), the harness prints
//! a plain line at the start of a scenario and at every tenth of its requests; `--quiet`
//! prints none.
//!
//! The run happens in a child process (this test binary started again, running only
//! `harness_in_child`), so that its stderr is a pipe, as in CI.

use std::process::Command;

use llm_bench::prelude::*;

/// A short streamed answer.
#[llm_bench(group = "progress", samples = 20, warmup = 1)]
async fn steady(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hello").max_tokens(4)).await?;
    Ok(())
}

/// Set (to the harness's arguments) in the child process only.
const CHILD_ARGS: &str = "LLM_BENCH_TEST_CHILD_ARGS";

/// Not a test of its own: the entry point of the child process. Without `CHILD_ARGS` it
/// returns at once.
#[test]
fn harness_in_child() {
    let Ok(args) = std::env::var(CHILD_ARGS) else {
        return;
    };
    let argv = std::iter::once("bench").chain(args.split(' '));
    let code = llm_bench::run_with_args(argv);
    std::process::exit(code);
}

/// Runs the harness in a child process with `args`; returns its stderr.
fn child_stderr(home: &std::path::Path, args: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "harness_in_child", "--nocapture"])
        .env(CHILD_ARGS, args)
        .env("LLM_BENCH_HOME", home)
        .env("LLM_BENCH_MOCK_PROFILE", "ttft=5ms,itl=1ms,tokens=4,seed=1")
        .env_remove("OPENAI_BASE_URL")
        .output()
        .expect("the child runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn plain_progress_lines_in_a_captured_run() {
    let home = tempfile::tempdir().unwrap();
    let stderr = child_stderr(home.path(), "--bench --exact progress/steady");
    assert!(
        stderr.contains(
            "llm-bench: progress/steady: collecting 20 samples after 1 warm-up, concurrency 1"
        ),
        "{stderr}"
    );
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("llm-bench: progress/steady: ") && l.contains("/20 requests"))
        .collect();
    assert_eq!(progress.len(), 10, "one line per tenth: {stderr}");
    assert!(progress[0].contains(" 2/20 requests"), "{}", progress[0]);
    let last = progress[9];
    assert!(last.contains(" 20/20 requests, "), "{last}");
    assert!(last.contains(" 0 failed, TTFT p50 "), "{last}");
    assert!(
        !stderr.contains('\r'),
        "no terminal control in a log: {stderr:?}"
    );

    let quiet = child_stderr(home.path(), "--bench --exact progress/steady --quiet");
    assert!(!quiet.contains("requests,"), "{quiet}");
    assert!(!quiet.contains("collecting"), "{quiet}");
}
