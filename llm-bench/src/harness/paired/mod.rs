//! Paired runs of two builds (`cargo bench -- --compare-with PATH`): this build's bench
//! binary starts the other build's (for example the merge-base's) as a worker over a small
//! versioned line protocol ([`protocol`]), and runs each scenario's invocations of both
//! builds interleaved against the same endpoint. Each pair (one request of each build,
//! close in time) is one sample; the comparison is the paired one of
//! [`crate::stats::compare_paired`], so a drift of the endpoint's latency that hits both
//! requests of a pair cancels out.
//!
//! Two orders ([`PairOrder`]): `alternate` sends a pair's two requests one after the other
//! in a seeded random ABBA order (blocks of two pairs, `AB BA` or `BA AB`, so neither build
//! is always second), `simultaneous` starts them together so a server-side slowdown hits
//! both. Every build first sends its warm-up requests (at least one), which also primes a
//! prompt cache with both builds' prompts before the measured pairs.

mod leader;
mod protocol;
pub(crate) mod worker;

use std::ffi::OsString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use quanta::Instant;

use leader::Worker;

use crate::context::ScenarioEnv;
use crate::harness::bench::{scenario_env, BaselineChoice, One, Prepared};
use crate::harness::cli::Args;
use crate::harness::endpoint::Endpoints;
use crate::harness::interrupt::StopWatch;
use crate::harness::plan::Load;
use crate::harness::progress::{Mode, Progress};
use crate::harness::runner::{one_invocation, run_setup, ItlHistograms, Live, PhaseOutcome};
use crate::harness::settings::Settings;
use crate::harness::{summarize, Status};
use crate::metrics::RequestSample;
use crate::rng::splitmix64;
use crate::scenario::Scenario;
use crate::store::{RunOrigin, StopReason};

/// How the two requests of a pair are sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PairOrder {
    /// One after the other, in a seeded random ABBA order.
    #[default]
    Alternate,
    /// Both at once.
    Simultaneous,
}

/// Which request of a pair goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum First {
    ThisBuild,
    OtherBuild,
    Together,
}

impl PairOrder {
    /// The order of pair `index`: pairs come in blocks of two whose first pair's order is
    /// drawn from `seed`, the second pair's the reverse (`AB BA` or `BA AB`).
    fn of_pair(self, seed: u64, index: u32) -> First {
        if self == PairOrder::Simultaneous {
            return First::Together;
        }
        let block = u64::from(index / 2);
        let coin = splitmix64(seed ^ splitmix64(block)) & 1 == 1;
        if coin == index.is_multiple_of(2) {
            First::ThisBuild
        } else {
            First::OtherBuild
        }
    }
}

/// The seed of the pair order when `--seed` is not given.
const DEFAULT_ORDER_SEED: u64 = 0xabba_0000_5eed;

/// The arguments the worker is started with: this binary's own (without the program name,
/// `--compare-with` and `--pairing`, which only the leader reads).
pub(crate) fn worker_args(raw: &[OsString]) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut skip_value = false;
    for arg in raw.iter().skip(1) {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let text = arg.to_string_lossy();
        let own = ["--compare-with", "--pairing"];
        if own.contains(&text.as_ref()) {
            skip_value = true;
            continue;
        }
        if own.iter().any(|flag| text.starts_with(&format!("{flag}="))) {
            continue;
        }
        out.push(arg.clone());
    }
    out
}

/// The name a paired comparison gives the other build (shown as "build `NAME`"): its file
/// name.
fn other_build_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    )
}

