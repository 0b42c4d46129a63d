//! The `llm-bench` binary as the tests run it: with none of the variables that would point
//! it at a real endpoint or another results directory, and a time limit.

use std::time::Duration;

use assert_cmd::Command;

/// The variables removed from every run.
const ENDPOINT_VARIABLES: &[&str] = &[
    "LLM_BENCH_PROVIDER",
    "LLM_BENCH_BASE_URL",
    "LLM_BENCH_MODEL",
    "OPENAI_BASE_URL",
    "LLM_BENCH_HOME",
    "LLM_BENCH_FAIL_ON_REGRESSION",
];

/// `llm-bench`, ready for its arguments.
pub fn llm_bench() -> Command {
    let mut cmd = Command::cargo_bin("llm-bench").unwrap();
    for variable in ENDPOINT_VARIABLES {
        cmd.env_remove(variable);
    }
    cmd.timeout(Duration::from_secs(120));
    cmd
}
