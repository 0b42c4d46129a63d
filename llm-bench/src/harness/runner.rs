//! Runs one scenario: its setup, the warm-up, then the measured requests, at a fixed
//! concurrency (closed loop), each invocation under a time limit, isolated from panics. A
//! scenario stops early after too many failed requests in a row, or at once on a
//! configuration error, with one message instead of one per request.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use quanta::Instant;
use tokio::sync::watch;

use crate::context::{Ctx, ScenarioEnv};
use crate::cost::{Budget, Price};
use crate::error::{Error, ErrorClass, TimeoutPhase};
use crate::harness::interrupt::StopWatch;
use crate::harness::open_loop;
use crate::harness::plan::Load;
pub(crate) use crate::harness::plan::Plan;
use crate::harness::self_check::Probe;
use crate::harness::stopping::Stopper;
use crate::load::schedule::arrivals;
use crate::metrics::{Metric, MetricHistogram, RequestError, RequestSample};
use crate::scenario::{Scenario, ScenarioFn};
use crate::store::StopReason;

/// How many requests of a run keep their full token arrival timeline.
pub(super) const TIMELINES_KEPT: u32 = 5;

/// How requests are priced, and the budget they spend (shared by the whole bench run).
#[derive(Debug, Clone, Default)]
pub(crate) struct Costing {
    /// The price of the scenario's model, when the pricing table knows it.
    pub price: Option<Price>,
    /// `--max-cost`: no request starts once it is spent.
    pub budget: Option<Arc<Budget>>,
}

impl Costing {
    pub(super) fn exhausted(&self) -> bool {
        self.budget.as_ref().is_some_and(|b| b.exhausted())
    }

    /// Prices a finished request and charges the budget (failed requests too: their tokens
    /// were generated all the same).
    pub(super) fn charge(&self, sample: &mut RequestSample) {
        let Some(price) = self.price else { return };
        let Some(output) = sample.output_tokens else {
            return;
        };
        let prompt = sample.usage.and_then(|u| u.prompt_tokens).unwrap_or(0);
        let cost = price.cost(prompt, output);
        sample.cost_usd = Some(cost);
        if let Some(budget) = &self.budget {
            budget.spend(cost);
        }
    }
}

/// What a scenario is doing right now, for progress output: updated by the workers, read
/// by whoever shows progress.
#[derive(Debug, Default)]
pub(crate) struct Live {
    warming_up: std::sync::atomic::AtomicBool,
    total: AtomicU32,
    done: AtomicU32,
    in_flight: AtomicU32,
    failed: AtomicU32,
    /// Most requests in flight at once.
    peak_in_flight: AtomicU32,
    /// Output tokens of the finished measured requests.
    output_tokens: AtomicU64,
    /// TTFT of every successful measured request so far.
    ttft_ns: Mutex<Vec<u64>>,
    /// The metric the precision rule watches, and its values so far.
    watched: Mutex<(Option<Metric>, Vec<f64>)>,
    /// When the measured phase began (set once, before its first request).
    measured_since: std::sync::OnceLock<std::time::Instant>,
}

