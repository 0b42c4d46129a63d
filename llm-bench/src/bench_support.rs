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
        ctx.stream(crate::ChatRequest::new("hi").max_tokens(256))
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

/// The plan of `requests` measured requests under `load`: no warm-up, no stopping rule.
fn plan_of(requests: u32, load: crate::harness::plan::Load) -> crate::harness::plan::Plan {
    crate::harness::plan::Plan {
        samples: requests,
        samples_from_duration: false,
        warmup: 0,
        load,
        timeout: std::time::Duration::from_secs(60),
        max_consecutive_failures: 0,
        stop: Default::default(),
    }
}

/// Runs `requests` requests (of as many tokens as the endpoint gives, up to 256) under
/// `load` through the harness's real runner; `all_timelines` keeps every request's arrivals.
async fn run_plan(
    client: crate::providers::Client,
    requests: u32,
    load: crate::harness::plan::Load,
    all_timelines: bool,
) -> crate::harness::runner::PhaseOutcome {
    use crate::harness::runner::{run_scenario, Costing, Live};
    let env = crate::context::ScenarioEnv::new(client, None);
    let env = std::sync::Arc::new(if all_timelines {
        env.with_all_timelines()
    } else {
        env
    });
    let stop = crate::harness::interrupt::never();
    let plan = plan_of(requests, load);
    let live = std::sync::Arc::new(Live::default());
    run_scenario(
        &MEASURED,
        env,
        &plan,
        &Costing::default(),
        stop,
        live,
        |_| {},
    )
    .await
}

/// Runs `requests` measured requests (of as many tokens as the endpoint gives, up to 256)
/// through the harness's real runner (scenario, `Ctx::stream`, recorder, ITL histogram)
/// against `client`, `concurrency` at a time.
pub async fn run_measured(
    client: crate::providers::Client,
    requests: u32,
    concurrency: u32,
) -> KeptRun {
    use crate::harness::plan::Load;
    let out = run_plan(client, requests, Load::Closed { concurrency }, false).await;
    KeptRun {
        samples: out.samples,
        itl: out.itl,
        itl_per_token: out.itl_per_token,
    }
}

/// Like [`run_measured`], keeping every request's arrivals (`arrivals_ns`) with its start
/// on the monotonic clock and the server's request id: what the accuracy benchmark compares
/// with the endpoint's write stamps.
pub async fn run_timelines(
    client: crate::providers::Client,
    requests: u32,
    concurrency: u32,
) -> Vec<crate::metrics::RequestSample> {
    use crate::harness::plan::Load;
    run_plan(client, requests, Load::Closed { concurrency }, true)
        .await
        .samples
}

/// Runs `requests` requests (of as many tokens as the endpoint gives, up to 256) open loop at `rate` per second (Poisson arrivals, or
/// constant) through the harness's real dispatcher, and returns the run as the harness
/// stores it: `load` holds the achieved rate, the schedule lag, the runtime delay and the
/// peak of requests in flight.
pub async fn run_open_loop(
    client: crate::providers::Client,
    requests: u32,
    rate: f64,
    poisson: bool,
) -> crate::store::StoredRun {
    use crate::harness::plan::{Load, OpenLoad};
    use crate::rules::load::Arrival;
    let load = Load::Open(OpenLoad {
        rate,
        arrival: if poisson {
            Arrival::Poisson
        } else {
            Arrival::Constant
        },
        ramp_up: None,
        seed: 1,
    });
    let plan = plan_of(requests, load.clone());
    let out = run_plan(client, requests, load, false).await;
    let endpoint = crate::store::EndpointInfo {
        kind: "simulated".into(),
        host: String::new(),
        model: None,
    };
    let stats = crate::stats::StatsConfig {
        nresamples: 0,
        ..Default::default()
    };
    crate::harness::summarize::stored_run(
        &MEASURED,
        endpoint,
        &plan,
        std::time::SystemTime::now(),
        out,
        &stats,
        &[],
    )
}

