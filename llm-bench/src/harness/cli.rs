//! Command-line arguments of a bench binary (what follows `cargo bench --`).

use std::time::Duration;

use clap::Parser;

/// Arguments of a bench binary built with [`main!`](crate::main): what follows
/// `cargo bench --`.
///
/// `cargo bench` passes `--bench`; without it (as under `cargo test --benches`) the binary
/// runs in test mode: every selected scenario once, fast, nothing stored. The field docs are
/// also the `--help` text, so they are plain text.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "llm-bench",
    about = "Runs the #[llm_bench] scenarios of this bench target.",
    long_about = "Runs the #[llm_bench] scenarios of this bench target: under cargo bench it \
                  measures each one, compares it with its baseline, stores the run under \
                  target/llm-bench and writes the report; without --bench (cargo test \
                  --benches) it runs each scenario once as a test.",
    after_help = "Exit status: 0 success; 1 a scenario failed (or the report or a push did); \
                  2 bad arguments or configuration; \
                  3 a gated metric regressed (--fail-on-regression) or a threshold was breached; \
                  4 the gate could not tell (--fail-on-regression without --allow-inconclusive); \
                  130 interrupted.",
    version,
    disable_help_subcommand = true,
    group = clap::ArgGroup::new("in_pairs").args(["compare_with", "interleave"]).multiple(false)
)]
pub struct Args {
    /// Run only scenarios whose id contains this text (with --exact: equals it).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,

    /// Match the filter against whole scenario ids.
    #[arg(long)]
    pub exact: bool,

    /// List the scenarios, one "<id>: benchmark" line each (as libtest and nextest print),
    /// and exit.
    #[arg(long)]
    pub list: bool,

    /// Format of --list, for libtest and nextest compatibility: terse or pretty (both print
    /// one "<id>: benchmark" line per scenario).
    #[arg(long, value_name = "FORMAT", value_parser = ["terse", "pretty"])]
    pub format: Option<String>,

    /// Select ignored tests (there are none: with --list, prints nothing).
    #[arg(long)]
    pub ignored: bool,

    /// Passed by cargo bench: measure and store (without it, test mode).
    #[arg(long)]
    pub bench: bool,

    /// Test mode even under cargo bench: every scenario once, nothing stored.
    #[arg(long)]
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

    /// Time limit of one invocation, e.g. 30s (overrides the attribute; default 120s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Time limit for opening a connection (built-in client; default 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub connect_timeout: Option<Duration>,

    /// Time limit from a request's start to its response headers (built-in client; default
    /// 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub first_byte_timeout: Option<Duration>,

    /// Time limit from a request's start to its first output event (default 60s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub first_token_timeout: Option<Duration>,

    /// Longest gap allowed between two events of a stream (default 30s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// After SIGINT or SIGTERM, how long the requests in flight may take to finish before
    /// they are cut off, e.g. 10s (default 5s; a second signal cuts them at once).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub grace: Option<Duration>,

    /// Stop a scenario after this many failed requests in a row (default 5; 0: never).
    #[arg(long, value_name = "N")]
    pub max_consecutive_failures: Option<u32>,

    /// Open loop: start requests at this rate, whether or not earlier ones ended, e.g.
    /// 200/s or 600/min (overrides the attribute's rate and concurrency).
    #[arg(long, value_name = "RATE", conflicts_with = "concurrency")]
    pub rate: Option<String>,

    /// Open loop: how arrivals are spaced: constant, poisson (default) or gamma:<shape>
    /// (below 1 burstier, above 1 more regular).
    #[arg(long, value_name = "ARRIVAL")]
    pub arrival: Option<String>,

    /// Open loop: raise the rate linearly from 0 over this time, e.g. 10s.
    #[arg(long, value_name = "DURATION")]
    pub ramp_up: Option<String>,

    /// Seed of the open-loop schedule (default 0: the same arrivals every run).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Start no request after this time, e.g. 60s (with --samples as the most requests;
    /// in open loop without --samples: rate x duration requests).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// Start no request once this many output tokens came back.
    #[arg(long, value_name = "N")]
    pub max_output_tokens: Option<u64>,

    /// Stop once the 95% interval of a metric's median is within this share of it, e.g.
    /// "ttft 5%" (--samples is the cap).
    #[arg(long, value_name = "PRECISION")]
    pub until: Option<String>,

