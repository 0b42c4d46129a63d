//! `llm-bench compare A B`: two sets of stored runs (baselines, run files or exported
//! baselines) judged by the harness itself, as `cargo bench -- --load-baseline B
//! --baseline A` judges them: the same statistics, verdicts, console, report and exit
//! statuses. Nothing is measured.
//!
//! Both sides are copied into a directory of the comparison's own (`--out`) as baselines,
//! with one scenario per id the two have in common, and the harness re-analyses B there
//! against A.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use llm_bench::__cli::{
    baseline_runs, check_baseline_name, load_runs_file, run_scenarios_with_args, save_baseline,
    stored_file, Scenario, ScenarioConfig, ScenarioFuture,
};
use llm_bench::stored::StoredRun;
use llm_bench::Ctx;

use crate::results::EXIT_USAGE;
/// The file that marks a directory `compare` made, so that it is only ever cleared then.
const MARKER: &str = ".llm-bench-compare";

/// Compare two stored sets of runs with the harness's statistics; exit 3 on a regression.
#[derive(Debug, Args)]
#[command(
    long_about = "Compare two stored sets of runs with the harness's statistics, verdicts and \
                  report; nothing is measured. Each of A and B is the name of a baseline in \
                  the results directory, a run file (run.json), or a file `baseline export` \
                  wrote. B is judged against A, scenario by scenario, for the ids both have; \
                  the exit status is 3 when a gated metric regressed and 4 when the gate \
                  could not tell, as under `--fail-on-regression`.",
    after_help = "Examples:\n  \
                  llm-bench compare main feature                   # two baselines of llm-bench-results\n  \
                  llm-bench compare main-baseline.json main        # an exported file and a baseline\n  \
                  llm-bench compare a/run.json b/run.json -- --gate ttft,e2e\n  \
                  llm-bench compare main feature -- --allow-inconclusive"
)]
pub(crate) struct CompareArgs {
    /// The reference: a baseline name, a run.json, or an exported baseline file.
    #[arg(value_name = "A")]
    a: String,

    /// What is judged against A, given the same way.
    #[arg(value_name = "B")]
    b: String,

    /// The results directory baseline names are looked up in.
    #[arg(
        long,
        value_name = "DIR",
        env = "LLM_BENCH_HOME",
        default_value = "llm-bench-results"
    )]
    results: PathBuf,

    /// Where the comparison and its report are written (cleared first; only a directory
    /// an earlier `compare` made, or an empty one, is accepted).
    #[arg(long, value_name = "DIR", default_value = "llm-bench-compare")]
    out: PathBuf,

    /// The harness's arguments, after `--`: --gate, --threshold, --significance,
    /// --noise-threshold, --allow-inconclusive, --force-compare, --export, --quiet, ...
    #[arg(last = true, value_name = "HARNESS_ARGS")]
    harness: Vec<OsString>,
}

