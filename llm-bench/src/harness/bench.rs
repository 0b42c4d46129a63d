//! Bench mode (`cargo bench`): everything that can be checked is checked for every selected
//! scenario before the first request; then each scenario is measured, judged, stored and
//! printed.

use std::sync::Arc;
use std::time::SystemTime;

use crate::harness::interrupt::StopWatch;

use crate::context::ScenarioEnv;
use crate::cost::Price;
use crate::harness::baseline;
use crate::harness::cli::Args;
use crate::harness::console;
use crate::harness::endpoint::{Endpoint, Endpoints};
use crate::harness::gate::{self, Judgement};
use crate::harness::plan::Plan;
use crate::harness::problem::Problem;
use crate::harness::progress::{Mode, Progress};
use crate::harness::runner::{self, Costing};
use crate::harness::settings::{ScenarioSettings, Settings};
use crate::harness::steps;
use crate::harness::summarize;
use crate::harness::summary_table::SummaryRow;
use crate::harness::Status;
use crate::metrics::Metric;
use crate::providers::rate_limit::RateLimits;
use crate::providers::retry::RetryPolicy;
use crate::scenario::Scenario;
use crate::store::{self, EndpointInfo, RunOrigin, StoredRun};

/// What a scenario is compared with, decided before it runs.
pub(crate) enum BaselineChoice {
    /// Nothing to compare with; the note says why, when it is worth saying.
    Nothing { note: Option<String> },
    /// The stored baseline to compare with.
    Compare { name: String, run: Box<StoredRun> },
    /// The other build's run, measured in pairs with this one (`--compare-with`): sample
    /// `i` of each run is pair `i`.
    Paired { name: String, run: Box<StoredRun> },
}

/// A scenario ready to run: its settings, endpoint and baseline, all checked.
pub(crate) struct Prepared<'e> {
    pub scenario: &'static Scenario,
    pub endpoint: &'e Endpoint,
    pub settings: ScenarioSettings,
    pub info: EndpointInfo,
    pub price: Option<Price>,
    pub baseline: BaselineChoice,
}