    /// Service-level objectives for goodput and --search, e.g. "p99 ttft <= 500ms, p90
    /// tpot <= 50ms" (overrides the attribute's).
    #[arg(long, value_name = "OBJECTIVES")]
    pub slo: Option<String>,

    /// Run each scenario once per step: "rate 10,20,40" or "concurrency 1..64:7 log";
    /// each step is stored as <id>/<step> (overrides the attribute's).
    #[arg(long, value_name = "STEPS", conflicts_with = "search")]
    pub sweep: Option<String>,

    /// Find the highest rate (or concurrency) that meets the objectives by bisection, e.g.
    /// "rate 1..500"; needs --slo or the attribute's slo.
    #[arg(long, value_name = "RANGE")]
    pub search: Option<String>,

    /// Replay this trace (JSON lines of offset_ms, prompt or prompt_tokens, output_tokens;
    /// Mooncake's fields too): each request starts when its line says (overrides the
    /// attribute's load).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,

    /// Retry a request answered 429, 5xx or refused up to N times, honouring Retry-After
    /// (built-in client; default 0). Retried attempts are counted, not timed.
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Client-side limit of requests per second (or per minute), e.g. 10/s or 500/min, as
    /// providers quote them (built-in client).
    #[arg(long, value_name = "RATE")]
    pub rate_limit: Option<String>,

    /// Client-side limit of tokens per minute (prompt + max_tokens of each request), e.g.
    /// 90000 (built-in client).
    #[arg(long, value_name = "N")]
    pub token_limit: Option<u32>,

    /// Save the run as this baseline (default base); it is first compared with the
    /// baseline of that name, if one is stored.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["baseline", "baseline_lenient", "load_baseline"])]
    pub save_baseline: Option<String>,

    /// Compare with this baseline and save none; every selected scenario must have it
    /// (checked before any request is sent).
    #[arg(long, value_name = "NAME", conflicts_with = "baseline_lenient")]
    pub baseline: Option<String>,

    /// Like --baseline, but a scenario without that baseline is only reported.
    #[arg(long, value_name = "NAME")]
    pub baseline_lenient: Option<String>,

    /// Send no request: re-analyse this stored baseline (compare it with --baseline if
    /// given).
    #[arg(long, value_name = "NAME")]
    pub load_baseline: Option<String>,

    /// Save no baseline (the run is still stored under new/); a baseline measured against
    /// another endpoint, model or concurrency is then skipped instead of refused.
    #[arg(long, conflicts_with = "save_baseline")]
    pub discard_baseline: bool,