impl Live {
    /// True while the warm-up runs.
    pub fn warming_up(&self) -> bool {
        self.warming_up.load(Ordering::Relaxed)
    }
    /// Measured requests asked for.
    pub fn total(&self) -> u32 {
        self.total.load(Ordering::Relaxed)
    }
    /// Measured requests finished.
    pub fn done(&self) -> u32 {
        self.done.load(Ordering::Relaxed)
    }
    /// Requests running now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }
    /// Measured requests that failed.
    pub fn failed(&self) -> u32 {
        self.failed.load(Ordering::Relaxed)
    }
    /// Output tokens of the finished measured requests.
    pub fn output_tokens(&self) -> u64 {
        self.output_tokens.load(Ordering::Relaxed)
    }
    /// Most requests in flight at once so far.
    pub fn peak_in_flight(&self) -> u32 {
        self.peak_in_flight.load(Ordering::Relaxed)
    }
    /// Collects the values of `metric` for the precision rule.
    pub(super) fn watch(&self, metric: Metric) {
        self.watched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0 = Some(metric);
    }
    /// The watched metric's values so far (see [`Live::watch`]).
    pub(super) fn watched_values(&self) -> Vec<f64> {
        self.watched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .clone()
    }
    /// Sets the requests the phase will run.
    pub(super) fn set_total(&self, total: u32) {
        self.total.store(total, Ordering::Relaxed);
    }
    /// Marks the warm-up as running (or over).
    pub(super) fn set_warming_up(&self, warming_up: bool) {
        self.warming_up.store(warming_up, Ordering::Relaxed);
    }
    /// The measured phase begins now (a later call keeps the first moment).
    pub(super) fn measuring(&self) {
        let _ = self.measured_since.set(std::time::Instant::now());
    }
    /// When the measured phase began, once it has.
    pub(crate) fn measured_since(&self) -> Option<std::time::Instant> {
        self.measured_since.get().copied()
    }
    /// A request is starting.
    pub(super) fn request_started(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
    }
    /// A request ended (or was cut off).
    pub(super) fn request_ended(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
    /// The median TTFT of the successful measured requests so far (of an even count, the
    /// mean of the two middle values rounded half up to whole nanoseconds).
    pub fn ttft_p50_ns(&self) -> Option<u64> {
        let mut values = self
            .ttft_ns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        crate::stats::median_u64(&mut values)
    }

    pub(super) fn finished(&self, sample: &RequestSample) {
        if sample.is_ok() {
            let tokens = sample.output_tokens.unwrap_or(0);
            self.output_tokens.fetch_add(tokens, Ordering::Relaxed);
            let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(value) = watched.0.and_then(|metric| metric.of(sample)) {
                watched.1.push(value);
            }
        }
        if let (true, Some(ttft)) = (sample.is_ok(), sample.ttft_ns) {
            self.ttft_ns
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(ttft);
        }
        if !sample.is_ok() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one phase produced.
#[derive(Debug)]
pub(crate) struct PhaseOutcome {
    /// Samples in index order.
    pub samples: Vec<RequestSample>,
    /// Every gap between output events of the successful requests.
    pub itl: MetricHistogram,
    /// The same gaps per token (a gap ending with an event of `k` tokens counts `k` times
    /// as `gap / k`), or `None` when every event carried one token (it would equal `itl`).
    pub itl_per_token: Option<MetricHistogram>,
    /// Wall time of the phase, in nanoseconds.
    pub wall_time_ns: u64,
    /// True when a stop was requested before every request ran.
    pub interrupted: bool,
    /// True when the cost budget stopped the phase before every request ran.
    pub budget_exhausted: bool,
    /// Why the scenario stopped before every request ran, when it did so on its own: too
    /// many failures in a row, a configuration error, a failed setup.
    pub stopped_early: Option<String>,
    /// True when a configuration error stopped the scenario.
    pub config_error: bool,
    /// The name of the tokenizer that counted output tokens (see [`crate::tokens`]).
    pub tokenizer: &'static str,
    /// Why the phase stopped.
    pub stop_reason: StopReason,
    /// Most requests in flight at once.
    pub peak_in_flight: u32,
    /// The runtime delays the probe measured during the phase (see
    /// [`crate::harness::self_check`]), in nanoseconds.
    pub runtime_delays_ns: Vec<u64>,
}

impl PhaseOutcome {
    /// Why a phase stopped, from what stopped it: the user, the budget, failures, a rule,
    /// else every sample ran.
    pub(super) fn reason(
        interrupted: bool,
        budget_exhausted: bool,
        failures: Option<&String>,
        rule: Option<StopReason>,
    ) -> StopReason {
        if interrupted {
            StopReason::Interrupted
        } else if budget_exhausted {
            StopReason::Cost
        } else if failures.is_some() {
            StopReason::Failures
        } else {
            rule.unwrap_or(StopReason::Samples)
        }
    }
}

/// Counts failed requests in a row across the warm-up and the measured phase, and decides
/// when the scenario stops.
#[derive(Debug)]
pub(super) struct FailureWatch {
    limit: u32,
    in_a_row: AtomicU32,
    /// Why the scenario stops; set once.
    reason: Mutex<Option<String>>,
    /// The scenario stops for a configuration error.
    pub(super) config_error: std::sync::atomic::AtomicBool,
    /// Tells the invocations in flight to give up.
    pub(super) abort: watch::Sender<bool>,
}

impl FailureWatch {
    fn new(limit: u32) -> Self {
        FailureWatch {
            limit,
            in_a_row: AtomicU32::new(0),
            reason: Mutex::new(None),
            config_error: Default::default(),
            abort: watch::channel(false).0,
        }
    }

    pub(super) fn stopped(&self) -> bool {
        *self.abort.borrow()
    }

    fn stop(&self, reason: String) {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(reason);
        }
        self.abort.send_replace(true);
    }

    /// Notes a finished request: a configuration error stops the scenario at once (every
    /// request would fail the same way), and so do `limit` failures in a row.
    pub(super) fn finished(&self, error: Option<&RequestError>) {
        let Some(error) = error else {
            self.in_a_row.store(0, Ordering::Relaxed);
            return;
        };
        if error.class == ErrorClass::Config {
            self.config_error.store(true, Ordering::Relaxed);
            self.stop(format!(
                "stopped at the first configuration error (every request would fail the same way): {}",
                error.message
            ));
            return;
        }
        let n = self.in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        if self.limit > 0 && n >= self.limit {
            self.stop(format!(
                "stopped after {n} failed requests in a row (the last: {}: {})",
                error.class, error.message
            ));
        }
    }

    pub(super) fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs the scenario's setup (if any) once, then `plan.warmup` discarded requests, then
/// `plan.samples` measured ones. `on_sample` is called after every measured request, with
/// `live` already updated.
pub(crate) async fn run_scenario(
    scenario: &'static Scenario,
    env: Arc<ScenarioEnv>,
    plan: &Plan,
    costing: &Costing,
    stop: StopWatch,
    live: Arc<Live>,
    on_sample: impl Fn(&Live) + Send + Sync + 'static,
) -> PhaseOutcome {
    let failures = Arc::new(FailureWatch::new(plan.max_consecutive_failures));
    let nothing = |stopped_early: Option<String>| PhaseOutcome {
        samples: Vec::new(),
        itl: MetricHistogram::new(Metric::Itl),
        itl_per_token: None,
        wall_time_ns: 0,
        interrupted: false,
        budget_exhausted: false,
        stopped_early,
        config_error: false,
        tokenizer: env.tokenizer.name(),
        stop_reason: StopReason::Failures,
        peak_in_flight: 0,
        runtime_delays_ns: Vec::new(),
    };
    if let Some(setup) = scenario.setup {
        if let Err(e) = run_setup(setup, env.clone(), plan.timeout).await {
            return nothing(Some(format!(
                "stopped before its first request: its setup failed: {}: {}",
                e.class, e.message
            )));
        }
    }
    live.total.store(plan.samples, Ordering::Relaxed);
    if let Some(precision) = plan.stop.precision {
        live.watch(precision.metric);
    }
    if plan.warmup > 0 {
        live.set_warming_up(true);
        let warm = phase(
            scenario,
            env.clone(),
            plan,
            plan.warmup,
            true,
            costing,
            stop.clone(),
            &failures,
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        live.set_warming_up(false);
        if warm.interrupted || warm.budget_exhausted || warm.stopped_early.is_some() {
            return PhaseOutcome {
                samples: Vec::new(),
                ..warm
            };
        }
    }
    let probe = Probe::start();
    live.measuring();
    let mut measured = phase(
        scenario,
        env,
        plan,
        plan.samples,
        false,
        costing,
        stop,
        &failures,
        live,
        on_sample,
    )
    .await;
    measured.runtime_delays_ns = probe.finish();
    measured
}

/// Runs one phase in closed or open loop, as the plan says.
#[allow(clippy::too_many_arguments)]
async fn phase(
    scenario: &'static Scenario,
    env: Arc<ScenarioEnv>,
    plan: &Plan,
    count: u32,
    warmup: bool,
    costing: &Costing,
    stop: StopWatch,
    failures: &Arc<FailureWatch>,
    live: Arc<Live>,
    on_sample: impl Fn(&Live) + Send + Sync + 'static,
) -> PhaseOutcome {
    let phase = Phase {
        scenario,
        env,
        plan,
        count,
        warmup,
        costing,
        stop,
        failures,
        live,
    };
    match &plan.load {
        Load::Closed { concurrency } => run_phase(phase, *concurrency, on_sample).await,
        Load::Open(open) => {
            // The warm-up and the measured phase follow different arrivals.
            let seed = open.seed ^ u64::from(warmup);
            let offsets = arrivals(open.arrival, open.rate, count as usize, open.ramp_up, seed);
            open_loop::run_phase(phase, offsets, on_sample).await
        }
        // The trace's times are the measured phase's; the warm-up runs one at a time.
        Load::Replay(_) if warmup => run_phase(phase, 1, on_sample).await,
        Load::Replay(replay) => {
            let offsets = replay
                .entries
                .iter()
                .take(count as usize)
                .map(|e| e.offset_ns)
                .collect();
            open_loop::run_phase(phase, offsets, on_sample).await
        }
    }
}

/// What every phase is given.
pub(super) struct Phase<'a> {
    pub scenario: &'static Scenario,
    pub env: Arc<ScenarioEnv>,
    pub plan: &'a Plan,
    /// Requests to run.
    pub count: u32,
    pub warmup: bool,
    pub costing: &'a Costing,
    pub stop: StopWatch,
    pub failures: &'a Arc<FailureWatch>,
    pub live: Arc<Live>,
}

impl Phase<'_> {
    /// The stopping rules of this phase, counted from now: the plan's, none in a warm-up.
    pub(super) fn stopper(&self) -> Stopper {
        Stopper::new(if self.warmup {
            Default::default()
        } else {
            self.plan.stop
        })
    }
}

/// Calls the scenario's setup once, untimed, under the invocation time limit.
pub(super) async fn run_setup(
    setup: ScenarioFn,
    env: Arc<ScenarioEnv>,
    timeout: Duration,
) -> Result<(), RequestError> {
    let mut ctx = Ctx::new(env, 0, true, false);
    let call = AssertUnwindSafe(setup(&mut ctx)).catch_unwind();
    let error = match tokio::time::timeout(timeout, call).await {
        Ok(Ok(Ok(()))) => return Ok(()),
        Ok(Ok(Err(e))) => e,
        Ok(Err(panic)) => Error::Scenario(format!("it panicked: {}", panic_message(&panic))),
        Err(_) => Error::Timeout {
            phase: TimeoutPhase::Total,
            limit: timeout,
        },
    };
    Err(RequestError {
        class: error.class(),
        message: error.describe(),
        after_ns: None,
        phase: None,
    })
}

/// Closed loop: `concurrency` workers, each starting its next request when its last ended.
async fn run_phase(
    phase: Phase<'_>,
    concurrency: u32,
    on_sample: impl Fn(&Live) + Send + Sync + 'static,
) -> PhaseOutcome {
    let stopper = Arc::new(phase.stopper());
    let Phase {
        scenario,
        env,
        plan,
        count,
        warmup,
        costing,
        stop,
        failures,
        live,
    } = phase;
    let next = Arc::new(AtomicU32::new(0));
    let on_sample = Arc::new(on_sample);
    let run_start = Instant::now();
    let tokenizer = env.tokenizer.name();
    let timeout = plan.timeout;
    let workers = concurrency.clamp(1, count.max(1));
    let mut handles = Vec::with_capacity(workers as usize);
    for _ in 0..workers {
        let (env, next, live, on_sample, mut stop, costing, failures, stopper) = (
            env.clone(),
            next.clone(),
            live.clone(),
            on_sample.clone(),
            stop.clone(),
            costing.clone(),
            failures.clone(),
            stopper.clone(),
        );
        let mut abort = failures.abort.subscribe();
        handles.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut itl = ItlHistograms::default();
            let mut interrupted = false;
            let mut budget_exhausted = false;
            loop {
                if stop.borrow().starts_nothing() {
                    interrupted = true;
                    break;
                }
                if failures.stopped() || stopper.stopped() {
                    break;
                }
                if costing.exhausted() {
                    budget_exhausted = next.load(Ordering::Relaxed) < count;
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    break;
                }
                let keep_arrivals = !warmup && (index < TIMELINES_KEPT || env.all_timelines);
                let mut ctx = Ctx::new(env.clone(), index, warmup, keep_arrivals);
                live.request_started();
                let finished = tokio::select! {
                    biased;
                    Ok(_) = stop.wait_for(|s| s.cuts_in_flight()) => Some(true),
                    _ = abort.wait_for(|aborted| *aborted) => Some(false),
                    () = invoke(scenario, &mut ctx, timeout) => None,
                };
                live.request_ended();
                match finished {
                    Some(true) => {
                        interrupted = true;
                        break;
                    }
                    // Cut off because the scenario stops: not a measurement.
                    Some(false) => break,
                    None => {}
                }
                let mut sample = ctx
                    .into_recorder()
                    .finish(index, run_start, |gap, tokens| itl.record(gap, tokens));
                costing.charge(&mut sample);
                failures.finished(sample.error.as_ref());
                live.finished(&sample);
                samples.push(sample);
                stopper.after_sample(&live);
                on_sample(&live);
            }
            (samples, itl, interrupted, budget_exhausted)
        }));
    }
    let mut samples = Vec::with_capacity(count as usize);
    let mut itl = ItlHistograms::default();
    let mut interrupted = false;
    let mut budget_exhausted = false;
    for handle in handles {
        match handle.await {
            Ok((s, h, i, b)) => {
                samples.extend(s);
                itl.merge(h);
                interrupted |= i;
                budget_exhausted |= b;
            }
            // Invocations are isolated from panics, so a worker can only fail by being
            // cancelled at runtime shutdown; its samples are lost and the run says so.
            Err(_) => interrupted = true,
        }
    }
    let ended = Ended {
        samples,
        itl,
        run_start,
        interrupted,
        budget_exhausted,
    };
    phase_outcome(ended, count, warmup, failures, &stopper, &live, tokenizer)
}