/// Checks every selected scenario before any request is sent: its settings, its endpoint,
/// the price `--max-cost` needs, the baseline it is compared with (present, and measured
/// against the same endpoint, model and concurrency), and that no scenario's folder
/// collides with another's runs. Returns every problem found, not only the first.
pub(crate) fn preflight<'e>(
    args: &Args,
    settings: &Settings,
    selected: &[&'static Scenario],
    registered: &[&'static Scenario],
    endpoints: &'e Endpoints,
) -> Result<Vec<Prepared<'e>>, Vec<Problem>> {
    let mut errors = Vec::new();
    if let Err(e) = check_layout(registered, &baselines_in_use(args)) {
        errors.push(e);
    }
    let mut prepared = Vec::new();
    for &scenario in selected {
        let id = scenario.id();
        let scenario_settings = match settings.for_scenario(args, scenario, true) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let endpoint = match endpoints.for_scenario(scenario) {
            Ok(e) => e,
            Err(e) => {
                errors.push(e.into());
                continue;
            }
        };
        let info = endpoint.info(scenario.config.model);
        let price = info
            .model
            .as_deref()
            .and_then(|m| settings.pricing.price(m));
        if settings.budget.is_some() && price.is_none() {
            errors.push(Problem::NoPrice {
                id: id.clone(),
                model: info.model.clone().unwrap_or_else(|| "unknown".into()),
            });
        }
        let load = scenario_settings.plan.load_label();
        let baseline = match choose_baseline(args, settings, &id, &info, &load) {
            Ok(choice) => choice,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        prepared.push(Prepared {
            scenario,
            endpoint,
            settings: scenario_settings,
            info,
            price,
            baseline,
        });
    }
    if errors.is_empty() {
        Ok(prepared)
    } else {
        Err(errors)
    }
}

/// The baseline names this run reads or writes.
fn baselines_in_use(args: &Args) -> Vec<String> {
    let mut names: Vec<String> = [
        args.baseline_to_save(),
        args.baseline_to_compare().map(|(name, _)| name),
        args.load_baseline.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::to_string)
    .collect();
    names.sort();
    names.dedup();
    names
}

/// Fails when one scenario's folder would be another's run folder: `a/new` beside `a`, or
/// `a/main` beside `a` while baseline `main` is in use (the attribute refuses the fixed
/// names; baseline names are only known now).
pub(crate) fn check_layout(
    scenarios: &[&'static Scenario],
    baselines: &[String],
) -> Result<(), Problem> {
    let ids: Vec<String> = scenarios.iter().map(|s| s.id()).collect();
    for id in &ids {
        if id == "report" || id.starts_with("report/") {
            return Err(Problem::Layout(format!(
                "scenario `{id}` would be stored inside the report folder (target/llm-bench/report): rename its group or name"
            )));
        }
        for other in &ids {
            let Some(last) = other
                .strip_prefix(id.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
            else {
                continue;
            };
            let clash = [store::NEW_DIR, store::CHANGE_DIR]
                .into_iter()
                .map(str::to_string)
                .chain(baselines.iter().cloned())
                .find(|dir| dir.eq_ignore_ascii_case(last));
            if let Some(dir) = clash {
                return Err(Problem::Layout(format!(
                    "scenario `{other}` would be stored where scenario `{id}` keeps its `{dir}` run; rename one of them or choose another baseline name"
                )));
            }
        }
    }
    Ok(())
}

/// What `id` is compared with, or why the run must not start.
fn choose_baseline(
    args: &Args,
    settings: &Settings,
    id: &str,
    endpoint: &EndpointInfo,
    load: &str,
) -> Result<BaselineChoice, Problem> {
    let Some((name, required)) = args.baseline_to_compare() else {
        return Ok(BaselineChoice::Nothing { note: None });
    };
    let base = match store::load_baseline(&settings.root, id, name) {
        Ok(Some(base)) => base,
        Ok(None) if required => {
            return Err(Problem::MissingBaseline {
                id: id.to_string(),
                name: name.to_string(),
                stored: store::baseline_names(&settings.root, id).unwrap_or_default(),
            });
        }
        Ok(None) => {
            return Ok(BaselineChoice::Nothing {
                note: Some(format!("no baseline `{name}` yet: nothing to compare")),
            })
        }
        Err(e) => return Err(e.into()),
    };
    match baseline::incomparable(endpoint, load, &base) {
        Some(reason) if !args.force_compare && args.discard_baseline => {
            Ok(BaselineChoice::Nothing {
                note: Some(format!("not compared with baseline `{name}`: {reason}")),
            })
        }
        Some(reason) if !args.force_compare => Err(Problem::Incomparable {
            id: id.to_string(),
            name: name.to_string(),
            reason,
        }),
        _ => Ok(BaselineChoice::Compare {
            name: name.to_string(),
            run: Box::new(base),
        }),
    }
}

/// The environment of one scenario's invocations: its endpoint's client (with the
/// scenario's connection limit), model and time limits.
pub(crate) fn scenario_env(
    scenario: &Scenario,
    endpoint: &Endpoint,
    settings: &ScenarioSettings,
    rate_limits: Option<&Arc<RateLimits>>,
) -> crate::Result<Arc<ScenarioEnv>> {
    let mut client = endpoint
        .client
        .with_connect_timeout(settings.limits.connect)?
        .with_retries(RetryPolicy::new(settings.retries));
    if let Some(limits) = rate_limits {
        client = client.with_rate_limits(limits.clone());
    }
    let trace = match &settings.plan.load {
        crate::harness::plan::Load::Replay(replay) => Some(replay.entries.clone()),
        _ => None,
    };
    let env = ScenarioEnv::new(client, scenario.config.model.map(str::to_string))
        .with_scenario_id(&scenario.id())
        .with_limits(settings.limits)
        .with_trace(trace);
    Ok(Arc::new(env))
}

/// The warning for a tracked scenario that measured something other than the simulated
/// endpoint it was given.
pub(crate) fn unreached_warning(
    id: &str,
    env: &ScenarioEnv,
    endpoint: &Endpoint,
    endpoints: &Endpoints,
    requests_before: Option<u64>,
) -> Option<String> {
    let before = requests_before?;
    let after = endpoints.simulated_requests()?;
    let tracked = env.tracked.load(std::sync::atomic::Ordering::Relaxed);
    (tracked && after == before && endpoint.is_simulated()).then(|| {
        format!(
            "warning: no request reached the simulated endpoint while `{id}` ran; if its client calls an API, point it at ctx.client().base_url() (see README)"
        )
    })
}

/// Measures, judges, stores and prints every prepared scenario (each step of a swept or
/// searched one).
pub(crate) async fn bench_all(
    args: &Args,
    settings: &Settings,
    prepared: Vec<Prepared<'_>>,
    endpoints: &Endpoints,
    origin: &RunOrigin,
    stop: StopWatch,
) -> Status {
    let mut status = Status::default();
    for mut p in prepared {
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
        let baseline = std::mem::replace(&mut p.baseline, BaselineChoice::Nothing { note: None });
        let one = One {
            args,
            settings,
            prepared: &p,
            env: &env,
            endpoints,
            origin,
        };
        let go_on = match &p.settings.steps {
            None => {
                one.measure(
                    &id,
                    &id,
                    &p.settings.plan,
                    baseline,
                    stop.clone(),
                    &mut status,
                )
                .await
                .go_on
            }
            Some(steps) => steps::run(&one, &id, steps, stop.clone(), &mut status).await,
        };
        if !go_on {
            break;
        }
    }
    status
}

/// What measuring one scenario (or one step of it) needs.
pub(crate) struct One<'a> {
    pub args: &'a Args,
    pub settings: &'a Settings,
    pub prepared: &'a Prepared<'a>,
    pub env: &'a Arc<ScenarioEnv>,
    pub endpoints: &'a Endpoints,
    pub origin: &'a RunOrigin,
}

/// A measured run, and whether the bench goes on with the next scenario.
pub(crate) struct Measured {
    pub run: StoredRun,
    pub go_on: bool,
}

impl One<'_> {
    /// Measures `plan` as scenario (or step) `id`, its progress bar named `label`, then
    /// judges, stores and prints it.
    pub(crate) async fn measure(
        &self,
        id: &str,
        label: &str,
        plan: &Plan,
        baseline: BaselineChoice,
        stop: StopWatch,
        status: &mut Status,
    ) -> Measured {
        let (args, settings, p) = (self.args, self.settings, self.prepared);
        let costing = Costing {
            price: p.price,
            budget: settings.budget.clone(),
        };
        let requests_before = self.endpoints.simulated_requests();
        let started = SystemTime::now();
        let (progress, live) = Progress::start(id, label, plan, Mode::detect(args.quiet));
        let outcome = runner::run_scenario(
            p.scenario,
            self.env.clone(),
            plan,
            &costing,
            stop,
            live,
            progress.on_sample(),
        )
        .await;
        drop(progress);
        if let Some(warning) =
            unreached_warning(id, self.env, p.endpoint, self.endpoints, requests_before)
        {
            eprintln!("{warning}");
        }
        self.conclude(id, plan, started, outcome, baseline, status)
    }

    /// Judges, stores and prints what measuring `plan` as `id` gave (started at
    /// `started`), compared as `baseline` says.
    pub(crate) fn conclude(
        &self,
        id: &str,
        plan: &Plan,
        started: SystemTime,
        outcome: runner::PhaseOutcome,
        baseline: BaselineChoice,
        status: &mut Status,
    ) -> Measured {
        let (args, settings, p) = (self.args, self.settings, self.prepared);
        let config_error = outcome.config_error;
        let mut run = summarize::stored_run(
            p.scenario,
            p.info.clone(),
            plan,
            started,
            outcome,
            &settings.stats,
            &p.settings.slos,
        );
        run.scenario.id = id.to_string();
        run.origin = Some(self.origin.clone());
        run.thresholds = gate::check_thresholds(&run, &p.settings.thresholds);
        if !run.samples.is_empty() || run.stopped_early.is_some() {
            if let Err(e) = store::save_new(&settings.root, &run) {
                eprintln!(
                    "error: {e}\n  the measurements of `{id}` printed below are not stored: no report or comparison will show them"
                );
                status.failed = true;
            }
        }
        judge_and_print(args, settings, &run, baseline, &p.settings.gate, status);
        save_baseline_if_sound(args, settings, &run, status);
        let mut go_on = true;
        if let Some(reason) = &run.stopped_early {
            eprintln!("error: `{id}` {reason}");
            status.failed = true;
            // A configuration error is the user's to fix, like a bad flag.
            status.usage |= config_error;
        }
        if run.interrupted {
            status.interrupted = true;
            go_on = false;
        }
        if run.stopped_by_budget || settings.budget.as_ref().is_some_and(|b| b.exhausted()) {
            status.budget_exhausted = true;
            go_on = false;
        }
        let panics = run.samples.iter().filter(|s| runner::panicked(s)).count();
        if panics > 0 {
            // A panic is a bug in the scenario, however many requests succeeded.
            eprintln!(
                "error: `{id}` panicked in {panics} of {} requests (the panic is printed above): the scenario failed",
                run.samples.len()
            );
            status.failed = true;
        }
        if run.stopped_early.is_none() && run.samples.iter().all(|x| !x.is_ok()) {
            eprintln!("error: every request of `{id}` failed");
            status.failed = true;
        }
        Measured { run, go_on }
    }

    /// The baseline a step `id` (a swept or searched scenario's) is compared with: the one
    /// the arguments name, when that step has it.
    pub(crate) fn step_baseline(&self, id: &str, plan: &Plan) -> BaselineChoice {
        choose_baseline(
            self.args,
            self.settings,
            id,
            &self.prepared.info,
            &plan.load_label(),
        )
        .unwrap_or_else(|e| BaselineChoice::Nothing {
            note: Some(e.to_string()),
        })
    }
}

/// Why `run` must not replace a baseline, or `None` when it may.
pub(crate) fn unsound_for_baseline(run: &StoredRun, max_error_rate: f64) -> Option<String> {
    if run.interrupted {
        return Some("this run was interrupted".into());
    }
    if run.stopped_by_budget {
        return Some("the cost budget stopped this run".into());
    }
    if let Some(reason) = &run.stopped_early {
        return Some(format!("this run {reason}"));
    }
    let total = run.samples.len();
    let failed = run.samples.iter().filter(|s| !s.is_ok()).count();
    if total == failed {
        return Some("no request of this run succeeded".into());
    }
    let share = failed as f64 / total as f64;
    (share > max_error_rate).then(|| {
        format!(
            "{failed} of {total} requests failed ({:.1}%, more than the {:.1}% a comparison accepts)",
            share * 100.0,
            max_error_rate * 100.0
        )
    })
}

/// Saves `run` as the baseline the arguments name, unless it is not a sound baseline.
fn save_baseline_if_sound(args: &Args, settings: &Settings, run: &StoredRun, status: &mut Status) {
    let Some(name) = args.baseline_to_save() else {
        return;
    };
    if let Some(why) = unsound_for_baseline(run, settings.stats.max_error_rate) {
        let exists =
            store::load_baseline(&settings.root, &run.scenario.id, name).is_ok_and(|b| b.is_some());
        let kept = if exists { "kept" } else { "not saved" };
        println!("  baseline `{name}` {kept}: {why}\n");
        return;
    }
    match store::save_baseline(&settings.root, run, name) {
        Ok(path) if !args.quiet => println!("  saved as baseline `{name}`: {}\n", path.display()),
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {e}");
            status.failed = true;
        }
    }
}

