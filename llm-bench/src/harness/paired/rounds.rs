//! Rounds of interleaved requests: each round sends one request of every arm (a scenario of
//! this build, or the other build's through its worker), one after the other in a seeded
//! random order or all at once, so whatever the endpoint does at that moment hits every arm
//! of the round. Sample `i` of each arm is round `i`: the pairs of a paired comparison.
//!
//! Used by `--compare-with` (two arms: this build and the other one) and by `--interleave`
//! (one arm per selected scenario).

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use quanta::Instant;

use super::leader::Worker;
use super::PairOrder;
use crate::context::ScenarioEnv;
use crate::harness::interrupt::StopWatch;
use crate::harness::plan::Plan;
use crate::harness::progress::{Mode, Progress};
use crate::harness::runner::{one_invocation, Costing, ItlHistograms, Live, PhaseOutcome};
use crate::metrics::RequestSample;
use crate::rng::splitmix64;
use crate::scenario::Scenario;
use crate::store::StopReason;

/// One side of every round.
#[derive(Clone)]
pub(crate) enum Arm {
    /// A scenario of this build, run here.
    Here {
        scenario: &'static Scenario,
        env: Arc<ScenarioEnv>,
        timeout: Duration,
    },
    /// Scenario `id` of the other build, run by its worker.
    Worker { worker: Arc<Worker>, id: String },
}

/// One request of an arm: its sample and its inter-token gaps.
type Invoked = (RequestSample, Vec<(u64, u32)>);

impl Arm {
    /// Sends request `index` of this arm; an error when the worker fails.
    async fn invoke(
        &self,
        index: u32,
        warmup: bool,
        run_start: Instant,
    ) -> Result<Invoked, String> {
        match self {
            Arm::Here {
                scenario,
                env,
                timeout,
            } => {
                let mut gaps = Vec::new();
                let sample = one_invocation(
                    scenario,
                    env.clone(),
                    index,
                    warmup,
                    *timeout,
                    run_start,
                    |g, t| gaps.push((g, t)),
                )
                .await;
                Ok((sample, gaps))
            }
            Arm::Worker { worker, id } => worker
                .invoke(id, index, warmup)
                .await
                .map(|w| (w.sample, w.gaps)),
        }
    }
}

impl PairOrder {
    /// The order in which round `index` sends its `arms` requests, or `None` when they
    /// start together. Rounds come in blocks of two: the first round's order is a seeded
    /// random permutation of the block, the second round's its reverse (for two arms:
    /// `AB BA` or `BA AB`, so neither is always second).
    pub(crate) fn of_round(self, seed: u64, index: u32, arms: usize) -> Option<Vec<usize>> {
        if self == PairOrder::Simultaneous {
            return None;
        }
        let mut order: Vec<usize> = (0..arms).collect();
        let mut draw = splitmix64(seed ^ splitmix64(u64::from(index / 2)));
        for i in (1..arms).rev() {
            let j = (draw % (i as u64 + 1)) as usize;
            order.swap(i, j);
            draw = splitmix64(draw);
        }
        if index % 2 == 1 {
            order.reverse();
        }
        Some(order)
    }
}

/// Rounds of one request per arm, `concurrency` rounds in flight at once.
pub(crate) struct Rounds {
    pub arms: Vec<Arm>,
    /// Each arm's price and the run's `--max-cost` budget: no round starts once it is spent.
    pub costing: Vec<Costing>,
    /// No round starts after this much time (`duration`, `--duration`).
    pub duration: Option<Duration>,
    pub order: PairOrder,
    pub seed: u64,
    pub concurrency: u32,
}

/// The note a paired or interleaved run prints for the stopping rules of `plan` that rounds
/// do not follow (an output-token budget, `until`), or `None`. Rounds do follow
/// `duration`, `--max-cost` and interruptions.
pub(crate) fn rules_not_followed(plan: &Plan) -> Option<String> {
    let mut rules = Vec::new();
    if plan.stop.output_tokens.is_some() {
        rules.push("the output-token budget");
    }
    if plan.stop.precision.is_some() {
        rules.push("`until` (a precision target)");
    }
    (!rules.is_empty()).then(|| {
        format!(
            "{} do{} not apply to rounds of interleaved requests: all {} rounds run (or until the duration, --max-cost or an interruption stops them)",
            rules.join(" and "),
            if rules.len() == 1 { "es" } else { "" },
            plan.samples
        )
    })
}