/// What a phase (closed or open loop) ended with, before it is judged.
pub(super) struct Ended {
    pub samples: Vec<RequestSample>,
    pub itl: ItlHistograms,
    pub run_start: Instant,
    pub interrupted: bool,
    pub budget_exhausted: bool,
}

/// The outcome of a phase of `count` requests: its samples in index order, and why it
/// stopped (the user, the budget, failures, a stopping rule, or every sample ran).
pub(super) fn phase_outcome(
    ended: Ended,
    count: u32,
    warmup: bool,
    failures: &FailureWatch,
    stopper: &Stopper,
    live: &Live,
    tokenizer: &'static str,
) -> PhaseOutcome {
    let Ended {
        mut samples,
        itl,
        run_start,
        interrupted,
        budget_exhausted,
    } = ended;
    samples.sort_by_key(|s| s.index);
    let stopped_early = failures
        .reason()
        .filter(|_| samples.len() < count as usize || warmup);
    PhaseOutcome {
        samples,
        itl: itl.per_event,
        itl_per_token: itl.per_token,
        wall_time_ns: run_start.elapsed().as_nanos() as u64,
        interrupted,
        budget_exhausted,
        stop_reason: PhaseOutcome::reason(
            interrupted,
            budget_exhausted,
            stopped_early.as_ref(),
            stopper.reason(),
        ),
        stopped_early,
        config_error: failures.config_error.load(Ordering::Relaxed),
        tokenizer,
        peak_in_flight: live.peak_in_flight(),
        runtime_delays_ns: Vec::new(),
    }
}