/// `--load-baseline NAME`: re-analyses stored samples with the current settings; no
/// request is sent and no endpoint is needed.
///
/// As criterion does, the re-analysed run becomes the latest run (`new/`), so the report
/// shows it.
pub(crate) fn analyse_stored(
    args: &Args,
    settings: &Settings,
    selected: &[&'static Scenario],
    origin: &RunOrigin,
) -> Status {
    let mut status = Status::default();
    let Some(name) = args.load_baseline.as_deref() else {
        return status;
    };
    for &s in selected {
        let id = s.id();
        let scenario_settings = match settings.for_scenario(args, s, true) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("error: {e}");
                status.usage = true;
                continue;
            }
        };
        let mut run = match store::load_baseline(&settings.root, &id, name) {
            Ok(Some(run)) => run,
            Ok(None) => {
                eprintln!("error: scenario `{id}` has no stored baseline `{name}`");
                status.usage = true;
                continue;
            }
            Err(e) => {
                eprintln!("error: {e}");
                status.usage = true;
                continue;
            }
        };
        run.estimates = baseline::estimates_for(&run.samples, &settings.stats);
        run.thresholds = gate::check_thresholds(&run, &scenario_settings.thresholds);
        run.origin = Some(origin.clone());
        if let Err(e) = store::save_new(&settings.root, &run) {
            eprintln!("error: {e}");
            status.failed = true;
        }
        let choice = match choose_baseline(
            args,
            settings,
            &id,
            &run.endpoint,
            &run.settings.load_label(),
        ) {
            Ok(choice) => choice,
            Err(e) => {
                eprintln!("error: {e}");
                status.usage = true;
                continue;
            }
        };
        judge_and_print(
            args,
            settings,
            &run,
            choice,
            &scenario_settings.gate,
            &mut status,
        );
    }
    status
}