/// The estimates of one metric's values (mean, median, p90, p99 with their intervals) at
/// the default [`crate::stats::StatsConfig`]: what a stored run computes per metric.
pub fn estimate_values(values: &[f64]) -> Option<crate::stats::Estimates> {
    crate::stats::estimate(values, &crate::stats::StatsConfig::default())
}

/// `new` compared with `base` (no failed requests) at the default
/// [`crate::stats::StatsConfig`]: what a comparison with a baseline computes per metric.
/// `higher_is_better` is true for tokens per second, false for times.
pub fn compare_values(
    base: &[f64],
    new: &[f64],
    higher_is_better: bool,
) -> crate::stats::Comparison {
    let direction = if higher_is_better {
        crate::stats::Direction::HigherIsBetter
    } else {
        crate::stats::Direction::LowerIsBetter
    };
    let cfg = crate::stats::StatsConfig::default();
    crate::stats::compare(
        base,
        new,
        crate::stats::ErrorCounts::default(),
        direction,
        &cfg,
    )
}

/// The stored summary of one metric's values: count, mean and type-7 percentiles of the
/// exact values (what a stored run's `summary` holds per per-request metric; ITL's comes
/// from its histogram). `metric` is the stable name (`ttft`, `tokens_per_second`, ...);
/// `None` for an unknown name or no values.
pub fn summarize_values(metric: &str, values: &[f64]) -> Option<crate::stored::Summary> {
    crate::metrics::Metric::ALL
        .into_iter()
        .find(|m| m.name() == metric)?;
    crate::metrics::Summary::of_values(values.iter().copied())
}

/// `n` synthetic measured requests: log-normal TTFT around 200 ms × `scale` (σ 0.3), 40
/// tokens 20 ms × `scale` apart, one in a hundred failed; deterministic for `seed`.
pub fn synthetic_samples(n: u32, seed: u64, scale: f64) -> Vec<crate::metrics::RequestSample> {
    use crate::metrics::{RequestError, RequestSample};
    let mut rng = crate::rng::Rng::new(seed);
    (0..n)
        .map(|index| {
            let started_at_ns = u64::from(index) * 10_000_000;
            if index % 100 == 99 {
                return RequestSample {
                    index,
                    started_at_ns,
                    error: Some(RequestError {
                        class: crate::ErrorClass::Timeout,
                        message: "timed out after 30s".into(),
                        after_ns: None,
                        phase: None,
                    }),
                    ..RequestSample::default()
                };
            }
            let ttft = 200e6 * scale * (0.3 * rng.standard_normal()).exp();
            let itl = 20e6 * scale * (0.1 * rng.standard_normal()).exp();
            let e2e = ttft + 39.0 * itl;
            RequestSample {
                index,
                started_at_ns,
                ttfb_ns: Some((ttft / 2.0) as u64),
                ttft_ns: Some(ttft as u64),
                ttfo_ns: Some(ttft as u64),
                e2e_ns: Some(e2e as u64),
                output_events: 40,
                output_tokens: Some(40),
                token_source: Some(crate::metrics::TokenSource::Usage),
                itl_median_ns: Some(itl as u64),
                itl_max_ns: Some((itl * 1.5) as u64),
                ..RequestSample::default()
            }
        })
        .collect()
}

/// The store's own writer and reader of a run (`<root>/<id>/new/run.json`, or
/// `run.json.gz` for a big run).
pub use crate::store::{load_run, save_new};

/// [`synthetic_samples`] with everything the built-in client records besides: each
/// request's start on the monotonic clock and in UTC, the server's request id (24 random
/// hex digits, as OpenAI's `chatcmpl-…`), the connection it used (one of 32), and the
/// usage the API reported. What a stored run of a real endpoint holds per request.
pub fn client_samples(n: u32, seed: u64) -> Vec<crate::metrics::RequestSample> {
    let mut rng = crate::rng::Rng::new(seed ^ 0x9e37_79b9);
    let mut samples = synthetic_samples(n, seed, 1.0);
    for s in &mut samples {
        s.start_monotonic_ns = Some(5_000_000_000_000 + s.started_at_ns);
        s.start_unix_ns = Some(1_764_547_200_000_000_000 + s.started_at_ns);
        s.request_id = Some(format!(
            "chatcmpl-{:016x}{:08x}",
            rng.next_u64(),
            rng.next_u64() as u32
        ));
        s.http = Some(crate::metrics::HttpPhases {
            connection_id: rng.next_u64() % 32 + 1,
            new_connection: false,
            http2: false,
            connect_ns: None,
            tls_ns: None,
            request_written_ns: Some(20_000 + rng.next_u64() % 80_000),
        });
        if s.is_ok() {
            s.usage = Some(crate::Usage::new(Some(120), s.output_tokens));
        }
    }
    samples
}