/// Runs `llm-bench compare`.
pub(crate) fn run(args: CompareArgs) -> ExitCode {
    let (name_a, name_b) = side_names(&args.a, &args.b);
    match prepare(&args, &name_a, &name_b) {
        Ok(scenarios) => {
            std::env::set_var("LLM_BENCH_HOME", &args.out);
            let mut harness: Vec<OsString> = [
                "llm-bench compare",
                "--bench",
                "--load-baseline",
                &name_b,
                "--baseline",
                &name_a,
                "--fail-on-regression",
            ]
            .into_iter()
            .map(OsString::from)
            .collect();
            harness.extend(args.harness);
            let code = run_scenarios_with_args(scenarios, harness);
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The names the two sides are stored and shown under: their own when they are two
/// different baseline names (`main`, `feature`), else `A` and `B`.
fn side_names(a: &str, b: &str) -> (String, String) {
    let plain = |name: &str| check_baseline_name(name).is_ok() && !Path::new(name).is_file();
    if a != b && plain(a) && plain(b) {
        (a.to_owned(), b.to_owned())
    } else {
        ("A".to_owned(), "B".to_owned())
    }
}

/// Copies both sides into `--out` as baselines `name_a` and `name_b`; the scenarios of the
/// ids both have.
fn prepare(
    args: &CompareArgs,
    name_a: &str,
    name_b: &str,
) -> Result<Vec<&'static Scenario>, String> {
    let a = runs_of(&args.a, &args.results)?;
    let b = runs_of(&args.b, &args.results)?;
    let ids_a: BTreeSet<&str> = a.iter().map(|r| r.scenario.id.as_str()).collect();
    let ids_b: BTreeSet<&str> = b.iter().map(|r| r.scenario.id.as_str()).collect();
    for id in ids_a.difference(&ids_b) {
        eprintln!(
            "llm-bench compare: `{id}` is only in A ({}): left out",
            args.a
        );
    }
    for id in ids_b.difference(&ids_a) {
        eprintln!(
            "llm-bench compare: `{id}` is only in B ({}): left out",
            args.b
        );
    }
    let common: Vec<&str> = ids_a.intersection(&ids_b).copied().collect();
    if common.is_empty() {
        return Err(format!(
            "`{}` and `{}` have no scenario in common: nothing to compare",
            args.a, args.b
        ));
    }
    clear_out(&args.out)?;
    for (runs, side) in [(&a, name_a), (&b, name_b)] {
        for run in runs
            .iter()
            .filter(|r| common.contains(&r.scenario.id.as_str()))
        {
            save_baseline(&args.out, run, side).map_err(|e| e.to_string())?;
        }
    }
    println!(
        "llm-bench compare: {} (B) against {} (A), {} scenario{}; written to {}",
        args.b,
        args.a,
        common.len(),
        if common.len() == 1 { "" } else { "s" },
        args.out.display()
    );
    Ok(common.into_iter().map(stored_scenario).collect())
}

/// The runs `what` names: a file (a run or an exported baseline), else a baseline of
/// `results`.
fn runs_of(what: &str, results: &Path) -> Result<Vec<StoredRun>, String> {
    let path = Path::new(what);
    if stored_file(path).is_some() {
        return load_runs_file(path).map_err(|e| e.to_string());
    }
    if check_baseline_name(what).is_err() {
        return Err(format!("`{what}` is neither a file nor a baseline name"));
    }
    let runs = baseline_runs(results, what).map_err(|e| e.to_string())?;
    if runs.is_empty() {
        return Err(format!(
            "`{what}` is not a file, and {} holds no baseline `{what}` (`llm-bench baseline list` shows them)",
            results.display()
        ));
    }
    Ok(runs)
}

/// Empties `out`, if it is a directory `compare` made (or empty, or absent).
fn clear_out(out: &Path) -> Result<(), String> {
    if out.exists() {
        let empty = std::fs::read_dir(out)
            .map_err(|e| format!("--out {}: {e}", out.display()))?
            .next()
            .is_none();
        if !empty && !out.join(MARKER).is_file() {
            return Err(format!(
                "--out {} holds files `llm-bench compare` did not write; give an empty or new directory",
                out.display()
            ));
        }
        std::fs::remove_dir_all(out)
            .map_err(|e| format!("could not clear {}: {e}", out.display()))?;
    }
    std::fs::create_dir_all(out).map_err(|e| format!("could not create {}: {e}", out.display()))?;
    std::fs::write(
        out.join(MARKER),
        "written by `llm-bench compare`, which clears this directory on its next run\n",
    )
    .map_err(|e| format!("could not write in {}: {e}", out.display()))
}

/// A scenario standing for the stored runs of `id`: its function is never called (the
/// harness re-analyses stored samples and sends nothing).
fn stored_scenario(id: &str) -> &'static Scenario {
    let id: &'static str = Box::leak(id.to_owned().into_boxed_str());
    Box::leak(Box::new(Scenario {
        name: id,
        group: None,
        module_path: "llm-bench compare",
        file: "",
        line: 0,
        description: "",
        config: ScenarioConfig::DEFAULT,
        arg: None,
        arg_index: 0,
        setup: None,
        run: never_sent,
    }))
}

fn never_sent(_ctx: &mut Ctx) -> ScenarioFuture<'_> {
    Box::pin(async {
        Err(llm_bench::Error::Config(
            "llm-bench compare sends no request".to_owned(),
        ))
    })
}
