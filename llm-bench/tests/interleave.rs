//! `cargo bench -- --interleave`: two scenarios that differ in answer length run head to
//! head against the built-in endpoint, as a user runs them; the stored runs and the
//! head-to-head record read back through `llm_bench::stored`.
//!
//! One test function: the harness reads its settings from the process environment.

use llm_bench::prelude::*;
use llm_bench::stored::{Metric, Store, Verdict};

/// 20 ms to the first token, then 2 ms a token: the long answer (40 tokens) ends about
/// 60 ms later than the short one (10 tokens); the first token comes as soon for both.
const PROFILE: &str = "ttft=20ms,itl=2ms,seed=3";

#[llm_bench(group = "h2h", name = "a_short", samples = 30, concurrency = 1)]
async fn short(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hi").max_tokens(10)).await?;
    Ok(())
}

#[llm_bench(group = "h2h", name = "b_long", samples = 30, concurrency = 1)]
async fn long(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hi").max_tokens(40)).await?;
    Ok(())
}

/// Open-loop: measured alone, after the rounds.
#[llm_bench(
    group = "h2h",
    name = "c_open",
    rate = "50/s",
    duration = "200ms",
    warmup = 0
)]
async fn open(ctx: &mut Ctx) -> llm_bench::Result<()> {
    ctx.stream(ChatRequest::new("hi").max_tokens(5)).await?;
    Ok(())
}

fn run(args: &[&str]) -> i32 {
    let argv = std::iter::once("bench").chain(args.iter().copied());
    llm_bench::run_with_args(argv)
}

#[test]
fn interleaved_scenarios_are_compared_in_pairs_with_the_first() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path();
    std::env::set_var("LLM_BENCH_HOME", root);
    std::env::remove_var("OPENAI_BASE_URL");
    std::env::set_var("LLM_BENCH_MOCK_PROFILE", PROFILE);

    assert_eq!(
        run(&[
            "--bench",
            "--quiet",
            "--interleave",
            "--noplot",
            "h2h/a_short"
        ]),
        2,
        "one scenario is not a head-to-head"
    );
    assert_eq!(
        run(&[
            "--bench",
            "--quiet",
            "--interleave",
            "--noplot",
            "--nresamples",
            "200",
            "h2h"
        ]),
        0
    );
    let store = Store::open(root);
    let short = store.latest("h2h/a_short").unwrap();
    let long = store.latest("h2h/b_long").unwrap();
    assert_eq!((short.samples.len(), long.samples.len()), (30, 30));
    // One round at a time: round i of both ends before round i + 1 of either starts.
    for i in 0..29 {
        let end = |r: &llm_bench::stored::StoredRun, i: usize| {
            r.samples[i].started_at_ns + r.samples[i].e2e_ns.unwrap()
        };
        let next_start = short.samples[i + 1]
            .started_at_ns
            .min(long.samples[i + 1].started_at_ns);
        assert!(
            end(&short, i).max(end(&long, i)) <= next_start,
            "round {i} overlaps round {}",
            i + 1
        );
    }
    // Both went first in some rounds (the ABBA order).
    let short_first = (0..30)
        .filter(|&i| short.samples[i].started_at_ns < long.samples[i].started_at_ns)
        .count();
    assert!(
        (5..=25).contains(&short_first),
        "short first in {short_first} of 30"
    );

    let record = store
        .head_to_head("h2h/a_short")
        .unwrap()
        .expect("the head-to-head record is stored beside the reference");
    assert_eq!(record.scenarios, ["h2h/a_short", "h2h/b_long"]);
    assert_eq!((record.rounds, record.order.as_str()), (30, "alternate"));
    assert_eq!(record.comparisons.len(), 1);
    let versus = &record.comparisons[0];
    assert_eq!(
        (versus.scenario.as_str(), versus.baseline.as_str()),
        ("h2h/b_long", "h2h/a_short")
    );
    assert!(
        versus.gated.is_empty() && !versus.regressed,
        "a head-to-head gates nothing"
    );
    let e2e = &versus.metrics[&Metric::E2e];
    assert_eq!(
        e2e.verdict,
        Verdict::Regressed,
        "the long answer ends later: {e2e:?}"
    );
    let pairing = e2e.paired.as_ref().expect("a paired comparison");
    assert_eq!(pairing.pairs, 30);
    // 60 ms apart in every round on a quiet machine; a stall of the client or the
    // endpoint on a busy one can swap a few rounds, not the median.
    assert!(pairing.share_new_larger >= 0.75, "{pairing:?}");
    assert!(e2e.median_change.point > 0.5, "{:?}", e2e.median_change);
    let ttft = &versus.metrics[&Metric::Ttft];
    assert!(
        ttft.median_change.point.abs() < 0.25,
        "the first tokens come as soon: {:?}",
        ttft.median_change
    );
    // `--duration` stops the rounds, not one scenario: both keep the same number.
    assert_eq!(
        run(&[
            "--bench",
            "--quiet",
            "--interleave",
            "--noplot",
            "--nresamples",
            "0",
            "--samples",
            "10000",
            "--duration",
            "300ms",
            "h2h"
        ]),
        0
    );
    let (short, long) = (
        store.latest("h2h/a_short").unwrap(),
        store.latest("h2h/b_long").unwrap(),
    );
    assert!(
        short.samples.len() < 100,
        "{} rounds in 300 ms",
        short.samples.len()
    );
    assert_eq!(short.samples.len(), long.samples.len());
    assert_eq!(
        short.stop_reason,
        Some(llm_bench::stored::StopReason::Duration)
    );
    // The open-loop scenario ran too, alone.
    assert!(!store.latest("h2h/c_open").unwrap().samples.is_empty());
    assert!(store.head_to_head("h2h/b_long").unwrap().is_none());
}