    /// Exit with status 3 when a gated metric regressed, and 4 when the gate could not tell
    /// (also LLM_BENCH_FAIL_ON_REGRESSION=1).
    #[arg(
        long,
        env = "LLM_BENCH_FAIL_ON_REGRESSION",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new(),
        hide_env_values = true
    )]
    pub fail_on_regression: bool,

    /// With --fail-on-regression: pass when a gated metric is inconclusive (too few
    /// samples, too many errors) instead of exiting with status 4 (also
    /// LLM_BENCH_ALLOW_INCONCLUSIVE=1).
    #[arg(
        long,
        env = "LLM_BENCH_ALLOW_INCONCLUSIVE",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new(),
        hide_env_values = true
    )]
    pub allow_inconclusive: bool,

    /// Metrics whose median regression fails the build, e.g. ttft,e2e (overrides the
    /// attribute's gate; default ttft,tpot).
    #[arg(long, value_name = "METRICS")]
    pub gate: Option<String>,

    /// Absolute thresholds checked for every selected scenario, besides the attribute's,
    /// e.g. "p95 ttft < 800ms, errors < 1%"; a breach exits with status 3.
    #[arg(long, value_name = "THRESHOLDS")]
    pub threshold: Option<String>,

    /// Compare with another build of this bench target, measured now in pairs: start the
    /// bench binary at PATH (e.g. the merge-base's, built into another target dir) and
    /// interleave both builds' requests against the same endpoint. Replaces the stored
    /// baseline comparison; scenarios only one build has are measured alone or skipped.
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with_all = ["baseline", "baseline_lenient", "load_baseline"]
    )]
    pub compare_with: Option<std::path::PathBuf>,

    /// Run the selected closed-loop scenarios head to head: their requests interleaved in
    /// rounds (one request of each per round), each compared in pairs with the first, so
    /// two models, prompts or providers meet the same conditions. Each scenario is still
    /// stored, and compared with its baseline, as usual.
    #[arg(long, conflicts_with = "compare_with")]
    pub interleave: bool,

    /// How --compare-with and --interleave send the requests of a pair (a round):
    /// alternate (one after the other, in a seeded random order, reversed every other
    /// round: ABBA; default) or simultaneous (all at once, so a slowdown of the server hits
    /// every one).
    #[arg(long, value_name = "ORDER", value_enum, default_value_t = crate::harness::paired::PairOrder::Alternate, requires = "in_pairs")]
    pub pairing: crate::harness::paired::PairOrder,

    /// Judge each gated metric on its raw p-value instead of controlling the false
    /// discovery rate over every gated comparison of the run (Benjamini-Hochberg, the
    /// default: with many scenarios and metrics, raw p-values flag some by chance).
    #[arg(long)]
    pub no_fdr: bool,

    /// Run as the worker of another build's --compare-with (set by that build only).
    #[arg(long = "llm-bench-worker", hide = true)]
    pub worker: bool,

    /// Compare even when the baseline was measured against another endpoint, model or
    /// concurrency.
    #[arg(long)]
    pub force_compare: bool,

    /// Relative change of a median treated as noise (default 0.05, i.e. 5%).
    #[arg(long, value_name = "FRACTION")]
    pub noise_threshold: Option<f64>,

    /// A change needs a p-value below this (default 0.01).
    #[arg(long, value_name = "P")]
    pub significance_level: Option<f64>,

    /// Confidence level of the bootstrap intervals (default 0.95).
    #[arg(long, value_name = "LEVEL")]
    pub confidence_level: Option<f64>,

    /// Bootstrap resamples per interval (default 10000; 0 skips intervals).
    #[arg(long, value_name = "N")]
    pub nresamples: Option<usize>,

    /// After the run, write every scenario of the saved baseline (--save-baseline, default
    /// base) into this one JSON file.
    #[arg(long, value_name = "FILE")]
    pub export_baseline: Option<std::path::PathBuf>,

    /// Before the run, store the baselines of this exported file (under their own name).
    #[arg(long, value_name = "FILE")]
    pub import_baseline: Option<std::path::PathBuf>,

    /// Before the run, remove the stored results of scenarios that this bench target
    /// stored but no longer has.
    #[arg(long)]
    pub prune: bool,

    /// Stop starting requests once they cost this many US dollars in all (priced from usage
    /// with the pricing table); the finished samples are kept, no baseline is replaced.
    #[arg(long, value_name = "USD", env = "LLM_BENCH_MAX_COST")]
    pub max_cost: Option<f64>,

    /// A pricing file overriding and extending the built-in table (also LLM_BENCH_PRICING).
    #[arg(long, value_name = "FILE")]
    pub pricing: Option<std::path::PathBuf>,

    /// Skip the charts of the HTML report.
    #[arg(long)]
    pub noplot: bool,

    /// Also write these exports into the report folder: a comma-separated list of json,
    /// csv, bmf (Bencher), github and github-bigger (github-action-benchmark), and with
    /// their cargo features prometheus and influx.
    #[arg(long, value_name = "FORMATS")]
    pub export: Option<String>,

    /// After the run, PUT this bench target's scenarios in the Prometheus text format to
    /// the Pushgateway at URL, as group job=llm_bench, bench_target=(this bench target) (also
    /// LLM_BENCH_PUSHGATEWAY_URL).
    #[cfg(feature = "prometheus")]
    #[arg(
        long,
        value_name = "URL",
        env = "LLM_BENCH_PUSHGATEWAY_URL",
        hide_env_values = true
    )]
    pub push_gateway: Option<String>,

    /// After the run, POST this bench target's scenarios in InfluxDB line protocol to
    /// URL/write (also LLM_BENCH_INFLUXDB_URL; a token in LLM_BENCH_INFLUXDB_TOKEN is sent
    /// as "Authorization: Token ...").
    #[cfg(feature = "influxdb")]
    #[arg(
        long,
        value_name = "URL",
        env = "LLM_BENCH_INFLUXDB_URL",
        hide_env_values = true
    )]
    pub influx_url: Option<String>,

    /// The InfluxDB database --influx-url writes to (default llm_bench; also
    /// LLM_BENCH_INFLUXDB_DB).
    #[cfg(feature = "influxdb")]
    #[arg(long, value_name = "NAME", env = "LLM_BENCH_INFLUXDB_DB")]
    pub influx_db: Option<String>,

    /// Print less: one line per scenario, and no progress.
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

