//! `llm-bench run [CONFIG]`: the scenarios of a config file, run by the harness `cargo bench`
//! uses (the same runner, statistics, store, report and exit statuses).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::config::{self, Config, Target, QUICK_CHECK, QUICK_CHECK_NAME};
use crate::scenarios;

use crate::results::EXIT_USAGE;

/// The variables that would point the quick check at a real endpoint.
const ENDPOINT_VARIABLES: &[&str] = &[
    "LLM_BENCH_PROVIDER",
    "LLM_BENCH_BASE_URL",
    "OPENAI_BASE_URL",
];

/// Run the scenarios of a config file (or, without one, the built-in quick check).
#[derive(Debug, Args)]
#[command(
    long_about = "Run the scenarios of a config file (TOML, or YAML with a .yaml/.yml name) \
                  with the harness `cargo bench` uses: each request timed token by token, the \
                  run stored and compared with its baseline, the verdicts printed, the HTML \
                  report written.\n\n\
                  Without CONFIG it runs a built-in quick check (two short scenarios) against \
                  the simulated endpoint: no key, no network.\n\n\
                  The endpoint is the config's [target]; what it leaves out comes from the \
                  environment as for `cargo bench` (LLM_BENCH_PROVIDER, LLM_BENCH_BASE_URL, the \
                  vendor's variables); with none, the simulated endpoint. API keys are read \
                  from the vendor's usual variable (OPENAI_API_KEY, ...), never from the file.",
    after_help = "Examples:\n  \
                  llm-bench run                                   # the quick check\n  \
                  llm-bench run bench.toml\n  \
                  llm-bench run bench.toml -- --samples 50 --save-baseline main\n  \
                  llm-bench run bench.toml -- chat/ --baseline main --fail-on-regression\n  \
                  llm-bench run bench.yaml --check                # check the file, send nothing\n  \
                  llm-bench run -- --help                         # every harness argument"
)]
pub(crate) struct RunArgs {
    /// The config file: TOML (.toml) or YAML (.yaml, .yml). Without it, the built-in quick
    /// check runs against the simulated endpoint.
    #[arg(value_name = "CONFIG")]
    config: Option<PathBuf>,

    /// Where runs and baselines are stored, and the report written.
    #[arg(
        long,
        value_name = "DIR",
        env = "LLM_BENCH_HOME",
        default_value = "llm-bench-results"
    )]
    results: PathBuf,

    /// Check the config file and list its scenarios; send no request.
    #[arg(long)]
    check: bool,

    /// Print the quick check's config file (a start for your own) and exit.
    #[arg(long, conflicts_with_all = ["config", "check"])]
    print_quick_check: bool,

    /// The harness's arguments, after `--`, as after `cargo bench --`: FILTER, --samples N,
    /// --save-baseline NAME, --baseline NAME, --fail-on-regression, --export FORMATS, --test,
    /// --quiet, ... (`llm-bench run -- --help` lists them all).
    #[arg(last = true, value_name = "HARNESS_ARGS")]
    harness: Vec<OsString>,
}

/// Runs `llm-bench run`; the exit status is the harness's.
pub(crate) fn run(args: RunArgs) -> ExitCode {
    if args.print_quick_check {
        print!("{QUICK_CHECK}");
        return ExitCode::SUCCESS;
    }
    let (config, file) = match &args.config {
        Some(path) => match config::load(path) {
            Ok(config) => (config, path.display().to_string()),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => match config::parse(Path::new("quick_check.toml"), QUICK_CHECK) {
            Ok(config) => (config, QUICK_CHECK_NAME.to_owned()),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    if args.check {
        print_check(&file, &config);
        return ExitCode::SUCCESS;
    }
    let only_asks = args
        .harness
        .iter()
        .any(|a| a == "--help" || a == "-h" || a == "--list");
    if args.config.is_none() && !only_asks {
        eprintln!(
            "llm-bench: no config file given: running the built-in quick check against the simulated endpoint \
             (`llm-bench run --print-quick-check` prints it; `llm-bench run CONFIG` runs yours)"
        );
    }
    if args.config.is_none() {
        // The quick check never measures a real endpoint, whatever the environment says.
        for variable in ENDPOINT_VARIABLES {
            std::env::remove_var(variable);
        }
    }
    // Single-threaded still: the harness starts its runtime after this.
    apply_target(&config.target);
    std::env::set_var("LLM_BENCH_HOME", &args.results);
    let scenarios = scenarios::register(&config.scenarios, &file);
    let mut harness_args: Vec<OsString> = vec!["llm-bench run".into()];
    if !args.harness.iter().any(|a| a == "--test") {
        harness_args.push("--bench".into());
    }
    harness_args.extend(args.harness);
    let code = llm_bench::__cli::run_scenarios_with_args(scenarios, harness_args);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Points the harness at the config's endpoint: what `[target]` gives wins over the
/// environment.
fn apply_target(target: &Target) {
    if let Some(provider) = &target.provider {
        std::env::set_var("LLM_BENCH_PROVIDER", provider);
    }
    if let Some(url) = &target.base_url {
        std::env::set_var("LLM_BENCH_BASE_URL", url);
    }
    if let Some(model) = &target.model {
        std::env::set_var("LLM_BENCH_MODEL", model);
    }
}

fn print_check(file: &str, config: &Config) {
    let n = config.scenarios.len();
    println!(
        "{file}: {n} scenario{}, nothing wrong found",
        if n == 1 { "" } else { "s" }
    );
    let target = &config.target;
    match (&target.provider, &target.base_url) {
        (None, None) => println!("  endpoint: from the environment, else the simulated endpoint"),
        (provider, url) => println!(
            "  endpoint: {} at {}",
            provider.as_deref().unwrap_or("the environment's provider"),
            url.as_deref().unwrap_or("the environment's base URL")
        ),
    }
    for spec in &config.scenarios {
        println!("  {} (line {})", spec.id(), spec.line);
    }
}
