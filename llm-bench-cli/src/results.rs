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

/// Prints where a report went, as the harness does after a run.
pub(crate) fn print_written(w: &llm_bench::__cli::Written) {
    match &w.index {
        Some(index) => println!("llm-bench: report {}", index.display()),
        None => println!(
            "llm-bench: no HTML report (llm-bench was built without its `html-report` feature)"
        ),
    }
    println!("llm-bench: summary {}", w.summary.display());
    for why in &w.left_out {
        eprintln!("warning: the report leaves out a stored file it cannot read: {why}");
    }
    for path in &w.exports {
        println!("llm-bench: export {}", path.display());
    }
}
