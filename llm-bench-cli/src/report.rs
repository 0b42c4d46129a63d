//! `llm-bench report`: the HTML report, the Markdown summary and the exports written again
//! from the stored runs alone (after `merge`, after copying results from elsewhere, or for
//! other exports), for the invocation that stored the most recent run.

use std::process::ExitCode;

use clap::Args;
use llm_bench::__cli::rebuild_report;

use crate::results::{ResultsDir, EXIT_USAGE};

/// Write the report again from the stored runs; nothing is measured.
#[derive(Debug, Args)]
#[command(
    long_about = "Write the HTML report, the Markdown summary and the exports again from the \
                  runs stored in the results directory; nothing is measured. The report is \
                  that of the run stored last (an `llm-bench run`, a `cargo bench`, a \
                  merge): its scenarios are the report's, the other stored scenarios are \
                  shown as not run this time. It goes to DIR/report/.",
    after_help = "Examples:\n  \
                  llm-bench report\n  \
                  llm-bench report --results merged --export json,csv"
)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    results: ResultsDir,

    /// Also write these exports: a comma-separated list of json, csv, bmf, github,
    /// github-bigger.
    #[arg(long, value_name = "LIST", default_value = "")]
    export: String,

    /// No charts (faster; the tables stay).
    #[arg(long)]
    noplot: bool,
}

/// Runs `llm-bench report`.
pub(crate) fn run(args: ReportArgs) -> ExitCode {
    match rebuild_report(&args.results.path, !args.noplot, &args.export, None) {
        Ok(written) => {
            written.print();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
