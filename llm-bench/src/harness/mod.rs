//! The harness behind [`main!`](crate::main): selects scenarios, runs them, prints and
//! stores the results.

mod baseline;
mod cli;
mod console;
mod endpoint;
mod reporting;
pub(crate) mod runner;
mod summarize;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Parser;
use tokio::sync::watch;

pub use cli::Args;
pub use console::format_duration_ns;

use crate::context::ScenarioEnv;
use crate::metrics::Metric;
use crate::scenario::{self, Scenario};
use crate::stats::StatsConfig;
use crate::store;
use runner::Plan;

/// Measured requests per scenario when neither the attribute nor the command line says.
pub const DEFAULT_SAMPLES: u32 = 20;
/// Warm-up requests per scenario by default (they also open pooled connections).
pub const DEFAULT_WARMUP: u32 = 2;
/// Requests in flight at once by default.
pub const DEFAULT_CONCURRENCY: u32 = 1;
/// Time limit of one invocation by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Exit status when every selected scenario ran (and, in test mode, passed).
pub const EXIT_OK: i32 = 0;
/// Exit status when a scenario failed in test mode, or had no successful request in a run.
pub const EXIT_FAILED: i32 = 1;
/// Exit status for unusable arguments or configuration.
pub const EXIT_USAGE: i32 = 2;
/// Exit status under `--fail-on-regression` when a gated metric regressed.
pub const EXIT_REGRESSED: i32 = 3;
/// Exit status after Ctrl-C (finished samples are stored first).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Entry point of a bench binary: parses the process arguments and runs. Returns the exit
/// status.
pub fn run_main() -> i32 {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    run_with_args(args)
}

/// Runs with already parsed arguments. Returns the exit status.
pub fn run_with_args(args: Args) -> i32 {
    let all = scenario::registered();
    if let Err(e) = scenario::check_unique(&all) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let selected: Vec<&'static Scenario> =
        all.into_iter().filter(|s| args.selects(&s.id())).collect();
    if args.list {
        if !args.ignored {
            for s in &selected {
                println!("{}: benchmark", s.id());
            }
        }
        return EXIT_OK;
    }
    if selected.is_empty() {
        if let Some(filter) = &args.filter {
            println!("llm-bench: no scenario matches `{filter}`");
        } else {
            println!("llm-bench: no scenario registered (mark an async fn with #[llm_bench])");
        }
        return EXIT_OK;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return EXIT_FAILED;
        }
    };
    runtime.block_on(run_selected(&args, &selected))
}

async fn run_selected(args: &Args, selected: &[&'static Scenario]) -> i32 {
    let settings = match Settings::from_args(args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nllm-bench: interrupted; storing the finished samples");
            let _ = stop_tx.send(true);
        }
    });
    if args.bench_mode() {
        if let Some(file) = &args.import_baseline {
            match store::import_baseline(&settings.root, file, None) {
                Ok((name, n)) => println!(
                    "llm-bench: imported baseline `{name}` ({n} scenarios) from {}",
                    file.display()
                ),
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_USAGE;
                }
            }
        }
    }
    if args.bench_mode() && args.load_baseline.is_some() {
        // Re-analysis of stored samples: no request is sent, so no endpoint is needed.
        let status = analyse_stored(args, &settings, selected);
        return finish_bench(args, &settings, selected, status);
    }
    let endpoints = match endpoint::Endpoints::resolve(selected).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if args.bench_mode() {
        let status = bench_all(args, &settings, selected, &endpoints, stop_rx).await;
        finish_bench(args, &settings, selected, status)
    } else {
        test_all(selected, &endpoints, stop_rx).await
    }
}

/// What the command line decided, checked once before anything runs.
struct Settings {
    root: std::path::PathBuf,
    stats: StatsConfig,
    /// `--export`: the exporters to run after the report.
    exporters: Vec<Box<dyn crate::export::Exporter>>,
    /// `--gate`, overriding every scenario's attribute.
    gate: Option<Vec<Metric>>,
    /// Prices of models (built-in table, `LLM_BENCH_PRICING`, `--pricing`).
    pricing: crate::cost::Pricing,
    /// `--max-cost`, shared by every scenario of the run.
    budget: Option<Arc<crate::cost::Budget>>,
}

