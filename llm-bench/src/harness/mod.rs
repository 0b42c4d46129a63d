//! The harness behind [`main!`](crate::main): selects scenarios, runs them, prints and
//! stores the results.

mod cli;
mod console;
mod endpoint;
mod runner;
mod summarize;

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Parser;
use tokio::sync::watch;

pub use cli::Args;
pub use console::format_duration_ns;

use crate::context::ScenarioEnv;
use crate::scenario::{self, Scenario};
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
    let endpoint = match endpoint::resolve().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
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
        bench_all(args, selected, &endpoint, stop_rx).await
    } else {
        test_all(selected, &endpoint, stop_rx).await
    }
}

fn env_for(scenario: &Scenario, endpoint: &endpoint::Endpoint) -> Arc<ScenarioEnv> {
    Arc::new(ScenarioEnv {
        client: endpoint.client.clone(),
        model: scenario.config.model.map(str::to_string),
    })
}

/// Test mode (`cargo test --benches`): every scenario once, nothing stored.
async fn test_all(
    selected: &[&'static Scenario],
    endpoint: &endpoint::Endpoint,
    stop: watch::Receiver<bool>,
) -> i32 {
    let (mut passed, mut failed) = (0, 0);
    println!("\nrunning {} scenarios once (test mode)", selected.len());
    for &s in selected {
        let plan = Plan {
            samples: 1,
            warmup: 0,
            concurrency: 1,
            timeout: s.config.timeout().unwrap_or(DEFAULT_TIMEOUT),
        };
        let outcome =
            runner::run_scenario(s, env_for(s, endpoint), plan, stop.clone(), |_, _| {}).await;
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

/// Bench mode (`cargo bench`): measure, print, store.
async fn bench_all(
    args: &Args,
    selected: &[&'static Scenario],
    endpoint: &endpoint::Endpoint,
    stop: watch::Receiver<bool>,
) -> i32 {
    let root = store::output_root();
    let mut status = EXIT_OK;
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
        let progress = progress_printer(id.clone(), args.quiet);
        let started = SystemTime::now();
        let outcome =
            runner::run_scenario(s, env_for(s, endpoint), plan, stop.clone(), progress).await;
        clear_progress(args.quiet);
        let info = endpoint.info(s.config.model);
        let run = summarize::stored_run(s, info, plan, started, outcome);
        if args.quiet {
            println!("{}", quiet_line(&run));
        } else {
            print!("{}", console::scenario_block(&run));
        }
        if !run.samples.is_empty() {
            match store::save_new(&root, &run) {
                Ok(path) if !args.quiet => println!("  stored: {}\n", path.display()),
                Ok(_) => {}
                Err(e) => {
                    eprintln!("error: {e}");
                    status = EXIT_FAILED;
                }
            }
        }
        if run.interrupted {
            return EXIT_INTERRUPTED;
        }
        if run.samples.iter().all(|x| !x.is_ok()) {
            eprintln!("error: every request of `{id}` failed");
            status = EXIT_FAILED;
        }
    }
    status
}

fn quiet_line(run: &store::StoredRun) -> String {
    use crate::metrics::Metric;
    let p50 = |m: Metric| {
        run.summary
            .get(&m)
            .map(|s| format_duration_ns(s.p50))
            .unwrap_or_else(|| "-".into())
    };
    format!(
        "{}: TTFT p50 {}  TPOT p50 {}  E2E p50 {}  ({} samples, {} failed)",
        run.scenario.id,
        p50(Metric::Ttft),
        p50(Metric::Tpot),
        p50(Metric::E2e),
        run.samples.len(),
        run.errors.values().sum::<u64>()
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