/// Measures every prepared scenario in pairs with the build at `path` (those the other
/// build does not have are measured alone), then judges, stores and prints each.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn bench_paired(
    args: &Args,
    raw_args: &[OsString],
    settings: &Settings,
    prepared: Vec<Prepared<'_>>,
    endpoints: &Endpoints,
    origin: &RunOrigin,
    stop: StopWatch,
    path: &Path,
) -> Status {
    let mut status = Status::default();
    let worker = match Worker::start(path, worker_args(raw_args), endpoints.simulated_root()).await
    {
        Ok(w) => Arc::new(w),
        Err(e) => {
            eprintln!("error: {e}");
            status.usage = true;
            return status;
        }
    };
    let ours: Vec<String> = prepared.iter().map(|p| p.scenario.id()).collect();
    let only_here: Vec<&String> = ours
        .iter()
        .filter(|id| !worker.scenarios.contains(id))
        .collect();
    let only_there: Vec<&String> = worker
        .scenarios
        .iter()
        .filter(|id| !ours.contains(id))
        .collect();
    if only_here.len() == ours.len() {
        eprintln!(
            "error: --compare-with {}: the two builds have no scenario in common (this build: {}; the other: {})",
            path.display(),
            list(&ours),
            list(&worker.scenarios)
        );
        status.usage = true;
        worker.quit().await;
        return status;
    }
    println!(
        "llm-bench: paired with {} (llm-bench {}): {} scenario{} in both builds, each build's requests interleaved against the same endpoint ({})",
        worker.path().display(),
        worker.version,
        ours.len() - only_here.len(),
        if ours.len() - only_here.len() == 1 { "" } else { "s" },
        match args.pairing {
            PairOrder::Alternate => "in pairs, one after the other in a seeded random ABBA order",
            PairOrder::Simultaneous => "in pairs started together",
        }
    );
    if !only_here.is_empty() {
        println!(
            "llm-bench: only in this build, measured alone: {}",
            list(&only_here)
        );
    }
    if !only_there.is_empty() {
        println!(
            "llm-bench: only in the other build, not measured: {}",
            list(&only_there)
        );
    }
    let name = other_build_name(path);
    for p in &prepared {
        let id = p.scenario.id();
        let env = match scenario_env(
            p.scenario,
            p.endpoint,
            &p.settings,
            settings.rate_limits.as_ref(),
        ) {
            Ok(env) => env,
            Err(e) => {
                eprintln!("error: `{id}`: {e}");
                status.usage = true;
                break;
            }
        };
        let one = One {
            args,
            settings,
            prepared: p,
            env: &env,
            endpoints,
            origin,
        };
        let plan = &p.settings.plan;
        if !worker.scenarios.contains(&id) {
            let note = Some("not in the other build: measured alone".to_string());
            let m = one
                .measure(
                    &id,
                    plan,
                    BaselineChoice::Nothing { note },
                    stop.clone(),
                    &mut status,
                )
                .await;
            if !m.go_on {
                break;
            }
            continue;
        }
        let concurrency = match (&plan.load, &p.settings.steps) {
            (Load::Closed { concurrency }, None) => Some(*concurrency),
            _ => None,
        };
        let Some(concurrency) = concurrency else {
            // Open-loop arrivals and sweeps fix when each request starts: there is no
            // pair to interleave. Measured alone, as without --compare-with.
            let what = if p.settings.steps.is_some() {
                "a sweep or search".to_string()
            } else {
                plan.load_label()
            };
            let note = format!(
                "measured alone: --compare-with pairs closed-loop scenarios, and this one runs {what}"
            );
            let m = match &p.settings.steps {
                None => {
                    one.measure(
                        &id,
                        plan,
                        BaselineChoice::Nothing { note: Some(note) },
                        stop.clone(),
                        &mut status,
                    )
                    .await
                    .go_on
                }
                Some(steps) => {
                    println!("  `{id}`: {note}");
                    crate::harness::steps::run(&one, &id, steps, stop.clone(), &mut status).await
                }
            };
            if !m {
                break;
            }
            continue;
        };
        let theirs = match worker.prepare(&id).await {
            Ok(endpoint) => endpoint,
            Err(e) => {
                eprintln!("error: `{id}`: the other build cannot run it: {e}");
                status.failed = true;
                continue;
            }
        };
        if let Some(theirs) = &theirs {
            if (&theirs.kind, &theirs.host, &theirs.model)
                != (&p.info.kind, &p.info.host, &p.info.model)
            {
                eprintln!(
                    "error: `{id}`: the two builds measure different endpoints: this build the {} endpoint {} (model {}), the other the {} endpoint {} (model {}); a paired comparison needs the same one",
                    p.info.kind,
                    p.info.host,
                    p.info.model.as_deref().unwrap_or("unknown"),
                    theirs.kind,
                    theirs.host,
                    theirs.model.as_deref().unwrap_or("unknown"),
                );
                status.usage = true;
                continue;
            }
        }
        if let Some(setup) = p.scenario.setup {
            if let Err(e) = run_setup(setup, env.clone(), plan.timeout).await {
                eprintln!(
                    "error: `{id}` stopped before its first request: its setup failed: {}: {}",
                    e.class, e.message
                );
                status.failed = true;
                continue;
            }
        }
        let run = PairRun {
            scenario: p.scenario,
            id: id.clone(),
            env: env.clone(),
            worker: worker.clone(),
            order: args.pairing,
            seed: args.seed.unwrap_or(DEFAULT_ORDER_SEED),
            timeout: plan.timeout,
            concurrency,
        };
        let warmup = plan.warmup.max(1);
        if !args.quiet {
            println!(
                "  `{id}`: {warmup} warm-up request{} per build first (a prompt cache then holds both builds' prompts), then {} pairs",
                if warmup == 1 { "" } else { "s" },
                plan.samples
            );
        }
        let warm = run
            .pairs(
                warmup,
                true,
                stop.clone(),
                Arc::new(Live::default()),
                Arc::new(|_: &Live| {}),
            )
            .await;
        let warm = match warm {
            Ok(w) => w,
            Err(e) => {
                eprintln!("error: `{id}`: the other build stopped answering: {e}");
                status.failed = true;
                break;
            }
        };
        if warm.interrupted {
            status.interrupted = true;
            break;
        }
        let started = SystemTime::now();
        let (progress, live) = Progress::start(&id, plan, Mode::detect(args.quiet));
        let measured = run
            .pairs(
                plan.samples,
                false,
                stop.clone(),
                live,
                Arc::new(progress.on_sample()),
            )
            .await;
        drop(progress);
        let measured = match measured {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: `{id}`: the other build stopped answering: {e}; nothing of `{id}` is stored");
                status.failed = true;
                break;
            }
        };
        let tokenizer = env.tokenizer.name();
        let (new, base) = measured.into_outcomes(tokenizer, concurrency, args.pairing);
        let mut base_info = theirs.unwrap_or_else(|| p.info.clone());
        base_info.model = base_info.model.or_else(|| p.info.model.clone());
        let mut base_run = summarize::stored_run(
            p.scenario,
            base_info,
            plan,
            started,
            base,
            &settings.stats,
            &p.settings.slos,
        );
        base_run.origin = Some(origin.clone());
        let choice = BaselineChoice::Paired {
            name: name.clone(),
            run: Box::new(base_run),
        };
        let m = one.conclude(&id, plan, started, new, choice, &mut status);
        if !m.go_on {
            break;
        }
    }
    worker.quit().await;
    status
}

