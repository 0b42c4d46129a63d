//! Command-line arguments of a bench binary (what follows `cargo bench --`).

use clap::Parser;

/// Arguments of a bench binary built with [`main!`](crate::main).
///
/// `cargo bench` passes `--bench`; without it (as under `cargo test --benches`) the binary
/// runs in test mode: every selected scenario once, fast, nothing stored.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "llm-bench",
    about = "Runs the #[llm_bench] scenarios of this bench target",
    version,
    disable_help_subcommand = true
)]
pub struct Args {
    /// Run only scenarios whose id contains this text (with --exact: equals it).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,

    /// Match the filter against whole scenario ids.
    #[arg(long)]
    pub exact: bool,

    /// List the scenarios (`<id>: benchmark`, as libtest and nextest expect) and exit.
    #[arg(long)]
    pub list: bool,

    /// Output format of --list (`terse` or `pretty`; both print one line per scenario).
    #[arg(long, value_name = "FORMAT", value_parser = ["terse", "pretty", "json"])]
    pub format: Option<String>,

    /// Select ignored tests (there are none: with --list, prints nothing).
    #[arg(long)]
    pub ignored: bool,

    /// Passed by `cargo bench`: measure and store (without it, test mode).
    #[arg(long)]
    pub bench: bool,

    /// Force test mode: every scenario once, nothing stored.
    #[arg(long, conflicts_with = "bench")]
    pub test: bool,

    /// Measured requests per scenario (overrides the attribute).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub samples: Option<u32>,

    /// Warm-up requests per scenario, run first and discarded (overrides the attribute).
    #[arg(long, value_name = "N")]
    pub warmup: Option<u32>,

    /// Requests in flight at once (overrides the attribute).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,

    /// Print less: one line per scenario.
    #[arg(long, short)]
    pub quiet: bool,

    /// Accepted for libtest compatibility (output is never captured).
    #[arg(long, hide = true)]
    pub nocapture: bool,

    /// Accepted for libtest compatibility.
    #[arg(long, hide = true)]
    pub show_output: bool,

    /// Accepted for libtest compatibility.
    #[arg(long, hide = true, value_name = "N")]
    pub test_threads: Option<usize>,

    /// Accepted for libtest compatibility.
    #[arg(long, hide = true, value_name = "WHEN")]
    pub color: Option<String>,
}

impl Args {
    /// True when measuring (`--bench` given), false in test mode.
    pub fn bench_mode(&self) -> bool {
        self.bench && !self.test
    }

    /// Does the scenario id pass the filter?
    pub fn selects(&self, id: &str) -> bool {
        match &self.filter {
            None => true,
            Some(f) if self.exact => id == f,
            Some(f) => id.contains(f.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("bench").chain(args.iter().copied()))
    }

    #[test]
    fn cargo_bench_arguments_parse() {
        let a = parse(&["--bench"]).unwrap();
        assert!(a.bench_mode());
        let a = parse(&["chat", "--bench", "--samples", "5"]).unwrap();
        assert_eq!(a.filter.as_deref(), Some("chat"));
        assert_eq!(a.samples, Some(5));
    }

    #[test]
    fn no_bench_flag_is_test_mode() {
        assert!(!parse(&[]).unwrap().bench_mode());
    }

    #[test]
    fn nextest_listing_arguments_parse() {
        let a = parse(&["--list", "--format", "terse"]).unwrap();
        assert!(a.list);
        let a = parse(&["chat/short", "--exact", "--nocapture"]).unwrap();
        assert!(a.selects("chat/short"));
        assert!(!a.selects("chat/short2"));
    }

    #[test]
    fn substring_filter() {
        let a = parse(&["short"]).unwrap();
        assert!(a.selects("chat/short_turn"));
        assert!(!a.selects("chat/long"));
    }

    #[test]
    fn unknown_flags_and_bad_values_are_errors() {
        let err = parse(&["--sampels", "3"]).unwrap_err();
        assert!(err.to_string().contains("--sampels"), "{err}");
        assert!(parse(&["--samples", "0"]).is_err());
        assert!(parse(&["--concurrency", "many"]).is_err());
    }
}