/// The ITL histograms of a phase: per event, and per token from the first event that
/// carried several tokens. Until then the per-token one would be a copy of the per-event
/// one, so it is made at that point, from that copy: a run of one-token events keeps one
/// histogram, not two.
pub(super) struct ItlHistograms {
    pub(super) per_event: MetricHistogram,
    pub(super) per_token: Option<MetricHistogram>,
}

impl Default for ItlHistograms {
    fn default() -> Self {
        ItlHistograms {
            per_event: MetricHistogram::new(Metric::Itl),
            per_token: None,
        }
    }
}

impl ItlHistograms {
    /// The per-event gaps recorded so far, as per-token gaps (one token each).
    fn one_token_per_event(&self) -> MetricHistogram {
        let mut h = MetricHistogram::new(Metric::ItlPerToken);
        h.merge(&self.per_event);
        h
    }

    /// A gap of `gap_ns` that ended with an event of `tokens` tokens.
    pub(super) fn record(&mut self, gap_ns: u64, tokens: u32) {
        let tokens = tokens.max(1);
        if tokens > 1 && self.per_token.is_none() {
            self.per_token = Some(self.one_token_per_event());
        }
        self.per_event.record(gap_ns as f64);
        if let Some(per_token) = self.per_token.as_mut() {
            per_token.record_raw(gap_ns / u64::from(tokens), u64::from(tokens));
        }
    }