/// What the rounds of one phase gave.
pub(crate) struct Measured {
    /// Each arm's samples, in round order (sample `i` of every arm is round `i`).
    pub samples: Vec<Vec<RequestSample>>,
    itl: Vec<ItlHistograms>,
    pub interrupted: bool,
    /// `--max-cost` was spent before every round ran.
    pub budget_exhausted: bool,
    /// The duration elapsed before every round ran.
    duration_reached: bool,
    wall_time_ns: u64,
}

/// What one round-sending task ends with.
struct TaskEnd {
    rounds: Vec<Vec<RequestSample>>,
    itl: Vec<ItlHistograms>,
    interrupted: bool,
    budget_exhausted: bool,
    duration_reached: bool,
}

impl Rounds {
    /// Sends `count` rounds; an error when a worker fails. `live` and `on_sample` follow
    /// the first arm.
    pub(crate) async fn run(
        &self,
        count: u32,
        warmup: bool,
        stop: StopWatch,
        live: Arc<Live>,
        on_sample: Arc<dyn Fn(&Live) + Send + Sync>,
    ) -> Result<Measured, String> {
        live.set_total(count);
        if !warmup {
            live.measuring();
        }
        let arms = Arc::new(self.arms.clone());
        let next = Arc::new(AtomicU32::new(0));
        let broken = Arc::new(AtomicBool::new(false));
        let why: Arc<Mutex<Option<String>>> = Default::default();
        let run_start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..self.concurrency.clamp(1, count.max(1)) {
            let (order, seed, duration) = (self.order, self.seed, self.duration);
            let costing = self.costing.clone();
            let (arms, next, broken, why, mut stop, live, on_sample) = (
                arms.clone(),
                next.clone(),
                broken.clone(),
                why.clone(),
                stop.clone(),
                live.clone(),
                on_sample.clone(),
            );
            tasks.spawn(async move {
                let mut end = TaskEnd {
                    rounds: Vec::new(),
                    itl: arms.iter().map(|_| ItlHistograms::default()).collect(),
                    interrupted: false,
                    budget_exhausted: false,
                    duration_reached: false,
                };
                loop {
                    if stop.borrow().starts_nothing() {
                        end.interrupted = true;
                        break;
                    }
                    if broken.load(Ordering::Relaxed) {
                        break;
                    }
                    if costing.iter().any(Costing::exhausted) {
                        end.budget_exhausted = next.load(Ordering::Relaxed) < count;
                        break;
                    }
                    if !warmup && duration.is_some_and(|d| run_start.elapsed() >= d) {
                        end.duration_reached = next.load(Ordering::Relaxed) < count;
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    live.request_started();
                    let round = async {
                        match order.of_round(seed, index, arms.len()) {
                            None => {
                                let all = arms.iter().map(|a| a.invoke(index, warmup, run_start));
                                futures_util::future::join_all(all).await
                            }
                            Some(sequence) => {
                                let mut got: Vec<Option<Result<Invoked, String>>> =
                                    arms.iter().map(|_| None).collect();
                                for arm in sequence {
                                    got[arm] =
                                        Some(arms[arm].invoke(index, warmup, run_start).await);
                                }
                                got.into_iter().flatten().collect()
                            }
                        }
                    };
                    let finished = tokio::select! {
                        biased;
                        Ok(_) = stop.wait_for(|s| s.cuts_in_flight()) => None,
                        round = round => Some(round),
                    };
                    live.request_ended();
                    let Some(round) = finished else {
                        end.interrupted = true;
                        break;
                    };
                    let mut samples = Vec::with_capacity(round.len());
                    let mut failed = None;
                    for (arm, invoked) in round.into_iter().enumerate() {
                        match invoked {
                            Ok((mut sample, gaps)) => {
                                if let Some(costing) = costing.get(arm) {
                                    costing.charge(&mut sample);
                                }
                                for (g, t) in gaps {
                                    end.itl[arm].record(g, t);
                                }
                                samples.push(sample);
                            }
                            Err(e) => failed = Some(e),
                        }
                    }
                    if let Some(e) = failed {
                        broken.store(true, Ordering::Relaxed);
                        why.lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .get_or_insert(e);
                        break;
                    }
                    live.finished(&samples[0]);
                    on_sample(&live);
                    end.rounds.push(samples);
                }
                end
            });
        }
        let mut rounds = Vec::with_capacity(count as usize);
        let mut itl: Vec<ItlHistograms> =
            self.arms.iter().map(|_| ItlHistograms::default()).collect();
        let (mut interrupted, mut budget_exhausted, mut duration_reached) = (false, false, false);
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(end) => {
                    rounds.extend(end.rounds);
                    for (mine, theirs) in itl.iter_mut().zip(end.itl) {
                        mine.merge(theirs);
                    }
                    interrupted |= end.interrupted;
                    budget_exhausted |= end.budget_exhausted;
                    duration_reached |= end.duration_reached;
                }
                Err(_) => interrupted = true,
            }
        }
        if let Some(e) = why.lock().unwrap_or_else(PoisonError::into_inner).take() {
            return Err(e);
        }
        rounds.sort_by_key(|round| round[0].index);
        let mut samples: Vec<Vec<RequestSample>> = self
            .arms
            .iter()
            .map(|_| Vec::with_capacity(rounds.len()))
            .collect();
        for round in rounds {
            for (arm, sample) in round.into_iter().enumerate() {
                samples[arm].push(sample);
            }
        }
        Ok(Measured {
            samples,
            itl,
            interrupted,
            budget_exhausted,
            duration_reached,
            wall_time_ns: run_start.elapsed().as_nanos() as u64,
        })
    }
}