/// `items` as `a, b, c`.
fn list<T: AsRef<str>>(items: &[T]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One scenario measured in pairs.
struct PairRun {
    scenario: &'static Scenario,
    id: String,
    env: Arc<ScenarioEnv>,
    worker: Arc<Worker>,
    order: PairOrder,
    seed: u64,
    timeout: Duration,
    /// Pairs in flight at once (the scenario's concurrency).
    concurrency: u32,
}

/// What the pairs of one phase gave.
struct Pairs {
    /// This build's samples, in index order.
    new: Vec<RequestSample>,
    /// The other build's, in the same order (sample `i` of each is pair `i`).
    base: Vec<RequestSample>,
    new_itl: ItlHistograms,
    base_itl: ItlHistograms,
    interrupted: bool,
    wall_time_ns: u64,
}

/// What one pair-sending task ends with.
#[derive(Default)]
struct TaskEnd {
    pairs: Vec<(RequestSample, RequestSample)>,
    new_itl: ItlHistograms,
    base_itl: ItlHistograms,
    interrupted: bool,
}

impl PairRun {
    /// Sends `count` pairs, `concurrency` at a time; an error when the worker fails.
    async fn pairs(
        &self,
        count: u32,
        warmup: bool,
        stop: StopWatch,
        live: Arc<Live>,
        on_sample: Arc<dyn Fn(&Live) + Send + Sync>,
    ) -> Result<Pairs, String> {
        live.set_total(count);
        let next = Arc::new(AtomicU32::new(0));
        let broken = Arc::new(AtomicBool::new(false));
        let why: Arc<Mutex<Option<String>>> = Default::default();
        let run_start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..self.concurrency.clamp(1, count.max(1)) {
            let (scenario, id, env, worker) = (
                self.scenario,
                self.id.clone(),
                self.env.clone(),
                self.worker.clone(),
            );
            let (order, seed, timeout) = (self.order, self.seed, self.timeout);
            let (next, broken, why, mut stop, live, on_sample) = (
                next.clone(),
                broken.clone(),
                why.clone(),
                stop.clone(),
                live.clone(),
                on_sample.clone(),
            );
            tasks.spawn(async move {
                let mut end = TaskEnd::default();
                loop {
                    if stop.borrow().starts_nothing() {
                        end.interrupted = true;
                        break;
                    }
                    if broken.load(Ordering::Relaxed) {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    let mut gaps = Vec::new();
                    live.request_started();
                    let pair = async {
                        let ours = one_invocation(
                            scenario,
                            env.clone(),
                            index,
                            warmup,
                            timeout,
                            run_start,
                            |g, t| gaps.push((g, t)),
                        );
                        let theirs = worker.invoke(&id, index, warmup);
                        match order.of_pair(seed, index) {
                            First::ThisBuild => {
                                let a = ours.await;
                                (a, theirs.await)
                            }
                            First::OtherBuild => {
                                let b = theirs.await;
                                (ours.await, b)
                            }
                            First::Together => tokio::join!(ours, theirs),
                        }
                    };
                    let finished = tokio::select! {
                        biased;
                        Ok(_) = stop.wait_for(|s| s.cuts_in_flight()) => None,
                        pair = pair => Some(pair),
                    };
                    live.request_ended();
                    let Some((ours, theirs)) = finished else {
                        end.interrupted = true;
                        break;
                    };
                    let theirs = match theirs {
                        Ok(t) => t,
                        Err(e) => {
                            broken.store(true, Ordering::Relaxed);
                            why.lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .get_or_insert(e);
                            break;
                        }
                    };
                    for (g, t) in gaps {
                        end.new_itl.record(g, t);
                    }
                    for &(g, t) in &theirs.gaps {
                        end.base_itl.record(g, t);
                    }
                    live.finished(&ours);
                    on_sample(&live);
                    end.pairs.push((ours, theirs.sample));
                }
                end
            });
        }
        let mut all = Vec::with_capacity(count as usize);
        let (mut new_itl, mut base_itl) = (ItlHistograms::default(), ItlHistograms::default());
        let mut interrupted = false;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(end) => {
                    all.extend(end.pairs);
                    new_itl.merge(end.new_itl);
                    base_itl.merge(end.base_itl);
                    interrupted |= end.interrupted;
                }
                Err(_) => interrupted = true,
            }
        }
        if let Some(e) = why.lock().unwrap_or_else(PoisonError::into_inner).take() {
            return Err(e);
        }
        all.sort_by_key(|(ours, _)| ours.index);
        let (new, base) = all.into_iter().unzip();
        Ok(Pairs {
            new,
            base,
            new_itl,
            base_itl,
            interrupted,
            wall_time_ns: run_start.elapsed().as_nanos() as u64,
        })
    }
}