/// The stored run of `samples` (summaries and intervals at the default statistics, ITL
/// from each request's median gap), as the harness builds it after a measured phase,
/// without writing anything.
pub fn stored_run_of(
    id: &str,
    samples: Vec<crate::metrics::RequestSample>,
) -> crate::store::StoredRun {
    run_of(id, samples).0
}

/// Everything the harness does with a finished run of `samples`, as `cargo bench` does it:
/// summaries and intervals (the stored run), the comparison with `base` when given, both
/// stored under `root`, then the HTML report (charts included) and the Markdown summary of
/// every run stored there. Returns the stored run.
pub fn analyse_run(
    root: &std::path::Path,
    id: &str,
    samples: Vec<crate::metrics::RequestSample>,
    base: Option<&crate::store::StoredRun>,
) -> crate::Result<crate::store::StoredRun> {
    let (run, stats) = run_of(id, samples);
    let origin = run
        .origin
        .clone()
        .unwrap_or_else(|| crate::store::RunOrigin {
            invocation: String::new(),
            bench_target: String::new(),
        });
    crate::store::save_new(root, &run)?;
    if let Some(base) = base {
        let gate = crate::harness::baseline::DEFAULT_GATE;
        let comparison = crate::harness::baseline::compare_runs(&run, base, "main", &gate, &stats);
        crate::store::save_compared_baseline(root, id, base)?;
        crate::store::save_comparison(root, &comparison)?;
    }
    crate::harness::reporting::write_all(root, true, &[], &origin)?;
    Ok(run)
}

/// The stored run of `samples` and the statistics it was computed with.
fn run_of(
    id: &str,
    samples: Vec<crate::metrics::RequestSample>,
) -> (crate::store::StoredRun, crate::stats::StatsConfig) {
    use crate::harness::plan::Load;
    use crate::metrics::{Metric, MetricHistogram};
    let mut itl = MetricHistogram::new(Metric::Itl);
    for s in samples.iter().filter(|s| s.is_ok()) {
        for _ in 0..39 {
            itl.record(s.itl_median_ns.unwrap_or(0) as f64);
        }
    }
    let wall_time_ns = samples
        .last()
        .map_or(0, |s| s.started_at_ns + 1_000_000_000);
    let outcome = crate::harness::runner::PhaseOutcome {
        samples,
        itl,
        itl_per_token: None,
        wall_time_ns,
        interrupted: false,
        budget_exhausted: false,
        stopped_early: None,
        config_error: false,
        tokenizer: "estimate",
        stop_reason: crate::store::StopReason::Samples,
        peak_in_flight: 1,
        runtime_delays_ns: Vec::new(),
    };
    let plan = plan_of(
        outcome.samples.len() as u32,
        Load::Closed { concurrency: 1 },
    );
    let endpoint = crate::store::EndpointInfo {
        kind: "simulated".into(),
        host: String::new(),
        model: Some("llm-bench-mock".into()),
    };
    let stats = crate::stats::StatsConfig::default();
    let origin = crate::store::RunOrigin {
        invocation: "bench-support".into(),
        bench_target: "analysis".into(),
    };
    let mut run = crate::harness::summarize::stored_run(
        &MEASURED,
        endpoint,
        &plan,
        std::time::SystemTime::now(),
        outcome,
        &stats,
        &[],
    );
    run.scenario.id = id.to_string();
    run.origin = Some(origin);
    (run, stats)
}