/// The flags that exist only with a cargo feature of llm-bench: flag and feature.
pub(crate) const FEATURE_FLAGS: [(&str, &str); 3] = [
    ("--push-gateway", "prometheus"),
    ("--influx-url", "influxdb"),
    ("--influx-db", "influxdb"),
];

/// For a command line clap refused because of a flag this build left out (a cargo feature
/// of llm-bench has it), the error that says which feature: clap's "unexpected argument"
/// error with the feature named instead. `None` for any other error.
pub(crate) fn feature_flag_error(e: &clap::Error) -> Option<clap::Error> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(given)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let (flag, feature) = FEATURE_FLAGS.iter().find(|(flag, _)| {
        given
            .strip_prefix(flag)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
    })?;
    use clap::CommandFactory;
    Some(Args::command().error(
        ErrorKind::UnknownArgument,
        format!(
            "{flag} needs llm-bench's `{feature}` cargo feature, which this build was compiled \
             without; enable it where llm-bench is a dependency: llm-bench = {{ \
             version = \"0.1\", features = [\"{feature}\"] }}"
        ),
    ))
}

/// A duration flag: a number and a unit (ms, s or m), as the attribute's timeouts.
fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::rules::duration::parse_timeout_ms(text).map(Duration::from_millis)
}

impl Args {
    /// True when measuring (`--bench` given), false in test mode.
    pub fn bench_mode(&self) -> bool {
        self.bench && !self.test
    }

    /// True when a gate that could not tell fails the run (`--fail-on-regression` without
    /// `--allow-inconclusive`).
    pub fn fail_on_inconclusive(&self) -> bool {
        self.fail_on_regression && !self.allow_inconclusive
    }

    /// The statistics settings: defaults, overridden by the flags given; validated.
    pub fn stats_config(&self) -> Result<crate::stats::StatsConfig, crate::stats::StatsError> {
        let mut cfg = crate::stats::StatsConfig::default();
        if let Some(v) = self.noise_threshold {
            cfg.noise_threshold = v;
        }
        if let Some(v) = self.significance_level {
            cfg.significance_level = v;
        }
        if let Some(v) = self.confidence_level {
            cfg.confidence_level = v;
        }
        if let Some(v) = self.nresamples {
            cfg.nresamples = v;
        }
        cfg.validate()?;
        Ok(cfg)
    }

    /// The baseline a run is saved as, unless saving is off (`--baseline`,
    /// `--baseline-lenient`, `--load-baseline`, `--discard-baseline`).
    pub fn baseline_to_save(&self) -> Option<&str> {
        if self.compare_with.is_some() {
            // A paired run saves a baseline only when asked to.
            return self
                .save_baseline
                .as_deref()
                .filter(|_| !self.discard_baseline);
        }
        if self.discard_baseline
            || self.baseline.is_some()
            || self.baseline_lenient.is_some()
            || self.load_baseline.is_some()
        {
            return None;
        }
        Some(
            self.save_baseline
                .as_deref()
                .unwrap_or(crate::store::DEFAULT_BASELINE),
        )
    }

    /// The baseline to compare with, and whether a missing one is an error.
    pub fn baseline_to_compare(&self) -> Option<(&str, bool)> {
        if self.compare_with.is_some() {
            // Compared with the other build instead.
            return None;
        }
        if let Some(name) = &self.baseline {
            return Some((name, true));
        }
        if let Some(name) = &self.baseline_lenient {
            return Some((name, false));
        }
        if self.load_baseline.is_some() {
            return None;
        }
        Some((
            self.save_baseline
                .as_deref()
                .unwrap_or(crate::store::DEFAULT_BASELINE),
            false,
        ))
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
    fn criterion_baseline_flags_keep_their_meaning() {
        // default: compare with `base` if present, then save as `base`
        let a = parse(&["--bench"]).unwrap();
        assert_eq!(a.baseline_to_compare(), Some(("base", false)));
        assert_eq!(a.baseline_to_save(), Some("base"));
        let a = parse(&["--bench", "--save-baseline", "main"]).unwrap();
        assert_eq!(a.baseline_to_compare(), Some(("main", false)));
        assert_eq!(a.baseline_to_save(), Some("main"));
        let a = parse(&["--bench", "--baseline", "main"]).unwrap();
        assert_eq!(a.baseline_to_compare(), Some(("main", true)));
        assert_eq!(a.baseline_to_save(), None);
        let a = parse(&["--bench", "--baseline-lenient", "main"]).unwrap();
        assert_eq!(a.baseline_to_compare(), Some(("main", false)));
        let a = parse(&["--bench", "--load-baseline", "pr"]).unwrap();
        assert_eq!(a.baseline_to_compare(), None);
        assert_eq!(a.baseline_to_save(), None);
        let a = parse(&["--bench", "--discard-baseline"]).unwrap();
        assert_eq!(a.baseline_to_save(), None);
        assert!(parse(&["--save-baseline", "a", "--baseline", "b"]).is_err());
        assert!(parse(&["--baseline", "a", "--baseline-lenient", "b"]).is_err());
    }

    #[test]
    fn stats_flags_are_validated() {
        let a = parse(&["--noise-threshold", "0.1", "--nresamples", "500"]).unwrap();
        let cfg = a.stats_config().unwrap();
        assert_eq!(cfg.noise_threshold, 0.1);
        assert_eq!(cfg.nresamples, 500);
        let err = parse(&["--confidence-level", "95"])
            .unwrap()
            .stats_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("confidence level"), "{err}");
    }

