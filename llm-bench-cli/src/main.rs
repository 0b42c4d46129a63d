//! The `llm-bench` command, for people who do not write Rust scenarios.
//!
//! * `llm-bench run [CONFIG]` runs the scenarios of a TOML or YAML config file with the
//!   harness `cargo bench` uses (without a file, a built-in quick check against the
//!   simulated endpoint).
//! * `llm-bench mock` serves the built-in simulated endpoint on a port, paced by a profile
//!   in `LLM_BENCH_MOCK_PROFILE`'s grammar (latency, capacity model, faults, drift), for
//!   other tools and for CI.
//! * `llm-bench compare A B` judges two stored sets of runs with the harness's statistics.
//! * `llm-bench baseline list|export|import|delete` manages the named baselines.
//! * `llm-bench merge INPUT...` combines the runs several machines stored of the same
//!   scenarios into one run each.
//! * `llm-bench report` writes the report again from the stored runs.
//! * `llm-bench completions SHELL` prints a shell's completion script.

mod baseline;
mod compare;
mod config;
mod merge;
mod mock;
mod report;
mod results;
mod rules;
mod run;
mod scenarios;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Benchmark the latency of streaming LLM APIs.
#[derive(Debug, Parser)]
#[command(
    name = "llm-bench",
    version,
    about = "Benchmark the latency of streaming LLM APIs.",
    long_about = "Benchmark the latency of streaming LLM APIs.\n\n\
                  Scenarios written in Rust run under `cargo bench` (see the README of \
                  llm-bench). This command serves the rest: `llm-bench run` runs the \
                  scenarios of a config file with the same harness, and `llm-bench mock` \
                  starts the simulated endpoint as a server other tools can measure.",
    after_help = "Examples:\n  \
                  llm-bench run                                    # a quick check against the simulated endpoint\n  \
                  llm-bench run bench.toml -- --save-baseline main\n  \
                  llm-bench compare main feature                   # two stored baselines, judged\n  \
                  llm-bench merge a=results-a b=results-b          # one run from two machines' runs\n  \
                  llm-bench report --export json,csv               # the report again, from the store\n  \
                  llm-bench mock --addr 127.0.0.1:8080 --profile 'ttft=200ms,itl=20ms,slots=8'\n  \
                  llm-bench completions bash > ~/.local/share/bash-completion/completions/llm-bench"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Run(run::RunArgs),
    Compare(compare::CompareArgs),
    Baseline(baseline::BaselineArgs),
    Merge(merge::MergeArgs),
    Report(report::ReportArgs),
    Mock(mock::MockArgs),
    Completions(CompletionsArgs),
}

/// Print the completion script of a shell (bash, zsh, fish, elvish, powershell).
#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Baseline(args) => baseline::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Report(args) => report::run(args),
        Command::Mock(args) => mock::run(args),
        Command::Completions(args) => {
            clap_complete::generate(
                args.shell,
                &mut Cli::command(),
                "llm-bench",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}
