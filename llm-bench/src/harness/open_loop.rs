//! Open loop: requests start on a precomputed schedule, whether or not earlier ones have
//! ended, so a slow endpoint cannot slow the offered load down (no coordinated omission).
//!
//! A dispatcher thread (not a runtime task: the runtime may be the thing that is late)
//! sleeps until just before each request's intended start and hands it to a spawner task
//! inside the runtime, which spawns it there; the request's task yields until its intended
//! start. The request's
//! recorder counts latency from the intended start and records the lag to the actual one;
//! [`crate::harness::self_check`] judges whether that lag distorts the run.

use std::sync::Arc;
use std::time::Duration;

use quanta::Instant;
use tokio::sync::mpsc;

use crate::context::Ctx;
use crate::harness::runner::{
    invoke, phase_outcome, Ended, ItlHistograms, Live, Phase, PhaseOutcome, TIMELINES_KEPT,
};
use crate::metrics::RequestSample;

/// The longest the dispatcher sleeps before it looks at the stop flags again.
const WAKE_AT_LEAST_EVERY: Duration = Duration::from_millis(20);

/// The dispatcher hands a request to the runtime this long before it is due, and the
/// request's task yields until then: a sleeping thread wakes 50-150 µs late (timer slack,
/// an idle CPU's wake-up) and so does a parked runtime worker; a task already running
/// starts on time. The mean gap at most, so that on average at most one request yields.
const EARLY_AT_MOST: Duration = Duration::from_micros(500);

/// What a request task hands back.
enum Finished {
    /// A measured request, with its gaps (and their tokens) for the run's ITL histograms.
    Sample(Box<RequestSample>, Vec<(u64, u32)>),
    /// Cut off by Ctrl-C.
    Interrupted,
}

/// How long before each request the dispatcher hands it to the runtime:
/// [`EARLY_AT_MOST`], or the mean gap when that is shorter.
fn early_window(offsets: &[u64]) -> Duration {
    let span = offsets.last().copied().unwrap_or(0);
    let mean_gap = Duration::from_nanos(span / offsets.len().max(1) as u64);
    EARLY_AT_MOST.min(mean_gap)
}

/// Runs one phase, request `i` meant to start `offsets[i]` nanoseconds after the phase's
/// start (ascending; as many as the phase has requests, or fewer).
pub(super) async fn run_phase(
    phase: Phase<'_>,
    offsets: Vec<u64>,
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
    let tokenizer = env.tokenizer.name();
    let timeout = plan.timeout;
    let offsets_len = offsets.len() as u32;
    let (tx, mut rx) = mpsc::unbounded_channel::<Finished>();
    // Requests are spawned from inside the runtime, by this task: a task spawned from
    // another thread waits in the runtime's shared queue, which its workers visit only now
    // and then while they have work of their own.
    let (spawn_tx, mut spawn_rx) = mpsc::unbounded_channel::<
        std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    >();
    let _spawner = tokio::spawn(async move {
        while let Some(request) = spawn_rx.recv().await {
            tokio::spawn(request);
        }
    });
    let run_start = Instant::now();

    let dispatcher = {
        let (stop, failures, stopper, costing, live) = (
            stop.clone(),
            failures.clone(),
            stopper.clone(),
            costing.clone(),
            live.clone(),
        );
        std::thread::Builder::new()
            .name("llm-bench-schedule".into())
            .spawn(move || {
                let halted = || {
                    stop.borrow().starts_nothing()
                        || failures.stopped()
                        || stopper.stopped()
                        || costing.exhausted()
                };
                let early = early_window(&offsets);
                for (index, &offset) in offsets.iter().enumerate() {
                    let intended = run_start + Duration::from_nanos(offset);
                    loop {
                        if halted() {
                            return index;
                        }
                        let now = Instant::now();
                        if now + early >= intended {
                            break;
                        }
                        std::thread::sleep((intended - now - early).min(WAKE_AT_LEAST_EVERY));
                    }
                    let index = index as u32;
                    let (env, tx, live, costing, failures) = (
                        env.clone(),
                        tx.clone(),
                        live.clone(),
                        costing.clone(),
                        failures.clone(),
                    );
                    let mut stop = stop.clone();
                    let _ = spawn_tx.send(Box::pin(async move {
                        while Instant::now() < intended {
                            tokio::task::yield_now().await;
                        }
                        let keep_arrivals =
                            !warmup && (index < TIMELINES_KEPT || env.all_timelines);
                        let mut ctx = Ctx::new(env, index, warmup, keep_arrivals);
                        ctx.recorder_mut().set_intended(intended);
                        let mut abort = failures.abort.subscribe();
                        live.request_started();
                        let cut = tokio::select! {
                            biased;
                            Ok(_) = stop.wait_for(|s| s.cuts_in_flight()) => Some(true),
                            _ = abort.wait_for(|aborted| *aborted) => Some(false),
                            () = invoke(scenario, &mut ctx, timeout) => None,
                        };
                        live.request_ended();
                        match cut {
                            Some(true) => {
                                let _ = tx.send(Finished::Interrupted);
                                return;
                            }
                            // Cut off because the scenario stops: not a measurement.
                            Some(false) => return,
                            None => {}
                        }
                        let mut gaps = Vec::new();
                        let mut sample =
                            ctx.into_recorder()
                                .finish(index, run_start, |gap, tokens| gaps.push((gap, tokens)));
                        costing.charge(&mut sample);
                        failures.finished(sample.error.as_ref());
                        let _ = tx.send(Finished::Sample(Box::new(sample), gaps));
                    }));
                }
                offsets.len()
            })
    };
    // The channel closes once the dispatcher (which owns `tx`) and every request it
    // spawned are done.
    let mut samples = Vec::with_capacity(count as usize);
    let mut itl = ItlHistograms::default();
    let mut interrupted = false;
    while let Some(finished) = rx.recv().await {
        match finished {
            Finished::Sample(sample, gaps) => {
                if sample.is_ok() {
                    for (gap, tokens) in gaps {
                        itl.record(gap, tokens);
                    }
                }
                live.finished(&sample);
                samples.push(*sample);
                stopper.after_sample(&live);
                on_sample(&live);
            }
            Finished::Interrupted => interrupted = true,
        }
    }
    let dispatched = match dispatcher {
        Ok(thread) => thread.join().unwrap_or(0),
        Err(_) => 0,
    };
    interrupted |= stop.borrow().starts_nothing();
    let budget_exhausted = dispatched < count.min(offsets_len) as usize && costing.exhausted();
    let ended = Ended {
        samples,
        itl,
        run_start,
        interrupted,
        budget_exhausted,
    };
    phase_outcome(ended, count, warmup, failures, &stopper, &live, tokenizer)
}