    #[test]
    fn report_flags_parse() {
        let a = parse(&["--bench", "--noplot", "--export", "json,bmf"]).unwrap();
        assert!(a.noplot);
        assert_eq!(a.export.as_deref(), Some("json,bmf"));
    }

    #[test]
    fn fail_on_regression_flag() {
        let a = parse(&["--fail-on-regression", "chat"]).unwrap();
        assert!(a.fail_on_regression);
        assert_eq!(a.filter.as_deref(), Some("chat"));
    }

    #[test]
    fn test_mode_wins_under_cargo_bench() {
        let a = parse(&["--bench", "--test"]).unwrap();
        assert!(!a.bench_mode());
    }

    #[test]
    fn timeouts_take_units() {
        let a = parse(&["--first-byte-timeout", "250ms", "--timeout", "1m"]).unwrap();
        assert_eq!(a.first_byte_timeout, Some(Duration::from_millis(250)));
        assert_eq!(a.timeout, Some(Duration::from_secs(60)));
        let err = parse(&["--idle-timeout", "30"]).unwrap_err().to_string();
        assert!(
            err.contains("--idle-timeout") && err.contains("no unit"),
            "{err}"
        );
    }

    #[test]
    fn help_is_plain_text() {
        use clap::CommandFactory;
        let help = Args::command().render_long_help().to_string();
        for markup in ["`", "](", "[`"] {
            assert!(!help.contains(markup), "{markup:?} in --help:\n{help}");
        }
        assert!(help.contains("Exit status"), "{help}");
    }

    #[test]
    fn list_formats_are_the_ones_that_work() {
        assert!(parse(&["--list", "--format", "pretty"]).is_ok());
        assert!(parse(&["--list", "--format", "json"]).is_err());
    }

    /// The push flags parse with their features; without, the error names the feature.
    #[test]
    fn push_flags_exist_with_their_features_only() {
        for (flag, feature) in FEATURE_FLAGS {
            let on = match feature {
                "prometheus" => cfg!(feature = "prometheus"),
                "influxdb" => cfg!(feature = "influxdb"),
                other => panic!("unknown feature {other}"),
            };
            for args in [vec![flag, "http://127.0.0.1:1"], vec![&format!("{flag}=x")]] {
                match parse(&args) {
                    Ok(_) => assert!(on, "{flag} parses without {feature}"),
                    Err(e) => {
                        assert!(!on, "{flag} with {feature}: {e}");
                        let e = feature_flag_error(&e).expect("the feature is named");
                        let text = e.to_string();
                        assert!(
                            text.starts_with(&format!(
                                "error: {flag} needs llm-bench's `{feature}` cargo feature"
                            )),
                            "{text}"
                        );
                        assert_eq!(e.exit_code(), 2);
                    }
                }
            }
        }
        let other = parse(&["--sampels", "3"]).unwrap_err();
        assert!(feature_flag_error(&other).is_none());
    }

    #[test]
    fn unknown_flags_and_bad_values_are_errors() {
        let err = parse(&["--sampels", "3"]).unwrap_err();
        assert!(err.to_string().contains("--sampels"), "{err}");
        assert!(parse(&["--samples", "0"]).is_err());
        assert!(parse(&["--concurrency", "many"]).is_err());
    }
}