/// Compares `run` with its baseline choice, stores the comparison, judges the run and
/// prints its block (or its one line with `--quiet`).
fn judge_and_print(
    args: &Args,
    settings: &Settings,
    run: &StoredRun,
    choice: BaselineChoice,
    gate: &[Metric],
    status: &mut Status,
) {
    let id = &run.scenario.id;
    let (comparison, base, note) = match choice {
        BaselineChoice::Compare { name, run: base } => {
            let c = baseline::compare_runs(run, &base, &name, gate, &settings.stats);
            (Some(c), Some(base), None)
        }
        BaselineChoice::Paired { name, run: base } => {
            let c = baseline::compare_paired_runs(run, &base, &name, gate, &settings.stats);
            (Some(c), Some(base), None)
        }
        BaselineChoice::Nothing { note } => (None, None, note),
    };
    let stored = match (&comparison, &base) {
        (Some(c), Some(base)) => store::save_comparison(&settings.root, c)
            .and_then(|_| store::save_compared_baseline(&settings.root, id, base))
            .map(|_| ()),
        _ => store::remove_comparison(&settings.root, id),
    };
    if let Err(e) = stored {
        eprintln!("error: {e}");
        status.failed = true;
    }
    if comparison.is_some() {
        status.compared.push(id.clone());
    }
    let judgement = Judgement::of(run, comparison.as_ref());
    status.regressed |= judgement.regressed();
    status.breached |= judgement.breached();
    status.inconclusive |= judgement.inconclusive();
    status
        .summary
        .push(SummaryRow::of(run, comparison.as_ref()));
    if args.quiet {
        println!("{}", quiet_line(run, &judgement));
        return;
    }
    print!(
        "{}",
        console::scenario_block(run, comparison.as_ref(), &settings.stats)
    );
    if let Some(note) = note {
        println!("  {note}");
    }
    for line in judgement.lines() {
        println!("  {line}");
    }
    println!(
        "  stored: {}",
        store::scenario_dir(&settings.root, id).display()
    );
}

fn quiet_line(run: &StoredRun, judgement: &Judgement) -> String {
    let p50 = |m: Metric| {
        run.summary
            .get(&m)
            .map(|s| crate::format::format_duration_ns(s.p50))
            .unwrap_or_else(|| "-".into())
    };
    let mut line = format!(
        "{}: TTFT p50 {}  TPOT p50 {}  E2E p50 {}  ({} samples, {} failed)  {}",
        run.scenario.id,
        p50(Metric::Ttft),
        p50(Metric::Tpot),
        p50(Metric::E2e),
        run.samples.len(),
        run.errors.values().sum::<u64>(),
        judgement.word()
    );
    if let Some(first) = judgement.breached.first().or(judgement.undecided.first()) {
        line.push_str(": ");
        line.push_str(first);
    }
    if let Some(slo) = &run.slo {
        line.push_str(&format!(
            "  goodput {}/s{}",
            crate::format::format_num(slo.goodput_rps),
            if slo.met { "" } else { " (objectives missed)" }
        ));
    }
    if run.load.as_ref().is_some_and(|l| l.client_bound.is_some()) {
        line.push_str("  CLIENT-BOUND");
    }
    line
}