impl Settings {
    fn from_args(args: &Args) -> std::result::Result<Settings, String> {
        let stats = args.stats_config()?;
        for name in [
            &args.save_baseline,
            &args.baseline,
            &args.baseline_lenient,
            &args.load_baseline,
        ]
        .into_iter()
        .flatten()
        {
            store::check_baseline_name(name).map_err(|e| e.to_string())?;
        }
        let gate = match &args.gate {
            Some(list) => Some(Metric::parse_list(list).map_err(|e| format!("--gate: {e}"))?),
            None => None,
        };
        let exporters = match &args.export {
            Some(list) => {
                crate::export::parse_export_list(list).map_err(|e| format!("--export: {e}"))?
            }
            None => Vec::new(),
        };
        let mut pricing = crate::cost::Pricing::from_env().map_err(|e| e.to_string())?;
        if let Some(file) = &args.pricing {
            pricing
                .extend_from_file(file)
                .map_err(|e| format!("--pricing: {e}"))?;
        }
        let budget = match args.max_cost {
            Some(usd) if usd.is_finite() && usd > 0.0 => {
                Some(Arc::new(crate::cost::Budget::new(usd)))
            }
            Some(usd) => {
                return Err(format!(
                    "--max-cost must be a positive amount of USD, not {usd}"
                ))
            }
            None => None,
        };
        Ok(Settings {
            root: store::output_root(),
            stats,
            exporters,
            gate,
            pricing,
            budget,
        })
    }

    fn gate_for(&self, scenario_gate: Option<&str>) -> Vec<Metric> {
        if let Some(gate) = &self.gate {
            return gate.clone();
        }
        // The attribute's list was checked at compile time.
        match scenario_gate.map(Metric::parse_list) {
            Some(Ok(list)) => list,
            _ => baseline::DEFAULT_GATE.to_vec(),
        }
    }
}

/// How a bench run went, over all scenarios.
#[derive(Debug, Default, Clone, Copy)]
struct Status {
    failed: bool,
    usage: bool,
    regressed: bool,
    interrupted: bool,
    budget_exhausted: bool,
}