    /// Adds another worker's histograms.
    pub(super) fn merge(&mut self, other: ItlHistograms) {
        if self.per_token.is_none() && other.per_token.is_some() {
            self.per_token = Some(self.one_token_per_event());
        }
        match (self.per_token.as_mut(), &other.per_token) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (Some(mine), None) => mine.merge(&other.per_event),
            (None, _) => {}
        }
        self.per_event.merge(&other.per_event);
    }
}

/// One invocation of `scenario` outside a phase (a paired run's arm): its sample, indexed
/// `index` and timed from `run_start`, with every gap between its output events handed to
/// `gaps`.
pub(super) async fn one_invocation(
    scenario: &'static Scenario,
    env: Arc<ScenarioEnv>,
    index: u32,
    warmup: bool,
    timeout: Duration,
    run_start: Instant,
    gaps: impl FnMut(u64, u32),
) -> RequestSample {
    let keep_arrivals = !warmup && (index < TIMELINES_KEPT || env.all_timelines);
    let mut ctx = Ctx::new(env, index, warmup, keep_arrivals);
    invoke(scenario, &mut ctx, timeout).await;
    ctx.into_recorder().finish(index, run_start, gaps)
}

/// Calls the scenario once, under the time limit; every way it can fail ends in the
/// recorder as a classified error.
pub(super) async fn invoke(scenario: &'static Scenario, ctx: &mut Ctx, timeout: Duration) {
    let outcome = {
        let call = AssertUnwindSafe((scenario.run)(ctx)).catch_unwind();
        tokio::time::timeout(timeout, call).await
    };
    let error = match outcome {
        Ok(Ok(Ok(()))) => None,
        Ok(Ok(Err(e))) => Some(e),
        Ok(Err(panic)) => Some(Error::Scenario(format!(
            "{PANICKED}{}",
            panic_message(&panic)
        ))),
        Err(_) => Some(Error::Timeout {
            phase: crate::error::TimeoutPhase::Total,
            limit: timeout,
        }),
    };
    let rec = ctx.recorder_mut();
    match error {
        Some(e) => rec.fail(&e),
        None if !rec.timed_anything() => rec.fail(&Error::Config(format!(
            "scenario `{}` returned without timing a stream: call ctx.stream(...) or ctx.track(...)",
            scenario.id()
        ))),
        None => {}
    }
}

/// How the message of a request whose scenario panicked begins.
const PANICKED: &str = "the scenario panicked: ";

/// True when `sample` failed because its scenario panicked.
pub(super) fn panicked(sample: &RequestSample) -> bool {
    sample.error.as_ref().is_some_and(|e| {
        e.class == crate::error::ErrorClass::Scenario && e.message.starts_with(PANICKED)
    })
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(all(test, feature = "simulated"))]
mod tests {
    use super::*;
    use crate::harness::interrupt::{never, Signal, Stop};
    use crate::harness::testing::{env_for, scenario};
    use crate::mock::{LatencyProfile, MockServer};
    use crate::scenario::{into_scenario_future, ScenarioFuture};
    use crate::ChatRequest;

    /// The live TTFT median of an even count is the mean of the two middle values.
    #[test]
    fn the_live_ttft_median_averages_the_middle_values() {
        let live = Live::default();
        assert_eq!(live.ttft_p50_ns(), None);
        for ms in [4, 1, 3, 2] {
            live.finished(&RequestSample {
                ttft_ns: Some(ms * 1_000_000),
                ..RequestSample::default()
            });
        }
        assert_eq!(live.ttft_p50_ns(), Some(2_500_000));
    }

