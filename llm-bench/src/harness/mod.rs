//! The harness behind [`main!`](crate::main): selects scenarios, runs them, prints and
//! stores the results.

pub(crate) mod baseline;
mod bench;
mod cli;
pub(crate) mod commit;
mod console;
pub(crate) mod endpoint;
#[cfg(all(test, feature = "simulated"))]
mod fault_matrix;
mod fdr;
mod gate;
mod interleave;
pub(crate) mod interrupt;
#[cfg(all(test, feature = "simulated"))]
mod load_tests;
pub(crate) mod merge;
mod open_loop;
pub(crate) mod paired;
pub(crate) mod plan;
mod problem;
mod progress;
pub(crate) mod reporting;
pub(crate) mod runner;
mod self_check;
mod settings;
#[cfg(feature = "simulated")]
pub(crate) mod simulated;
mod slo;
mod steps;
mod stopping;
#[cfg(all(test, feature = "simulated"))]
mod study;
pub(crate) mod summarize;
mod summary_table;
#[cfg(all(test, feature = "simulated"))]
mod testing;

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

pub use cli::Args;

use crate::scenario::{self, Scenario};
use crate::store;
use settings::Settings;

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
/// Exit status when a scenario failed in test mode, its setup failed, it stopped early, or
/// it had no successful request in a run; also when the report could not be written or a
/// push (`--push-gateway`, `--influx-url`) failed, unless a gate's status (3, 4) applies.
pub const EXIT_FAILED: i32 = 1;
/// Exit status for unusable arguments or configuration, including a missing `--baseline`
/// and a refused comparison (both found before any request is sent).
pub const EXIT_USAGE: i32 = 2;
/// Exit status when a gated metric regressed under `--fail-on-regression`, or an absolute
/// threshold was breached.
pub const EXIT_REGRESSED: i32 = 3;
/// Exit status under `--fail-on-regression` when the gate could not tell (a gated metric
/// or a threshold was inconclusive), unless `--allow-inconclusive`.
pub const EXIT_INCONCLUSIVE: i32 = 4;
/// Exit status after SIGINT (Ctrl-C); the finished samples are stored first.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Exit status after SIGTERM (how CI cancels a job); the finished samples are stored first.
pub const EXIT_TERMINATED: i32 = 143;

/// Entry point of a bench binary: parses the process arguments and runs. Returns the exit
/// status.
pub fn run_main() -> i32 {
    run_with_args(std::env::args_os())
}

/// Runs the `#[llm_bench]` scenarios linked into this binary with these command-line
/// arguments (the first is the program's name), as the `main` of [`main!`](crate::main)
/// does with the process's own, and returns the exit status (0 success; 1 a scenario
/// failed; 2 bad arguments or configuration; 3 a gated metric regressed under
/// `--fail-on-regression`, or a threshold was breached; 4 the gate could not tell under
/// `--fail-on-regression`; 130 interrupted by SIGINT, 143 by SIGTERM).
///
/// ```no_run
/// // In a bench target's own `main`: run every scenario as `cargo bench` would, quietly.
/// let code = llm_bench::run_with_args(["latency", "--bench", "--quiet"]);
/// std::process::exit(code);
/// ```
pub fn run_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    run_scenarios_with_args(scenario::registered(), args)
}

/// [`run_with_args`] for scenarios made at run time rather than registered by
/// `#[llm_bench]`: the `llm-bench run` command's scenarios from a config file (leaked, as
/// the registered ones are `'static`). The same runner, store and report.
#[doc(hidden)]
pub fn run_scenarios_with_args<I, T>(all: Vec<&'static Scenario>, args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let raw: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    match Args::try_parse_from(&raw) {
        Ok(args) => run_parsed(args, &raw, all),
        Err(e) => {
            // A flag of a cargo feature this build lacks: say which feature.
            let e = cli::feature_flag_error(&e).unwrap_or(e);
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            code
        }
    }
}

/// Runs the scenarios `all` with already parsed arguments (`raw` as given: a worker of
/// `--compare-with` gets them too). Returns the exit status.
fn run_parsed(args: Args, raw: &[std::ffi::OsString], all: Vec<&'static Scenario>) -> i32 {
    if let Err(e) = scenario::check_unique(&all) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let selected: Vec<&'static Scenario> = all
        .iter()
        .copied()
        .filter(|s| args.selects(&s.id()))
        .collect();
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
    if args.worker {
        return runtime.block_on(paired::worker::serve(&args, &selected));
    }
    runtime.block_on(run_selected(&args, raw, &selected, &all))
}

