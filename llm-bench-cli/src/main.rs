//! The `llm-bench` command, for people who do not write Rust scenarios.
//!
//! `llm-bench mock` serves the built-in simulated endpoint on a port, paced by a profile in
//! `LLM_BENCH_MOCK_PROFILE`'s grammar (latency, capacity model, faults, drift), for other
//! tools and for CI. The other subcommands of the plan (`run`, `compare`, `report`,
//! `baseline`, `merge`) are not built yet.

mod mock;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmark the latency of streaming LLM APIs.
#[derive(Debug, Parser)]
#[command(
    name = "llm-bench",
    version,
    about = "Benchmark the latency of streaming LLM APIs.",
    long_about = "Benchmark the latency of streaming LLM APIs.\n\n\
                  Scenarios written in Rust run under `cargo bench` (see the README of \
                  llm-bench). This command serves the rest: `llm-bench mock` starts the \
                  simulated endpoint those scenarios use when no endpoint is configured, as \
                  a server other tools can measure.",
    after_help = "Examples:\n  \
                  llm-bench mock                                   # serve on a free port of 127.0.0.1\n  \
                  llm-bench mock --addr 127.0.0.1:8080 --profile 'ttft=200ms,itl=20ms,slots=8'\n  \
                  LLM_BENCH_MOCK_PROFILE='error_rate=0.05' llm-bench mock"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Mock(mock::MockArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Mock(args) => mock::run(args),
    }
}