/// Writes the report, exports the saved baseline if asked, then turns the status into an
/// exit code.
fn finish_bench(
    args: &Args,
    settings: &Settings,
    selected: &[&'static Scenario],
    mut status: Status,
) -> i32 {
    let ran: Vec<String> = selected.iter().map(|s| s.id()).collect();
    match reporting::write_all(&settings.root, !args.noplot, &settings.exporters, &ran) {
        Ok(w) => {
            println!("llm-bench: report {}", w.index.display());
            println!("llm-bench: summary {}", w.summary.display());
            for path in w.exports {
                println!("llm-bench: export {}", path.display());
            }
        }
        Err(e) => {
            eprintln!("error: could not write the report: {e}");
            status.failed = true;
        }
    }
    if let Some(file) = &args.export_baseline {
        let name = args
            .save_baseline
            .as_deref()
            .or(args.load_baseline.as_deref())
            .unwrap_or(store::DEFAULT_BASELINE);
        match store::export_baseline(&settings.root, name, file) {
            Ok(n) => println!(
                "llm-bench: exported baseline `{name}` ({n} scenarios) to {}",
                file.display()
            ),
            Err(e) => {
                eprintln!("error: {e}");
                status.usage = true;
            }
        }
    }
    if status.budget_exhausted {
        if let Some(budget) = &settings.budget {
            println!(
                "llm-bench: stopped at the cost budget: ${:.4} spent of ${:.4} (--max-cost)",
                budget.spent(),
                budget.limit()
            );
        }
    }
    if status.interrupted {
        EXIT_INTERRUPTED
    } else if status.usage {
        EXIT_USAGE
    } else if status.regressed && args.fail_on_regression {
        eprintln!("llm-bench: a gated metric regressed (--fail-on-regression): exit status {EXIT_REGRESSED}");
        EXIT_REGRESSED
    } else if status.failed {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn env_for(scenario: &Scenario, endpoint: &endpoint::Endpoint) -> Arc<ScenarioEnv> {
    Arc::new(ScenarioEnv::new(
        endpoint.client.clone(),
        scenario.config.model.map(str::to_string),
    ))
}

/// Test mode (`cargo test --benches`): every scenario once, nothing stored.
async fn test_all(
    selected: &[&'static Scenario],
    endpoints: &endpoint::Endpoints,
    stop: watch::Receiver<bool>,
) -> i32 {
    let (mut passed, mut failed) = (0, 0);
    println!("\nrunning {} scenarios once (test mode)", selected.len());
    for &s in selected {
        let endpoint = match endpoints.for_scenario(s) {
            Ok(endpoint) => endpoint,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        };
        let plan = Plan {
            samples: 1,
            warmup: 0,
            concurrency: 1,
            timeout: s.config.timeout().unwrap_or(DEFAULT_TIMEOUT),
        };
        let outcome = runner::run_scenario(
            s,
            env_for(s, endpoint),
            plan,
            &runner::Costing::default(),
            stop.clone(),
            |_, _| {},
        )
        .await;
        if outcome.interrupted {
            println!("test {} ... interrupted", s.id());
            return EXIT_INTERRUPTED;
        }
        match outcome.samples.first().and_then(|x| x.error.as_ref()) {
            None => {
                passed += 1;
                println!("test {} ... ok", s.id());
            }
            Some(e) => {
                failed += 1;
                println!("test {} ... FAILED\n    {}: {}", s.id(), e.class, e.message);
            }
        }
    }
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!("\ntest result: {verdict}. {passed} passed; {failed} failed\n");
    if failed == 0 {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// Bench mode (`cargo bench`): measure, store, compare, print.
async fn bench_all(
    args: &Args,
    settings: &Settings,
    selected: &[&'static Scenario],
    endpoints: &endpoint::Endpoints,
    stop: watch::Receiver<bool>,
) -> Status {
    let mut status = Status::default();
    for &s in selected {
        let plan = Plan {
            samples: args.samples.or(s.config.samples).unwrap_or(DEFAULT_SAMPLES),
            warmup: args.warmup.or(s.config.warmup).unwrap_or(DEFAULT_WARMUP),
            concurrency: args
                .concurrency
                .or(s.config.concurrency)
                .unwrap_or(DEFAULT_CONCURRENCY),
            timeout: s.config.timeout().unwrap_or(DEFAULT_TIMEOUT),
        };
        let id = s.id();
        let endpoint = match endpoints.for_scenario(s) {
            Ok(endpoint) => endpoint,
            Err(e) => {
                eprintln!("error: {e}");
                status.usage = true;
                break;
            }
        };
        let info = endpoint.info(s.config.model);
        let price = info
            .model
            .as_deref()
            .and_then(|m| settings.pricing.price(m));
        if settings.budget.is_some() && price.is_none() {
            eprintln!(
                "error: --max-cost cannot be enforced for `{id}`: no price for model `{}`; add it to a pricing file (--pricing)",
                info.model.as_deref().unwrap_or("unknown")
            );
            status.usage = true;
            break;
        }
        let costing = runner::Costing {
            price,
            budget: settings.budget.clone(),
        };
        let progress = progress_printer(id.clone(), args.quiet);
        let started = SystemTime::now();
        let outcome = runner::run_scenario(
            s,
            env_for(s, endpoint),
            plan,
            &costing,
            stop.clone(),
            progress,
        )
        .await;
        clear_progress(args.quiet);
        let run = summarize::stored_run(s, info, plan, started, outcome, &settings.stats);
        if !run.samples.is_empty() {
            if let Err(e) = store::save_new(&settings.root, &run) {
                eprintln!("error: {e}");
                status.failed = true;
            }
        }
        let complete =
            !run.interrupted && !run.stopped_by_budget && run.samples.iter().any(|x| x.is_ok());
        report_scenario(args, settings, &run, s.config.gate, &mut status);
        if complete {
            if let Some(name) = args.baseline_to_save() {
                match store::save_baseline(&settings.root, &run, name) {
                    Ok(path) if !args.quiet => {
                        println!("  saved as baseline `{name}`: {}\n", path.display())
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("error: {e}");
                        status.failed = true;
                    }
                }
            }
        } else if let Some(name) = args.baseline_to_save() {
            println!("  baseline `{name}` kept: this run is incomplete\n");
        }
        if run.interrupted {
            status.interrupted = true;
            break;
        }
        if run.stopped_by_budget || settings.budget.as_ref().is_some_and(|b| b.exhausted()) {
            status.budget_exhausted = true;
            break;
        }
        if run.samples.iter().all(|x| !x.is_ok()) {
            eprintln!("error: every request of `{id}` failed");
            status.failed = true;
        }
    }
    status
}

/// `--load-baseline NAME`: re-analyses stored samples with the current settings.
fn analyse_stored(args: &Args, settings: &Settings, selected: &[&'static Scenario]) -> Status {
    let mut status = Status::default();
    let Some(name) = args.load_baseline.as_deref() else {
        return status;
    };
    for &s in selected {
        let id = s.id();
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
        report_scenario(args, settings, &run, s.config.gate, &mut status);
    }
    status
}

/// Compares a run with its baseline (when there is one to compare with), stores the
/// comparison and prints the scenario's block.
fn report_scenario(
    args: &Args,
    settings: &Settings,
    run: &store::StoredRun,
    scenario_gate: Option<&str>,
    status: &mut Status,
) {
    let id = &run.scenario.id;
    let mut comparison = None;
    let mut note = None;
    if let Some((name, required)) = args.baseline_to_compare() {
        match store::load_baseline(&settings.root, id, name) {
            Ok(Some(base)) => match baseline::incomparable(run, &base) {
                Some(reason) if !args.force_compare => {
                    eprintln!("error: `{id}` is not compared with baseline `{name}`: {reason}");
                    status.usage = true;
                }
                _ => {
                    let gate = settings.gate_for(scenario_gate);
                    comparison = Some(baseline::compare_runs(
                        run,
                        &base,
                        name,
                        &gate,
                        &settings.stats,
                    ));
                }
            },
            Ok(None) if required => {
                eprintln!("error: scenario `{id}` has no stored baseline `{name}`");
                status.usage = true;
            }
            Ok(None) => note = Some(format!("no baseline `{name}` yet: nothing to compare")),
            Err(e) => {
                eprintln!("error: {e}");
                status.usage = true;
            }
        }
    }
    let stored = match &comparison {
        Some(c) => store::save_comparison(&settings.root, c).map(|_| ()),
        None => store::remove_comparison(&settings.root, id),
    };
    if let Err(e) = stored {
        eprintln!("error: {e}");
        status.failed = true;
    }
    if let Some(c) = &comparison {
        status.regressed |= c.regressed;
    }
    if args.quiet {
        println!("{}", quiet_line(run, comparison.as_ref()));
    } else {
        print!(
            "{}",
            console::scenario_block(run, comparison.as_ref(), &settings.stats)
        );
        if let Some(note) = note {
            println!("  {note}");
        }
        println!(
            "  stored: {}",
            store::scenario_dir(&settings.root, id).display()
        );
    }
}

fn quiet_line(run: &store::StoredRun, comparison: Option<&store::StoredComparison>) -> String {
    let p50 = |m: Metric| {
        run.summary
            .get(&m)
            .map(|s| format_duration_ns(s.p50))
            .unwrap_or_else(|| "-".into())
    };
    format!(
        "{}: TTFT p50 {}  TPOT p50 {}  E2E p50 {}  ({} samples, {} failed){}",
        run.scenario.id,
        p50(Metric::Ttft),
        p50(Metric::Tpot),
        p50(Metric::E2e),
        run.samples.len(),
        run.errors.values().sum::<u64>(),
        match comparison {
            Some(c) if c.regressed => "  REGRESSED",
            Some(_) => "  gated metrics did not regress",
            None => "",
        }
    )
}

/// A progress line on stderr, when it is a terminal (so CI logs stay clean).
fn progress_printer(id: String, quiet: bool) -> impl Fn(u32, u32) + Send + Sync + 'static {
    let show = !quiet && std::io::stderr().is_terminal();
    move |done, total| {
        if show {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2KBenchmarking {id}: {done}/{total}");
            let _ = err.flush();
        }
    }
}

fn clear_progress(quiet: bool) {
    if !quiet && std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}
