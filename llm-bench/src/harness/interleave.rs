//! Head-to-head scenarios in one run (`cargo bench -- --interleave`): the selected
//! closed-loop scenarios' requests go out interleaved in rounds, one request of each per
//! round ([`paired::rounds`]), so two models, prompts or providers meet the same moment of
//! the endpoint; each scenario after the first (the reference) is compared with it in pairs
//! ([`compare_paired_runs`]). Every scenario's own run is stored, and compared with its
//! baseline, as without `--interleave`; the head-to-head record is stored beside the
//! reference's run ([`crate::store::StoredHeadToHead`]) for the reports.
//!
//! The rounds follow the reference's settings (samples, warm-up, concurrency); each
//! scenario keeps its own endpoint, timeout and setup. Scenarios with an open-loop load or a
//! sweep are measured alone, after the rounds, as their arrival times leave nothing to
//! interleave.

use std::fmt::Write as _;

use crate::harness::baseline::compare_paired_runs;
use crate::harness::bench::{self, scenario_env, BaselineChoice, One, Prepared};
use crate::harness::cli::Args;
use crate::harness::endpoint::Endpoints;
use crate::harness::interrupt::StopWatch;
use crate::harness::paired::rounds::{rules_not_followed, Arm, Rounds};
use crate::harness::paired::{PairOrder, DEFAULT_ORDER_SEED};
use crate::harness::plan::Load;
use crate::harness::runner::{run_setup, Costing};
use crate::harness::settings::Settings;
use crate::harness::{console, Status};
use crate::store::{self, RunOrigin, StoredHeadToHead, StoredRun, HEAD_TO_HEAD_SCHEMA};

