//! Interruption, as CI does it: a bench process signalled mid-run.
//!
//! Each test starts this test binary again as a child that runs the harness
//! (`run_with_args`, the body of `main!`) against its built-in simulated endpoint, waits
//! until requests are under way, sends SIGTERM or SIGINT, and checks what the
//! process left: its exit status, what it said, and the stored run. A panic in one scenario
//! is checked the same way, without a signal.
#![cfg(all(unix, feature = "simulated"))]

use std::ffi::OsString;
use std::time::{Duration, Instant};

use llm_bench::prelude::*;

#[path = "support/child.rs"]
mod child;
use child::Bench;

/// The child process: see `support/child.rs`.
#[test]
#[ignore = "the child process of the tests in this file"]
fn child() {
    child::run_child();
}

/// The simulated endpoint's latency profile, for the child.
fn profile(spec: &str) -> [(&'static str, OsString); 1] {
    [("LLM_BENCH_MOCK_PROFILE", spec.into())]
}

/// A streamed answer; its seventh request says the run is under way.
#[llm_bench(group = "sig")]
async fn stream(ctx: &mut Ctx) -> llm_bench::Result<()> {
    if ctx.index() == 6 {
        child::say_ready()?;
    }
    ctx.stream(ChatRequest::new("count").max_tokens(20)).await?;
    Ok(())
}

/// Panics in its second request.
#[llm_bench(group = "panic")]
async fn boom(ctx: &mut Ctx) -> llm_bench::Result<()> {
    if ctx.index() == 1 {
        panic!("the scenario's own bug");
    }
    ctx.stream(ChatRequest::new("count").max_tokens(5)).await?;
    Ok(())
}

/// Never panics.
#[llm_bench(group = "panic")]
async fn fine(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("count").max_tokens(5)).await?;
    Ok(())
}

/// 20 tokens at 20 ms: a request takes about 0.45 s.
const HALF_SECOND_REQUESTS: &str = "ttft=50ms, itl=20ms, tokens=20";

#[test]
fn sigterm_lets_requests_in_flight_finish_stores_the_samples_and_exits_143() {
    let mut bench = Bench::start(
        "sig/stream --samples 10000 --warmup 0 --concurrency 4 --save-baseline main",
        &profile(HALF_SECOND_REQUESTS),
    );
    bench.wait_until_ready();
    let signalled = Instant::now();
    bench.signal(libc::SIGTERM);
    let exited = bench.exit_within(Duration::from_secs(30));
    let took = signalled.elapsed();
    assert_eq!(exited.code, Some(143), "{exited}");
    assert!(
        exited.stderr.contains("SIGTERM: starting no new request"),
        "{exited}"
    );
    let run = exited.run("sig/stream");
    assert!(run.interrupted, "the stored run is marked interrupted");
    // At least the six requests started before the seventh, and the four in flight at the
    // signal, which had the grace period to finish (each takes about 0.45 s).
    assert!(
        run.samples.len() >= 7,
        "{} samples\n{exited}",
        run.samples.len()
    );
    assert!(run.samples.len() < 10000);
    assert!(
        run.samples.iter().all(|s| s.error.is_none()),
        "no request was cut off: every one in flight finished within the grace period"
    );
    assert!(
        took < Duration::from_secs(5),
        "the requests in flight took about 0.45 s, not the whole grace period: {took:?}"
    );
    assert!(
        exited.baselines("sig/stream").is_empty(),
        "an interrupted run never becomes a baseline\n{exited}"
    );
}

#[test]
fn a_second_sigint_cuts_the_requests_in_flight_and_exits_130_with_the_finished_samples() {
    // Requests of about 2 s, and a grace period far longer than the test may take.
    let mut bench = Bench::start(
        "sig/stream --samples 10000 --warmup 0 --concurrency 4 --grace 10m",
        &profile("ttft=20ms, itl=100ms, tokens=20"),
    );
    bench.wait_until_ready();
    bench.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    bench.signal(libc::SIGINT);
    let exited = bench.exit_within(Duration::from_secs(30));
    let took = second.elapsed();
    assert_eq!(exited.code, Some(130), "{exited}");
    assert!(exited.stderr.contains("second signal"), "{exited}");
    assert!(
        took < Duration::from_secs(3),
        "a second signal exits at once, not after the requests in flight (2 s each): {took:?}"
    );
    let run = exited.run("sig/stream");
    assert!(run.interrupted);
    // The seventh request started after the first three of the first four finished.
    assert!(run.samples.len() >= 3, "{exited}");
    assert!(run.samples.iter().all(|s| s.error.is_none()));
}

#[test]
fn a_panic_fails_its_scenario_and_the_other_scenario_s_results_are_kept() {
    let bench = Bench::start(
        "panic/ --samples 3 --warmup 0",
        &profile("ttft=1ms, itl=1ms, tokens=5"),
    );
    let exited = bench.exit_within(Duration::from_secs(60));
    assert_eq!(exited.code, Some(1), "a scenario failed\n{exited}");
    assert!(
        exited
            .stderr
            .contains("`panic/boom` panicked in 1 of 3 requests"),
        "{exited}"
    );
    let boom = exited.run("panic/boom");
    let failed: Vec<_> = boom
        .samples
        .iter()
        .filter_map(|s| s.error.as_ref())
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].message.contains("the scenario's own bug"));
    let fine = exited.run("panic/fine");
    assert_eq!(fine.samples.len(), 3);
    assert!(fine.samples.iter().all(|s| s.error.is_none()), "{exited}");
}
