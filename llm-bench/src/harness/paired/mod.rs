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
pub(crate) mod rounds;
pub(crate) mod worker;

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

use leader::Worker;
use rounds::{rules_not_followed, Arm, Rounds};

use crate::harness::bench::{scenario_env, BaselineChoice, One, Prepared};
use crate::harness::cli::Args;
use crate::harness::endpoint::Endpoints;
use crate::harness::interrupt::StopWatch;
use crate::harness::plan::Load;
use crate::harness::runner::{run_setup, Costing};
use crate::harness::settings::Settings;
use crate::harness::{summarize, Status};
use crate::store::RunOrigin;

/// How the two requests of a pair are sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PairOrder {
    /// One after the other, in a seeded random ABBA order.
    #[default]
    Alternate,
    /// Both at once.
    Simultaneous,
}

/// The seed of the pair order when `--seed` is not given.
pub(crate) const DEFAULT_ORDER_SEED: u64 = 0xabba_0000_5eed;

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
        let rounds = Rounds {
            arms: vec![
                Arm::Here {
                    scenario: p.scenario,
                    env: env.clone(),
                    timeout: plan.timeout,
                },
                Arm::Worker {
                    worker: worker.clone(),
                    id: id.clone(),
                },
            ],
            // The other build's requests cost what this build's do: the same model.
            costing: vec![
                Costing {
                    price: p.price,
                    budget: settings.budget.clone(),
                };
                2
            ],
            duration: plan.stop.duration,
            order: args.pairing,
            seed: args.seed.unwrap_or(DEFAULT_ORDER_SEED),
            concurrency,
        };
        let warmup = plan.warmup.max(1);
        if let Some(note) = rules_not_followed(plan) {
            println!("  `{id}`: {note}");
        }
        if !args.quiet {
            println!(
                "  `{id}`: {warmup} warm-up request{} per build first (a prompt cache then holds both builds' prompts), then {} pairs",
                if warmup == 1 { "" } else { "s" },
                plan.samples
            );
        }
        let warm = rounds.warm_up(warmup, stop.clone()).await;
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
        if warm.budget_exhausted {
            eprintln!("error: `{id}`: --max-cost was spent during the warm-up; nothing of `{id}` is stored");
            status.budget_exhausted = true;
            break;
        }
        let (started, measured) = rounds
            .measure(
                &id,
                &format!("{id} (paired)"),
                plan,
                args.quiet,
                stop.clone(),
            )
            .await;
        let measured = match measured {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: `{id}`: the other build stopped answering: {e}; nothing of `{id}` is stored");
                status.failed = true;
                break;
            }
        };
        let tokenizer = env.tokenizer.name();
        let mut outcomes = measured
            .into_outcomes(&[tokenizer, tokenizer], concurrency, args.pairing)
            .into_iter();
        let (Some(new), Some(base)) = (outcomes.next(), outcomes.next()) else {
            unreachable!("two arms, two outcomes")
        };
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

#[cfg(test)]
mod tests {
    use super::*;

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