/// Measures the prepared closed-loop scenarios head to head (the others alone), then
/// judges, stores and prints each, and the head-to-head comparison.
pub(crate) async fn bench_interleaved(
    args: &Args,
    settings: &Settings,
    prepared: Vec<Prepared<'_>>,
    endpoints: &Endpoints,
    origin: &RunOrigin,
    stop: StopWatch,
) -> Status {
    let mut status = Status::default();
    let interleavable = |p: &Prepared<'_>| {
        matches!(p.settings.plan.load, Load::Closed { .. }) && p.settings.steps.is_none()
    };
    let (mut together, alone): (Vec<Prepared<'_>>, Vec<Prepared<'_>>) =
        prepared.into_iter().partition(interleavable);
    if together.len() < 2 {
        eprintln!(
            "error: --interleave needs at least two closed-loop scenarios without a sweep; the FILTER selected {}",
            match together.first() {
                None => "none".to_string(),
                Some(p) => format!("only `{}`", p.scenario.id()),
            }
        );
        status.usage = true;
        return status;
    }
    if !alone.is_empty() {
        let ids: Vec<String> = alone.iter().map(|p| p.scenario.id()).collect();
        println!(
            "llm-bench: --interleave: measured alone, after the rounds (an open-loop load or a sweep fixes when each request starts): {}",
            list(&ids)
        );
    }
    let mut envs = Vec::with_capacity(together.len());
    for p in &together {
        match scenario_env(
            p.scenario,
            p.endpoint,
            &p.settings,
            settings.rate_limits.as_ref(),
        ) {
            Ok(env) => envs.push(env),
            Err(e) => {
                eprintln!("error: `{}`: {e}", p.scenario.id());
                status.usage = true;
                return status;
            }
        }
    }
    let ids: Vec<String> = together.iter().map(|p| p.scenario.id()).collect();
    let reference = &together[0];
    let plan = reference.settings.plan.clone();
    let Load::Closed { concurrency } = plan.load else {
        unreachable!("interleaved scenarios are closed-loop")
    };
    let warmup = plan.warmup.max(1);
    println!(
        "llm-bench: --interleave: {} head to head, {}; each compared in pairs with `{}`; the rounds follow its settings: {} warm-up round{} (a prompt cache then holds every prompt), then {} rounds, {} at a time",
        list(&ids),
        order_words(args.pairing),
        ids[0],
        warmup,
        if warmup == 1 { "" } else { "s" },
        plan.samples,
        concurrency,
    );
    if let Some(note) = rules_not_followed(&plan) {
        println!("llm-bench: --interleave: {note}");
    }
    for (p, env) in together.iter().zip(&envs) {
        if let Some(setup) = p.scenario.setup {
            if let Err(e) = run_setup(setup, env.clone(), p.settings.plan.timeout).await {
                eprintln!(
                    "error: `{}` stopped before its first request: its setup failed: {}: {}; nothing was interleaved",
                    p.scenario.id(),
                    e.class,
                    e.message
                );
                status.failed = true;
                return status;
            }
        }
    }
    let rounds = Rounds {
        arms: together
            .iter()
            .zip(&envs)
            .map(|(p, env)| Arm::Here {
                scenario: p.scenario,
                env: env.clone(),
                timeout: p.settings.plan.timeout,
            })
            .collect(),
        costing: together
            .iter()
            .map(|p| Costing {
                price: p.price,
                budget: settings.budget.clone(),
            })
            .collect(),
        duration: plan.stop.duration,
        order: args.pairing,
        seed: args.seed.unwrap_or(DEFAULT_ORDER_SEED),
        concurrency,
    };
    let warm = rounds.warm_up(warmup, stop.clone()).await;
    // Only a worker can fail a round; these arms are all here.
    let Ok(warm) = warm else {
        unreachable!("rounds of this build's scenarios do not fail")
    };
    if warm.interrupted {
        status.interrupted = true;
        return status;
    }
    if warm.budget_exhausted {
        eprintln!(
            "error: --interleave: --max-cost was spent during the warm-up; nothing is stored"
        );
        status.budget_exhausted = true;
        return status;
    }
    let label = format!("{} (interleaved)", ids.join(" + "));
    let (started, measured) = rounds
        .measure(&ids[0], &label, &plan, args.quiet, stop.clone())
        .await;
    let Ok(measured) = measured else {
        unreachable!("rounds of this build's scenarios do not fail")
    };
    let tokenizers: Vec<&'static str> = envs.iter().map(|e| e.tokenizer.name()).collect();
    let outcomes = measured.into_outcomes(&tokenizers, concurrency, args.pairing);
    let mut runs: Vec<StoredRun> = Vec::with_capacity(outcomes.len());
    let mut go_on = true;
    for ((p, env), outcome) in together.iter_mut().zip(&envs).zip(outcomes) {
        let baseline = std::mem::replace(&mut p.baseline, BaselineChoice::Nothing { note: None });
        let p = &*p;
        let one = One {
            args,
            settings,
            prepared: p,
            env,
            endpoints,
            origin,
        };
        let mut round_plan = p.settings.plan.clone();
        round_plan.samples = plan.samples;
        round_plan.warmup = warmup;
        let m = one.conclude(
            &ids[runs.len()],
            &round_plan,
            started,
            outcome,
            baseline,
            &mut status,
        );
        go_on &= m.go_on;
        runs.push(m.run);
    }
    let record = head_to_head(&ids, &runs, args.pairing, plan.samples, origin, settings);
    print!("{}", console::head_to_head_block(&record, &runs));
    if let Err(e) = store::save_head_to_head(&settings.root, &record) {
        eprintln!("error: {e}\n  the head-to-head comparison printed above is not stored: the report will not show it");
        status.failed = true;
    }
    if !go_on {
        return status;
    }
    let rest = bench::bench_all(args, settings, alone, endpoints, origin, stop).await;
    status.absorb(rest);
    status
}

/// The head-to-head record of `runs` (the reference's first), each after the first
/// compared in pairs with it.
fn head_to_head(
    ids: &[String],
    runs: &[StoredRun],
    order: PairOrder,
    rounds: u32,
    origin: &RunOrigin,
    settings: &Settings,
) -> StoredHeadToHead {
    let comparisons = runs[1..]
        .iter()
        .map(|run| compare_paired_runs(run, &runs[0], &ids[0], &[], &settings.stats))
        .collect();
    StoredHeadToHead {
        schema: HEAD_TO_HEAD_SCHEMA.to_string(),
        scenarios: ids.to_vec(),
        order: match order {
            PairOrder::Alternate => "alternate",
            PairOrder::Simultaneous => "simultaneous",
        }
        .to_string(),
        rounds,
        comparisons,
        origin: Some(origin.clone()),
    }
}

/// How a round's requests are sent, in words.
fn order_words(order: PairOrder) -> &'static str {
    match order {
        PairOrder::Alternate => {
            "one request of each per round, one after the other in a seeded random order"
        }
        PairOrder::Simultaneous => "one request of each per round, all started together",
    }
}

/// `` `a`, `b` ``.
fn list(ids: &[String]) -> String {
    let mut out = String::new();
    for (i, id) in ids.iter().enumerate() {
        let _ = write!(out, "{}`{id}`", if i == 0 { "" } else { ", " });
    }
    out
}