impl Pairs {
    /// The phase outcomes of this build and of the other one.
    fn into_outcomes(
        self,
        tokenizer: &'static str,
        concurrency: u32,
        order: PairOrder,
    ) -> (PhaseOutcome, PhaseOutcome) {
        let in_flight = match order {
            PairOrder::Alternate => concurrency,
            PairOrder::Simultaneous => concurrency.saturating_mul(2),
        };
        let outcome = |samples: Vec<RequestSample>, itl: ItlHistograms| PhaseOutcome {
            samples,
            itl: itl.per_event,
            itl_per_token: itl.per_token,
            wall_time_ns: self.wall_time_ns,
            interrupted: self.interrupted,
            budget_exhausted: false,
            stopped_early: None,
            config_error: false,
            tokenizer,
            stop_reason: if self.interrupted {
                StopReason::Interrupted
            } else {
                StopReason::Samples
            },
            peak_in_flight: in_flight,
            runtime_delays_ns: Vec::new(),
        };
        (
            outcome(self.new, self.new_itl),
            outcome(self.base, self.base_itl),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_pairs_come_in_abba_blocks_and_the_seed_decides_which() {
        let orders: Vec<First> = (0..64)
            .map(|i| PairOrder::Alternate.of_pair(7, i))
            .collect();
        for block in orders.chunks(2) {
            assert_ne!(block[0], block[1], "a block is AB BA or BA AB");
        }
        let firsts = orders
            .iter()
            .step_by(2)
            .filter(|&&f| f == First::ThisBuild)
            .count();
        assert!(
            (8..=24).contains(&firsts),
            "the coin is fair-ish: {firsts} of 32"
        );
        let other: Vec<First> = (0..64)
            .map(|i| PairOrder::Alternate.of_pair(8, i))
            .collect();
        assert_ne!(orders, other, "another seed, another order");
        assert_eq!(PairOrder::Simultaneous.of_pair(7, 3), First::Together);
    }

    #[test]
    fn the_worker_gets_every_argument_but_the_leaders_own() {
        let raw: Vec<OsString> = [
            "bin",
            "--bench",
            "--compare-with",
            "/x/y",
            "--pairing=simultaneous",
            "--samples",
            "5",
            "--compare-with=/z",
            "filter",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        assert_eq!(
            worker_args(&raw),
            ["--bench", "--samples", "5", "filter"]
                .map(OsString::from)
                .to_vec()
        );
        assert_eq!(
            other_build_name(Path::new("/t/release/deps/latency-1a2b")),
            "latency-1a2b"
        );
    }
}
