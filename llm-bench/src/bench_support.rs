//! Entry points for llm-bench's own benchmarks (`benches/overhead.rs`, `benches/memory.rs`).
//! Not a public API: hidden from the docs, and may change in any release.

use quanta::Instant;

use crate::metrics::Recorder;

/// Replays an OpenAI-compatible SSE body through the built-in client's decode-parse-record
/// path, in reads of `read_size` bytes; returns how many output events were recorded.
pub fn replay_openai_stream(body: &[u8], read_size: usize) -> u32 {
    let mut rec = Recorder::new(Instant::now(), false);
    // A malformed body still costs what it costs; the count is what matters here.
    let _ = crate::providers::replay(body, read_size, &mut rec);
    rec.finish(0, Instant::now(), |_, _| {}).output_events
}

/// Records `events` output events, timestamped now, into a fresh recorder (the per-token
/// hot path), then finishes it into a sample; returns the sample's TTFT in nanoseconds.
pub fn record_events(events: u32) -> u64 {
    let mut rec = Recorder::new(Instant::now(), false);
    rec.start(Instant::now());
    for _ in 0..events {
        rec.output_event(Instant::now(), true, 1);
    }
    rec.end(Instant::now());
    rec.finish(0, Instant::now(), |_, _| {})
        .ttft_ns
        .unwrap_or(0)
}

/// Streams `request` once through `client` (the built-in client's full path: send, decode,
/// parse, record); returns how many output events were recorded.
pub async fn stream_once(
    client: &crate::Client,
    request: &crate::ChatRequest,
) -> crate::Result<u32> {
    let mut rec = Recorder::new(Instant::now(), false);
    client
        .stream_timed(
            request,
            None,
            &mut rec,
            &crate::limits::PhaseLimits::DEFAULT,
        )
        .await?;
    Ok(rec.finish(0, Instant::now(), |_, _| {}).output_events)
}

/// What [`run_measured`] kept: the samples and the run's ITL histogram, exactly what the
/// harness holds in memory per run before storing it.
pub struct KeptRun {
    /// One sample per request.
    pub samples: Vec<crate::metrics::RequestSample>,
    /// Every inter-token gap of the run.
    pub itl: crate::metrics::MetricHistogram,
    /// The same per token, when some event carried several tokens.
    pub itl_per_token: Option<crate::metrics::MetricHistogram>,
}

fn stream_short_answer(ctx: &mut crate::Ctx) -> crate::scenario::ScenarioFuture<'_> {
    crate::scenario::into_scenario_future(async move {
        ctx.stream(crate::ChatRequest::new("hi").max_tokens(16))
            .await
            .map(|_| ())
    })
}

static MEASURED: crate::scenario::Scenario = crate::scenario::Scenario {
    name: "bench_support",
    group: None,
    module_path: module_path!(),
    file: file!(),
    line: line!(),
    description: "",
    config: crate::scenario::ScenarioConfig::DEFAULT,
    arg: None,
    arg_index: 0,
    setup: None,
    run: stream_short_answer,
};

/// Runs `requests` measured 16-token requests through the harness's real runner (scenario,
/// `Ctx::stream`, recorder, ITL histogram) against `client`, `concurrency` at a time.
pub async fn run_measured(
    client: crate::providers::Client,
    requests: u32,
    concurrency: u32,
) -> KeptRun {
    use crate::harness::plan::{Load, Plan};
    use crate::harness::runner::{run_scenario, Costing};
    let env = std::sync::Arc::new(crate::context::ScenarioEnv::new(client, None));
    let plan = Plan {
        samples: requests,
        samples_from_duration: false,
        warmup: 0,
        load: Load::Closed { concurrency },
        timeout: std::time::Duration::from_secs(30),
        max_consecutive_failures: 0,
        stop: Default::default(),
    };
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let live = std::sync::Arc::new(crate::harness::runner::Live::default());
    let out = run_scenario(
        &MEASURED,
        env,
        &plan,
        &Costing::default(),
        stop,
        live,
        |_| {},
    )
    .await;
    KeptRun {
        samples: out.samples,
        itl: out.itl,
        itl_per_token: out.itl_per_token,
    }
}