impl Rounds {
    /// `count` warm-up rounds, without a progress line.
    pub(crate) async fn warm_up(&self, count: u32, stop: StopWatch) -> Result<Measured, String> {
        let no_progress = Arc::new(|_: &Live| {});
        self.run(count, true, stop, Arc::new(Live::default()), no_progress)
            .await
    }

    /// The measured rounds of `plan` (one per sample) under the progress lines of `id`
    /// (on a terminal, a bar named `label`); returns when they started, with what they
    /// gave.
    pub(crate) async fn measure(
        &self,
        id: &str,
        label: &str,
        plan: &Plan,
        quiet: bool,
        stop: StopWatch,
    ) -> (SystemTime, Result<Measured, String>) {
        let started = SystemTime::now();
        let (progress, live) = Progress::start(id, label, plan, Mode::detect(quiet));
        let measured = self
            .run(
                plan.samples,
                false,
                stop,
                live,
                Arc::new(progress.on_sample()),
            )
            .await;
        (started, measured)
    }
}

impl Measured {
    /// Each arm's phase outcome (`tokenizers[i]` names arm `i`'s token counter).
    pub(crate) fn into_outcomes(
        self,
        tokenizers: &[&'static str],
        concurrency: u32,
        order: PairOrder,
    ) -> Vec<PhaseOutcome> {
        let arms = self.samples.len() as u32;
        let in_flight = match order {
            PairOrder::Alternate => concurrency,
            PairOrder::Simultaneous => concurrency.saturating_mul(arms),
        };
        let (wall_time_ns, interrupted, budget_exhausted) =
            (self.wall_time_ns, self.interrupted, self.budget_exhausted);
        let stop_reason = if interrupted {
            StopReason::Interrupted
        } else if budget_exhausted {
            StopReason::Cost
        } else if self.duration_reached {
            StopReason::Duration
        } else {
            StopReason::Samples
        };
        self.samples
            .into_iter()
            .zip(self.itl)
            .zip(tokenizers)
            .map(|((samples, itl), &tokenizer)| PhaseOutcome {
                samples,
                itl: itl.per_event,
                itl_per_token: itl.per_token,
                wall_time_ns,
                interrupted,
                budget_exhausted,
                stopped_early: None,
                config_error: false,
                tokenizer,
                stop_reason,
                peak_in_flight: in_flight,
                runtime_delays_ns: Vec::new(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_arms_come_in_abba_blocks_and_the_seed_decides_which() {
        let orders: Vec<Vec<usize>> = (0..64)
            .map(|i| PairOrder::Alternate.of_round(7, i, 2).unwrap())
            .collect();
        for block in orders.chunks(2) {
            let reversed: Vec<usize> = block[0].iter().rev().copied().collect();
            assert_eq!(
                block[1], reversed,
                "the second round of a block is the first reversed"
            );
        }
        let a_first = orders.iter().step_by(2).filter(|o| o[0] == 0).count();
        assert!(
            (8..=24).contains(&a_first),
            "the first arm led {a_first} of 32 blocks"
        );
        let other_seed: Vec<Vec<usize>> = (0..64)
            .map(|i| PairOrder::Alternate.of_round(8, i, 2).unwrap())
            .collect();
        assert_ne!(orders, other_seed, "another seed, another order");
        assert_eq!(PairOrder::Simultaneous.of_round(7, 3, 2), None);
    }

    #[test]
    fn every_round_of_three_arms_sends_each_once_and_each_leads_about_as_often() {
        let mut leads = [0u32; 3];
        for i in 0..300 {
            let order = PairOrder::Alternate.of_round(11, i, 3).unwrap();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2], "round {i}: {order:?}");
            leads[order[0]] += 1;
        }
        for (arm, &n) in leads.iter().enumerate() {
            assert!((70..=130).contains(&n), "arm {arm} led {n} of 300 rounds");
        }
    }
}
