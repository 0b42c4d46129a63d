//! The `--results DIR` argument the subcommands that read or write stored runs share.

use std::path::PathBuf;

use clap::Args;

/// Exit status for bad arguments or input, as the harness uses.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Where stored runs are: the results directory `llm-bench run` writes.
#[derive(Debug, Args)]
pub(crate) struct ResultsDir {
    /// The results directory.
    #[arg(
        long = "results",
        value_name = "DIR",
        env = "LLM_BENCH_HOME",
        default_value = "llm-bench-results"
    )]
    pub(crate) path: PathBuf,
}