async fn run_selected(
    args: &Args,
    raw: &[std::ffi::OsString],
    selected: &[&'static Scenario],
    registered: &[&'static Scenario],
) -> i32 {
    let settings = match Settings::from_args(args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let stop_rx = interrupt::listen(args.grace.unwrap_or(interrupt::DEFAULT_GRACE));
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
    if args.bench_mode() && args.prune {
        if let Err(e) = prune(&settings, registered) {
            eprintln!("error: --prune: {e}");
            return EXIT_FAILED;
        }
    }
    if args.bench_mode() && args.load_baseline.is_some() {
        // Re-analysis of stored samples: no request is sent, so no endpoint is needed.
        let origin = store::current_origin();
        if let Err(e) = store::record_target(&settings.root, &origin, &ids(registered)) {
            eprintln!("error: {e}");
            return EXIT_FAILED;
        }
        let status = bench::analyse_stored(args, &settings, selected, &origin);
        return finish_bench(args, &settings, status).await;
    }
    let endpoints = match endpoint::Endpoints::resolve(selected).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if !args.bench_mode() {
        return test_all(args, &settings, selected, &endpoints, stop_rx).await;
    }
    let prepared = match bench::preflight(args, &settings, selected, registered, &endpoints) {
        Ok(prepared) => prepared,
        Err(errors) => {
            // A bad flag is found once per scenario: say it once.
            let mut said: Vec<String> = Vec::new();
            for e in &errors {
                let message = e.to_string();
                if !said.contains(&message) {
                    eprintln!("error: {message}");
                    said.push(message);
                }
            }
            eprintln!("llm-bench: nothing was run: fix the above first (no request was sent)");
            return EXIT_USAGE;
        }
    };
    let origin = store::current_origin();
    if let Err(e) = store::record_target(&settings.root, &origin, &ids(registered)) {
        eprintln!("error: {e}");
        return EXIT_FAILED;
    }
    let mut status = match &args.compare_with {
        Some(path) => {
            paired::bench_paired(
                args,
                raw,
                &settings,
                prepared,
                &endpoints,
                &origin,
                stop_rx.clone(),
                path,
            )
            .await
        }
        None if args.interleave => {
            interleave::bench_interleaved(
                args,
                &settings,
                prepared,
                &endpoints,
                &origin,
                stop_rx.clone(),
            )
            .await
        }
        None => {
            bench::bench_all(
                args,
                &settings,
                prepared,
                &endpoints,
                &origin,
                stop_rx.clone(),
            )
            .await
        }
    };
    status.signal = stop_rx.borrow().signal();
    finish_bench(args, &settings, status).await
}

/// The ids of `scenarios`.
fn ids(scenarios: &[&'static Scenario]) -> Vec<String> {
    scenarios.iter().map(|s| s.id()).collect()
}

/// `--prune`: removes the stored results of scenarios this bench target no longer has.
fn prune(settings: &Settings, registered: &[&'static Scenario]) -> crate::Result<()> {
    let origin = store::current_origin();
    let removed = store::prune(&settings.root, &origin, &ids(registered))?;
    if removed.is_empty() {
        println!(
            "llm-bench: --prune: bench target `{}` stored no scenario it no longer has",
            origin.bench_target
        );
    }
    for id in removed {
        println!("llm-bench: --prune: removed the stored results of `{id}` (no longer in bench target `{}`)", origin.bench_target);
    }
    Ok(())
}

/// How a bench run went, over all scenarios.
#[derive(Debug, Default, Clone)]
pub(crate) struct Status {
    /// The scenarios (and steps) of this run compared with a baseline or another build, in
    /// order: the false-discovery control runs over their gated comparisons.
    pub compared: Vec<String>,
    pub failed: bool,
    pub usage: bool,
    /// A gated metric regressed.
    pub regressed: bool,
    /// An absolute threshold was breached.
    pub breached: bool,
    /// The gate could not tell for some scenario.
    pub inconclusive: bool,
    pub interrupted: bool,
    /// The signal that interrupted the run, if one did.
    pub(crate) signal: Option<interrupt::Signal>,
    pub budget_exhausted: bool,
    /// One row per scenario (and step) judged in this run, in order, for the summary at
    /// its end.
    pub(crate) summary: Vec<summary_table::SummaryRow>,
}

impl Status {
    /// Adds what a later part of the same run found.
    fn absorb(&mut self, later: Status) {
        self.compared.extend(later.compared);
        self.failed |= later.failed;
        self.usage |= later.usage;
        self.regressed |= later.regressed;
        self.breached |= later.breached;
        self.inconclusive |= later.inconclusive;
        self.interrupted |= later.interrupted;
        self.signal = self.signal.or(later.signal);
        self.budget_exhausted |= later.budget_exhausted;
        self.summary.extend(later.summary);
    }

    /// The exit status, with the line that explains it when it is a gate's.
    fn exit_code(&self, args: &Args) -> (i32, Option<String>) {
        if self.interrupted {
            let code = self
                .signal
                .map_or(EXIT_INTERRUPTED, interrupt::Signal::exit_code);
            (code, None)
        } else if self.usage {
            (EXIT_USAGE, None)
        } else if self.breached {
            (
                EXIT_REGRESSED,
                Some(format!(
                    "llm-bench: a threshold was breached: exit status {EXIT_REGRESSED}"
                )),
            )
        } else if self.regressed && args.fail_on_regression {
            (
                EXIT_REGRESSED,
                Some(format!(
                    "llm-bench: a gated metric regressed (--fail-on-regression): exit status {EXIT_REGRESSED}"
                )),
            )
        } else if self.inconclusive && args.fail_on_inconclusive() {
            (
                EXIT_INCONCLUSIVE,
                Some(format!(
                    "llm-bench: the gate could not tell for some scenario (see `cannot tell` above; --allow-inconclusive passes such runs): exit status {EXIT_INCONCLUSIVE}"
                )),
            )
        } else if self.failed {
            (EXIT_FAILED, None)
        } else {
            (EXIT_OK, None)
        }
    }
}

/// Writes the report, exports the saved baseline if asked, pushes the run if asked, then
/// turns the status into an exit code.
async fn finish_bench(args: &Args, settings: &Settings, mut status: Status) -> i32 {
    if !args.no_fdr {
        fdr::control_false_discoveries(settings, &mut status);
    }
    // With `--quiet` each run printed its one line instead of a block: no table either.
    if !args.quiet && !status.summary.is_empty() {
        let terminal = progress::stdout_is_interactive();
        println!(
            "{}",
            summary_table::summary_table(&status.summary, terminal)
        );
    }
    let origin = store::current_origin();
    match reporting::write_all(&settings.root, !args.noplot, &settings.exporters, &origin) {
        Ok(w) => w.print(),
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
    #[cfg(any(feature = "prometheus", feature = "influxdb"))]
    push_all(args, settings, &origin, &mut status).await;
    if status.budget_exhausted {
        if let Some(budget) = &settings.budget {
            println!(
                "llm-bench: stopped at the cost budget: ${:.4} spent of ${:.4} (--max-cost)",
                budget.spent(),
                budget.limit()
            );
        }
    }
    let (code, line) = status.exit_code(args);
    if let Some(line) = line {
        eprintln!("{line}");
    }
    code
}

/// `--push-gateway`, `--influx-url`: pushes this bench target's stored runs, one line each
/// (none with `--quiet`). A failed push is one error line and fails the run (exit status 1,
/// unless a gate's status wins); what is stored and written stays.
#[cfg(any(feature = "prometheus", feature = "influxdb"))]
async fn push_all(
    args: &Args,
    settings: &Settings,
    origin: &store::RunOrigin,
    status: &mut Status,
) {
    let pushes = match reporting::prepare_pushes(&settings.root, &settings.pushes, origin) {
        Ok(pushes) => pushes,
        Err(e) => {
            eprintln!("error: nothing was pushed: {e}");
            status.failed = true;
            return;
        }
    };
    for push in pushes {
        match push.send().await {
            Ok(line) => {
                if !args.quiet {
                    println!("{line}");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                status.failed = true;
            }
        }
    }
}

/// Test mode (`cargo test --benches`): every scenario once (after its setup), nothing
/// stored.
async fn test_all(
    args: &Args,
    settings: &Settings,
    selected: &[&'static Scenario],
    endpoints: &endpoint::Endpoints,
    stop: interrupt::StopWatch,
) -> i32 {
    let (mut passed, mut failed) = (0, 0);
    println!("\nrunning {} scenarios once (test mode)", selected.len());
    for &s in selected {
        let prepared = settings.for_scenario(args, s, false).and_then(|x| {
            let endpoint = endpoints.for_scenario(s)?;
            Ok((
                bench::scenario_env(s, endpoint, &x, settings.rate_limits.as_ref())?,
                x,
                endpoint,
            ))
        });
        let (env, scenario_settings, endpoint) = match prepared {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        };
        let requests_before = endpoints.simulated_requests();
        let outcome = runner::run_scenario(
            s,
            env.clone(),
            &scenario_settings.plan,
            &runner::Costing::default(),
            stop.clone(),
            Arc::new(runner::Live::default()),
            |_| {},
        )
        .await;
        if let Some(w) =
            bench::unreached_warning(&s.id(), &env, endpoint, endpoints, requests_before)
        {
            eprintln!("{w}");
        }
        if outcome.interrupted {
            println!("test {} ... interrupted", s.id());
            return stop
                .borrow()
                .signal()
                .map_or(EXIT_INTERRUPTED, interrupt::Signal::exit_code);
        }
        let error = outcome
            .samples
            .first()
            .and_then(|x| x.error.as_ref())
            .map(|e| format!("{}: {}", e.class, e.message))
            .or(outcome.stopped_early);
        match error {
            None => {
                passed += 1;
                println!("test {} ... ok", s.id());
            }
            Some(e) => {
                failed += 1;
                println!("test {} ... FAILED\n    {e}", s.id());
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