    fn twenty_tokens(ctx: &mut Ctx) -> ScenarioFuture<'_> {
        into_scenario_future(async move {
            ctx.stream(ChatRequest::new("count to twenty").max_tokens(20))
                .await
                .map(|_| ())
        })
    }

    fn panics(_: &mut Ctx) -> ScenarioFuture<'_> {
        into_scenario_future(async move {
            if true {
                panic!("boom");
            }
        })
    }

    /// A tracked stream of three items: one token, three tokens 30 ms later, one token
    /// 30 ms after that.
    fn tracked_multi_token_chunks(ctx: &mut Ctx) -> ScenarioFuture<'_> {
        into_scenario_future(async move {
            use futures_util::StreamExt;
            let items = futures_util::stream::iter(["Hello", " big wide world", "!"]).then(
                |item| async move {
                    if item != "Hello" {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                    }
                    Ok::<_, std::convert::Infallible>(item)
                },
            );
            ctx.track(items).await.map(|_| ())
        })
    }

    /// A span of 20 ms, then a tracked stream of one item.
    fn with_a_span(ctx: &mut Ctx) -> ScenarioFuture<'_> {
        into_scenario_future(async move {
            ctx.span("retrieval", tokio::time::sleep(Duration::from_millis(20)))
                .await;
            let items = futures_util::stream::iter([Ok::<_, std::io::Error>("answer")]);
            ctx.track(items).await.map(|_| ())
        })
    }

    fn failing_setup(_: &mut Ctx) -> ScenarioFuture<'_> {
        into_scenario_future(async move {
            Err::<(), _>(std::io::Error::other("the fixture file is missing"))
        })
    }

    fn times_nothing(_: &mut Ctx) -> ScenarioFuture<'_> {
        into_scenario_future(async move {})
    }

    fn plan(samples: u32, concurrency: u32) -> Plan {
        Plan {
            samples,
            samples_from_duration: false,
            warmup: 0,
            load: Load::Closed { concurrency },
            timeout: Duration::from_secs(10),
            max_consecutive_failures: 0,
            stop: Default::default(),
        }
    }

    /// The proof the foundation issue asks for: against TTFT 50 ms, 10 ms between tokens,
    /// 20 tokens, measured TTFT is within 5 ms of the endpoint's recorded truth and the
    /// median ITL within 2 ms. Each figure is the median over 7 requests of the per-request
    /// difference, after one warm-up request (connection set-up is not what is compared),
    /// so one scheduling hiccup of a loaded test machine cannot decide the outcome.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn measured_ttft_and_itl_match_the_endpoints_truth() {
        let _alone = crate::test_support::exclusive().await;
        let profile = LatencyProfile::default()
            .ttft(Duration::from_millis(50))
            .itl(Duration::from_millis(10))
            .output_tokens(20);
        let server = MockServer::start(profile).await.unwrap();
        let env = env_for(&server);
        let stop = never();
        let s = scenario("accuracy", twenty_tokens);
        let plan = Plan {
            warmup: 1,
            ..plan(7, 1)
        };
        let out = run_scenario(
            s,
            env,
            &plan,
            &Costing::default(),
            stop,
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        let truth = server.truth();
        assert_eq!(out.samples.len(), 7);
        assert_eq!(truth.len(), 8, "one warm-up and seven measured requests");
        let mut ttft_diffs = Vec::new();
        let mut itl_diffs = Vec::new();
        for (sample, truth) in out.samples.iter().zip(&truth[1..]) {
            assert!(sample.is_ok(), "{:?}", sample.error);
            assert_eq!(sample.output_tokens, Some(20));
            assert_eq!(
                sample.token_source,
                Some(crate::metrics::TokenSource::Usage)
            );
            assert_eq!(
                sample.output_events, 20,
                "the role-only chunk is not output"
            );
            let measured = Duration::from_nanos(sample.ttft_ns.unwrap());
            ttft_diffs.push(measured.abs_diff(truth.ttft().unwrap()));
            let mut gaps: Vec<u64> = (truth.inter_token_gaps().iter())
                .map(|g| g.as_nanos() as u64)
                .collect();
            let real_median = Duration::from_nanos(crate::stats::median_u64(&mut gaps).unwrap());
            let measured_median = Duration::from_nanos(sample.itl_median_ns.unwrap());
            itl_diffs.push(measured_median.abs_diff(real_median));
        }
        ttft_diffs.sort();
        itl_diffs.sort();
        let (ttft_diff, itl_diff) = (ttft_diffs[3], itl_diffs[3]);
        eprintln!("TTFT |measured - truth|: median {ttft_diff:?}, all {ttft_diffs:?}");
        eprintln!("median ITL |measured - truth|: median {itl_diff:?}, all {itl_diffs:?}");
        assert!(ttft_diff < Duration::from_millis(5), "{ttft_diffs:?}");
        assert!(itl_diff < Duration::from_millis(2), "{itl_diffs:?}");
        // every gap of every request reached the run's ITL histogram
        assert_eq!(out.itl.len(), 7 * 19);
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrency_runs_every_sample_once_in_index_order() {
        let profile = LatencyProfile::default()
            .ttft(Duration::from_millis(5))
            .itl(Duration::from_millis(1))
            .output_tokens(3);
        let server = MockServer::start(profile).await.unwrap();
        let env = env_for(&server);
        let stop = never();
        let s = scenario("concurrent", twenty_tokens);
        let out = run_scenario(
            s,
            env,
            &Plan {
                warmup: 2,
                ..plan(12, 4)
            },
            &Costing::default(),
            stop,
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        let indices: Vec<u32> = out.samples.iter().map(|s| s.index).collect();
        assert_eq!(indices, (0..12).collect::<Vec<_>>());
        assert!(out.samples.iter().all(|s| s.is_ok()));
        assert_eq!(server.truth().len(), 14, "2 warm-up + 12 measured requests");
        assert!(!out.interrupted);
    }

    /// The stored form of a phase, as the harness saves it.
    fn stored(s: &Scenario, plan: Plan, out: PhaseOutcome) -> crate::store::StoredRun {
        let endpoint = crate::store::EndpointInfo {
            kind: "simulated".into(),
            host: String::new(),
            model: None,
        };
        let started = std::time::SystemTime::now();
        let stats = crate::stats::StatsConfig::default();
        crate::harness::summarize::stored_run(s, endpoint, &plan, started, out, &stats, &[])
    }

    #[tokio::test]
    async fn tracked_items_of_several_tokens_are_reported_per_token() {
        let server = MockServer::start(LatencyProfile::default()).await.unwrap();
        let env = env_for(&server);
        let stop = never();
        let s = scenario("multi", tracked_multi_token_chunks);
        let out = run_scenario(
            s,
            env,
            &plan(3, 1),
            &Costing::default(),
            stop,
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        assert_eq!(out.tokenizer, "estimate");
        // 2 gaps per request, per event; 3 + 1 per token.
        assert_eq!(out.itl.len(), 6);
        assert_eq!(out.itl_per_token.as_ref().map(|h| h.len()), Some(12));
        for sample in &out.samples {
            assert_eq!(sample.counted_tokens, Some(5), "{sample:?}");
            assert_eq!(sample.output_tokens, Some(5));
            let per_token = sample.itl_per_token_median_ns.unwrap();
            assert!((10_000_000..25_000_000).contains(&per_token), "{per_token}");
        }
        let run = stored(s, plan(3, 1), out);
        assert!(run.summary.contains_key(&Metric::ItlPerToken));
        assert!(!run.itl_per_token_histogram.is_empty());
        assert_eq!(run.settings.tokenizer, "estimate");
        let itl = run.summary[&Metric::Itl].p50;
        let per_token = run.summary[&Metric::ItlPerToken].p50;
        assert!(per_token < itl, "{per_token} vs {itl}");
    }

    #[tokio::test]
    async fn a_failed_setup_skips_the_scenario_before_any_request() {
        let server = MockServer::start(LatencyProfile::default()).await.unwrap();
        let env = env_for(&server);
        let stop = never();
        let s: &'static Scenario = Box::leak(Box::new(Scenario {
            setup: Some(failing_setup),
            ..*scenario("with_setup", twenty_tokens)
        }));
        let live = Arc::new(Live::default());
        let out = run_scenario(s, env, &plan(5, 1), &Costing::default(), stop, live, |_| {}).await;
        assert!(out.samples.is_empty());
        let reason = out.stopped_early.unwrap();
        assert!(
            reason.contains("setup failed: scenario: the fixture file is missing"),
            "{reason}"
        );
        assert!(server.truth().is_empty(), "no request was sent");
    }

    #[tokio::test]
    async fn spans_are_timed_per_request_and_summarised() {
        let server = MockServer::start(LatencyProfile::default()).await.unwrap();
        let env = env_for(&server);
        let stop = never();
        let s = scenario("spans", with_a_span);
        let live = Arc::new(Live::default());
        let out = run_scenario(s, env, &plan(3, 1), &Costing::default(), stop, live, |_| {}).await;
        for sample in &out.samples {
            assert!(sample.is_ok(), "{:?}", sample.error);
            assert_eq!(sample.spans.len(), 1);
            assert_eq!(sample.spans[0].name, "retrieval");
            let ns = sample.span_ns("retrieval").unwrap();
            assert!(ns >= 20_000_000, "{ns}");
            // the tracked stream's clock started with the invocation, before the span
            assert!(sample.ttft_ns.unwrap() >= ns);
        }
        let run = stored(s, plan(3, 1), out);
        let summary = run.spans["retrieval"];
        assert_eq!(summary.count, 3);
        assert!(summary.p50 >= 20e6, "{summary:?}");
        let block = crate::harness::console::scenario_block(
            &run,
            None,
            &crate::stats::StatsConfig::default(),
        );
        assert!(block.contains("  span retrieval       3"), "{block}");
        assert!(
            block.contains("  TTFT                 3"),
            "columns line up: {block}"
        );
    }

    #[test]
    fn the_per_token_histogram_appears_with_the_first_multi_token_event() {
        let mut one = ItlHistograms::default();
        one.record(5_000_000, 1);
        one.record(5_000_000, 0);
        assert!(one.per_token.is_none());

        let mut multi = ItlHistograms::default();
        multi.record(10_000_000, 1);
        multi.record(30_000_000, 3);
        let per_token = multi.per_token.as_ref().unwrap();
        assert_eq!(per_token.len(), 4, "10 once, then 10 three times");
        let s = per_token.summary().unwrap();
        let near_10ms = |v: f64| (v - 10e6).abs() < 10e6 * 0.001;
        assert!(near_10ms(s.min) && near_10ms(s.max), "{s:?}");
        assert_eq!(multi.per_event.len(), 2);

        // Merging a one-token worker into a multi-token one, and the other way round,
        // gives the same per-token histogram: 5, 5, 10, 10, 10, 10.
        let mut a = ItlHistograms::default();
        a.record(5_000_000, 1);
        a.record(5_000_000, 1);
        let mut b = ItlHistograms::default();
        b.record(10_000_000, 1);
        b.record(30_000_000, 3);
        let mut ab = ItlHistograms::default();
        ab.merge(a);
        ab.merge(b);
        let mut a = ItlHistograms::default();
        a.record(5_000_000, 1);
        a.record(5_000_000, 1);
        let mut b = ItlHistograms::default();
        b.record(10_000_000, 1);
        b.record(30_000_000, 3);
        b.merge(a);
        for merged in [&ab, &b] {
            assert_eq!(merged.per_event.len(), 4);
            let per_token = merged.per_token.as_ref().unwrap();
            assert_eq!(
                per_token.buckets(),
                ab.per_token.as_ref().unwrap().buckets()
            );
            assert_eq!(per_token.len(), 6);
        }
    }

    #[tokio::test]
    async fn one_token_per_event_reports_no_itl_per_token() {
        let profile = LatencyProfile::default()
            .ttft(Duration::from_millis(1))
            .itl(Duration::from_millis(1))
            .output_tokens(4);
        let server = MockServer::start(profile).await.unwrap();
        let env = env_for(&server);
        let stop = never();
        let s = scenario("single", twenty_tokens);
        let out = run_scenario(
            s,
            env,
            &plan(2, 1),
            &Costing::default(),
            stop,
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        assert!(out
            .samples
            .iter()
            .all(|x| x.itl_per_token_median_ns.is_none()));
        let run = stored(s, plan(2, 1), out);
        assert!(!run.summary.contains_key(&Metric::ItlPerToken));
        assert!(run.itl_per_token_histogram.is_empty());
    }

    #[tokio::test]
    async fn panics_timeouts_and_untimed_scenarios_become_classified_errors() {
        let profile = LatencyProfile::default()
            .ttft(Duration::from_millis(200))
            .output_tokens(2);
        let server = MockServer::start(profile).await.unwrap();
        let env = env_for(&server);
        let stop = never();

        let out = run_scenario(
            scenario("p", panics),
            env.clone(),
            &plan(2, 1),
            &Costing::default(),
            stop.clone(),
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        assert_eq!(
            out.samples.len(),
            2,
            "a panic costs one sample, not the run"
        );
        let e = out.samples[0].error.as_ref().unwrap();
        assert_eq!(e.class, crate::ErrorClass::Scenario);
        assert!(e.message.contains("boom"), "{}", e.message);

        let quick = Plan {
            timeout: Duration::from_millis(50),
            ..plan(1, 1)
        };
        let out = run_scenario(
            scenario("t", twenty_tokens),
            env.clone(),
            &quick,
            &Costing::default(),
            stop.clone(),
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        assert_eq!(
            out.samples[0].error.as_ref().unwrap().class,
            crate::ErrorClass::Timeout
        );

        let out = run_scenario(
            scenario("n", times_nothing),
            env,
            &plan(1, 1),
            &Costing::default(),
            stop,
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        let e = out.samples[0].error.as_ref().unwrap();
        assert!(
            e.message.contains("without timing a stream"),
            "{}",
            e.message
        );
    }

    static STARTED: AtomicU32 = AtomicU32::new(0);

    /// Counts its invocations in [`STARTED`], then streams 20 tokens.
    fn counted_twenty_tokens(ctx: &mut Ctx) -> ScenarioFuture<'_> {
        STARTED.fetch_add(1, Ordering::SeqCst);
        twenty_tokens(ctx)
    }

    #[tokio::test]
    async fn a_first_signal_starts_nothing_new_and_lets_the_requests_in_flight_finish() {
        let profile = LatencyProfile::default()
            .ttft(Duration::from_millis(5))
            .itl(Duration::from_millis(1));
        let server = MockServer::start(profile).await.unwrap();
        let env = env_for(&server);
        let (tx, stop) = watch::channel(Stop::Running);
        let progress = move |live: &Live| {
            if live.done() == 3 {
                let _ = tx.send(Stop::Draining(Signal::Terminate));
            }
        };
        let out = run_scenario(
            scenario("drain", counted_twenty_tokens),
            env,
            &plan(50, 4),
            &Costing::default(),
            stop,
            Arc::new(Live::default()),
            progress,
        )
        .await;
        assert!(out.interrupted);
        let started = STARTED.load(Ordering::SeqCst) as usize;
        assert!(
            started < 50,
            "no new request after the signal: {started} started"
        );
        assert_eq!(
            out.samples.len(),
            started,
            "every request in flight finished and was kept"
        );
        assert!(out.samples.iter().all(|s| s.is_ok()));
    }

    #[tokio::test]
    async fn cutting_the_requests_in_flight_ends_the_phase_and_keeps_finished_samples() {
        let profile = LatencyProfile::default()
            .ttft(Duration::from_millis(1))
            .output_tokens(1);
        let server = MockServer::start(profile).await.unwrap();
        let env = env_for(&server);
        let (tx, stop) = watch::channel(Stop::Running);
        let progress = move |live: &Live| {
            if live.done() == 3 {
                let _ = tx.send(Stop::Cutting(Signal::Interrupt));
            }
        };
        let out = run_scenario(
            scenario("s", twenty_tokens),
            env,
            &plan(50, 1),
            &Costing::default(),
            stop,
            Arc::new(Live::default()),
            progress,
        )
        .await;
        assert!(out.interrupted);
        assert_eq!(out.samples.len(), 3);
    }

    #[tokio::test]
    async fn a_spent_budget_stops_the_phase_cleanly() {
        let profile = LatencyProfile::default()
            .ttft(Duration::from_millis(1))
            .output_tokens(10);
        let server = MockServer::start(profile).await.unwrap();
        let env = env_for(&server);
        let stop = never();
        // 10 output tokens at $1000 per million: 1 cent a request; the budget allows 3.
        let costing = Costing {
            price: Some(Price {
                input: 0.0,
                output: 1000.0,
            }),
            budget: Some(Arc::new(Budget::new(0.03))),
        };
        let out = run_scenario(
            scenario("b", twenty_tokens),
            env,
            &plan(20, 1),
            &costing,
            stop,
            Arc::new(Live::default()),
            |_| {},
        )
        .await;
        assert!(out.budget_exhausted);
        assert!(!out.interrupted);
        assert_eq!(out.samples.len(), 3);
        let cost = out.samples[0].cost_usd.unwrap();
        assert!((cost - 0.01).abs() < 1e-9, "{cost}");
    }
}
